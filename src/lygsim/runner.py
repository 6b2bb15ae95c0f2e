"""The ``lygsim run`` command: replications, output files and the printed KPI table."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lygsim.errors import UsageError
from lygsim.experiment import run_experiment
from lygsim.loader import load_scenario, scenario_hash, to_yaml
from lygsim.report import kpi_table, manifest, write_csv, write_json, write_text
from lygsim.simulation import RunResult


def run_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim run`` with parsed arguments; returns the exit code."""
    if args.reps < 1:
        raise UsageError(f"lygsim run: --reps must be >= 1 (got {args.reps})")
    if args.seed < 0:
        raise UsageError(f"lygsim run: --seed must be >= 0 (got {args.seed})")
    if args.days is not None and not args.days > 0:
        raise UsageError(f"lygsim run: --days must be > 0 (got {args.days})")
    scenario = load_scenario(args.scenario, args.overrides)
    out = Path(args.out) if args.out else Path("results") / scenario.scenario.name
    if out.exists() and not out.is_dir():
        raise UsageError(f"lygsim run: --out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.perf_counter()

    visits_path = out / "visits.parquet"
    tmp_visits = out / ".visits.parquet.partial"
    writer: list[pq.ParquetWriter] = []

    def on_result(result: RunResult) -> None:
        df = result.visits.assign(replication=result.replication)
        df["ship_class"] = df["ship_class"].astype(str)
        df["terminal"] = df["terminal"].astype(str)
        table = pa.Table.from_pandas(df, preserve_index=False)
        if not writer:
            writer.append(pq.ParquetWriter(tmp_visits, table.schema))
        writer[0].write_table(table)

    def progress(done: int, total: int) -> None:
        if total > 1:
            print(f"replication {done}/{total} done", file=sys.stderr)

    try:
        result = run_experiment(
            scenario,
            reps=args.reps,
            seed=args.seed,
            days=args.days,
            on_result=on_result,
            progress=progress,
        )
    finally:
        if writer:
            writer[0].close()
    tmp_visits.replace(visits_path)
    for note in result.notes:
        print(f"warning: {note}", file=sys.stderr)
    write_csv(out / "summary.csv", result.summary)
    write_csv(out / "replications.csv", result.replications)
    write_text(out / "scenario.yaml", to_yaml(scenario))
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            scenario=scenario.scenario.name,
            scenario_file=str(args.scenario),
            scenario_hash=scenario_hash(scenario),
            overrides=list(args.overrides),
            seed=args.seed,
            replications=args.reps,
            days=args.days,
            started=started.isoformat(timespec="seconds"),
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    print(f"{scenario.scenario.name}: {args.reps} replication(s), seed {args.seed}")
    print(kpi_table(result.summary))
    print(f"results written to {out}/")
    return 0
