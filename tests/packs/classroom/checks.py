"""Parent side of the classroom pack: public and hidden cases, judged against the reference,
with named classic mistakes."""
import numpy as np

from grader.authoring import Case, MistakeTable, TaskChecks, compare_arrays

DOUBLE_MISTAKES = {"plus_one": "adds 1 after doubling (x * 2 + 1)",
                   "square": "squares instead of doubling (x * x)"}
MEAN_MISTAKES = {"sample": "divides by n - 1 instead of n",
                 "sum": "returns the sum: the division by n is missing"}


def double_cases(ctx):
    reference = ctx.reference()
    cases = [Case("statement example", {"x": np.array([1.0, 2.0, 3.0])}, public=True),
             Case("random numbers", {"x": ctx.rng.normal(size=20)})]
    return [Case(c.name, c.inputs, {"expected": reference(c.inputs["x"])}, c.public)
            for c in cases]


def double_judge(case, outputs):
    x = case.inputs["x"]
    variants = {"plus_one": x * 2 + 1, "square": x * x}
    return [compare_arrays("every number doubled", outputs["returned"],
                           case.context["expected"], what="the returned array",
                           mistakes=MistakeTable(DOUBLE_MISTAKES, variants.get))]


def mean_cases(ctx):
    reference = ctx.reference()
    cases = [Case("statement example", {"a": np.array([1.0, 2.0, 6.0])}, public=True),
             Case("random array", {"a": ctx.rng.normal(size=50)})]
    return [Case(c.name, c.inputs, {"expected": reference(c.inputs["a"])}, c.public)
            for c in cases]


def mean_judge(case, outputs):
    a = case.inputs["a"]
    variants = {"sample": a.sum() / (a.size - 1), "sum": a.sum()}
    return [compare_arrays("the mean", outputs["returned"], case.context["expected"],
                           what="the returned mean",
                           mistakes=MistakeTable(MEAN_MISTAKES, variants.get))]


TASKS = {"double": TaskChecks(double_cases, double_judge),
         "mean": TaskChecks(mean_cases, mean_judge)}
