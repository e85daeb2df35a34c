#!/usr/bin/env python3
"""Early stopping for gradient descent."""


def early_stopping(cost, opt_cost, threshold, patience, count):
    """Determine whether gradient descent should stop early.

    Args:
        cost: the current validation cost of the network.
        opt_cost: the lowest recorded validation cost of the network.
        threshold: the threshold used for early stopping.
        patience: the patience count used for early stopping.
        count: how long the threshold has not been met.

    Returns:
        A tuple (stop, count): count is reset to 0 when the cost dropped
        by strictly more than threshold below opt_cost and incremented
        otherwise; stop is whether count has reached patience.
    """
    if opt_cost - cost > threshold:
        count = 0
    else:
        count += 1
    return count >= patience, count
