#!/usr/bin/env python3
"""Create a TensorFlow layer that includes L2 regularization."""
import tensorflow.compat.v1 as tf


def l2_reg_create_layer(prev, n, activation, lambtha):
    """Create a dense layer with L2 regularization on its kernel.

    Args:
        prev: tensor containing the output of the previous layer.
        n: the number of nodes of the new layer.
        activation: the activation function of the new layer.
        lambtha: the L2 regularization parameter.

    Returns:
        The output tensor of the new layer.
    """
    initializer = tf.keras.initializers.VarianceScaling(scale=2.0,
                                                        mode="fan_avg")
    regularizer = tf.keras.regularizers.L2(lambtha)
    layer = tf.layers.Dense(units=n,
                            activation=activation,
                            kernel_initializer=initializer,
                            kernel_regularizer=regularizer)
    return layer(prev)
