"""Writing a results folder: tables, the resolved scenario and a manifest, atomically.

Every file is written to a temporary name in the same folder and renamed into place, so a
reader never sees half a file and an interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd

from lygsim import __version__
from lygsim.scopes import Scope, of_scope, terminal_rows

TERMINAL_KPIS: list[tuple[str, str | None, str, str]] = [
    ("calls", "calls", "calls", "count"),
    ("throughput", "throughput", "throughput", "count"),
    ("berth_occupancy", "occupancy", "berth occupancy", "pct"),
    ("mean_wait_h", "wait h", "mean wait (h)", "h"),
    ("p95_wait_h", "p95 wait h", "95th pct wait (h)", "h"),
    ("mean_service_h", "service h", "mean service (h)", "h"),
    ("wait_service_ratio", "W/S", "W/S", "ratio"),
    ("mean_queue_length", None, "mean queue (ships)", "h"),
    ("offered_load", None, "offered load", "ratio"),
    ("yard_utilisation", "yard", "yard use", "pct"),
]
"""The terminals' KPIs as reported: (metric, short label or None where the console table
leaves it out, column title in the HTML report, kind); the kind sets the number format."""
_CONSOLE_FORMATS = {"count": "{:,.0f}", "pct": "{:.2f}", "h": "{:.1f}", "ratio": "{:.3f}"}
SHORT_LABELS = {metric: label for metric, label, _, _ in TERMINAL_KPIS if label is not None}
KEY_METRICS = [
    (metric, label, _CONSOLE_FORMATS[kind])
    for metric, label, _, kind in TERMINAL_KPIS
    if label is not None
]


SHUTTLE_LINES = [
    (
        Scope.service,
        [
            ("sailings", "{:,.0f} sailings"),
            ("teu_carried_out", "{:,.0f} TEU out"),
            ("teu_carried_in", "{:,.0f} TEU in"),
            ("shuttle_utilisation", "utilisation {:.2f}"),
            ("teu_rolled_over", "{:,.0f} TEU rolled over"),
            ("transfer_time_mean_h", "transfer {:.1f} h mean"),
            ("transfer_time_p95_h", "{:.1f} h p95"),
            # the vessel kinds of lygsim.vessels (a shuttle has none of these)
            ("calls", "{:,.0f} calls"),
            ("throughput", "{:,.0f} units handled"),
            ("mean_wait_h", "wait {:.2f} h mean"),
            ("mean_service_h", "service {:.1f} h mean"),
        ],
    ),
    (
        Scope.link,
        [
            ("availability", "availability {:.3f}"),
            ("clearance_time_mean_h", "clearance {:.2f} h mean"),
        ],
    ),
]


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are meant to be shared
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as CSV atomically (no index, full float precision)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def write_with(path: Path, writer: Callable[[IO[bytes]], None]) -> None:
    """Write a binary file atomically through ``writer(file)``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        writer(fh)


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in ("simpy", "numpy", "pandas", "pydantic", "pyarrow", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[name] = "absent"
    return out


def manifest(**fields: Any) -> dict[str, Any]:
    """A manifest: lygsim version, platform and package versions, plus ``fields``."""
    return {
        "lygsim_version": __version__,
        **fields,
        "platform": platform.platform(),
        "versions": package_versions(),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically."""
    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


# (metric, index in a thresholds pair): values above the terminal's threshold are flagged
THRESHOLD_METRICS = {"wait_service_ratio": 0, "berth_occupancy": 1}
OVER = "!"

Thresholds = Mapping[str, tuple[float | None, float | None]]
"""Per terminal: ``(max W/S, max occupancy)``, either None when not set."""


def display_names(scenario: Any) -> dict[str, str]:
    """The ``name:`` of each service and corridor of a scenario, by key (those that have one).

    Args:
        scenario: A :class:`lygsim.scenario.Scenario`.

    Returns:
        Key to display name.
    """
    sections = [*scenario.services.items(), *scenario.corridors.items()]
    return {str(key): str(item.name) for key, item in sections if item.name}


def scenario_thresholds(scenario: Any) -> dict[str, tuple[float | None, float | None]]:
    """The thresholds :func:`kpi_table` flags, from a scenario (``terminals.*.thresholds``).

    Args:
        scenario: A :class:`lygsim.scenario.Scenario`.

    Returns:
        Per terminal: ``(max_wait_service_ratio, max_occupancy)``.
    """
    return {
        str(name): (t.thresholds.max_wait_service_ratio, t.thresholds.max_occupancy)
        for name, t in scenario.terminals.items()
    }


def overload_warnings(summary: pd.DataFrame) -> list[str]:
    """One warning line per terminal overloaded in at least one replication.

    Args:
        summary: Summary rows (``scope, name, metric, mean, n``); the ``overloaded``
            KPI's mean is the share of replications in which the terminal was overloaded.

    Returns:
        Lines ``warning: terminal X is overloaded in N of M replications: ...``.
    """
    terms = terminal_rows(summary)
    rows = terms[terms["metric"] == "overloaded"]
    out = []
    for r in rows.to_dict("records"):
        n = int(r.get("n", 1) or 1)
        share = float(r["mean"])
        if not math.isfinite(share) or share <= 0:
            continue
        k = max(1, round(share * n))
        out.append(
            f"warning: terminal {r['name']} is overloaded in {k} of {n} replication"
            f"{'s' if n != 1 else ''}: demand exceeds capacity, waits grow without bound"
        )
    return out


def kpi_table(
    summary: pd.DataFrame,
    thresholds: Thresholds | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """A short readable table of the main KPIs per terminal (means of the replications).

    Values above a terminal's threshold (W/S over its maximum W/S, occupancy over its
    maximum occupancy) carry a ``!``, explained in a line under the table; a terminal
    overloaded in any replication gets a warning line at the end.

    Args:
        summary: ``summary.csv`` rows (``scope, name, metric, unit, mean``; ``n``).
        thresholds: Per terminal ``(max W/S, max occupancy)`` (see
            :func:`scenario_thresholds`); without it nothing is flagged.
        names: Display names of services and links by key (see :func:`display_names`);
            a line shows ``Display name (key)``, or the key alone without one.

    Returns:
        The table, one line per terminal, then the shuttle, corridor and port lines.
    """
    terms = terminal_rows(summary)
    piv = terms.pivot_table(index="name", columns="metric", values="mean", sort=False)
    units = dict(zip(terms["name"] + "/" + terms["metric"], terms["unit"], strict=True))
    headers = ["terminal", "unit"] + [label for _, label, _ in KEY_METRICS]
    thresholds = thresholds or {}
    flagged = False
    lines = []
    for term in piv.index:
        row = [str(term), units.get(f"{term}/throughput", "")]
        limits = thresholds.get(str(term), (None, None))
        for metric, _, fmt in KEY_METRICS:
            v = piv.loc[term].get(metric, float("nan"))
            text = "-" if pd.isna(v) else fmt.format(v)
            if thresholds:
                i = THRESHOLD_METRICS.get(metric)
                limit = limits[i] if i is not None else None
                over = limit is not None and pd.notna(v) and float(v) > float(limit)
                flagged |= over
                text += OVER if over else " "  # a blank keeps the digits aligned
            row.append(text)
        lines.append(row)
    if thresholds:
        headers = [h if i < 2 else h + " " for i, h in enumerate(headers)]
    widths = [max([len(h), *(len(r[i]) for r in lines)]) for i, h in enumerate(headers)]
    out = [
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        ).rstrip()
    ]
    for r in lines:
        out.append(
            "  ".join(
                v.ljust(w) if i < 2 else v.rjust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    if flagged:
        out.append(
            f"{OVER} above the terminal's threshold (W/S over thresholds.max_wait_service_ratio, "
            "occupancy over thresholds.max_occupancy)"
        )
    for scope, picks in SHUTTLE_LINES:
        rows = of_scope(summary, scope)
        for name, grp in rows.groupby("name", sort=False):
            got = grp.set_index("metric")["mean"]
            shown = [fmt.format(got[m]) for m, fmt in picks if m in got and pd.notna(got[m])]
            title = (names or {}).get(str(name))
            label = f"{title} ({name})" if title and title != name else str(name)
            out.append(f"{label}: " + ", ".join(shown))
    port = of_scope(summary, Scope.port).set_index("metric")["mean"]
    if len(port):
        out.append(
            f"port: {port.get('throughput_t', float('nan')):,.0f} t, "
            f"{port.get('throughput_teu', float('nan')):,.0f} TEU, "
            f"{port.get('throughput_vehicles', float('nan')):,.0f} vehicles, "
            f"{port.get('calls', float('nan')):,.0f} calls"
        )
    out += overload_warnings(summary)
    return "\n".join(out)


COMPARE_METRICS = [
    (metric, SHORT_LABELS[metric])
    for metric in ("throughput", "berth_occupancy", "mean_wait_h", "wait_service_ratio")
]


# the services' and the links' main figures, shown beside the terminals' in comparisons
SERVICE_METRICS = {
    Scope.service: [
        ("teu_carried_out", "TEU out"),
        ("teu_rolled_over", "rolled TEU"),
        ("transfer_time_mean_h", "transfer h"),
    ],
    Scope.link: [("clearance_time_mean_h", "clearing h")],
}


BIG_METRICS = ("throughput", "teu_carried_out", "teu_rolled_over")


def finite_number(value: Any) -> float | None:
    """``value`` as a float, or None if it is missing, not a number, NaN or infinite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _compare_number(value: Any, big: bool) -> str:
    """A number for the compare table: counts whole, others to 3 decimals, never '-0.000'.

    Values too small for 3 decimals keep 3 significant digits; values of 10,000 and more
    are shown whole, with thousands separators.
    """
    v = finite_number(value)
    if v is None:
        return "-"
    if big or abs(v) >= 1e4:
        text = f"{v:,.0f}"
    elif v != 0 and abs(v) < 0.0005:
        text = f"{v:.3g}"
    else:
        text = f"{v:,.3f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def comparison_table(table: pd.DataFrame) -> str:
    """A readable table of paired differences of the main KPIs (``*`` = significant).

    Column widths follow the content, so wide numbers never run into each other.
    Terminals where no main KPI changed in any replication are listed on one line.
    """
    headers = ["name", "metric", "base", "option", "change [95% interval]", "%", ""]
    right = (False, False, True, True, True, True, False)
    out = []
    for option, grp in table.groupby("option", sort=False):
        out.append(f"{option} against base (option - base, 95% paired interval; * significant)")
        rows: list[list[str]] = []
        unchanged = []
        for (scope, term), trows in grp.groupby(["scope", "name"], sort=False):
            if scope in (Scope.port, Scope.calibration):
                continue
            labels = dict(SERVICE_METRICS.get(Scope(scope), COMPARE_METRICS))
            trows = trows[trows["metric"].isin(labels)]
            if trows.empty:
                continue
            if (trows["delta"].fillna(0) == 0).all():
                unchanged.append(str(term))
                continue
            for _, r in trows.iterrows():
                big = r["metric"] in BIG_METRICS

                def num(x: Any, big: bool = big) -> str:
                    return _compare_number(x, big)

                change = f"{num(r['delta'])} [{num(r['delta_ci_low'])}, {num(r['delta_ci_high'])}]"
                rel = "-" if pd.isna(r["rel_change"]) else f"{r['rel_change']:+.1%}"
                rows.append(
                    [
                        str(r["name"]),
                        labels[r["metric"]],
                        num(r["base_mean"]),
                        num(r["option_mean"]),
                        change,
                        rel,
                        "*" if r["significant"] else "",
                    ]
                )
        widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

        def line(cells: list[str], widths: list[int] = widths) -> str:
            text = "  ".join(
                c.rjust(w) if r else c.ljust(w)
                for c, w, r in zip(cells, widths, right, strict=True)
            )
            return "  " + text.rstrip()

        out.append(line(headers))
        out += [line(row) for row in rows]
        if unchanged:
            out.append(f"  unchanged in every replication: {', '.join(unchanged)}")
    return "\n".join(out)
