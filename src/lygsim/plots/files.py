"""Files of a results folder: saving figures and reading tables, scenario and levels."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lygsim.plots._style import DPI, STYLE
from lygsim.report import atomic_path


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
