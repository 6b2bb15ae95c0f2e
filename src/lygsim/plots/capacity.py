"""Capacity figures: capacity curves, practical capacity gained and growth horizon."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from lygsim.plots._style import (
    THRESHOLD_COLOR,
    _figure,
    _require,
    _scale,
    _styled,
    _terminals,
    label,
    series_style,
)
from lygsim.queueing import allen_cunneen_ws


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
    g = g[moved]
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
        "Practical capacity gained by each option\n(annual throughput at the W/S or "
        "berth-occupancy threshold, whichever binds first)"
    )
    return fig


@_styled
def growth_horizon(horizon: pd.DataFrame, until: int | None = None) -> Figure:
    """The year each terminal passes its threshold (W/S or occupancy), per scenario.

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
    h = horizon
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
    ax.set_xlabel(
        "Calendar year in which W/S or occupancy first passes the terminal's threshold (year)"
    )
    ax.set_ylabel("Terminal")
    ax.grid(axis="y", visible=False)
    handles.append(Line2D([], [], color="black", linewidth=1.3, label="95% interval"))
    handles.append(
        Line2D([], [], color="black", marker=">", linestyle="none", label=f"not by {last}")
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)))
    ax.set_title(
        "Growth horizon: when each terminal reaches its W/S or occupancy threshold"
        + ("\n(options that leave a terminal's year unchanged are not repeated)" if n > 1 else "")
    )
    return fig
