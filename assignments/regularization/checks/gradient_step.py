"""One gradient step on the NumPy network, shared by task 1 (L2) and task 5 (dropout).

The step is judged by the change it made to every W_l and b_l of the caller's
weights dict. A wrong step is explained in the student's terms: layers the
backward loop never updated, the task's classic mistakes of the whole backward
pass (each computed only when needed), and mistakes in db alone, which can
come on top of any of these. A second check says whether the call left the
caller's cache and Y as they were (the spec lets it change only the weights; keys
added to the cache, such as each layer's dZ, change nothing the caller had).
"""
import numpy as np

from grader.authoring import Case, close, compare_arrays, to_array, verdict

from .common import F64, leaves_unchanged
from .network import arch, backprop, bias_variants, examples, forward, one_hot, \
    random_inputs, random_network

TANH_DERIVATIVE_MISTAKES = {
    "tanh_no_square": "the tanh derivative is written 1 - A instead of 1 - A**2",
    "sigmoid_derivative": "the derivative is written A * (1 - A), which is sigmoid's; the "
                          "hidden layers use tanh, whose derivative is 1 - A**2",
    "tanh_of_a": "the derivative is written 1 - np.tanh(A)**2, but A is already tanh(Z): "
                 "it is 1 - A**2",
    "no_derivative": "the tanh derivative (1 - A**2) is missing from dZ of the hidden layers",
}
# Mistakes both gradient steps can make (keys known to network.backprop).
SHARED_STEP_MISTAKES = {
    "dw_no_m": "dW is not divided by m (dW = np.matmul(dZ, A_prev.T) / m)",
    **TANH_DERIVATIVE_MISTAKES,
    "m_rows": "m is taken from Y.shape[0], the number of classes; m is the number of "
              "examples, Y.shape[1]",
    "m_features": "m is taken from cache['A0'].shape[0], the number of input features; m is "
                  "the number of examples, Y.shape[1] (or cache['A0'].shape[1])",
}

BIAS_MISTAKES = {
    "db_no_m": "db is not divided by m (db = np.sum(dZ, axis=1, keepdims=True) / m)",
    "db_all_axes": "db is summed over every axis into one number (np.sum(dZ) / m): sum over "
                   "the examples only, np.sum(dZ, axis=1, keepdims=True) / m",
    "db_no_keepdims": "db lost its column shape: np.sum(dZ, axis=1) without keepdims=True has "
                      "shape (n,), and b - alpha * db broadcasts into an (n, n) matrix",
}


def gd_case(rng, sizes, m, scaled=True, dropout=False, name_extra=""):
    L = len(sizes) - 1
    weights = random_network(rng, sizes, m, scaled=scaled, zero_biases=not scaled)
    x = random_inputs(rng, sizes[0], m)
    inputs = {"Y": one_hot(rng, sizes[-1], m), "weights": weights, "L": L,
              "alpha": float(rng.uniform(0.3, 1.0))}
    if dropout:
        keep_prob = float(rng.uniform(0.5, 0.9))
        masks = {layer: (rng.uniform(size=(sizes[layer], m)) < keep_prob).astype(int)
                 for layer in range(1, L)}
        inputs.update(cache=forward(weights, x, L, masks, keep_prob), keep_prob=keep_prob)
    else:
        inputs.update(cache=forward(weights, x, L), lambtha=float(rng.uniform(0.5, 5.0)))
    return Case(arch(sizes, m) + name_extra, inputs)


def step_expected(ctx, hyperparameter):
    """The weights after the reference solution's step, computed on a copy."""
    reference = ctx.reference()

    def expected(a):
        weights = {k: np.array(v, dtype=float) for k, v in a["weights"].items()}
        cache = {k: np.array(v) for k, v in a["cache"].items()}
        reference(np.array(a["Y"]), weights, cache, a["alpha"], a[hyperparameter], a["L"])
        return weights
    return expected


def judge_gd(case, outputs, hyperparameter, explanations):
    """Judge one step of task 1 (hyperparameter lambtha) or task 5 (keep_prob);
    `explanations` is the task's table of classic mistakes (keys known to backprop)."""
    step = _judge_step(case, outputs, hyperparameter, explanations)
    if _untouched(case, outputs):  # a stub earns nothing for leaving cache and Y alone
        return [step]
    return [step, leaves_unchanged(case, outputs, ["cache", "Y"], may_add_keys=("cache",),
                                   hints=lambda found: _side_effect_hint(case, outputs, found))]


def _untouched(case, outputs):
    """Whether the call left every weight as it was (did nothing, as a stub does)."""
    got, old = outputs.get("weights"), case.inputs["weights"]
    return isinstance(got, dict) and set(got) == set(old) and all(
        to_array(got[k]) is not None and np.array_equal(to_array(got[k]), old[k]) for k in old)


def _layer_keys(L):
    return [f"{p}{layer}" for layer in range(1, L + 1) for p in "Wb"]


def _judge_step(case, outputs, hyperparameter, explanations):
    """Judge a gradient step by the change it made to every W_l and b_l."""
    args = case.inputs
    got = outputs.get("weights")
    keys = _layer_keys(args["L"])
    old = args["weights"]
    name = "every W_l and b_l updated by one gradient step"
    if not isinstance(got, dict) or any(to_array(got.get(k)) is None for k in keys):
        missing = ([k for k in keys if to_array(got.get(k)) is None]
                   if isinstance(got, dict) else keys)
        return verdict(name, False, f"after the call, the caller's weights dict lacks numeric "
                                    f"{', '.join(missing[:6])}: update the arrays W1..WL and "
                                    f"b1..bL it holds")
    got = {k: to_array(got[k]) for k in keys}
    unchanged = [k for k in keys if got[k].shape == old[k].shape
                 and np.array_equal(got[k], old[k])]
    if len(unchanged) == len(keys):
        how = (" Your function returned a new dict instead" if isinstance(
            outputs.get("returned"), dict) else " A copy (weights.copy(), dict(weights)) or a "
                                                "new dict is lost when your function returns")
        return verdict(name, False,
                       "the caller's weights dict was not changed by the call: update the "
                       "caller's dict itself (weights['W1'] = ... or weights['W1'] -= ...)."
                       + how + ": the caller's dict must hold the new values.")
    expected = case.context["expected"]
    wrong = []
    for key in keys:
        step = got[key] - old[key] if got[key].shape == old[key].shape else got[key]
        check = compare_arrays(key, step, expected[key] - old[key], what=f"the change of {key}",
                               **F64)
        if not check.passed:
            wrong.append((key, check.message))
    if not wrong:
        return verdict(name, True)
    right = [k for k in keys if k not in dict(wrong)]
    details = (f"after the step, {', '.join(k for k, _ in wrong)} "
               f"{'is' if len(wrong) == 1 else 'are'} wrong"
               + (f" ({', '.join(right)} right)" if right else "") + f". {wrong[0][1]}")
    named = _explain(case, got, hyperparameter, explanations)
    if not named and hyperparameter == "keep_prob":
        named = _new_masks(case, outputs, got)
    if named:
        label = "Classic mistake" if len(named) == 1 else "Classic mistakes"
        return verdict(name, False, f"{label}: {'; '.join(named)}.\n{details}")
    wrong_keys = [k for k, _ in wrong]
    if all(k.startswith("b") for k in wrong_keys):
        return verdict(name, False, f"every W is right but the biases {', '.join(wrong_keys)} "
                                    f"are not: look at how db is computed and applied."
                                    f"\n{details}")
    top = max(int(k[1:]) for k in wrong_keys)
    return verdict(name, False, f"the backward pass goes wrong at layer {top}, the first "
                                f"layer it reaches with a wrong update: look at dW{top} and "
                                f"db{top}, and at the dZ{top} they are computed from."
                                f"\n{details}")


def _new_masks(case, outputs, got):
    """Did the step use masks the student drew anew (and left in the cache)?"""
    a = case.inputs
    after = outputs.get("cache") if isinstance(outputs.get("cache"), dict) else {}
    cache = dict(a["cache"])
    redrawn = []
    for key, mask in a["cache"].items():
        new = to_array(after.get(key)) if key.startswith("D") else None
        if new is not None and new.shape == mask.shape and not np.array_equal(new, mask):
            cache[key] = new
            redrawn.append(key)
    if not redrawn:
        return None
    variant = backprop(a["Y"], a["weights"], cache, a["alpha"], a["L"],
                       keep_prob=a["keep_prob"])
    if not all(close(got[k], variant[k], **F64) for k in _layer_keys(a["L"])):
        return None
    return [f"the backward pass used new masks ({', '.join(redrawn)} drawn again and written "
            f"into the cache) instead of the forward pass's: dropout's gradient must use the "
            f"very masks of the forward pass, cache['D1'] .. cache['D(L-1)'], as they are"]


def _explain(case, got, hyperparameter, explanations):
    """The classic mistakes that together give exactly the student's step, or None.

    Layers left as they were are a loop that skipped them; the rest of the step must be
    the reference or one whole-pass mistake, each b possibly with a mistake of its own."""
    a = case.inputs
    L, old = a["L"], a["weights"]
    skipped = [layer for layer in range(1, L + 1)
               if all(got[k].shape == old[k].shape and np.array_equal(got[k], old[k])
                      for k in (f"W{layer}", f"b{layer}"))]
    updated = [layer for layer in range(1, L + 1) if layer not in skipped]

    def same_w(layer, w):
        return layer in skipped or close(got[f"W{layer}"], w, **F64)

    for key in [None, *explanations]:
        dzs = {}
        variant = backprop(a["Y"], old, a["cache"], a["alpha"], a["L"], mistake=key,
                           skip=skipped, dzs=dzs, accept=same_w,
                           **{hyperparameter: a[hyperparameter]})
        if variant is None:
            continue
        bias_named = []
        for layer in updated:
            b = f"b{layer}"
            if close(got[b], variant[b], **F64):
                continue
            options = bias_variants(old[b], dzs[layer], a["alpha"],
                                    examples(a["Y"], a["cache"], key))
            match = next((k for k, v in options.items() if close(got[b], v, **F64)), None)
            if match is None:
                break
            if BIAS_MISTAKES[match] not in bias_named:
                bias_named.append(BIAS_MISTAKES[match])
        else:
            named = []
            if skipped:
                named.append(_skipped_text(skipped, L))
            if key is not None:
                named.append(explanations[key])
            return named + bias_named or None
    return [_skipped_text(skipped, L)] if skipped else None


def _skipped_text(skipped, L):
    keys = ", ".join(f"W{layer}, b{layer}" for layer in skipped)
    which = f"layer {skipped[0]}" if len(skipped) == 1 else \
        f"layers {', '.join(map(str, skipped))}"
    return (f"{which} ({keys}) {'is' if len(skipped) == 1 else 'are'} never updated: the "
            f"backward loop skips {'it' if len(skipped) == 1 else 'them'} (for l in "
            f"range(L, 0, -1) visits every layer, L down to 1)")


def _side_effect_hint(case, outputs, found):
    """How the caller's cache or Y probably got changed, when it can be told."""
    a = case.inputs
    L = a["L"]
    cache = outputs.get("cache") if isinstance(outputs.get("cache"), dict) else {}
    last = to_array(cache.get(f"A{L}"))
    y_after = to_array(outputs.get("Y"))
    if last is not None and close(last, a["cache"][f"A{L}"] - a["Y"], **F64):
        return (f"cache['A{L}'] now holds A{L} - Y: dZ = cache['A{L}'] followed by dZ -= Y "
                f"subtracts inside the cache's array; write dZ = cache['A{L}'] - Y.")
    if y_after is not None and y_after.shape == a["Y"].shape and not np.array_equal(
            y_after, a["Y"]):
        return ("Y holds the labels the caller still needs: an in-place operation through "
                "another name (dZ = Y, then dZ -= ...) writes into Y; compute dZ = A - Y as a "
                "new array.")
    masks = [k for k in a["cache"] if k.startswith("D")]
    redrawn = [k for k in masks if to_array(cache.get(k)) is not None
               and to_array(cache.get(k)).shape == a["cache"][k].shape
               and not np.array_equal(to_array(cache.get(k)), a["cache"][k])]
    if redrawn:
        return (f"The masks {', '.join(redrawn)} are the forward pass's, which the caller "
                f"still needs: read them from the cache, never write new ones into it.")
    return ""
