"""Paired comparisons of scenarios run with common random numbers.

Every scenario runs replications ``0..n-1`` with the same seed, so replication ``r`` of the
base and of an option see the same ships and the same weather; the difference of a KPI is
taken replication by replication and its interval comes from those paired differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lygsim.errors import UsageError
from lygsim.experiment import ExperimentResult, Outcome, run_experiment
from lygsim.scenario import Scenario
from lygsim.scopes import KPI_KEYS
from lygsim.stats import paired_ci

COMPARISON_COLUMNS = [
    *KPI_KEYS,
    "base_mean",
    "option",
    "option_mean",
    "delta",
    "delta_ci_low",
    "delta_ci_high",
    "rel_change",
    "significant",
]


@dataclass
class Comparison:
    """A base scenario against options.

    Attributes:
        base: The base scenario's experiment.
        options: Each option's experiment, in the order given.
        table: Paired differences (``COMPARISON_COLUMNS``), one row per option and KPI.
    """

    base: ExperimentResult
    options: list[ExperimentResult]
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COMPARISON_COLUMNS))


def paired_table(base: pd.DataFrame, option: pd.DataFrame, option_name: str) -> pd.DataFrame:
    """Paired differences of every KPI present in both replication tables."""
    keys = KPI_KEYS

    def wide(df: pd.DataFrame) -> pd.DataFrame:
        # one row per KPI, one column per replication, KPIs in order of first appearance
        return (
            df.set_index([*keys, "replication"])["value"]
            .unstack("replication")
            .reindex(pd.MultiIndex.from_frame(df[keys].drop_duplicates()))
        )

    a, b = wide(base), wide(option)
    reps = sorted(set(a.columns) & set(b.columns))
    rows = []
    for key in a.index:
        if key not in b.index:
            continue
        x = a.loc[key, reps].to_numpy(dtype=float)
        y = b.loc[key, reps].to_numpy(dtype=float)
        base_mean = float(pd.Series(x).mean())
        option_mean = float(pd.Series(y).mean())
        delta, _, n, lo, hi = paired_ci(x, y)
        rel = delta / base_mean if base_mean and not math.isnan(base_mean) else math.nan
        significant = bool(n >= 2 and not math.isnan(lo) and (lo > 0 or hi < 0))
        rows.append((*key, base_mean, option_name, option_mean, delta, lo, hi, rel, significant))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def check_comparable(
    base: Scenario,
    options: Sequence[Scenario],
    days: float | None = None,
    sources: Sequence[str] | None = None,
) -> None:
    """Refuse options that cannot be paired with the base.

    Paired differences compare replication ``r`` of the base with replication ``r`` of an
    option, the same ships on the same calendar; they mean nothing if the two observe
    different windows. The start date, the warm-up and the horizon must therefore match
    (the horizon may differ if ``days`` overrides it for all of them), and names must
    differ, since results are stored by name.

    Args:
        base: The base scenario.
        options: The options.
        days: A horizon override applied to every scenario, if any.
        sources: How to name each option in messages (e.g. its file; default its name).

    Raises:
        UsageError: One line naming the option and the field that differs.
    """
    if not options:
        raise UsageError("compare needs at least one option")
    names = [base.scenario.name, *(o.scenario.name for o in options)]
    if len(set(names)) != len(names):
        raise UsageError(f"compare: scenario names must differ (got {', '.join(names)})")
    fields = ["start_date", "warmup_days"] + ([] if days is not None else ["horizon_days"])
    for i, option in enumerate(options):
        label = sources[i] if sources is not None else f"option {option.scenario.name}"
        for name in fields:
            mine, theirs = getattr(option.scenario, name), getattr(base.scenario, name)
            if mine != theirs:
                fix = "" if name != "horizon_days" else " (or give --days for all)"
                raise UsageError(
                    f"{label}: scenario.{name} is {mine}, the base's is {theirs}: paired "
                    "differences need the same start date, warm-up and horizon" + fix
                )


def compare(
    base: Scenario,
    options: Sequence[Scenario],
    reps: int = 10,
    seed: int = 1,
    days: float | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: Callable[[str, int, int, Outcome | None], None] | None = None,
) -> Comparison:
    """Run the base and every option with the same seeds and compare them pairwise.

    Args:
        base: The base scenario.
        options: The options (at least one), each with its own ``scenario.name``.
        reps: Replications per scenario (>= 2 for intervals).
        seed: The common seed.
        days: Horizon override in days.
        workers: Processes (default all cores; 1 in this process).
        scheduler: A Dask scheduler address, or ``"local"``.
        out: Folder whose ``runs/`` keeps finished replications (reused on re-runs).
        progress: Called with ``(scenario name, done, total, outcome)``.

    Raises:
        UsageError: If the options cannot be paired with the base (see
            :func:`check_comparable`).
    """
    check_comparable(base, options, days)

    def run(sc: Scenario) -> ExperimentResult:
        cb = None
        if progress is not None:

            def cb(done: int, total: int, o: Outcome | None, _n: str = sc.scenario.name) -> None:
                progress(_n, done, total, o)

        return run_experiment(
            sc, reps, seed, days, workers=workers, scheduler=scheduler, out=out, progress=cb
        )

    base_result = run(base)
    option_results = [run(o) for o in options]
    tables = [
        paired_table(base_result.replications, r.replications, r.scenario.scenario.name)
        for r in option_results
    ]
    return Comparison(base_result, option_results, pd.concat(tables, ignore_index=True))


__all__ = ["COMPARISON_COLUMNS", "Comparison", "check_comparable", "compare", "paired_table"]
