"""Tasks `l1_penalty`, `l2_penalty` and `penalty_gradients`: the weight penalties over every
matrix of a list, and their gradients. Each matrix has its own scale, so that a penalty
that scales one matrix differently from the others (the seed's operator precedence)
cannot pass."""
import numpy as np

from grader.authoring import Case, MistakeTable, compare_arrays, verdict

from .common import (compare_naming, first_failure, matrix_list, network_shapes,
                     random_weights, tolerance)

PRECEDENCE = ("only the first matrix is multiplied by lam / {m}: `lam/{m} * np.sum(...W1...) "
              "+ np.sum(...W2...) + ...` adds the other sums unscaled (the seed's operator "
              "precedence): put the whole sum in parentheses")

L1_MISTAKES = {
    "precedence": PRECEDENCE.format(m="m"),
    "no_m": "the penalty is not divided by m (lam * sum of |W|)",
    "halved": "lam / (2 m): the 1/2 belongs to the L2 penalty only",
    "squares": "the squares are summed: that is the L2 penalty's sum of W ** 2",
    "first_only": "only the first matrix counts",
    "last_skipped": "the last matrix is left out",
    "mean": "np.mean instead of np.sum: each matrix's mean |W| is summed",
    "matrix_norm": "np.linalg.norm(W, 1) of a matrix is its largest column sum of |W|, not "
                   "the sum of every |W|: use np.sum(np.abs(W)) (or np.linalg.norm(W.ravel(), 1))",
}

L2_MISTAKES = {
    "precedence": PRECEDENCE.format(m="(2 m)"),
    "lam_over_2_times_m": "lam / 2 * m multiplies by m: Python reads it as (lam / 2) * m; "
                          "write lam / (2 * m)",
    "no_half": "lam / m instead of lam / (2 m)",
    "no_m": "the penalty is not divided by m",
    "unsquared": "the norms are not squared (np.linalg.norm(W) instead of its square)",
    "absolute": "absolute values are summed: that is the L1 penalty",
    "first_only": "only the first matrix counts",
    "last_skipped": "the last matrix is left out",
    "mean": "np.mean instead of np.sum: each matrix's mean W ** 2 is summed",
    "spectral_norm": "np.linalg.norm(W, 2) of a matrix is its largest singular value, not the "
                     "root of the sum of W ** 2: use np.sum(W ** 2) (or np.linalg.norm(W) ** 2, "
                     "whose default for a matrix is that root)",
}

GRADIENT_MISTAKES = {
    "l1_no_m": "the L1 term is lam_l1 * sign(W): divide it by m too",
    "l2_no_m": "the L2 term is lam_l2 * W: divide it by m too",
    "l2_halved": "the L2 term is lam_l2 / (2 m) * W: the derivative of lam / (2 m) * W ** 2 "
                 "is lam / m * W",
    "l2_doubled": "the L2 term is 2 * lam_l2 / m * W: the 1/2 of the penalty cancels the 2",
    "swapped": "lam_l1 and lam_l2 are swapped (lam_l2 / m * sign(W) + lam_l1 / m * W)",
    "absolute": "|W| instead of sign(W) in the L1 term",
    "sign_of_zero_positive": "a zero weight gets sign +1 (np.where(W >= 0, 1, -1)); "
                             "np.sign(0) is 0, so pruned weights get no push",
    "sign_of_zero_negative": "a zero weight gets sign -1 (np.where(W > 0, 1, -1)); "
                             "np.sign(0) is 0, so pruned weights get no push",
    "sign_by_division": "sign(W) is computed as W / |W|: 0 / 0 is NaN for every zero (pruned) "
                        "weight; use np.sign(W), which is 0 at 0",
    "positive_indicator": "(W > 0) instead of sign(W) in the L1 term: negative weights get 0 "
                          "instead of -1",
    "l1_only": "the L2 term is missing",
    "l2_only": "the L1 term is missing",
}


def _matrix_cases(rng, gradients=False):
    """Calls on the seed's network shapes and on two other lists of matrices; for the
    gradients, a fifth of the entries are zero (pruned: the sign of 0 matters)."""
    cases = []
    for name, shapes, scales, m in (
            ("the network's 3 matrices (hidden=32)", network_shapes(32), (0.05, 0.5, 2.0), 1079),
            ("3 matrices (hidden=128)", network_shapes(128), (1.5, 0.02, 0.3), 50),
            ("a list of 2 matrices", [(5, 4), (4, 3)], (3.0, 0.1), 7)):
        weights = random_weights(rng, shapes, scales)
        lams = [round(float(rng.uniform(0.1, 3.0)), 3) for _ in range(2)]
        if gradients:
            for w in weights:
                w[rng.random(w.shape) < 0.2] = 0.0
            inputs = {"weights": weights, "lam_l1": lams[0], "lam_l2": lams[1], "m": m}
        else:
            inputs = {"weights": weights, "lam": lams[0], "m": m}
        cases.append(Case(f"{name}, m={m}", inputs))
    return cases


def _l1_variant(weights, lam, m, key):
    totals = [np.sum(np.abs(w)) for w in weights]
    if key == "precedence":
        return lam / m * totals[0] + sum(totals[1:])
    if key == "squares":
        return lam / m * sum(np.sum(w ** 2) for w in weights)
    if key == "mean":
        return lam / m * sum(np.mean(np.abs(w)) for w in weights)
    if key == "matrix_norm":
        return lam / m * sum(np.linalg.norm(w, 1) for w in weights)
    totals = totals[:1] if key == "first_only" else totals[:-1] if key == "last_skipped" \
        else totals
    factor = {"no_m": lam, "halved": lam / (2 * m)}.get(key, lam / m)
    return factor * sum(totals)


def _l2_variant(weights, lam, m, key):
    totals = [np.sum(w ** 2) for w in weights]
    if key == "precedence":
        return lam / (2 * m) * totals[0] + sum(totals[1:])
    if key == "unsquared":
        return lam / (2 * m) * sum(np.linalg.norm(w) for w in weights)
    if key == "absolute":
        return lam / (2 * m) * sum(np.sum(np.abs(w)) for w in weights)
    if key == "mean":
        return lam / (2 * m) * sum(np.mean(w ** 2) for w in weights)
    if key == "spectral_norm":
        return lam / (2 * m) * sum(np.linalg.norm(w, 2) ** 2 for w in weights)
    totals = totals[:1] if key == "first_only" else totals[:-1] if key == "last_skipped" \
        else totals
    factor = {"lam_over_2_times_m": lam / 2 * m, "no_half": lam / m,
              "no_m": lam / 2}.get(key, lam / (2 * m))
    return factor * sum(totals)


def _expected(ctx, cases, call):
    reference = ctx.reference()
    return [Case(c.name, c.inputs, {"expected": call(reference, c.inputs)}, c.public)
            for c in cases]


def penalty_cases(ctx):
    """The cases of l1_penalty and l2_penalty (the reference is the task's own)."""
    return _expected(ctx, _matrix_cases(ctx.rng),
                     lambda f, a: f(a["weights"], a["lam"], a["m"]))


def _penalty_judge(case, outputs, formula, variant, explanations):
    a = case.inputs
    mistakes = MistakeTable(explanations,
                            lambda key: variant(a["weights"], a["lam"], a["m"], key))
    return [compare_arrays(formula, outputs["returned"], case.context["expected"],
                           what=f"the penalty (lam={a['lam']}, m={a['m']})", mistakes=mistakes,
                           **tolerance(outputs["returned"]))]


def l1_judge(case, outputs):
    return _penalty_judge(case, outputs, "lam / m * sum of |W| over every matrix", _l1_variant,
                          L1_MISTAKES)


def l2_judge(case, outputs):
    return _penalty_judge(case, outputs, "lam / (2 m) * sum of W ** 2 over every matrix",
                          _l2_variant, L2_MISTAKES)


# ------------------------------------------------------------------ penalty_gradients
def _gradient_variant(w, lam_l1, lam_l2, m, key):
    with np.errstate(invalid="ignore"):
        by_division = w / np.abs(w)
    sign = {"sign_of_zero_positive": np.where(w >= 0, 1.0, -1.0),
            "sign_of_zero_negative": np.where(w > 0, 1.0, -1.0),
            "sign_by_division": by_division,
            "positive_indicator": (w > 0).astype(float),
            "absolute": np.abs(w)}.get(key, np.sign(w))
    l1 = {"l1_no_m": lam_l1, "swapped": lam_l2 / m, "l2_only": 0.0}.get(key, lam_l1 / m)
    l2 = {"l2_no_m": lam_l2, "l2_halved": lam_l2 / (2 * m), "l2_doubled": 2 * lam_l2 / m,
          "swapped": lam_l1 / m, "l1_only": 0.0}.get(key, lam_l2 / m)
    return l1 * sign + l2 * w


def gradient_cases(ctx):
    return _expected(ctx, _matrix_cases(ctx.rng, gradients=True),
                     lambda f, a: f(a["weights"], a["lam_l1"], a["lam_l2"], a["m"]))


def gradient_judge(case, outputs):
    a = case.inputs
    weights = a["weights"]
    _, problem = matrix_list(outputs["returned"], len(weights), "the gradients")
    unchanged = _leaves_weights_unchanged(weights, outputs["weights_after"])
    if problem:
        return [verdict("one gradient per matrix", False, problem), unchanged]
    name = "lam_l1 / m * sign(W) + lam_l2 / m * W for every matrix"
    checks = []
    for index, (got, expected, w) in enumerate(zip(outputs["returned"],
                                                   case.context["expected"], weights)):
        mistakes = MistakeTable(GRADIENT_MISTAKES, lambda key, w=w: _gradient_variant(
            w, a["lam_l1"], a["lam_l2"], a["m"], key))
        checks.append(compare_naming(
            name, got, expected, what=f"gradient {index + 1} (lam_l1={a['lam_l1']}, "
                                      f"lam_l2={a['lam_l2']}, m={a['m']})",
            mistakes=mistakes))
    return [first_failure(name, checks), unchanged]


def _leaves_weights_unchanged(before, after):
    changed = [str(i + 1) for i, (b, a) in enumerate(zip(before, after))
               if not np.array_equal(b, a)]
    return verdict("leaves the caller's weights unchanged", not changed, (
        f"matrices {', '.join(changed)} of the caller's weights were changed: compute the "
        "gradients as new arrays (an in-place operation such as w *= ... on a weight matrix "
        "changes the network)"))
