"""The notebook's network, parent side: the course's example inputs, generated networks
of the notebook's fixed shape, and the given backward pass with its planted mistakes.

Students are asked to fix `backward_propagation_n` in their copy, so the gradients
with the planted mistakes come from this trusted copy of the given code, never
from the student's.
"""
import numpy as np

from .common import legacy_seed_kept

SHAPES = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}


def course_example(ctx):
    """(X, Y, parameters) of the notebook's gradient_check_n_test_case()."""
    with legacy_seed_kept():
        return ctx.support("testCases").gradient_check_n_test_case()


def random_network(rng, m):
    """(X, Y, parameters): m examples of 4 features, labels 0/1, N(0, 1) parameters."""
    parameters = {key: rng.standard_normal(shape) for key, shape in SHAPES.items()}
    X = rng.standard_normal((4, m))
    Y = rng.integers(0, 2, (1, m)).astype(np.float64)
    return X, Y, parameters


def given_backward_propagation_n(X, Y, cache):
    """The notebook's backward pass as given, with its two planted mistakes
    (dW2 multiplied by 2, db1 scaled by 4/m)."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T)
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T) * 2
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T)
    db1 = 4. / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2,
            "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
