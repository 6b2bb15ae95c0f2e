"""Berth Gantt chart of one week, with the ships waiting to enter above it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from lygsim.plots._style import _figure, _require, _styled, label, series_style


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
