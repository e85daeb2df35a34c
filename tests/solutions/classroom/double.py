#!/usr/bin/env python3
"""Reference: double every number."""
import numpy as np


def double(x):
    """Twice x."""
    return 2 * np.asarray(x)
