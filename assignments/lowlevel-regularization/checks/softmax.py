"""Task `stable_softmax`: row-wise softmax that stays finite for logits like 1000 and -1000."""
import numpy as np

from grader.authoring import Case, MistakeTable

from .common import compare_naming

SOFTMAX_MISTAKES = {
    "global_max": "the global maximum np.max(a) is subtracted, not each row's "
                  "(np.max(a, axis=1, keepdims=True)): rows far below the largest logit "
                  "underflow to 0 / 0 (the seed's mistake)",
    "no_shift": "nothing is subtracted before np.exp: exp(1000) overflows to inf",
    "columns": "the softmax runs over each column (axis=0) instead of each row",
    "whole_sum": "each exponential is divided by the sum over the whole array, not over "
                 "its row",
}


def _variant(a, key):
    with np.errstate(all="ignore"):
        if key == "global_max":
            e = np.exp(a - np.max(a))
            return e / e.sum(axis=1, keepdims=True)
        if key == "no_shift":
            e = np.exp(a)
            return e / e.sum(axis=1, keepdims=True)
        if key == "columns":
            e = np.exp(a - a.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum()


def softmax_cases(ctx):
    rng = ctx.rng
    offsets = rng.permutation(np.repeat([-600.0, 0.0, 600.0], 7))[:, None]
    cases = [Case("rows [1000, 0] and [-1000, 0] side by side",
                  {"a": np.array([[1000.0, 0.0], [-1000.0, 0.0], [0.0, 0.0], [3.0, -2.0]])},
                  public=True),
             Case("21 rows of 10 logits, each row offset by -600, 0 or +600",
                  {"a": rng.normal(0.0, 3.0, (21, 10)) + offsets}),
             Case("64 rows of 10 ordinary logits", {"a": rng.normal(0.0, 2.0, (64, 10))})]
    reference = ctx.reference()
    return [Case(c.name, c.inputs, {"expected": reference(c.inputs["a"])}, c.public)
            for c in cases]


def softmax_explain(case, kind, message):
    """A row sum without keepdims=True has lost its axis: (rows, classes) / (rows,) does
    not broadcast (and would divide the wrong way were rows == classes)."""
    if kind == "ValueError" and "could not be broadcast" in message:
        return ("Classic mistake: the row sums (or row maxima) are computed without "
                "keepdims=True, so (rows, classes) meets (rows,): use "
                "np.sum(e, axis=1, keepdims=True).")
    return None


def softmax_judge(case, outputs):
    a = case.inputs["a"]
    return [compare_naming("softmax of each row", outputs["returned"], case.context["expected"],
                           what="the returned probabilities",
                           mistakes=MistakeTable(SOFTMAX_MISTAKES, lambda key: _variant(a, key)))]
