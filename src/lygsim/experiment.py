"""Replications of a scenario: seeds, executors, a cache that survives interruption.

Replication ``r`` of an experiment with seed ``s`` uses ``SeedSequence([s, r])``. Each
replication runs in a worker (this process, a local process pool or a Dask cluster),
which writes its KPIs and visits under the output folder and returns only the KPIs, so
the parent never holds more than one replication's visits. A finished replication is kept,
keyed by lygsim version, scenario hash, seed and replication, with a checksum; a re-run
reuses it, a killed run resumes where it stopped, and a corrupt or partial entry is
detected and recomputed. A replication is written to a folder private to its process and
renamed into place when complete, so commands sharing an output folder do not disturb each
other.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import secrets
import shutil
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lygsim import __version__
from lygsim.errors import SimulationError, UsageError
from lygsim.executors import LOCAL_DASK, default_workers, run_dask, run_pool, run_serial
from lygsim.loader import scenario_hash
from lygsim.results import BERTHS_FILE, LEVELS_FILE, SHUTTLE_CALLS_FILE, run_cache_dir
from lygsim.scenario import Scenario
from lygsim.scopes import KPI_COLUMNS, KPI_KEYS, Scope
from lygsim.shiptime import SHIP_HOURS_FILE, ship_hours, ship_hours_json
from lygsim.stats import mean_ci

if TYPE_CHECKING:
    from lygsim.simulation import RunResult

SUMMARY_COLUMNS = [
    "scenario",
    "scope",
    "name",
    "metric",
    "unit",
    "mean",
    "std",
    "n",
    "ci_low",
    "ci_high",
]
REPLICATION_COLUMNS = ["scenario", "replication", "seed", *KPI_KEYS, "value"]
KPIS_FILE, VISITS_FILE, DONE_FILE = "kpis.parquet", "visits.parquet", "done.json"
# replication 0 only, copied into the results folder: the level histories and the shuttle's
# berth calls for the figures, the berths as the model numbered them
FIRST_REPLICATION_FILES = (LEVELS_FILE, SHUTTLE_CALLS_FILE, BERTHS_FILE)


@dataclass(frozen=True)
class Task:
    """One replication to run (picklable, sent to workers)."""

    scenario: Scenario
    seed: int
    replication: int
    days: float | None
    run_dir: str | None
    full: bool = True
    """Store the visits and replication 0's level histories and berths; False: only the
    KPIs and the ship hours, all a plan reads (a few kilobytes instead of megabytes)."""


@dataclass
class Outcome:
    """What a worker sends back: the KPIs, or the error that stopped the replication."""

    replication: int
    kpis: pd.DataFrame | None = None
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    run_dir: str | None = None  # where it is stored: tells apart replications of scenarios


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def private_dir(run_dir: Path) -> Path:
    """A folder name next to ``run_dir`` that only this process uses.

    A replication is written there and renamed into place when complete, so two commands
    sharing an output folder never see, or remove, each other's half-written entries. The
    host and process id in the name tell a later run whether its owner is still alive.
    """
    token = secrets.token_hex(4)
    return run_dir.with_name(f".{run_dir.name}.{socket.gethostname()}.{os.getpid()}.{token}.tmp")


def _owner(tmp_name: str) -> tuple[str, int] | None:
    """The host and process id in a :func:`private_dir` name, or None if it is not one."""
    if not (tmp_name.startswith(".") and tmp_name.endswith(".tmp")):
        return None
    parts = tmp_name[1:-4].split(".")
    if len(parts) < 4 or not parts[-2].isdigit():
        return None
    return ".".join(parts[1:-2]), int(parts[-2])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process, or a number we cannot check: leave it
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove private folders left in ``folder`` by dead processes of this host.

    Folders of live processes and of other hosts (Dask workers elsewhere) are left alone.

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    host = socket.gethostname()
    for entry in entries:
        owner = _owner(entry.name)
        if owner is None or owner[0] != host or _alive(owner[1]):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _publish(tmp: Path, run_dir: Path) -> None:
    """Rename a complete replication into place; a valid entry already there wins."""
    for _ in range(5):
        try:
            os.rename(tmp, run_dir)  # atomic; fails if run_dir exists and is not empty
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        if load_cached(run_dir) is not None:
            # another process stored the same replication first: same seed, same numbers
            shutil.rmtree(tmp, ignore_errors=True)
            return
        # a damaged entry: move it aside (another process may just have done so), retry
        trash = private_dir(run_dir)
        try:
            os.rename(run_dir, trash)
        except FileNotFoundError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
    raise OSError(f"{run_dir}: could not store the replication (the folder keeps changing)")


def run_replication(task: Task) -> Outcome:
    """Run one replication and store it (worker side); never raises."""
    from lygsim.simulation import simulate

    t0 = time.perf_counter()
    tmp: Path | None = None
    try:
        result = simulate(
            task.scenario, seed=task.seed, replication=task.replication, days=task.days
        )
        kpis = result.kpis
        if task.run_dir is not None:
            run_dir = Path(task.run_dir)
            tmp = private_dir(run_dir)
            tmp.mkdir(parents=True)
            kpis.to_parquet(tmp / KPIS_FILE, index=False)
            # ship time by class, for plans that price it (lygsim.economics)
            hours = ship_hours(
                _ship_columns(result), task.scenario.observed_h[0], result.records.end_h
            )
            (tmp / SHIP_HOURS_FILE).write_text(ship_hours_json(hours), encoding="utf-8")
            files = [KPIS_FILE, SHIP_HOURS_FILE]
            if task.full:
                result.visits.assign(replication=task.replication).to_parquet(
                    tmp / VISITS_FILE, index=False
                )
                files.append(VISITS_FILE)
            if task.full and task.replication == 0:
                result.levels.to_parquet(tmp / LEVELS_FILE, index=False)
                result.berths.to_csv(tmp / BERTHS_FILE, index=False)
                files += [LEVELS_FILE, BERTHS_FILE]
                if result.records.services:
                    from lygsim.metrics import shuttle_calls_frame

                    shuttle_calls_frame(result.records).to_parquet(
                        tmp / SHUTTLE_CALLS_FILE, index=False
                    )
                    files.append(SHUTTLE_CALLS_FILE)
            done = {
                "lygsim_version": __version__,
                "seed": task.seed,
                "replication": task.replication,
                "notes": result.notes,
                "files": {name: _sha256(tmp / name) for name in files},
            }
            # written last: its presence, with matching checksums, marks a finished entry
            (tmp / DONE_FILE).write_text(json.dumps(done, indent=1), encoding="utf-8")
            _publish(tmp, run_dir)
        seconds = time.perf_counter() - t0
        return Outcome(task.replication, kpis, None, seconds, result.notes, task.run_dir)
    except Exception as exc:  # the parent reports it with scenario, seed and replication
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(task.replication, None, tb, time.perf_counter() - t0, run_dir=task.run_dir)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _ship_columns(result: RunResult) -> pd.DataFrame:
    """The visit columns :func:`lygsim.shiptime.ship_hours` reads, from the records."""
    rec = result.records
    c = rec.visit_columns()
    return pd.DataFrame(
        {
            "terminal": np.asarray(rec.terminal_names, dtype=object)[c["terminal"]],
            "ship_class": np.asarray(rec.class_names, dtype=object)[c["ship_class"]],
            "arrived_h": c["arrived_h"],
            "entered_h": c["entered_h"],
            "departed_h": c["departed_h"],
            "call_size": c["call_size"],
        }
    )


def load_cached(run_dir: Path) -> Outcome | None:
    """A finished replication stored in ``run_dir``, or None if absent, partial or corrupt."""
    done_path = run_dir / DONE_FILE
    if not done_path.is_file():
        return None
    try:
        done = json.loads(done_path.read_text(encoding="utf-8"))
        for name, digest in done["files"].items():
            if _sha256(run_dir / name) != digest:
                return None
        kpis = pd.read_parquet(run_dir / KPIS_FILE)
        if list(kpis.columns) != KPI_COLUMNS:  # stored by a release with another KPI layout
            return None
        return Outcome(int(done["replication"]), kpis, None, 0.0, list(done.get("notes", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_dir_for(
    out: Path, scenario: Scenario, seed: int, replication: int, days: float | None
) -> Path:
    """Where a replication is stored: keyed by version, scenario (and horizon), seed, rep."""
    return run_cache_dir(out, __version__, scenario_hash(scenario), seed, replication, days)


@dataclass
class ExperimentResult:
    """Replications of one scenario.

    Attributes:
        scenario: The scenario.
        seed: The experiment's seed.
        replications: KPIs of every replication (``REPLICATION_COLUMNS``).
        summary: Mean, std, n and a 95% Student-t interval per KPI (``SUMMARY_COLUMNS``).
        notes: Warnings about settings the model did not act on.
        computed: Replications computed by this call; ``reused``: taken from the cache.
        run_dirs: Where each replication's files are (when an output folder was given).
    """

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    computed: list[int] = field(default_factory=list)
    reused: list[int] = field(default_factory=list)
    run_dirs: dict[int, Path] = field(default_factory=dict)


def summarise(replications: pd.DataFrame) -> pd.DataFrame:
    """Summary rows (mean, std, n, 95% CI) from a replications table, in first-seen order."""
    rows = []
    keys = ["scenario", *KPI_KEYS]
    for key, grp in replications.groupby(keys, sort=False, observed=True):
        mean, std, n, lo, hi = mean_ci(grp["value"].to_numpy())
        rows.append((*key, mean, std, n, lo, hi))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


class _Kept:
    """Finished replications' KPIs, kept compact: one key list, one array per replication.

    A DataFrame per replication would cost the parent tens of kilobytes each; the KPI
    keys are the same for every replication of a scenario, so only the values are kept.
    """

    def __init__(self) -> None:
        self.keys: list[tuple[tuple[str, ...], ...]] = []
        self.values: dict[int, tuple[int, np.ndarray]] = {}
        self.notes: list[str] | None = None

    def add(self, outcome: Outcome) -> None:
        k = outcome.kpis
        assert k is not None
        keys = tuple(zip(*(k[c].astype(str) for c in KPI_KEYS), strict=True))
        if keys not in self.keys:
            self.keys.append(keys)
        self.values[outcome.replication] = (
            self.keys.index(keys),
            k["value"].to_numpy(dtype=float, copy=True),
        )
        if self.notes is None:
            self.notes = list(outcome.notes)

    def __contains__(self, r: int) -> bool:
        return r in self.values

    def __len__(self) -> int:
        return len(self.values)

    def frame(self, name: str, seed: int) -> pd.DataFrame:
        """The replications table, in replication order."""
        parts = []
        for r in sorted(self.values):
            ki, vals = self.values[r]
            columns = zip(*self.keys[ki], strict=True)
            keys = dict(zip(KPI_KEYS, columns, strict=True))
            parts.append(
                pd.DataFrame(
                    {"scenario": name, "replication": r, "seed": seed, **keys, "value": vals}
                )
            )
        return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Precision:
    """A stopping rule: add replications until a KPI's interval is narrow enough.

    Replications are added until ``metric`` of ``name`` (in ``scope``) has a 95% interval
    half-width below ``rel`` times its mean, or ``max_reps`` is reached.
    """

    name: str
    metric: str
    rel: float
    max_reps: int
    scope: str = Scope.terminal.value

    @classmethod
    def parse(cls, text: str, max_reps: int) -> Precision:
        """Parse ``[SCOPE:]NAME.METRIC=REL``, e.g. ``container.mean_wait_h=0.05``.

        Without a scope the name is looked up by :meth:`check`, terminals first, so
        ``port.calls`` means the port-wide figure unless a terminal is called ``port``
        (``port:port.calls`` then asks for the port's).
        """
        try:
            target, rel = text.split("=")
            scope, _, key = target.rpartition(":")
            name, metric = key.split(".", 1)
            value = float(rel)
            if scope and scope not in set(Scope):
                raise ValueError(scope)
        except ValueError:
            raise UsageError(
                f"--precision {text}: expected [SCOPE:]NAME.METRIC=SHARE, "
                "e.g. container.mean_wait_h=0.05 (SCOPE: one of "
                f"{', '.join(Scope)})"
            ) from None
        if not 0 < value < 1:
            raise UsageError(f"--precision {text}: the share must lie in (0, 1)")
        return cls(name, metric, value, max_reps, scope or "")

    def check(self, scenario: Scenario) -> Precision:
        """Refuse a name or metric the scenario does not report, before anything runs.

        Returns:
            The rule with its scope settled (a terminal of that name first).

        Raises:
            UsageError: Naming what is allowed.
        """
        names = kpi_names(scenario)
        rule = f"--precision {self.name}.{self.metric}={self.rel:g}"
        scopes = [self.scope] if self.scope else [s.value for s in Scope]
        found = [(s, self.name) for s in scopes if (s, self.name) in names]
        if not found:
            allowed = ", ".join(dict.fromkeys(n for _, n in names))
            raise UsageError(f"{rule}: unknown name '{self.name}' (allowed: {allowed})")
        key = found[0]
        if self.metric not in names[key]:
            raise UsageError(
                f"{rule}: {key[0]} {self.name} has no metric '{self.metric}' "
                f"(allowed: {', '.join(names[key])})"
            )
        return replace(self, scope=key[0])

    def met(self, replications: pd.DataFrame) -> bool:
        """Whether the interval is narrow enough."""
        sel = replications[
            (replications.scope == (self.scope or Scope.terminal.value))
            & (replications.name == self.name)
            & (replications.metric == self.metric)
        ]
        if sel.empty:
            raise UsageError(f"--precision: no metric {self.metric} of {self.name} in the results")
        mean, _, n, lo, hi = mean_ci(sel["value"].to_numpy())
        if n < 2 or math.isnan(lo):
            return False
        return (hi - lo) / 2 <= self.rel * abs(mean)


def kpi_names(scenario: Scenario) -> dict[tuple[str, str], list[str]]:
    """The metrics reported for each ``(scope, name)``, in order.

    Which KPIs exist depends on the scenario (yards, the shuttle, calibration targets), and
    the metrics module is their only source: they are read from a one-day simulation
    without warm-up, which costs a fraction of a replication.
    """
    from lygsim.simulation import simulate

    window = scenario.scenario.model_copy(
        update={"warmup_days": 0.0, "horizon_days": min(1.0, scenario.scenario.horizon_days)}
    )
    kpis = simulate(scenario.model_copy(update={"scenario": window})).kpis
    names: dict[tuple[str, str], list[str]] = {}
    for scope, name, metric in zip(kpis["scope"], kpis["name"], kpis["metric"], strict=True):
        names.setdefault((str(scope), str(name)), []).append(str(metric))
    return names


def run_experiment(
    scenario: Scenario,
    reps: int = 1,
    seed: int = 1,
    days: float | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    precision: Precision | None = None,
    progress: Callable[[int, int, Outcome | None], None] | None = None,
) -> ExperimentResult:
    """Run replications of ``scenario`` and summarise their KPIs.

    Args:
        scenario: The scenario.
        reps: Replications (>= 1); with ``precision``, the first batch.
        seed: The experiment's seed; replication ``r`` uses ``SeedSequence([seed, r])``.
        days: Horizon override in days.
        workers: Processes (default: all cores; 1 runs in this process).
        scheduler: A Dask scheduler address, or ``"local"`` for a local Dask cluster.
        out: Output folder; finished replications are stored under ``out/runs/`` and
            reused by later calls. Without it nothing is written and nothing reused.
        precision: Keep adding replications until this KPI is precise enough.
        progress: Called with ``(done, total, outcome)`` as replications finish
            (``outcome`` is None for one taken from the cache).

    Returns:
        The replications and their summary, in replication order whatever ran them.

    Raises:
        SimulationError: If any replication failed (the others are stored and reused).
    """
    if reps < 1:
        raise UsageError(f"reps must be >= 1 (got {reps})")
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise UsageError(f"workers must be >= 1 (got {workers})")
    out_path = Path(out) if out is not None else None
    name = scenario.scenario.name
    outcomes = _Kept()
    result = ExperimentResult(
        scenario,
        seed,
        pd.DataFrame(columns=REPLICATION_COLUMNS),
        pd.DataFrame(columns=SUMMARY_COLUMNS),
    )
    target = reps
    failures: list[str] = []
    if out_path is not None:
        # leftovers of killed runs; live processes' work in progress is left alone
        remove_stale(run_dir_for(out_path, scenario, seed, 0, days).parent)
    while True:
        wanted = [r for r in range(target) if r not in outcomes]
        tasks = []
        for r in wanted:
            run_dir = run_dir_for(out_path, scenario, seed, r, days) if out_path else None
            cached = load_cached(run_dir) if run_dir is not None else None
            if run_dir is not None:
                result.run_dirs[r] = run_dir
            if cached is not None:
                outcomes.add(cached)
                result.reused.append(r)
                if progress:
                    progress(len(outcomes), target, None)
                continue
            # a partial or corrupt entry is replaced when the new one is stored
            tasks.append(Task(scenario, seed, r, days, str(run_dir) if run_dir else None))
        for outcome in execute(tasks, workers, scheduler):
            if outcome.error is not None:
                failures.append(
                    f"scenario {name}, seed {seed}, replication {outcome.replication} failed: "
                    f"{outcome.error}"
                )
            else:
                outcomes.add(outcome)
                result.computed.append(outcome.replication)
            if progress:
                progress(len(outcomes) + len(failures), target, outcome)
        if failures:
            raise SimulationError("\n".join(failures))
        replications = outcomes.frame(name, seed)
        if precision is None or target >= precision.max_reps or precision.met(replications):
            break
        target = min(precision.max_reps, target + max(workers, 2))
    result.replications = replications[REPLICATION_COLUMNS]
    result.summary = summarise(result.replications)
    result.notes = outcomes.notes or []
    return result


def execute(tasks: Sequence[Task], workers: int, scheduler: str | None) -> Iterator[Outcome]:
    """Run replications on this process, the local pool or Dask; outcomes as they finish.

    Args:
        tasks: The replications (of any scenarios).
        workers: Processes (1 runs them in this process).
        scheduler: A Dask scheduler address, ``"local"``, or None for the local pool.
    """
    if not tasks:
        return iter(())
    if scheduler is not None:
        return run_dask(run_replication, tasks, scheduler, workers)
    if workers == 1 or len(tasks) == 1:
        return run_serial(run_replication, tasks)
    return run_pool(run_replication, tasks, workers)


__all__ = [
    "LOCAL_DASK",
    "ExperimentResult",
    "Precision",
    "Task",
    "execute",
    "kpi_names",
    "run_experiment",
    "run_replication",
    "summarise",
]
