"""The course's `reg_utils`, written from its documented behaviour.

The helpers of a 3-layer network (LINEAR -> RELU -> LINEAR -> RELU -> LINEAR ->
SIGMOID) the Regularization notebook imports. `datasets/data.mat` is not
available: `load_2D_dataset` returns a generated stand-in of the same shapes
(211 training and 200 test points in 2-D, labels 0/1, noisy around a diagonal).
Nothing heavy happens at import; plots are drawn only where matplotlib is
installed (in static grading nothing is plotted at all).
"""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def initialize_parameters(layer_dims):
    """W scaled by 1/sqrt(fan-in), b zero; seeded like the course (np.random.seed(3))."""
    np.random.seed(3)
    parameters = {}
    for layer in range(1, len(layer_dims)):
        parameters["W" + str(layer)] = (np.random.randn(layer_dims[layer], layer_dims[layer - 1])
                                        / np.sqrt(layer_dims[layer - 1]))
        parameters["b" + str(layer)] = np.zeros((layer_dims[layer], 1))
    return parameters


def forward_propagation(X, parameters):
    """(a3, cache) with cache = (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)."""
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    z1 = np.dot(W1, X) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1) + b2
    a2 = relu(z2)
    z3 = np.dot(W3, a2) + b3
    a3 = sigmoid(z3)
    return a3, (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)


def backward_propagation(X, Y, cache):
    """The gradients of compute_cost (keys dz3, dW3, db3, da2, ..., db1)."""
    m = X.shape[1]
    (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3) = cache
    dz3 = 1. / m * (a3 - Y)
    dW3 = np.dot(dz3, a2.T)
    db3 = np.sum(dz3, axis=1, keepdims=True)
    da2 = np.dot(W3.T, dz3)
    dz2 = np.multiply(da2, np.int64(a2 > 0))
    dW2 = np.dot(dz2, a1.T)
    db2 = np.sum(dz2, axis=1, keepdims=True)
    da1 = np.dot(W2.T, dz2)
    dz1 = np.multiply(da1, np.int64(a1 > 0))
    dW1 = np.dot(dz1, X.T)
    db1 = np.sum(dz1, axis=1, keepdims=True)
    return {"dz3": dz3, "dW3": dW3, "db3": db3, "da2": da2, "dz2": dz2, "dW2": dW2,
            "db2": db2, "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}


def update_parameters(parameters, grads, learning_rate):
    """One gradient-descent step on every W and b."""
    for layer in range(1, len(parameters) // 2 + 1):
        for name in ("W" + str(layer), "b" + str(layer)):
            parameters[name] = parameters[name] - learning_rate * grads["d" + name]
    return parameters


def compute_cost(a3, Y):
    """Mean cross-entropy (NaN terms, from log(0) * 0, are left out as in the course)."""
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1. / m * np.nansum(logprobs)


def predict(X, y, parameters):
    """0/1 predictions (a3 > 0.5); prints the accuracy, as the course does."""
    a3, _ = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(int)
    print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p


def predict_dec(parameters, X):
    """Boolean predictions, for plot_decision_boundary."""
    a3, _ = forward_propagation(X, parameters)
    return a3 > 0.5


def load_2D_dataset():
    """(train_X (2, 211), train_Y (1, 211), test_X (2, 200), test_Y (1, 200)): a generated
    stand-in of the course's football-field data, the same on every call."""
    rng = np.random.RandomState(2)
    train_X, train_Y = _field_points(rng, 211)
    test_X, test_Y = _field_points(rng, 200)
    plt = _pyplot()
    if plt is not None:
        plt.scatter(train_X[0, :], train_X[1, :], c=train_Y.ravel(), s=40, cmap=plt.cm.Spectral)
    return train_X, train_Y, test_X, test_Y


def _field_points(rng, count):
    """Points of the field; label 1 above the diagonal, with about 10 % of labels flipped."""
    X = np.vstack([rng.uniform(-0.75, 0.4, count), rng.uniform(-0.75, 0.65, count)])
    Y = (X[1] > X[0] + rng.normal(0, 0.08, count)).astype(np.int64)
    flipped = rng.uniform(size=count) < 0.1
    Y[flipped] = 1 - Y[flipped]
    return X, Y.reshape(1, count)


def plot_decision_boundary(model, X, y):
    """The model's decision regions under the points; nothing without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return
    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, 0.02), np.arange(y_min, y_max, 0.02))
    Z = np.asarray(model(np.c_[xx.ravel(), yy.ravel()]), dtype=np.float64).reshape(xx.shape)
    plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral)
    plt.ylabel("x2")
    plt.xlabel("x1")
    plt.scatter(X[0, :], X[1, :], c=np.ravel(y), cmap=plt.cm.Spectral)
    plt.show()


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt
