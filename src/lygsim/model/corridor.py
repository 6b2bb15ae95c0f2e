"""A data corridor (the Shanghai one): when it is up, and when a batch of boxes is cleared.

Outages (random failures with repairs, and fixed windows) are drawn for the whole horizon
before the run from their own stream, and office hours are a weekly calendar, so whether
the corridor is up and when a clearance ends are arithmetic on arrays rather than
processes: clearing every transfer box of a year costs a few numpy calls.

Clearance rules (a batch becomes available for clearance at ``start``: booked southbound,
discharged northbound):

- corridor up when the documents are sent: cleared at ``sent + latency + auto``;
- corridor down (an outage): the documents wait in the outbox and go when it is repaired,
  while the port clears by hand in office hours; whichever finishes first clears the batch;
- corridor switched off: by hand, ``manual`` hours of office time from ``start``;
- no corridor for the service: clearance is not modelled (cleared at ``start``).

A corridor clears the boxes of every service that names it and shares their ETAs
(:class:`RunningCorridor`); its random streams are ``KEY:outages``, ``KEY:clearance`` and
``KEY:clearance_in``, drawn by its services in the scenario's order.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math

import numpy as np

from lygsim.dists import sampler
from lygsim.model.nautical import merge_intervals
from lygsim.records import CorridorRecords
from lygsim.scenario import Corridor, OfficeHours
from lygsim.streams import Streams

WEEK_H = 168.0


def corridor_downtime(
    corridor: Corridor, rng: np.random.Generator, horizon_h: float
) -> list[tuple[float, float]]:
    """Outages ``[(start_h, end_h), ...]`` over the horizon: merged, sorted, half-open."""
    raw = [(w.start_day * 24.0, w.start_day * 24.0 + w.duration_h) for w in corridor.outages]
    tbf, ttr = corridor.time_between_outages_h, corridor.time_to_repair_h
    if tbf is not None and ttr is not None:
        up, repair = sampler(tbf, rng), sampler(ttr, rng)
        t = 0.0
        while True:
            t += up()
            if t >= horizon_h:
                break
            d = repair()
            if d > 0:
                raw.append((t, t + d))
            t += d
    return merge_intervals(raw)


class CorridorLink:
    """Whether the corridor is up at a time, and when it next is.

    Args:
        enabled: False when the scenario switches the corridor off (never up).
        down: Merged outages ``[(start_h, end_h), ...]``, half-open.
    """

    def __init__(self, enabled: bool, down: list[tuple[float, float]]):
        self.enabled = enabled
        self.down = down
        self._starts = np.asarray([s for s, _ in down], dtype=float)
        self._ends = np.asarray([e for _, e in down], dtype=float)
        self._start_list = [s for s, _ in down]

    def _outage_end(self, t: np.ndarray) -> np.ndarray:
        """End of the outage in force at each ``t``, or NaN where the link is up."""
        t = np.asarray(t, dtype=float)
        if not len(self._starts):
            return np.full(t.shape, math.nan)
        i = np.searchsorted(self._starts, t, side="right") - 1
        j = np.maximum(i, 0)
        inside = (i >= 0) & (self._ends[j] > t)
        return np.where(inside, self._ends[j], math.nan)

    def is_up(self, t: float) -> bool:
        """Whether the link is up at one time ``t``."""
        if not self.enabled:
            return False
        i = bisect.bisect_right(self._start_list, t) - 1
        return i < 0 or self.down[i][1] <= t

    def up_at(self, t: np.ndarray | float) -> np.ndarray:
        """Boolean array: up at each time."""
        t = np.asarray(t, dtype=float)
        if not self.enabled:
            return np.zeros(t.shape, dtype=bool)
        return np.isnan(self._outage_end(t))

    def next_up(self, t: np.ndarray | float) -> np.ndarray:
        """Earliest time at or after each ``t`` at which the link is up (inf if never)."""
        t = np.asarray(t, dtype=float)
        if not self.enabled:
            return np.full(t.shape, math.inf)
        end = self._outage_end(t)
        return np.where(np.isnan(end), t, end)

    def availability(self, t0: float, t1: float) -> float:
        """Share of ``[t0, t1]`` during which the link is up (0 when switched off)."""
        if t1 <= t0:
            return math.nan
        if not self.enabled:
            return 0.0
        lost = np.clip(np.minimum(self._ends, t1) - np.maximum(self._starts, t0), 0, None)
        return float(1.0 - lost.sum() / (t1 - t0))


class OfficeCalendar:
    """Weekly office hours, for work that only progresses while the office is open.

    Args:
        hours: The scenario's office hours.
        start: Calendar date of time 0 (its weekday places the week).
    """

    def __init__(self, hours: OfficeHours, start: dt.date):
        self.offset_h = start.weekday() * 24.0  # Monday 00:00 of the first week is -offset_h
        days = np.asarray(sorted(set(hours.days)), dtype=float)
        self.length_h = hours.end_hour - hours.start_hour
        self.opens = days * 24.0 + hours.start_hour  # opening times within the week
        self.week_h = len(days) * self.length_h  # office hours per week

    def worked(self, t: np.ndarray) -> np.ndarray:
        """Office hours from Monday 00:00 of the first week to each ``t``."""
        u = np.asarray(t, dtype=float) + self.offset_h
        weeks = np.floor(u / WEEK_H)
        x = u - weeks * WEEK_H
        inside = np.zeros(u.shape)
        for o in self.opens:
            inside += np.clip(x - o, 0.0, self.length_h)
        return weeks * self.week_h + inside

    def finish(self, t: np.ndarray, work_h: np.ndarray) -> np.ndarray:
        """Earliest time at which ``work_h`` office hours, started at ``t``, are done."""
        t = np.asarray(t, dtype=float)
        work_h = np.asarray(work_h, dtype=float)
        target = self.worked(t) + work_h
        # whole weeks before the week in which the work ends, then the day within it
        q = np.ceil(target / self.week_h) - 1.0
        r = target - q * self.week_h  # office hours into that week, in (0, week_h]
        i = np.clip(np.ceil(r / self.length_h) - 1.0, 0, len(self.opens) - 1).astype(np.int64)
        u = q * WEEK_H + self.opens[i] + (r - i * self.length_h)
        return np.where(work_h > 0, np.maximum(u - self.offset_h, t), t)


def clearance(
    link: CorridorLink | None,
    calendar: OfficeCalendar | None,
    start_h: np.ndarray,
    sent_h: np.ndarray,
    latency_h: np.ndarray,
    auto_h: np.ndarray,
    manual_h: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """When each batch is cleared, and whether the corridor (not the office) cleared it.

    Args:
        link: The corridor, or None when the scenario has no corridor section.
        calendar: Office hours (None only without a corridor section).
        start_h: When the boxes are there to be cleared (booking, discharge).
        sent_h: When the documents are sent through the corridor (if it is up then).
        latency_h: Per-batch message latency.
        auto_h: Per-batch automatic clearance time.
        manual_h: Per-batch office hours of manual clearance.

    Returns:
        ``(cleared_h, by_corridor)``; a batch is never cleared before ``start_h``.
    """
    n = len(start_h)
    if link is None or calendar is None:
        return np.asarray(start_h, dtype=float).copy(), np.zeros(n, dtype=bool)
    if not link.enabled:
        return calendar.finish(start_h, manual_h), np.zeros(n, dtype=bool)
    via = np.maximum(link.next_up(sent_h) + latency_h + auto_h, start_h)
    cleared = via.copy()
    by_corridor = np.ones(n, dtype=bool)
    down = ~link.up_at(sent_h)
    if down.any():
        by_hand = calendar.finish(start_h[down], manual_h[down])
        first = via[down] <= by_hand
        cleared[down] = np.where(first, via[down], by_hand)
        by_corridor[down] = first
    return cleared, by_corridor


class RunningCorridor:
    """One corridor in a replication: its outages, office hours and clearance draws.

    Args:
        key: The corridor's key (its streams are ``KEY:purpose``).
        corridor: Its scenario section.
        streams: The replication's streams.
        start: Calendar date of time 0.
        horizon_h: Simulated hours.
    """

    def __init__(
        self, key: str, corridor: Corridor, streams: Streams, start: dt.date, horizon_h: float
    ):
        self.corridor = corridor
        self.down = corridor_downtime(corridor, streams.rng(f"{key}:outages"), horizon_h)
        self.link = CorridorLink(corridor.enabled, self.down)
        self.calendar = OfficeCalendar(corridor.office_hours, start)
        self._out = streams.rng(f"{key}:clearance")
        self._in = streams.rng(f"{key}:clearance_in")

    def eta_shared(self, t: float) -> bool:
        """Whether a vessel asking for its berth at ``t`` had its ETA shared in time."""
        return self.link.is_up(max(t - self.corridor.eta_lead_h, 0.0))

    def clear(
        self, start_h: np.ndarray, sent_h: np.ndarray, inbound: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`clearance` of batches, with their draws from the outbound or inbound stream."""
        rng = self._in if inbound else self._out
        n = len(start_h)
        cor = self.corridor
        latency = cor.latency_h.sample_n(rng, n)
        auto = cor.auto_clearance_h.sample_n(rng, n)
        manual = cor.manual_clearance_h.sample_n(rng, n)
        return clearance(self.link, self.calendar, start_h, sent_h, latency, auto, manual)

    def records(self) -> CorridorRecords:
        """What the corridor recorded."""
        return CorridorRecords(self.corridor.enabled, self.down)
