"""forward_propagation_with_dropout and backward_propagation_with_dropout.

The forward masks are the student's own (the course's version seeds NumPy
itself): they are judged by meaning, from the returned cache: 0/1 values of the
right shape, kept at rate keep_prob (an exact binomial bound), drawn per example;
the activations are recomputed from them (inverted scaling, no dropout on the
output layer). The published A3 is checked when the student's masks are the
course's. The backward pass is given a cache with known masks.
"""
import itertools
import math

import numpy as np

from grader.authoring import (Case, MistakeTable, binomial_interval, describe_value, to_array,
                              verdict)

from .common import PRINTED, compare, compare_entries, course_example, gradients_dict
from .network import backward, forward, random_network, relu, sigmoid

PUBLISHED_A3 = [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]]  # keep 0.7
PUBLISHED_GRADIENTS = {  # keep_prob = 0.8
    "dA1": [[0.36544439, 0., -0.00188233, 0., -0.17408748],
            [0.65515713, 0., -0.00337459, 0., -0.]],
    "dA2": [[0.58180856, 0., -0.00299679, 0., -0.27715731],
            [0., 0.53159854, -0., 0.53159854, -0.34089673],
            [0., 0., -0.00292733, 0., -0.]],
}
KEEP_PROBS = (0.6, 0.7, 0.8, 0.86)  # never 0.5: keeping with 1 - keep_prob must show
# One forward case keeps few units: np.random.randn < keep_prob keeps Phi(keep_prob) of them,
# within a binomial bound of keep_prob for 0.8 but plain for 0.3 (0.62) and 0.4 (0.66).
LOW_KEEP_PROBS = (0.3, 0.4)
LAYOUT = ("Z1", "D1", "A1", "W1", "b1", "Z2", "D2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")
SCALING_MISTAKES = {
    "no_scale": "the kept activations are not divided by keep_prob (inverted dropout "
                "scales them by 1 / keep_prob)",
    "one_minus": "divided by (1 - keep_prob) instead of keep_prob",
    "times_keep_prob": "multiplied by keep_prob instead of divided by it",
    "no_mask": "the mask is not applied (only the 1 / keep_prob scaling is)",
}
GRADIENTS = ("dW1", "dW2", "dW3", "db1", "db2", "db3")


def _sizes(rng):
    """Hidden layers large enough for the masks' keep rate to be judged."""
    return int(rng.integers(2, 5)), int(rng.integers(15, 31)), int(rng.integers(4, 9))


# ------------------------------------------------------------------ forward
def forward_cases(ctx):
    rng = ctx.rng
    X, parameters = course_example(ctx, "forward_propagation_with_dropout")
    draws = np.random.RandomState(1)  # the course's function calls np.random.seed(1) first
    course_masks = [(draws.rand(parameters[w].shape[0], X.shape[1]) < 0.7).astype(np.float64)
                    for w in ("W1", "W2")]
    cases = [Case("official example: the course's test case, keep_prob = 0.7",
                  {"X": X, "parameters": parameters, "keep_prob": 0.7, "np_seed": 1},
                  public=True, context={"course_masks": course_masks})]
    for keep_probs in (LOW_KEEP_PROBS, KEEP_PROBS):
        sizes, m = _sizes(rng), int(rng.integers(150, 260))
        X, _, parameters = random_network(rng, *sizes, m)
        keep_prob = float(rng.choice(keep_probs))
        cases.append(Case(f"layers {sizes + (1,)}, m = {m}, keep_prob = {keep_prob}",
                          {"X": X, "parameters": parameters, "keep_prob": keep_prob,
                           "np_seed": int(rng.integers(0, 2 ** 31))}))
    return cases


def forward_judge(case, outputs):
    a = case.inputs
    keep_prob, parameters = a["keep_prob"], a["parameters"]
    got = outputs["returned"]
    layout = _layout_check(got, a)
    if not layout.passed:
        return [layout]
    A3, cache = got[0], dict(zip(LAYOUT, got[1]))
    checks = [layout]
    previous = a["X"]
    for layer in (1, 2):
        mask = to_array(cache[f"D{layer}"])
        checks.append(_mask_check(layer, mask, keep_prob))
        z = parameters[f"W{layer}"] @ to_array(previous) + parameters[f"b{layer}"]
        mistakes = MistakeTable(SCALING_MISTAKES, lambda key, z=z, mask=mask: _scaled(
            relu(z), mask, keep_prob, key))
        checks.append(compare(f"A{layer} = relu(Z{layer}) * D{layer} / keep_prob",
                              cache[f"A{layer}"], relu(z) * mask / keep_prob, f"A{layer}",
                              mistakes))
        previous = cache[f"A{layer}"]
    z3 = parameters["W3"] @ to_array(previous) + parameters["b3"]
    checks.append(_output_check(A3, cache["A3"], sigmoid(z3), keep_prob))
    course_masks = case.context.get("course_masks")
    if course_masks and all(np.array_equal(to_array(cache[f"D{i}"]), course_masks[i - 1])
                            for i in (1, 2)):
        checks.append(compare("official example: A3 matches the published output", A3,
                              PUBLISHED_A3, "A3", tolerance=PRINTED))
    return checks


def _layout_check(got, inputs):
    """(A3, cache) with the course's 14-entry cache, each entry of the right shape."""
    name = "returns (A3, cache), cache = (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return verdict(name, False, f"expected a pair (A3, cache); got {describe_value(got)}")
    cache = got[1]
    if not isinstance(cache, (tuple, list)) or len(cache) != len(LAYOUT):
        return verdict(name, False, f"the cache must hold the {len(LAYOUT)} entries "
                                    f"{', '.join(LAYOUT)} in that order (backward propagation "
                                    f"unpacks it so); got {describe_value(cache)}")
    m, p = inputs["X"].shape[1], inputs["parameters"]
    shapes = {key: value.shape for key, value in p.items()}
    for layer in (1, 2, 3):
        units = (p[f"W{layer}"].shape[0], m)
        shapes.update({f"Z{layer}": units, f"D{layer}": units, f"A{layer}": units})
    for key, entry in zip(LAYOUT, cache):
        array = to_array(entry)
        if array is None or array.shape != shapes[key]:
            per_unit = (key[0] == "D" and array is not None
                        and array.shape == (shapes[key][0], 1) and m > 1)
            hint = (f" One mask value per unit is shared by every example: draw one per unit "
                    f"and example, np.random.rand(A{key[1]}.shape[0], A{key[1]}.shape[1])."
                    if per_unit else "")
            return verdict(name, False, f"cache entry {LAYOUT.index(key) + 1} ({key}) must be "
                                        f"an array of shape {shapes[key]}; got "
                                        f"{describe_value(entry)}.{hint}")
    for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
        if not np.array_equal(to_array(cache[LAYOUT.index(key)]), p[key]):
            return verdict(name, False, f"cache entry {LAYOUT.index(key) + 1} must be {key} "
                                        f"as given in parameters")
    for layer in (1, 2):
        mask, activation = (to_array(cache[LAYOUT.index(f"{kind}{layer}")]) for kind in "DA")
        if not _zero_one(mask) and _zero_one(activation):
            return verdict(name, False, f"cache entries {LAYOUT.index(f'D{layer}') + 1} and "
                                        f"{LAYOUT.index(f'A{layer}') + 1} seem swapped: the "
                                        f"mask D{layer} comes before A{layer} in the cache "
                                        f"(backward propagation unpacks it in that order)")
    A3 = to_array(got[0])
    if A3 is None or A3.shape != (1, m):
        return verdict(name, False, f"A3 must have shape (1, {m}); got {describe_value(got[0])}")
    return verdict(name, True)


def _zero_one(array):
    return bool(np.isin(array, (0.0, 1.0)).all())


def _mask_check(layer, mask, keep_prob):
    name = f"D{layer} is a 0/1 mask kept with probability keep_prob, one draw per example"
    if not _zero_one(mask):
        uniform = bool(((mask >= 0) & (mask < 1)).all())
        hint = (f" The uniform draws themselves are cached: threshold them first, D{layer} = "
                f"(D{layer} < keep_prob), and use that mask." if uniform else "")
        return verdict(name, False, f"D{layer} must hold only 0 and 1 (or True and False); it "
                                    f"holds values such as {np.unique(mask)[:5].tolist()}.{hint}")
    kept, trials = int(mask.sum()), mask.size
    low, high = binomial_interval(trials, keep_prob)
    if not low <= kept <= high:
        return verdict(name, False, f"D{layer} keeps {kept} of {trials} units ({kept / trials:.3f}"
                                    f"); with keep_prob = {keep_prob} a count in [{low}, {high}] "
                                    f"is expected.{_keep_rate_hint(kept, trials, keep_prob)}")
    if mask.shape[1] > 1 and trials > 20 and (mask == mask[:, :1]).all():
        return verdict(name, False, f"D{layer} is the same for every example: draw one value per "
                                    f"unit and example (np.random.rand(*A{layer}.shape))")
    return verdict(name, True)


def _keep_rate_hint(kept, trials, keep_prob):
    """The classic mistake a wrong keep rate matches, as a sentence ("" when none does; the
    nearer one when both do)."""
    matching = []
    for rate, hint in ((1 - keep_prob, "Units are kept with probability 1 - keep_prob: D = "
                                       "(rand < keep_prob) keeps a unit with probability "
                                       "keep_prob."),
                       (_normal_cdf(keep_prob), "The draws come from np.random.randn (normal) "
                                                "instead of np.random.rand (uniform on [0, 1)): "
                                                "randn < keep_prob keeps more units than "
                                                "keep_prob.")):
        low, high = binomial_interval(trials, rate)
        if low <= kept <= high:
            matching.append((abs(kept - rate * trials), hint))
    return " " + min(matching)[1] if matching else ""


def _normal_cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _scaled(activation, mask, keep_prob, mistake):
    return {"no_scale": activation * mask, "one_minus": activation * mask / (1 - keep_prob),
            "times_keep_prob": activation * mask * keep_prob,
            "no_mask": activation / keep_prob}[mistake]


def _output_check(returned, cached, expected, keep_prob):
    name = "A3 = sigmoid(Z3), no dropout on the output layer"
    A3 = to_array(returned)
    if (A3 == 0).any() or np.allclose(A3[A3 != 0], (expected / keep_prob)[A3 != 0]):
        mistakes = [("dropout is applied to the output layer: only the two hidden layers use "
                     "masks", A3)]
    else:
        mistakes = []
    check = compare(name, A3, expected, "A3", mistakes)
    if check.passed and not np.array_equal(to_array(cached), A3):
        return verdict(name, False, "the A3 in the cache differs from the A3 returned")
    return check


# ------------------------------------------------------------------ backward
def backward_cases(ctx):
    rng = ctx.rng
    function = ctx.reference("backward_propagation_with_dropout")
    X, Y, cache = course_example(ctx, "backward_propagation_with_dropout")
    cases = [Case("official example: the course's test case, keep_prob = 0.8",
                  {"X": X, "Y": Y, "cache": cache, "keep_prob": 0.8, "np_seed": 1},
                  public=True, context={"published": PUBLISHED_GRADIENTS})]
    for _ in range(2):
        sizes, m = _sizes(rng), int(rng.integers(20, 60))
        X, labels, parameters = random_network(rng, *sizes, m)
        keep_prob = float(rng.choice(KEEP_PROBS))
        masks = [rng.random((n, m)) < keep_prob for n in sizes[1:]]
        cache = forward(X, parameters, masks, keep_prob)
        expected = function(X, labels, cache, keep_prob)
        cases.append(Case(f"layers {sizes + (1,)}, m = {m}, keep_prob = {keep_prob}",
                          {"X": X, "Y": labels, "cache": cache, "keep_prob": keep_prob,
                           "np_seed": int(rng.integers(0, 2 ** 31))},
                          context={"expected": {k: expected[k] for k in GRADIENTS}}))
    return cases


def backward_explain(case, kind, message):
    """Masks used in each other's layer: their shapes differ, so NumPy refuses."""
    cache = case.inputs["cache"]
    D1, D2 = cache[1], cache[6]
    shapes = [f"({','.join(map(str, mask.shape))})" for mask in (D1, D2)]
    if (kind == "ValueError" and "could not be broadcast" in message and D1.shape != D2.shape
            and all(shape in message for shape in shapes)):
        return ("Classic mistake: the masks are swapped: dA2 is multiplied by D2 (the mask "
                "layer 2 used in the forward pass) and dA1 by D1.")
    return None


def backward_judge(case, outputs):
    got, a = outputs["returned"], case.inputs
    name = "returns the gradients dict"
    wrong = gradients_dict(name, got, ("dA1", "dA2") + GRADIENTS)
    if wrong:
        return [wrong]
    if "published" in case.context:
        return [compare_entries("official example: dA2 and dA1 match the published output",
                                got, case.context["published"], ("dA2", "dA1"),
                                lambda key: _mistakes(a, key, got), PRINTED)]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = a["cache"]
    keep_prob = a["keep_prob"]
    checks = [verdict(name, True), compare(
        "dA2 = W3.T dZ3 * D2 / keep_prob (the forward mask, scaled)", got["dA2"],
        W3.T @ (A3 - a["Y"]) * D2 / keep_prob, "dA2", _mistakes(a, "dA2", got))]
    dA2 = to_array(got["dA2"])
    if dA2 is not None and dA2.shape == A2.shape:  # dA1 from the student's own dA2
        checks.append(compare("dA1 = W2.T dZ2 * D1 / keep_prob (the forward mask, scaled)",
                              got["dA1"], W2.T @ (dA2 * (A2 > 0)) * D1 / keep_prob, "dA1",
                              _mistakes(a, "dA1", got)))
    checks.append(compare_entries("dW1, dW2, dW3, db1, db2, db3 as the reference's", got,
                                  case.context["expected"], GRADIENTS))
    return checks


def _mistakes(inputs, key, got):
    """The scaling mistakes of dA1 or dA2, a new mask drawn in the backward pass, a divisor
    other than the keep_prob argument, and (for dA1) dZ2 with another derivative than
    ReLU's."""
    table = MistakeTable(SCALING_MISTAKES, lambda mistake: backward(
        inputs["X"], inputs["Y"], inputs["cache"], keep_prob=inputs["keep_prob"],
        mistake=mistake)[key])
    before = _before_mask(inputs, key, got)
    dA = to_array(got[key])
    if before is None or dA is None or dA.shape != before[0].shape:
        return table
    unmasked, mask = before
    redrawn = _redrawn_mask(inputs, dA, unmasked, mask)
    divisor = _other_divisor(inputs, key, dA, unmasked * mask)
    return itertools.chain([(redrawn, dA)] if redrawn else [], table,
                           [(divisor, dA)] if divisor else [],
                           _derivative_mistakes(inputs, key, got))


def _before_mask(inputs, key, got):
    """(dA before its mask, the forward mask) for dA2, or for dA1 from the student's own
    dA2; None when the student's dA2 cannot give dA1."""
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = inputs["cache"]
    if key == "dA2":
        return W3.T @ (A3 - inputs["Y"]), D2
    dA2 = to_array(got["dA2"])
    if dA2 is None or dA2.shape != A2.shape:
        return None
    return W2.T @ (dA2 * (A2 > 0)), D1


def _redrawn_mask(inputs, dA, unmasked, mask):
    """Why dA looks masked by another mask than the forward one, or ""."""
    kept = dA != 0
    if (np.allclose(dA, unmasked * kept / inputs["keep_prob"])
            and not np.array_equal(kept, np.asarray(mask, dtype=bool) & (unmasked != 0))):
        return ("a new random mask is drawn in the backward pass: reuse D1 and D2 from the "
                "cache, the units the forward pass dropped")
    return ""


def _other_divisor(inputs, key, dA, masked):
    """Why dA is the masked gradient divided by a constant other than keep_prob, or ""."""
    keep_prob, nonzero = inputs["keep_prob"], masked != 0
    if not nonzero.any():
        return ""
    divisor = float(np.median(masked[nonzero] / dA[nonzero])) if (dA[nonzero] != 0).all() else 0
    if (not divisor or not np.isfinite(divisor) or np.isclose(divisor, keep_prob)
            or not np.allclose(dA, masked / divisor)):
        return ""
    return (f"{key} is divided by {divisor:.6g} instead of the keep_prob argument "
            f"({keep_prob:g}): use keep_prob itself, not a value written in the code or the "
            f"mask's mean")


def _derivative_mistakes(inputs, key, got):
    """dA1 computed from a dZ2 with the sigmoid's derivative, or with none."""
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = inputs["cache"]
    dA2 = to_array(got["dA2"])
    if key != "dA1" or dA2 is None or dA2.shape != A2.shape:
        return []
    scale = D1 / inputs["keep_prob"]
    return [("dZ2 uses the sigmoid's derivative, A2 * (1 - A2): the hidden layers are ReLU, "
             "dZ2 = dA2 * (A2 > 0)", W2.T @ (dA2 * A2 * (1 - A2)) * scale),
            ("dZ2 = dA2 leaves out ReLU's derivative: dZ2 = dA2 * (A2 > 0)",
             W2.T @ dA2 * scale)]
