"""What the pack's checks share: numbers from the wire, and checks that name a classic
mistake (the course's helper modules and the reference solution are `ctx.support` and
`ctx.reference`)."""
import contextlib
import types

import numpy as np

from grader.authoring import describe_value, to_array, verdict

NOISE = 1e-6  # how far two correct gradient checks may differ: floating-point noise
# How far a mistaken check may be from our computation of that mistake: the noise of one
# arithmetic order against another (observed below 1e-9 at epsilon 1e-7), with a margin.
SAME_MISTAKE = 2e-8
CLASSIC = "Classic mistake: "


@contextlib.contextmanager
def legacy_seed_kept():
    """The course's test cases call np.random.seed(1): keep this process's global state."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def with_globals(function, **names):
    """A copy of `function` that sees `names` instead of its module's (the reference's
    gradient check with a wrong backward_propagation, say)."""
    return types.FunctionType(function.__code__, {**function.__globals__, **names},
                              function.__name__, function.__defaults__, function.__closure__)


def as_number(value):
    """The float `value` stands for when it is one number (a Python or NumPy scalar, an
    array of one element: np.linalg.norm(v, axis=0) of a column is one), else None; a
    True/False is not a number."""
    if _truth_value(value):
        return None
    array = to_array(value)
    if array is None or array.size != 1 or array.dtype.kind not in "iuf":
        return None
    return float(array.reshape(()))


def _truth_value(value):
    """True/False: a Python or NumPy bool, or a one-element bool array."""
    return isinstance(value, (bool, np.bool_)) or (
        isinstance(value, np.ndarray) and value.dtype.kind == "b" and value.size == 1)


COMPARISON = ("It is True/False: a threshold comparison (such as difference < 2e-7) is returned "
              "instead of the difference itself.")


SEVERAL = ("The function returns several values (a tuple, as `return difference, gradapprox` "
           "makes): return the difference alone.")


def not_a_number(name, value, what, hint=""):
    """A failing check for a value that is not one number (a True/False named as the
    comparison returned instead of the difference, a tuple as several values returned)."""
    if _truth_value(value) and not hint:
        hint = COMPARISON
    elif isinstance(value, tuple) and not hint:
        hint = SEVERAL
    return verdict(name, False, f"{what} must be one number; got {describe_value(value)}."
                                + (f" {hint}" if hint else ""))


def matching_mistakes(mistakes, got):
    """The explanations of every mistake (explanation, value) whose value `got` equals
    within floating-point noise, joined with "or" ("" when none does)."""
    found = [explanation for explanation, value in mistakes
             if value is not None and np.isfinite(value)
             and abs(got - value) <= SAME_MISTAKE + 1e-6 * abs(value)]
    return ", or ".join(dict.fromkeys(found))


def number_check(name, got, expected, tolerance, what, mistakes=()):
    """`got` within `tolerance` of `expected`; a wrong value names the classic mistakes it
    equals (the first line of the message, before the numbers)."""
    if np.isfinite(got) and abs(got - expected) <= tolerance:
        return verdict(name, True)
    message = f"{what}: expected {expected:.10g} (within {tolerance:.2g}), got {got:.10g}."
    named = matching_mistakes(mistakes, got) if np.isfinite(got) else ""
    return verdict(name, False, f"{CLASSIC}{named}.\n{message}" if named else message)
