#!/usr/bin/env python3
"""Create a TensorFlow layer followed by dropout."""
import tensorflow.compat.v1 as tf


def dropout_create_layer(prev, n, activation, keep_prob, training=True):
    """Create a dense layer followed by (inverted) dropout.

    Args:
        prev: tensor containing the output of the previous layer.
        n: the number of nodes of the new layer.
        activation: the activation function of the new layer.
        keep_prob: the probability that a node will be kept.
        training: whether the model is in training mode; dropout is
            applied only when it is true.

    Returns:
        The output tensor of the new layer.
    """
    initializer = tf.keras.initializers.VarianceScaling(scale=2.0,
                                                        mode="fan_avg")
    layer = tf.layers.Dense(units=n,
                            activation=activation,
                            kernel_initializer=initializer)
    dropout = tf.layers.Dropout(rate=1 - keep_prob)
    return dropout(layer(prev), training=training)
