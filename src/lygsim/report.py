"""Writing a results folder: tables, the resolved scenario and a manifest, atomically.

Every file is written to a temporary name in the same folder and renamed into place, so a
reader never sees half a file and an interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd

from lygsim import __version__

KEY_METRICS = [
    ("calls", "calls", "{:,.0f}"),
    ("throughput", "throughput", "{:,.0f}"),
    ("berth_occupancy", "occupancy", "{:.2f}"),
    ("mean_wait_h", "wait h", "{:.1f}"),
    ("p95_wait_h", "p95 wait h", "{:.1f}"),
    ("mean_service_h", "service h", "{:.1f}"),
    ("wait_service_ratio", "W/S", "{:.3f}"),
    ("yard_utilisation", "yard", "{:.2f}"),
]


SHUTTLE_LINES = [
    (
        "shuttle",
        [
            ("sailings", "{:,.0f} sailings"),
            ("teu_carried_out", "{:,.0f} TEU out"),
            ("teu_carried_in", "{:,.0f} TEU in"),
            ("shuttle_utilisation", "utilisation {:.2f}"),
            ("teu_rolled_over", "{:,.0f} TEU rolled over"),
            ("transfer_time_mean_h", "transfer {:.1f} h mean"),
            ("transfer_time_p95_h", "{:.1f} h p95"),
        ],
    ),
    (
        "corridor",
        [
            ("availability", "availability {:.3f}"),
            ("clearance_time_mean_h", "clearance {:.2f} h mean"),
        ],
    ),
]


@contextmanager
def atomic_path(path: Path):  # type: ignore[no-untyped-def]
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


def kpi_table(summary: pd.DataFrame) -> str:
    """A short readable table of the main KPIs per terminal (means)."""
    piv = summary.pivot_table(index="terminal", columns="metric", values="mean", sort=False)
    units = dict(zip(summary["terminal"] + "/" + summary["metric"], summary["unit"], strict=True))
    headers = ["terminal", "unit"] + [label for _, label, _ in KEY_METRICS]
    lines = []
    for term in [t for t in piv.index if t not in ("port", "calibration", "shuttle", "corridor")]:
        row = [str(term), units.get(f"{term}/throughput", "")]
        for metric, _, fmt in KEY_METRICS:
            v = piv.loc[term].get(metric, float("nan"))
            row.append("-" if pd.isna(v) else fmt.format(v))
        lines.append(row)
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(headers)]
    out = [
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    for r in lines:
        out.append(
            "  ".join(
                v.ljust(w) if i < 2 else v.rjust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    for term, picks in SHUTTLE_LINES:
        got = summary[summary["terminal"] == term].set_index("metric")["mean"]
        if len(got):
            out.append(
                f"{term}: "
                + ", ".join(fmt.format(got[m]) for m, fmt in picks if m in got and pd.notna(got[m]))
            )
    port = summary[summary["terminal"] == "port"].set_index("metric")["mean"]
    if len(port):
        out.append(
            f"port: {port.get('throughput_t', float('nan')):,.0f} t, "
            f"{port.get('throughput_teu', float('nan')):,.0f} TEU, "
            f"{port.get('throughput_vehicles', float('nan')):,.0f} vehicles, "
            f"{port.get('calls', float('nan')):,.0f} calls"
        )
    return "\n".join(out)


COMPARE_METRICS = [
    ("throughput", "throughput"),
    ("berth_occupancy", "occupancy"),
    ("mean_wait_h", "wait h"),
    ("wait_service_ratio", "W/S"),
]


# the shuttle's and the corridor's main figures, shown beside the terminals' in comparisons
SERVICE_METRICS = {
    "shuttle": [
        ("teu_carried_out", "TEU out"),
        ("teu_rolled_over", "rolled TEU"),
        ("transfer_time_mean_h", "transfer h"),
    ],
    "corridor": [("clearance_time_mean_h", "clearing h")],
}


def comparison_table(table: pd.DataFrame) -> str:
    """A readable table of paired differences of the main KPIs (``*`` = significant).

    Terminals where no main KPI changed in any replication are listed on one line.
    """
    out = []
    for option, grp in table.groupby("option", sort=False):
        out.append(f"{option} against base (option - base, 95% paired interval; * significant)")
        out.append(
            f"  {'terminal':<12}{'metric':<11}{'base':>14}{'option':>14}"
            f"{'change [95% interval]':>36}{'%':>10}"
        )
        unchanged = []
        for term, rows in grp.groupby("terminal", sort=False):
            if term in ("port", "calibration"):
                continue
            labels = dict(SERVICE_METRICS.get(str(term), COMPARE_METRICS))
            rows = rows[rows["metric"].isin(labels)]
            if rows.empty:
                continue
            if (rows["delta"].fillna(0) == 0).all():
                unchanged.append(str(term))
                continue
            for _, r in rows.iterrows():
                big = r["metric"] in ("throughput", "teu_carried_out", "teu_rolled_over")
                fmt = "{:,.0f}" if big else "{:.3f}"
                change = (
                    f"{fmt.format(r['delta'])} [{fmt.format(r['delta_ci_low'])}, "
                    f"{fmt.format(r['delta_ci_high'])}]"
                )
                rel = "-" if pd.isna(r["rel_change"]) else f"{r['rel_change']:+.1%}"
                star = "*" if r["significant"] else ""
                out.append(
                    f"  {r['terminal']:<12}{labels[r['metric']]:<11}"
                    f"{fmt.format(r['base_mean']):>14}{fmt.format(r['option_mean']):>14}"
                    f"{change:>36}{rel:>10}{star}"
                )
        if unchanged:
            out.append(f"  unchanged in every replication: {', '.join(unchanged)}")
    return "\n".join(out)
