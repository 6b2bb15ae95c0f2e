"""The ``lygsim run`` and ``lygsim compare`` commands: experiments, files and printed tables."""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lygsim.comparison import Comparison, check_comparable, compare
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
    scenario_thresholds,
    write_csv,
    write_json,
    write_text,
)
from lygsim.scenario import MAX_HORIZON_DAYS, Scenario


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


MAX_REPS = 10_000  # replications per scenario; more is a typo, not a study


def _check_common(args: argparse.Namespace, min_reps: int = 1) -> None:
    cmd = f"lygsim {args.command}"
    if args.reps < min_reps:
        why = " for intervals" if min_reps > 1 else ""
        raise UsageError(f"{cmd}: --reps must be >= {min_reps}{why} (got {args.reps})")
    if args.reps > MAX_REPS:
        raise UsageError(f"{cmd}: --reps must be <= {MAX_REPS:,} (got {args.reps:,})")
    if args.seed < 0:
        raise UsageError(f"{cmd}: --seed must be >= 0 (got {args.seed})")
    if args.days is not None and not (
        math.isfinite(args.days) and 0 < args.days <= MAX_HORIZON_DAYS
    ):
        raise UsageError(
            f"{cmd}: --days must be > 0 and <= {MAX_HORIZON_DAYS:g} (got {args.days:g})"
        )
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"{cmd}: --workers must be >= 1 (got {args.workers})")
    max_reps = getattr(args, "max_reps", None)
    if max_reps is not None:
        if not getattr(args, "precision", None):
            raise UsageError(f"{cmd}: --max-reps only applies with --precision")
        if not args.reps <= max_reps <= MAX_REPS:
            raise UsageError(
                f"{cmd}: --max-reps must be >= --reps ({args.reps}) and <= {MAX_REPS:,} "
                f"(got {max_reps})"
            )


def _check_days(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> None:
    """``--days`` must leave an observation window after every scenario's warm-up."""
    if args.days is None:
        return
    for sc in scenarios:
        if args.days <= sc.scenario.warmup_days:
            raise UsageError(
                f"lygsim {args.command}: --days {args.days:g} must exceed the warm-up of "
                f"{sc.scenario.name} ({sc.scenario.warmup_days:g} days)"
            )


def _warn_implausible(scenarios: Sequence[tuple[str, Scenario]]) -> None:
    """Print the scenario's plausibility warnings (unit slips and the like) before a run.

    Printed even with --quiet: a warning is not progress.
    """
    from lygsim import loader

    check = getattr(loader, "plausibility_warnings", None)
    if check is None:  # pragma: no cover - older loaders have no such check
        return
    for path, sc in scenarios:
        for problem in check(sc):
            text = str(problem)
            if not text.startswith(str(path)):
                text = f"{path}: {text}"
            print(f"warning: {text}", file=sys.stderr)


def overrides_tag(overrides: Sequence[str]) -> str:
    """A short hash of a set of ``--set`` overrides (8 hex digits), independent of order."""
    text = "\n".join(sorted(overrides))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def default_folder(name: str, overrides: Sequence[str]) -> str:
    """The default results folder name: ``name``, or ``name-<hash>`` with overrides.

    A run with ``--set`` and no ``--out`` must not overwrite the results of the scenario as
    written (often committed): the overrides get their own folder.
    """
    return f"{name}-{overrides_tag(overrides)}" if overrides else name


def _executor_label(args: argparse.Namespace) -> str:
    workers = args.workers or default_workers()
    if args.scheduler == LOCAL_DASK:
        return f"a local Dask cluster of {workers} workers"
    if args.scheduler:
        return f"the Dask cluster at {args.scheduler}"
    return "this process" if workers == 1 else f"{workers} local processes"


def _why(exc: OSError, path: Path) -> str:
    """What an OSError on ``path`` means, in words."""
    import errno

    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        for parent in [path, *path.parents]:
            try:
                if parent.is_symlink() and not parent.exists():
                    return f"{parent} is a link to nothing"
                if os.path.lexists(parent) and not parent.is_dir():
                    return f"{parent} is a file, not a folder"
            except OSError:
                continue
    if exc.errno == errno.ENAMETOOLONG:
        return "a name in the path is longer than the file system allows"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return (exc.strerror or str(exc)).lower()


def _out_path(args: argparse.Namespace, default: str) -> Path:
    if args.out:
        return Path(args.out)
    out = Path("results") / default
    if getattr(args, "overrides", None) and not getattr(args, "quiet", False):
        print(
            f"no --out: writing to {out}/ (a folder of its own for these --set overrides)",
            file=sys.stderr,
        )
    return out


def prepare_folder(out: Path, label: str) -> list[Path]:
    """Create the output folder if needed and check that files can be written in it.

    Writability is tested by writing a probe file, not by permission bits, which do not
    bind every user (root) nor describe every file system.

    Args:
        out: The folder.
        label: What the folder is, for messages (e.g. ``lygsim run: --out DIR``).

    Returns:
        The folders created, outermost first.

    Raises:
        UsageError: One line naming the folder and what is wrong.
    """
    created: list[Path] = []
    try:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{label}: exists and is not a folder")
        created = [p for p in (out, *out.parents) if not os.path.lexists(p)][::-1]
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_created(created)
        raise UsageError(f"{label}: cannot create the folder: {_why(exc, out)}") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".lygsim-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        _remove_created(created)
        raise UsageError(f"{label}: cannot write in the folder: {_why(exc, out)}") from None
    return created


def _remove_created(created: Sequence[Path]) -> None:
    """Remove the folders a failed command created, if nothing was written in them."""
    if not created:
        return
    top = created[0]
    if not top.is_dir():
        return
    if any(not p.is_dir() for p in top.rglob("*")):
        return  # finished replications are kept for the next run to reuse
    shutil.rmtree(top, ignore_errors=True)


@contextmanager
def output_folder(args: argparse.Namespace, default: str) -> Iterator[Path]:
    """The command's output folder: checked before anything runs, removed on failure.

    Call it once the arguments and scenarios are valid, so a refused command leaves no
    folder behind; a folder this command created is removed again if the command fails
    before writing any file in it.
    """
    out = _out_path(args, default)
    created = prepare_folder(out, f"lygsim {args.command}: --out {out}")
    try:
        yield out
    except BaseException:
        _remove_created(created)
        raise


# report.atomic_path's temporary names: "." + the file's name + "." + 8 random characters
_ATOMIC_TMP = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")
LOCK_FILE = "runs/.lock"  # beside the replications, so a results folder lists no extra file


@contextmanager
def writing(out: Path, started: float) -> Iterator[None]:
    """Hold the folder's lock while the results files are merged and written.

    Commands writing into one folder at once then write their tables, figures and report
    one after the other. Stale temporary files (``.NAME.XXXX.tmp``, left by a killed
    command) older than ``started`` are removed first: under the lock no live command is
    writing any.
    """
    from filelock import FileLock

    lock = out / LOCK_FILE
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock):
        remove_stale_temporaries(out, started)
        yield


def remove_stale_temporaries(out: Path, before: float) -> list[Path]:
    """Remove atomic-write leftovers in ``out`` and ``out/figures`` older than ``before``.

    Only names of the form the atomic writer uses (``.NAME.XXXXXXXX.tmp``) are touched.

    Returns:
        The files removed.
    """
    removed = []
    for folder in (out, out / "figures"):
        for path in folder.glob(".*.tmp"):
            try:
                if (
                    _ATOMIC_TMP.fullmatch(path.name)
                    and path.is_file()
                    and path.stat().st_mtime < before
                ):
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue
    return removed


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
    started_at = time.time()
    _check_common(args)
    scenario = load_scenario(args.scenario, args.overrides)
    _check_days(args, [scenario])
    precision = None
    if args.precision:
        try:
            precision = Precision.parse(args.precision, args.max_reps or max(100, args.reps))
            precision.check(scenario)
        except UsageError as exc:
            raise UsageError(f"lygsim run: {exc}") from None
    name = scenario.scenario.name
    with output_folder(args, default_folder(name, args.overrides)) as out:
        _warn_implausible([(args.scenario, scenario)])
        _run_into(args, argv, scenario, precision, out, started_at)
    return 0


def _run_into(
    args: argparse.Namespace,
    argv: Sequence[str],
    scenario: Scenario,
    precision: Precision | None,
    out: Path,
    started_at: float,
) -> None:
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
    with writing(out, started_at):
        merge_visits(result, out / "visits.parquet")
        for file in (LEVELS_FILE, SHUTTLE_CALLS_FILE):  # replication 0's, for the figures
            if 0 in result.run_dirs and (result.run_dirs[0] / file).is_file():
                with atomic_path(out / file) as tmp:
                    shutil.copyfile(result.run_dirs[0] / file, tmp)
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
        print(kpi_table(result.summary, scenario_thresholds(scenario)))
        print(f"results written to {out}/")


def compare_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim compare``; returns the exit code."""
    started_at = time.time()
    _check_common(args, min_reps=2)
    base = load_scenario(args.base, args.overrides)
    options = [load_scenario(p, args.overrides) for p in args.options]
    _check_days(args, [base, *options])
    check_comparable(base, options, args.days, [str(p) for p in args.options])
    folder = "compare-" + default_folder(base.scenario.name, args.overrides)
    with output_folder(args, folder) as out:
        _warn_implausible([(args.base, base), *zip(args.options, options, strict=True)])
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
        with writing(out, started_at):
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
    """Carry out ``lygsim calibrate``; returns the exit code.

    ``--days`` replaces the scenario's horizon; a target whose period then falls outside
    the observation window is refused (its figure is for a calendar period).
    """
    from lygsim.calibrate import (
        calibrate,
        calibrated_yaml,
        format_rounds,
        format_table,
        measure,
        round_line,
    )

    started_at = time.time()
    _check_common(args, min_reps=2)
    scenario = load_scenario(args.scenario, args.overrides)
    _check_days(args, [scenario])
    if args.days is not None:
        _check_days_cover_targets(args.days, scenario)
        window = scenario.scenario.model_copy(update={"horizon_days": args.days})
        scenario = scenario.model_copy(update={"scenario": window})
    name = scenario.scenario.name
    with output_folder(args, f"{default_folder(name, args.overrides)}/calibration") as out:
        _warn_implausible([(args.scenario, scenario)])
        progress = Progress(args.quiet, args.verbose)
        kw = {"workers": args.workers, "scheduler": args.scheduler, "out": out}
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        if args.check:
            progress.stage(f"{name}: measuring the calibration targets, {args.reps} replications")
            table, _ = measure(scenario, args.reps, args.seed, **kw)
            written = None
            rounds = ""
        else:
            progress.stage(
                f"{name}: calibrating, at least {args.reps} replications per round (more until "
                "each target's estimate is precise enough)"
            )
            result = calibrate(
                scenario,
                args.reps,
                args.seed,
                progress=lambda i, t: progress.stage(round_line(i, t)),
                **kw,
            )
            table = result.table
            written = out / f"{name}_calibrated.yaml"
            rounds = format_rounds(result)
        with writing(out, started_at):
            if written is not None:
                write_text(
                    written,
                    calibrated_yaml(Path(args.scenario), written, result, args.reps, args.seed),
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
                    days=args.days,
                    started=started.isoformat(timespec="seconds"),
                    run_time_s=round(time.perf_counter() - t0, 3),
                ),
            )
    if not args.quiet:
        print(format_table(table))
        if written is not None:
            print(rounds)
            print(f"calibrated scenario: {written}")
        print(f"results written to {out}/")
    return 0


def _check_days_cover_targets(days: float, scenario: Scenario) -> None:
    """Refuse a ``--days`` that ends the simulation before a calibration period ends.

    A target is a figure for a calendar period: a shorter horizon cannot measure it.
    """
    import datetime as dt

    from lygsim.targets import period_h

    for name, t in scenario.calibration.targets.items():
        if t.figure == "shuttle_capacity_teu":  # follows from the timetable, not the horizon
            continue
        _, end_h = period_h(scenario, t.period.start, t.period.end)
        if end_h > days * 24.0:
            last = scenario.scenario.start_date + dt.timedelta(days=math.ceil(days) - 1)
            raise UsageError(
                f"lygsim calibrate: --days {days:g} ends the simulation on {last}, before the "
                f"end of calibration.targets.{name}.period ({t.period.end}); "
                f"--days must be at least {math.ceil(end_h / 24.0)}"
            )


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
        f"{'terminal':<13}{'unit':<10}{'max W/S':>8}{'max occ':>8}{'berths':>7}{'now':>15}"
        f"{'capacity':>15}{'95% interval':>32}{'headroom':>10}  binding"
    ]
    binding_names = {"wait_service_ratio": "W/S", "occupancy": "occupancy", "none": "-"}

    def num(v: float) -> str:
        if v == float("inf"):
            return "beyond range"
        if v == float("-inf"):
            return "below range"
        return "-" if pd.isna(v) else f"{v:,.0f}"

    for r in practical.itertuples():
        ci = f"[{num(r.capacity_ci_low)}, {num(r.capacity_ci_high)}]"
        head = "-" if pd.isna(r.headroom) else f"{r.headroom:+.0%}"
        occ = getattr(r, "max_occupancy", float("nan"))
        binding = binding_names.get(str(getattr(r, "binding", "none")), "-")
        lines.append(
            f"{r.terminal:<13}{r.unit:<10}{r.threshold:>8.2f}{occ:>8.2f}{r.berths:>7}"
            f"{num(r.throughput_now):>15}{num(r.capacity):>15}{ci:>32}{head:>10}  {binding}"
        )
    return "\n".join(lines)


def capacity_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim capacity``; returns the exit code."""
    from lygsim.capacity import parse_range, write_capacity

    started_at = time.time()
    _check_common(args, min_reps=2)
    factors = parse_range(args.demand)
    if 1.0 not in factors:
        factors = sorted({*factors, 1.0})
    scenario = load_scenario(args.scenario, args.overrides)
    _check_days(args, [scenario])
    name = scenario.scenario.name
    with output_folder(args, f"{default_folder(name, args.overrides)}/capacity") as out:
        _warn_implausible([(args.scenario, scenario)])
        progress = Progress(args.quiet, args.verbose)
        progress.stage(
            f"{name}: demand sweep {factors[0]:g}..{factors[-1]:g} ({len(factors)} levels), "
            f"{args.reps} replications each, seed {args.seed}, on {_executor_label(args)}"
        )
        t0 = time.perf_counter()
        (result,) = _sweep_all(args, [scenario], factors, args.reps, progress, out)
        with writing(out, started_at):
            write_capacity(result, out)
            write_json(
                out / "manifest.json",
                manifest(
                    command=" ".join(shlex.quote(a) for a in argv),
                    scenario=name,
                    scenario_hash=scenario_hash(scenario),
                    seed=args.seed,
                    replications=args.reps,
                    days=args.days,
                    demand=args.demand,
                    run_time_s=round(time.perf_counter() - t0, 3),
                ),
            )
            if getattr(args, "figures", True):
                _figures(out, "capacity")
    if not args.quiet:
        print(
            f"{name}: practical capacity (annual throughput at which W/S or berth occupancy "
            "first reaches its threshold)"
        )
        print(format_practical(result.practical))
        print(f"results written to {out}/")
    return 0


HORIZON_YEARS = 100  # --until at most this many years after the base year


def horizon_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim horizon``; returns the exit code."""
    from lygsim.capacity import describe_horizon, horizon_years, parse_range

    started_at = time.time()
    _check_common(args, min_reps=2)
    factors = sorted({*parse_range(args.demand), 1.0})
    base = load_scenario(args.scenario, args.overrides)
    options = [load_scenario(p, args.overrides) for p in args.options]
    _check_days(args, [base, *options])
    for path, sc in [(args.scenario, base), *zip(args.options, options, strict=True)]:
        first = base_year(sc)
        if not first <= args.until <= first + HORIZON_YEARS:
            raise UsageError(
                f"lygsim horizon: --until {args.until} must lie between {path}'s base year "
                f"{first} (the calendar year its observation starts) and {first + HORIZON_YEARS}"
            )
    folder = f"{default_folder(base.scenario.name, args.overrides)}/horizon"
    with output_folder(args, folder) as out:
        _warn_implausible([(args.scenario, base), *zip(args.options, options, strict=True)])
        progress = Progress(args.quiet, args.verbose)
        progress.stage(
            f"horizon to {args.until}: {', '.join(s.scenario.name for s in (base, *options))}; "
            f"{len(factors)} demand levels x {args.reps} replications each"
        )
        t0 = time.perf_counter()
        results = _sweep_all(args, [base, *options], factors, args.reps, progress, out)
        tables = [horizon_years(r.scenario, r.practical, args.until) for r in results]
        table = pd.concat(tables, ignore_index=True)
        with writing(out, started_at):
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
                    days=args.days,
                    demand=args.demand,
                    until=args.until,
                    run_time_s=round(time.perf_counter() - t0, 3),
                ),
            )
            if getattr(args, "figures", True):
                _figures(out, "horizon")
    if not args.quiet:
        for line in describe_horizon(table, args.until):
            print(line)
        print(f"results written to {out}/")
    return 0


def base_year(scenario: Scenario) -> int:
    """The calendar year in which the scenario's observation window starts."""
    import datetime as dt

    sc = scenario.scenario
    return (sc.start_date + dt.timedelta(days=sc.warmup_days)).year


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
        "horizon": getattr(plots, "figures_for_horizon", None),
    }.get(kind)
    if maker is None and kind == "horizon":
        return []  # a plotting package without horizon figures has no report for it either
    paths = maker(out) if maker is not None else []
    if hasattr(html_report, "write_report"):
        html_report.write_report(out)
    return paths


def study_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim study``; returns the exit code."""
    from lygsim.capacity import describe_horizon, horizon_years, parse_range
    from lygsim.study import load_study, study_yaml

    started_at = time.time()
    study, base_path, option_paths = load_study(args.study)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"lygsim study: --workers must be >= 1 (got {args.workers})")
    base = load_scenario(base_path, args.overrides)
    options = [load_scenario(p, args.overrides) for p in option_paths]
    check_comparable(base, options, study.days, [str(p) for p in option_paths])
    root = Path(args.out) if args.out else Path("results")
    # without --out, overrides get folders of their own (see default_folder)
    tagged = [] if args.out else list(args.overrides)
    out = root / default_folder(study.name, tagged)
    prepare_folder(out, f"lygsim study: --out {root}")
    _warn_implausible(list(zip(option_paths, options, strict=True)))  # the base's: by run
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
    base_out = root / default_folder(base.scenario.name, tagged)
    run_args.out = base_out
    progress.stage(f"study {study.name}: base {base.scenario.name}, {study.reps} replications")
    run_command(run_args, argv)
    # 2. paired comparison of every option with the base
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
    with writing(out, started_at):
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
        _figures(out, "study")
    if not args.quiet:
        print(comparison_table(cmp.table))
        print()
        print("practical capacity gained (annual throughput at the W/S or occupancy threshold):")
        for g in gained_df.itertuples():
            if pd.notna(g.gained) and g.gained != 0 and abs(g.gained_share) > 0.005:
                print(
                    f"  {g.option}: {g.terminal} {g.gained:+,.0f} {g.unit} ({g.gained_share:+.0%})"
                )
        print()
        for line in describe_horizon(horizon, study.until):
            print(line)
        print(f"results written to {out}/ and {base_out}/")
    return 0


def _report_into(folder: Path, kind: str) -> None:
    """Draw the figures and the report of ``folder`` (``lygsim report``), if it is writable."""
    started_at = time.time()
    prepare_folder(folder, f"lygsim report: {folder}")
    if (folder / "runs").is_dir():  # written by a command that may be running now: take turns
        with writing(folder, started_at):
            _figures(folder, kind)
    else:
        remove_stale_temporaries(folder, started_at)
        _figures(folder, kind)


def report_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim report DIR``: figures and the HTML report of a results folder."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"lygsim report: {folder} is not a folder")
    from lygsim.html_report import folder_kind

    kind = folder_kind(folder)
    if kind is None:
        raise UsageError(
            f"lygsim report: {folder} holds no lygsim results (summary.csv, comparison.csv, "
            "capacity.csv or horizon.csv)"
        )
    _report_into(folder, kind)
    print(f"{folder / 'report.html'}")
    return 0
