"""The ``lygsim run`` and ``lygsim compare`` commands: experiments, files and printed tables."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lygsim.comparison import Comparison, compare
from lygsim.errors import UsageError
from lygsim.executors import LOCAL_DASK, default_workers
from lygsim.experiment import (
    LEVELS_FILE,
    VISITS_FILE,
    ExperimentResult,
    Outcome,
    Precision,
    run_experiment,
)
from lygsim.loader import load_scenario, scenario_hash, to_yaml
from lygsim.report import (
    atomic_path,
    comparison_table,
    kpi_table,
    manifest,
    write_csv,
    write_json,
    write_text,
)


class Progress:
    """A progress bar on a terminal; one line per stage otherwise; nothing with --quiet."""

    def __init__(self, quiet: bool, verbose: bool, stream: Any = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.verbose = verbose
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None

    def stage(self, text: str) -> None:
        """Announce a stage (not on a terminal bar, not when quiet)."""
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def start(self, label: str, total: int) -> None:
        """Start counting ``total`` replications."""
        if self.quiet or not self.tty:
            return
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: the pool forks a single-threaded parent
        self._bar = tqdm(total=total, desc=label, unit="rep", file=self.stream, leave=False)

    def update(self, done: int, total: int, outcome: Outcome | None, label: str = "") -> None:
        """One more replication done (``outcome`` None: taken from the cache)."""
        if self._bar is not None:
            self._bar.total = total
            self._bar.n = done
            self._bar.refresh()
        if self.verbose and not self.quiet:
            how = (
                "cached"
                if outcome is None
                else (f"failed: {outcome.error}" if outcome.error else f"{outcome.seconds:.2f} s")
            )
            rep = "" if outcome is None else f" replication {outcome.replication}"
            print(f"{label}{rep} done ({done}/{total}, {how})", file=self.stream, flush=True)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _check_common(args: argparse.Namespace) -> None:
    if args.reps < 1:
        raise UsageError(f"lygsim {args.command}: --reps must be >= 1 (got {args.reps})")
    if args.seed < 0:
        raise UsageError(f"lygsim {args.command}: --seed must be >= 0 (got {args.seed})")
    if args.days is not None and not args.days > 0:
        raise UsageError(f"lygsim {args.command}: --days must be > 0 (got {args.days})")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"lygsim {args.command}: --workers must be >= 1 (got {args.workers})")


def _executor_label(args: argparse.Namespace) -> str:
    workers = args.workers or default_workers()
    if args.scheduler == LOCAL_DASK:
        return f"a local Dask cluster of {workers} workers"
    if args.scheduler:
        return f"the Dask cluster at {args.scheduler}"
    return "this process" if workers == 1 else f"{workers} local processes"


def _out_dir(args: argparse.Namespace, default: str) -> Path:
    out = Path(args.out) if args.out else Path("results") / default
    if out.exists() and not out.is_dir():
        raise UsageError(f"lygsim {args.command}: --out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


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
    _check_common(args)
    scenario = load_scenario(args.scenario, args.overrides)
    if args.days is not None and args.days <= scenario.scenario.warmup_days:
        raise UsageError(
            f"lygsim run: --days {args.days:g} must exceed the warm-up "
            f"({scenario.scenario.warmup_days:g} days)"
        )
    precision = None
    if args.precision:
        precision = Precision.parse(args.precision, args.max_reps or 100)
    out = _out_dir(args, scenario.scenario.name)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    progress = Progress(args.quiet, args.verbose)
    name = scenario.scenario.name
    progress.stage(
        f"{name}: {args.reps} replication(s), seed {args.seed}, on {_executor_label(args)}"
    )
    progress.start(name, args.reps)
    try:
        result = run_experiment(
            scenario,
            args.reps,
            args.seed,
            args.days,
            workers=args.workers,
            scheduler=args.scheduler,
            out=out,
            precision=precision,
            progress=lambda d, t, o: progress.update(d, t, o, name),
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
    merge_visits(result, out / "visits.parquet")
    if 0 in result.run_dirs and (result.run_dirs[0] / LEVELS_FILE).is_file():
        with atomic_path(out / "levels.parquet") as tmp:
            shutil.copyfile(result.run_dirs[0] / LEVELS_FILE, tmp)
    write_csv(out / "summary.csv", result.summary)
    write_csv(out / "replications.csv", result.replications)
    write_text(out / "scenario.yaml", to_yaml(scenario))
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            scenario=name,
            scenario_file=str(args.scenario),
            scenario_hash=scenario_hash(scenario),
            overrides=list(args.overrides),
            seed=args.seed,
            replications=n,
            days=args.days,
            executor=_executor_label(args),
            computed=len(result.computed),
            reused=len(result.reused),
            started=started.isoformat(timespec="seconds"),
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    if not args.quiet:
        print(f"{name}: {n} replication(s), seed {args.seed} (mean of replications)")
        print(kpi_table(result.summary))
        print(f"results written to {out}/")
    return 0


def compare_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim compare``; returns the exit code."""
    _check_common(args)
    if args.reps < 2:
        raise UsageError("lygsim compare: --reps must be >= 2 for paired intervals")
    base = load_scenario(args.base, args.overrides)
    options = [load_scenario(p, args.overrides) for p in args.options]
    out = _out_dir(args, f"compare-{base.scenario.name}")
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    progress = Progress(args.quiet, args.verbose)
    progress.stage(
        f"compare {base.scenario.name} with {', '.join(o.scenario.name for o in options)}: "
        f"{args.reps} replications each, seed {args.seed}, on {_executor_label(args)}"
    )
    current = {"name": ""}

    def cb(name: str, done: int, total: int, outcome: Outcome | None) -> None:
        if current["name"] != name:
            progress.close()
            current["name"] = name
            progress.start(name, total)
        progress.update(done, total, outcome, name)

    try:
        result: Comparison = compare(
            base,
            options,
            args.reps,
            args.seed,
            args.days,
            workers=args.workers,
            scheduler=args.scheduler,
            out=out,
            progress=cb,
        )
    finally:
        progress.close()
    for r in (result.base, *result.options):
        write_csv(out / f"summary_{r.scenario.scenario.name}.csv", r.summary)
    write_csv(out / "comparison.csv", result.table)
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            base=base.scenario.name,
            options=[o.scenario.name for o in options],
            scenario_hashes={s.scenario.name: scenario_hash(s) for s in (base, *options)},
            overrides=list(args.overrides),
            seed=args.seed,
            replications=args.reps,
            days=args.days,
            executor=_executor_label(args),
            started=started.isoformat(timespec="seconds"),
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    if not args.quiet:
        print(comparison_table(result.table))
        print(f"results written to {out}/")
    return 0


ProgressFn = Callable[[int, int, Outcome | None], None]


def calibrate_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim calibrate``; returns the exit code."""
    from lygsim.calibrate import calibrate, calibrated_yaml, format_table, measure

    _check_common(args)
    if args.reps < 2:
        raise UsageError("lygsim calibrate: --reps must be >= 2 for intervals")
    scenario = load_scenario(args.scenario, args.overrides)
    name = scenario.scenario.name
    out = _out_dir(args, f"{name}/calibration")
    progress = Progress(args.quiet, args.verbose)
    kw = {"workers": args.workers, "scheduler": args.scheduler, "out": out}
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    if args.check:
        progress.stage(f"{name}: measuring the calibration targets, {args.reps} replications")
        table, _ = measure(scenario, args.reps, args.seed, **kw)
        written = None
    else:
        progress.stage(f"{name}: calibrating, {args.reps} replications per round")
        result = calibrate(
            scenario,
            args.reps,
            args.seed,
            progress=lambda i, t: progress.stage(
                f"round {i}: largest error {t['rel_error'].abs().max():.3%}"
            ),
            **kw,
        )
        table = result.table
        written = out / f"{name}_calibrated.yaml"
        write_text(
            written, calibrated_yaml(Path(args.scenario), written, result, args.reps, args.seed)
        )
    write_csv(out / "calibration.csv", table)
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            scenario=name,
            scenario_hash=scenario_hash(scenario),
            check=bool(args.check),
            seed=args.seed,
            replications=args.reps,
            started=started.isoformat(timespec="seconds"),
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    if not args.quiet:
        print(format_table(table))
        if written is not None:
            print(f"calibrated scenario: {written}")
        print(f"results written to {out}/")
    return 0
