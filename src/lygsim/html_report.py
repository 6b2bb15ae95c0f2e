"""One self-contained HTML report of a results folder.

The report holds the scenario summary, the KPI tables with their intervals, the paired
comparison if there is one, every figure of ``figures/`` embedded as a PNG data URI, and
the manifest. It needs no network, no JavaScript and no other file: it can be mailed or
opened offline. Every text that comes from a scenario, a CSV or the manifest is escaped.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lygsim import __version__
from lygsim.errors import ResultsError
from lygsim.report import COMPARE_METRICS, TERMINAL_KPIS, finite_number, write_text
from lygsim.results import Kind, ResultsFolder
from lygsim.scopes import Scope, of_scope, terminal_rows

REPORT_FILE = "report.html"

CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a;
  margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem 3rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 2px solid #333; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p.lead { color: #444; margin-top: 0.2rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.88rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.3rem 0.55rem; vertical-align: top; }
th { background: #eeeeee; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td .ci { display: block; color: #555; font-size: 0.78rem; }
td.over { font-weight: bold; background: #fbe3e3; }
td.sig { font-weight: bold; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
figure { margin: 1.2rem 0 2rem; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.88rem; color: #333; margin-top: 0.3rem; }
nav ul { columns: 2; font-size: 0.9rem; }
.note { font-size: 0.85rem; color: #444; }
code { font-size: 0.85rem; background: #f4f4f4; padding: 0 0.2rem; word-break: break-all; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; font-weight: bold; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #666; }
div.warning { border: 2px solid #b00020; background: #fdecea; color: #5f0010;
  padding: 0.6rem 0.9rem; margin: 0.8rem 0 1rem; font-weight: bold; }
div.warning p { margin: 0.2rem 0; }
"""

# (metric, column title, kind): kind sets the number format
KPI_COLUMNS = [(metric, title, kind) for metric, _, title, kind in TERMINAL_KPIS]
WAIT_CAUSES = [
    ("mean_wait_h", "mean wait"),
    ("mean_wait_berth_h", "berth"),
    ("mean_wait_tide_h", "tide"),
    ("mean_wait_weather_h", "weather"),
]
BERTH_DELAYS = [
    ("mean_service_h", "mean service"),
    ("mean_delay_yard_h", "yard space"),
    ("mean_delay_outage_h", "berth outage"),
    ("mean_delay_outbound_tide_h", "tide, outbound"),
    ("mean_delay_outbound_weather_h", "weather, outbound"),
]
SYSTEMS = (Scope.service, Scope.link)
"""Scopes of the vessel services and links, each shown in a table of its own."""

FIGURE_CAPTIONS: list[tuple[str, str]] = [
    (
        "option_comparison",
        "Change of each main KPI with each option (option minus base), mean of the paired "
        "replications with its 95% paired interval; solid and starred bars are significant.",
    ),
    (
        "berth_occupancy",
        "Berth occupancy per terminal: share of berth-hours held by ships, mean of the "
        "replications with its 95% confidence interval. The dashed line is the terminal's "
        "maximum occupancy from the scenario.",
    ),
    (
        "waiting_times",
        "Share of ships waiting longer than a given time before entering the channel (berth, "
        "tide and weather waits), ships arriving after the warm-up; a ship still waiting at "
        "the end counts with its wait so far. To keep memory flat the figure pools the ships "
        "of the first few replications only (its title says how many); the KPI tables' "
        "means are over all replications, so the figure's means may differ slightly.",
    ),
    (
        "queue_length",
        "Ships waiting to enter, per terminal, over the whole horizon of one replication: "
        "every change (grey) and the daily time-weighted mean (black). The hatched band is "
        "the warm-up, left out of every KPI.",
    ),
    (
        "berth_gantt",
        "Berth occupation in the week with the most waiting at this terminal (one "
        "replication): one bar per call from berth assignment to departure, solid while "
        "cargo is handled; above, the ships waiting to enter.",
    ),
    (
        "yard_levels",
        "Yard stock per terminal over the horizon of one replication, as a share of the "
        "yard's capacity.",
    ),
    (
        "shuttle",
        "Shuttle services: slot utilisation, transfer time of a box and boxes carried, with "
        "95% intervals.",
    ),
    (
        "capacity_gained",
        "Practical capacity gained by each option: the change of the annual throughput at "
        "which W/S or berth occupancy first reaches the terminal's threshold.",
    ),
    (
        "horizon",
        "Growth horizon: the first year in which each terminal's demand passes its practical "
        "capacity (W/S or berth occupancy at its threshold, whichever comes first), with the "
        "years from the capacity's 95% interval.",
    ),
    (
        "capacity",
        "Capacity curve: waiting time over service time (W/S) as demand grows, against berth "
        "occupancy (with the M/M/c and M/E2/c queueing curves for the same berth count) and "
        "against annual throughput, with the terminal's W/S threshold.",
    ),
]


def esc(value: Any) -> str:
    """HTML-escape any value's text (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def _unsigned_zero(text: str) -> str:
    """``-0.0`` and ``+0.00 pp`` read as ``0.0`` and ``0.00 pp``."""
    digits = re.sub(r"[^0-9]", "", text)
    if text[:1] in "+-" and digits and int(digits) == 0:
        return text[1:]
    return text


def _num(value: Any, kind: str) -> str:
    return _unsigned_zero(_num_text(value, kind))


# number formats by kind (hours and other kinds: the default), for values and for changes
_VALUE_FORMATS = {"count": "{:,.0f}", "pct": "{:.1%}", "ratio": "{:.3f}"}
_DELTA_FORMATS = {"count": "{:+,.0f}", "ratio": "{:+.3f}"}


def _num_text(value: Any, kind: str) -> str:
    v = finite_number(value)
    return "-" if v is None else _VALUE_FORMATS.get(kind, "{:,.1f}").format(v)


def _cell(mean: Any, lo: Any, hi: Any, kind: str, css: str = "num") -> str:
    ci = ""
    if _num(lo, kind) != "-" and _num(hi, kind) != "-":
        ci = f'<span class="ci">[{esc(_num(lo, kind))}, {esc(_num(hi, kind))}]</span>'
    return f'<td class="{css}">{esc(_num(mean, kind))}{ci}</td>'


def _table(headers: Sequence[str], rows: Iterable[str], caption: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# --- sections ----------------------------------------------------------------------------


def _scenario_section(rf: ResultsFolder) -> str:
    meta = rf.scenario_facts
    horizon = rf.horizon_days
    warmup = meta.get("warmup_days")
    facts = [
        ("Scenario", meta.get("name", "")),
        ("Description", meta.get("description", "")),
        ("Start date", meta.get("start_date", "")),
        ("Horizon", f"{float(horizon):g} days" if horizon else ""),
        ("Warm-up (simulated, not counted)", f"{float(warmup):g} days" if warmup else "0 days"),
    ]
    if horizon and warmup is not None:
        facts.append(("Observation window", f"{float(horizon) - float(warmup):g} days"))
    out = ['<h2 id="scenario">Scenario</h2><dl class="facts">']
    out += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts if v != ""]
    out.append("</dl>")
    rows = []
    for term in rf.terminals():
        detail = ", ".join(f"{g} {n} (max {dwt:,.0f} t)" for g, n, dwt in term["groups"])
        rows.append(
            "<tr>"
            f"<td>{esc(term['name'])}</td><td>{esc(term['cargo'])}</td>"
            f'<td class="num">{esc(term["berths"])}</td><td>{esc(detail)}</td>'
            f'<td class="num">{esc(_num(term["yard_capacity"], "count"))}</td>'
            f'<td class="num">{esc(_num(term["max_wait_service_ratio"], "ratio"))}</td>'
            f'<td class="num">{esc(_num(term["max_occupancy"], "pct"))}</td>'
            f"<td>{esc(term['description'])}</td>"
            "</tr>"
        )
    if rows:
        out.append("<h3>Terminals</h3>")
        out.append(
            _table(
                [
                    "terminal",
                    "cargo",
                    "berths",
                    "berth groups (max size)",
                    "yard capacity",
                    "max W/S",
                    "max occupancy",
                    "description",
                ],
                rows,
            )
        )
    sources = meta.get("sources") or []
    if sources:
        items = "".join(f"<li>{esc(s)}</li>" for s in sources)
        out.append(f"<details><summary>Sources</summary><ul>{items}</ul></details>")
    return "".join(out)


def _kpi_section(summary: pd.DataFrame, rf: ResultsFolder, heading: str) -> str:
    thresholds = rf.thresholds()
    s = summary.copy()
    s["name"] = s["name"].astype(str)
    terms = terminal_rows(s)
    by = {
        (t, m): r
        for t, m, r in zip(terms["name"], terms["metric"], terms.to_dict("records"), strict=True)
    }
    occupancy = set(terms.loc[terms["metric"] == "berth_occupancy", "name"])
    terminals = [t for t in dict.fromkeys(terms["name"]) if t in occupancy]
    metrics = [c for c in KPI_COLUMNS if (s["metric"] == c[0]).any()]
    over_any = False
    rows = []
    for t in terminals:
        unit = by.get((t, "throughput"), {}).get("unit", "")
        cells = [f"<td>{esc(t)}</td><td>{esc(unit)}</td>"]
        for metric, _, kind in metrics:
            r = by.get((t, metric))
            if r is None:
                cells.append('<td class="num">-</td>')
                continue
            limit = thresholds.get(t, {}).get(metric, math.inf)
            over = _finite(r["mean"]) and float(r["mean"]) > limit
            over_any |= over
            cells.append(
                _cell(r["mean"], r["ci_low"], r["ci_high"], kind, "num over" if over else "num")
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    out = [heading, _overload_box(s)]
    n = int(s["n"].max()) if "n" in s.columns and len(s) else 0
    out.append(
        f'<p class="note">Mean of {esc(n)} replication(s); in brackets the Student-t 95% '
        "confidence interval over replications."
        + (
            " Shaded bold cells are above the terminal's threshold (maximum W/S or occupancy)."
            if over_any
            else ""
        )
        + "</p>"
    )
    out.append(_table(["terminal", "unit", *[title for _, title, _ in metrics]], rows))
    out += _split_table(
        s,
        by,
        terminals,
        WAIT_CAUSES,
        "Mean wait by cause (hours per ship)",
        "The wait runs from arrival to entering the channel towards the berth; a ship still "
        "waiting at the end counts with its wait so far, given to what it waits for. The "
        "berth, tide and weather waits add up to the mean wait, replication by replication.",
    )
    out += _split_table(
        s,
        by,
        terminals,
        BERTH_DELAYS,
        "Delays at the berth (hours per ship)",
        "Once entered, a ship may wait for yard space, stop while its berth is out of "
        "service, and wait at the berth for the tide or the weather to leave. These delays "
        "are part of the mean service time (entering to leaving, over the ships that left), "
        "not of the wait.",
    )
    port = of_scope(s, Scope.port)
    if len(port):
        out.append("<h3>Port-wide</h3>")
        out.append(
            _table(["metric", "unit", "mean [95% interval]"], _long_rows(port.to_dict("records")))
        )
    for scope in SYSTEMS:
        for name, rows_ in of_scope(s, scope).groupby("name", sort=False):
            title = rf.display_name(scope, str(name))
            out.append(f"<h3>{esc(title)}</h3>")
            out.append(
                _table(
                    ["metric", "unit", "mean [95% interval]"], _long_rows(rows_.to_dict("records"))
                )
            )
    return "".join(out)


def _split_table(
    s: pd.DataFrame,
    by: Mapping[tuple[str, str], Mapping[str, Any]],
    terminals: Sequence[str],
    columns: Sequence[tuple[str, str]],
    title: str,
    note: str,
) -> list[str]:
    """A table of a KPI and its parts per terminal, with its note under it."""
    present = [c for c in columns if (s["metric"] == c[0]).any()]
    if len(present) < 2:  # the total alone, or nothing: no split to show
        return []
    rows = []
    for t in terminals:
        cells = [f"<td>{esc(t)}</td>"]
        for metric, _ in present:
            r = by.get((t, metric))
            cells.append(_cell(r["mean"], r["ci_low"], r["ci_high"], "h") if r else "<td>-</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return [
        f"<h3>{esc(title)}</h3>",
        _table(["terminal", *[c for _, c in present]], rows),
        f'<p class="note">{esc(note)}</p>',
    ]


def _overload_box(s: pd.DataFrame) -> str:
    """A warning box naming the terminals overloaded in any replication ('' if none)."""
    terms = terminal_rows(s)
    rows = terms[terms["metric"] == "overloaded"]
    lines = []
    for r in rows.to_dict("records"):
        share = float(r["mean"]) if _finite(r["mean"]) else 0.0
        if share <= 0:
            continue
        n = int(r["n"]) if "n" in r and _finite(r["n"]) else 1
        k = max(1, round(share * n))
        lines.append(
            f"<p>Terminal {esc(r['name'])} is overloaded in {k} of {n} replication"
            f"{'s' if n != 1 else ''}: demand exceeds capacity, waits grow without bound.</p>"
        )
    if not lines:
        return ""
    return (
        '<div class="warning" role="alert">'
        + "".join(lines)
        + '<p class="note">Its berths were busy at least 95% of the time and the calls asked '
        "for as much berth time: the queue has no steady state, so its mean wait depends on "
        "the length of the run rather than measuring a service level.</p></div>"
    )


def _kind(metric: str, unit: str) -> str:
    """Number format of a metric given in long form."""
    if unit == "fraction":
        return "pct"
    if unit in ("h", "ratio") or metric.endswith("_h"):
        return "h" if unit != "ratio" else "ratio"
    return "count"


def _long_rows(records: Iterable[Mapping[str, Any]]) -> list[str]:
    return [
        f"<tr><td>{esc(r['metric'])}</td><td>{esc(r['unit'])}</td>"
        + _cell(r["mean"], r["ci_low"], r["ci_high"], _kind(str(r["metric"]), str(r["unit"])))
        + "</tr>"
        for r in records
    ]


def _finite(v: Any) -> bool:
    return finite_number(v) is not None


def _comparison_row(term: str, name: str, r: Mapping[str, Any], kind: str) -> str:
    delta_kind = "pp" if kind == "pct" else kind
    sig = bool(r.get("significant"))
    rel = r.get("rel_change")
    rel_text = f"{float(rel):+.1%}" if rel is not None and _finite(rel) else "-"
    unit = "%" if kind == "pct" else r.get("unit", "")
    return (
        f'<tr class="{"sig" if sig else ""}">'
        f"<td>{esc(term)}</td><td>{esc(name)}</td><td>{esc(unit)}</td>"
        f'<td class="num">{esc(_num(r["base_mean"], kind))}</td>'
        f'<td class="num">{esc(_num(r["option_mean"], kind))}</td>'
        f'<td class="num{" sig" if sig else ""}">{esc(_delta(r["delta"], delta_kind))}'
        f'<span class="ci">[{esc(_delta(r["delta_ci_low"], delta_kind))}, '
        f"{esc(_delta(r['delta_ci_high'], delta_kind))}]</span></td>"
        f'<td class="num">{esc(rel_text)}</td>'
        f'<td class="num">{"*" if sig else ""}</td></tr>'
    )


def _comparison_section(table: pd.DataFrame) -> str:
    labels = dict(COMPARE_METRICS)
    kinds = {
        "throughput": "count",
        "berth_occupancy": "pct",
        "mean_wait_h": "h",
        "wait_service_ratio": "ratio",
    }
    headers = ["name", "KPI", "unit", "base", "option", "change [95% interval]", "%", "sig."]
    out = [
        '<h2 id="comparison">Options against the base</h2>',
        '<p class="note">Paired differences (option minus base), replication by replication '
        "with the same random numbers; in brackets the 95% paired interval. Bold changes "
        "marked * are significant (the interval excludes zero); occupancy changes are in "
        "percentage points (pp). Shuttle and corridor figures are listed where the change "
        "is significant.</p>",
    ]
    table = table.assign(name=table["name"].astype(str), scope=table["scope"].astype(str))
    for option, grp in table.groupby("option", sort=False):
        main = terminal_rows(grp)
        main = main[main["metric"].isin(labels)]
        rows, unchanged = [], []
        for term, trows in main.groupby("name", sort=False):
            if (trows["delta"].fillna(0) == 0).all():
                unchanged.append(str(term))
                continue
            for r in trows.to_dict("records"):
                metric = str(r["metric"])
                rows.append(_comparison_row(str(term), labels[metric], r, kinds[metric]))
        systems = grp[grp["scope"].isin([s.value for s in SYSTEMS])]
        sig = (
            systems["significant"].fillna(False).astype(bool) if "significant" in systems else False
        )
        for r in systems[(systems["delta"].fillna(0) != 0) & sig].to_dict("records"):
            kind = _kind(str(r["metric"]), str(r.get("unit", "")))
            rows.append(_comparison_row(str(r["name"]), str(r["metric"]), r, kind))
        out.append(f"<h3>{esc(option)}</h3>")
        if rows:
            out.append(_table(headers, rows))
        if unchanged:
            out.append(
                f'<p class="note">Unchanged in every replication: {esc(", ".join(unchanged))}.</p>'
            )
    return "".join(out)


def _delta(value: Any, kind: str) -> str:
    return _unsigned_zero(_delta_text(value, kind))


def _delta_text(value: Any, kind: str) -> str:
    v = finite_number(value)
    if v is None:
        return "-"
    if kind == "pp":  # a change of a share, in percentage points
        return f"{v * 100:+.2f} pp"
    return _DELTA_FORMATS.get(kind, "{:+.2f}").format(v)


def _capacity_value(value: Any, unit: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "-"
    if v == math.inf:
        return "beyond range"
    if v == -math.inf:
        return "below range"
    return _num(v, "count") if unit else _num(v, "h")


def _signed_pct(value: Any) -> str:
    return _unsigned_zero(f"{float(value):+.2%}") if _finite(value) else "-"


def _differs_from_base(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rows of the first scenario, and of the others where they differ from it."""
    if "scenario" not in table.columns:
        return table
    scen = table["scenario"].astype(str)
    base = table[scen == scen.iloc[0]].set_index("terminal")
    keep = []
    for i, r in enumerate(table.to_dict("records")):
        b = base.loc[r["terminal"]] if r["terminal"] in base.index else None
        same = (
            b is not None
            and scen.iloc[i] != scen.iloc[0]
            and all((pd.isna(r[c]) and pd.isna(b[c])) or r[c] == b[c] for c in columns if c in r)
        )
        keep.append(not same)
    return table[keep]


# practical_capacity.csv and horizon.csv name the threshold that binds first
_BINDING = {"wait_service_ratio": "W/S", "occupancy": "berth occupancy", "none": "-"}


def _capacity_section(rf: ResultsFolder) -> str:
    out: list[str] = []
    until = rf.until
    practical = rf.practical()
    if practical is not None:
        p = _differs_from_base(practical, ["capacity", "capacity_ci_low"])
        multi = "scenario" in p.columns and p["scenario"].nunique() > 1
        rows = []
        for r in p.to_dict("records"):
            unit = str(r.get("unit", ""))
            cap = _capacity_value(r["capacity"], unit)
            ci = (
                f'<span class="ci">[{esc(_capacity_value(r["capacity_ci_low"], unit))}, '
                f"{esc(_capacity_value(r['capacity_ci_high'], unit))}]</span>"
            )
            rows.append(
                "<tr>"
                + (f"<td>{esc(r['scenario'])}</td>" if multi else "")
                + f"<td>{esc(r['terminal'])}</td><td>{esc(unit)}</td>"
                f'<td class="num">{esc(_num(r.get("threshold"), "ratio"))}</td>'
                f'<td class="num">{esc(_num(r.get("max_occupancy"), "ratio"))}</td>'
                f'<td class="num">{esc(r.get("berths", ""))}</td>'
                f'<td class="num">{esc(_num(r.get("throughput_now"), "count"))}</td>'
                f'<td class="num">{esc(cap)}{ci}</td>'
                f'<td class="num">{esc(_num(r.get("demand_factor_at_capacity"), "ratio"))}</td>'
                f'<td class="num">{esc(_num(r.get("headroom"), "pct"))}</td>'
                f"<td>{esc(_BINDING.get(str(r.get('binding', '')), '-'))}</td></tr>"
            )
        out.append('<h2 id="capacity">Practical capacity</h2>')
        out.append(
            '<p class="note">The annual throughput at which W/S or berth occupancy first '
            "reaches the terminal's threshold (the binding one is named), interpolated between "
            "demand levels; in brackets where the 95% bounds cross it. Headroom: capacity over "
            "today's throughput, minus one."
            + (" Options are listed where they differ from the base." if multi else "")
            + "</p>"
        )
        headers = [
            "terminal",
            "unit",
            "max W/S",
            "max occupancy",
            "berths",
            "throughput now (per year)",
            "practical capacity (per year)",
            "demand factor at capacity",
            "headroom",
            "binding threshold",
        ]
        out.append(_table(["scenario", *headers] if multi else headers, rows))
    g = rf.table("capacity_gained")
    if g is not None:
        g = g[g["gained"].fillna(0) != 0]
        rows = [
            f"<tr><td>{esc(r['option'])}</td><td>{esc(r['terminal'])}</td>"
            f"<td>{esc(r['unit'])}</td>"
            f'<td class="num">{esc(_capacity_value(r["base_capacity"], "x"))}</td>'
            f'<td class="num">{esc(_capacity_value(r["option_capacity"], "x"))}</td>'
            f'<td class="num">{esc(_delta(r["gained"], "count"))}</td>'
            f'<td class="num">{esc(_signed_pct(r["gained_share"]))}</td></tr>'
            for r in g.to_dict("records")
        ]
        out.append('<h3 id="gained">Practical capacity gained by each option</h3>')
        if rows:
            headers = ["option", "terminal", "unit", "base", "option", "gained", "%"]
            out.append(_table(headers, rows))
        else:
            out.append('<p class="note">No option changes any practical capacity.</p>')
    horizon = rf.table("horizon")
    if horizon is not None:
        h = _differs_from_base(horizon, ["year", "year_ci_low", "year_ci_high"])
        last = f"not by {until}" if until else "not in the period"
        rows = []
        for r in h.to_dict("records"):
            year = "-" if not _finite(r["year"]) else f"{int(r['year'])}"
            year = last if year == "-" else year
            lo = "?" if not _finite(r.get("year_ci_low")) else f"{int(r['year_ci_low'])}"
            hi = (
                f"after {until}"
                if not _finite(r.get("year_ci_high"))
                else f"{int(r['year_ci_high'])}"
            )
            rows.append(
                f"<tr><td>{esc(r.get('scenario', ''))}</td><td>{esc(r['terminal'])}</td>"
                f'<td class="num">{esc(_num(r.get("threshold"), "ratio"))}</td>'
                f'<td class="num">{esc(_num(r.get("max_occupancy"), "ratio"))}</td>'
                f'<td class="num">{esc(year)}<span class="ci">[{esc(lo)}, {esc(hi)}]</span></td>'
                f"<td>{esc(_BINDING.get(str(r.get('binding', '')), '-'))}</td>"
                "</tr>"
            )
        out.append('<h2 id="horizon">Growth horizon</h2>')
        out.append(
            '<p class="note">The first calendar year in which demand, growing at the '
            "scenario's rates, passes the practical capacity; in brackets the years from the "
            "capacity's interval. Options are listed where they move the year.</p>"
        )
        headers = ["scenario", "terminal", "max W/S", "max occupancy", "year", "binding threshold"]
        out.append(_table(headers, rows))
    return "".join(out)


def _study_section(study: Mapping[str, Any]) -> str:
    keys = [
        ("name", "Study"),
        ("description", "Description"),
        ("base", "Base"),
        ("options", "Options"),
        ("reps", "Replications per scenario"),
        ("seed", "Seed"),
        ("days", "Days simulated"),
        ("demand", "Demand factors (capacity curves)"),
        ("capacity_reps", "Replications per demand level"),
        ("until", "Growth horizon until"),
    ]
    items = []
    for key, title in keys:
        value = study.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        items.append(f"<dt>{esc(title)}</dt><dd>{esc(value)}</dd>")
    return f'<h2 id="study">Study</h2><dl class="facts">{"".join(items)}</dl>'


def _figure_order(path: Path) -> tuple[int, str]:
    for i, (prefix, _) in enumerate(FIGURE_CAPTIONS):
        if path.stem.startswith(prefix):
            return i, path.stem
    return len(FIGURE_CAPTIONS), path.stem


def _caption(path: Path) -> str:
    for prefix, text in FIGURE_CAPTIONS:
        if path.stem.startswith(prefix):
            rest = path.stem[len(prefix) :].strip("_")
            return f"{rest.replace('_', ' ')}: {text}" if rest else text
    return path.stem.replace("_", " ")


def _figures_section(folder: Path) -> str:
    files = sorted((folder / "figures").glob("*.png"), key=_figure_order)
    if not files:
        return ""
    out = ['<h2 id="figures">Figures</h2>']
    for f in files:
        data = base64.b64encode(f.read_bytes()).decode("ascii")
        out.append(
            f'<figure id="fig-{esc(f.stem)}"><img src="data:image/png;base64,{data}" '
            f'alt="{esc(f.stem.replace("_", " "))}">'
            f"<figcaption>{esc(_caption(f))}</figcaption></figure>"
        )
    return "".join(out)


def _manifest_section(man: Mapping[str, Any]) -> str:
    if not man:
        return ""
    keys = [
        ("lygsim_version", "lygsim version"),
        ("command", "command"),
        ("scenario", "scenario"),
        ("base", "base"),
        ("options", "options"),
        ("scenario_file", "scenario file"),
        ("scenario_hash", "scenario hash"),
        ("scenario_hashes", "scenario hashes"),
        ("overrides", "overrides (--set)"),
        ("seed", "seed"),
        ("replications", "replications"),
        ("days", "days (--days)"),
        ("executor", "executor"),
        ("computed", "replications computed"),
        ("reused", "replications reused"),
        ("started", "started (UTC)"),
        ("run_time_s", "run time (s)"),
        ("platform", "platform"),
    ]
    known = {k for k, _ in keys} | {"versions"}
    rows = []
    for key, title in [*keys, *[(k, k) for k in man if k not in known]]:
        if key not in man or man[key] in (None, "", [], {}):
            continue
        value = man[key]
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        cell = f"<code>{esc(value)}</code>" if key == "command" else esc(value)
        rows.append(f"<tr><th>{esc(title)}</th><td>{cell}</td></tr>")
    out = ['<h2 id="manifest">Manifest</h2>', f"<table><tbody>{''.join(rows)}</tbody></table>"]
    versions = man.get("versions") or {}
    if isinstance(versions, dict) and versions:
        out.append("<h3>Package versions</h3>")
        out.append(
            _table(
                ["package", "version"],
                [f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in versions.items()],
            )
        )
    return "".join(out)


# --- the report --------------------------------------------------------------------------


def _title(rf: ResultsFolder) -> str:
    man = rf.manifest
    options = ", ".join(str(o) for o in man.get("options") or [])
    if rf.kind is Kind.study:
        return f"lygsim study: {rf.study.get('name') or man.get('study') or rf.path.name}"
    if rf.kind is Kind.compare:
        base = man.get("base") or rf.name
        return f"lygsim comparison: {base}" + (f" against {options}" if options else "")
    if rf.kind is Kind.horizon:
        scenarios = man.get("scenarios") or []
        return f"lygsim growth horizon: {scenarios[0] if scenarios else rf.name}"
    if rf.kind is Kind.capacity:
        return f"lygsim capacity: {rf.name}"
    return f"lygsim results: {rf.name}"


def _lead(man: Mapping[str, Any]) -> list[str]:
    lead = []
    if man.get("replications"):
        lead.append(f"{man['replications']} replication(s)")
    if man.get("capacity_replications"):
        lead.append(f"{man['capacity_replications']} per demand level")
    if man.get("seed") is not None:
        lead.append(f"seed {man['seed']}")
    if man.get("started"):
        lead.append(f"run started {man['started']}")
    return lead


def _comparison_sections(rf: ResultsFolder, comparison: pd.DataFrame) -> list[tuple[str, str, str]]:
    out = [("comparison", "Options against the base", _comparison_section(comparison))]
    summaries = rf.summaries()
    if summaries:
        base = rf.manifest.get("base")
        parts = ['<h2 id="summaries">Key figures per scenario</h2>']
        for i, (scen_name, table) in enumerate(summaries):
            inner = _kpi_section(table, rf, "")
            role = " (base)" if scen_name == base else ""
            parts.append(
                f"<details{' open' if i == 0 else ''}><summary>{esc(scen_name)}{esc(role)}"
                f"</summary>{inner}</details>"
            )
        out.append(("summaries", "Key figures per scenario", "".join(parts)))
    return out


def render_report(folder: ResultsFolder | str | Path) -> str:
    """The HTML text of a results folder's report (see :func:`write_report`).

    Args:
        folder: A ``lygsim run``, ``compare``, ``capacity``, ``horizon`` or ``study``
            results folder.

    Returns:
        The HTML document.
    """
    rf = folder if isinstance(folder, ResultsFolder) else ResultsFolder(folder)
    title = _title(rf)
    body = [f"<header><h1>{esc(title)}</h1>"]
    lead = _lead(rf.manifest)
    if lead:
        body.append(f'<p class="lead">{esc(", ".join(lead))}</p>')
    body.append("</header>")
    sections: list[tuple[str, str, str]] = []  # (anchor, title in the contents, html)
    if rf.study:
        sections.append(("study", "Study", _study_section(rf.study)))
    if rf.has_scenario:
        sections.append(("scenario", "Scenario", _scenario_section(rf)))
    summary = rf.table("summary")
    if summary is not None:
        heading = '<h2 id="kpis">Key figures per terminal</h2>'
        sections.append(("kpis", "Key figures per terminal", _kpi_section(summary, rf, heading)))
    comparison = rf.table("comparison")
    if comparison is not None:
        sections += _comparison_sections(rf, comparison)
    capacity = _capacity_section(rf)
    if capacity:
        if rf.practical() is not None:
            sections.append(("capacity", "Practical capacity", ""))
        if rf.has("horizon.csv"):
            sections.append(("horizon", "Growth horizon", ""))
        sections.append(("", "", capacity))
    sections.append(("figures", "Figures", _figures_section(rf.path)))
    sections.append(("manifest", "Manifest", _manifest_section(rf.manifest)))
    toc = [(a, t) for a, t, h in sections if a and (h or a in ("capacity", "horizon"))]
    nav = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in toc)
    body.append(f"<nav><ul>{nav}</ul></nav>")
    body.extend(h for _, _, h in sections if h)
    body.append(f"<footer>lygsim {esc(__version__)}</footer>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_report(folder: ResultsFolder | str | Path) -> Path:
    """Write ``<folder>/report.html``: one self-contained file, figures embedded.

    Embeds every PNG under ``<folder>/figures/`` as it is; write them first with
    :func:`lygsim.plots.figures_for`.

    Args:
        folder: A results folder (a path is opened as a :class:`ResultsFolder`).

    Returns:
        The path of the report.

    Raises:
        ResultsError: If the folder holds no results, a table of the folder cannot be
            read or lacks a column, or the report cannot be written; the message names
            the file.
    """
    rf = folder if isinstance(folder, ResultsFolder) else ResultsFolder(folder)
    path = rf.path / REPORT_FILE
    text = render_report(rf)
    try:
        write_text(path, text)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path
