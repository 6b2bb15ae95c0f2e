"""Shuttle services figure (the Lianshen Express): utilisation, transfer times, TEU carried."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from lygsim.plots._style import (
    SHUTTLE_METRICS,
    _figure,
    _require,
    _styled,
    error_bars,
    label,
    series_bars,
)
from lygsim.scopes import Scope, of_scope


@_styled
def shuttle(summary: pd.DataFrame, names: Mapping[str, str] | None = None) -> Figure:
    """Shuttle services: utilisation, transfer times and TEU carried, as far as reported.

    Draws, from the ``service`` rows of one or more summaries, whichever of
    ``shuttle_utilisation``, ``transfer_time_mean_h``/``transfer_time_p95_h`` and
    ``teu_carried_out``/``teu_rolled_over`` exist, with their 95% intervals.

    Args:
        summary: Summary rows (``scope, name, metric, mean, ci_low, ci_high`` and
            optionally ``scenario``: one bar per scenario, and per service if several).
        names: Display names of the services by key (the scenario's ``name:``); unset:
            the keys.

    Returns:
        The figure.

    Raises:
        ValueError: If the summary holds no shuttle metric.
    """
    _require(summary, ["scope", "name", "metric", "mean"], "shuttle")
    s = of_scope(summary, Scope.service)
    s = s[s["metric"].isin(SHUTTLE_METRICS)]
    if s.empty:
        raise ValueError(
            "shuttle: the summary has no service metrics (scope 'service': "
            + ", ".join(SHUTTLE_METRICS)
            + ")"
        )
    display = dict(names or {})
    keys = list(dict.fromkeys(s["name"].astype(str)))
    if "scenario" not in s.columns:
        s = s.assign(scenario="")
    if len(keys) > 1:  # several services: one bar each
        service = s["name"].astype(str).map(lambda k: display.get(k, k))
        s = s.assign(scenario=(s["scenario"].astype(str) + " " + service).str.strip())
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
            "Boxes carried out",
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
    for ax, (title, metrics, ticks, ylabel, factor) in zip(axes, panels, strict=True):
        present = [(m, n) for m, n in zip(metrics, ticks, strict=True) if m in have]
        x = np.arange(len(present))
        for i, scen in enumerate(scenarios):
            rows = s[s["scenario"].astype(str) == scen].set_index("metric")
            mean = np.array([rows["mean"].get(m, np.nan) for m, _ in present], float) * factor
            lo = np.array([rows.get("ci_low", rows["mean"]).get(m, np.nan) for m, _ in present])
            hi = np.array([rows.get("ci_high", rows["mean"]).get(m, np.nan) for m, _ in present])
            err = error_bars(mean, lo * factor, hi * factor)
            name = label(scen) if len(scenarios) > 1 else None
            xs = series_bars(ax, x, i, len(scenarios), width, mean, err, name)
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
    what = display.get(keys[0], keys[0]) if len(keys) == 1 else "Shuttle services"
    fig.suptitle(f"{what} (mean of replications, 95% interval)")
    return fig
