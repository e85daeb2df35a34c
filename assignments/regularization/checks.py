"""Parent side of the regularization pack: inputs to try and how to judge outputs.

Runs only in the trusted grading process. Where the statement leaves no
freedom, outputs are compared with the reference solution (float64, tight
tolerances); where it does (random masks, initializers), properties are
judged: the student's own masks are checked for meaning and A is recomputed
from them; kernels are tested against the initializer's law with an exact
statistical bound. Classic mistakes are computed on the side and named.
"""
import dataclasses

import numpy as np

from grader.compare import close, compare_arrays, describe_value, to_array, verdict
from grader.models import Case
from grader.packs import TaskChecks, reference_function
from grader.stats import (binomial_interval, dkw_bound, ks_distance, normal_cdf,
                          truncated_normal_cdf, uniform_cdf)

PACK = "regularization"
F64 = {"rtol": 1e-7, "atol": 1e-9}
F32 = {"rtol": 2e-4, "atol": 2e-5}
ARROW = "\u2192"


def _reference(task_file, function):
    return reference_function(PACK, task_file, function)


def _with_expected(cases, expected):
    """The cases, each with the reference answer `expected(inputs)` in its parent-only
    context: computed once with the inputs, not once per judged submission."""
    return [dataclasses.replace(case, context={**case.context, "expected": expected(case.inputs)})
            for case in cases]


# --------------------------------------------------------------- generators
def _network(rng, sizes, m, scaled=True, zero_biases=False):
    """Weights W1..WL, b1..bL for layer sizes [n0, n1, ..., nL]; biases non-zero."""
    weights = {}
    for layer in range(1, len(sizes)):
        scale = 1 / np.sqrt(sizes[layer - 1]) if scaled else 1.0
        weights[f"W{layer}"] = rng.standard_normal((sizes[layer], sizes[layer - 1])) * scale
        weights[f"b{layer}"] = (np.zeros((sizes[layer], 1)) if zero_biases
                                else rng.standard_normal((sizes[layer], 1)) * 0.5)
    return weights


def _inputs(rng, n0, m):
    return rng.uniform(0.0, 1.0, (n0, m))


def _one_hot(rng, classes, m):
    labels = rng.integers(0, classes, m)
    y = np.zeros((classes, m))
    y[labels, np.arange(m)] = 1.0
    return y


def _softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _forward(weights, x, L, masks=None, keep_prob=1.0):
    """Cache A0..AL of the tanh/softmax network (with given dropout masks, if any)."""
    cache = {"A0": x}
    for layer in range(1, L + 1):
        z = weights[f"W{layer}"] @ cache[f"A{layer - 1}"] + weights[f"b{layer}"]
        if layer == L:
            cache[f"A{layer}"] = _softmax(z)
        else:
            a = np.tanh(z)
            if masks is not None:
                cache[f"D{layer}"] = masks[layer]
                a = a * masks[layer] / keep_prob
            cache[f"A{layer}"] = a
    return cache


def _sizes(rng, hidden, n0=784, classes=10):
    return [n0] + [int(rng.integers(lo, hi)) for lo, hi in hidden] + [classes]


def _arch(sizes, m):
    return "\u2192".join(str(s) for s in sizes) + f", m={m}"


# ------------------------------------------------------------------ task 0
def _l2_cost_variant(cost, lambtha, weights, L, m, mistake=None):
    layers = range(1, L + 1)
    keys = [f"W{i}" for i in layers]
    if mistake == "biases":
        keys += [f"b{i}" for i in layers if f"b{i}" in weights]
    elif mistake == "all_keys":
        keys = [k for k in weights if k.startswith("W")]
    elif mistake == "last_skipped":
        keys = keys[:-1]
    if mistake == "unsquared":
        penalty = sum(np.linalg.norm(weights[k]) for k in keys)
    else:
        penalty = sum(np.sum(np.square(weights[k])) for k in keys)
    factor = lambtha / m if mistake == "no_half" else lambtha / (2 * m)
    if mistake == "penalty_only":
        return np.zeros_like(np.asarray(cost, dtype=float)) + factor * penalty
    return cost + factor * penalty


L2_COST_MISTAKES = {
    "biases": "biases are regularized too (only W1..WL count)",
    "unsquared": "the Frobenius norm is not squared",
    "no_half": "lambtha / m instead of lambtha / (2 * m)",
    "all_keys": "every W key of the dict is summed, not only W1..WL (use L)",
    "last_skipped": "the last layer WL is left out (range(1, L) instead of range(1, L + 1))",
    "penalty_only": "only the penalty is returned, without the cost",
}


def l2_cost_cases(rng):
    legacy = np.random.RandomState(0)  # the statement's official example, bit for bit
    official = {f"W{i}": legacy.randn(*shape) for i, shape in
                enumerate([(256, 784), (128, 256), (10, 128)], start=1)}
    cost = np.abs(legacy.randn(1))
    cases = [Case("official example", {"cost": cost, "lambtha": 0.1, "weights": official,
                                       "L": 3, "m": 1000},
                  context={"printed": 12.11229237}, public=True)]
    sizes = _sizes(rng, [(100, 300), (50, 150)])
    m = int(rng.integers(500, 5000))
    weights = _network(rng, sizes + [7], m, scaled=False)  # W4/b4: keys beyond L
    cases.append(Case(f"{_arch(sizes, m)}, biases, extra keys W4/b4, L=3",
                      {"cost": np.abs(rng.standard_normal(1)), "weights": weights, "L": 3,
                       "m": m, "lambtha": float(rng.uniform(0.05, 2.0))}))
    weights = _network(rng, [6, 5, 4, 3], 9, scaled=False)
    cases.append(Case("6\u21925\u21924\u21923, m=9, float cost, L=2 of 3 layers",
                      {"cost": float(rng.uniform(0.1, 3)), "weights": weights, "L": 2,
                       "m": 9, "lambtha": float(rng.uniform(0.5, 5.0))}))
    reference = _reference("0-l2_reg_cost.py", "l2_reg_cost")
    return _with_expected(cases, lambda a: reference(a["cost"], a["lambtha"], a["weights"],
                                                     a["L"], a["m"]))


def l2_cost_judge(case, outputs):
    args = case.inputs
    expected = case.context["expected"]
    mistakes = ((text, _l2_cost_variant(args["cost"], args["lambtha"], args["weights"],
                                        args["L"], args["m"], key))
                for key, text in L2_COST_MISTAKES.items())
    checks = [compare_arrays("cost + lambtha/(2m) * sum of squared W1..WL",
                             outputs["returned"], expected, what="the returned cost",
                             mistakes=mistakes, **F64)]
    if "printed" in case.context:
        checks.append(compare_arrays("matches the official output [12.11229237]",
                                     outputs["returned"], [case.context["printed"]],
                                     what="the printed cost", rtol=0, atol=5e-9))
    return checks


# ------------------------------------------------------------ tasks 1 and 5
def _backprop(Y, weights, cache, alpha, L, lambtha=0.0, keep_prob=None, mistake=None):
    """One gradient step (L2 or dropout) on copies; returns the new weights dict."""
    new = {k: np.array(v, dtype=float) for k, v in weights.items()}
    m = Y.shape[1]
    dz = cache[f"A{L}"] - Y
    for layer in range(L, 0, -1):
        a_prev = cache[f"A{layer - 1}"]
        w_old = weights[f"W{layer}"]
        l2 = 0.0 if mistake == "no_l2" else lambtha / (1 if mistake == "l2_no_m" else m)
        dw = dz @ a_prev.T / m + l2 * w_old
        db = dz.sum(axis=1, keepdims=True) / m
        if mistake == "bias_l2":
            db = db + lambtha / m * weights[f"b{layer}"]
        new[f"W{layer}"] = w_old - alpha * dw
        new[f"b{layer}"] = weights[f"b{layer}"] - alpha * db
        if layer > 1:
            w_used = new[f"W{layer}"] if mistake == "updated_w" else w_old
            derivative = 1 - a_prev if mistake == "tanh_no_square" else 1 - a_prev ** 2
            dz = (w_used.T @ dz) * derivative
            if keep_prob is not None and mistake != "no_dropout":
                if mistake != "no_mask":
                    dz = dz * cache[f"D{layer - 1}"]
                if mistake != "no_scale":
                    dz = dz / keep_prob
    return new


L2_GD_MISTAKES = {
    "updated_w": "the updated W_l is used to backpropagate to layer l-1 (use W_l before "
                 "its update)",
    "bias_l2": "the biases are regularized too",
    "l2_no_m": "the L2 term is lambtha * W instead of lambtha / m * W",
    "no_l2": "no L2 term in dW (plain gradient descent)",
    "tanh_no_square": "the tanh derivative is written 1 - A instead of 1 - A**2",
}
DROPOUT_GD_MISTAKES = {
    "no_scale": "dZ is not divided by keep_prob after applying the mask",
    "no_mask": "the dropout mask D is not applied to dZ (only the 1/keep_prob scaling is)",
    "no_dropout": "dropout is ignored in the backward pass (no mask, no 1/keep_prob)",
    "updated_w": "the updated W_l is used to backpropagate to layer l-1 (use W_l before "
                 "its update)",
    "tanh_no_square": "the tanh derivative is written 1 - A instead of 1 - A**2",
}


def _gd_case(rng, sizes, m, scaled=True, dropout=False, name_extra=""):
    L = len(sizes) - 1
    weights = _network(rng, sizes, m, scaled=scaled, zero_biases=not scaled)
    x = _inputs(rng, sizes[0], m)
    inputs = {"Y": _one_hot(rng, sizes[-1], m), "weights": weights, "L": L,
              "alpha": float(rng.uniform(0.3, 1.0))}
    if dropout:
        keep_prob = float(rng.uniform(0.5, 0.9))
        masks = {layer: (rng.uniform(size=(sizes[layer], m)) < keep_prob).astype(int)
                 for layer in range(1, L)}
        inputs.update(cache=_forward(weights, x, L, masks, keep_prob), keep_prob=keep_prob)
    else:
        inputs.update(cache=_forward(weights, x, L), lambtha=float(rng.uniform(0.5, 5.0)))
    return Case(_arch(sizes, m) + name_extra, inputs)


def _step_expected(task_file, function, hyperparameter):
    """The weights after the reference solution's step, computed on a copy."""
    reference = _reference(task_file, function)

    def expected(a):
        weights = {k: np.array(v, dtype=float) for k, v in a["weights"].items()}
        reference(a["Y"], weights, a["cache"], a["alpha"], a[hyperparameter], a["L"])
        return weights
    return expected


def l2_gd_cases(rng):
    cases = [_gd_case(rng, _sizes(rng, [(200, 300), (100, 150)]), int(rng.integers(100, 300))),
             _gd_case(rng, [5, 4, 3, 2], 7),
             _gd_case(rng, _sizes(rng, [(30, 60)] * 3, n0=40, classes=4), 60),
             _gd_case(rng, [784, 256, 128, 10], 100, scaled=False,
                      name_extra=" (official-like: randn weights, zero biases)")]
    return _with_expected(cases, _step_expected("1-l2_reg_gradient_descent.py",
                                                "l2_reg_gradient_descent", "lambtha"))


def dropout_gd_cases(rng):
    cases = [_gd_case(rng, _sizes(rng, [(200, 300), (100, 150)]), int(rng.integers(100, 300)),
                      dropout=True),
             _gd_case(rng, [5, 4, 3, 2], 7, dropout=True),
             _gd_case(rng, _sizes(rng, [(30, 60)] * 3, n0=40, classes=4), 60, dropout=True)]
    return _with_expected(cases, _step_expected("5-dropout_gradient_descent.py",
                                                "dropout_gradient_descent", "keep_prob"))


def _judge_step(case, outputs, expected, mistakes):
    """Judge a gradient step by the change it made to every W_l and b_l.

    `mistakes` is lazy: the classic-mistake models (each a whole backward pass)
    are computed only for a wrong answer."""
    args = case.inputs
    got = outputs["weights"]
    keys = [f"{p}{layer}" for layer in range(1, args["L"] + 1) for p in "Wb"]
    old = args["weights"]
    if not isinstance(got, dict) or any(to_array(got.get(k)) is None for k in keys):
        return [verdict("weights updated in place", False,
                        f"after the call, the weights dict holds {describe_value(got)}")]
    unchanged = all(np.array_equal(to_array(got[k]), old[k]) for k in keys)
    if unchanged:
        how = (" Your function returned a new dict instead: the caller's dict must hold the "
               "new values (assign weights['W1'] = ... or update the arrays in place)."
               if isinstance(outputs["returned"], dict) else "")
        return [verdict("weights updated in place", False,
                        "the caller's weights dict was not changed by the call." + how)]
    wrong = []
    for key in keys:
        step = to_array(got[key])
        step = step - old[key] if step.shape == old[key].shape else step
        check = compare_arrays(key, step, expected[key] - old[key], what=f"the change of {key}",
                               **F64)
        if not check.passed:
            wrong.append((key, check.message))
    name = "every W_l and b_l updated by one gradient step"
    if not wrong:
        return [verdict(name, True)]
    right = [k for k in keys if k not in dict(wrong)]
    message = (f"wrong: {', '.join(k for k, _ in wrong)}"
               + (f" (right: {', '.join(right)})" if right else "") + f". {wrong[0][1]}")
    for text, alternative in mistakes:
        if all(close(to_array(got[k]), alternative[k], **F64) for k in keys):
            message += f" This matches a classic mistake: {text}."
            break
    return [verdict(name, False, message)]


def _gd_judge(case, outputs, hyperparameter, mistakes_table):
    """Judge one step of task 1 (hyperparameter lambtha) or task 5 (keep_prob)."""
    a = case.inputs
    mistakes = ((text, _backprop(a["Y"], a["weights"], a["cache"], a["alpha"], a["L"],
                                 mistake=key, **{hyperparameter: a[hyperparameter]}))
                for key, text in mistakes_table.items())
    return _judge_step(case, outputs, case.context["expected"], mistakes)


def l2_gd_judge(case, outputs):
    return _gd_judge(case, outputs, "lambtha", L2_GD_MISTAKES)


def dropout_gd_judge(case, outputs):
    return _gd_judge(case, outputs, "keep_prob", DROPOUT_GD_MISTAKES)


# ------------------------------------------------------------------ task 4
def dropout_forward_cases(rng):
    cases = []
    for sizes, m in ((_sizes(rng, [(200, 300), (100, 150)]), int(rng.integers(200, 400))),
                     ([6, 5, 4, 3], 40),
                     (_sizes(rng, [(50, 90)] * 3, n0=64, classes=5), 300)):
        keep_prob = float(rng.choice([0.6, 0.65, 0.8, 0.9]))  # not 0.5: see task 6
        inputs = {"X": _inputs(rng, sizes[0], m), "weights": _network(rng, sizes, m),
                  "L": len(sizes) - 1, "keep_prob": keep_prob,
                  "np_seed": int(rng.integers(0, 2 ** 31))}
        cases.append(Case(f"{_arch(sizes, m)}, keep_prob={keep_prob}", inputs))
    return cases


def dropout_forward_judge(case, outputs):
    a = case.inputs
    L, keep_prob, weights = a["L"], a["keep_prob"], a["weights"]
    got = outputs["returned"]
    wanted = [f"A{i}" for i in range(L + 1)] + [f"D{i}" for i in range(1, L)]
    if not isinstance(got, dict):
        return [verdict("returns the cache dict", False,
                        f"expected a dict with {', '.join(wanted)}; got {describe_value(got)}")]
    missing = [k for k in wanted if k not in got]
    checks = [verdict("cache holds A0..AL and D1..D(L-1)", not missing,
                      f"missing keys: {', '.join(missing)}")]
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
            if z is not None and mask is not None and mask.shape == z.shape:
                checks.append(compare_arrays(
                    f"A{layer} = tanh(Z{layer}) * D{layer} / keep_prob", got.get(f"A{layer}"),
                    np.tanh(z) * mask / keep_prob, what=f"A{layer}",
                    mistakes=[("the kept activations are not divided by keep_prob",
                               np.tanh(z) * mask),
                              ("the mask is applied before tanh", np.tanh(z * mask) / keep_prob),
                              ("dropout is not applied", np.tanh(z))], **F64))
        elif z is not None:
            last_mask = to_array(got.get(f"D{L}"))
            mistakes = [("softmax over the wrong axis (axis=1)", _softmax(z, axis=1)),
                        ("tanh used on the output layer instead of softmax", np.tanh(z))]
            if last_mask is not None and last_mask.shape == z.shape:
                mistakes.append(("dropout is applied to the softmax layer",
                                 _softmax(z) * last_mask / keep_prob))
            checks.append(compare_arrays(f"A{L} = softmax(Z{L}), no dropout", got.get(f"A{L}"),
                                         _softmax(z), what=f"A{L}",
                                         mistakes=mistakes, **F64))
    return checks


def _judge_mask(layer, mask, shape, keep_prob):
    name = f"D{layer} is a 0/1 mask kept with probability keep_prob"
    if mask is None:
        return [verdict(name, False, f"D{layer} is missing or not numeric")]
    if mask.shape != shape:
        return [verdict(name, False, f"D{layer} must have shape {shape} (one value per unit "
                                     f"and example); got {mask.shape}")]
    if not np.isin(mask, (0.0, 1.0)).all():
        return [verdict(name, False, f"D{layer} must hold only 0 and 1; it holds values such "
                                     f"as {np.unique(mask)[:5].tolist()}")]
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


# ------------------------------------------------------------------ task 7
def _early_stopping_variant(cost, opt_cost, threshold, patience, count, mistake=None):
    improved = (opt_cost - cost >= threshold if mistake == "non_strict"
                else cost - opt_cost > threshold if mistake == "sign"
                else opt_cost - cost > threshold)
    if mistake == "no_reset_kept" and improved:
        return (count >= patience, count)
    count = count + 1 if not improved or mistake == "no_reset" else 0
    stop = count > patience if mistake == "stop_strict" else count >= patience
    return (stop, count)


EARLY_STOPPING_MISTAKES = {
    "non_strict": "a drop of exactly `threshold` resets the count (use >, not >=)",
    "stop_strict": "stop is count > patience instead of count >= patience",
    "sign": "the difference is taken the wrong way round (cost - opt_cost)",
    "no_reset": "the count never resets to 0 on an improvement",
    "no_reset_kept": "on an improvement the count is kept instead of reset to 0",
}


def early_stopping_cases(rng):
    official = [(1.0, 1.9, 0.5, 15, 5), (1.1, 1.5, 0.5, 15, 2), (1.0, 1.5, 0.5, 15, 8),
                (1.0, 1.5, 0.5, 15, 14)]
    boundary = [(2.25, 2.5, 0.25, 5, 1), (0.5, 1.0, 0.5, 3, 2), (1.0, 1.0, 0.0, 4, 3),
                (3.0, 2.0, 0.5, 10, 9), (1.0, 1.25, 0.5, 1, 0), (0.75, 1.0, 0.125, 2, 1)]
    generated = []
    while len(generated) < 30:
        opt_cost = float(np.round(rng.uniform(0.1, 5.0), 3))
        cost = float(np.round(opt_cost + rng.uniform(-1.0, 0.5), 3))
        threshold = float(np.round(rng.uniform(0.0, 0.6), 3))
        if abs((opt_cost - cost) - threshold) < 1e-6:
            continue  # ties are tested above with exact values; here rounding would decide
        patience = int(rng.integers(1, 20))
        generated.append((cost, opt_cost, threshold, patience, int(rng.integers(0, patience + 2))))
    cases = [Case("official example", {"calls": official}, public=True),
             Case("improvement of exactly threshold, stop exactly at patience",
                  {"calls": boundary}),
             Case("30 random calls", {"calls": generated})]
    reference = _reference("7-early_stopping.py", "early_stopping")
    return _with_expected(cases, lambda a: [reference(*call) for call in a["calls"]])


def early_stopping_judge(case, outputs):
    calls, got = case.inputs["calls"], outputs["returned"]
    expected = case.context["expected"]
    shapes = [g for g in got if not (isinstance(g, tuple) and len(g) == 2)]
    if shapes:
        return [verdict("returns (stop, count)", False,
                        f"expected a tuple (stop, count); got {describe_value(shapes[0])}")]
    types_ok = all(isinstance(s, (bool, np.bool_)) and isinstance(c, (int, np.integer))
                   and not isinstance(c, (bool, np.bool_)) for s, c in got)
    checks = [verdict("stop is a bool and count an int", types_ok,
                      f"got types {[(type(s).__name__, type(c).__name__) for s, c in got][:3]}")]
    wrong = [(call, exp, g) for call, exp, g in zip(calls, expected, got)
             if (bool(g[0]), _as_int(g[1])) != exp]
    message = ""
    if wrong:
        call, exp, g = wrong[0]
        message = (f"{len(wrong)} of {len(calls)} calls are wrong; e.g. early_stopping"
                   f"{call} should return {exp}, got ({g[0]}, {g[1]})")
        for key, text in EARLY_STOPPING_MISTAKES.items():
            if all((bool(g[0]), _as_int(g[1])) == _early_stopping_variant(*call, mistake=key)
                   for call, g in zip(calls, got)):
                message += f". This matches a classic mistake: {text}"
                break
    checks.append(verdict("count resets only when opt_cost - cost > threshold; "
                          "stop when count >= patience", not wrong, message))
    return checks


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------- tasks 2, 3, 6
def l2_tf_cost_cases(rng):
    cases = []
    for lambthas, activations in (((0.09, 0.03, 0.2), ("tanh", "sigmoid", "none")),
                                  ((0.05, None, 0.02, 0.5), ("tanh", "relu", "sigmoid", "none"))):
        m = int(rng.integers(100, 300))
        sizes = [784] + [int(rng.integers(10, 300)) for _ in lambthas[:-1]] + [10]
        kernels = [(rng.standard_normal((fan_in, fan_out)) * np.sqrt(4.0 / (fan_in + fan_out)))
                   .astype(np.float32) for fan_in, fan_out in zip(sizes, sizes[1:])]
        inputs = {"X": rng.uniform(0, 1, (m, 784)).astype(np.float32),
                  "Y": _one_hot(rng, 10, m).T.astype(np.float32), "kernels": kernels,
                  "biases": [(rng.standard_normal(n) * 0.1).astype(np.float32)
                             for n in sizes[1:]],
                  "lambthas": list(lambthas), "activations": list(activations)}
        regularized = sum(lam is not None for lam in lambthas)
        cases.append(Case(f"{ARROW.join(map(str, sizes))}, m={m}, {regularized} regularized "
                          f"layers", inputs))
    return _with_expected(cases, _l2_tf_cost_parts)


def _l2_tf_cost_parts(a):
    """The network's cost (mean softmax cross-entropy) and each regularized layer's loss."""
    out = a["X"].astype(np.float64)
    for kernel, bias, activation in zip(a["kernels"], a["biases"], a["activations"]):
        out = _apply(activation, out @ kernel + bias)
    log_softmax = out - out.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    cost = -np.mean(np.sum(a["Y"] * log_softmax, axis=1))
    losses = np.array([lam * np.sum(np.square(k, dtype=np.float64))
                       for lam, k in zip(a["lambthas"], a["kernels"]) if lam is not None])
    return {"cost": cost, "losses": losses}


def l2_tf_cost_judge(case, outputs):
    cost, losses = case.context["expected"]["cost"], case.context["expected"]["losses"]
    mistakes = [("a single total (tf.losses.get_regularization_loss(), singular): the task "
                 "wants one entry per regularized layer", cost + losses.sum()),
                ("the regularization losses without the cost", losses),
                ("everything summed into one number", np.sum(cost + losses))]
    return [compare_arrays("cost + each layer's L2 loss, one entry per regularized layer",
                           outputs.get("result"), cost + losses,
                           what="the returned tensor's value", mistakes=mistakes, **F32)]


def _layer_case(rng, n0, n, activation, m, extra_args, kwargs, label):
    inputs = {"X": rng.uniform(0, 1, (m, n0)).astype(np.float32), "n": n,
              "activation": activation, "extra_args": extra_args, "kwargs": kwargs,
              "tf_seed": int(rng.integers(0, 2 ** 31))}
    return Case(f"{n0}\u2192{n}, {activation}, m={m}, {label}", inputs)


def l2_layer_cases(rng):
    return [_layer_case(rng, 784, 256, "tanh", 64, [0.05], {}, "lambtha=0.05"),
            _layer_case(rng, 300, int(rng.integers(20, 80)), "sigmoid", 32,
                        [float(np.round(rng.uniform(0.1, 2.0), 3))], {}, "random lambtha"),
            _layer_case(rng, 128, 512, "relu", 16, [0.0], {}, "lambtha=0"),
            _layer_case(rng, 784, 10, "none", 16, [0.3], {}, "lambtha=0.3")]


def dropout_layer_cases(rng):
    keep = float(rng.choice([0.6, 0.7, 0.8]))  # never 0.5: keep and drop rates must differ
    return [_layer_case(rng, 784, 256, "tanh", 128, [keep], {"training": True},
                        f"keep_prob={keep}, training=True"),
            _layer_case(rng, 300, 64, "sigmoid", 200, [0.65], {},
                        "keep_prob=0.65, training left to its default"),
            _layer_case(rng, 784, 256, "tanh", 128, [keep], {"training": False},
                        f"keep_prob={keep}, training=False")]


def _apply(activation, z):
    return {"tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
            "relu": lambda v: np.maximum(v, 0), "none": lambda v: v,
            "softmax": lambda v: _softmax(v, axis=1)}[activation](z)


def _dense_variables(case, outputs):
    """(kernel, bias, failing check or None) from the variables the student's graph made."""
    n0, n = case.inputs["X"].shape[1], case.inputs["n"]
    values = outputs.get("variables") or []
    arrays = [to_array(v) for v in values]
    kernels = [a for a in arrays if a is not None and a.shape == (n0, n)]
    biases = [a for a in arrays if a is not None and a.shape == (n,)]
    names = outputs.get("variable_names") or []
    if len(kernels) != 1 or len(biases) != 1 or len(arrays) != 2:
        return None, None, verdict(
            "creates one dense layer", False,
            f"expected exactly one kernel of shape ({n0}, {n}) and one bias of shape ({n},); "
            f"the graph holds {len(arrays)} variables: "
            + ", ".join(f"{nm} {None if a is None else a.shape}"
                        for nm, a in zip(names, arrays))[:300])
    return kernels[0], biases[0], verdict("creates one dense layer", True)


def _initializer_check(kernel):
    """Is the kernel a draw of VarianceScaling(2.0, 'fan_avg'), truncated normal?"""
    fan_in, fan_out = kernel.shape
    base = np.sqrt(2.0 / ((fan_in + fan_out) / 2))
    candidates = {
        "VarianceScaling(scale=2.0, mode='fan_avg'), truncated normal":
            truncated_normal_cdf(base / 0.87962566103423978),
        "glorot uniform (the default when no kernel_initializer is given)":
            uniform_cdf(np.sqrt(6.0 / (fan_in + fan_out))),
        "VarianceScaling(scale=2.0, mode='fan_in') (he_normal)":
            truncated_normal_cdf(np.sqrt(2.0 / fan_in) / 0.87962566103423978),
        "VarianceScaling(scale=2.0, mode='fan_avg') with an untruncated normal":
            normal_cdf(base),
        "VarianceScaling(scale=2.0, mode='fan_avg') with a uniform distribution":
            uniform_cdf(np.sqrt(3.0) * base),
        "glorot normal (scale=1.0)":
            truncated_normal_cdf(np.sqrt(1.0 / ((fan_in + fan_out) / 2)) / 0.87962566103423978),
    }
    right = next(iter(candidates))
    bound = dkw_bound(kernel.size)
    name = "kernel initializer is VarianceScaling(scale=2.0, mode='fan_avg')"
    if ks_distance(kernel, candidates[right]) <= bound:
        return verdict(name, True)
    distances = {law: ks_distance(kernel, cdf) for law, cdf in candidates.items()}
    closest = min(distances, key=distances.get)
    message = (f"the kernel's values (std {kernel.std():.4g}, max |w| {np.abs(kernel).max():.4g}"
               f") do not follow VarianceScaling(scale=2.0, mode='fan_avg') (truncated normal, "
               f"std {base:.4g}): KS distance {distances[right]:.4f} > {bound:.4f}.")
    if closest != right:
        message += f" They look like {closest}."
    return verdict(name, False, message)


def _pre_activation(case, kernel, bias):
    return case.inputs["X"].astype(np.float64) @ kernel + bias


def l2_layer_judge(case, outputs):
    kernel, bias, layer_check = _dense_variables(case, outputs)
    if kernel is None:
        return [layer_check]
    activation = case.inputs["activation"]
    z = _pre_activation(case, kernel, bias)
    mistakes = [(f"the activation is {other} instead of the one passed in", _apply(other, z))
                for other in ("tanh", "sigmoid", "relu", "none") if other != activation]
    checks = [layer_check,
              compare_arrays("output = activation(prev @ kernel + bias)", outputs.get("output"),
                             _apply(activation, z), what="the layer's output",
                             mistakes=mistakes, **F32)]
    if case.inputs["n"] * case.inputs["X"].shape[1] >= 10_000:
        checks.append(_initializer_check(kernel))
    lambtha = case.inputs["extra_args"][0]
    losses = [to_array(v) for v in outputs.get("reg_losses") or []]
    expected = lambtha * np.sum(kernel ** 2)
    name = "kernel L2 loss lambtha * sum(kernel**2) registered"
    if len(losses) != 1 or losses[0] is None or losses[0].size != 1:
        hint = (" (kernel_regularizer missing? A tf.keras.layers.Dense keeps its loss to "
                "itself: use tf.layers.Dense)" if not losses else
                " (only the kernel is regularized: no bias_regularizer)")
        checks.append(verdict(name, False, f"expected one regularization loss in the graph; "
                                           f"found {len(losses)}{hint}"))
    else:
        checks.append(compare_arrays(name, losses[0].reshape(()), expected,
                                     what="the regularization loss",
                                     mistakes=[("half the L2 loss (tf.nn.l2_loss or "
                                                "L2(lambtha / 2))", expected / 2),
                                               ("the loss is on the bias", lambtha * np.sum(
                                                   bias ** 2))], **F32))
    return checks


def dropout_layer_judge(case, outputs):
    kernel, bias, layer_check = _dense_variables(case, outputs)
    if kernel is None:
        return [layer_check]
    keep_prob = case.inputs["extra_args"][0]
    dense = _apply(case.inputs["activation"], _pre_activation(case, kernel, bias))
    checks = [layer_check, _initializer_check(kernel),
              verdict("no regularization loss", not outputs.get("reg_losses"),
                      "the layer registers a regularization loss; this task asks for none")]
    got = to_array(outputs.get("output"))
    name = ("dropout keeps units with probability keep_prob and scales them by 1/keep_prob"
            if case.inputs["kwargs"].get("training", True)
            else "training=False: the output is the dense layer's, untouched")
    if got is None or got.shape != dense.shape:
        checks.append(verdict(name, False, f"expected an output of shape {dense.shape}; got "
                                           f"{describe_value(outputs.get('output'))}"))
        return checks
    if not case.inputs["kwargs"].get("training", True):
        check = compare_arrays(name, got, dense, what="the output", **F32)
        if not check.passed and np.mean(got == 0) > 0.05:
            check = verdict(name, False, check.message + " Some units are dropped: dropout "
                                                         "must be the identity when training "
                                                         "is False.")
        return checks + [check]
    checks.append(_judge_dropout_output(name, got, dense, keep_prob, case))
    return checks


def _judge_dropout_output(name, got, dense, keep_prob, case):
    usable = np.abs(dense) > 1e-3
    kept = usable & (got != 0)
    trials, kept_count = int(usable.sum()), int(kept.sum())
    if kept_count == trials:
        hint = (" Nothing was dropped: is `training` passed on to the dropout layer?"
                if np.allclose(got, dense, **F32) else "")
        return verdict(name, False, f"no unit of the {trials} was dropped ({case.name}).{hint}")
    scale = got[kept] / dense[kept]
    if not np.allclose(scale, 1 / keep_prob, rtol=F32["rtol"] * 10):
        hint = (" Kept units are not scaled: they must be divided by keep_prob."
                if np.allclose(scale, 1.0, rtol=1e-3) else
                " Kept units are scaled by 1/(1 - keep_prob): keep_prob was used as the drop "
                "rate (rate = 1 - keep_prob)." if np.allclose(scale, 1 / (1 - keep_prob),
                                                              rtol=1e-3) else
                f" Kept units are scaled by about {np.median(scale):.4g} instead of "
                f"1/keep_prob = {1 / keep_prob:.4g}.")
        return verdict(name, False, f"the kept units are not the dense output / keep_prob "
                                    f"({case.name}).{hint}")
    low, high = binomial_interval(trials, keep_prob)
    if not low <= kept_count <= high:
        swapped = binomial_interval(trials, 1 - keep_prob)
        hint = (" It keeps units with probability 1 - keep_prob: rate is the probability to "
                "DROP (rate = 1 - keep_prob)." if swapped[0] <= kept_count <= swapped[1] else "")
        return verdict(name, False, f"{kept_count} of {trials} units kept "
                                    f"({kept_count / trials:.3f}); with keep_prob={keep_prob}"
                                    f" a count in [{low}, {high}] is expected.{hint}")
    return verdict(name, True)


TASKS = {
    "0": TaskChecks(l2_cost_cases, l2_cost_judge),
    "1": TaskChecks(l2_gd_cases, l2_gd_judge),
    "2": TaskChecks(l2_tf_cost_cases, l2_tf_cost_judge),
    "3": TaskChecks(l2_layer_cases, l2_layer_judge),
    "4": TaskChecks(dropout_forward_cases, dropout_forward_judge),
    "5": TaskChecks(dropout_gd_cases, dropout_gd_judge),
    "6": TaskChecks(dropout_layer_cases, dropout_layer_judge),
    "7": TaskChecks(early_stopping_cases, early_stopping_judge),
}
