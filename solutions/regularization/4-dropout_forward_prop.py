#!/usr/bin/env python3
"""Forward propagation with (inverted) dropout (NumPy)."""
import numpy as np


def dropout_forward_prop(X, weights, L, keep_prob):
    """Conduct forward propagation using dropout.

    Every layer but the last uses tanh and dropout; the last layer
    uses softmax and no dropout.

    Args:
        X: numpy.ndarray of shape (nx, m) with the input data.
        weights: dictionary of the weights (W1..WL) and biases (b1..bL).
        L: the number of layers of the network.
        keep_prob: the probability that a node will be kept.

    Returns:
        A dictionary with the outputs A0..AL of each layer (A0 = X) and
        the dropout masks D1..D(L-1) (0/1 integers) of the hidden layers.
    """
    cache = {'A0': X}
    A = X
    for layer in range(1, L + 1):
        Z = np.matmul(weights['W{}'.format(layer)], A)
        Z = Z + weights['b{}'.format(layer)]
        if layer < L:
            D = (np.random.rand(*Z.shape) < keep_prob).astype(int)
            A = np.tanh(Z) * D / keep_prob
            cache['D{}'.format(layer)] = D
        else:
            exp = np.exp(Z - np.max(Z, axis=0, keepdims=True))
            A = exp / np.sum(exp, axis=0, keepdims=True)
        cache['A{}'.format(layer)] = A
    return cache
