"""Tasks 0 and 1: the L2 regularization cost and gradient descent with L2 (NumPy)."""
import dataclasses

import numpy as np

from grader.authoring import Case, MistakeTable, compare_arrays, to_array

from .common import F64, leaves_unchanged, teaching, with_expected
from .gradient_step import SHARED_STEP_MISTAKES, gd_case, judge_gd, step_expected
from .network import arch, random_network, random_sizes


# ------------------------------------------------------------------ task 0
def _l2_cost_variant(cost, lambtha, weights, L, m, mistake=None):
    layers = range(1, L + 1)
    keys = [f"W{i}" for i in layers]
    if mistake == "biases":
        keys += [f"b{i}" for i in layers if f"b{i}" in weights]
    elif mistake == "all_keys":
        keys = [k for k in weights if k.startswith("W")]
    elif mistake == "all_values":
        keys = list(weights)
    elif mistake == "last_skipped":
        keys = keys[:-1]
    if mistake == "unsquared":
        penalty = sum(np.linalg.norm(weights[k]) for k in keys)
    else:
        penalty = sum(np.sum(np.square(weights[k])) for k in keys)
    factor = (lambtha / m if mistake == "no_half" else lambtha / 2 * m if mistake == "precedence"
              else lambtha / (2 * m))
    if mistake == "penalty_only":
        return np.zeros_like(np.asarray(cost, dtype=float)) + factor * penalty
    return cost + factor * penalty


L2_COST_MISTAKES = {
    "biases": "biases are regularized too (only W1..WL count)",
    "unsquared": "this is the unsquared Frobenius norm an older edition of this project asked "
                 "for; this assignment asks the squared norm (np.sum(W ** 2), or "
                 "np.linalg.norm(W) ** 2)",
    "no_half": "lambtha / m instead of lambtha / (2 * m)",
    "precedence": "lambtha / 2 * m multiplies by m: Python reads it as (lambtha / 2) * m; "
                  "write lambtha / (2 * m)",
    "all_keys": "every W key of the dict is summed, not only W1..WL (use L)",
    "all_values": "every entry of the dict is summed (weights.values() holds the biases, and "
                  "maybe more layers than L): only W1..WL count",
    "last_skipped": "the last layer WL is left out (range(1, L) instead of range(1, L + 1))",
    "penalty_only": "only the penalty is returned, without the cost",
}


def l2_cost_cases(ctx):
    rng = ctx.rng
    legacy = np.random.RandomState(0)  # the statement's official example, bit for bit
    official = {f"W{i}": legacy.randn(*shape) for i, shape in
                enumerate([(256, 784), (128, 256), (10, 128)], start=1)}
    cost = np.abs(legacy.randn(1))
    cases = [Case("official example", {"cost": cost, "lambtha": 0.1, "weights": official,
                                       "L": 3, "m": 1000},
                  context={"printed": 12.11229237}, public=True)]
    sizes = random_sizes(rng, [(100, 300), (50, 150)])
    m = int(rng.integers(500, 5000))
    weights = random_network(rng, sizes + [7], m, scaled=False)  # W4/b4: keys beyond L
    cases.append(Case(f"{arch(sizes, m)}, biases, extra keys W4/b4, L=3",
                      {"cost": np.abs(rng.standard_normal(1)), "weights": weights, "L": 3,
                       "m": m, "lambtha": float(rng.uniform(0.05, 2.0))}))
    weights = random_network(rng, [6, 5, 4, 3], 9, scaled=False)
    cases.append(Case("6\u21925\u21924\u21923, m=9, float cost, L=2 of 3 layers",
                      {"cost": float(rng.uniform(0.1, 3)), "weights": weights, "L": 2,
                       "m": 9, "lambtha": float(rng.uniform(0.5, 5.0))}))
    reference = ctx.reference()
    return with_expected(cases, lambda a: reference(a["cost"], a["lambtha"], a["weights"],
                                                    a["L"], a["m"]))


@teaching
def l2_cost_judge(case, outputs):
    args = case.inputs
    expected = case.context["expected"]
    mistakes = MistakeTable(L2_COST_MISTAKES, lambda key: _l2_cost_variant(
        args["cost"], args["lambtha"], args["weights"], args["L"], args["m"], key))
    checks = [compare_arrays("cost + lambtha/(2m) * sum of squared W1..WL",
                             outputs["returned"], expected, what="the returned cost",
                             mistakes=mistakes, **F64)]
    if "printed" in case.context:
        checks.append(compare_arrays("matches the official output [12.11229237]",
                                     outputs["returned"], [case.context["printed"]],
                                     what="the printed cost", rtol=0, atol=5e-9,
                                     mistakes=mistakes))
    if outputs["returned"] is not None:  # a stub earns nothing for leaving weights alone
        checks.append(leaves_unchanged(case, outputs, ["weights"], hints=_squared_in_place))
    return [_shape_of_cost(check, outputs["returned"], args["cost"]) for check in checks]


def _shape_of_cost(check, returned, cost):
    """A cost returned as a plain number where the caller passed an array: say how the
    shape was lost."""
    got = to_array(returned)
    if check.passed or got is None or got.ndim or not np.ndim(cost):
        return check
    return dataclasses.replace(check, message=(
        f"{check.message} The result must keep the shape of cost "
        f"{tuple(np.shape(cost))}: float(...), .item() or np.squeeze turn it into a plain "
        f"number; return cost + the penalty as it is."))


def _squared_in_place(found):
    return ("W **= 2 (or np.square(W, out=W)) on W = weights['W1'] squares the caller's "
            "own array, and its network is lost: write np.sum(W ** 2) or "
            "np.sum(np.square(W)), which make new arrays."
            if any("holds new values" in f for f in found) else "")


# ------------------------------------------------------------------ task 1
L2_GD_MISTAKES = {
    "updated_w": "the updated W_l is used to backpropagate to layer l-1 (use W_l before "
                 "its update)",
    "bias_l2": "the biases are regularized too",
    "l2_no_m": "the L2 term is lambtha * W instead of lambtha / m * W",
    "l2_half": "the L2 term is lambtha / (2 * m) * W: the derivative of "
               "lambtha / (2 * m) * ||W||^2 is lambtha / m * W",
    "no_l2": "no L2 term in dW (plain gradient descent)",
    **SHARED_STEP_MISTAKES,
}


def l2_gd_cases(ctx):
    rng = ctx.rng
    cases = [gd_case(rng, random_sizes(rng, [(200, 300), (100, 150)]),
                     int(rng.integers(100, 300))),
             gd_case(rng, [5, 4, 3, 2], 7),
             gd_case(rng, random_sizes(rng, [(30, 60)] * 3, n0=40, classes=4), 60),
             gd_case(rng, [784, 256, 128, 10], 100, scaled=False,
                     name_extra=" (official-like: randn weights, zero biases)")]
    return with_expected(cases, step_expected(ctx, "lambtha"))


@teaching
def l2_gd_judge(case, outputs):
    return judge_gd(case, outputs, "lambtha", L2_GD_MISTAKES)
