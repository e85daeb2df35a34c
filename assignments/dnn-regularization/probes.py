"""Child side of the dnn-regularization pack: call the student's functions, return raw outputs.

Each probe gets the student's notebook as a `subject` (grader/sandbox/child.py);
`subject.main` is the graded function. This module runs next to student code: it
holds no expected value. The global NumPy generator is seeded before each call,
so that a function that draws masks of its own is reproducible.
"""
import numpy as np

# NumPy 2 refuses what NumPy 1 accepted for one-element arrays: these are its messages.
_NUMPY2_MESSAGES = ("setting an array element with a sequence",
                    "only 0-dimensional arrays can be converted to Python scalars")
_NUMPY2_HINT = (" If the array there holds one element (as in `a[i][0] = a[i] + eps`), this "
                "line works on NumPy 1.x, not on the NumPy 2 this grader runs: take the "
                "element out first (`a[i][0] = a[i][0] + eps`, or `float(a[0])` for a number).")


class _Explained(Exception):
    """Stands for a student's exception whose message gained an explanation."""


def _call(function, *args):
    """Call the student's function; a NumPy-2-only failure leaves with a message saying so
    (same type name and traceback, so the report still shows the student's line)."""
    try:
        return function(*args)
    except (ValueError, TypeError) as exc:
        try:
            text = str(exc)
        except BaseException:  # noqa: B036 - a hostile __str__: leave the exception alone
            raise exc from None
        if not any(message in text for message in _NUMPY2_MESSAGES):
            raise
        explained = type(type(exc).__name__, (_Explained,), {})(text + _NUMPY2_HINT)
        raise explained.with_traceback(exc.__traceback__) from None


def compute_cost_with_regularization(subject, inputs):
    return {"returned": _call(subject.main, inputs["A3"], inputs["Y"], inputs["parameters"],
                              inputs["lambd"])}


def backward_propagation_with_regularization(subject, inputs):
    return {"returned": _call(subject.main, inputs["X"], inputs["Y"], tuple(inputs["cache"]),
                              inputs["lambd"])}


def forward_propagation_with_dropout(subject, inputs):
    np.random.seed(inputs["np_seed"])
    return {"returned": _call(subject.main, inputs["X"], inputs["parameters"],
                              inputs["keep_prob"])}


def backward_propagation_with_dropout(subject, inputs):
    np.random.seed(inputs["np_seed"])
    return {"returned": _call(subject.main, inputs["X"], inputs["Y"], tuple(inputs["cache"]),
                              inputs["keep_prob"])}


PROBES = {
    "compute_cost_with_regularization": compute_cost_with_regularization,
    "backward_propagation_with_regularization": backward_propagation_with_regularization,
    "forward_propagation_with_dropout": forward_propagation_with_dropout,
    "backward_propagation_with_dropout": backward_propagation_with_dropout,
}
