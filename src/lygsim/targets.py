"""Reported figures as the model measures them, and as arithmetic expects them.

A calibration target (``calibration.targets``) names a figure over a calendar period:
``throughput_t`` (every terminal, containers at ``tons_per_teu`` and vehicles at
``tons_per_vehicle``, as Chinese port statistics count them), ``throughput_teu``,
``vehicles`` (optionally one terminal) or ``shuttle_capacity_teu`` (the timetable's annual
carrying capacity). Cargo counts in the period in which its handling ended.

Each replication also records, per target, the cargo *offered*: that of the ships that
arrived in the period. Its expectation is the rate arithmetic (:func:`expected`), so the
calibration uses it as a control variate: most of the chance in a replication's figure is
how many ships happened to arrive, and that part can be taken out exactly.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from lygsim.model.arrivals import poisson_rate_profile, scheduled_plan_h
from lygsim.records import Records
from lygsim.scenario import (
    Cargo,
    PoissonArrivals,
    RenewalArrivals,
    Scenario,
    Target,
)
from lygsim.units import tonnes_per_unit

UNITS = {
    "throughput_t": "t",
    "throughput_teu": "TEU",
    "vehicles": "vehicles",
    "shuttle_capacity_teu": "TEU/yr",
}
OFFERED = ".offered"  # metric suffix: the cargo offered in a target's period (see measured)


def offered_metric(target: str) -> str:
    """The metric name of a target's offered cargo (``<target>.offered``)."""
    return target + OFFERED


def period_h(scenario: Scenario, start: dt.date, end: dt.date) -> tuple[float, float]:
    """Hours from the scenario start of a calendar period, both ends inclusive."""
    origin = scenario.scenario.start_date
    return (start - origin).days * 24.0, ((end - origin).days + 1) * 24.0


def weight(scenario: Scenario, target: Target, terminal: str) -> float:
    """How much one unit handled at ``terminal`` adds to ``target``'s figure."""
    if target.terminal is not None and target.terminal != terminal:
        return 0.0
    term = scenario.terminals[terminal]
    if target.figure == "throughput_t":
        return tonnes_per_unit(term.cargo, scenario.conversion)
    if target.figure == "throughput_teu":
        return 1.0 if term.cargo is Cargo.container else 0.0
    if target.figure == "vehicles":
        return 1.0 if term.cargo is Cargo.roro else 0.0
    return 0.0


def shuttle_capacity(scenario: Scenario) -> float:
    """The shuttle timetables' annual carrying capacity, all services (NaN without one)."""
    running = [sh.annual_capacity_teu for sh in scenario.shuttles.values() if sh.enabled]
    return float(sum(running)) if running else math.nan


def measured(rec: Records, scenario: Scenario) -> list[tuple[str, str, float]]:
    """Every target's figure in one replication: ``(name, unit, value)``.

    Each target but ``shuttle_capacity_teu`` is followed by its offered cargo
    (``<name>.offered``): the cargo of the ships that arrived in the period, whatever
    happened to them after. NaN when the period is not wholly inside the observation window.
    """
    out: list[tuple[str, str, float]] = []
    targets = scenario.calibration.targets
    if not targets:
        return out
    c = rec.visit_columns()
    hend = c["handling_end_h"]
    arrived = c["arrived_h"]
    size = c["call_size"]
    term = c["terminal"]
    w0, w1 = scenario.observed_h[0], rec.end_h
    for name, tgt in targets.items():
        if tgt.figure == "shuttle_capacity_teu":
            out.append((name, UNITS[tgt.figure], shuttle_capacity(scenario)))
            continue
        p0, p1 = period_h(scenario, tgt.period.start, tgt.period.end)
        if p0 < w0 or p1 > w1:
            out.append((name, UNITS[tgt.figure], math.nan))
            out.append((offered_metric(name), UNITS[tgt.figure], math.nan))
            continue
        weights = np.asarray([weight(scenario, tgt, t) for t in rec.terminal_names])
        inside = (hend >= p0) & (hend < p1)
        value = float(np.sum(size[inside] * weights[term[inside]]))
        out.append((name, UNITS[tgt.figure], value))
        came = (arrived >= p0) & (arrived < p1)
        offered = float(np.sum(size[came] * weights[term[came]]))
        out.append((offered_metric(name), UNITS[tgt.figure], offered))
    return out


def expected_calls(scenario: Scenario, stream: str, p0: float, p1: float) -> float:
    """Expected arrivals of an arrival stream in ``[p0, p1)`` hours (its rate arithmetic)."""
    arr = scenario.arrivals[stream]
    start = scenario.scenario.start_date
    if isinstance(arr, PoissonArrivals):
        edges, rate = poisson_rate_profile(arr, start, p1)
        lo = np.clip(edges[:-1], p0, p1)
        hi = np.clip(edges[1:], p0, p1)
        return float(np.sum(rate * (hi - lo)))
    if isinstance(arr, RenewalArrivals):
        return max(p1 - max(p0, arr.first_h), 0.0) / arr.interarrival_h.mean
    slots = scheduled_plan_h(arr, start, p1)
    return float(np.sum((slots >= p0) & (slots < p1)))


def expected(scenario: Scenario, target: Target, streams: list[str] | None = None) -> float:
    """The target's figure expected from the arrival rates alone (no queueing, no lag).

    Args:
        scenario: The scenario.
        target: The target.
        streams: Only these arrival streams (default: all).
    """
    if target.figure == "shuttle_capacity_teu":
        return shuttle_capacity(scenario)
    p0, p1 = period_h(scenario, target.period.start, target.period.end)
    total = 0.0
    for name, arr in scenario.arrivals.items():
        if streams is not None and name not in streams:
            continue
        sc = scenario.ship_classes[arr.ship_class]
        w = weight(scenario, target, sc.terminal)
        if w:
            total += w * expected_calls(scenario, name, p0, p1) * sc.call_size.mean
    return total
