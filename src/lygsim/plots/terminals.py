"""Terminal figures from the summary and visits: berth occupancy and waiting times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from lygsim.plots._style import (
    THRESHOLD_COLOR,
    _figure,
    _require,
    _styled,
    _terminals,
    error_bars,
    label,
    series_bars,
    series_style,
)
from lygsim.scopes import terminal_rows

# --- berth occupancy ---------------------------------------------------------------------


@_styled
def berth_occupancy(
    summary: pd.DataFrame,
    thresholds: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Berth occupancy by terminal: bars with 95% intervals, thresholds as markers.

    Args:
        summary: ``summary.csv`` rows (``scenario, scope, name, metric, mean, ci_low,
            ci_high``); with several scenarios, one bar per scenario in each terminal.
        thresholds: Maximum occupancy per terminal (fraction), drawn as a marker.
        title: The figure title (default: a descriptive one).

    Returns:
        The figure.

    Raises:
        ValueError: If the summary holds no berth occupancy.
    """
    _require(summary, ["scope", "name", "metric", "mean", "ci_low", "ci_high"], "berth occupancy")
    occ = terminal_rows(summary)
    occ = occ[occ["metric"] == "berth_occupancy"]
    if occ.empty:
        raise ValueError("berth occupancy: the summary has no berth_occupancy rows")
    if "scenario" not in occ.columns:
        occ = occ.assign(scenario="")
    scenarios = list(dict.fromkeys(occ["scenario"].astype(str)))
    terminals = _terminals(occ["name"])
    width = 0.8 / len(scenarios)
    fig = _figure(min(12.0, max(8.0, 0.9 * len(terminals) * len(scenarios) ** 0.6 + 2)), 5.2)
    ax = fig.add_subplot()
    x = np.arange(len(terminals))
    for i, scen in enumerate(scenarios):
        rows = occ[occ["scenario"].astype(str) == scen]
        rows = rows.set_index(rows["name"].astype(str)).reindex(terminals)
        mean = rows["mean"].to_numpy(float) * 100
        low, high = rows["ci_low"].to_numpy(float) * 100, rows["ci_high"].to_numpy(float) * 100
        xs = series_bars(
            ax,
            x,
            i,
            len(scenarios),
            width,
            mean,
            error_bars(mean, low, high),
            label(scen) if len(scenarios) > 1 else "mean occupancy (95% interval)",
            error_kw={"elinewidth": 1.0, "ecolor": "black"},
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
                    # one legend entry for all the threshold marks
                    label="threshold (maximum occupancy)" if first else "_nolegend_",
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
    (168, "1 week"),
    (336, "2 weeks"),
    (720, "30 days"),
    (2160, "90 days"),
    (8760, "1 year"),
]


@_styled
def waiting_times(
    visits: pd.DataFrame,
    warmup_h: float = 0.0,
    terminals: Sequence[str] | None = None,
    replications: int | None = None,
) -> Figure:
    """Waiting-time distribution by terminal: the share of ships waiting longer than x.

    The wait runs from arrival to entering the channel (berth, tide and weather waits),
    over ships that arrived after the warm-up, pooled over the replications in
    ``visits``. With a ``wait_h`` column (the visits table's), a ship still waiting at the
    end counts with its wait so far, as in the KPI ``mean_wait_h``; without one, only the
    ships that entered count. The x axis is logarithmic.

    Args:
        visits: Visits (``terminal, arrived_h, entered_h``; ``wait_h``, ``replication``).
        warmup_h: Ships arriving before this time are left out.
        terminals: Terminals to draw, in this order (default: all, in order of appearance).
        replications: The replications of the whole run, when ``visits`` holds only some
            of them: the title says how many were drawn and that the KPI table's means are
            over all of them.

    Returns:
        The figure.

    Raises:
        ValueError: If there are no visits with a wait.
    """
    _require(visits, ["terminal", "arrived_h", "entered_h"], "waiting times")
    v = visits[visits["arrived_h"] >= warmup_h]
    if "wait_h" in v.columns:
        v = v[v["wait_h"].notna()]
        wait = v["wait_h"]
    else:
        v = v[v["entered_h"].notna()]
        wait = v["entered_h"] - v["arrived_h"]
    names = list(terminals) if terminals is not None else _terminals(v["terminal"])
    if v.empty or not names:
        raise ValueError("waiting times: no ship arrived after the warm-up and entered")
    fig = _figure(9.5, 5.2)
    ax = fig.add_subplot()
    lo, hi = _WAIT_TICKS[0][0], _WAIT_TICKS[0][0] * 10
    for i, term in enumerate(names):
        w = np.sort(wait[v["terminal"] == term].to_numpy(float))
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
    drawn = int(v["replication"].nunique()) if "replication" in v.columns else 1
    if replications is not None and replications > drawn:
        note = (
            f"The first {drawn} of {replications} replications pooled; the KPI table's means "
            f"are over all {replications}, so they may differ slightly."
        )
    elif drawn > 1:
        note = (
            f"{drawn} replications pooled; the KPI table averages the replications' means, so "
            "its means may differ slightly."
        )
    else:
        note = "One replication."
    fig.suptitle("Waiting-time distribution by terminal (ships arriving after the warm-up)")
    ax.set_title(note, fontsize=9)
    ax.legend(loc="upper right", title="terminal")
    return fig
