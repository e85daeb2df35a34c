"""The course's in-notebook tests, as the 2021 edition calls them in non-graded cells
(`from public_tests import *`, then `compute_cost_with_regularization_test(...)`).

They assert only the outputs the notebook itself publishes for the course's
test cases; grading never uses them (the grader's checks run in the trusted
process, on other inputs).
"""
import numpy as np

from testCases import (backward_propagation_with_dropout_test_case,
                       backward_propagation_with_regularization_test_case,
                       compute_cost_with_regularization_test_case,
                       forward_propagation_with_dropout_test_case)

__all__ = ["compute_cost_with_regularization_test",
           "backward_propagation_with_regularization_test",
           "forward_propagation_with_dropout_test", "backward_propagation_with_dropout_test"]

_PASSED = "\033[92mAll tests passed.\033[0m"
_PRINTED = 1e-8  # the published arrays are printed with 8 decimals


def _published(name, got, expected):
    expected = np.array(expected)
    assert np.shape(got) == expected.shape, (
        f"Wrong shape for {name}: {np.shape(got)}, expected {expected.shape}")
    assert np.allclose(got, expected, rtol=0, atol=_PRINTED), (
        f"Wrong values for {name}: {got}, expected {expected}")


def compute_cost_with_regularization_test(target):
    A3, Y, parameters = compute_cost_with_regularization_test_case()
    cost = target(A3, Y, parameters, lambd=0.1)
    assert np.ndim(cost) == 0, f"The cost must be a number, got shape {np.shape(cost)}"
    _published("cost", cost, 1.78648594516)
    print(_PASSED)


def backward_propagation_with_regularization_test(target):
    X, Y, cache = backward_propagation_with_regularization_test_case()
    grads = target(X, Y, cache, lambd=0.7)
    _published("dW1", grads["dW1"], [[-0.25604646, 0.12298827, -0.28297129],
                                     [-0.17706303, 0.34536094, -0.4410571]])
    _published("dW2", grads["dW2"], [[0.79276486, 0.85133918], [-0.0957219, -0.01720463],
                                     [-0.13100772, -0.03750433]])
    _published("dW3", grads["dW3"], [[-1.77691347, -0.11832879, -0.09397446]])
    print(_PASSED)


def forward_propagation_with_dropout_test(target):
    X, parameters = forward_propagation_with_dropout_test_case()
    A3, cache = target(X, parameters, keep_prob=0.7)
    _published("A3", A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]])
    print(_PASSED)


def backward_propagation_with_dropout_test(target):
    X, Y, cache = backward_propagation_with_dropout_test_case()
    gradients = target(X, Y, cache, keep_prob=0.8)
    _published("dA1", gradients["dA1"], [[0.36544439, 0., -0.00188233, 0., -0.17408748],
                                         [0.65515713, 0., -0.00337459, 0., -0.]])
    _published("dA2", gradients["dA2"], [[0.58180856, 0., -0.00299679, 0., -0.27715731],
                                         [0., 0.53159854, -0., 0.53159854, -0.34089673],
                                         [0., 0., -0.00292733, 0., -0.]])
    print(_PASSED)
