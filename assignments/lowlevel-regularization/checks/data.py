"""The digits split of the seed notebook: scikit-learn's bundled digits (1797 images of
8x8 pixels, 10 classes; no download), standardised with one global mean and standard
deviation, one-hot labels, rows shuffled with the legacy generator seeded 1337, then
20 % validation, 20 % test (unused here) and the rest for training.

The data set is not secret: it is sent to the child as inputs. Loaded once per process.
"""
import functools

import numpy as np

SHUFFLE_SEED = 1337  # the seed notebook's `my_seed` for the split
VALIDATION_SHARE = 0.2


@functools.cache
def digits_split():
    """(x, y, x_val, y_val): float64 features and one-hot labels, samples in rows."""
    from sklearn.datasets import load_digits  # here: only the train task's cases need it

    features, labels = load_digits(return_X_y=True)
    features = (features - features.mean()) / features.std()
    one_hot = np.eye(labels.max() + 1)[labels]
    order = np.random.RandomState(SHUFFLE_SEED).permutation(len(features))
    features, one_hot = features[order], one_hot[order]
    validation = round(VALIDATION_SHARE * len(features))
    for array in (features, one_hot):
        array.setflags(write=False)
    return (features[2 * validation:], one_hot[2 * validation:],
            features[:validation], one_hot[:validation])
