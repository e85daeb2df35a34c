"""The course's `gc_utils`, written from its documented behaviour.

The notebook imports `sigmoid, relu, dictionary_to_vector, vector_to_dictionary,
gradients_to_vector`. The network is fixed (4 inputs, 5 and 3 hidden units, 1
output: 47 parameters), as in the course, whose `vector_to_dictionary` hard-codes
those shapes. Vectors are columns of shape (47, 1), parameters in the order W1,
b1, W2, b2, W3, b3, each flattened row by row.
"""
import numpy as np

PARAMETER_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
SHAPES = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def dictionary_to_vector(parameters):
    """(theta, keys): every parameter flattened into one column, and for each row of
    theta the name of the parameter it came from."""
    pieces, keys = [], []
    for key in PARAMETER_KEYS:
        piece = np.reshape(parameters[key], (-1, 1))
        pieces.append(piece)
        keys += [key] * piece.shape[0]
    return np.concatenate(pieces, axis=0), keys


def vector_to_dictionary(theta):
    """The parameters dictionary back from a column of 47 values (views of theta)."""
    parameters, start = {}, 0
    for key in PARAMETER_KEYS:
        size = SHAPES[key][0] * SHAPES[key][1]
        parameters[key] = theta[start:start + size].reshape(SHAPES[key])
        start += size
    return parameters


def gradients_to_vector(gradients):
    """dW1, db1, dW2, db2, dW3, db3 flattened into one column, like the parameters."""
    return np.concatenate([np.reshape(gradients["d" + key], (-1, 1))
                           for key in PARAMETER_KEYS], axis=0)
