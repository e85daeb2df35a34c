"""What the pack's checks share: the course's test cases, tolerances, and comparisons
whose message leads with the classic mistake they match (the course's helper modules
and the reference solution are `ctx.support` and `ctx.reference`)."""
import dataclasses

import numpy as np

from grader.authoring import compare_arrays, describe_value, to_array, verdict

F64 = {"rtol": 1e-7, "atol": 1e-9}
PRINTED = {"rtol": 0.0, "atol": 1e-8}  # published arrays are printed with 8 decimals
CLASSIC = "This matches a classic mistake: "


def course_example(ctx, name):
    """The notebook's `NAME_test_case()` inputs; the global NumPy state is kept (the test
    cases call np.random.seed(1))."""
    state = np.random.get_state()
    try:
        return getattr(ctx.support("testCases"), f"{name}_test_case")()
    finally:
        np.random.set_state(state)


def leading_mistake(check):
    """A failing check whose message names a classic mistake says it first."""
    if check.passed or CLASSIC not in check.message:
        return check
    details, named = check.message.split(CLASSIC, 1)
    return dataclasses.replace(check, message=f"Classic mistake: {named.rstrip('. ')}.\n"
                                              f"{details.strip()}")


def compare(name, got, expected, what, mistakes=(), tolerance=F64):
    """compare_arrays, with the named mistake first."""
    return leading_mistake(compare_arrays(name, got, expected, what=what, mistakes=mistakes,
                                          **tolerance))


def compare_entries(name, got, expected, keys, mistakes=None, tolerance=F64):
    """One check over several entries of a gradients dict: the first wrong one explains.
    `mistakes(key)`: the (explanation, value) pairs of that entry."""
    for key in keys:
        check = compare(name, got.get(key), expected[key], key,
                        mistakes(key) if mistakes else (), tolerance)
        if not check.passed:
            return check
    return verdict(name, True)


def gradients_dict(name, got, keys):
    """A failing check when `got` is not a dict holding `keys`, else None."""
    if not isinstance(got, dict):
        return verdict(name, False, f"expected a dict of gradients ({', '.join(keys)}); got "
                                    f"{describe_value(got)}")
    missing = [key for key in keys if key not in got]
    if missing:
        return verdict(name, False, f"the gradients dict lacks {', '.join(missing)}")
    return None


def as_number(value):
    """The float `value` stands for when it is one number, else None."""
    array = to_array(value)
    if isinstance(value, bool) or array is None or array.shape != ():
        return None
    return float(array)
