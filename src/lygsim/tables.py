"""Reading the tables of a results folder, checked: one line naming the file if damaged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from lygsim.errors import ResultsError

# The columns each results table must have for the figures and the report; the numeric
# ones must parse as numbers. Tables not listed are read as they are.
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "summary": (("scope", "name", "metric", "unit"), ("mean", "ci_low", "ci_high")),
    "comparison": (
        ("option", "scope", "name", "metric"),
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
    "berths": (("berth_id", "terminal", "group"), ("index",)),
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
    require_columns(path, set(df.columns), (*text_cols, *num_cols), f" (a {kind} table needs ")
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
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file (ResultsError naming it if it is not one)."""
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


def require_columns(path: Path, names: set[str], required: tuple[str, ...], why: str = "") -> None:
    """Refuse a table that lacks a required column (ResultsError naming the file)."""
    missing = [c for c in required if c not in names]
    if missing:
        tail = f"{why}{', '.join(required)})" if why else ""
        raise ResultsError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} " + ", ".join(missing) + tail
        )


def read_parquet(path: Path, required: tuple[str, ...], **kw: Any) -> pd.DataFrame:
    """A Parquet table of a results folder, with the columns it must have.

    Raises:
        ResultsError: Naming the file, if it is not a readable Parquet table or lacks a
            required column.
    """
    import pyarrow as pa

    require_columns(path, set(parquet_columns(path)), required)
    try:
        return pd.read_parquet(path, **kw)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, pa.ArrowException) as exc:  # damaged past its footer
        raise ResultsError(f"{path}: not a Parquet table ({type(exc).__name__})") from None
