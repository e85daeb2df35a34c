#!/usr/bin/env python3
"""One step of gradient descent with dropout (NumPy)."""
import numpy as np


def dropout_gradient_descent(Y, weights, cache, alpha, keep_prob, L):
    """Update the weights of a network regularized with dropout.

    The network uses tanh on every layer but the last, which uses
    softmax. The weights dictionary is updated in place.

    Args:
        Y: one-hot numpy.ndarray of shape (classes, m) of the labels.
        weights: dictionary of the weights (W1..WL) and biases (b1..bL).
        cache: dictionary of the outputs A0..AL and the dropout masks
            D1..D(L-1) of the layers.
        alpha: the learning rate.
        keep_prob: the probability that a node was kept.
        L: the number of layers of the network.
    """
    m = Y.shape[1]
    dZ = cache['A{}'.format(L)] - Y
    for layer in range(L, 0, -1):
        W = weights['W{}'.format(layer)]
        b = weights['b{}'.format(layer)]
        A_prev = cache['A{}'.format(layer - 1)]
        dW = np.matmul(dZ, A_prev.T) / m
        db = np.sum(dZ, axis=1, keepdims=True) / m
        if layer > 1:
            dA = np.matmul(W.T, dZ)
            D = cache['D{}'.format(layer - 1)]
            dZ = dA * (1 - A_prev ** 2) * D / keep_prob
        weights['W{}'.format(layer)] = W - alpha * dW
        weights['b{}'.format(layer)] = b - alpha * db
