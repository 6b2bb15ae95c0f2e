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

from lygsim.errors import ResultsError
from lygsim.plots._style import DPI, STYLE
from lygsim.report import atomic_path

# The columns each results table must have for the figures and the report; the numeric
# ones must parse as numbers. Tables not listed are read as they are.
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "summary": (("terminal", "metric", "unit"), ("mean", "ci_low", "ci_high")),
    "comparison": (
        ("option", "terminal", "metric"),
        ("base_mean", "option_mean", "delta", "delta_ci_low", "delta_ci_high", "rel_change"),
    ),
    "capacity": (
        ("terminal",),
        ("demand_factor", "throughput", "berth_occupancy", "wait_service_ratio"),
    ),
    "practical_capacity": (
        ("terminal", "unit"),
        ("capacity", "capacity_ci_low", "capacity_ci_high"),
    ),
    "capacity_gained": (
        ("option", "terminal", "unit"),
        ("base_capacity", "option_capacity", "gained", "gained_share"),
    ),
    "horizon": (("scenario", "terminal"), ("year",)),
}
# tables that mean nothing without a row
NEED_ROWS = ("summary", "capacity", "practical_capacity", "horizon")


def table_kind(path: Path) -> str | None:
    """The kind of a results table from its file name (``summary_base.csv``: summary)."""
    stem = path.stem
    for kind in sorted(TABLE_COLUMNS, key=len, reverse=True):
        if stem == kind or stem.startswith(kind + "_"):
            return kind
    return None


def read_table(path: str | Path) -> pd.DataFrame:
    """A results table (CSV), checked: readable text, the columns its kind needs, numbers.

    Args:
        path: The CSV file; its name gives its kind (:data:`TABLE_COLUMNS`).

    Returns:
        The table.

    Raises:
        ResultsError: Naming the file, if it cannot be read, is empty or not text, lacks a
            column its kind needs, has no row where one is needed, or holds a value that
            is not a number in a numeric column.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
        if b"\0" in head:
            raise ResultsError(f"{path}: not a CSV table (binary content)")
        df = pd.read_csv(path, encoding="utf-8")
    except ResultsError:
        raise
    except pd.errors.EmptyDataError:
        raise ResultsError(f"{path}: empty file (no header, no rows)") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not a CSV table (not UTF-8 text)") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise ResultsError(f"{path}: not a CSV table ({first})") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    kind = table_kind(path)
    if kind is None:
        return df
    text_cols, num_cols = TABLE_COLUMNS[kind]
    missing = [c for c in (*text_cols, *num_cols) if c not in df.columns]
    if missing:
        raise ResultsError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(a {kind} table needs {', '.join((*text_cols, *num_cols))})"
        )
    if kind in NEED_ROWS and df.empty:
        raise ResultsError(f"{path}: no rows")
    for col in num_cols:
        if df[col].dtype.kind in "fiub":
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        if bad.any():
            raise ResultsError(
                f"{path}: column {col}: not a number ({str(df[col][bad].iloc[0])[:40]!r})"
            )
        df[col] = values
    return df


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
    try:
        with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
    except OSError as exc:
        fig.clear()
        if path.parent.exists() and not path.parent.is_dir():
            raise ResultsError(f"{path.parent}: not a folder (cannot write figures)") from None
        raise ResultsError(f"{path}: cannot write ({exc.strerror or exc})") from None
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
    display_names: dict[str, str] = field(default_factory=dict)  # services' and corridors'


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file, or an empty dict if the file is absent or not a mapping.

    Raises:
        ResultsError: If the file cannot be read or is not YAML.
    """
    import yaml

    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not YAML (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ResultsError(f"{path}: not valid YAML{where}") from None
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
    for section in ("services", "corridors"):
        for key, item in (scen.get(section) or {}).items():
            info.display_names[str(key)] = str((item or {}).get("name") or key)
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
        return read_parquet(folder / "levels.parquet", LEVEL_COLUMNS)
    man = read_json(folder / "manifest.json")
    if not {"lygsim_version", "scenario_hash", "seed"} <= set(man):
        return None
    key = str(man["scenario_hash"]) + ("" if man.get("days") is None else f"-d{man['days']:g}")
    cached = (
        folder / "runs" / f"v{man['lygsim_version']}" / key / f"seed-{man['seed']}" / "rep-0"
    ) / "levels.parquet"
    return read_parquet(cached, LEVEL_COLUMNS) if cached.is_file() else None


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
    "wait_h",
)


FIGURE_REPLICATIONS = 5  # visits of at most this many replications go into the figures


def _read_visits(path: Path) -> pd.DataFrame:
    """The visit columns the figures use, of the first few replications only.

    The file may hold every call of hundreds of replications; the figures need a
    representative sample, and memory must not grow with the number of replications.
    """
    names = set(_schema(path))
    cols = [c for c in VISIT_COLUMNS if c in names]
    _need(path, names, ("terminal", "arrived_h", "entered_h"))
    filters = [("replication", "<", FIGURE_REPLICATIONS)] if "replication" in names else None
    return read_parquet(path, (), columns=cols, filters=filters)


LEVEL_COLUMNS = ("time_h", "series", "terminal", "value")


def _schema(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except OSError as exc:
        if exc.errno is None:  # pyarrow's IO errors for a file that is not Parquet
            raise ResultsError(f"{path}: not a Parquet table ({exc})") from None
        raise ResultsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, pa.ArrowException) as exc:
        raise ResultsError(f"{path}: not a Parquet table ({type(exc).__name__})") from None


def _need(path: Path, names: set[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in names]
    if missing:
        raise ResultsError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} " + ", ".join(missing)
        )


def read_parquet(path: Path, required: tuple[str, ...], **kw: Any) -> pd.DataFrame:
    """A Parquet table of a results folder, with the columns it must have.

    Raises:
        ResultsError: Naming the file, if it is not a readable Parquet table or lacks a
            required column.
    """
    import pyarrow as pa

    _need(path, set(_schema(path)), required)
    try:
        return pd.read_parquet(path, **kw)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, pa.ArrowException) as exc:  # damaged past its footer
        raise ResultsError(f"{path}: not a Parquet table ({type(exc).__name__})") from None
