"""Reading a results folder: one typed reader for the commands, the figures and the report.

A results folder is written by ``lygsim run``, ``compare``, ``capacity``, ``horizon`` or
``study``. :class:`ResultsFolder` knows its files and the columns each must have, what
kind of folder it is (decided once, from the files it holds), the run cache layout, the
berths of the run, the terminals' thresholds and the display names of the services and
links. Figures and the report take DataFrames and this object; they never read the
scenario's YAML themselves. A damaged file is a :class:`lygsim.errors.ResultsError`, one
line naming the file.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from lygsim.errors import ResultsError
from lygsim.scopes import Scope
from lygsim.tables import (
    TABLE_COLUMNS,
    parquet_columns,
    read_json,
    read_parquet,
    read_table,
    read_yaml,
    require_columns,
    table_kind,
)

LEVELS_FILE = "levels.parquet"
SHUTTLE_CALLS_FILE = "shuttle_calls.parquet"
BERTHS_FILE = "berths.csv"
LEVEL_COLUMNS = ("time_h", "series", "terminal", "value")
SHUTTLE_CALL_COLUMNS = (
    "berth_id",
    "requested_h",
    "assigned_h",
    "entered_h",
    "berthed_h",
    "load_end_h",
    "departed_h",
)
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


class Kind(StrEnum):
    """What a results folder holds, tested in this order (a study holds a comparison)."""

    study = "study"
    compare = "compare"
    capacity = "capacity"
    horizon = "horizon"
    run = "run"


_MARKER_FILES = ("study.yaml", "comparison.csv", "capacity.csv", "horizon.csv", "summary.csv")
MARKERS: dict[Kind, str] = dict(zip(Kind, _MARKER_FILES, strict=True))
"""The file whose presence makes a folder of each kind, in the order they are tested."""


def run_cache_dir(
    out: Path, version: str, scenario_key: str, seed: int, replication: int, days: float | None
) -> Path:
    """Where a finished replication is kept under a results folder (the one layout).

    ``runs/v<version>/<scenario hash>[-d<days>]/seed-<seed>/rep-<replication>``.
    """
    key = scenario_key + ("" if days is None else f"-d{days:g}")
    return Path(out) / "runs" / f"v{version}" / key / f"seed-{seed}" / f"rep-{replication}"


# --- the folder ----------------------------------------------------------------------------


class ResultsFolder:
    """A results folder, read on demand; its kind is decided once, when it is opened.

    Attributes:
        path: The folder.
        kind: What it holds (see :class:`Kind`).
    """

    def __init__(self, path: str | Path, kind: Kind | None = None):
        self.path = Path(path)
        found = kind or self.detect(self.path)
        if found is None:
            markers = ", ".join(MARKERS.values())
            raise ResultsError(f"{self.path}: no lygsim results (none of {markers})")
        self.kind: Kind = found

    @staticmethod
    def detect(path: str | Path) -> Kind | None:
        """The kind of the folder at ``path`` from its files, or None if it holds no results."""
        path = Path(path)
        return next((k for k, f in MARKERS.items() if (path / f).is_file()), None)

    def file(self, name: str) -> Path:
        """The path of a file of the folder."""
        return self.path / name

    def has(self, name: str) -> bool:
        """Whether the folder holds the file ``name``."""
        return (self.path / name).is_file()

    def table(self, name: str) -> pd.DataFrame | None:
        """The CSV table ``<name>.csv``, checked (:func:`read_table`), or None if absent."""
        path = self.path / f"{name}.csv"
        return read_table(path) if path.is_file() else None

    # --- what the folder says about itself ---

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The manifest (empty if absent or unreadable)."""
        return read_json(self.path / "manifest.json")

    @cached_property
    def study(self) -> dict[str, Any]:
        """The study file of a study folder (empty otherwise)."""
        return read_yaml(self.path / "study.yaml")

    @cached_property
    def _scenario(self) -> dict[str, Any]:
        """The resolved scenario kept in the folder (the base's in a comparison)."""
        scen = read_yaml(self.path / "scenario.yaml")
        base = self.manifest.get("base")
        if not scen and base:
            scen = read_yaml(self.path / f"scenario_{base}.yaml")
        return scen

    @property
    def has_scenario(self) -> bool:
        """Whether the folder keeps its (base) scenario."""
        return bool(self._scenario)

    @property
    def scenario_facts(self) -> dict[str, Any]:
        """The scenario's ``scenario`` section: name, description, dates, sources."""
        return dict(self._scenario.get("scenario") or {})

    @property
    def name(self) -> str:
        """The scenario's (or base's) name, else the folder's."""
        man = self.manifest
        return str(
            self.scenario_facts.get("name")
            or man.get("scenario")
            or man.get("base")
            or self.path.name
        )

    @property
    def warmup_h(self) -> float:
        """The warm-up in hours (0 if unknown)."""
        return float(self.scenario_facts.get("warmup_days") or 0.0) * 24.0

    @property
    def start_date(self) -> str | None:
        """The scenario's start date, if known."""
        start = self.scenario_facts.get("start_date")
        return str(start) if start else None

    @property
    def horizon_days(self) -> float | None:
        """The days simulated (``--days`` or the scenario's horizon), if known."""
        days = self.manifest.get("days") or self.scenario_facts.get("horizon_days")
        return float(days) if days else None

    @property
    def end_h(self) -> float | None:
        """The end of the run in hours, if known."""
        days = self.horizon_days
        return days * 24.0 if days else None

    @property
    def until(self) -> int | None:
        """The last year of a growth horizon, if the folder has one."""
        until = self.study.get("until") or self.manifest.get("until")
        return int(until) if until else None

    # --- terminals, services, links ---

    def terminals(self) -> list[dict[str, Any]]:
        """One fact sheet per terminal of the scenario, in its order.

        Keys: ``name, cargo, description, berths`` (total), ``groups`` (``(group, count,
        max_dwt_t)``), ``yard_capacity``, ``max_wait_service_ratio``, ``max_occupancy``
        (None when not set).
        """
        out = []
        for name, term in (self._scenario.get("terminals") or {}).items():
            groups = [
                (str(g), int(b.get("count", 0)), float(b.get("max_dwt_t", 0)))
                for g, b in (term.get("berths") or {}).items()
            ]
            thr = term.get("thresholds") or {}
            yard = term.get("yard") or {}
            out.append(
                {
                    "name": str(name),
                    "cargo": term.get("cargo", ""),
                    "description": term.get("description", ""),
                    "berths": sum(n for _, n, _ in groups),
                    "groups": groups,
                    "yard_capacity": yard.get("capacity"),
                    "max_wait_service_ratio": thr.get("max_wait_service_ratio"),
                    "max_occupancy": thr.get("max_occupancy"),
                }
            )
        return out

    def thresholds(self) -> dict[str, dict[str, float]]:
        """Per terminal, the maximum of each thresholded metric (inf when not set)."""
        inf = float("inf")
        return {
            t["name"]: {
                "wait_service_ratio": float(t["max_wait_service_ratio"] or inf),
                "berth_occupancy": float(t["max_occupancy"] or inf),
            }
            for t in self.terminals()
        }

    def occupancy_thresholds(self) -> dict[str, float]:
        """Maximum berth occupancy per terminal, where set."""
        return {
            t["name"]: float(t["max_occupancy"])
            for t in self.terminals()
            if t["max_occupancy"] is not None
        }

    def yard_capacity(self) -> dict[str, float]:
        """Yard capacity per terminal that has a yard."""
        return {
            t["name"]: float(t["yard_capacity"])
            for t in self.terminals()
            if t["yard_capacity"] is not None
        }

    def display_name(self, scope: Scope | str, name: str) -> str:
        """How a service or link is called in figures and the report.

        The ``name`` of ``services.<key>`` or ``corridors.<key>`` in the folder's scenario,
        else of its ``shuttle`` or ``corridor`` section, else the key itself.
        """
        section = {Scope.service: "services", Scope.link: "corridors"}.get(Scope(scope))
        if section is None:
            return str(name)
        keyed = self._scenario.get(section)
        entry = keyed.get(name) if isinstance(keyed, dict) else None
        if entry is None:
            entry = self._scenario.get(name)  # the single shuttle: or corridor: section
        title = entry.get("name") if isinstance(entry, dict) else None
        return str(title) if title else str(name)

    # --- the run's files ---

    def berths(self) -> pd.DataFrame | None:
        """The run's berths (``berth_id, terminal, group, index``), None if not kept."""
        path = self._replication0(BERTHS_FILE)
        return read_table(path) if path is not None else None

    def berth_rows(self) -> dict[str, list[str]]:
        """The berth ids of each terminal, in the model's order (empty if not kept)."""
        berths = self.berths()
        if berths is None:
            return {}
        out: dict[str, list[str]] = {}
        for r in berths.itertuples():
            out.setdefault(str(r.terminal), []).append(str(r.berth_id))
        return out

    def cache_dir(self, replication: int) -> Path | None:
        """Where the run cache keeps a replication of this run, per its manifest."""
        man = self.manifest
        if not {"lygsim_version", "scenario_hash", "seed"} <= set(man):
            return None
        return run_cache_dir(
            self.path,
            str(man["lygsim_version"]),
            str(man["scenario_hash"]),
            int(man["seed"]),
            replication,
            man.get("days"),
        )

    def _replication0(self, name: str) -> Path | None:
        """A file of replication 0: in the folder, else in the run cache."""
        if self.has(name):
            return self.path / name
        cached = self.cache_dir(0)
        return cached / name if cached is not None and (cached / name).is_file() else None

    def levels(self) -> pd.DataFrame | None:
        """Level histories of replication 0, None if not stored."""
        path = self._replication0(LEVELS_FILE)
        return read_parquet(path, LEVEL_COLUMNS) if path is not None else None

    def shuttle_calls(self) -> pd.DataFrame | None:
        """The shuttle's berth calls in replication 0, None if not stored."""
        path = self._replication0(SHUTTLE_CALLS_FILE)
        return read_parquet(path, SHUTTLE_CALL_COLUMNS) if path is not None else None

    def visits_sample(self) -> pd.DataFrame | None:
        """The visit columns the figures use, of the first few replications only.

        The file may hold every call of hundreds of replications; the figures need a
        representative sample, and memory must not grow with the number of replications.
        """
        path = self.path / "visits.parquet"
        if not path.is_file():
            return None
        names = set(parquet_columns(path))
        require_columns(path, names, ("terminal", "arrived_h", "entered_h"))
        cols = [c for c in VISIT_COLUMNS if c in names]
        filters = [("replication", "<", FIGURE_REPLICATIONS)] if "replication" in names else None
        return read_parquet(path, (), columns=cols, filters=filters)

    # --- comparisons and capacity ---

    def summaries(self) -> list[tuple[str, pd.DataFrame]]:
        """Each scenario's summary in a comparison folder, base first."""
        man = self.manifest
        names = [str(n) for n in [man.get("base"), *(man.get("options") or [])] if n]
        names = [n for n in names if self.has(f"summary_{n}.csv")]
        if not names:
            names = sorted(p.stem[len("summary_") :] for p in self.path.glob("summary_*.csv"))
        return [(n, read_table(self.path / f"summary_{n}.csv")) for n in names]

    def practical(self) -> pd.DataFrame | None:
        """The practical capacities, one table (with ``scenario`` when several), or None.

        A ``lygsim horizon`` folder keeps one file per scenario, in the manifest's order (the
        base first): the scenario comes from the file name where the table lacks it.
        """
        one = self.table("practical_capacity")
        if one is not None:
            return one
        files = {
            p.stem[len("practical_capacity_") :]: p
            for p in sorted(self.path.glob("practical_capacity_*.csv"))
        }
        if not files:
            return None
        order = [str(x) for x in self.manifest.get("scenarios") or []]
        names = [n for n in order if n in files] + [n for n in files if n not in order]
        tables = []
        for n in names:
            t = read_table(files[n])
            if "scenario" not in t.columns:
                t.insert(0, "scenario", n)
            tables.append(t)
        return pd.concat(tables, ignore_index=True)


__all__ = [
    "BERTHS_FILE",
    "FIGURE_REPLICATIONS",
    "Kind",
    "LEVELS_FILE",
    "ResultsFolder",
    "SHUTTLE_CALLS_FILE",
    "TABLE_COLUMNS",
    "VISIT_COLUMNS",
    "read_json",
    "read_parquet",
    "read_table",
    "read_yaml",
    "run_cache_dir",
    "table_kind",
]
