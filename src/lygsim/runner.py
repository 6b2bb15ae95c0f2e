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

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lygsim.comparison import Comparison, compare
from lygsim.errors import UsageError
from lygsim.executors import LOCAL_DASK, default_workers
from lygsim.experiment import (
    LEVELS_FILE,
    SHUTTLE_CALLS_FILE,
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


def _check_common(args: argparse.Namespace, min_reps: int = 1) -> None:
    if args.reps < min_reps:
        why = " for intervals" if min_reps > 1 else ""
        raise UsageError(
            f"lygsim {args.command}: --reps must be >= {min_reps}{why} (got {args.reps})"
        )
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
    for fname in (LEVELS_FILE, SHUTTLE_CALLS_FILE):  # replication 0's, for the figures
        if 0 in result.run_dirs and (result.run_dirs[0] / fname).is_file():
            with atomic_path(out / fname) as tmp:
                shutil.copyfile(result.run_dirs[0] / fname, tmp)
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
    if getattr(args, "figures", True):
        progress.stage(f"{name}: figures and report")
        _figures(out, "run")
    if not args.quiet:
        print(f"{name}: {n} replication(s), seed {args.seed} (mean of replications)")
        print(kpi_table(result.summary))
        print(f"results written to {out}/")
    return 0


def compare_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim compare``; returns the exit code."""
    _check_common(args, min_reps=2)
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
    write_text(out / f"scenario_{base.scenario.name}.yaml", to_yaml(base))
    if getattr(args, "figures", True):
        _figures(out, "compare")
    if not args.quiet:
        print(comparison_table(result.table))
        print(f"results written to {out}/")
    return 0


ProgressFn = Callable[[int, int, Outcome | None], None]


def calibrate_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim calibrate``; returns the exit code."""
    from lygsim.calibrate import calibrate, calibrated_yaml, format_table, measure

    _check_common(args, min_reps=2)
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


def _sweep_all(args, scenarios, factors, reps, progress, out):  # type: ignore[no-untyped-def]
    from lygsim.capacity import sweep

    results = []
    for sc in scenarios:
        results.append(
            sweep(
                sc,
                factors,
                reps,
                args.seed,
                getattr(args, "terminal", None) or None,
                progress=lambda f, _n=sc.scenario.name: (
                    progress.stage(f"{_n}: demand factor {f:g}") if args.verbose else None
                ),
                workers=args.workers,
                scheduler=args.scheduler,
                out=out,
                days=getattr(args, "days", None),
            )
        )
    return results


def format_practical(practical: pd.DataFrame) -> str:
    """Practical capacity per terminal as a readable table."""
    lines = [
        f"{'terminal':<13}{'unit':<10}{'max W/S':>8}{'berths':>7}{'now':>15}"
        f"{'capacity':>15}{'95% interval':>32}{'headroom':>10}"
    ]

    def num(v: float) -> str:
        if v == float("inf"):
            return "beyond range"
        if v == float("-inf"):
            return "below range"
        return "-" if pd.isna(v) else f"{v:,.0f}"

    for r in practical.itertuples():
        ci = f"[{num(r.capacity_ci_low)}, {num(r.capacity_ci_high)}]"
        head = "-" if pd.isna(r.headroom) else f"{r.headroom:+.0%}"
        lines.append(
            f"{r.terminal:<13}{r.unit:<10}{r.threshold:>8.2f}{r.berths:>7}"
            f"{num(r.throughput_now):>15}{num(r.capacity):>15}{ci:>32}{head:>10}"
        )
    return "\n".join(lines)


def capacity_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim capacity``; returns the exit code."""
    from lygsim.capacity import parse_range, write_capacity

    _check_common(args, min_reps=2)
    factors = parse_range(args.demand)
    if 1.0 not in factors:
        factors = sorted({*factors, 1.0})
    scenario = load_scenario(args.scenario, args.overrides)
    name = scenario.scenario.name
    out = _out_dir(args, f"{name}/capacity")
    progress = Progress(args.quiet, args.verbose)
    progress.stage(
        f"{name}: demand sweep {factors[0]:g}..{factors[-1]:g} ({len(factors)} levels), "
        f"{args.reps} replications each, seed {args.seed}, on {_executor_label(args)}"
    )
    t0 = time.perf_counter()
    (result,) = _sweep_all(args, [scenario], factors, args.reps, progress, out)
    write_capacity(result, out)
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            scenario=name,
            scenario_hash=scenario_hash(scenario),
            seed=args.seed,
            replications=args.reps,
            demand=args.demand,
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    if getattr(args, "figures", True):
        _figures(out, "capacity")
    if not args.quiet:
        print(f"{name}: practical capacity (annual throughput at which W/S reaches its threshold)")
        print(format_practical(result.practical))
        print(f"results written to {out}/")
    return 0


def horizon_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim horizon``; returns the exit code."""
    from lygsim.capacity import describe_horizon, horizon_years, parse_range

    _check_common(args, min_reps=2)
    factors = sorted({*parse_range(args.demand), 1.0})
    base = load_scenario(args.scenario, args.overrides)
    options = [load_scenario(p, args.overrides) for p in args.options]
    out = _out_dir(args, f"{base.scenario.name}/horizon")
    progress = Progress(args.quiet, args.verbose)
    progress.stage(
        f"horizon to {args.until}: {', '.join(s.scenario.name for s in (base, *options))}; "
        f"{len(factors)} demand levels x {args.reps} replications each"
    )
    t0 = time.perf_counter()
    results = _sweep_all(args, [base, *options], factors, args.reps, progress, out)
    tables = [horizon_years(r.scenario, r.practical, args.until) for r in results]
    table = pd.concat(tables, ignore_index=True)
    write_csv(out / "horizon.csv", table)
    for r in results:
        write_csv(out / f"practical_capacity_{r.scenario.scenario.name}.csv", r.practical)
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            scenarios=[s.scenario.name for s in (base, *options)],
            seed=args.seed,
            replications=args.reps,
            demand=args.demand,
            until=args.until,
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    if not args.quiet:
        for line in describe_horizon(table, args.until):
            print(line)
        print(f"results written to {out}/")
    return 0


def _figures(out: Path, kind: str) -> list[Path]:
    """Write the figures and the HTML report of a results folder, if plotting is available."""
    try:
        from lygsim import html_report, plots
    except ImportError:  # pragma: no cover - plotting not installed
        return []
    maker = {
        "run": getattr(plots, "figures_for_run", None),
        "compare": getattr(plots, "figures_for_compare", None),
        "capacity": getattr(plots, "figures_for_capacity", None),
        "study": getattr(plots, "figures_for_study", None),
    }.get(kind)
    paths = maker(out) if maker is not None else []
    if hasattr(html_report, "write_report"):
        html_report.write_report(out)
    return paths


def study_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim study``; returns the exit code."""
    from lygsim.capacity import describe_horizon, horizon_years, parse_range
    from lygsim.study import load_study, study_yaml

    study, base_path, option_paths = load_study(args.study)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"lygsim study: --workers must be >= 1 (got {args.workers})")
    root = Path(args.out) if args.out else Path("results")
    progress = Progress(args.quiet, args.verbose)
    t0 = time.perf_counter()
    # 1. the base as a full results folder
    run_args = argparse.Namespace(
        command="run",
        scenario=str(base_path),
        overrides=list(args.overrides),
        seed=study.seed,
        reps=study.reps,
        days=study.days,
        workers=args.workers,
        scheduler=args.scheduler,
        out=None,
        precision=None,
        max_reps=None,
        quiet=True,
        verbose=False,
    )
    base = load_scenario(base_path, args.overrides)
    run_args.out = root / base.scenario.name
    progress.stage(f"study {study.name}: base {base.scenario.name}, {study.reps} replications")
    run_command(run_args, argv)
    # 2. paired comparison of every option with the base
    out = root / study.name
    out.mkdir(parents=True, exist_ok=True)
    options = [load_scenario(p, args.overrides) for p in option_paths]
    progress.stage(f"study {study.name}: comparing {len(options)} options")
    cmp = compare(
        base,
        options,
        study.reps,
        study.seed,
        study.days,
        workers=args.workers,
        scheduler=args.scheduler,
        out=out,
    )
    write_csv(out / "comparison.csv", cmp.table)
    # 3. capacity of every scenario, and what each option gains
    factors = sorted({*parse_range(study.demand), 1.0})
    progress.stage(
        f"study {study.name}: demand sweeps, {len(factors)} levels x {study.capacity_reps} "
        f"replications x {1 + len(options)} scenarios"
    )
    sweep_args = argparse.Namespace(
        seed=study.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        days=study.days,
        verbose=args.verbose,
        terminal=None,
    )
    results = _sweep_all(sweep_args, [base, *options], factors, study.capacity_reps, progress, out)
    curves, practical = [], []
    for r in results:
        curves.append(r.curve.assign(scenario=r.scenario.scenario.name))
        practical.append(r.practical.assign(scenario=r.scenario.scenario.name))
    curve = pd.concat(curves, ignore_index=True)
    pract = pd.concat(practical, ignore_index=True)
    write_csv(out / "capacity.csv", curve[["scenario", *curve.columns[:-1]]])
    write_csv(out / "practical_capacity.csv", pract[["scenario", *pract.columns[:-1]]])
    base_cap = results[0].practical.set_index("terminal")
    gained = []
    for r in results[1:]:
        for row in r.practical.itertuples():
            b = base_cap.loc[row.terminal, "capacity"]
            gained.append(
                (
                    r.scenario.scenario.name,
                    row.terminal,
                    row.unit,
                    b,
                    row.capacity,
                    row.capacity - b,
                    (row.capacity - b) / b if b else float("nan"),
                )
            )
    gained_df = pd.DataFrame(
        gained,
        columns=[
            "option",
            "terminal",
            "unit",
            "base_capacity",
            "option_capacity",
            "gained",
            "gained_share",
        ],
    )
    write_csv(out / "capacity_gained.csv", gained_df)
    # 4. the year each terminal reaches its threshold
    horizon = pd.concat(
        [horizon_years(r.scenario, r.practical, study.until) for r in results], ignore_index=True
    )
    write_csv(out / "horizon.csv", horizon)
    write_text(out / "study.yaml", study_yaml(study))
    write_json(
        out / "manifest.json",
        manifest(
            command=" ".join(shlex.quote(a) for a in argv),
            study=study.name,
            base=base.scenario.name,
            options=[o.scenario.name for o in options],
            scenario_hashes={s.scenario.name: scenario_hash(s) for s in (base, *options)},
            seed=study.seed,
            replications=study.reps,
            capacity_replications=study.capacity_reps,
            demand=study.demand,
            until=study.until,
            run_time_s=round(time.perf_counter() - t0, 3),
        ),
    )
    _figures(root / base.scenario.name, "run")
    _figures(out, "study")
    if not args.quiet:
        print(comparison_table(cmp.table))
        print()
        print("practical capacity gained (annual throughput at the W/S threshold):")
        for g in gained_df.itertuples():
            if pd.notna(g.gained) and g.gained != 0 and abs(g.gained_share) > 0.005:
                print(
                    f"  {g.option}: {g.terminal} {g.gained:+,.0f} {g.unit} ({g.gained_share:+.0%})"
                )
        print()
        for line in describe_horizon(horizon, study.until):
            print(line)
        print(f"results written to {out}/ and {root / base.scenario.name}/")
    return 0


def report_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim report DIR``: figures and the HTML report of a results folder."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"lygsim report: {folder} is not a folder")
    kind = (
        "study"
        if (folder / "study.yaml").is_file()
        else "compare"
        if (folder / "comparison.csv").is_file()
        else "capacity"
        if (folder / "capacity.csv").is_file()
        else "run"
        if (folder / "summary.csv").is_file()
        else None
    )
    if kind is None:
        raise UsageError(
            f"lygsim report: {folder} holds no lygsim results (summary.csv, comparison.csv "
            "or capacity.csv)"
        )
    _figures(folder, kind)
    print(f"{folder / 'report.html'}")
    return 0
