"""Option comparison figure: paired KPI changes of each option against the base."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lygsim.plots._style import (
    _figure,
    _require,
    _styled,
    _terminals,
    error_bars,
    label,
    series_offset,
    series_style,
)
from lygsim.scopes import terminal_rows

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
        comparison: ``comparison.csv`` rows (``scope, name, metric, option, delta,
            delta_ci_low, delta_ci_high, significant``).
        options: Options to draw, in this order (default: all).
        skip_unchanged: Leave out terminals no option changed in any replication.

    Returns:
        The figure.

    Raises:
        ValueError: If there is nothing to draw.
    """
    cols = ["scope", "name", "metric", "option", "delta", "delta_ci_low", "delta_ci_high"]
    _require(comparison, cols, "option comparison")
    c = terminal_rows(comparison)
    c = c[c["metric"].isin([m for m, *_ in COMPARISON_PANELS])]
    opts = list(options) if options is not None else list(dict.fromkeys(c["option"].astype(str)))
    c = c[c["option"].astype(str).isin(opts)]
    terminals = _terminals(c["name"])
    if skip_unchanged:
        changed = c.groupby("name", sort=False)["delta"].apply(
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
            rows = rows.set_index(rows["name"].astype(str)).reindex(terminals)
            delta = rows["delta"].to_numpy(float) * factor
            lo = rows["delta_ci_low"].to_numpy(float) * factor
            hi = rows["delta_ci_high"].to_numpy(float) * factor
            sig = (
                rows["significant"].fillna(False).astype(bool).to_numpy()
                if "significant" in rows.columns
                else (lo > 0) | (hi < 0)
            )
            err = error_bars(delta, lo, hi)
            st = series_style(i)
            ys = series_offset(y, i, len(opts), height)
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
    handles: list[Artist] = [
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
