"""What every task family of the pack shares: tolerances, the probes' conventions for
"raised" and "cannot be exercised", comparisons that accept them, and messages that
lead with the named mistake."""
import dataclasses

import numpy as np

from grader.authoring import compare_arrays, describe_value, to_array, verdict

F64 = {"rtol": 1e-7, "atol": 1e-10}
CLASSIC = "This matches a classic mistake: "


def raised(value):
    """The message of a student's method that raised (the probes return it as data)."""
    if isinstance(value, dict) and isinstance(value.get("raised"), str):
        return value["raised"]
    return None


def unusable(outputs, task):
    """One failing check when the probe could not exercise the class at all."""
    if isinstance(outputs, dict) and isinstance(outputs.get("cannot"), str):
        return [verdict(f"the {task} class can be exercised", False, outputs["cannot"])]
    return None


def compare(name, got, expected, *, what, mistakes=(), weight=1.0, **tolerance):
    """compare_arrays, or a failing check saying what the student's method raised."""
    error = raised(got)
    if error:
        return verdict(name, False, f"{what}: your method raised {error}", weight)
    return compare_arrays(name, got, expected, what=what, mistakes=mistakes, weight=weight,
                          **{**F64, **tolerance})


def as_dict(value):
    """`value` if the probe's output has the expected dict there, else an empty one: a
    malformed output fails checks, it never crashes a judge."""
    return value if isinstance(value, dict) else {}


def as_list(value):
    return value if isinstance(value, list) else []


def finite_array(value):
    """A float64 array when `value` is numeric and finite, else None."""
    array = to_array(value)
    return array if array is not None and np.all(np.isfinite(array)) else None


def describe(value):
    message = raised(value)
    return f"an error ({message})" if message else describe_value(value)


def lead_with_mistake(check):
    """A failing check whose message names a classic mistake says it first."""
    if check.passed or CLASSIC not in check.message:
        return check
    details, named = check.message.split(CLASSIC, 1)
    return dataclasses.replace(check, message=f"Classic mistake: {named.rstrip('. ')}.\n"
                                              f"{details.strip()}")


def teaching(judge):
    """A judge whose failing messages lead with the named mistake, and which fails the task
    in one sentence when the probe could not exercise the class."""
    def judged(case, outputs):
        return unusable(outputs, case.context.get("noun", "role's")) or [
            lead_with_mistake(c) for c in judge(case, outputs)]
    judged.__name__, judged.__doc__ = judge.__name__, judge.__doc__
    return judged
