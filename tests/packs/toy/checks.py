"""Parent side of the toy pack: inputs, and judges against the reference solution."""
from grader.authoring import Case, TaskChecks, verdict


def _numbers(ctx):
    xs = [int(x) for x in ctx.rng.integers(-50, 50, 5)]
    return [Case("five integers", {"xs": xs},
                 context={"expected": [ctx.reference()(x) for x in xs]})]


def judge_list(case, outputs):
    got = outputs["returned"]
    return [verdict("values", got == case.context["expected"],
                    f"expected {case.context['expected']}, got {got}")]


def explain_double(case, kind, message):
    """`x + "2"` is the one mistake this pack names when double raises."""
    if kind == "TypeError" and "'int' and 'str'" in message:
        return "Classic mistake: the factor is the string \"2\", not the number 2."
    if kind == "ZeroDivisionError":
        raise RuntimeError("this explanation is broken on purpose")
    return None


def counter_cases(ctx):
    adds = [int(x) for x in ctx.rng.integers(1, 9, 4)]
    reference = ctx.reference("Counter")()
    for amount in adds:
        reference.add(amount)
    return [Case("four additions", {"adds": adds}, context={"expected": reference.total()})]


def judge_counter(case, outputs):
    return [verdict("total", outputs["total"] == case.context["expected"],
                    f"expected {case.context['expected']}, got {outputs['total']}")]


def judge_scaled(case, outputs):
    return judge_list(case, outputs) + [
        verdict("ran in the pack's runtime", outputs["runtime_variable"] == "toy"
                and outputs["preloaded"] is True, f"runtime said {outputs!r}")]


def judge_raises(case, outputs):
    raise RuntimeError("this judge is broken on purpose")


TASKS = {
    "double": TaskChecks(_numbers, judge_list, explain_double),
    "counter": TaskChecks(counter_cases, judge_counter),
    "scaled": TaskChecks(_numbers, judge_scaled),
    "judge_raises": TaskChecks(_numbers, judge_raises),
}
