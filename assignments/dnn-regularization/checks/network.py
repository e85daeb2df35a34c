"""The notebook's 3-layer network, parent side: generated networks and caches, and what
the graded computations give under each classic mistake.

LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID; caches in the course's
layouts (12 entries, or 14 with the dropout masks D1 and D2).
"""
import numpy as np

LAYERS = (1, 2, 3)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def random_network(rng, n0, n1, n2, m):
    """(X, Y, parameters): m examples, labels 0/1, weights scaled like the course's and
    biases that are not zero (so that regularizing them shows)."""
    sizes = (n0, n1, n2, 1)
    parameters = {}
    for layer in LAYERS:
        parameters[f"W{layer}"] = (rng.standard_normal((sizes[layer], sizes[layer - 1]))
                                   / np.sqrt(sizes[layer - 1]))
        parameters[f"b{layer}"] = rng.normal(0.0, 0.5, (sizes[layer], 1))
    X = rng.standard_normal((n0, m))
    Y = rng.integers(0, 2, (1, m))
    return X, Y, parameters


def forward(X, parameters, masks=None, keep_prob=1.0):
    """The cache of a forward pass: without masks the 12-entry layout, with (D1, D2) the
    14-entry one (inverted dropout on both hidden layers)."""
    p = parameters
    Z1 = p["W1"] @ X + p["b1"]
    A1 = relu(Z1) if masks is None else relu(Z1) * masks[0] / keep_prob
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = relu(Z2) if masks is None else relu(Z2) * masks[1] / keep_prob
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = sigmoid(Z3)
    if masks is None:
        return (Z1, A1, p["W1"], p["b1"], Z2, A2, p["W2"], p["b2"], Z3, A3, p["W3"], p["b3"])
    return (Z1, masks[0], A1, p["W1"], p["b1"], Z2, masks[1], A2, p["W2"], p["b2"], Z3, A3,
            p["W3"], p["b3"])


def cross_entropy(A3, Y):
    m = Y.shape[1]
    return float(1. / m * np.nansum(-np.log(A3) * Y - np.log(1 - A3) * (1 - Y)))


def l2_cost(A3, Y, parameters, lambd, mistake):
    """The regularized cost as a classic mistake computes it."""
    m = Y.shape[1]
    weights = [parameters[f"W{layer}"] for layer in LAYERS]
    squares = sum(float(np.sum(np.square(W))) for W in weights)
    bias_squares = sum(float(np.sum(np.square(parameters[f"b{layer}"]))) for layer in LAYERS)
    term = {"biases": lambd / (2 * m) * (squares + bias_squares),
            "over_m": lambd / m * squares,
            "precedence": lambd / 2 * m * squares,
            "no_m": lambd / 2 * squares,
            "unsquared": lambd / (2 * m) * sum(float(np.linalg.norm(W)) for W in weights),
            "plain_sum": lambd / (2 * m) * sum(float(np.sum(W)) for W in weights),
            "sum_squared": lambd / (2 * m) * sum(float(np.sum(W)) ** 2 for W in weights),
            }.get(mistake, lambd / (2 * m) * squares)
    return term if mistake == "no_cross_entropy" else cross_entropy(A3, Y) + term


def backward(X, Y, cache, lambd=0.0, keep_prob=None, mistake=None):
    """The gradients (dW, db, dA1, dA2) with L2 (lambd) or dropout (keep_prob, a 14-entry
    cache), as a classic mistake computes them."""
    m = X.shape[1]
    if keep_prob is None:
        (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
        D1 = D2 = None
    else:
        (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache

    def dropped(dA, D):
        if D is None:
            return dA
        return {"no_scale": dA * D, "one_minus": dA * D / (1 - keep_prob),
                "times_keep_prob": dA * D * keep_prob, "no_mask": dA / keep_prob,
                }.get(mistake, dA * D / keep_prob)

    factor = {"no_over_m": lambd, "over_2m": lambd / (2 * m), "missing": 0.0}.get(
        mistake, lambd / m)
    bias_factor = factor if mistake == "biases" else 0.0
    dZ3 = A3 - Y
    dA2 = dropped(W3.T @ dZ3, D2)
    dZ2 = dA2 * (A2 > 0)
    dA1 = dropped(W2.T @ dZ2, D1)
    dZ1 = dA1 * (A1 > 0)
    gradients = {"dA1": dA1, "dA2": dA2}
    for layer, dZ, A_previous, W, b in ((3, dZ3, A2, W3, b3), (2, dZ2, A1, W2, b2),
                                        (1, dZ1, X, W1, b1)):
        gradients[f"dW{layer}"] = dZ @ A_previous.T / m + factor * W
        gradients[f"db{layer}"] = np.sum(dZ, axis=1, keepdims=True) / m + bias_factor * b
    return gradients
