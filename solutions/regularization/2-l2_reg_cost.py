#!/usr/bin/env python3
"""Cost of a neural network with L2 regularization (TensorFlow)."""
import tensorflow.compat.v1 as tf


def l2_reg_cost(cost):
    """Calculate the cost of a neural network with L2 regularization.

    Args:
        cost: a tensor containing the cost of the network without L2
            regularization.

    Returns:
        A tensor with one entry per regularized layer: the cost plus
        that layer's L2 regularization loss.
    """
    return cost + tf.losses.get_regularization_losses()
