"""Capacity analysis: demand sweeps, practical capacity, and the year a terminal congests.

A demand factor ``f`` multiplies a terminal's whole demand over the observation window.
Poisson and renewal streams are scaled; timetabled liner services keep their timetable,
so the scalable streams take up the difference. Every level runs with the same seeds:
with Poisson arrivals drawn by inverting the cumulative rate, a higher level has the same
ships arriving a little closer together (common random numbers), so the curves are
smooth and their differences mostly signal.

The practical capacity of a terminal is the annual throughput at which either its waiting
time over service time (W/S) reaches ``thresholds.max_wait_service_ratio`` or its berth
occupancy reaches ``thresholds.max_occupancy``, whichever comes first, interpolated between
levels; its interval comes from where the upper and lower 95% bounds of each measure cross
its threshold (again whichever first).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lygsim.errors import UsageError
from lygsim.experiment import run_experiment
from lygsim.scenario import PoissonArrivals, RenewalArrivals, Scenario
from lygsim.scopes import terminal_rows
from lygsim.targets import expected_calls
from lygsim.units import HOURS_PER_YEAR

CAPACITY_COLUMNS = [
    "terminal",
    "demand_factor",
    "throughput",
    "throughput_ci_low",
    "throughput_ci_high",
    "unit",
    "berth_occupancy",
    "berth_occupancy_ci_low",
    "berth_occupancy_ci_high",
    "wait_service_ratio",
    "wait_service_ratio_ci_low",
    "wait_service_ratio_ci_high",
    "mean_wait_h",
    "mean_wait_h_ci_low",
    "mean_wait_h_ci_high",
    "berths",
    "threshold",
    "max_occupancy",
]
PRACTICAL_COLUMNS = [
    "terminal",
    "unit",
    "threshold",
    "berths",
    "throughput_now",
    "capacity",
    "capacity_ci_low",
    "capacity_ci_high",
    "demand_factor_at_capacity",
    "headroom",
    "max_occupancy",
    "binding",
    "capacity_wait_service_ratio",
    "capacity_occupancy",
]
BINDING_WS = "wait_service_ratio"
BINDING_OCCUPANCY = "occupancy"
BINDING_NONE = "none"  # neither threshold is reached within the swept demand range


def parse_range(text: str) -> list[float]:
    """``0.5:1.6:0.1`` -> [0.5, 0.6, ..., 1.6] (both ends included)."""
    try:
        start, stop, step = (float(x) for x in text.split(":"))
    except ValueError:
        raise UsageError(f"--demand {text}: expected START:STOP:STEP, e.g. 0.5:1.6:0.1") from None
    if not (0 < start <= stop and step > 0) or (stop - start) / step > 200:
        raise UsageError(
            f"--demand {text}: need 0 < START <= STOP, STEP > 0 and at most 200 levels"
        )
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return [round(start + i * step, 10) for i in range(n)]


def stream_demand(scenario: Scenario, stream: str, t0: float, t1: float) -> float:
    """Expected cargo of one arrival stream in ``[t0, t1)`` hours, in its terminal's unit."""
    arr = scenario.arrivals[stream]
    return (
        expected_calls(scenario, stream, t0, t1)
        * scenario.ship_classes[arr.ship_class].call_size.mean
    )


def terminal_streams(scenario: Scenario, terminal: str) -> list[str]:
    """The arrival streams whose ships call at ``terminal``."""
    return [
        name
        for name, arr in scenario.arrivals.items()
        if scenario.ship_classes[arr.ship_class].terminal == terminal
    ]


def scale_demand(
    scenario: Scenario, factor: float, terminals: Sequence[str] | None = None
) -> Scenario:
    """The scenario with each listed terminal's demand multiplied by ``factor``.

    Raises:
        UsageError: If the timetabled services alone exceed the scaled demand.
    """
    if factor == 1.0:
        return scenario
    t0, t1 = scenario.observed_h
    arrivals = dict(scenario.arrivals)
    for term in terminals if terminals is not None else list(scenario.terminals):
        streams = terminal_streams(scenario, term)
        scalable = [
            s for s in streams if isinstance(arrivals[s], PoissonArrivals | RenewalArrivals)
        ]
        fixed = sum(stream_demand(scenario, s, t0, t1) for s in streams if s not in scalable)
        part = sum(stream_demand(scenario, s, t0, t1) for s in scalable)
        if not streams:
            continue
        if part <= 0:
            raise UsageError(f"terminal {term}: only timetabled services call; cannot scale")
        k = (factor * (part + fixed) - fixed) / part
        if k <= 0:
            raise UsageError(
                f"terminal {term}: demand factor {factor:g} is below what its timetabled "
                f"services alone bring ({fixed / (part + fixed):.2f})"
            )
        for s in scalable:
            arr = arrivals[s]
            if isinstance(arr, PoissonArrivals):
                arrivals[s] = arr.model_copy(update={"scale": arr.scale * k})
            elif isinstance(arr, RenewalArrivals):
                arrivals[s] = arr.model_copy(
                    update={"interarrival_h": arr.interarrival_h.scaled(1.0 / k)}
                )
    return scenario.model_copy(update={"arrivals": arrivals})


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """First x where y rises through ``level`` (linear interpolation); NaN if it never does."""
    ok = ~np.isnan(y)
    x, y = x[ok], y[ok]
    if len(y) == 0:
        return math.nan
    if y[0] >= level:
        return -math.inf  # already above at the lowest level
    above = np.nonzero(y >= level)[0]
    if len(above) == 0:
        return math.inf
    i = above[0]
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))


def _first(*factors: float) -> float:
    """The earliest of some crossing factors; NaN only if every one is NaN."""
    known = [f for f in factors if not math.isnan(f)]
    return min(known) if known else math.nan


def practical_capacity(curve: pd.DataFrame) -> pd.DataFrame:
    """Per terminal, the throughput at which a threshold is first reached, with an interval.

    The thresholds are W/S (``threshold``) and berth occupancy (``max_occupancy``); the
    capacity is where the first of the two is reached (``binding`` names it), and each
    bound is where the first of the two bounds of W/S or of occupancy crosses. A
    ``max_occupancy`` of 1 (or a curve without that column) never binds: occupancy reaches
    1 only in an overloaded terminal, whose W/S has passed any threshold before.

    ``inf`` means neither threshold is reached over the whole range (capacity beyond the
    highest level, ``binding`` ``none``); ``-inf`` that one is passed already at the lowest
    level.
    """
    rows = []
    for term, g in curve.groupby("terminal", sort=False):
        g = g.sort_values("demand_factor")
        thr = float(g["threshold"].iloc[0])
        occ_thr = float(g["max_occupancy"].iloc[0]) if "max_occupancy" in g else math.nan
        f = g["demand_factor"].to_numpy()
        thru = g["throughput"].to_numpy()

        def cross(column: str, level: float, g: pd.DataFrame = g, f: np.ndarray = f) -> float:
            if math.isnan(level) or (level >= 1.0 and column.startswith("berth_occupancy")):
                return math.inf  # no occupancy threshold: it never binds
            return _crossing(f, g[column].to_numpy(dtype=float), level)

        def at(x: float, f: np.ndarray = f, thru: np.ndarray = thru) -> float:
            if math.isinf(x) or math.isnan(x):
                return x
            return float(np.interp(x, f, thru))

        f_ws = cross("wait_service_ratio", thr)
        f_occ = cross("berth_occupancy", occ_thr)
        f_cap = _first(f_ws, f_occ)
        # the upper bounds cross first and give the lower capacity bound
        f_lo = _first(
            cross("wait_service_ratio_ci_high", thr), cross("berth_occupancy_ci_high", occ_thr)
        )
        f_hi = _first(
            cross("wait_service_ratio_ci_low", thr), cross("berth_occupancy_ci_low", occ_thr)
        )
        if math.isnan(f_cap) or f_cap == math.inf:
            binding = BINDING_NONE
        else:
            binding = BINDING_OCCUPANCY if f_occ < f_ws else BINDING_WS
        cap = at(f_cap)
        now = g.loc[np.isclose(g["demand_factor"], 1.0), "throughput"]
        now_v = float(now.iloc[0]) if len(now) else math.nan
        rows.append(
            (
                term,
                g["unit"].iloc[0],
                thr,
                int(g["berths"].iloc[0]),
                now_v,
                cap,
                at(f_lo),
                at(f_hi),
                f_cap,
                cap / now_v - 1 if now_v and math.isfinite(cap) else math.nan,
                occ_thr,
                binding,
                at(f_ws),
                at(f_occ),
            )
        )
    return pd.DataFrame(rows, columns=PRACTICAL_COLUMNS)


@dataclass
class CapacityResult:
    """A demand sweep of one scenario.

    Attributes:
        scenario: The scenario swept.
        curve: ``capacity.csv`` rows (``CAPACITY_COLUMNS``).
        practical: Practical capacity per terminal (``PRACTICAL_COLUMNS``).
    """

    scenario: Scenario
    curve: pd.DataFrame
    practical: pd.DataFrame = field(default_factory=pd.DataFrame)


def sweep(
    scenario: Scenario,
    factors: Sequence[float],
    reps: int = 5,
    seed: int = 1,
    terminals: Sequence[str] | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    **kw: object,
) -> CapacityResult:
    """Run the scenario at each demand factor and collect the capacity curves.

    Args:
        scenario: The scenario.
        factors: Demand factors (1.0 is the scenario as written).
        reps: Replications per level (same seeds at every level).
        seed: The seed.
        terminals: Terminals to sweep (default all).
        progress: Called with each factor before it runs.
        **kw: Passed to :func:`lygsim.run_experiment` (days, workers, scheduler, out).
    """
    names = list(terminals) if terminals else list(scenario.terminals)
    for t in names:
        if t not in scenario.terminals:
            raise UsageError(
                f"--terminal {t}: no such terminal (have: {', '.join(scenario.terminals)})"
            )
    t0, t1 = scenario.observed_h
    days = kw.get("days")
    if days is not None:
        t1 = float(days) * 24.0  # type: ignore[arg-type]
    years = (t1 - t0) / HOURS_PER_YEAR
    rows = []
    for f in factors:
        if progress is not None:
            progress(f)
        sc = scale_demand(scenario, f, names)
        res = run_experiment(sc, reps, seed, **kw)  # type: ignore[arg-type]
        s = terminal_rows(res.summary).set_index(["name", "metric"])
        for t in names:
            term = scenario.terminals[t]

            def get(
                metric: str, scale: float = 1.0, _t: str = t, s: pd.DataFrame = s
            ) -> tuple[float, float, float]:
                if (_t, metric) not in s.index:
                    return (math.nan, math.nan, math.nan)
                r = s.loc[(_t, metric)]
                return (r["mean"] * scale, r["ci_low"] * scale, r["ci_high"] * scale)

            thru = get("throughput", 1.0 / years)  # per year
            rows.append(
                (
                    t,
                    f,
                    *thru,
                    term.unit,
                    *get("berth_occupancy"),
                    *get("wait_service_ratio"),
                    *get("mean_wait_h"),
                    sum(g.count for g in term.berths.values()),
                    term.thresholds.max_wait_service_ratio,
                    term.thresholds.max_occupancy,
                )
            )
    curve = pd.DataFrame(rows, columns=CAPACITY_COLUMNS)
    return CapacityResult(scenario, curve, practical_capacity(curve))


def terminal_growth_factor(scenario: Scenario, terminal: str, years_ahead: float) -> float:
    """Demand of a terminal ``years_ahead`` after the observation window, relative to it.

    Each stream grows at its own ``growth_per_year`` (timetabled services do not grow).
    """
    t0, t1 = scenario.observed_h
    now = later = 0.0
    for s in terminal_streams(scenario, terminal):
        d = stream_demand(scenario, s, t0, t1)
        arr = scenario.arrivals[s]
        g = arr.growth_per_year if isinstance(arr, PoissonArrivals) else 0.0
        now += d
        later += d * (1.0 + g) ** years_ahead
    return later / now if now else math.nan


def horizon_years(scenario: Scenario, practical: pd.DataFrame, until: int) -> pd.DataFrame:
    """The first calendar year in which each terminal's demand passes its practical capacity.

    The observation window's calendar year is the base year; each later year's demand
    follows the streams' growth rates; the year is reached when the demand factor passes
    the one at which the first threshold (W/S or berth occupancy) is met.

    Returns:
        Columns ``scenario, terminal, threshold, demand_factor_at_capacity, year,
        year_ci_low, year_ci_high, max_occupancy, binding`` (year NaN: not before
        ``until``; the base year if already congested; ``binding`` as in
        :func:`practical_capacity`).
    """
    t0, _ = scenario.observed_h
    import datetime as dt

    base_year = (scenario.scenario.start_date + dt.timedelta(hours=t0)).year
    rows = []
    for r in practical.itertuples():

        def first_year(cap_factor: float, _t: str = r.terminal) -> float:
            if math.isnan(cap_factor):
                return math.nan
            for y in range(base_year, until + 1):
                if terminal_growth_factor(scenario, _t, y - base_year) >= cap_factor:
                    return float(y)
            return math.nan

        f_cap = r.demand_factor_at_capacity
        if f_cap == -math.inf:
            year = lo = hi = float(base_year)
        elif f_cap == math.inf:
            year = lo = hi = math.nan
        else:
            year = first_year(f_cap)
            # capacity bounds as demand factors
            lo = (
                first_year(r.capacity_ci_low / r.throughput_now)
                if math.isfinite(r.capacity_ci_low)
                else (float(base_year) if r.capacity_ci_low == -math.inf else math.nan)
            )
            hi = (
                first_year(r.capacity_ci_high / r.throughput_now)
                if math.isfinite(r.capacity_ci_high)
                else math.nan
            )
        occ = getattr(r, "max_occupancy", math.nan)
        binding = getattr(r, "binding", BINDING_WS)
        rows.append(
            (scenario.scenario.name, r.terminal, r.threshold, f_cap, year, lo, hi, occ, binding)
        )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "terminal",
            "threshold",
            "demand_factor_at_capacity",
            "year",
            "year_ci_low",
            "year_ci_high",
            "max_occupancy",
            "binding",
        ],
    )


def describe_horizon(table: pd.DataFrame, until: int) -> list[str]:
    """One sentence per terminal, naming only the options that move the year.

    For example: "the container terminal reaches W/S 0.10 in 2028; with option_x, in 2031",
    or "the ore terminal reaches berth occupancy 0.60 in 2026" where occupancy binds.
    """

    def what(r: pd.Series) -> str:
        binding = r.get("binding", BINDING_WS)
        occ = r.get("max_occupancy", math.nan)
        if binding == BINDING_OCCUPANCY:
            return f"berth occupancy {occ:.2f}"
        if binding == BINDING_NONE and isinstance(occ, float) and occ < 1.0:
            return f"W/S {r.threshold:.2f} or berth occupancy {occ:.2f}"
        return f"W/S {r.threshold:.2f}"

    def when(r: pd.Series) -> str:
        if math.isnan(r.year):
            return f"not by {until}"
        text = f"in {int(r.year)}"
        lo = "?" if math.isnan(r.year_ci_low) else f"{int(r.year_ci_low)}"
        hi = f"after {until}" if math.isnan(r.year_ci_high) else f"{int(r.year_ci_high)}"
        if not (lo == hi == f"{int(r.year)}"):
            text += f" (95%: {lo}-{hi})"
        return text

    lines = []
    scenarios = list(dict.fromkeys(table["scenario"]))
    base = scenarios[0]
    for term in dict.fromkeys(table["terminal"]):
        rows = table[table.terminal == term].set_index("scenario")
        if base not in rows.index:
            continue
        b = rows.loc[base]
        parts = [f"the {term} terminal reaches {what(b)} {when(b)}"]
        for sc in scenarios[1:]:
            if sc in rows.index:
                r = rows.loc[sc]
                same = (math.isnan(r.year) and math.isnan(b.year)) or r.year == b.year
                if not same:
                    parts.append(f"with {sc}, {when(r)}")
        lines.append("; ".join(parts))
    return lines


def write_capacity(result: CapacityResult, out: Path) -> None:
    """Write ``capacity.csv`` and ``practical_capacity.csv`` atomically."""
    from lygsim.report import write_csv

    write_csv(out / "capacity.csv", result.curve)
    write_csv(out / "practical_capacity.csv", result.practical)
