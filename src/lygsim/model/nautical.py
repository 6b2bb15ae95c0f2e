"""The approach channel: tide windows for tide-bound ships and weather closures.

Closures are drawn for the whole horizon before the run (their own stream), so the channel
answers "when may this ship next move?" with arithmetic instead of extra processes.
Moving means entering or leaving the channel; closures are half-open ``[start, end)``.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from lygsim.model.arrivals import month_boundaries_h
from lygsim.scenario import Nautical, Scenario
from lygsim.units import HOURS_PER_YEAR


def closure_intervals(
    scenario: Scenario, rng: np.random.Generator, horizon_h: float
) -> list[tuple[float, float]]:
    """Weather closures over the horizon, merged where they overlap, sorted by start."""
    n = scenario.nautical
    if n is None:
        return []
    raw = [(w.start_day * 24.0, w.start_day * 24.0 + w.duration_h) for w in n.weather.closures]
    rnd = n.weather.random
    if rnd is not None:
        edges, months = month_boundaries_h(scenario.scenario.start_date, horizon_h)
        season = np.asarray(rnd.seasonality, dtype=float)
        season = season / season.mean()
        rate = rnd.episodes_per_year / HOURS_PER_YEAR * season[months]
        cum = np.concatenate([[0.0], np.cumsum(rate * np.diff(edges))])
        points = []
        t = rng.exponential(1.0)
        while t < cum[-1]:
            points.append(t)
            t += rng.exponential(1.0)
        starts = np.interp(points, cum, edges) if points else np.array([])
        lengths = rnd.duration_h.sample_n(rng, len(starts)) if len(starts) else []
        raw += [(float(s), float(s + d)) for s, d in zip(starts, lengths, strict=True) if d > 0]
    return merge_intervals(raw)


def merge_intervals(raw: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Intervals ``(start, end)`` sorted, with overlapping or touching ones merged."""
    merged: list[tuple[float, float]] = []
    for s, e in sorted(raw):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


class Channel:
    """Answers when a ship may next enter or leave, and why it had to wait.

    Args:
        nautical: The scenario's nautical section (tide parameters).
        closures: Merged weather closures ``[(start_h, end_h), ...]``.
    """

    def __init__(self, nautical: Nautical | None, closures: list[tuple[float, float]]):
        self.closures = closures
        self._starts = [s for s, _ in closures]
        tide = nautical.tide if nautical is not None else None
        self.period_h = tide.period_h if tide else math.inf
        self.half_window_h = tide.window_h / 2 if tide else math.inf
        self.first_hw_h = tide.first_high_water_h if tide else 0.0

    def in_tide_window(self, t: float) -> bool:
        """Whether ``t`` lies inside a tide window (always true without a tide)."""
        if math.isinf(self.period_h):
            return True
        phase = (t - self.first_hw_h) % self.period_h
        return (
            phase <= self.half_window_h + 1e-9 or phase >= self.period_h - self.half_window_h - 1e-9
        )

    def _next_window(self, t: float) -> float:
        k = math.ceil((t - self.first_hw_h) / self.period_h)
        return self.first_hw_h + k * self.period_h - self.half_window_h

    def closed_at(self, t: float) -> tuple[float, float] | None:
        """The closure that ``t`` falls in, or None."""
        i = bisect.bisect_right(self._starts, t) - 1
        if i >= 0 and self.closures[i][1] > t:
            return self.closures[i]
        return None

    def next_move(self, t: float, tide_bound: bool) -> tuple[float, float, float]:
        """Earliest time at or after ``t`` at which the ship may move.

        Returns:
            ``(time_h, tide_wait_h, weather_wait_h)``; the two waits add up to the delay.
        """
        tide_wait = weather_wait = 0.0
        while True:
            c = self.closed_at(t) if self.closures else None
            if c is not None:
                weather_wait += c[1] - t
                t = c[1]
                continue
            if tide_bound and not self.in_tide_window(t):
                nxt = self._next_window(t)
                tide_wait += nxt - t
                t = nxt
                continue
            return t, tide_wait, weather_wait
