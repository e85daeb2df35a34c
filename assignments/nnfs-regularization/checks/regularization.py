"""Task regularization_loss: the penalty of a layer, called several times on one instance
of the student's loss (a real file accumulates it on `self` and is right only once)."""
import numpy as np

from grader.authoring import Case, MistakeTable, verdict

from .common import as_list, compare, finite_array, teaching
from .data import away_from_zero, factors, reference_layer

REGULARIZATION_MISTAKES = {
    "weights_only": "the biases' terms are missing: only the weights are penalized",
    "l2_not_squared": "the L2 term sums |W| (or W) instead of W**2",
    "l1_no_abs": "the L1 term sums the values instead of their absolute values",
    "l1_bias_from_weights": "the bias L1 term is built from the weights: "
                            "bias_regularizer_l1 * sum(|weights|) instead of sum(|biases|)",
    "l2_bias_from_weights": "the bias L2 term is built from the weights: "
                            "bias_regularizer_l2 * sum(weights**2) instead of sum(biases**2)",
    # before "assigned": on a layer without L1 factors both drop the same terms
    "l2_only_with_l1": "an L2 term is counted only when its L1 factor is set: the "
                       "`if ..._l2 > 0:` block is indented inside the L1 one",
    "assigned": "a term is computed but not added: `regularization_loss = ...` instead of "
                "`+=` keeps only the last term",
    "mean": "the terms average the parameters (np.mean) instead of summing them (np.sum)",
    "l2_square_of_sum": "the L2 term squares the sum (np.sum(W) ** 2) instead of summing the "
                        "squares (np.sum(W * W))",
}
ACCUMULATES = ("the loss is accumulated on the instance (self.regularization_loss += ...) "
               "across calls: start from 0 in every call")
# (label, layers of the call): the same layer twice, another layer, the first again, both,
# and a third layer whose factors are B's complement (an L2 term set without its L1 one).
CALLS = [("layer A", [0]), ("layer A again", [0]), ("layer B", [1]),
         ("layer A a third time", [0]), ("layers A and B together", [0, 1]), ("layer C", [2])]
TOLERANCE = {"rtol": 1e-9, "atol": 1e-12}


def _penalty(layer, mistake=None):
    """The regularization loss of one layer (a dict of weights, biases and factors)."""
    w, b, f = layer["weights"], layer["biases"], layer["factors"]
    total = np.mean if mistake == "mean" else np.sum
    l1 = (lambda v: total(v)) if mistake == "l1_no_abs" else (lambda v: total(np.abs(v)))
    l2 = {"l2_not_squared": lambda v: total(np.abs(v)),
          "l2_square_of_sum": lambda v: total(v) ** 2}.get(mistake, lambda v: total(v * v))
    nested = mistake == "l2_only_with_l1"
    terms = [f["weight_l1"] * l1(w), f["weight_l2"] * l2(w) * (f["weight_l1"] > 0 or not nested)]
    if mistake != "weights_only":
        terms += [f["bias_l1"] * l1(w if mistake == "l1_bias_from_weights" else b),
                  f["bias_l2"] * l2(w if mistake == "l2_bias_from_weights" else b)
                  * (f["bias_l1"] > 0 or not nested)]
    if mistake == "assigned":
        set_terms = [t for t, k in zip(terms, ("weight_l1", "weight_l2", "bias_l1", "bias_l2"))
                     if f[k] > 0]
        return set_terms[-1] if set_terms else 0.0
    return float(sum(terms))


def regularization_loss_cases(ctx):
    rng = ctx.rng
    layers = [{"weights": away_from_zero(rng, (4, 3)), "biases": away_from_zero(rng, (1, 3)),
               "factors": factors(rng, ("weight_l1", "weight_l2", "bias_l1", "bias_l2"))},
              {"weights": away_from_zero(rng, (3, 5)), "biases": away_from_zero(rng, (1, 5)),
               "factors": factors(rng, ("weight_l2", "bias_l1"))},
              {"weights": away_from_zero(rng, (2, 4)), "biases": away_from_zero(rng, (1, 4)),
               "factors": factors(rng, ("weight_l1", "bias_l2"))}]
    loss = ctx.reference("Loss")()
    expected = [sum(loss.regularization_loss(
        reference_layer(ctx, layers[i]["weights"], layers[i]["biases"], layers[i]["factors"]))
        for i in call) for _, call in CALLS]
    return [Case("layer A (every factor set), layer B (weight L2 and bias L1 only), "
                 "layer C (weight L1 and bias L2 only)",
                 {"layers": layers, "calls": [call for _, call in CALLS]},
                 context={"expected": expected, "noun": "loss"})]


@teaching
def regularization_loss_judge(case, outputs):
    layers = case.inputs["layers"]
    expected = case.context["expected"]
    values = as_list(outputs.get("values"))
    checks = []
    for index, ((label, call), got, wanted) in enumerate(zip(CALLS, values, expected)):
        mistakes = list(MistakeTable(REGULARIZATION_MISTAKES,
                                     lambda k, call=call: sum(_penalty(layers[i], k)
                                                              for i in call)))
        if index:
            mistakes.insert(0, (ACCUMULATES, sum(expected[:index + 1])))
        checks.append(compare(f"L1/L2 penalty of {label}", got, wanted,
                              what=f"the regularization loss of {label}", mistakes=mistakes,
                              **TOLERANCE))
    checks.append(_same_every_time(values, expected))
    return checks


def _same_every_time(values, expected):
    """One check that the three calls on layer A agree: the mistake this task is known for."""
    name = "the same layer gives the same penalty every time"
    a_calls = [i for i, (label, _) in enumerate(CALLS) if label.startswith("layer A")]
    got = [finite_array(values[i]) if i < len(values) else None for i in a_calls]
    if any(g is None or g.size != 1 for g in got):
        return verdict(name, False, "the calls on layer A did not all return one number")
    firsts = [float(g.ravel()[0]) for g in got]
    if np.allclose(firsts, firsts[0], **TOLERANCE):
        return verdict(name, True)
    return verdict(name, False, (
        f"three calls on the same layer returned {', '.join(f'{v:.8g}' for v in firsts)} "
        f"(expected {expected[a_calls[0]]:.8g} each time). This matches a classic mistake: "
        f"{ACCUMULATES}."))
