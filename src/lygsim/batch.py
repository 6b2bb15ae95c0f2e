"""Replications of many scenarios in one batch, through the run cache.

A plan simulates dozens of scenarios (a year with the options open in it) with a few
replications each. :func:`lygsim.run_experiment` runs one scenario per call, and a local
Dask cluster would start for every call; :class:`RunStore` sends every missing
replication of every scenario asked for to the executor at once. Replications are stored
as ``run_experiment`` stores them (checksums, atomic publication), under
``runs/v<version>/<scenario hash>-plan/seed-S/rep-R`` and without their visits (a plan
reads only the KPIs and the ship hours; a year of the baseline's visits is megabytes), so
an interrupted batch resumes and a scenario asked for by several strategies or in several
batches is simulated once.
The KPIs and ship hours of each replication are kept in memory, keyed by scenario hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lygsim import __version__
from lygsim.errors import SimulationError
from lygsim.executors import default_workers
from lygsim.experiment import Outcome, Task, execute, load_cached, remove_stale
from lygsim.loader import scenario_hash
from lygsim.results import run_cache_dir
from lygsim.scenario import Scenario
from lygsim.scopes import KPI_KEYS
from lygsim.shiptime import SHIP_HOURS_COLUMNS, SHIP_HOURS_FILE, read_ship_hours_json

KpiKey = tuple[str, str, str, str]


PLAN_KEY = "-plan"
"""Suffix of the scenario key of the light entries a plan stores (KPIs and ship hours, no
visits): kept apart from ``lygsim run``'s full entries, which must have their visits."""


def plan_run_dir(out: Path, scenario: Scenario, seed: int, replication: int) -> Path:
    """Where a plan keeps a replication: ``runs/v<version>/<scenario hash>-plan/seed-S/rep-R``."""
    return run_cache_dir(
        out, __version__, scenario_hash(scenario) + PLAN_KEY, seed, replication, None
    )


class RunStore:
    """Replications of scenarios, computed once and kept: KPIs and ship hours.

    Args:
        out: The results folder whose ``runs/`` holds the cache.
        seed: The seed of every replication (common random numbers).
        workers: Processes (default all cores; 1 runs in this process).
        scheduler: A Dask scheduler address, ``"local"``, or None for the local pool.
        progress: Called with ``(done, total, outcome)`` as replications finish in a
            batch (``outcome`` None: taken from the cache).

    Attributes:
        computed: Replications simulated; ``reused``: taken from the cache.
    """

    def __init__(
        self,
        out: Path,
        seed: int,
        workers: int | None = None,
        scheduler: str | None = None,
        progress: Callable[[int, int, Outcome | None], None] | None = None,
    ):
        self.out = Path(out)
        self.seed = seed
        self.workers = default_workers() if workers is None else workers
        self.scheduler = scheduler
        self.progress = progress
        self.computed = 0
        self.reused = 0
        self.scenarios: dict[str, Scenario] = {}
        self._keys: dict[str, list[KpiKey]] = {}
        self._values: dict[str, dict[int, np.ndarray]] = {}
        self._hours: dict[str, dict[int, list[list[Any]]]] = {}
        self._frames: dict[tuple[str, int], pd.DataFrame] = {}

    def add(self, scenario: Scenario) -> str:
        """Register a scenario (nothing runs); returns its hash."""
        key = scenario_hash(scenario)
        if key not in self.scenarios:
            self.scenarios[key] = scenario
            self._values[key] = {}
            self._hours[key] = {}
            # leftovers of killed runs; live processes' work in progress is left alone
            remove_stale(plan_run_dir(self.out, scenario, self.seed, 0).parent)
        return key

    def has(self, key: str, reps: int) -> bool:
        """Whether replications ``0..reps-1`` of the scenario ``key`` are here."""
        done = self._values.get(key, {})
        return all(r in done for r in range(reps))

    def ensure(self, scenarios: Sequence[Scenario], reps: int, labels: Sequence[str] = ()) -> None:
        """Have replications ``0..reps-1`` of every scenario: cached, else simulated.

        Args:
            scenarios: The scenarios.
            reps: Replications of each.
            labels: What each scenario is, for a failure's message (default its name).

        Raises:
            SimulationError: One line per failed replication (the others are kept).
        """
        named = {}
        tasks: list[Task] = []
        where: dict[str, tuple[str, int]] = {}
        for i, sc in enumerate(scenarios):
            key = self.add(sc)
            named[key] = labels[i] if i < len(labels) else sc.scenario.name
            for r in range(reps):
                if r in self._values[key]:
                    continue
                run_dir = plan_run_dir(self.out, sc, self.seed, r)
                if str(run_dir) in where:
                    continue  # asked for twice in this batch
                cached = load_cached(run_dir)
                if cached is not None:
                    self._keep(key, cached, run_dir)
                    self.reused += 1
                    continue
                where[str(run_dir)] = (key, r)
                tasks.append(Task(sc, self.seed, r, None, str(run_dir), full=False))
        failures = []
        for done, outcome in enumerate(execute(tasks, self.workers, self.scheduler), 1):
            key, r = where[str(outcome.run_dir)]
            if outcome.error is not None:
                failures.append(
                    f"{named[key]}, seed {self.seed}, replication {r} failed: {outcome.error}"
                )
            else:
                self._keep(key, outcome, Path(str(outcome.run_dir)))
                self.computed += 1
            if self.progress is not None:
                self.progress(done, len(tasks), outcome)
        if failures:
            raise SimulationError("\n".join(failures))

    def _keep(self, key: str, outcome: Outcome, run_dir: Path) -> None:
        kpis = outcome.kpis
        assert kpis is not None
        keys: list[KpiKey] = list(zip(*(kpis[c].astype(str) for c in KPI_KEYS), strict=True))
        known = self._keys.setdefault(key, keys)
        if known != keys:
            raise SimulationError(
                f"{run_dir}: KPI rows differ from the scenario's other replications"
            )
        self._values[key][outcome.replication] = kpis["value"].to_numpy(dtype=float, copy=True)
        text = (run_dir / SHIP_HOURS_FILE).read_text(encoding="utf-8")
        self._hours[key][outcome.replication] = read_ship_hours_json(text)

    def kpi_keys(self, key: str) -> list[KpiKey]:
        """The KPI rows (scope, name, metric, unit) of a scenario's replications."""
        return self._keys[key]

    def kpi_values(self, key: str, reps: int) -> np.ndarray:
        """KPI values of replications ``0..reps-1``: one row per replication."""
        return np.vstack([self._values[key][r] for r in range(reps)])

    def kpis(self, key: str, reps: int) -> pd.DataFrame:
        """Replications ``0..reps-1`` as a long table: ``replication`` and the KPI columns."""
        keys = self._keys[key]
        values = self.kpi_values(key, reps)
        cols = {
            c: np.tile(np.asarray(v, dtype=object), reps)
            for c, v in zip(KPI_KEYS, zip(*keys, strict=True), strict=True)
        }
        return pd.DataFrame(
            {"replication": np.repeat(np.arange(reps), len(keys)), **cols, "value": values.ravel()}
        )

    def hours(self, key: str, reps: int) -> pd.DataFrame:
        """Ship hours of replications ``0..reps-1``: ``replication`` and the ship-hours columns."""
        cached = self._frames.get((key, reps))
        if cached is not None:
            return cached
        rows = [[r, *row] for r in range(reps) for row in self._hours[key][r]]
        frame = pd.DataFrame(rows, columns=["replication", *SHIP_HOURS_COLUMNS])
        self._frames[(key, reps)] = frame
        return frame


__all__ = ["PLAN_KEY", "RunStore", "plan_run_dir"]
