"""The course's in-notebook tests, as the 2021 edition calls them in non-graded cells
(`from public_tests import *`, then `forward_propagation_test(forward_propagation)`).

They assert only the examples the notebook itself publishes; grading never uses
them (the grader's checks run in the trusted process, on other inputs).
"""
import numpy as np

__all__ = ["forward_propagation_test", "backward_propagation_test", "gradient_check_test"]

_PASSED = "\033[92mAll tests passed.\033[0m"


def _number(value, name):
    assert np.ndim(value) == 0, f"{name} must be a number, got an array of shape {np.shape(value)}"
    return float(value)


def forward_propagation_test(target):
    J = _number(target(2, 4), "J")
    assert J == 8, f"Wrong value: J = {J}, expected 8 for x = 2, theta = 4"
    print(_PASSED)


def backward_propagation_test(target):
    dtheta = _number(target(2, 4), "dtheta")
    assert dtheta == 2, f"Wrong value: dtheta = {dtheta}, expected 2 for x = 2, theta = 4"
    print(_PASSED)


def gradient_check_test(target):
    difference = _number(target(2, 4), "difference")
    assert difference < 2e-7, (f"Wrong value: difference = {difference}, expected about "
                               f"2.9e-10 for x = 2, theta = 4 and a correct backward_propagation")
    print(_PASSED)
