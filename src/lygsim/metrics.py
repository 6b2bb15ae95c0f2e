"""KPIs of one replication, from its records, with the warm-up removed.

The KPIs are computed with numpy alone into a :class:`KpiTable`; pandas is imported only
when a table is asked for (:meth:`KpiTable.frame`, :func:`visits_frame`,
:func:`level_series`), because importing it costs more memory than a decade of records.

Per-ship figures (waits, service, turnaround) count the ships that arrived inside the
observation window; throughput and calls count the calls whose handling ended inside it;
occupancy, queue length and yard use are time-weighted over the window. A shuttle
service's berth time counts in its terminal's occupancy and busy berths, not in its calls,
waits or throughput: each service has KPIs of its own (scope ``service``, named by the
service's key, e.g. ``shuttle``), and so does each corridor (scope ``link``, its key, e.g.
``corridor``; see :mod:`lygsim.scopes`).

A ship's wait runs from arrival to entering the channel towards its berth; it splits into
the wait for a berth, for the tide and for the weather (:func:`wait_split`), and the causes
add up to the wait. What holds a ship once it has entered (yard space, berth outages, the
tide or the weather on the way out) is part of its time at berth: the ``delay_*`` columns
and ``mean_delay_*_h`` KPIs, never counted in the wait.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from lygsim.records import LEVEL_SERIES, CorridorRecords, Records, ServiceRecords, VesselRecords
from lygsim.scenario import Cargo, Scenario
from lygsim.scopes import KPI_COLUMNS, PORT, Scope
from lygsim.units import tonnes_per_unit

if TYPE_CHECKING:
    import pandas as pd

KpiRow = tuple[str, str, str, str, float]
"""One KPI row: ``scope, name, metric, unit, value`` (:data:`lygsim.scopes.KPI_COLUMNS`)."""

WAIT_CAUSES = ("berth", "tide", "weather")
"""Causes of the wait (arrival to entering): ``wait_<cause>_h`` add up to ``wait_h``."""

BERTH_DELAYS = ("yard", "outage", "outbound_tide", "outbound_weather")
"""Delays once entered, part of the time at berth (``delay_<kind>_h``)."""

# visit column of each delay as the records keep it
_DELAY_FIELDS = {
    "yard": "wait_yard_h",
    "outage": "wait_outage_h",
    "outbound_tide": "wait_tide_out_h",
    "outbound_weather": "wait_weather_out_h",
}

OVERLOAD_OCCUPANCY = 0.95
"""Occupancy and offered load at or above which a terminal is overloaded."""


def wait_split(c: dict[str, np.ndarray], end_h: float) -> dict[str, np.ndarray]:
    """Every ship's wait and its split by cause, as known at ``end_h``.

    The wait runs from arrival to entering the channel (``entered_h - arrived_h``). A ship
    still waiting at the end counts with its wait so far, given to what it is waiting for:
    the berth if it has none yet, else the channel; the channel's share so far is split
    between tide and weather in proportion to the waits the ship faces (the records keep
    their totals, not how they interleave).

    Args:
        c: Visit columns (``arrived_h, assigned_h, entered_h, wait_tide_h,
            wait_weather_h``), as :meth:`lygsim.records.Records.visit_columns` gives them.
        end_h: The end of the run.

    Returns:
        ``wait_h`` and ``wait_<cause>_h`` for each of :data:`WAIT_CAUSES`, one value per
        ship; the causes add up to ``wait_h`` (to rounding).
    """
    arrived = c["arrived_h"]
    assigned = c["assigned_h"]
    inside = ~np.isnan(c["entered_h"])
    holding = ~np.isnan(assigned) & ~inside  # a berth, still waiting for the channel
    tide_total, weather_total = c["wait_tide_h"], c["wait_weather_h"]
    channel = tide_total + weather_total
    so_far = np.where(holding, end_h - assigned, 0.0)
    known = holding & (channel > 0)
    share = np.divide(tide_total, channel, out=np.zeros_like(channel), where=known)
    tide = np.where(inside, tide_total, so_far * share)
    weather = np.where(inside, weather_total, np.where(known, so_far - so_far * share, 0.0))
    # with no channel wait recorded, the time so far after the berth can only be the berth's
    berth = np.where(np.isnan(assigned), end_h, assigned) - arrived
    berth = berth + np.where(holding & ~known, so_far, 0.0)
    wait = np.where(inside, c["entered_h"], end_h) - arrived
    return {"wait_h": wait, "wait_berth_h": berth, "wait_tide_h": tide, "wait_weather_h": weather}


def visits_frame(rec: Records, scenario: Scenario) -> pd.DataFrame:
    """The visits table: one row per call, hours from the start.

    ``wait_h`` (arrival to entering; for a ship still waiting, its wait so far) splits into
    ``wait_berth_h + wait_tide_h + wait_weather_h`` (:func:`wait_split`); the delays at the
    berth are ``delay_yard_h``, ``delay_outage_h`` (handling stopped by an outage) and
    ``delay_outbound_tide_h``, ``delay_outbound_weather_h`` (waiting at the berth to leave,
    counted once the ship has left).
    """
    import pandas as pd

    c = rec.visit_columns()
    ti = c["terminal"]
    terms = [scenario.terminals[t] for t in rec.terminal_names]
    cargo_names = sorted({t.cargo.value for t in terms})
    unit_names = sorted({t.unit for t in terms})
    cargo_code = np.asarray([cargo_names.index(t.cargo.value) for t in terms], dtype=np.int64)
    unit_code = np.asarray([unit_names.index(t.unit) for t in terms], dtype=np.int64)

    def cat(codes: np.ndarray, names: list[str] | tuple[str, ...]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=list(names))

    return pd.DataFrame(
        {
            "ship_id": c["ship_id"],
            "ship_class": cat(c["ship_class"], rec.class_names),
            "cargo": cat(cargo_code[ti], cargo_names),
            "terminal": cat(ti, rec.terminal_names),
            "berth_id": cat(c["berth"], rec.berth_ids),  # -1 (no berth yet) becomes NaN
            "scheduled": c["scheduled"],
            "arrived_h": c["arrived_h"],
            "assigned_h": c["assigned_h"],
            "entered_h": c["entered_h"],
            "berthed_h": c["berthed_h"],
            "handling_start_h": c["handling_start_h"],
            "handling_end_h": c["handling_end_h"],
            "departed_h": c["departed_h"],
            "call_size": c["call_size"],
            "unit": cat(unit_code[ti], unit_names),
            "yard_in": c["yard_in"],
            **wait_split(c, rec.end_h),
            **{f"delay_{k}_h": c[f] for k, f in _DELAY_FIELDS.items()},
        }
    )


def _step_mean(
    times: np.ndarray, deltas: np.ndarray, t0: float, t1: float, start_level: float = 0.0
) -> float:
    """Time-weighted mean over [t0, t1] of a level that jumps by ``deltas`` at ``times``."""
    if t1 <= t0:
        return float("nan")
    order = np.argsort(times, kind="stable")
    t = times[order]
    level = np.cumsum(deltas[order])
    del order
    level += start_level
    return _level_mean(t, level, t0, t1, start_level)


def _level_mean(
    t: np.ndarray, level: np.ndarray, t0: float, t1: float, start_level: float = 0.0
) -> float:
    """Time-weighted mean over [t0, t1] of a level that becomes ``level[i]`` at ``t[i]``."""
    # level in force at each breakpoint of [t0, t1]; filled in place, as a queue over
    # years of arrivals has hundreds of thousands of changes
    edges = np.empty(len(t) + 2)
    edges[0], edges[-1] = t0, t1
    np.clip(t, t0, t1, out=edges[1:-1])
    # the value holding from edges[i] to edges[i+1] is values[i]
    held = np.diff(edges)
    del edges
    held[0] *= start_level
    held[1:] *= level
    return float(np.sum(held) / (t1 - t0))


SERIES = ("queue", "berths_busy", "yard", "berths_down", "shuttle_backlog")


def _changes(ups: np.ndarray, downs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of a count that rises at ``ups`` and falls at ``downs`` (from 0)."""
    t = np.concatenate([[0.0], ups, downs])
    d = np.concatenate([[0.0], np.ones(len(ups)), -np.ones(len(downs))])
    order = np.lexsort((-d, t))  # at equal times, rises before falls
    t, value = t[order], np.cumsum(d[order])
    keep = np.append(t[1:] != t[:-1], True)  # the value after the last change at a time
    return t[keep], value[keep]


def _backlog(rec: Records, ti: int) -> tuple[np.ndarray, np.ndarray]:
    """Changes of the southbound TEU booked and not yet sailed, services of terminal ``ti``."""
    ups, downs, teu = [], [], []
    for sh in rec.services.values():
        if sh.terminal == ti:
            boxes = sh.box_columns(rec.end_h)
            sailed = boxes["sailed_h"]
            ups.append(boxes["booked_h"])
            downs.append(sailed[~np.isnan(sailed)])
            teu.append(float(sh.batch_teu))
    if len(ups) == 1:  # one service: a count of its batches
        t, v = _changes(ups[0], downs[0])
        return t, v * teu[0]
    t = np.concatenate([[0.0], *ups, *downs])
    rises = [np.full(len(u), b) for u, b in zip(ups, teu, strict=True)]
    falls = [np.full(len(x), -b) for x, b in zip(downs, teu, strict=True)]
    d = np.concatenate([np.zeros(1), *rises, *falls])
    order = np.lexsort((-d, t))  # at equal times, rises before falls
    t, value = t[order], np.cumsum(d[order])
    keep = np.append(t[1:] != t[:-1], True)  # the value after the last change at a time
    return t[keep], value[keep]


def level_series(rec: Records) -> pd.DataFrame:
    """Level histories (changes only): queue and busy berths per terminal, yards, outages.

    Columns: ``time_h, series, terminal, value`` (series and terminal categorical). Queue =
    ships waiting to enter (for a berth, the tide or the weather); berths_busy = berths
    assigned to a ship or to a service; shuttle_backlog = southbound transfer TEU
    booked and not yet sailed (keyed by the services' terminal, all its services together).
    """
    import pandas as pd

    c = rec.visit_columns()
    parts_t, parts_s, parts_k, parts_v = [], [], [], []
    service_times = rec.service_berth_times()
    for ti in range(len(rec.terminal_names)):
        m = c["terminal"] == ti
        entered, assigned, departed = c["entered_h"][m], c["assigned_h"][m], c["departed_h"][m]
        for sti, sa, sd in service_times:
            if sti == ti:
                assigned = np.concatenate([assigned, sa])
                departed = np.concatenate([departed, sd])
        for code, ups, downs in (
            (0, c["arrived_h"][m], entered[~np.isnan(entered)]),
            (1, assigned[~np.isnan(assigned)], departed[~np.isnan(departed)]),
        ):
            t, v = _changes(ups, downs)
            parts_t.append(t)
            parts_v.append(v)
            parts_s.append(np.full(len(t), code, dtype=np.int8))
            parts_k.append(np.full(len(t), ti, dtype=np.int64))
    for ti in sorted({sh.terminal for sh in rec.services.values()}):
        t, v = _backlog(rec, ti)
        parts_t.append(t)
        parts_v.append(v)
        parts_s.append(np.full(len(t), SERIES.index("shuttle_backlog"), dtype=np.int8))
        parts_k.append(np.full(len(t), ti, dtype=np.int64))
    lv = rec.level_columns()
    if len(lv["time_h"]):
        parts_t.append(lv["time_h"])
        parts_v.append(lv["value"])
        offset = SERIES.index(LEVEL_SERIES[0])  # recorded series follow the derived ones
        parts_s.append((lv["series_code"] + offset).astype(np.int8))
        parts_k.append(lv["key"])
    t = np.concatenate(parts_t) if parts_t else np.empty(0)
    s = np.concatenate(parts_s) if parts_s else np.empty(0, dtype=np.int8)
    k = np.concatenate(parts_k) if parts_k else np.empty(0, dtype=np.int64)
    v = np.concatenate(parts_v) if parts_v else np.empty(0)
    keep = t <= rec.end_h
    t, s, k, v = t[keep], s[keep], k[keep], v[keep]
    order = np.lexsort((t, k, s))
    return pd.DataFrame(
        {
            "time_h": t[order],
            "series": pd.Categorical.from_codes(s[order].astype(np.int64), categories=SERIES),
            "terminal": pd.Categorical.from_codes(k[order], categories=list(rec.terminal_names)),
            "value": v[order],
        }
    )


def _cause_cols() -> list[str]:
    return [f"wait_{k}_h" for k in WAIT_CAUSES]


def overloaded(occupancy: float, offered_load: float, arrivals: int) -> float:
    """1.0 if a terminal was overloaded in a replication, else 0.0.

    Overloaded: the berths were busy nearly all the window (occupancy >=
    :data:`OVERLOAD_OCCUPANCY`) and the calls arriving in it asked for as much berth time
    (offered load >= the same share). A stable terminal's occupancy estimates its offered
    load, so a terminal at 0.8 comes nowhere near the bar, while one whose demand exceeds
    its capacity has its berths always busy and its queue and waits growing with the length
    of the run. The offered load keeps out a terminal that is working off a backlog left
    from the warm-up (busy berths, falling queue). Within a window of a few hundred calls,
    a terminal between 0.95 and 1 cannot be told from one just past 1: both are flagged.
    With no call through the berths yet (offered load unknown), busy berths and arrivals
    suffice.

    Args:
        occupancy: Berth occupancy over the window (fraction).
        offered_load: Offered load over the window (NaN if no call has left).
        arrivals: Ships that arrived in the window.

    Returns:
        1.0 or 0.0 (NaN if the occupancy is NaN).
    """
    if math.isnan(occupancy):
        return float("nan")
    known = not math.isnan(offered_load)
    demand = offered_load >= OVERLOAD_OCCUPANCY if known else arrivals > 0
    return float(demand and occupancy >= OVERLOAD_OCCUPANCY)


class KpiTable:
    """One replication's KPIs as rows (``scope, name, metric, unit, value``), without pandas.

    A few hundred rows, kept as tuples; :meth:`frame` gives the long-format DataFrame
    (``RunResult.kpis``), built when asked for.

    Args:
        rows: The rows, in the table's order.
    """

    def __init__(self, rows: list[KpiRow] | None = None) -> None:
        self.rows: list[KpiRow] = list(rows or [])

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[KpiRow]:
        return iter(self.rows)

    def extend(self, rows: list[KpiRow]) -> None:
        """Append rows at the end."""
        self.rows.extend(rows)

    def columns(self) -> dict[str, list]:
        """The rows as columns, keyed by :data:`lygsim.scopes.KPI_COLUMNS`."""
        cols: list[list] = [[] for _ in KPI_COLUMNS]
        for row in self.rows:
            for col, v in zip(cols, row, strict=True):
                col.append(v)
        return dict(zip(KPI_COLUMNS, cols, strict=True))

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame with columns :data:`lygsim.scopes.KPI_COLUMNS`."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=KPI_COLUMNS)


def compute_kpis(rec: Records, scenario: Scenario) -> KpiTable:
    """The KPIs (``scope, name, metric, unit, value``) of one replication, numpy only.

    Per terminal, ``mean_wait_h`` is the sum of ``mean_wait_<cause>_h`` over
    :data:`WAIT_CAUSES`; ``mean_delay_<kind>_h`` (:data:`BERTH_DELAYS`) are parts of the
    time at berth; ``overloaded`` is :func:`overloaded` (1.0 or 0.0).
    """
    t0, _ = scenario.observed_h
    t1 = rec.end_h  # the horizon, or the one --days set
    # the per-ship arrays of the terminal rows are freed before the services' per-batch
    # arrays are made: the two never need to be in memory together
    out = _terminal_and_port_kpis(rec, scenario, t0, t1)
    for key, sh in rec.services.items():
        out += service_kpis(key, sh, scenario, t0, t1)
    for key, cor in rec.corridors.items():
        served = [sh for sh in rec.services.values() if sh.corridor == key]
        out += corridor_kpis(key, cor, served, t0, t1)
    for key, v in rec.vessels.items():
        unit = scenario.terminals[rec.terminal_names[v.terminal]].unit
        out += vessel_kpis(key, v, unit, t0, t1)
    return KpiTable(out)


def vessel_kpis(key: str, v: VesselRecords, unit: str, t0: float, t1: float) -> list[KpiRow]:
    """KPI rows of service ``key`` of a :mod:`lygsim.vessels` kind, as a terminal's are.

    ``calls`` and ``throughput`` (in its terminal's ``unit``) count the calls whose work
    ended in the window; the waits and their causes are over the calls that arrived in it
    (those still waiting count with their wait so far, as ships do); ``mean_service_h``,
    ``berth_time_mean_h`` and ``mean_delay_outage_h`` over those that also left.
    """
    c = v.calls.columns()
    arrived = c["arrived_h"]
    done = _inside(c["work_end_h"], t0, t1)
    obs = (arrived >= t0) & (arrived < t1)
    left = obs & ~np.isnan(c["departed_h"])
    split = wait_split(c, t1)
    S = (Scope.service.value, key)
    rows: list[KpiRow] = [
        (*S, "calls", "calls", float(done.sum())),
        (*S, "throughput", unit, float(c["units"][done].sum())),
        (*S, "mean_wait_h", "h", _mean(split["wait_h"][obs])),
    ]
    rows += [(*S, f"mean_{k}", "h", _mean(split[k][obs])) for k in _cause_cols()]
    rows += [
        (*S, "mean_service_h", "h", _mean((c["departed_h"] - c["entered_h"])[left])),
        (*S, "berth_time_mean_h", "h", _mean((c["departed_h"] - c["assigned_h"])[left])),
        (*S, "mean_delay_outage_h", "h", _mean(c["wait_outage_h"][left])),
    ]
    return rows


def _terminal_and_port_kpis(rec: Records, scenario: Scenario, t0: float, t1: float) -> list[KpiRow]:
    """KPI rows of the terminals, then of the port (see :func:`compute_kpis`)."""
    span = t1 - t0
    c = rec.visit_columns()
    split = wait_split(c, t1)
    rows: list[tuple[str, str, str, float]] = []
    conv = scenario.conversion
    port_t = port_teu = port_veh = 0.0
    port_calls = 0
    # the port's waits are those of every terminal's observed ships, terminal by terminal:
    # kept as indices into the split, not as copies of it
    port_ships: list[np.ndarray] = []
    lv = rec.level_columns()
    service_times = rec.service_berth_times()
    for ti, tname in enumerate(rec.terminal_names):
        term = scenario.terminals[tname]
        unit = term.unit
        m = c["terminal"] == ti
        arrived = c["arrived_h"][m]
        assigned = c["assigned_h"][m]
        entered = c["entered_h"][m]
        departed = c["departed_h"][m]
        hend = c["handling_end_h"][m]
        size = c["call_size"][m]
        # the time-weighted means first, while few other arrays are alive: they need a few
        # arrays as long as the history of the level
        q_up = arrived
        q_down = entered[~np.isnan(entered)]
        queue = _step_mean(
            np.concatenate([q_up, q_down]),
            np.concatenate([np.ones(len(q_up)), -np.ones(len(q_down))]),
            t0,
            t1,
        )
        yard = float("nan")
        if term.yard is not None:
            sel = (lv["series_code"] == LEVEL_SERIES.index("yard")) & (lv["key"] == ti)
            yard = _level_mean(lv["time_h"][sel], lv["value"][sel], t0, t1, term.yard.initial)
            del sel

        done = (hend >= t0) & (hend <= t1)
        throughput = float(size[done].sum())
        calls = int(done.sum())
        obs = (arrived >= t0) & (arrived < t1)
        # ships still waiting at the end count with the wait so far (a lower bound), so an
        # overloaded terminal's wait is not understated by leaving its longest waits out
        ships = np.flatnonzero(m)[obs]
        waits = {k: v[ships] for k, v in split.items()}
        wait = waits["wait_h"]
        left = obs & ~np.isnan(departed)
        service = departed[left] - entered[left]
        turnaround = departed[left] - arrived[left]
        n_berths = sum(g.count for g in term.berths.values())
        a = a0 = np.where(np.isnan(assigned), t1, assigned)
        d = np.where(np.isnan(departed), t1, departed)
        for sti, sa, sd in service_times:
            if sti == ti:
                # a service's berth time counts in its terminal's occupancy
                a = np.concatenate([a, np.where(np.isnan(sa), t1, sa)])
                d = np.concatenate([d, np.where(np.isnan(sd), t1, sd)])
        busy_each = np.clip(np.minimum(d, t1) - np.maximum(a, t0), 0, None)
        busy = busy_each.sum()
        occupancy = float(busy / (n_berths * span))
        # offered load: the berth time the calls arriving in the window ask for (their
        # number times the mean berth time of those that left), plus the services'
        hold = departed[left] - assigned[left]
        shuttle_busy = float(busy_each[len(a0) :].sum()) if len(a) > len(a0) else 0.0
        offered = (
            (int(obs.sum()) * float(hold.mean()) + shuttle_busy) / (n_berths * span)
            if len(hold)
            else float("nan")
        )
        mean_wait = float(wait.mean()) if len(wait) else float("nan")
        mean_service = float(service.mean()) if len(service) else float("nan")
        rows += [
            (tname, "calls", "calls", float(calls)),
            (tname, "throughput", unit, throughput),
            (tname, "berth_occupancy", "fraction", occupancy),
            (tname, "mean_wait_h", "h", mean_wait),
            (
                tname,
                "p95_wait_h",
                "h",
                float(np.percentile(wait, 95)) if len(wait) else float("nan"),
            ),
            (tname, "mean_service_h", "h", mean_service),
            (
                tname,
                "wait_service_ratio",
                "ratio",
                mean_wait / mean_service if mean_service and mean_service > 0 else float("nan"),
            ),
            (tname, "mean_queue_length", "ships", queue),
            (
                tname,
                "mean_turnaround_h",
                "h",
                float(turnaround.mean()) if len(turnaround) else float("nan"),
            ),
            (tname, "offered_load", "ratio", offered),
            (tname, "overloaded", "flag", overloaded(occupancy, offered, int(obs.sum()))),
        ]
        # the causes of the wait, over the same ships as mean_wait_h: they add up to it
        rows += [(tname, f"mean_{k}", "h", _mean(waits[k])) for k in _cause_cols()]
        # delays at the berth, over the ships that left (as mean_service_h, of which
        # they are part)
        rows += [
            (tname, f"mean_delay_{k}_h", "h", _mean(c[f][m][left]))
            for k, f in _DELAY_FIELDS.items()
        ]
        if term.yard is not None:
            rows.append((tname, "yard_utilisation", "fraction", yard / term.yard.capacity))
        port_t += throughput * tonnes_per_unit(term.cargo, conv)
        if term.cargo is Cargo.container:
            port_teu += throughput
        elif term.cargo is Cargo.roro:
            port_veh += throughput
        port_calls += calls
        port_ships.append(ships)
    del waits
    ships = np.concatenate(port_ships) if port_ships else np.empty(0, dtype=np.intp)
    port_rows = [
        (PORT, "throughput_t", "t", port_t),
        (PORT, "throughput_teu", "TEU", port_teu),
        (PORT, "throughput_vehicles", "vehicles", port_veh),
        (PORT, "calls", "calls", float(port_calls)),
        (PORT, "mean_wait_h", "h", _mean(split["wait_h"][ships])),
    ]
    port_rows += [(PORT, f"mean_{k}", "h", _mean(split[k][ships])) for k in _cause_cols()]
    out: list[KpiRow] = [(Scope.terminal.value, *r) for r in rows]
    out += [(Scope.port.value, *r) for r in port_rows]
    return out


# --- shuttle services (the Lianshen Express) and data corridors -----------------------------
# Per-batch arrays can be long (a decade of growing demand is some 400,000 batches), so the
# KPIs below keep few of them alive at once and use no sort.


def service_keys(kpis: pd.DataFrame) -> list[str]:
    """Keys of the shuttle services in a KPI, summary or comparison table, in order."""
    return _names_of(kpis, Scope.service)


def corridor_keys(kpis: pd.DataFrame) -> list[str]:
    """Keys of the data corridors in a KPI, summary or comparison table, in order."""
    return _names_of(kpis, Scope.link)


def _names_of(kpis: pd.DataFrame, scope: Scope) -> list[str]:
    if "scope" not in kpis.columns or "name" not in kpis.columns:
        return []
    names = kpis.loc[kpis["scope"] == scope.value, "name"].astype(str)
    return list(dict.fromkeys(names))


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def _p95(x: np.ndarray) -> float:
    return float(np.percentile(x, 95)) if len(x) else float("nan")


def _inside(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    return (t >= t0) & (t <= t1)  # NaN (not reached) is never inside


def box_balance(sh: ServiceRecords, at_h: float) -> dict[str, float]:
    """Southbound transfer TEU by state at ``at_h`` (at most the horizon).

    ``booked`` (before ``at_h``) = ``carried`` (sailed) + ``waiting`` + ``in_clearance``;
    ``waiting`` counts the cleared boxes in the yard, being loaded and on board
    (``on_board``: their vessel finished loading, not yet sailed).
    """
    n = int(np.searchsorted(sh.booked_h, at_h, side="left"))
    carried = sh.by_sailing(sh.calls.departed_h, n) <= at_h
    on_board = (sh.by_sailing(sh.calls.load_end_h, n) <= at_h) & ~carried
    cleared = sh.cleared_h[:n] <= at_h
    b = float(sh.batch_teu)
    return {
        "booked": n * b,
        "carried": float(carried.sum()) * b,
        "waiting": float((cleared & ~carried).sum()) * b,
        "on_board": float(on_board.sum()) * b,
        "in_clearance": float((~cleared).sum()) * b,
    }


def service_kpis(
    key: str, sh: ServiceRecords, scenario: Scenario, t0: float, t1: float
) -> list[KpiRow]:
    """KPI rows ``(scope, name, metric, unit, value)`` of shuttle service ``key``."""
    calls = sh.call_columns(t1)
    b = float(sh.batch_teu)
    span = t1 - t0

    departed = calls["departed_h"]
    sailed = _inside(departed, t0, t1)
    sailings = int(sailed.sum())
    teu_out = float(calls["teu_out"][sailed].sum())
    landed_calls = _inside(calls["discharged_h"], t0, t1)
    teu_in = float(calls["teu_in"][landed_calls].sum())
    # northbound slots: the calls that discharged in the window, not those that sailed
    offered_in = float(landed_calls.sum()) * sh.capacity_teu
    offered = sailings * sh.capacity_teu
    listed = _inside(calls["load_end_h"], t0, t1)  # load lists closed in the window
    missed = float(calls["teu_missed_cutoff"][listed].sum())
    left = float(calls["teu_left_full"][listed].sum())
    delay = (calls["cast_off_h"] - calls["slot_h"])[sailed]
    req, asg = calls["requested_h"], calls["assigned_h"]
    asked = (req >= t0) & (req < t1)
    got = asked & ~np.isnan(asg)

    # southbound batches booked before the end; those booked in the window for the means
    n = int(np.searchsorted(sh.booked_h, t1, side="left"))
    first = int(np.searchsorted(sh.booked_h, t0, side="left"))
    booked = sh.booked_h[:n]
    gone = sh.by_sailing(sh.calls.departed_h, n)  # NaN: not sailed; a fresh array
    backlog_end = float(np.isnan(gone).sum()) * b
    arrived = gone[first:] + sh.sea_time_h
    arrived -= booked[first:]  # now the transfer time, where the batch has arrived
    transfer = arrived[arrived + booked[first:] <= t1]
    del arrived
    # backlog: each batch is in it from booking to sailing; its mean over the window.
    # Computed in place: with years of growth there can be millions of batches.
    np.nan_to_num(gone, copy=False, nan=t1)
    np.minimum(gone, t1, out=gone)
    gone -= np.maximum(booked, t0)
    np.clip(gone, 0, None, out=gone)
    backlog = float(gone.sum()) * b / span if span > 0 else float("nan")
    del gone

    inbound = sh.inbound_columns(t1)
    released = inbound["released_h"]
    landed = _inside(inbound["discharged_h"], t0, t1) & ~np.isnan(released)
    release_wait = (released - inbound["discharged_h"])[landed]

    S = (Scope.service.value, key)
    capacity = scenario.shuttles[key].annual_capacity_teu
    rows: list[KpiRow] = [
        (*S, "shuttle_annual_capacity_teu", "TEU/yr", capacity),
        (*S, "sailings", "sailings", float(sailings)),
        (*S, "sailings_late", "sailings", float((delay > 1e-6).sum())),
        (*S, "sailing_delay_mean_h", "h", _mean(delay)),
        (*S, "teu_booked", "TEU", (n - first) * b),
        (*S, "teu_carried_out", "TEU", teu_out),
        (*S, "teu_carried_in", "TEU", teu_in),
        (*S, "shuttle_utilisation", "fraction", teu_out / offered if offered else float("nan")),
        (
            *S,
            "shuttle_utilisation_in",
            "fraction",
            teu_in / offered_in if offered_in else float("nan"),
        ),
        (*S, "teu_rolled_over", "TEU", missed + left),
        (*S, "teu_rolled_over_cutoff", "TEU", missed),
        (*S, "teu_rolled_over_full", "TEU", left),
        (*S, "transfer_time_mean_h", "h", _mean(transfer)),
        (*S, "transfer_time_p95_h", "h", _p95(transfer)),
        (*S, "backlog_teu", "TEU", backlog),
        (*S, "backlog_end_teu", "TEU", backlog_end),
        (*S, "shuttle_berth_wait_h", "h", _mean((asg - req)[got])),
        (*S, "berth_time_mean_h", "h", _mean((departed - asg)[sailed])),
        (*S, "eta_shared_share", "fraction", _mean(calls["eta_shared"][asked].astype(float))),
        (*S, "release_wait_in_mean_h", "h", _mean(release_wait)),
    ]
    return rows


def corridor_kpis(
    key: str, cor: CorridorRecords, served: list[ServiceRecords], t0: float, t1: float
) -> list[KpiRow]:
    """KPI rows of corridor ``key``, over the boxes of the services it ``served``."""
    span = t1 - t0
    down = np.asarray(cor.down, dtype=float).reshape(-1, 2)
    if cor.enabled:
        lost = np.clip(np.minimum(down[:, 1], t1) - np.maximum(down[:, 0], t0), 0, None).sum()
        availability = float(1.0 - lost / span) if span > 0 else float("nan")
        outages = float(((down[:, 0] >= t0) & (down[:, 0] < t1)).sum())
    else:
        availability, outages = 0.0, 0.0
    clearance, by_corridor = [], []
    for sh in served:
        # southbound batches booked in the window
        n = int(np.searchsorted(sh.booked_h, t1, side="left"))
        first = int(np.searchsorted(sh.booked_h, t0, side="left"))
        cleared = sh.cleared_h[first:n]
        done = cleared <= t1
        clearance.append((cleared - sh.booked_h[first:n])[done])
        by_corridor.append(sh.by_corridor[first:n][done])
    times = np.concatenate(clearance) if clearance else np.empty(0)
    shares = np.concatenate(by_corridor) if by_corridor else np.empty(0, dtype=bool)
    C = (Scope.link.value, key)
    return [
        (*C, "availability", "fraction", availability),
        (*C, "outages", "outages", outages),
        (*C, "clearance_time_mean_h", "h", _mean(times)),
        (*C, "clearance_time_p95_h", "h", _p95(times)),
        (*C, "cleared_by_corridor_share", "fraction", _mean(shares.astype(float))),
    ]


def _by_service(rec: Records, columns: str) -> pd.DataFrame:
    """One table of every service's rows (``service`` column first; empty without one)."""
    import pandas as pd

    frames = []
    for key, sh in rec.services.items():
        cols = getattr(sh, columns)(rec.end_h)
        df = pd.DataFrame(cols)
        df.insert(0, "service", key)
        frames.append(df)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def shuttle_calls_frame(rec: Records) -> pd.DataFrame:
    """The shuttle services' calls at the port, one row per timetable slot (empty without)."""
    import pandas as pd

    df = _by_service(rec, "call_columns")
    if len(df.columns):
        berth = df.pop("berth").to_numpy()
        df["berth_id"] = pd.Categorical.from_codes(berth, categories=list(rec.berth_ids))
    return df


def transfer_boxes_frame(rec: Records) -> pd.DataFrame:
    """Southbound transfer batches, one row each (empty without a service)."""
    return _by_service(rec, "box_columns")


def inbound_boxes_frame(rec: Records) -> pd.DataFrame:
    """Northbound batches discharged at the port, one row each (empty without a service)."""
    return _by_service(rec, "inbound_columns")
