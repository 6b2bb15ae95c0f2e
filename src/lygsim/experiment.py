"""Replications of a scenario and their summary.

Replication ``r`` uses seed sequence ``[seed, r]``. Each finished replication's KPIs are
kept in memory (small) and its visits are streamed to one Parquet file by the caller's
``on_visits`` callback, so memory does not grow with the number of replications.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from lygsim.errors import SimulationError
from lygsim.scenario import Scenario
from lygsim.simulation import RunResult, simulate
from lygsim.stats import mean_ci

SUMMARY_COLUMNS = [
    "scenario",
    "terminal",
    "metric",
    "unit",
    "mean",
    "std",
    "n",
    "ci_low",
    "ci_high",
]
REPLICATION_COLUMNS = ["scenario", "replication", "seed", "terminal", "metric", "unit", "value"]


@dataclass
class ExperimentResult:
    """Replications of one scenario.

    Attributes:
        scenario: The scenario.
        seed: The experiment's seed.
        replications: KPIs of every replication (``REPLICATION_COLUMNS``).
        summary: Mean, std, n and a 95% Student-t interval per KPI (``SUMMARY_COLUMNS``).
        notes: Warnings about settings the model did not act on.
    """

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def summarise(replications: pd.DataFrame) -> pd.DataFrame:
    """Summary rows (mean, std, n, 95% CI) from a replications table."""
    rows = []
    keys = ["scenario", "terminal", "metric", "unit"]
    for key, grp in replications.groupby(keys, sort=False, observed=True):
        mean, std, n, lo, hi = mean_ci(grp["value"].to_numpy())
        rows.append((*key, mean, std, n, lo, hi))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def run_experiment(
    scenario: Scenario,
    reps: int = 1,
    seed: int = 1,
    days: float | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExperimentResult:
    """Run ``reps`` replications of ``scenario`` and summarise their KPIs.

    Args:
        scenario: The scenario.
        reps: Number of replications (>= 1).
        seed: The experiment's seed.
        days: Horizon override in days.
        on_result: Called with each replication's result (e.g. to write its visits).
        progress: Called with ``(done, total)`` after each replication.

    Raises:
        SimulationError: Naming the scenario, seed and replication that failed.
    """
    frames = []
    notes: list[str] = []
    name = scenario.scenario.name
    for r in range(reps):
        try:
            result = simulate(scenario, seed=seed, replication=r, days=days)
        except Exception as exc:  # report which run failed, with the cause
            raise SimulationError(
                f"scenario {name}, seed {seed}, replication {r} failed: {type(exc).__name__}: {exc}"
            ) from exc
        notes = result.notes
        k = result.kpis
        frames.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "replication": r,
                    "seed": seed,
                    "terminal": k["terminal"],
                    "metric": k["metric"],
                    "unit": k["unit"],
                    "value": k["value"],
                }
            )
        )
        if on_result is not None:
            on_result(result)
        if progress is not None:
            progress(r + 1, reps)
    replications = pd.concat(frames, ignore_index=True)[REPLICATION_COLUMNS]
    return ExperimentResult(scenario, seed, replications, summarise(replications), notes)
