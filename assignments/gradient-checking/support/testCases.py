"""The course's `testCases` for Gradient Checking: the notebook's example inputs.

Seeded draws of the documented shapes, in the course's order; with them the
notebook's published output (difference = 0.2850931567761623 for the given
backward pass, 1.1890913024229996e-07 once it is fixed) is reproduced exactly.
"""
import numpy as np


def gradient_check_n_test_case():
    """X (4, 3), Y (3,) and the parameters of a 4-5-3-1 network."""
    np.random.seed(1)
    x = np.random.randn(4, 3)
    y = np.array([1, 1, 0])
    W1 = np.random.randn(5, 4)
    b1 = np.random.randn(5, 1)
    W2 = np.random.randn(3, 5)
    b2 = np.random.randn(3, 1)
    W3 = np.random.randn(1, 3)
    b3 = np.random.randn(1, 1)
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    return x, y, parameters
