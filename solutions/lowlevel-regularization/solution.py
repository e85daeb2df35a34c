"""Reference solution of the lowlevel-regularization pack: L1/L2 penalties, magnitude
pruning and inverted dropout in NumPy, on a 64 -> hidden -> hidden -> 10 network.

Samples are rows and layers compute `x @ W`, as in the seed notebook. Loaded only
by the trusted grading process (checks call it through `ctx.reference()`).
"""
import numpy as np

LOG_EVERY = 50  # the history gets a (step, loss, val_accuracy) entry this often
CLIP = 5.0  # gradients are clipped to [-CLIP, CLIP], as in the seed


def stable_softmax(a):
    """Row-wise softmax, shifted by each row's maximum so that exp never overflows."""
    shifted = a - np.max(a, axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=1, keepdims=True)


def l1_penalty(weights, lam, m):
    """lam / m * the sum of |W| over every matrix."""
    return lam / m * sum(np.sum(np.abs(w)) for w in weights)


def l2_penalty(weights, lam, m):
    """lam / (2 m) * the sum of W ** 2 over every matrix."""
    return lam / (2 * m) * sum(np.sum(w ** 2) for w in weights)


def penalty_gradients(weights, lam_l1, lam_l2, m):
    """The gradients of both penalties, one array per matrix."""
    return [lam_l1 / m * np.sign(w) + lam_l2 / m * w for w in weights]


def prune(weights, masks, rate):
    """Zero (in place) the entries with |W| < rate * std(W); the masks lose them too."""
    new_masks = []
    for w, mask in zip(weights, masks):
        small = np.abs(w) < rate * np.std(w)
        w[small] = 0.0
        new_masks.append(np.where(small, 0.0, mask))
    return new_masks


def dropout(h, rate, rng):
    """Inverted dropout: keep each unit with probability 1 - rate, scale kept units up."""
    kept = rng.random(h.shape) >= rate
    return h * kept / (1.0 - rate)


def accuracy(probabilities, y):
    """The share of rows whose most probable class is the one-hot label's."""
    return float(np.mean(np.argmax(probabilities, axis=1) == np.argmax(y, axis=1)))


def train(x, y, x_val, y_val, *, hidden, steps, learning_rate, lam_l1, lam_l2,
          dropout_rate, pruning_rate, prune_period, seed):
    """Full-batch gradient descent on ReLU -> ReLU (+ dropout) -> softmax, pruning at
    steps > 0 that are multiples of prune_period, before that step's update.

    Returns the three weight matrices and the history of (step, loss, val_accuracy):
    every LOG_EVERY steps, and once after the last update (step `steps`)."""
    rng = np.random.default_rng(seed)
    m = len(x)
    sizes = [x.shape[1], hidden, hidden, y.shape[1]]
    weights = initial_weights(rng, sizes)
    biases = [np.zeros(n) for n in sizes[1:]]
    masks = [np.ones_like(w) for w in weights]
    history = []
    for step in range(steps):
        z0 = x @ weights[0] + biases[0]
        h0 = np.maximum(z0, 0.0)
        z1 = h0 @ weights[1] + biases[1]
        h1 = np.maximum(z1, 0.0)
        if dropout_rate:
            h1 = dropout(h1, dropout_rate, rng)
        probabilities = stable_softmax(h1 @ weights[2] + biases[2])
        if step % LOG_EVERY == 0:
            history.append(_entry(step, probabilities, y, weights, biases, x_val, y_val,
                                  lam_l1, lam_l2))
        dz2 = (probabilities - y) / m
        dz1 = dz2 @ weights[2].T * (h1 > 0) / (1.0 - dropout_rate)
        dz0 = dz1 @ weights[1].T * (z0 > 0)
        grads = [x.T @ dz0, h0.T @ dz1, h1.T @ dz2]
        bias_grads = [dz0.sum(axis=0), dz1.sum(axis=0), dz2.sum(axis=0)]
        for grad, penalty in zip(grads, penalty_gradients(weights, lam_l1, lam_l2, m)):
            grad += penalty
        if pruning_rate > 0 and step and step % prune_period == 0:
            masks = prune(weights, masks, pruning_rate)
        for w, b, grad, bias_grad, mask in zip(weights, biases, grads, bias_grads, masks):
            w -= learning_rate * np.clip(grad * mask, -CLIP, CLIP)
            b -= learning_rate * np.clip(bias_grad, -CLIP, CLIP)
    history.append(_entry(steps, _predict(x, weights, biases), y, weights, biases, x_val,
                          y_val, lam_l1, lam_l2))
    return weights, history


def initial_weights(rng, sizes):
    """The seed's initialisation: 0.01 * standard normal."""
    return [0.01 * rng.standard_normal(shape) for shape in zip(sizes[:-1], sizes[1:])]


def _entry(step, probabilities, y, weights, biases, x_val, y_val, lam_l1, lam_l2):
    """(step, training loss with penalties, validation accuracy without dropout)."""
    m = len(y)
    loss = (-np.sum(y * np.log(probabilities + 1e-12)) / m
            + l1_penalty(weights, lam_l1, m) + l2_penalty(weights, lam_l2, m))
    return step, float(loss), accuracy(_predict(x_val, weights, biases), y_val)


def _predict(x, weights, biases):
    h0 = np.maximum(x @ weights[0] + biases[0], 0.0)
    h1 = np.maximum(h0 @ weights[1] + biases[1], 0.0)
    return stable_softmax(h1 @ weights[2] + biases[2])
