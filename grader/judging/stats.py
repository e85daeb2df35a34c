"""Statistical bounds for judging randomness (dropout masks, initializers).

Thresholds come from exact inequalities at a tiny false-failure rate, so a
correct submission fails by bad luck about once in a billion runs, and a real
mistake (wrong keep rate, wrong initializer) is far outside them at the sizes
the checks use.
"""
from __future__ import annotations

import math

import numpy as np

FALSE_FAIL_RATE = 1e-9


def binomial_interval(trials: int, p: float, rate: float = FALSE_FAIL_RATE) -> tuple[int, int]:
    """Counts of successes a Binomial(trials, p) stays within, except with prob. `rate`.

    Hoeffding: P(|X - np| >= t) <= 2 exp(-2 t^2 / n).
    """
    t = math.sqrt(trials * math.log(2 / rate) / 2)
    return max(0, math.ceil(trials * p - t)), min(trials, math.floor(trials * p + t))


def dkw_bound(n: int, rate: float = FALSE_FAIL_RATE) -> float:
    """Largest KS distance a sample of n draws from the true law shows, except with prob. `rate`.

    Dvoretzky-Kiefer-Wolfowitz (Massart): P(sup|F_n - F| > e) <= 2 exp(-2 n e^2).
    """
    return math.sqrt(math.log(2 / rate) / (2 * n))


def ks_distance(sample: np.ndarray, cdf) -> float:
    """Kolmogorov-Smirnov distance between a sample and a continuous CDF."""
    x = np.sort(np.asarray(sample, dtype=np.float64).ravel())
    n = x.size
    f = cdf(x)
    upper = np.arange(1, n + 1) / n - f
    lower = f - np.arange(0, n) / n
    return float(max(upper.max(), lower.max()))


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(np.asarray(z, dtype=np.float64) / math.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    """Vectorized erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: far below any KS bound)."""
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))


def truncated_normal_cdf(stddev: float, bound: float = 2.0):
    """CDF of N(0, stddev) truncated to [-bound*stddev, bound*stddev]."""
    low, high = _normal_cdf(np.array(-bound))[()], _normal_cdf(np.array(bound))[()]

    def cdf(x: np.ndarray) -> np.ndarray:
        z = np.clip(x / stddev, -bound, bound)
        return (_normal_cdf(z) - low) / (high - low)
    return cdf


def normal_cdf(stddev: float):
    return lambda x: _normal_cdf(np.asarray(x) / stddev)


def uniform_cdf(limit: float):
    return lambda x: np.clip((np.asarray(x) + limit) / (2 * limit), 0.0, 1.0)
