"""``lygsim run``: replications of one scenario, written as a results folder."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lygsim.commands import common
from lygsim.commands.common import Execution
from lygsim.commands.folder import default_folder
from lygsim.errors import UsageError
from lygsim.experiment import (
    FIRST_REPLICATION_FILES,
    VISITS_FILE,
    ExperimentResult,
    Precision,
    run_experiment,
)
from lygsim.loader import scenario_hash, to_yaml
from lygsim.report import (
    atomic_path,
    display_names,
    kpi_table,
    scenario_thresholds,
    write_csv,
    write_text,
)
from lygsim.scenario import Scenario


def merge_visits(result: ExperimentResult, path: Path) -> int:
    """Stream every replication's visits into one Parquet file; returns the row count."""
    rows = 0
    with atomic_path(path) as tmp:
        writer: pq.ParquetWriter | None = None
        try:
            for r in sorted(result.run_dirs):
                table = pq.read_table(result.run_dirs[r] / VISITS_FILE)
                # categories differ in order only if scenarios differ; store plain strings
                table = pa.Table.from_arrays(
                    [
                        c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c
                        for c in table.columns
                    ],
                    names=table.column_names,
                )
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
                rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


def run_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim run``; returns the exit code."""
    ex = common.begin(args, argv)
    (scenario,) = common.load_all(ex, [args.scenario])
    precision = None
    if args.precision:
        try:
            precision = Precision.parse(args.precision, args.max_reps or max(100, args.reps))
            precision = precision.check(scenario)
        except UsageError as exc:
            raise UsageError(f"lygsim run: {exc}") from None
    default = default_folder(scenario.scenario.name, args.overrides)
    with common.results_folder(ex, args.out, default, [(args.scenario, scenario)]) as out:
        run_into(out, scenario, str(args.scenario), ex, precision)
    return 0


def run_into(
    out: Path,
    scenario: Scenario,
    scenario_file: str,
    ex: Execution,
    precision: Precision | None = None,
) -> ExperimentResult:
    """Run a scenario's replications and write its results folder ``out``.

    Writes ``summary.csv``, ``replications.csv``, ``visits.parquet``, replication 0's
    levels, shuttle calls and berths, ``scenario.yaml``, the manifest and (with
    ``ex.figures``) the figures and the report; prints the KPI table unless quiet.

    Args:
        out: The results folder (it must exist and be writable).
        scenario: The scenario.
        scenario_file: Where it was read from (for the manifest).
        ex: Seed, replications, horizon, executor and what to print.
        precision: Add replications until this KPI is precise enough.

    Returns:
        The experiment.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    progress = ex.progress()
    name = scenario.scenario.name
    progress.stage(f"{name}: {ex.reps} replication(s), seed {ex.seed}, on {ex.executor}")
    progress.start(name, ex.reps)
    try:
        result = run_experiment(
            scenario,
            ex.reps,
            ex.seed,
            ex.days,
            out=out,
            precision=precision,
            progress=lambda d, t, o: progress.update(d, t, o, name),
            **ex.experiment,
        )
    finally:
        progress.close()
    n = len(result.run_dirs)
    progress.stage(
        f"{name}: {len(result.computed)} computed, {len(result.reused)} reused from "
        f"{out / 'runs'}; writing results"
    )
    for note in result.notes:
        print(f"warning: {note}", file=sys.stderr)

    def write() -> None:
        merge_visits(result, out / "visits.parquet")
        for file in FIRST_REPLICATION_FILES:
            if 0 in result.run_dirs and (result.run_dirs[0] / file).is_file():
                with atomic_path(out / file) as tmp:
                    shutil.copyfile(result.run_dirs[0] / file, tmp)
        write_csv(out / "summary.csv", result.summary)
        write_csv(out / "replications.csv", result.replications)
        write_text(out / "scenario.yaml", to_yaml(scenario))
        if ex.figures:
            progress.stage(f"{name}: figures and report")

    common.finish(
        out,
        ex,
        write,
        scenario=name,
        scenario_file=scenario_file,
        scenario_hash=scenario_hash(scenario),
        overrides=list(ex.overrides),
        replications=n,
        executor=ex.executor,
        computed=len(result.computed),
        reused=len(result.reused),
        started=started.isoformat(timespec="seconds"),
        run_time_s=common.elapsed(t0),
    )
    if not ex.quiet:
        print(f"{name}: {n} replication(s), seed {ex.seed} (mean of replications)")
        print(kpi_table(result.summary, scenario_thresholds(scenario), display_names(scenario)))
        print(f"results written to {out}/")
    return result
