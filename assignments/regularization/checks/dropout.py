"""Tasks 4 and 5: forward propagation and gradient descent with dropout (NumPy).

The masks are the student's own: they are checked for meaning (0/1, the right
shape, kept at the right rate, drawn per example) and the activations are
recomputed from them.
"""
import numpy as np

from grader.authoring import Case, binomial_interval, compare_arrays, to_array, verdict

from .common import F64, describe, leaves_unchanged, teaching, with_expected
from .gradient_step import SHARED_STEP_MISTAKES, gd_case, judge_gd, step_expected
from .network import arch, random_inputs, random_network, random_sizes, softmax


# ------------------------------------------------------------------ task 4
def dropout_forward_cases(ctx):
    rng = ctx.rng
    cases = []
    for sizes, m in ((random_sizes(rng, [(200, 300), (100, 150)]), int(rng.integers(200, 400))),
                     ([6, 5, 4, 3], 40),
                     (random_sizes(rng, [(50, 90)] * 3, n0=64, classes=5), 300)):
        keep_prob = float(rng.choice([0.6, 0.65, 0.8, 0.9]))  # not 0.5: see task 6
        inputs = {"X": random_inputs(rng, sizes[0], m), "weights": random_network(rng, sizes, m),
                  "L": len(sizes) - 1, "keep_prob": keep_prob,
                  "np_seed": int(rng.integers(0, 2 ** 31))}
        cases.append(Case(f"{arch(sizes, m)}, keep_prob={keep_prob}", inputs))
    return cases


@teaching
def dropout_forward_judge(case, outputs):
    a = case.inputs
    L, keep_prob, weights = a["L"], a["keep_prob"], a["weights"]
    got = outputs["returned"]
    wanted = [f"A{i}" for i in range(L + 1)] + [f"D{i}" for i in range(1, L)]
    side_effects = leaves_unchanged(case, outputs, ["X", "weights"],
                                    hints=lambda found: _aliased_weights(case, got, found))
    if not isinstance(got, dict):
        wrong = verdict("returns the cache dict", False,
                        f"expected a dict with {', '.join(wanted)}; got {describe(got)}")
        return [wrong] if got is None else [wrong, side_effects]  # a stub earns nothing
    missing = [k for k in wanted if k not in got]
    checks = [verdict("cache holds A0..AL and D1..D(L-1)", not missing,
                      f"missing keys: {', '.join(missing)}"), side_effects]
    if f"D{L}" in got:
        checks.append(verdict("no dropout on the output layer", False,
                              f"the cache holds D{L}: the softmax layer must not use dropout"))
    if "A0" in got:
        checks.append(compare_arrays("A0 is X", got["A0"], a["X"], what="A0", **F64))
    for layer in range(1, L + 1):
        previous = to_array(got.get(f"A{layer - 1}"))
        if previous is not None and previous.shape != (weights[f"W{layer}"].shape[1],
                                                       a["X"].shape[1]):
            previous = None
        z = None if previous is None else weights[f"W{layer}"] @ previous + weights[f"b{layer}"]
        if layer < L:
            mask = to_array(got.get(f"D{layer}"))
            checks += _judge_mask(layer, mask, (weights[f"W{layer}"].shape[0],
                                                a["X"].shape[1]), keep_prob)
            mask = _kept_units(mask)
            if z is not None and mask is not None and mask.shape == z.shape:
                checks.append(compare_arrays(
                    f"A{layer} = tanh(Z{layer}) * D{layer} / keep_prob", got.get(f"A{layer}"),
                    np.tanh(z) * mask / keep_prob, what=f"A{layer}",
                    mistakes=[("the kept activations are not divided by keep_prob",
                               np.tanh(z) * mask),
                              ("the kept activations are multiplied by keep_prob instead of "
                               "divided by it", np.tanh(z) * mask * keep_prob),
                              ("the mask is applied before tanh", np.tanh(z * mask) / keep_prob),
                              ("dropout is not applied", np.tanh(z))], **F64))
        elif z is not None:
            last_mask = to_array(got.get(f"D{L}"))
            mistakes = [("softmax over the wrong axis (axis=1)", softmax(z, axis=1)),
                        ("tanh used on the output layer instead of softmax", np.tanh(z))]
            if last_mask is not None and last_mask.shape == z.shape:
                mistakes.append(("dropout is applied to the softmax layer",
                                 softmax(z) * last_mask / keep_prob))
            checks.append(compare_arrays(f"A{L} = softmax(Z{L}), no dropout", got.get(f"A{L}"),
                                         softmax(z), what=f"A{L}",
                                         mistakes=mistakes, **F64))
    return checks


def _aliased_weights(case, got, found):
    """`cache = weights` does not copy: the cache's keys land in the caller's dict."""
    if isinstance(got, dict) and all(k in got for k in case.inputs["weights"]) and any(
            f.startswith("keys added to weights") for f in found):
        return ("Your cache is the weights dict itself: cache = weights does not copy it, so "
                "every A and D written into the cache lands in the caller's weights. Start "
                "from a new dict: cache = {'A0': X}.")
    return ""


def _kept_units(mask):
    """The 0/1 mask to recompute A from: the student's own, or, when D holds 0 and one
    other value (a mask scaled before it was stored: D's own check says so), where it is
    non-zero; None when D says nothing clear about which units were kept."""
    if mask is None:
        return None
    values = np.unique(mask)
    if np.isin(values, (0.0, 1.0)).all():
        return mask
    if len(values) == 2 and values[0] == 0:
        return (mask != 0).astype(int)
    return None


def _judge_mask(layer, mask, shape, keep_prob):
    name = f"D{layer} is a 0/1 mask kept with probability keep_prob"
    if mask is None:
        return [verdict(name, False, f"D{layer} is missing or not numeric")]
    if mask.shape != shape:
        return [verdict(name, False, f"D{layer} must have shape {shape} (one value per unit "
                                     f"and example); got {mask.shape}")]
    if not np.isin(mask, (0.0, 1.0)).all():
        values = np.unique(mask)
        scaled = (f" The kept entries hold 1/keep_prob: the mask was divided by keep_prob "
                  f"before it was stored. Store the 0/1 mask in D{layer} and divide A by "
                  f"keep_prob instead." if len(values) == 2 and values[0] == 0
                  and np.isclose(values[1], 1 / keep_prob) else "")
        return [verdict(name, False, f"D{layer} must hold only 0 and 1; it holds values such "
                                     f"as {values[:5].tolist()}.{scaled}")]
    kept, trials = int(mask.sum()), mask.size
    low, high = binomial_interval(trials, keep_prob)
    if not low <= kept <= high:
        hint = (" It looks like units are kept with probability 1 - keep_prob."
                if binomial_interval(trials, 1 - keep_prob)[0] <= kept
                <= binomial_interval(trials, 1 - keep_prob)[1] else "")
        return [verdict(name, False, f"D{layer} keeps {kept} of {trials} units "
                                     f"({kept / trials:.3f}); with keep_prob={keep_prob} a "
                                     f"count in [{low}, {high}] is expected.{hint}")]
    if shape[1] > 1 and trials > 20 and (mask == mask[:, :1]).all():
        return [verdict(name, False, f"D{layer} is the same for every example: draw one "
                                     f"value per unit and example")]
    return [verdict(name, True)]


# ------------------------------------------------------------------ task 5
DROPOUT_GD_MISTAKES = {
    "no_scale": "dZ is not divided by keep_prob after applying the mask",
    "times_keep_prob": "dZ is multiplied by keep_prob instead of divided by it (the forward "
                       "pass divided the kept units by keep_prob: so does the backward pass)",
    "no_mask": "the dropout mask D is not applied to dZ (only the 1/keep_prob scaling is)",
    "no_dropout": "dropout is ignored in the backward pass (no mask, no 1/keep_prob)",
    "updated_w": "the updated W_l is used to backpropagate to layer l-1 (use W_l before "
                 "its update)",
    **SHARED_STEP_MISTAKES,
}


def dropout_gd_cases(ctx):
    rng = ctx.rng
    cases = [gd_case(rng, random_sizes(rng, [(200, 300), (100, 150)]),
                     int(rng.integers(100, 300)), dropout=True),
             gd_case(rng, [5, 4, 3, 2], 7, dropout=True),
             gd_case(rng, random_sizes(rng, [(30, 60)] * 3, n0=40, classes=4), 60,
                     dropout=True)]
    return with_expected(cases, step_expected(ctx, "keep_prob"))


@teaching
def dropout_gd_judge(case, outputs):
    return judge_gd(case, outputs, "keep_prob", DROPOUT_GD_MISTAKES)
