"""Task 7: early stopping, judged call by call against the reference."""
import numpy as np

from grader.authoring import Case, MistakeTable, verdict

from .common import describe, plain_text, teaching, with_expected


def _early_stopping_variant(cost, opt_cost, threshold, patience, count, mistake=None):
    improved = (opt_cost - cost >= threshold if mistake == "non_strict"
                else cost - opt_cost > threshold if mistake == "sign"
                else abs(opt_cost - cost) > threshold if mistake == "abs"
                else opt_cost - cost > threshold)
    if mistake == "no_reset_kept" and improved:
        return (count >= patience, count)
    new_count = count + 1 if not improved or mistake == "no_reset" else 0
    stop = (new_count > patience if mistake == "stop_strict"
            else count + 1 >= patience if mistake == "stop_ahead"
            else new_count >= patience)
    return (stop, new_count)


# Calls are those a training loop makes (incoming count < patience), where
# `count == patience` and `count >= patience` agree: neither is ever named. A stop
# decided from the incoming count, before the update, never fires on such calls,
# exactly like `count > patience`: one explanation covers both.
EARLY_STOPPING_MISTAKES = {
    "non_strict": "a drop of exactly `threshold` resets the count (use >, not >=)",
    "stop_strict": "stop stays False when the new count reaches patience: either stop is "
                   "count > patience instead of count >= patience, or stop is decided from "
                   "the count before it is updated",
    "stop_ahead": "stop is decided before the count is reset: an improvement when the "
                  "count is patience - 1 must give (False, 0), not (True, 0)",
    "sign": "the difference is taken the wrong way round (cost - opt_cost)",
    "abs": "the difference is taken in absolute value (abs(opt_cost - cost)): a cost that "
           "grows by more than threshold resets the count too; only a drop counts",
    "no_reset": "the count never resets to 0 on an improvement",
    "no_reset_kept": "on an improvement the count is kept instead of reset to 0",
}


def early_stopping_cases(ctx):
    rng = ctx.rng
    official = [(1.0, 1.9, 0.5, 15, 5), (1.1, 1.5, 0.5, 15, 2), (1.0, 1.5, 0.5, 15, 8),
                (1.0, 1.5, 0.5, 15, 14)]
    boundary = [(2.25, 2.5, 0.25, 5, 1), (0.5, 1.0, 0.5, 3, 2), (1.0, 1.0, 0.0, 4, 3),
                (3.0, 2.0, 0.5, 10, 9), (1.0, 1.25, 0.5, 1, 0), (0.75, 1.0, 0.125, 2, 1),
                (0.5, 1.0, 0.25, 3, 2)]
    generated = []
    while len(generated) < 30:
        opt_cost = float(np.round(rng.uniform(0.1, 5.0), 3))
        cost = float(np.round(opt_cost + rng.uniform(-1.0, 0.5), 3))
        threshold = float(np.round(rng.uniform(0.0, 0.6), 3))
        if abs((opt_cost - cost) - threshold) < 1e-6:
            continue  # ties are tested above with exact values; here rounding would decide
        patience = int(rng.integers(1, 20))
        # a training loop's call: it stops as soon as stop is true, so count < patience
        generated.append((cost, opt_cost, threshold, patience, int(rng.integers(0, patience))))
    cases = [Case("official example", {"calls": official}, public=True),
             Case("improvement of exactly threshold, stop exactly at patience, improvement "
                  "at count = patience - 1",
                  {"calls": boundary}),
             Case("30 random calls", {"calls": generated})]
    reference = ctx.reference()
    return with_expected(cases, lambda a: [reference(*call) for call in a["calls"]])


@teaching
def early_stopping_judge(case, outputs):
    calls, got = case.inputs["calls"], outputs["returned"]
    expected = case.context["expected"]
    if not isinstance(got, list):
        return [verdict("returns (stop, count)", False,
                        f"expected a tuple (stop, count); got {describe(got)}")]
    shapes = [g for g in got if not (isinstance(g, tuple) and len(g) == 2)]
    if shapes:
        hint = (" A list [stop, count] is not a tuple: return stop, count"
                if isinstance(shapes[0], list) and len(shapes[0]) == 2 else "")
        return [verdict("returns (stop, count)", False,
                        f"expected a tuple (stop, count); got {describe(shapes[0])}.{hint}")]
    types_ok = all(isinstance(s, (bool, np.bool_)) and isinstance(c, (int, np.integer))
                   and not isinstance(c, (bool, np.bool_)) for s, c in got)
    checks = [verdict("stop is a bool and count an int", types_ok,
                      f"stop must be True or False and count an integer; got "
                      f"{_types(got)}.{_types_hint(got)}")]
    wrong = [(call, exp, g) for call, exp, g in zip(calls, expected, got)
             if (bool(g[0]), _as_int(g[1])) != exp]
    message = ""
    if wrong:
        call, exp, g = wrong[0]
        message = (f"{len(wrong)} of {len(calls)} calls are wrong; e.g. early_stopping"
                   f"{call} should return {exp}, got ({_shown(g[0])}, {_shown(g[1])})")
        mistakes = MistakeTable(EARLY_STOPPING_MISTAKES, lambda key: [
            _early_stopping_variant(*call, mistake=key) for call in calls])
        named = mistakes.first_match(got, lambda got, variant: all(
            (bool(g[0]), _as_int(g[1])) == v for g, v in zip(got, variant)))
        if named:
            message += f". This matches a classic mistake: {named}"
    checks.append(verdict("count resets only when opt_cost - cost > threshold; "
                          "stop when the count reaches patience", not wrong, message))
    return checks


def _types_hint(got):
    """How the types probably went wrong: the pair swapped, or stop written as 1/0."""
    swapped = all(isinstance(c, (bool, np.bool_)) and not isinstance(s, (bool, np.bool_))
                  for s, c in got)
    if swapped:
        return " The pair looks swapped: return stop first, then count (return stop, count)"
    if all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))
           and s in (0, 1) for s, _ in got):
        return (" stop is 1 or 0, an integer: return a boolean (True/False, e.g. "
                "count >= patience)")
    return ""


def _shown(value):
    return plain_text(repr(value)) if not hasattr(value, "type_name") else \
        f"<{plain_text(value.type_name)}>"


def _types(got):
    pairs = {(_type_of(s), _type_of(c)) for s, c in got}
    return ", ".join(f"({s}, {c})" for s, c in sorted(pairs)[:3])


def _type_of(value):
    return plain_text(value.type_name) if hasattr(value, "type_name") else type(value).__name__


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
