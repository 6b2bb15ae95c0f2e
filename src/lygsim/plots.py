"""Figures for planners: functions that take DataFrames and return matplotlib Figures.

Every figure is built with the object API (:class:`matplotlib.figure.Figure`, never the
pyplot state machine) inside one style (:data:`STYLE`), is titled, carries units on its
axes and stays readable in greyscale: series differ by line style, marker or hatching as
well as by colour. Nothing here knows about SimPy; the inputs are the tables a results
folder holds (``summary.csv``, ``visits.parquet``, ``levels.parquet``,
``comparison.csv``, ``capacity.csv``, ``capacity_gained.csv``, ``horizon.csv``).

:func:`figures_for_run`, :func:`figures_for_compare`, :func:`figures_for_capacity` and
:func:`figures_for_study` write the PNGs of a results folder under ``figures/``, skipping
figures whose data are absent.
"""

from __future__ import annotations

import functools
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from lygsim.queueing import allen_cunneen_ws
from lygsim.report import atomic_path

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#bbbbbb",
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "hatch.linewidth": 0.7,
    "lines.linewidth": 1.6,
    "errorbar.capsize": 4,
}
"""rcParams every figure is drawn and saved with."""

SERIES_STYLES: list[dict[str, Any]] = [
    {"color": "#0072B2", "linestyle": "-", "marker": "o", "hatch": ""},
    {"color": "#D55E00", "linestyle": "--", "marker": "s", "hatch": "///"},
    {"color": "#009E73", "linestyle": ":", "marker": "^", "hatch": "..."},
    {"color": "#CC79A7", "linestyle": "-.", "marker": "D", "hatch": "xxx"},
    {"color": "#E69F00", "linestyle": (0, (6, 2, 1, 2, 1, 2)), "marker": "v", "hatch": "\\\\\\"},
    {"color": "#56B4E9", "linestyle": (0, (1, 1)), "marker": "P", "hatch": "---"},
    {"color": "#555555", "linestyle": (0, (8, 3)), "marker": "X", "hatch": "+++"},
    {"color": "#F0E442", "linestyle": (0, (3, 1, 3, 4)), "marker": "*", "hatch": "ooo"},
]
"""Colour, line style, marker and hatch of the i-th series (Okabe-Ito colours)."""

DPI = 120
THRESHOLD_COLOR = "#B00020"
NON_TERMINALS = frozenset({"port", "shuttle", "corridor", "calibration"})
"""Rows of a summary that are not terminals: port-wide figures, shuttle, corridor, targets."""
SHUTTLE_METRICS = (
    "shuttle_utilisation",
    "transfer_time_mean_h",
    "transfer_time_p95_h",
    "teu_carried_out",
    "teu_rolled_over",
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def series_style(i: int) -> dict[str, Any]:
    """The style of the ``i``-th series (cycles through :data:`SERIES_STYLES`)."""
    return dict(SERIES_STYLES[i % len(SERIES_STYLES)])


def label(name: str) -> str:
    """A terminal, class or option name as shown on figures: ``liquid_bulk`` -> ``liquid bulk``."""
    return str(name).replace("_", " ")


def _styled(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def _terminals(names: Sequence[Any]) -> list[str]:
    """Terminal names in order of first appearance, without the port and shuttle rows."""
    return [t for t in dict.fromkeys(str(n) for n in names) if t not in NON_TERMINALS]


def _scale(unit: str, largest: float) -> tuple[float, str]:
    """A divisor and unit label so that numbers up to ``largest`` read well."""
    largest = abs(largest) if np.isfinite(largest) else 0.0
    if unit == "t":
        return (1e6, "Mt") if largest >= 1e6 else ((1e3, "kt") if largest >= 1e3 else (1, "t"))
    if largest >= 1e6:
        return 1e6, f"million {unit}"
    if largest >= 1e4:
        return 1e3, f"thousand {unit}"
    return 1.0, unit


def _days_axis(ax: Any, start_date: str | date | None) -> None:
    text = "Days since start of simulation"
    if start_date is not None:
        text += f" ({pd.Timestamp(start_date).date().isoformat()} = day 0)"
    ax.set_xlabel(text)


def _month_axis(ax: Any, start_date: str | date | None, end_h: float) -> None:
    """Month names along the top of ``ax``, whose x axis is in days from ``start_date``."""
    if start_date is None:
        return
    d0 = pd.Timestamp(start_date)
    months = pd.date_range(d0, d0 + pd.Timedelta(hours=end_h), freq="MS")
    if len(months) < 2 or len(months) > 40:
        return
    top = ax.secondary_xaxis("top")
    top.set_xticks(
        [(m - d0) / pd.Timedelta(days=1) for m in months],
        [m.strftime("%b %Y" if m.month == 1 or i == 0 else "%b") for i, m in enumerate(months)],
        fontsize=8,
    )
    top.tick_params(length=3)


def _shade_warmup(ax: Any, warmup_days: float, first: bool) -> None:
    if warmup_days > 0:
        ax.axvspan(
            0,
            warmup_days,
            facecolor="#eeeeee",
            edgecolor="#999999",
            hatch="////",
            linewidth=0,
            label="warm-up (not in KPIs)" if first else None,
            zorder=0,
        )


# --- berth occupancy ---------------------------------------------------------------------


@_styled
def berth_occupancy(
    summary: pd.DataFrame,
    thresholds: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Berth occupancy by terminal: bars with 95% intervals, thresholds as markers.

    Args:
        summary: ``summary.csv`` rows (``scenario, terminal, metric, mean, ci_low,
            ci_high``); with several scenarios, one bar per scenario in each terminal.
        thresholds: Maximum occupancy per terminal (fraction), drawn as a marker.
        title: The figure title (default: a descriptive one).

    Returns:
        The figure.

    Raises:
        ValueError: If the summary holds no berth occupancy.
    """
    _require(summary, ["terminal", "metric", "mean", "ci_low", "ci_high"], "berth occupancy")
    occ = summary[summary["metric"] == "berth_occupancy"]
    occ = occ[~occ["terminal"].isin(NON_TERMINALS)]
    if occ.empty:
        raise ValueError("berth occupancy: the summary has no berth_occupancy rows")
    if "scenario" not in occ.columns:
        occ = occ.assign(scenario="")
    scenarios = list(dict.fromkeys(occ["scenario"].astype(str)))
    terminals = _terminals(occ["terminal"])
    width = 0.8 / len(scenarios)
    fig = _figure(min(12.0, max(8.0, 0.9 * len(terminals) * len(scenarios) ** 0.6 + 2)), 5.2)
    ax = fig.add_subplot()
    x = np.arange(len(terminals))
    for i, scen in enumerate(scenarios):
        rows = occ[occ["scenario"].astype(str) == scen]
        rows = rows.set_index(rows["terminal"].astype(str)).reindex(terminals)
        mean = rows["mean"].to_numpy(float) * 100
        err = np.vstack(
            [
                mean - rows["ci_low"].to_numpy(float) * 100,
                rows["ci_high"].to_numpy(float) * 100 - mean,
            ]
        )
        err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
        st = series_style(i)
        xs = x + (i - (len(scenarios) - 1) / 2) * width
        ax.bar(
            xs,
            mean,
            width * 0.9,
            yerr=err,
            color=st["color"],
            hatch=st["hatch"],
            edgecolor="black",
            linewidth=0.6,
            error_kw={"elinewidth": 1.0, "ecolor": "black"},
            label=label(scen) if len(scenarios) > 1 else "mean occupancy (95% interval)",
        )
        for xi, m in zip(xs, mean, strict=True):
            if np.isfinite(m):  # at the foot of the bar: clear of intervals and thresholds
                ax.annotate(
                    f"{m:.0f}%",
                    (xi, 0),
                    xytext=(0, 4),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=8 if len(scenarios) < 4 else 7,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
                )
    if thresholds:
        first = True
        for xi, term in zip(x, terminals, strict=True):
            if term in thresholds and thresholds[term] is not None:
                ax.hlines(
                    float(thresholds[term]) * 100,
                    xi - 0.45,
                    xi + 0.45,
                    colors=THRESHOLD_COLOR,
                    linestyles="--",
                    linewidth=2,
                    label="threshold (maximum occupancy)" if first else None,
                    zorder=3,
                )
                first = False
    ax.set_xticks(x, [label(t) for t in terminals])
    ax.set_ylabel("Berth occupancy (% of berth-hours)")
    ax.set_xlabel("Terminal")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    # one replication has no interval: fall back on the means
    top = np.nanmax(np.concatenate([occ["mean"].to_numpy(float), occ["ci_high"].to_numpy(float)]))
    top = 100.0 if not np.isfinite(top) else top * 100
    if thresholds:
        top = max(top, max(float(v) * 100 for v in thresholds.values() if v is not None))
    ax.set_ylim(0, min(100, top * 1.12 + 5) if top < 95 else top * 1.08)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    ax.set_title(title or "Berth occupancy by terminal (mean of replications, 95% interval)")
    return fig


# --- waiting times -----------------------------------------------------------------------

_WAIT_TICKS = [
    (0.1, "6 min"),
    (0.5, "30 min"),
    (1, "1 h"),
    (3, "3 h"),
    (6, "6 h"),
    (12, "12 h"),
    (24, "1 day"),
    (48, "2 days"),
    (96, "4 days"),
    (168, "1 week"),
    (336, "2 weeks"),
    (720, "30 days"),
]


@_styled
def waiting_times(
    visits: pd.DataFrame, warmup_h: float = 0.0, terminals: Sequence[str] | None = None
) -> Figure:
    """Waiting-time distribution by terminal: the share of ships waiting longer than x.

    The wait runs from arrival to entering the channel (``entered_h - arrived_h``: berth,
    tide and weather waits), over ships that arrived after the warm-up and have entered,
    pooled over replications. The x axis is logarithmic.

    Args:
        visits: Visits (``terminal, arrived_h, entered_h``).
        warmup_h: Ships arriving before this time are left out.
        terminals: Terminals to draw, in this order (default: all, in order of appearance).

    Returns:
        The figure.

    Raises:
        ValueError: If there are no visits with a wait.
    """
    _require(visits, ["terminal", "arrived_h", "entered_h"], "waiting times")
    v = visits[(visits["arrived_h"] >= warmup_h) & visits["entered_h"].notna()]
    names = list(terminals) if terminals is not None else _terminals(v["terminal"])
    if v.empty or not names:
        raise ValueError("waiting times: no ship arrived after the warm-up and entered")
    fig = _figure(9.5, 5.2)
    ax = fig.add_subplot()
    lo, hi = _WAIT_TICKS[0][0], _WAIT_TICKS[0][0] * 10
    for i, term in enumerate(names):
        w = np.sort((v["entered_h"] - v["arrived_h"])[v["terminal"] == term].to_numpy(float))
        if len(w) == 0:
            continue
        n = len(w)
        share = 1.0 - np.arange(1, n + 1) / n  # share of ships waiting longer than w[k]
        positive = w > lo
        xs = np.concatenate([[lo], w[positive]])
        ys = np.concatenate([[np.mean(w > lo)], share[positive]]) * 100
        hi = max(hi, float(w[-1]))
        st = series_style(i)
        ax.step(
            xs,
            ys,
            where="post",
            color=st["color"],
            linestyle=st["linestyle"],
            marker=st["marker"],
            markevery=0.08,
            markersize=5,
            label=f"{label(term)}: {n:,} ships, mean {w.mean():.1f} h, {np.mean(w > 0):.0%} waited",
        )
    ax.set_xscale("log")
    ax.set_xlim(lo, hi * 1.3)
    ticks = [(t, s) for t, s in _WAIT_TICKS if lo <= t <= hi * 1.3]
    ax.set_xticks([t for t, _ in ticks], [s for _, s in ticks])
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("Waiting time x, arrival to entering the channel (hours, log scale)")
    ax.set_ylabel("Ships waiting longer than x (% of calls)")
    pooled = ""
    if "replication" in v.columns and v["replication"].nunique() > 1:
        pooled = f", {v['replication'].nunique()} replications pooled"
    ax.set_title(
        f"Waiting-time distribution by terminal (ships arriving after the warm-up{pooled})"
    )
    ax.legend(loc="upper right", title="terminal")
    return fig


# --- level histories ---------------------------------------------------------------------


def _series(levels: pd.DataFrame, series: str) -> pd.DataFrame:
    _require(levels, ["time_h", "series", "terminal", "value"], "levels")
    out = levels[levels["series"].astype(str) == series]
    return out.assign(terminal=out["terminal"].astype(str))


def _window_mean(t: np.ndarray, v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Time-weighted mean of a step series (value ``v[k]`` from ``t[k]``) in each bin."""
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    area = np.concatenate([[0.0], np.cumsum(v[:-1] * np.diff(t))])

    def cum(x: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 1)
        return area[k] + v[k] * (x - t[k]) * (x >= t[0])

    c = cum(edges)
    return np.diff(c) / np.diff(edges)


def _small_multiples(
    data: pd.DataFrame,
    names: list[str],
    ylabel: str,
    title: str,
    warmup_days: float,
    start_date: str | date | None,
    end_h: float | None,
    scale: Mapping[str, float] | None = None,
    percent: bool = False,
    limits: Mapping[str, float] | None = None,
    limit_label: str = "",
    integer: bool = False,
) -> Figure:
    fig = _figure(10, 1.15 + 1.45 * len(names))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    t_end = end_h if end_h is not None else float(data["time_h"].max())
    edges = np.arange(0.0, t_end + 24.0, 24.0)
    edges[-1] = max(edges[-2] + 1e-9, t_end) if len(edges) > 1 else t_end
    for i, (ax, term) in enumerate(zip(axes, names, strict=True)):
        d = data[data["terminal"] == term]
        t = d["time_h"].to_numpy(float)
        v = d["value"].to_numpy(float) / (scale or {}).get(term, 1.0)
        if percent:
            v = v * 100
        _shade_warmup(ax, warmup_days, i == 0)
        if len(t):
            tt = np.concatenate([t, [t_end]]) / 24
            vv = np.concatenate([v, v[-1:]])
            ax.step(tt, vv, where="post", color="#9a9a9a", linewidth=0.6, label="level")
            if len(edges) > 2:
                daily = _window_mean(t, v, edges)
                ax.plot(
                    (edges[:-1] + edges[1:]) / 48,
                    daily,
                    color="black",
                    linewidth=1.4,
                    label="daily time-weighted mean",
                )
        if limits and term in limits:
            ax.axhline(
                limits[term] * (100 if percent else 1),
                color=THRESHOLD_COLOR,
                linestyle="--",
                linewidth=1.3,
                label=limit_label,
            )
        ax.set_ylabel(label(term), fontweight="bold")
        ax.set_ylim(bottom=0)
        if integer:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        if percent:
            ax.set_ylim(0, max(100, float(np.nanmax(v)) * 1.05 if len(v) else 100))
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlim(0, t_end / 24)
    handles, labels_ = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels_:
                handles.append(h)
                labels_.append(lab)
    fig.legend(handles, labels_, loc="outside lower center", ncols=len(labels_))
    fig.supylabel(ylabel)
    _days_axis(axes[-1], start_date)
    _month_axis(axes[0], start_date, t_end)
    fig.suptitle(title)
    return fig


@_styled
def queue_length(
    levels: pd.DataFrame,
    warmup_days: float = 0.0,
    start_date: str | date | None = None,
    end_h: float | None = None,
    terminals: Sequence[str] | None = None,
) -> Figure:
    """Ships waiting to enter (berth, tide or weather) over time, one panel per terminal.

    Args:
        levels: Level histories (``time_h, series, terminal, value``; changes only) of one
            replication; the ``queue`` series is drawn.
        warmup_days: The warm-up, shaded.
        start_date: The scenario's start date, named on the time axis.
        end_h: End of the simulated horizon (default: the last change).
        terminals: Terminals to draw, in this order (default: all).

    Returns:
        The figure.

    Raises:
        ValueError: If the levels hold no queue series.
    """
    q = _series(levels, "queue")
    if q.empty:
        raise ValueError("queue length: the levels hold no 'queue' series")
    names = list(terminals) if terminals is not None else _terminals(q["terminal"])
    return _small_multiples(
        q,
        names,
        "Ships waiting to enter (ships)",
        "Queue length over time by terminal (one replication)",
        warmup_days,
        start_date,
        end_h,
        integer=True,
    )


@_styled
def yard_levels(
    levels: pd.DataFrame,
    capacity: Mapping[str, float] | None = None,
    warmup_days: float = 0.0,
    start_date: str | date | None = None,
    end_h: float | None = None,
    units: Mapping[str, str] | None = None,
) -> Figure:
    """Yard stock over time, one panel per terminal; as a share of capacity when given.

    Args:
        levels: Level histories of one replication; the ``yard`` series is drawn.
        capacity: Yard capacity per terminal (terminal's unit). With it, every terminal
            that has a capacity is drawn as a share of it, with the 100% line.
        warmup_days: The warm-up, shaded.
        start_date: The scenario's start date, named on the time axis.
        end_h: End of the simulated horizon (default: the last change).
        units: The unit of each terminal's stock (used without ``capacity``).

    Returns:
        The figure.

    Raises:
        ValueError: If the levels hold no yard series.
    """
    y = _series(levels, "yard")
    if y.empty:
        raise ValueError("yard levels: the levels hold no 'yard' series (no terminal has a yard)")
    names = _terminals(y["terminal"])
    if capacity:
        names = [n for n in names if n in capacity] or names
        return _small_multiples(
            y,
            names,
            "Yard stock (% of capacity)",
            "Yard stock over time by terminal, as a share of capacity (one replication)",
            warmup_days,
            start_date,
            end_h,
            scale=capacity,
            percent=True,
            limits={n: 1.0 for n in names if n in capacity},
            limit_label="yard capacity",
        )
    unit_note = ""
    if units:
        found = {units.get(n, "") for n in names}
        unit_note = f" ({found.pop()})" if len(found) == 1 else " (terminal's unit)"
    return _small_multiples(
        y,
        names,
        f"Yard stock{unit_note or ' (terminal unit: t, TEU or vehicles)'}",
        "Yard stock over time by terminal (one replication)",
        warmup_days,
        start_date,
        end_h,
    )


# --- berth Gantt chart -------------------------------------------------------------------


def _natural_key(s: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)]


@_styled
def berth_gantt(
    visits: pd.DataFrame,
    week_start_h: float,
    terminal: str | None = None,
    replication: int | None = 0,
    berths: Sequence[str] | None = None,
    start_date: str | date | None = None,
    days: float = 7.0,
    title: str | None = None,
) -> Figure:
    """Berth Gantt chart of one week: a bar per call, berth assigned to ship left.

    Args:
        visits: Visits (``berth_id, ship_class, assigned_h, departed_h``, and
            ``terminal`` and ``replication`` if filtering by them).
        week_start_h: Start of the window (hours from the scenario start).
        terminal: Draw only this terminal's berths (default: every berth).
        replication: Draw this replication (None: the visits are one replication).
        berths: Berth rows, top to bottom (default: every berth seen in the visits, in
            natural order); berths idle all week keep their row.
        start_date: The scenario's start date, to put dates on the time axis.
        days: Length of the window in days.
        title: The title (default: terminal, window and replication).

    Returns:
        The figure.

    Raises:
        ValueError: If there are no berths to draw.
    """
    _require(visits, ["berth_id", "ship_class", "assigned_h", "departed_h"], "berth Gantt")
    v = visits
    if replication is not None and "replication" in v.columns:
        v = v[v["replication"] == replication]
    if terminal is not None:
        _require(v, ["terminal"], "berth Gantt")
        v = v[v["terminal"].astype(str) == terminal]
    everyone = v
    v = v[v["berth_id"].notna() & v["assigned_h"].notna()]
    rows = (
        list(berths)
        if berths is not None
        else sorted(v["berth_id"].astype(str).unique(), key=_natural_key)
    )
    if not rows:
        where = f" of terminal '{terminal}'" if terminal else ""
        raise ValueError(f"berth Gantt: no berth{where} was ever assigned a ship")
    t0, t1 = float(week_start_h), float(week_start_h) + days * 24.0
    departed = v["departed_h"].fillna(np.inf)
    w = v[(v["assigned_h"] < t1) & (departed > t0)]
    classes = sorted(v["ship_class"].astype(str).unique())
    cstyle = {c: series_style(i) for i, c in enumerate(classes)}
    ypos = {b: i for i, b in enumerate(rows)}
    strip = {"arrived_h", "entered_h"} <= set(everyone.columns)
    gantt_h = 0.7 + 0.32 * len(rows)
    fig = _figure(11, 1.2 + gantt_h + (1.3 if strip else 0))
    if strip:
        qax, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1.3, gantt_h])
        _waiting_strip(qax, everyone, t0, t1)
    else:
        ax = fig.add_subplot()
    ax.set_gid("gantt")
    handling = {"handling_start_h", "handling_end_h"} <= set(w.columns)
    nan = np.full(len(w), np.nan)
    for b, start, end, cls, h0, h1 in zip(
        w["berth_id"].astype(str),
        w["assigned_h"].to_numpy(float),
        w["departed_h"].fillna(np.inf).to_numpy(float),
        w["ship_class"].astype(str),
        w["handling_start_h"].to_numpy(float) if handling else nan,
        w["handling_end_h"].fillna(np.inf).to_numpy(float) if handling else nan,
        strict=True,
    ):
        if b not in ypos:
            continue
        left, right = max(start, t0), min(end, t1)
        st = cstyle[cls]
        # the whole call: light when the berth is held but no cargo moves
        ax.barh(
            ypos[b], (right - left) / 24, left=(left - t0) / 24, height=0.72,
            color=to_rgba(st["color"], 0.35 if handling else 1.0),
            hatch=None if handling else st["hatch"], edgecolor="black", linewidth=0.7,
            gid="visit",
        )  # fmt: skip
        if handling and np.isfinite(h0):
            hl, hr = max(h0, t0), min(h1, t1)
            if hr > hl:
                ax.barh(
                    ypos[b], (hr - hl) / 24, left=(hl - t0) / 24, height=0.72,
                    color=st["color"], hatch=st["hatch"], edgecolor="black", linewidth=0,
                    gid="handling",
                )  # fmt: skip
    shown = [c for c in classes if c in set(w["ship_class"].astype(str))]
    handles: list[Any] = [
        Patch(facecolor=cstyle[c]["color"], hatch=cstyle[c]["hatch"], edgecolor="black",
              label=label(c))
        for c in shown
    ]  # fmt: skip
    if handling:
        handles.append(
            Patch(facecolor="#cccccc", edgecolor="black",
                  label="light: berth held, no cargo handled (approach, tide or weather wait, "
                  "berthing, unberthing)")
        )  # fmt: skip
    fig.legend(
        handles=handles,
        title="ship class (solid: handling cargo)" if handling else "ship class",
        loc="outside lower center",
        ncols=min(len(handles), 4) or 1,
    )
    prefix = f"{terminal}." if terminal else ""
    ax.set_yticks(
        range(len(rows)),
        [label(b[len(prefix) :] if b.startswith(prefix) else b).replace(".", " ") for b in rows],
    )
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, days)
    ticks = np.arange(0, days + 1e-9, 1.0)
    day0 = week_start_h / 24
    if start_date is not None:
        first = pd.Timestamp(start_date).to_pydatetime() + timedelta(hours=week_start_h)
        texts = [(first + timedelta(days=float(k))).strftime("%a %d %b") for k in ticks]
        ax.set_xlabel(f"Time (days from {first:%a %d %b %Y %H:%M}, day {day0:g} of the simulation)")
    else:
        texts = [f"day {day0 + k:g}" for k in ticks]
        ax.set_xlabel("Time (days from the start of the simulation)")
    ax.set_xticks(ticks, texts)
    ax.grid(axis="y", visible=False)
    ax.set_ylabel("Berth" if len(rows) < 4 else "Berth (group and number)")
    what = f"{label(terminal).capitalize()} terminal" if terminal else "All terminals"
    rep = "" if replication is None else f", replication {replication}"
    fig.suptitle(title or f"{what}: berth occupation, {days:g} days from day {day0:g}{rep}")
    return fig


def _waiting_strip(ax: Any, visits: pd.DataFrame, t0: float, t1: float) -> None:
    """Ships waiting to enter during ``[t0, t1]``: for a berth, then for tide or weather."""
    arrived = visits["arrived_h"].to_numpy(float)
    entered = visits["entered_h"].fillna(np.inf).to_numpy(float)
    has_assigned = "assigned_h" in visits.columns
    assigned = visits["assigned_h"].fillna(np.inf).to_numpy(float) if has_assigned else entered
    assigned = np.minimum(assigned, entered)
    near = (arrived <= t1) & (entered >= t0)
    arrived, assigned, entered = arrived[near], assigned[near], entered[near]
    times = np.concatenate([[t0], arrived, assigned, entered, [t1]])
    times = np.unique(times[(times >= t0) & (times <= t1)])
    at = times[:, None]
    for_berth = ((arrived <= at) & (assigned > at)).sum(axis=1)
    total = ((arrived <= at) & (entered > at)).sum(axis=1)
    x = (times - t0) / 24
    ax.fill_between(
        x, for_berth, step="post", color="#777777", edgecolor="black", linewidth=0.8,
        label="waiting for a berth",
    )  # fmt: skip
    if has_assigned:
        ax.fill_between(
            x, for_berth, total, step="post", facecolor="white", edgecolor="#555555",
            hatch="////", linewidth=0.8, label="berth assigned, waiting for tide or weather",
        )  # fmt: skip
    ax.set_ylim(0, max(2.0, total.max() * 1.5 + 1))  # headroom for the legend
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_ylabel("Ships\nwaiting")
    ax.set_title("Ships waiting to enter the port", loc="left", fontsize=9)
    ax.legend(loc="upper left", fontsize=8, ncols=2)


# --- Lianshen Express --------------------------------------------------------------------


@_styled
def shuttle(summary: pd.DataFrame) -> Figure:
    """Lianshen Express: utilisation, transfer times and TEU carried, as far as reported.

    Draws, from the ``shuttle`` rows of one or more summaries, whichever of
    ``shuttle_utilisation``, ``transfer_time_mean_h``/``transfer_time_p95_h`` and
    ``teu_carried_out``/``teu_rolled_over`` exist, with their 95% intervals.

    Args:
        summary: Summary rows (``terminal, metric, mean, ci_low, ci_high`` and optionally
            ``scenario``: one bar per scenario).

    Returns:
        The figure.

    Raises:
        ValueError: If the summary holds no shuttle metric.
    """
    _require(summary, ["terminal", "metric", "mean"], "shuttle")
    s = summary[(summary["terminal"] == "shuttle") & summary["metric"].isin(SHUTTLE_METRICS)]
    if s.empty:
        raise ValueError(
            "shuttle: the summary has no Lianshen Express metrics (terminal 'shuttle': "
            + ", ".join(SHUTTLE_METRICS)
            + ")"
        )
    if "scenario" not in s.columns:
        s = s.assign(scenario="")
    scenarios = list(dict.fromkeys(s["scenario"].astype(str)))
    panels = [
        ("Slot utilisation", ["shuttle_utilisation"], ["utilisation"], "% of slots", 100.0),
        (
            "Transfer time of a box",
            ["transfer_time_mean_h", "transfer_time_p95_h"],
            ["mean", "95th\npercentile"],
            "hours",
            1.0,
        ),
        (
            "Boxes for Shanghai",
            ["teu_carried_out", "teu_rolled_over"],
            ["carried", "rolled over to\na later sailing"],
            "TEU, observation window",
            1.0,
        ),
    ]
    have = set(s["metric"])
    panels = [p for p in panels if have & set(p[1])]
    sizes = [len(have & set(p[1])) for p in panels]
    fig = _figure(min(13.0, 2.2 * sum(sizes) * max(1.0, len(scenarios) ** 0.5) + 1.5), 4.6)
    axes = fig.subplots(1, len(panels), squeeze=False, width_ratios=sizes)[0]
    width = 0.8 / len(scenarios)
    for ax, (title, metrics, names, ylabel, factor) in zip(axes, panels, strict=True):
        present = [(m, n) for m, n in zip(metrics, names, strict=True) if m in have]
        x = np.arange(len(present))
        for i, scen in enumerate(scenarios):
            rows = s[s["scenario"].astype(str) == scen].set_index("metric")
            mean = np.array([rows["mean"].get(m, np.nan) for m, _ in present], float) * factor
            lo = np.array([rows.get("ci_low", rows["mean"]).get(m, np.nan) for m, _ in present])
            hi = np.array([rows.get("ci_high", rows["mean"]).get(m, np.nan) for m, _ in present])
            err = np.vstack([mean - lo * factor, hi * factor - mean])
            err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
            st = series_style(i)
            xs = x + (i - (len(scenarios) - 1) / 2) * width
            ax.bar(
                xs,
                mean,
                width * 0.9,
                yerr=err,
                color=st["color"],
                hatch=st["hatch"],
                edgecolor="black",
                linewidth=0.6,
                label=label(scen) if len(scenarios) > 1 else None,
            )
            for xi, m_, e in zip(xs, mean, err[1], strict=True):
                if np.isfinite(m_):
                    text = f"{m_:.0f}%" if factor == 100.0 else f"{m_:,.0f}"
                    ax.annotate(
                        text, (xi, m_ + e), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8,
                    )  # fmt: skip
        ax.set_xticks(x, [n for _, n in present])
        ax.set_ylabel(f"{title.split(' of ')[0]} ({ylabel})")
        ax.set_title(title, loc="left", fontsize=10)
        ax.margins(y=0.12)
        if factor == 100.0:
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
            ax.set_ylim(0, 105)
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
    if len(scenarios) > 1:
        fig.legend(
            *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(scenarios)
        )
    fig.suptitle("Lianshen Express to Shanghai (mean of replications, 95% interval)")
    return fig


# --- capacity curves ---------------------------------------------------------------------


def theory_ws(berths: int, occupancy: np.ndarray, cs2: float = 1.0) -> np.ndarray:
    """W/S of M/G/c (Allen-Cunneen, Poisson arrivals; exact for M/M/c) at each occupancy."""
    return np.array([allen_cunneen_ws(berths, float(r), 1.0, cs2) for r in occupancy])


def _curve_key(d: pd.DataFrame) -> tuple[float, ...]:
    cols = ["demand_factor", "throughput", "berth_occupancy", "wait_service_ratio"]
    return tuple(np.round(d[cols].to_numpy(float).ravel(), 12))


@_styled
def capacity_curve(
    capacity: pd.DataFrame,
    terminal: str,
    berths: int | None = None,
    threshold: float | None = None,
    practical_capacity: float | Mapping[str, float] | None = None,
) -> Figure:
    """Capacity curve of one terminal: W/S against occupancy and against annual throughput.

    With a ``scenario`` column (a study), the base (first scenario) and every option whose
    curve differs from it at this terminal are drawn together.

    Args:
        capacity: Rows of a demand sweep (``terminal, demand_factor, throughput, unit,
            berth_occupancy, wait_service_ratio``, their ``_ci_low``/``_ci_high``
            columns, and ``berths``, ``threshold`` and ``scenario`` if known).
        terminal: The terminal to draw.
        berths: Its berth count, for the M/M/c and M/E2/c reference curves (default: the
            ``berths`` column).
        threshold: Its W/S threshold, drawn as a line (default: the ``threshold`` column).
        practical_capacity: Annual throughput at which W/S reaches the threshold, marked
            if finite; a mapping gives it per scenario.

    Returns:
        The figure.

    Raises:
        ValueError: If the terminal has no rows, or the berth count or threshold is
            neither given nor in the table.
    """
    cols = ["terminal", "demand_factor", "throughput", "berth_occupancy", "wait_service_ratio"]
    _require(capacity, cols, "capacity curve")
    d = capacity[capacity["terminal"].astype(str) == terminal]
    if d.empty:
        raise ValueError(f"capacity curve: no rows for terminal '{terminal}'")
    d = d.assign(scenario=d["scenario"].astype(str) if "scenario" in d.columns else "")
    d = d.sort_values(["scenario", "demand_factor"], kind="stable")
    order = list(dict.fromkeys(d["scenario"]))
    if "scenario" in capacity.columns:  # keep the table's order: the base first
        order = [x for x in dict.fromkeys(capacity["scenario"].astype(str)) if x in order]
    curves = {sc: d[d["scenario"] == sc] for sc in order}
    base_key = _curve_key(curves[order[0]])
    shown = [order[0], *[sc for sc in order[1:] if _curve_key(curves[sc]) != base_key]]
    if threshold is None:
        if "threshold" not in d.columns:
            raise ValueError("capacity curve: give threshold (no 'threshold' column)")
        threshold = float(curves[order[0]]["threshold"].iloc[0])
    counts: dict[str, int] = {}
    for sc in shown:
        if berths is not None:
            counts[sc] = int(berths)
        elif "berths" in d.columns:
            counts[sc] = int(curves[sc]["berths"].iloc[0])
        else:
            raise ValueError("capacity curve: give berths (no 'berths' column)")
    if min(counts.values()) < 1:
        raise ValueError("capacity curve: berths must be >= 1")
    if practical_capacity is None or isinstance(practical_capacity, Mapping):
        practical = dict(practical_capacity or {})
    else:
        practical = {order[0]: float(practical_capacity)}
    unit = str(d["unit"].iloc[0]) if "unit" in d.columns else ""
    div, tunit = _scale(unit, float(d["throughput"].max()))

    def ci(g: pd.DataFrame, col: str) -> np.ndarray:
        m = g[col].to_numpy(float)
        lo = g.get(f"{col}_ci_low", g[col]).to_numpy(float)
        hi = g.get(f"{col}_ci_high", g[col]).to_numpy(float)
        e = np.vstack([m - lo, hi - m])
        return np.where(np.isfinite(e), np.clip(e, 0, None), 0)

    # W/S spans orders of magnitude between light and saturated demand: log scale
    every = d[d["scenario"].isin(shown)]
    ws_all = every["wait_service_ratio"].to_numpy(float)
    lows = every.get("wait_service_ratio_ci_low", every["wait_service_ratio"]).to_numpy(float)
    highs = every.get("wait_service_ratio_ci_high", every["wait_service_ratio"]).to_numpy(float)
    positive = np.concatenate([ws_all[ws_all > 0], lows[lows > 0], [threshold]])
    ybottom = max(1e-3, 10 ** np.floor(np.log10(positive.min() * 0.8)))
    ytop = 10 ** np.ceil(np.log10(max(float(np.nanmax(highs)), threshold) * 1.5))
    fig = _figure(12, 6.2 if len(shown) > 1 else 5.8)
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    rho = np.linspace(0.0, 0.998, 500)[1:]
    greys = ["#444444", "#8a8a8a", "#b0b0b0"]
    for k, c in enumerate(sorted(set(counts.values()))):
        for cs2, name, ls in ((1.0, "M/M/c", "--"), (0.5, "M/E2/c (Allen-Cunneen)", ":")):
            ax1.plot(
                rho * 100, theory_ws(c, rho, cs2), color=greys[k % len(greys)], linestyle=ls,
                linewidth=1.5, label=f"theory {name}, c = {c}",
            )  # fmt: skip
    for i, sc in enumerate(shown):
        g = curves[sc]
        ws = g["wait_service_ratio"].to_numpy(float)
        occ = g["berth_occupancy"].to_numpy(float) * 100
        thr = g["throughput"].to_numpy(float) / div
        ws_err = ci(g, "wait_service_ratio")
        band = (np.clip(ws - ws_err[0], ybottom, None), ws + ws_err[1])
        st = series_style(i) if i else {"color": "black", "linestyle": "-", "marker": "o"}
        name = "simulated" if len(shown) == 1 else label(sc) + (" (base)" if i == 0 else "")
        for ax, x in ((ax1, occ), (ax2, thr)):
            ax.plot(
                x, ws, color=st["color"], marker=st["marker"], markersize=5,
                linestyle=st["linestyle"], label=f"{name}, mean",
            )  # fmt: skip
            ax.fill_between(
                x, *band, color=st["color"], alpha=0.15, linewidth=0,
                label=f"{name}, 95% interval of W/S",
            )  # fmt: skip
        if i == 0:
            for f, x1, x2, w in zip(g["demand_factor"], occ, thr, ws, strict=True):
                for ax, x in ((ax1, x1), (ax2, x2)):
                    if w > 0:
                        ax.annotate(
                            f"x{f:g}", (x, w), xytext=(-5, 5), textcoords="offset points",
                            ha="right", fontsize=7, color="#333333",
                            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                                  "alpha": 0.8},
                        )  # fmt: skip
        cap = practical.get(sc)
        who = "" if len(shown) == 1 else " " + label(sc)
        if cap is not None and np.isfinite(cap):
            ax2.axvline(
                cap / div, color=st["color"], linestyle=":", linewidth=1.4,
                label=f"practical capacity{who}: {cap / div:,.3g} {tunit}/year",
            )  # fmt: skip
        elif cap is not None and not np.isnan(cap):
            where = "beyond" if cap > 0 else "below"
            ax2.plot([], [], " ", label=f"practical capacity{who}: {where} the demand range")
    for ax in (ax1, ax2):
        ax.axhline(
            threshold, color=THRESHOLD_COLOR, linestyle="-.", linewidth=1.8,
            label=f"W/S threshold {threshold:g}",
        )  # fmt: skip
        ax.set_yscale("log")
        ax.set_ylim(ybottom, ytop)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax1.set_ylabel("Waiting time / service time (W/S, ratio, log scale)")
    ax1.set_xlim(0, 100)
    ax1.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax1.set_xlabel("Berth occupancy (% of berth-hours)")
    ax1.set_title("W/S against berth occupancy", loc="left", fontsize=10)
    ax2.set_xlabel(f"Throughput ({tunit} per year)")
    ax2.set_title("W/S against annual throughput (labels: demand factor)", loc="left", fontsize=10)
    handles: dict[str, Any] = {}
    for ax in (ax1, ax2):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncols=3, fontsize=8)
    span = f"demand x{d['demand_factor'].min():g} to x{d['demand_factor'].max():g}"
    if len(order) == 1:
        c = counts[order[0]]
        what = f"{c} berth{'s' * (c != 1)}, {span}"
    elif len(shown) == 1:
        what = f"{span}; no option changes this terminal"
    else:
        what = f"{span}; the base and the options that change this terminal"
    fig.suptitle(f"Capacity curve: {label(terminal)} terminal ({what})")
    return fig


@_styled
def capacity_gained(gained: pd.DataFrame, min_share: float = 0.001) -> Figure:
    """Practical capacity gained by each option, per terminal it changes.

    Args:
        gained: ``capacity_gained.csv`` rows (``option, terminal, unit, base_capacity,
            option_capacity, gained, gained_share``).
        min_share: Changes smaller than this share of the base capacity are left out.

    Returns:
        The figure.

    Raises:
        ValueError: If no option changes any practical capacity.
    """
    cols = ["option", "terminal", "unit", "base_capacity", "option_capacity", "gained"]
    _require(gained, cols, "capacity gained")
    g = gained.copy()
    base, opt = g["base_capacity"].to_numpy(float), g["option_capacity"].to_numpy(float)
    share = np.where(np.isfinite(base) & np.isfinite(opt) & (base > 0), opt / base - 1, np.nan)
    g["share"] = share
    moved = (np.abs(np.nan_to_num(share)) >= min_share) | (np.isfinite(base) != np.isfinite(opt))
    g = g[moved & ~g["terminal"].isin(NON_TERMINALS)]
    if g.empty:
        raise ValueError("capacity gained: no option changes a terminal's practical capacity")
    options = list(dict.fromkeys(g["option"].astype(str)))
    rows = [(o, t) for o in options for t in g[g["option"] == o]["terminal"].astype(str)]
    fig = _figure(11, max(3.2, 1.6 + 0.55 * len(rows)))
    ax = fig.add_subplot()
    finite = g["share"].to_numpy(float)
    span = float(np.nanmax(np.abs(finite))) * 100 if np.isfinite(finite).any() else 10.0
    span = span or 10.0
    for y, (o, t) in enumerate(rows):
        r = g[(g["option"] == o) & (g["terminal"] == t)].iloc[0]
        st = series_style(options.index(o))
        div, tunit = _scale(str(r["unit"]), max(abs(r["base_capacity"]), 1.0))
        if np.isfinite(r["share"]):
            v = r["share"] * 100
            ax.barh(
                y, v, 0.65, color=st["color"], hatch=st["hatch"], edgecolor="black",
                linewidth=0.6,
            )  # fmt: skip
            text = (
                f"{r['gained'] / div:+,.2f} {tunit}/year ({v:+.1f}%): "
                f"{r['base_capacity'] / div:,.2f} to {r['option_capacity'] / div:,.2f}"
            )
        else:
            v = span if not np.isfinite(r["option_capacity"]) else -span
            ax.barh(y, v, 0.65, color="white", edgecolor=st["color"], hatch=st["hatch"])
            text = (
                "beyond the demand range swept"
                if not np.isfinite(r["option_capacity"])
                else "base capacity beyond the demand range swept"
            )
        ax.annotate(
            text, (v, y), xytext=(5 if v >= 0 else -5, 0), textcoords="offset points",
            ha="left" if v >= 0 else "right", va="center", fontsize=8,
        )  # fmt: skip
    ax.set_yticks(range(len(rows)), [f"{label(t)}\n{label(o)}" for o, t in rows], fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.axvline(0, color="black", linewidth=0.8)
    lo = min(0.0, float(np.nanmin(finite)) * 100 if np.isfinite(finite).any() else 0.0)
    ax.set_xlim(lo - span * (0.9 if lo < 0 else 0.05), span * 1.9)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel(
        "Change of practical capacity (% of the base's annual throughput at the threshold)"
    )
    ax.set_ylabel("Terminal and option")
    ax.grid(axis="y", visible=False)
    ax.set_title(
        "Practical capacity gained by each option (annual throughput at the W/S threshold)"
    )
    return fig


@_styled
def growth_horizon(horizon: pd.DataFrame, until: int | None = None) -> Figure:
    """The year each terminal passes its W/S threshold, for the base and each option.

    Args:
        horizon: ``horizon.csv`` rows (``scenario, terminal, threshold, year,
            year_ci_low, year_ci_high``; year NaN: not before ``until``); the first
            scenario is the base.
        until: The last year looked at (default: the latest year in the table).

    Returns:
        The figure.

    Raises:
        ValueError: If the table is empty.
    """
    _require(horizon, ["scenario", "terminal", "year"], "growth horizon")
    h = horizon[~horizon["terminal"].isin(NON_TERMINALS)]
    if h.empty:
        raise ValueError("growth horizon: no rows")
    years = (
        h[["year", "year_ci_low", "year_ci_high"]].to_numpy(float)
        if "year_ci_low" in h
        else (h[["year"]].to_numpy(float))
    )
    last = (
        int(until)
        if until is not None
        else int(np.nanmax(years))
        if np.isfinite(years).any()
        else 2040
    )
    first = int(np.nanmin(years)) if np.isfinite(years).any() else last - 10
    scenarios = list(dict.fromkeys(h["scenario"].astype(str)))
    terminals = _terminals(h["terminal"])
    n = len(scenarios)
    cols = [c for c in ("year", "year_ci_low", "year_ci_high") if c in h.columns]
    table = {(str(r["scenario"]), str(r["terminal"])): r for r in h.to_dict("records")}

    def key(sc: str, t: str) -> tuple[float, ...]:
        r = table.get((sc, t))
        return tuple(-1.0 if pd.isna(r[c]) else float(r[c]) for c in cols) if r else ()

    # per terminal: the base and the options that move its year
    slots: list[tuple[str, str]] = []
    centres = []
    for t in terminals:
        here = [sc for sc in scenarios if (sc, t) in table]
        keep = here[:1] + [sc for sc in here[1:] if key(sc, t) != key(here[0], t)]
        centres.append(len(slots) + (len(keep) - 1) / 2)
        slots += [(sc, t) for sc in keep]
        slots.append(("", ""))  # a gap between terminals
    slots = slots[:-1]
    fig = _figure(11, max(3.6, 2.0 + 0.32 * len(slots)))
    ax = fig.add_subplot()
    beyond = last + 1
    seen: set[str] = set()
    handles: list[Any] = []
    for y, (sc, t) in enumerate(slots):
        if not sc:
            continue
        r = table[(sc, t)]
        i = scenarios.index(sc)
        st = series_style(i) if i else {"color": "black", "marker": "o", "linestyle": "-"}
        year = float(r["year"])
        lo = float(r.get("year_ci_low", np.nan))
        hi = float(r.get("year_ci_high", np.nan))
        x = year if np.isfinite(year) else beyond
        lo = lo if np.isfinite(lo) else (first if np.isfinite(year) else beyond)
        hi = hi if np.isfinite(hi) else beyond
        ax.plot([lo, hi], [y, y], color=st["color"], linewidth=1.3)
        ax.plot(
            [x], [y], color=st["color"], marker=">" if x == beyond else st["marker"],
            markersize=7, linestyle="none",
        )  # fmt: skip
        if sc not in seen:
            seen.add(sc)
            handles.append(
                Line2D([], [], color=st["color"], marker=st["marker"], linestyle="none",
                       label=label(sc) + (" (base)" if i == 0 and n > 1 else ""))
            )  # fmt: skip
    ax.set_yticks(centres, [label(t) for t in terminals])
    ax.set_ylim(len(slots) - 0.5, -0.5)
    ax.axvline(beyond - 0.5, color="#777777", linestyle=":", linewidth=1)
    ticks = list(range(first, last + 1, max(1, (last - first) // 12 or 1)))
    ax.set_xticks([*ticks, beyond], [*map(str, ticks), f"after\n{last}"])
    ax.set_xlim(first - 0.7, beyond + 0.7)
    ax.set_xlabel("Calendar year in which W/S first exceeds the terminal's threshold (year)")
    ax.set_ylabel("Terminal")
    ax.grid(axis="y", visible=False)
    handles.append(Line2D([], [], color="black", linewidth=1.3, label="95% interval"))
    handles.append(
        Line2D([], [], color="black", marker=">", linestyle="none", label=f"not by {last}")
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)))
    ax.set_title(
        "Growth horizon: when each terminal reaches its W/S threshold"
        + ("\n(options that leave a terminal's year unchanged are not repeated)" if n > 1 else "")
    )
    return fig


# --- option comparisons ------------------------------------------------------------------

COMPARISON_PANELS = [
    ("berth_occupancy", "Change of berth occupancy (percentage points)", 100.0, " pp"),
    ("mean_wait_h", "Change of mean wait (hours)", 1.0, " h"),
    ("wait_service_ratio", "Change of W/S (ratio)", 1.0, ""),
]


def _signed(value: float, unit: str = "") -> str:
    """A change with at least two significant digits: ``-23.7 h``, ``+0.020``."""
    if value == 0:
        return f"0{unit}"
    decimals = int(min(4, max(1, 1 - np.floor(np.log10(abs(value))))))
    return f"{value:+.{decimals}f}{unit}"


@_styled
def option_comparison(
    comparison: pd.DataFrame,
    options: Sequence[str] | None = None,
    skip_unchanged: bool = True,
) -> Figure:
    """Option against base: change of occupancy, mean wait and W/S per terminal.

    Bars are paired differences (option - base) with their 95% paired intervals;
    significant ones are drawn solid and marked ``*``, the others hollow.

    Args:
        comparison: ``comparison.csv`` rows (``terminal, metric, option, delta,
            delta_ci_low, delta_ci_high, significant``).
        options: Options to draw, in this order (default: all).
        skip_unchanged: Leave out terminals no option changed in any replication.

    Returns:
        The figure.

    Raises:
        ValueError: If there is nothing to draw.
    """
    cols = ["terminal", "metric", "option", "delta", "delta_ci_low", "delta_ci_high"]
    _require(comparison, cols, "option comparison")
    c = comparison[~comparison["terminal"].isin(NON_TERMINALS)]
    c = c[c["metric"].isin([m for m, *_ in COMPARISON_PANELS])]
    opts = list(options) if options is not None else list(dict.fromkeys(c["option"].astype(str)))
    c = c[c["option"].astype(str).isin(opts)]
    terminals = _terminals(c["terminal"])
    if skip_unchanged:
        changed = c.groupby("terminal", sort=False)["delta"].apply(
            lambda s: bool((s.fillna(0) != 0).any())
        )
        unchanged = [t for t in terminals if not changed.get(t, False)]
        terminals = [t for t in terminals if changed.get(t, False)] or terminals
    else:
        unchanged = []
    if c.empty or not terminals:
        raise ValueError("option comparison: no terminal KPI to compare")
    height = 0.8 / len(opts)
    fig = _figure(13, max(3.6, 1.9 + 0.42 * len(terminals) * max(1, len(opts)) ** 0.8))
    axes = fig.subplots(1, len(COMPARISON_PANELS), sharey=True)
    y = np.arange(len(terminals))
    for ax, (metric, xlabel, factor, fmt) in zip(axes, COMPARISON_PANELS, strict=True):
        m = c[c["metric"] == metric]
        for i, opt in enumerate(opts):
            rows = m[m["option"].astype(str) == opt]
            rows = rows.set_index(rows["terminal"].astype(str)).reindex(terminals)
            delta = rows["delta"].to_numpy(float) * factor
            lo = rows["delta_ci_low"].to_numpy(float) * factor
            hi = rows["delta_ci_high"].to_numpy(float) * factor
            sig = (
                rows["significant"].fillna(False).astype(bool).to_numpy()
                if "significant" in rows.columns
                else (lo > 0) | (hi < 0)
            )
            err = np.vstack([delta - lo, hi - delta])
            err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
            st = series_style(i)
            ys = y + (i - (len(opts) - 1) / 2) * height
            ax.barh(
                ys,
                delta,
                height * 0.85,
                xerr=err,
                color=[st["color"] if s else "white" for s in sig],
                hatch=st["hatch"],
                edgecolor=st["color"] if st["color"] != "#F0E442" else "black",
                linewidth=1.2,
                error_kw={"elinewidth": 1.0, "ecolor": "black", "capsize": 3},
                label=label(opt),
            )
            for yi, dv, lv, hv, s in zip(ys, delta, lo, hi, sig, strict=True):
                if not np.isfinite(dv):
                    continue
                edge = hv if dv >= 0 else lv
                same = dv == 0 and lv == 0 and hv == 0
                ax.annotate(
                    "no change" if same else _signed(dv, fmt) + ("*" if s else ""),
                    (edge if np.isfinite(edge) else dv, yi),
                    color="#666666" if same else "black",
                    xytext=(4 if dv >= 0 else -4, 0),
                    textcoords="offset points",
                    ha="left" if dv >= 0 else "right",
                    va="center",
                    fontsize=8,
                    fontweight="bold" if s else "normal",
                )
        both = m[["delta", "delta_ci_low", "delta_ci_high"]].to_numpy(float) * factor
        left = min(0.0, float(np.nanmin(both))) if both.size else 0.0
        right = max(0.0, float(np.nanmax(both))) if both.size else 0.0
        span = (right - left) or 1.0
        ax.set_xlim(left - span * (0.45 if left < 0 else 0.05), right + span * 0.45)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        short = xlabel.split(" (")[0].replace("Change of ", "")
        ax.set_title(short[0].upper() + short[1:], loc="left")
    axes[0].set_yticks(y, [label(t) for t in terminals])
    axes[0].set_ylim(len(terminals) - 0.5, -0.5)
    axes[0].set_ylabel("Terminal")
    handles = [
        Patch(facecolor=series_style(i)["color"], hatch=series_style(i)["hatch"],
              edgecolor="black", label=label(o))
        for i, o in enumerate(opts)
    ]  # fmt: skip
    handles += [
        Patch(facecolor="#888888", edgecolor="black", label="* significant (solid)"),
        Patch(facecolor="white", edgecolor="black", label="not significant (hollow)"),
        Line2D([], [], color="black", marker="|", markersize=10, linewidth=1,
               label="95% paired interval"),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))
    title = "Change with each option against the base (option - base, mean of paired replications)"
    if unchanged:
        title += f"\n(unchanged in every replication: {', '.join(label(t) for t in unchanged)})"
    fig.suptitle(title)
    return fig


# --- files -------------------------------------------------------------------------------


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write a figure as PNG atomically and close it.

    Args:
        fig: The figure.
        path: Where to write it (parent folders are created).
        dpi: Resolution.

    Returns:
        The path written.
    """
    path = Path(path)
    with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    if "matplotlib.pyplot" in sys.modules:  # a figure made through pyplot is also released
        sys.modules["matplotlib.pyplot"].close(fig)
    fig.clear()
    return path


@dataclass
class _RunInfo:
    """What the figures of a results folder need from its scenario.yaml and manifest."""

    warmup_days: float = 0.0
    start_date: str | None = None
    end_h: float | None = None
    occupancy_threshold: dict[str, float] = field(default_factory=dict)
    yard_capacity: dict[str, float] = field(default_factory=dict)
    berth_rows: dict[str, list[str]] = field(default_factory=dict)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file, or an empty dict if the file is absent or not a mapping."""
    import yaml

    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file, or an empty dict if the file is absent or unreadable."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _run_info(folder: Path, scenario_file: str = "scenario.yaml") -> _RunInfo:
    scen = read_yaml(folder / scenario_file)
    man = read_json(folder / "manifest.json")
    meta = scen.get("scenario") or {}
    info = _RunInfo(
        warmup_days=float(meta.get("warmup_days") or 0.0),
        start_date=str(meta["start_date"]) if meta.get("start_date") else None,
    )
    days = man.get("days") or meta.get("horizon_days")
    info.end_h = float(days) * 24.0 if days else None
    for name, term in (scen.get("terminals") or {}).items():
        occ = (term.get("thresholds") or {}).get("max_occupancy")
        if occ is not None:
            info.occupancy_threshold[str(name)] = float(occ)
        if term.get("yard"):
            info.yard_capacity[str(name)] = float(term["yard"]["capacity"])
        info.berth_rows[str(name)] = [
            f"{name}.{group}.{k}"
            for group, b in (term.get("berths") or {}).items()
            for k in range(1, int(b.get("count", 0)) + 1)
        ]
    return info


def load_levels(folder: str | Path) -> pd.DataFrame | None:
    """Level histories of replication 0 of a run folder, if stored.

    Looks for ``levels.parquet`` in the folder, then in the run cache entry of
    replication 0 named by the manifest (``runs/v<version>/<hash>/seed-<s>/rep-0/``).

    Args:
        folder: A ``lygsim run`` results folder.

    Returns:
        The levels, or None if none are stored.
    """
    folder = Path(folder)
    if (folder / "levels.parquet").is_file():
        return pd.read_parquet(folder / "levels.parquet")
    man = read_json(folder / "manifest.json")
    if not {"lygsim_version", "scenario_hash", "seed"} <= set(man):
        return None
    key = str(man["scenario_hash"]) + ("" if man.get("days") is None else f"-d{man['days']:g}")
    cached = (
        folder / "runs" / f"v{man['lygsim_version']}" / key / f"seed-{man['seed']}" / "rep-0"
    ) / "levels.parquet"
    return pd.read_parquet(cached) if cached.is_file() else None


def busiest_week(visits: pd.DataFrame, terminal: str, after_h: float, end_h: float) -> float:
    """Start (hours, on a day boundary) of the 7 days with the most waiting at a terminal.

    Args:
        visits: One replication's visits.
        terminal: The terminal.
        after_h: Earliest start (the warm-up).
        end_h: End of the horizon; the week must fit before it.

    Returns:
        The start of the week, or ``after_h`` rounded up to a day if nothing waited.
    """
    first = float(np.ceil(after_h / 24.0) * 24.0)
    last = max(first, float(np.floor((end_h - 7 * 24.0) / 24.0) * 24.0))
    v = visits[(visits["terminal"].astype(str) == terminal) & visits["entered_h"].notna()]
    wait = (v["entered_h"] - v["arrived_h"]).to_numpy(float)
    day = np.floor(v["arrived_h"].to_numpy(float) / 24.0).astype(int)
    if not len(v) or wait.sum() <= 0:
        return first
    per_day = np.bincount(day[day >= 0], weights=wait[day >= 0], minlength=int(end_h / 24) + 8)
    week = np.convolve(per_day, np.ones(7), mode="full")[6:]  # week[k] = days k..k+6
    starts = np.arange(int(first / 24), int(last / 24) + 1)
    starts = starts[starts < len(week)]
    if not len(starts):
        return first
    return float(starts[np.argmax(week[starts])] * 24)


VISIT_COLUMNS = (
    "replication",
    "terminal",
    "ship_class",
    "berth_id",
    "arrived_h",
    "assigned_h",
    "entered_h",
    "handling_start_h",
    "handling_end_h",
    "departed_h",
)


FIGURE_REPLICATIONS = 5  # visits of at most this many replications go into the figures


def _read_visits(path: Path) -> pd.DataFrame:
    """The visit columns the figures use, of the first few replications only.

    The file may hold every call of hundreds of replications; the figures need a
    representative sample, and memory must not grow with the number of replications.
    """
    import pyarrow.parquet as pq

    names = set(pq.read_schema(path).names)
    cols = [c for c in VISIT_COLUMNS if c in names]
    if "replication" in names:
        return pd.read_parquet(
            path, columns=cols, filters=[("replication", "<", FIGURE_REPLICATIONS)]
        )
    return pd.read_parquet(path, columns=cols)


_RUN_FIGURES = re.compile(
    r"^(berth_occupancy|waiting_times|queue_length|yard_levels|shuttle|berth_gantt_.+)\.png$"
)
_COMPARE_FIGURES = re.compile(r"^(option_comparison|berth_occupancy|shuttle)\.png$")
_CAPACITY_FIGURES = re.compile(r"^capacity_.+\.png$")
_STUDY_FIGURES = re.compile(r"^(option_comparison|horizon|capacity_.+)\.png$")


def _prune(out: Path, pattern: re.Pattern[str], written: list[Path]) -> None:
    """Remove figures of an earlier run that this one did not write (e.g. a gone terminal)."""
    keep = {p.name for p in written}
    if out.is_dir():
        for p in out.glob("*.png"):
            if pattern.match(p.name) and p.name not in keep:
                p.unlink(missing_ok=True)


def figures_for_run(folder: str | Path, levels: pd.DataFrame | None = None) -> list[Path]:
    """Write the figures of a ``lygsim run`` folder under ``<folder>/figures/``.

    Figures whose data are absent are skipped (no visits, no levels, no yard, no shuttle).

    Args:
        folder: The results folder (``summary.csv``; ``visits.parquet``,
            ``levels.parquet``, ``scenario.yaml`` and ``manifest.json`` when present).
        levels: Level histories of one replication; default: :func:`load_levels`.

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has no ``summary.csv``.
    """
    folder = Path(folder)
    if not (folder / "summary.csv").is_file():
        raise FileNotFoundError(f"{folder}: no summary.csv (not a lygsim run folder)")
    out = folder / "figures"
    summary = pd.read_csv(folder / "summary.csv")
    info = _run_info(folder)
    written = [
        save(
            berth_occupancy(summary, info.occupancy_threshold or None),
            out / "berth_occupancy.png",
        )
    ]
    if (folder / "visits.parquet").is_file():
        visits = _read_visits(folder / "visits.parquet")
        warmup_h = info.warmup_days * 24.0
        if len(visits):
            order = [t for t in _terminals(summary["terminal"]) if t in set(visits["terminal"])]
            fig = waiting_times(visits, warmup_h, order or None)
            written.append(save(fig, out / "waiting_times.png"))
            rep0 = visits[visits["replication"] == visits["replication"].min()]
            end_h = info.end_h or float(rep0["arrived_h"].max())
            for term in [t for t in order if t in set(rep0["terminal"])]:
                week = busiest_week(rep0, term, warmup_h, end_h)
                fig = berth_gantt(
                    rep0,
                    week,
                    term,
                    replication=None,
                    berths=info.berth_rows.get(term),
                    start_date=info.start_date,
                    title=f"{label(term).capitalize()} terminal: berth occupation in the week "
                    f"of most waiting (replication {int(rep0['replication'].iloc[0])})",
                )
                written.append(save(fig, out / f"berth_gantt_{term}.png"))
    if levels is None:
        levels = load_levels(folder)
    if levels is not None and len(levels):
        common = {"warmup_days": info.warmup_days, "start_date": info.start_date}
        if (levels["series"].astype(str) == "queue").any():
            written.append(
                save(queue_length(levels, end_h=info.end_h, **common), out / "queue_length.png")
            )
        if (levels["series"].astype(str) == "yard").any():
            fig = yard_levels(levels, info.yard_capacity or None, end_h=info.end_h, **common)
            written.append(save(fig, out / "yard_levels.png"))
    if ((summary["terminal"] == "shuttle") & summary["metric"].isin(SHUTTLE_METRICS)).any():
        written.append(save(shuttle(summary), out / "shuttle.png"))
    _prune(out, _RUN_FIGURES, written)
    return written


def figures_for_compare(folder: str | Path) -> list[Path]:
    """Write the figures of a ``lygsim compare`` folder under ``<folder>/figures/``.

    Args:
        folder: The comparison folder (``comparison.csv``, ``summary_<name>.csv``,
            ``manifest.json``).

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has no ``comparison.csv``.
    """
    folder = Path(folder)
    if not (folder / "comparison.csv").is_file():
        raise FileNotFoundError(f"{folder}: no comparison.csv (not a lygsim compare folder)")
    out = folder / "figures"
    comparison = pd.read_csv(folder / "comparison.csv")
    written: list[Path] = []
    if len(comparison):
        written.append(save(option_comparison(comparison), out / "option_comparison.png"))
    man = read_json(folder / "manifest.json")
    names = [man.get("base"), *(man.get("options") or [])]
    files = [folder / f"summary_{n}.csv" for n in names if n]
    files = [f for f in files if f.is_file()] or sorted(folder.glob("summary_*.csv"))
    if files:
        summary = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
        if (summary["metric"] == "berth_occupancy").any():
            base = str(man.get("base") or "")
            if base:
                summary["scenario"] = (
                    summary["scenario"].astype(str).replace(base, f"{base} (base)")
                )
            # the base's thresholds, if the folder keeps its scenario
            info = _run_info(folder, f"scenario_{base}.yaml")
            fig = berth_occupancy(
                summary,
                info.occupancy_threshold or None,
                title="Berth occupancy by terminal: base and options (95% interval)",
            )
            written.append(save(fig, out / "berth_occupancy.png"))
        changed = comparison[(comparison["terminal"] == "shuttle") & (comparison["delta"] != 0)]
        if "significant" in changed.columns:
            changed = changed[changed["significant"].fillna(False).astype(bool)]
        if changed["metric"].isin(SHUTTLE_METRICS).any():  # no option moves it: no figure
            written.append(save(shuttle(summary), out / "shuttle.png"))
    _prune(out, _COMPARE_FIGURES, written)
    return written


def _capacity_figures(folder: Path, curve: pd.DataFrame, out: Path) -> list[Path]:
    """One capacity-curve figure per terminal, practical capacity marked where known."""
    practical: dict[str, dict[str, float]] = defaultdict(dict)
    if (folder / "practical_capacity.csv").is_file():
        p = pd.read_csv(folder / "practical_capacity.csv")
        for r in p.to_dict("records"):
            practical[str(r["terminal"])][str(r.get("scenario", ""))] = float(r["capacity"])
    written = []
    for term in _terminals(curve["terminal"]):
        fig = capacity_curve(curve, term, practical_capacity=practical.get(term) or None)
        written.append(save(fig, out / f"capacity_{term}.png"))
    return written


def figures_for_capacity(folder: str | Path) -> list[Path]:
    """Write the capacity curves of a ``lygsim capacity`` folder under ``figures/``.

    Args:
        folder: The folder (``capacity.csv``; ``practical_capacity.csv`` if present).

    Returns:
        The PNG files written: ``capacity_<terminal>.png``.

    Raises:
        FileNotFoundError: If the folder has no ``capacity.csv``.
    """
    folder = Path(folder)
    if not (folder / "capacity.csv").is_file():
        raise FileNotFoundError(f"{folder}: no capacity.csv (not a lygsim capacity folder)")
    out = folder / "figures"
    written = _capacity_figures(folder, pd.read_csv(folder / "capacity.csv"), out)
    _prune(out, _CAPACITY_FIGURES, written)
    return written


def figures_for_study(folder: str | Path) -> list[Path]:
    """Write the figures of a ``lygsim study`` folder under ``<folder>/figures/``.

    The KPI changes of every option, the capacity curves of the base and of the options
    that change each terminal, the practical capacity gained, and the growth horizon;
    each is skipped when its table is absent or has nothing to show.

    Args:
        folder: The study folder (``comparison.csv``, ``capacity.csv``,
            ``practical_capacity.csv``, ``capacity_gained.csv``, ``horizon.csv``,
            ``study.yaml``).

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has none of those tables.
    """
    folder = Path(folder)
    tables = ("comparison.csv", "capacity.csv", "capacity_gained.csv", "horizon.csv")
    if not any((folder / t).is_file() for t in tables):
        raise FileNotFoundError(f"{folder}: no study tables ({', '.join(tables)})")
    out = folder / "figures"
    written: list[Path] = []
    if (folder / "comparison.csv").is_file():
        comparison = pd.read_csv(folder / "comparison.csv")
        if len(comparison):
            written.append(save(option_comparison(comparison), out / "option_comparison.png"))
    if (folder / "capacity.csv").is_file():
        written += _capacity_figures(folder, pd.read_csv(folder / "capacity.csv"), out)
    if (folder / "capacity_gained.csv").is_file():
        try:
            fig = capacity_gained(pd.read_csv(folder / "capacity_gained.csv"))
        except ValueError:  # no option moves any practical capacity: nothing to draw
            pass
        else:
            written.append(save(fig, out / "capacity_gained.png"))
    if (folder / "horizon.csv").is_file():
        horizon = pd.read_csv(folder / "horizon.csv")
        until = read_yaml(folder / "study.yaml").get("until") or read_json(
            folder / "manifest.json"
        ).get("until")
        if len(horizon):
            fig = growth_horizon(horizon, int(until) if until else None)
            written.append(save(fig, out / "horizon.png"))
    _prune(out, _STUDY_FIGURES, written)
    return written
