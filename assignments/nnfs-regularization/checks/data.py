"""Inputs the checks generate (parameters away from the kinks, spiral data) and the
reference's classes driven on them, in the trusted parent only."""
import numpy as np

FACTOR_NAMES = {"weight_l1": "weight_regularizer_l1", "weight_l2": "weight_regularizer_l2",
                "bias_l1": "bias_regularizer_l1", "bias_l2": "bias_regularizer_l2"}


def away_from_zero(rng, shape, low=0.05, high=1.0):
    """Values of random sign with |value| in [low, high]: L1's derivative is defined there,
    and biases are nonzero (the book's zero biases would hide every bias term)."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def factors(rng, which):
    """Regularization factors: the ones named in `which` set, the others 0."""
    return {name: float(rng.uniform(0.05, 0.5)) if name in which else 0.0
            for name in FACTOR_NAMES}


def reference_layer(ctx, weights, biases, layer_factors):
    """The reference's Layer_Dense with these parameters and factors."""
    layer = ctx.reference("Layer_Dense")(
        *weights.shape, **{FACTOR_NAMES[k]: v for k, v in layer_factors.items()})
    layer.weights = np.array(weights, dtype=np.float64)
    layer.biases = np.array(biases, dtype=np.float64).reshape(1, -1)
    return layer


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def softmax(z, axis=1):
    exp = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return exp / np.sum(exp, axis=axis, keepdims=True)


def spiral(rng, samples, classes=3):
    """nnfs.datasets.spiral_data's law (cs231n's spirals), drawn from `rng` instead of
    NumPy's global generator."""
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype=np.int64)
    for label in range(classes):
        rows = slice(samples * label, samples * (label + 1))
        radius = np.linspace(0.0, 1, samples)
        angle = np.linspace(label * 4, (label + 1) * 4, samples) + \
            rng.standard_normal(samples) * 0.2
        x[rows] = np.c_[radius * np.sin(angle * 2.5), radius * np.cos(angle * 2.5)]
        y[rows] = label
    return x, y
