"""Level histories over time, one panel per terminal: queue length and yard stock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from lygsim.plots._style import (
    THRESHOLD_COLOR,
    _days_axis,
    _figure,
    _month_axis,
    _require,
    _shade_warmup,
    _styled,
    _terminals,
    label,
)


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
