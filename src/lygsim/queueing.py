"""Queueing formulas the berth model is validated against and plotted beside.

Notation: ``lam`` arrival rate, ``mu`` service rate (1 / mean service time), ``c`` berths,
``a = lam / mu`` offered load, ``rho = a / c`` occupancy. Waits are before service (Wq).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability, by the numerically stable recursion."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C); needs ``a < c``."""
    if not 0 <= a < c:
        raise ValueError("need 0 <= a < c for a stable queue")
    b = erlang_b(c, a)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def mmc_ws(c: int, rho: float) -> float:
    """W/S of M/M/c at occupancy ``rho`` (exact): Wq x mu = C(c, a) / (c (1 - rho))."""
    a = rho * c
    return erlang_c(c, a) / (c * (1.0 - rho))


def mmc_wq(c: int, lam: float, mean_service: float) -> float:
    """Mean wait before service in M/M/c (exact)."""
    mu = 1.0 / mean_service
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mg1_ws(rho: float, cs2: float) -> float:
    """W/S of M/G/1 (Pollaczek-Khinchine, exact): ``(1 + cs2) / 2 x rho / (1 - rho)``."""
    if not 0 <= rho < 1:
        raise ValueError("need 0 <= rho < 1")
    return (1.0 + cs2) / 2.0 * rho / (1.0 - rho)


def allen_cunneen_ws(c: int, rho: float, ca2: float = 1.0, cs2: float = 1.0) -> float:
    """W/S of G/G/c by Allen-Cunneen: ``W/S(M/M/c) x (ca2 + cs2) / 2`` (approximate)."""
    return mmc_ws(c, rho) * (ca2 + cs2) / 2.0


def priority_wq(
    lam: Sequence[float], mean_s: Sequence[float], second_moment_s: Sequence[float]
) -> list[float]:
    """Mean waits of each class in a non-preemptive priority M/G/1 queue (Cobham, exact).

    ``W_k = W0 / ((1 - s_{k-1}) (1 - s_k))`` with ``W0 = sum_i lam_i E[S_i^2] / 2`` (the
    residual work of the ship in service) and ``s_k = sum_{i <= k} lam_i E[S_i]``.

    Args:
        lam: Arrival rate of each class, highest priority first.
        mean_s: Mean service time of each class.
        second_moment_s: ``E[S^2]`` of each class (``2 mean^2`` for exponential service).
    """
    w0 = sum(r * m2 for r, m2 in zip(lam, second_moment_s, strict=True)) / 2.0
    waits, s = [], 0.0
    for r, m in zip(lam, mean_s, strict=True):
        before, s = s, s + r * m
        if s >= 1:
            raise ValueError("need a total load below 1 for a stable queue")
        waits.append(w0 / ((1.0 - before) * (1.0 - s)))
    return waits


def is_finite_load(c: int, rho: float) -> bool:
    """Whether a queue with ``c`` berths at occupancy ``rho`` is stable."""
    return c >= 1 and 0 <= rho < 1 and math.isfinite(rho)
