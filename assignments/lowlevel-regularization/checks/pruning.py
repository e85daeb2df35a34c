"""Task `prune`: magnitude pruning with masks that only lose ones.

Judged on three calls: a first pruning (all-ones masks), a later one (a fifth of each
matrix already pruned: zero weights, zero masks) and uniform weights at a high rate.
The masks may be float or bool, new arrays or the updated inputs; the weights must be
zeroed in place, since the caller keeps using its matrices.
"""
import numpy as np

from grader.authoring import Case, MistakeTable, compare_arrays, verdict

from .common import first_failure, matrix_list, network_shapes, random_weights

MASK_MISTAKES = {
    "unchanged": "the masks are returned as they came in: pruned weights learn again "
                 "(the seed created its masks but never updated them)",
    "direction": "the large weights are pruned: the comparison points the wrong way (prune "
                 "the entries with |W| < rate * std(W), keep the others)",
    "inverted": "the masks are inverted: 1 marks a pruned entry, 0 a kept one",
    "no_std": "the threshold is rate itself, not rate * std(W)",
    "std_of_nonzero": "std is taken over the nonzero entries only; it is std(W) over the "
                      "whole matrix, zeros included",
    "one_std": "one std over all the matrices together; each matrix has its own std(W)",
    "std_of_abs": "std is taken of |W|; the threshold is rate * std(W), the standard deviation "
                  "of the weights themselves",
}


def _threshold(w, key, weights):
    if key == "no_std":
        return 1.0
    if key == "std_of_nonzero":
        return np.std(w[w != 0]) if np.any(w != 0) else 0.0
    if key == "one_std":
        return np.std(np.concatenate([v.ravel() for v in weights]))
    if key == "std_of_abs":
        return np.std(np.abs(w))
    return np.std(w)


def _mask_variant(weights, masks, rate, index, key):
    w, mask = weights[index], masks[index]
    if key == "unchanged":
        return mask
    threshold = rate * _threshold(w, key, weights)
    small = np.abs(w) > threshold if key == "direction" else np.abs(w) < threshold
    kept = np.where(small, 0.0, mask)
    return 1.0 - kept if key == "inverted" else kept


def prune_cases(ctx):
    rng = ctx.rng
    first = random_weights(rng, network_shapes(32), (0.3, 0.1, 0.5))
    later = random_weights(rng, network_shapes(16), (1.0, 0.2, 0.05))
    later_masks = [(rng.random(w.shape) >= 0.2).astype(float) for w in later]
    for w, mask in zip(later, later_masks):
        w *= mask
    uniform = [rng.uniform(-limit, limit, shape)
               for limit, shape in zip((0.5, 2.0, 1.0), network_shapes(24))]
    cases = [Case("first pruning: all-ones masks, rate 0.1",
                  {"weights": first, "masks": [np.ones_like(w) for w in first], "rate": 0.1}),
             Case("later pruning: a fifth already pruned, rate 0.5",
                  {"weights": later, "masks": later_masks, "rate": 0.5}),
             Case("uniform weights, rate 1.0",
                  {"weights": uniform, "masks": [np.ones_like(w) for w in uniform],
                   "rate": 1.0})]
    reference = ctx.reference()
    expected = []
    for case in cases:
        weights = [w.copy() for w in case.inputs["weights"]]
        masks = reference(weights, [m.copy() for m in case.inputs["masks"]],
                          case.inputs["rate"])
        expected.append(Case(case.name, case.inputs,
                             {"masks": [np.asarray(m, dtype=float) for m in masks],
                              "weights": weights}))
    return expected


def prune_judge(case, outputs):
    a = case.inputs
    weights, masks, rate = a["weights"], a["masks"], a["rate"]
    returned, problem = matrix_list(outputs["returned"], len(weights), "the returned masks")
    name = f"the masks lose the entries with |W| < {rate} * std(W), and only those"
    if problem:
        mask_check = verdict(name, False, problem + " (prune returns the new masks)")
    else:
        mask_check = first_failure(name, [
            compare_arrays(name, got, expected, what=f"mask {index + 1}", rtol=0, atol=0,
                           mistakes=MistakeTable(MASK_MISTAKES, lambda key, i=index:
                                                 _mask_variant(weights, masks, rate, i, key)))
            for index, (got, expected) in enumerate(zip(returned, case.context["masks"]))])
    name = "the pruned entries are zeroed in the caller's matrices"
    after = outputs["weights_after"]
    if all(np.array_equal(before, w) for before, w in zip(weights, after)):
        weights_check = verdict(name, False, (
            "the caller's matrices are unchanged: prune must zero the pruned entries in "
            "place (w[small] = 0, or w *= mask); `w = w * mask` only rebinds a local name"))
    else:
        weights_check = first_failure(name, [
            compare_arrays(name, got, expected, what=f"matrix {index + 1} after prune",
                           rtol=0, atol=0)
            for index, (got, expected) in enumerate(zip(after, case.context["weights"]))])
    return [mask_check, weights_check]
