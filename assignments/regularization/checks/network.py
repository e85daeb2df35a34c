"""The NumPy network of tasks 0, 1, 4 and 5: random layers and inputs, forward and backward.

Generators draw from the `rng` they are given, in a fixed order: the same seed
gives the same inputs.
"""
import numpy as np

from .common import ARROW


def random_network(rng, sizes, m, scaled=True, zero_biases=False):
    """Weights W1..WL, b1..bL for layer sizes [n0, n1, ..., nL]; biases non-zero."""
    weights = {}
    for layer in range(1, len(sizes)):
        scale = 1 / np.sqrt(sizes[layer - 1]) if scaled else 1.0
        weights[f"W{layer}"] = rng.standard_normal((sizes[layer], sizes[layer - 1])) * scale
        weights[f"b{layer}"] = (np.zeros((sizes[layer], 1)) if zero_biases
                                else rng.standard_normal((sizes[layer], 1)) * 0.5)
    return weights


def random_inputs(rng, n0, m):
    return rng.uniform(0.0, 1.0, (n0, m))


def one_hot(rng, classes, m):
    labels = rng.integers(0, classes, m)
    y = np.zeros((classes, m))
    y[labels, np.arange(m)] = 1.0
    return y


def random_sizes(rng, hidden, n0=784, classes=10):
    return [n0] + [int(rng.integers(lo, hi)) for lo, hi in hidden] + [classes]


def arch(sizes, m):
    return ARROW.join(str(s) for s in sizes) + f", m={m}"


def softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def forward(weights, x, L, masks=None, keep_prob=1.0):
    """Cache A0..AL of the tanh/softmax network (with given dropout masks, if any)."""
    cache = {"A0": x}
    for layer in range(1, L + 1):
        z = weights[f"W{layer}"] @ cache[f"A{layer - 1}"] + weights[f"b{layer}"]
        if layer == L:
            cache[f"A{layer}"] = softmax(z)
        else:
            a = np.tanh(z)
            if masks is not None:
                cache[f"D{layer}"] = masks[layer]
                a = a * masks[layer] / keep_prob
            cache[f"A{layer}"] = a
    return cache


def backprop(Y, weights, cache, alpha, L, lambtha=0.0, keep_prob=None, mistake=None,
             skip=(), dzs=None, accept=None):
    """One gradient step (L2 or dropout) on copies; returns the new weights dict.

    `mistake` (a key of a gradient-step mistake table) computes a classic mistake's step;
    layers in `skip` are left as they were (a backward loop that misses them); `dzs`, if
    given, receives the dZ each layer's gradients were computed from. `accept(layer, W)`,
    if given, sees each new W_l as soon as it is computed: when it says no, the pass stops
    there and returns None (the expensive first layer is reached only when needed)."""
    new = {k: np.array(v, dtype=float) for k, v in weights.items()}
    m = examples(Y, cache, mistake)
    dz = cache[f"A{L}"] - Y
    for layer in range(L, 0, -1):
        a_prev = cache[f"A{layer - 1}"]
        w_old = weights[f"W{layer}"]
        if dzs is not None:
            dzs[layer] = dz
        l2 = (0.0 if mistake == "no_l2" else lambtha if mistake == "l2_no_m"
              else lambtha / (2 * m) if mistake == "l2_half" else lambtha / m)
        dw = dz @ a_prev.T / (1 if mistake == "dw_no_m" else m) + l2 * w_old
        db = dz.sum(axis=1, keepdims=True) / m
        if mistake == "bias_l2":
            db = db + lambtha / m * weights[f"b{layer}"]
        if layer not in skip:
            new[f"W{layer}"] = w_old - alpha * dw
            new[f"b{layer}"] = weights[f"b{layer}"] - alpha * db
        if accept is not None and not accept(layer, new[f"W{layer}"]):
            return None
        if layer > 1:
            w_used = new[f"W{layer}"] if mistake == "updated_w" else w_old
            dz = (w_used.T @ dz) * _tanh_derivative(a_prev, mistake)
            if keep_prob is not None and mistake != "no_dropout":
                if mistake != "no_mask":
                    dz = dz * cache[f"D{layer - 1}"]
                if mistake == "times_keep_prob":
                    dz = dz * keep_prob
                elif mistake != "no_scale":
                    dz = dz / keep_prob
    return new


def examples(Y, cache, mistake=None):
    """m, the number of examples, or what a classic mistake takes for it."""
    if mistake == "m_rows":
        return Y.shape[0]
    if mistake == "m_features":
        return cache["A0"].shape[0]
    return Y.shape[1]


def _tanh_derivative(a, mistake):
    """tanh'(Z) from A = tanh(Z), or what a classic mistake writes instead."""
    if mistake == "tanh_no_square":
        return 1 - a
    if mistake == "sigmoid_derivative":
        return a * (1 - a)
    if mistake == "tanh_of_a":
        return 1 - np.tanh(a) ** 2
    if mistake == "no_derivative":
        return 1.0
    return 1 - a ** 2


def bias_variants(b, dz, alpha, m):
    """What b becomes after one step when db itself is computed wrongly from a right dZ."""
    return {"db_no_m": b - alpha * dz.sum(axis=1, keepdims=True),
            "db_all_axes": b - alpha * np.sum(dz) / m,
            "db_no_keepdims": b - alpha * dz.sum(axis=1) / m}
