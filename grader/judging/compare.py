"""Comparisons that explain themselves: shape and type first, then values.

Every helper returns a CheckResult whose message says what was expected, what
came back, where the largest error is, and, when the output equals a classic
mistake computed on the side (a list of pairs or a lazy MistakeTable), names
the mistake. Inputs are plain values decoded from the wire; nothing here calls
student code.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from grader.judging.mistakes import first_match
from grader.models import CORRECTNESS, CheckResult
from grader.wire import Opaque

Mistakes = Iterable[tuple[str, Any]]


def verdict(name: str, passed: bool, message: str = "", weight: float = 1.0) -> CheckResult:
    return CheckResult(name=name, kind=CORRECTNESS, passed=passed,
                       message="" if passed else message, weight=weight)


def describe_value(value: Any) -> str:
    """A short, student-facing description of a returned value's type."""
    if value is None:
        return "None (is there a `return` statement?)"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)[:8]}"
    return f"a {type(value).__name__} ({value!r})"


def to_array(value: Any) -> np.ndarray | None:
    """A float64 array from a plain numeric value, or None if it is not numeric data."""
    if value is None or isinstance(value, (Opaque, str, dict)):
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    if array.dtype.kind not in "biuf":
        return None
    return array.astype(np.float64)


def _fmt(x: float) -> str:
    return f"{x:.8g}"


def _sample(array: np.ndarray, count: int = 3) -> str:
    flat = array.ravel()[:count]
    return "[" + ", ".join(_fmt(v) for v in flat) + (", ...]" if array.size > count else "]")


def close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(
        np.all(np.isfinite(got)) and np.allclose(got, expected, rtol=rtol, atol=atol))


def compare_arrays(name: str, got: Any, expected: Any, *, what: str, rtol: float = 1e-7,
                   atol: float = 1e-9, mistakes: Mistakes = (),
                   weight: float = 1.0) -> CheckResult:
    """Judge `got` against `expected` (float64), explaining any difference."""
    expected = np.asarray(expected, dtype=np.float64)
    array = to_array(got)
    if array is None:
        return verdict(name, False, f"{what}: expected an array of shape {expected.shape}, "
                                    f"got {describe_value(got)}", weight)
    if array.shape != expected.shape:
        hint = ""
        if array.T.shape == expected.shape and close(array.T, expected, rtol, atol):
            hint = " It is the transpose of the right answer."
        elif array.size == expected.size and close(array.reshape(expected.shape), expected,
                                                   rtol, atol):
            hint = " The values are right but arranged in the wrong shape."
        named = name_mistake(array, mistakes, rtol, atol)
        if named:
            hint += f" This matches a classic mistake: {named}."
        return verdict(name, False, f"{what}: expected shape {expected.shape}, got shape "
                                    f"{array.shape}.{hint}", weight)
    bad = ~np.isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        return verdict(name, False, f"{what}: got {_fmt(array[index])} at index {list(index)} "
                                    f"({int(bad.sum())} non-finite values)", weight)
    if np.allclose(array, expected, rtol=rtol, atol=atol):
        return verdict(name, True, weight=weight)
    error = np.abs(array - expected)
    index = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
    location = f" at index {[int(i) for i in index]}" if index else ""
    message = (f"{what} is wrong: largest error {_fmt(error[index])}{location} "
               f"(expected {_fmt(expected[index])}, got {_fmt(array[index])}); "
               f"expected {_sample(expected)}, got {_sample(array)}.")
    named = name_mistake(array, mistakes, rtol, atol)
    if named:
        message += f" This matches a classic mistake: {named}."
    return verdict(name, False, message, weight)


def name_mistake(got: np.ndarray, mistakes: Mistakes, rtol: float, atol: float) -> str | None:
    """The first classic mistake whose output equals `got` within tolerance, if any.

    `mistakes` holds (explanation, output) pairs: a list, or a lazy MistakeTable."""
    return first_match(mistakes, got, lambda got, alternative: close(
        got, np.asarray(alternative, dtype=np.float64), rtol, atol))
