#!/usr/bin/env python3
"""One step of gradient descent with L2 regularization (NumPy)."""
import numpy as np


def l2_reg_gradient_descent(Y, weights, cache, alpha, lambtha, L):
    """Update the weights and biases of a network with L2 regularization.

    The network uses tanh on every layer but the last, which uses
    softmax. The weights dictionary is updated in place.

    Args:
        Y: one-hot numpy.ndarray of shape (classes, m) of the labels.
        weights: dictionary of the weights (W1..WL) and biases (b1..bL).
        cache: dictionary of the outputs A0..AL of each layer.
        alpha: the learning rate.
        lambtha: the L2 regularization parameter.
        L: the number of layers of the network.
    """
    m = Y.shape[1]
    dZ = cache['A{}'.format(L)] - Y
    for layer in range(L, 0, -1):
        W = weights['W{}'.format(layer)]
        b = weights['b{}'.format(layer)]
        A_prev = cache['A{}'.format(layer - 1)]
        dW = np.matmul(dZ, A_prev.T) / m + lambtha / m * W
        db = np.sum(dZ, axis=1, keepdims=True) / m
        if layer > 1:
            dZ = np.matmul(W.T, dZ) * (1 - A_prev ** 2)
        weights['W{}'.format(layer)] = W - alpha * dW
        weights['b{}'.format(layer)] = b - alpha * db
