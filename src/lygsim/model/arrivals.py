"""Arrival times and ship attributes, generated up front for the whole horizon.

Generating every arrival before the run keeps each stream's draws independent of what
happens in the port (common random numbers) and costs one numpy call per stream.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from lygsim.scenario import (
    PoissonArrivals,
    RenewalArrivals,
    Scenario,
    ScheduledArrivals,
)
from lygsim.streams import Streams
from lygsim.units import HOURS_PER_YEAR, weekly_times_h


@dataclass(frozen=True)
class ArrivalPlan:
    """Every ship that will arrive, sorted by arrival time (parallel arrays)."""

    time_h: np.ndarray
    ship_class: np.ndarray  # index into ``class_names``
    call_size: np.ndarray
    scheduled: np.ndarray  # bool: from a liner timetable
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.time_h)


def month_boundaries_h(start: dt.date, horizon_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Calendar-month boundaries (hours from ``start``) covering the horizon, and month indices.

    Returns:
        ``(edges, months)``: ``edges`` has one more entry than ``months``; segment ``i`` runs
        from ``edges[i]`` to ``edges[i+1]`` and lies in calendar month ``months[i]`` (0 = Jan).
    """
    edges = [0.0]
    months = []
    day = start
    while edges[-1] < horizon_h:
        nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        months.append(day.month - 1)
        edges.append((nxt - start).days * 24.0)
        day = nxt
    edges[-1] = max(edges[-1], horizon_h)
    return np.asarray(edges), np.asarray(months)


def rate_profile(
    per_year: float,
    seasonality: list[float],
    growth_per_year: float,
    start: dt.date,
    horizon_h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-constant hourly rate of events: ``(edges_h, rate_per_h)``.

    The rate in a calendar month is ``per_year`` times the month's seasonality factor
    (factors normalised to mean 1) times growth compounded to the middle of the month.
    """
    edges, months = month_boundaries_h(start, horizon_h)
    season = np.asarray(seasonality, dtype=float)
    season = season / season.mean()
    mid = (edges[:-1] + edges[1:]) / 2
    growth = (1.0 + growth_per_year) ** (mid / HOURS_PER_YEAR)
    rate = per_year / HOURS_PER_YEAR * season[months] * growth
    return edges, rate


def poisson_rate_profile(
    arr: PoissonArrivals, start: dt.date, horizon_h: float, factor: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`rate_profile` of a Poisson arrival stream (its rate times ``factor``)."""
    per_year = arr.calls_per_year * arr.scale * factor
    return rate_profile(per_year, arr.seasonality, arr.growth_per_year, start, horizon_h)


def poisson_times(
    edges: np.ndarray, rate: np.ndarray, rng: np.random.Generator, one_by_one: bool = False
) -> np.ndarray:
    """Times of a non-homogeneous Poisson process on ``[0, edges[-1])``, sorted.

    Unit-rate Poisson points on ``[0, total]`` are mapped through the inverse of the
    cumulative rate of the piecewise-constant profile ``rate`` (see :func:`rate_profile`).
    The points are drawn in blocks, or ``one_by_one`` when the stream goes on to draw other
    things after them: then it stops right after the first point past the end.
    """
    cum = np.concatenate([[0.0], np.cumsum(rate * np.diff(edges))])
    total = cum[-1]
    if one_by_one:
        drawn = []
        t = rng.exponential(1.0)
        while t < total:
            drawn.append(t)
            t += rng.exponential(1.0)
        if not drawn:
            return np.array([])
        points = np.asarray(drawn)
    else:
        n_guess = int(total + 6 * np.sqrt(total) + 20)
        points = np.cumsum(rng.exponential(1.0, n_guess))
        while points[-1] < total:
            more = np.cumsum(rng.exponential(1.0, n_guess)) + points[-1]
            points = np.concatenate([points, more])
        points = points[points < total]
    return np.interp(points, cum, edges)


def _poisson_times(
    arr: PoissonArrivals, start: dt.date, horizon_h: float, rng: np.random.Generator
) -> np.ndarray:
    times = poisson_times(*poisson_rate_profile(arr, start, horizon_h), rng)
    return times[times < horizon_h]


def _renewal_times(arr: RenewalArrivals, horizon_h: float, rng: np.random.Generator) -> np.ndarray:
    if arr.first_h >= horizon_h:
        return np.empty(0)
    mean = arr.interarrival_h.mean
    n_guess = int((horizon_h - arr.first_h) / mean * 1.1 + 50)
    gaps = arr.interarrival_h.sample_n(rng, n_guess)
    times = arr.first_h + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    while times[-1] < horizon_h:
        gaps = arr.interarrival_h.sample_n(rng, n_guess)
        times = np.concatenate([times, times[-1] + np.cumsum(gaps)])
    return times[times < horizon_h]


def scheduled_plan_h(arr: ScheduledArrivals, start: dt.date, horizon_h: float) -> np.ndarray:
    """Timetabled call times (hours from ``start``) before the horizon, lateness not applied."""
    return weekly_times_h(arr.days_of_week, arr.hour, arr.every_weeks, start, horizon_h)


def _scheduled_times(
    arr: ScheduledArrivals, start: dt.date, horizon_h: float, rng: np.random.Generator
) -> np.ndarray:
    plan = scheduled_plan_h(arr, start, horizon_h)
    actual = plan + arr.lateness_h.sample_n(rng, len(plan))
    actual = np.maximum(actual, 0.0)
    return np.sort(actual[actual < horizon_h])


def arrival_plan(scenario: Scenario, streams: Streams, horizon_h: float) -> ArrivalPlan:
    """Generate every arrival of the run, each stream and each class from its own stream."""
    start = scenario.scenario.start_date
    class_names = tuple(scenario.ship_classes)
    index = {c: i for i, c in enumerate(class_names)}
    times, classes, sched = [], [], []
    for name, arr in scenario.arrivals.items():
        rng = streams.rng(f"arrivals:{name}")
        if isinstance(arr, PoissonArrivals):
            t = _poisson_times(arr, start, horizon_h, rng)
        elif isinstance(arr, RenewalArrivals):
            t = _renewal_times(arr, horizon_h, rng)
        else:
            t = _scheduled_times(arr, start, horizon_h, rng)
        times.append(t)
        classes.append(np.full(len(t), index[arr.ship_class], dtype=np.int32))
        sched.append(np.full(len(t), isinstance(arr, ScheduledArrivals)))
    time_h = np.concatenate(times)
    cls = np.concatenate(classes)
    scheduled = np.concatenate(sched)
    order = np.argsort(time_h, kind="stable")
    time_h, cls, scheduled = time_h[order], cls[order], scheduled[order]
    size = np.empty(len(time_h))
    for cname, i in index.items():
        mask = cls == i
        rng = streams.rng(f"ship:{cname}")
        size[mask] = scenario.ship_classes[cname].call_size.sample_n(rng, int(mask.sum()))
    return ArrivalPlan(time_h, cls, size, scheduled, class_names)
