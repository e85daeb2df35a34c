#!/usr/bin/env python3
"""Reference: the mean of an array."""
import numpy as np


def mean_of(a):
    """The mean of a."""
    return np.sum(a) / np.size(a)
