#!/usr/bin/env python3
"""Cost of a neural network with L2 regularization (NumPy)."""
import numpy as np


def l2_reg_cost(cost, lambtha, weights, L, m):
    """Calculate the cost of a neural network with L2 regularization.

    Args:
        cost: the cost of the network without L2 regularization.
        lambtha: the regularization parameter.
        weights: dictionary of the weights (W1..WL) and biases (b1..bL)
            of the network, as numpy.ndarrays.
        L: the number of layers of the network.
        m: the number of data points used.

    Returns:
        cost + lambtha / (2 * m) * sum over l = 1..L of the squared
        Frobenius norm of W_l. Biases are not regularized.
    """
    squares = 0
    for layer in range(1, L + 1):
        squares += np.sum(np.square(weights['W{}'.format(layer)]))
    return cost + lambtha / (2 * m) * squares
