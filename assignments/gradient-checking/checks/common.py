"""What the pack's checks share: the course's helper modules and the reference solution
in this trusted process, numbers from the wire, and checks that name a classic mistake."""
import contextlib
import importlib.util
import sys
import threading
import types
from pathlib import Path

import numpy as np

from grader.authoring import describe_value, to_array, verdict

SUPPORT = Path(__file__).resolve().parent.parent / "support"
NOISE = 1e-6  # how far two correct gradient checks may differ: floating-point noise
# How far a mistaken check may be from our computation of that mistake: the noise of one
# arithmetic order against another (observed below 1e-9 at epsilon 1e-7), with a margin.
SAME_MISTAKE = 2e-8
CLASSIC = "Classic mistake: "

_LOCK = threading.RLock()
_SUPPORT_MODULES = {}


def support_module(name):
    """support/NAME.py of this pack, loaded once by path under a private name (another
    pack may ship a `testCases` too), never writing bytecode beside it."""
    with _LOCK:
        if name not in _SUPPORT_MODULES:
            spec = importlib.util.spec_from_file_location(
                f"grader_pack_gradient_checking_{name}", SUPPORT / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
            try:
                spec.loader.exec_module(module)
            finally:
                sys.dont_write_bytecode = writes_bytecode
            _SUPPORT_MODULES[name] = module
        return _SUPPORT_MODULES[name]


def reference(ctx, name):
    """An object of the reference solution. The solution imports the course's gc_utils,
    as the notebook does: this pack's copy is served while it loads, and nothing stays
    in sys.modules afterwards."""
    with _LOCK, _served_as("gc_utils", support_module("gc_utils")):
        return ctx.reference(name)


@contextlib.contextmanager
def _served_as(name, module):
    saved = sys.modules.get(name)
    sys.modules[name] = module
    try:
        yield
    finally:
        if saved is None:
            del sys.modules[name]
        else:
            sys.modules[name] = saved


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
    """The float `value` stands for when it is one number (a Python or NumPy scalar, a 0-d
    array), else None."""
    if isinstance(value, bool):
        return None
    array = to_array(value)
    if array is None or array.shape != ():
        return None
    return float(array)


def not_a_number(name, value, what, hint=""):
    """A failing check for a value that is not one number."""
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
