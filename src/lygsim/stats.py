"""Confidence intervals, paired differences and warm-up detection.

Student-t quantiles are computed here (regularised incomplete beta, inverted by bisection)
so the runtime needs no SciPy; the tests check them against SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betai(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """CDF of Student's t with ``df`` degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * _betai(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t (e.g. ``t_quantile(0.975, 9)`` = 2.2622)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("need 0 < p < 1 and df > 0")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def mean_ci(
    values: Sequence[float] | np.ndarray, level: float = 0.95
) -> tuple[float, float, int, float, float]:
    """Mean, standard deviation, n and a Student-t interval of independent replications.

    NaN values (a KPI undefined in a replication) are left out. With one value the
    interval is NaN: one replication says nothing about its own spread.

    Returns:
        ``(mean, std, n, ci_low, ci_high)``.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, 0, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, math.nan, 1, math.nan, math.nan)
    std = float(x.std(ddof=1))
    half = t_quantile(0.5 + level / 2.0, n - 1) * std / math.sqrt(n)
    return (mean, std, n, mean - half, mean + half)


def mser5(series: Sequence[float] | np.ndarray) -> int:
    """MSER-5 truncation point: how many leading observations to drop as warm-up.

    Observations are averaged in batches of 5; the truncation minimising the marginal
    standard error of the remaining batch means is chosen (searching the first half only).

    Returns:
        The number of leading observations (a multiple of 5) to discard.
    """
    x = np.asarray(series, dtype=float)
    nb = len(x) // 5
    if nb < 4:
        return 0
    b = x[: nb * 5].reshape(nb, 5).mean(axis=1)
    best_d, best = 0, math.inf
    for d in range(nb // 2):
        rest = b[d:]
        k = len(rest)
        value = float(((rest - rest.mean()) ** 2).sum()) / (k * k)
        if value < best:
            best, best_d = value, d
    return best_d * 5


def paired_ci(
    base: Sequence[float] | np.ndarray, option: Sequence[float] | np.ndarray, level: float = 0.95
) -> tuple[float, float, int, float, float]:
    """Mean difference ``option - base`` of paired replications and its Student-t interval.

    The two sequences must be aligned by replication (same seed and replication number:
    common random numbers). Pairs with a NaN on either side are left out.

    Returns:
        ``(mean_difference, std, n, ci_low, ci_high)``.
    """
    a = np.asarray(base, dtype=float)
    b = np.asarray(option, dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired samples must have the same length")
    return mean_ci(b - a, level)


def welch_ci(
    base: Sequence[float] | np.ndarray, option: Sequence[float] | np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Difference of means of two independent samples with Welch's interval.

    Returns:
        ``(mean_difference, ci_low, ci_high)``.
    """
    a = np.asarray(base, dtype=float)
    b = np.asarray(option, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(b.mean() - a.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = t_quantile(0.5 + level / 2.0, df) * se
    return diff, diff - half, diff + half
