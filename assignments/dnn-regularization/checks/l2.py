"""compute_cost_with_regularization and backward_propagation_with_regularization.

Compared with the reference on generated networks (biases not zero, so that
regularizing them shows), and with the published outputs on the course's test
cases ("official example"). Classic mistakes are computed on the side.
"""
from grader.authoring import Case, MistakeTable, describe_value, verdict

from .common import (PRINTED, as_number, compare, compare_entries, course_example,
                     gradients_dict)
from .network import backward, forward, l2_cost, random_network

PUBLISHED_COST = 1.78648594516  # lambd = 0.1
PUBLISHED_GRADIENTS = {  # lambd = 0.7
    "dW1": [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
    "dW2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]],
    "dW3": [[-1.77691347, -0.11832879, -0.09397446]],
}
WEIGHTS = ("dW1", "dW2", "dW3")
BIASES = ("db1", "db2", "db3")

COST_MISTAKES = {
    "biases": "the biases are regularized too (only W1, W2 and W3 are)",
    "over_m": "lambd / m instead of lambd / (2 * m)",
    "precedence": "lambd / 2 * m multiplies by m: Python reads it as (lambd / 2) * m; write "
                  "lambd / (2 * m)",
    "no_m": "lambd / 2 without the division by m",
    "unsquared": "the Frobenius norms are not squared (use np.sum(np.square(W)))",
    "plain_sum": "the weights are summed, not their squares",
    "sum_squared": "the sum of each weight matrix is squared, np.square(np.sum(W)), instead "
                   "of summing the squares, np.sum(np.square(W))",
    "no_cross_entropy": "the cross-entropy part (compute_cost(A3, Y)) is left out",
}
GRADIENT_MISTAKES = {
    "no_over_m": "the added gradient is lambd * W, missing the 1 / m",
    "over_2m": "the added gradient is lambd / (2 * m) * W: the derivative of "
               "lambd / (2m) * W^2 is lambd / m * W",
    "missing": "no regularization term is added to dW",
    "biases": "the biases are regularized too: db gets lambd / m * b",
}


def _generated(rng, count):
    """`count` generated networks: (sizes, m, lambd, (X, Y, parameters))."""
    for _ in range(count):
        m = int(rng.integers(5, 40))
        sizes = (int(rng.integers(2, 5)), int(rng.integers(5, 21)), int(rng.integers(3, 8)))
        lambd = round(float(rng.uniform(0.05, 2.0)), 3)
        yield sizes, m, lambd, random_network(rng, *sizes, m)


# ------------------------------------------------------------------ the cost
def cost_cases(ctx):
    function = ctx.reference("compute_cost_with_regularization")
    A3, Y, parameters = course_example(ctx, "compute_cost_with_regularization")
    cases = [Case("official example: the course's test case, lambd = 0.1",
                  {"A3": A3, "Y": Y, "parameters": parameters, "lambd": 0.1}, public=True,
                  context={"published": PUBLISHED_COST})]
    for sizes, m, lambd, (X, labels, parameters) in _generated(ctx.rng, 3):
        A3 = forward(X, parameters)[9]
        inputs = {"A3": A3, "Y": labels, "parameters": parameters, "lambd": lambd}
        cases.append(Case(f"layers {sizes + (1,)}, m = {m}, lambd = {lambd}", inputs,
                          context={"expected": float(function(A3, labels, parameters, lambd))}))
    return cases


def cost_judge(case, outputs):
    got, a = outputs["returned"], case.inputs
    if as_number(got) is None:
        several = (" The function returns several values (a tuple, as `return cost, "
                   "L2_regularization_cost` makes): return the cost alone."
                   if isinstance(got, tuple) else "")
        return [verdict("the cost is one number", False,
                        f"the cost must be one number; got {describe_value(got)}.{several}")]
    mistakes = MistakeTable(COST_MISTAKES, lambda key: l2_cost(a["A3"], a["Y"], a["parameters"],
                                                               a["lambd"], key))
    if "published" in case.context:
        return [compare(f"official example: the published cost {PUBLISHED_COST}", got,
                        case.context["published"], "the cost", mistakes,
                        {"rtol": 0.0, "atol": 1e-10})]
    return [compare("cost = cross-entropy + lambd / (2m) * (sum W1^2 + sum W2^2 + sum W3^2)",
                    got, case.context["expected"], "the cost", mistakes)]


# ------------------------------------------------------------------ the gradients
def backward_cases(ctx):
    function = ctx.reference("backward_propagation_with_regularization")
    X, Y, cache = course_example(ctx, "backward_propagation_with_regularization")
    cases = [Case("official example: the course's test case, lambd = 0.7",
                  {"X": X, "Y": Y, "cache": cache, "lambd": 0.7}, public=True,
                  context={"published": PUBLISHED_GRADIENTS})]
    for sizes, m, lambd, (X, labels, parameters) in _generated(ctx.rng, 2):
        cache = forward(X, parameters)
        expected = function(X, labels, cache, lambd)
        cases.append(Case(f"layers {sizes + (1,)}, m = {m}, lambd = {lambd}",
                          {"X": X, "Y": labels, "cache": cache, "lambd": lambd},
                          context={"expected": {k: expected[k] for k in WEIGHTS + BIASES}}))
    return cases


def backward_judge(case, outputs):
    got, a = outputs["returned"], case.inputs
    name = "returns the gradients dict"
    wrong = gradients_dict(name, got, WEIGHTS + BIASES)
    if wrong:
        return [wrong]
    variants = {}

    def mistakes(key):
        return MistakeTable(GRADIENT_MISTAKES,
                            lambda mistake: _variant(variants, a, mistake)[key])
    if "published" in case.context:
        return [compare_entries("official example: dW1, dW2 and dW3 match the published "
                                "output", got, case.context["published"], WEIGHTS, mistakes,
                                PRINTED)]
    expected = case.context["expected"]
    return [verdict(name, True),
            compare_entries("dW1, dW2, dW3: the baseline gradients + (lambd / m) * W", got,
                            expected, WEIGHTS, mistakes),
            compare_entries("db1, db2, db3: the baseline gradients (biases are not "
                            "regularized)", got, expected, BIASES, mistakes)]


def _variant(variants, inputs, mistake):
    """The gradients under one mistake, computed once per judged case."""
    if mistake not in variants:
        variants[mistake] = backward(inputs["X"], inputs["Y"], inputs["cache"],
                                     lambd=inputs["lambd"], mistake=mistake)
    return variants[mistake]
