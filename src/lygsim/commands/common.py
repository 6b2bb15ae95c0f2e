"""What the commands share: checked settings, progress, warnings and the epilogue.

The epilogue (:func:`finish`) is the same for every command that writes a results folder:
under the folder's lock, the command's own tables, then the manifest, then the figures and
the HTML report (unless ``--no-figures``).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lygsim.commands.folder import out_path, output_folder, writing
from lygsim.errors import UsageError
from lygsim.executors import LOCAL_DASK, default_workers
from lygsim.experiment import Outcome
from lygsim.report import manifest, write_json
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


@dataclass(frozen=True)
class Execution:
    """How a command runs its replications and what it prints.

    Attributes:
        command: The command's name (``run``, ``compare``, ...), for messages.
        seed, reps, days: The experiment's seed, replications and horizon override.
        workers, scheduler: Where replications run (see :func:`lygsim.run_experiment`).
        quiet, verbose: What is printed.
        figures: Draw the figures and write the HTML report.
        overrides: The ``--set`` overrides.
        argv: The command line, for the manifest.
        started_at: When the command started (``time.time()``); temporary files older
            than this are stale.
    """

    command: str
    seed: int = 1
    reps: int = 1
    days: float | None = None
    workers: int | None = None
    scheduler: str | None = None
    quiet: bool = False
    verbose: bool = False
    figures: bool = True
    overrides: Sequence[str] = ()
    argv: Sequence[str] = field(default_factory=tuple)
    started_at: float = field(default_factory=time.time)

    @classmethod
    def from_args(cls, args: argparse.Namespace, argv: Sequence[str] = ()) -> Execution:
        """The settings of a parsed command line."""
        return cls(
            command=args.command,
            seed=getattr(args, "seed", 1),
            reps=getattr(args, "reps", 1),
            days=getattr(args, "days", None),
            workers=args.workers,
            scheduler=args.scheduler,
            quiet=args.quiet,
            verbose=args.verbose,
            figures=getattr(args, "figures", True),
            overrides=tuple(getattr(args, "overrides", ())),
            argv=tuple(argv),
        )

    @property
    def executor(self) -> str:
        """Where the replications run, in words."""
        workers = self.workers or default_workers()
        if self.scheduler == LOCAL_DASK:
            return f"a local Dask cluster of {workers} workers"
        if self.scheduler:
            return f"the Dask cluster at {self.scheduler}"
        return "this process" if workers == 1 else f"{workers} local processes"

    @property
    def experiment(self) -> dict[str, Any]:
        """Keyword arguments of :func:`lygsim.run_experiment` and its relatives."""
        return {"workers": self.workers, "scheduler": self.scheduler}

    def progress(self) -> Progress:
        """A progress display for this command."""
        return Progress(self.quiet, self.verbose)


def check_common(args: argparse.Namespace, min_reps: int = 1) -> None:
    """Refuse replications, seed, days, workers or ``--max-reps`` out of range.

    Raises:
        UsageError: One line naming the option.
    """
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


def begin(args: argparse.Namespace, argv: Sequence[str], min_reps: int = 1) -> Execution:
    """The checked settings of a command that runs experiments (see :func:`check_common`)."""
    check_common(args, min_reps)
    return Execution.from_args(args, argv)


def load_all(ex: Execution, paths: Sequence[Any]) -> list[Scenario]:
    """The scenarios at ``paths`` with the ``--set`` overrides, checked against ``--days``."""
    from lygsim.loader import load_scenario

    scenarios = [load_scenario(p, list(ex.overrides)) for p in paths]
    check_days(ex, scenarios)
    return scenarios


@contextmanager
def results_folder(
    ex: Execution, out: Path | str | None, default: str, scenarios: Sequence[tuple[Any, Scenario]]
) -> Iterator[Path]:
    """The command's output folder (see :func:`lygsim.commands.folder.output_folder`).

    Checked before anything runs and removed if the command fails before writing in it;
    the scenarios' plausibility warnings are printed once it is ready.
    """
    path = out_path(out, default, ex.overrides, ex.quiet)
    with output_folder(path, f"lygsim {ex.command}: --out {path}"):
        warn_implausible(scenarios)
        yield path


def check_days(ex: Execution, scenarios: Sequence[Scenario]) -> None:
    """``--days`` must leave an observation window after every scenario's warm-up."""
    if ex.days is None:
        return
    for sc in scenarios:
        if ex.days <= sc.scenario.warmup_days:
            raise UsageError(
                f"lygsim {ex.command}: --days {ex.days:g} must exceed the warm-up of "
                f"{sc.scenario.name} ({sc.scenario.warmup_days:g} days)"
            )


def warn_implausible(scenarios: Sequence[tuple[Any, Scenario]]) -> None:
    """Print the scenarios' plausibility warnings (unit slips and the like) before a run.

    Printed even with --quiet: a warning is not progress.
    """
    from lygsim.loader import plausibility_warnings

    for path, sc in scenarios:
        for problem in plausibility_warnings(sc):
            text = str(problem)
            if not text.startswith(str(path)):
                text = f"{path}: {text}"
            print(f"warning: {text}", file=sys.stderr)


def draw(out: Path) -> None:
    """Write the figures and the HTML report of a results folder, if plotting is available."""
    try:
        from lygsim import html_report, plots
    except ImportError:  # pragma: no cover - plotting not installed
        return
    from lygsim.results import ResultsFolder

    rf = ResultsFolder(out)
    plots.figures_for(rf)
    html_report.write_report(rf)


def finish(out: Path, ex: Execution, write: Callable[[], None], **fields: Any) -> None:
    """The epilogue: under the folder's lock, the tables, the manifest, figures and report.

    Args:
        out: The results folder.
        ex: The command's settings (``figures``, the command line, seed, replications
            and days, which the manifest records unless ``fields`` say otherwise).
        write: Writes the command's own files.
        **fields: The manifest's fields besides the command line and versions.
    """
    with writing(out, ex.started_at):
        write()
        command = " ".join(shlex.quote(a) for a in ex.argv)
        fields = {"seed": ex.seed, "replications": ex.reps, "days": ex.days, **fields}
        write_json(out / "manifest.json", manifest(command=command, **fields))
        if ex.figures:
            draw(out)


def elapsed(t0: float) -> float:
    """Seconds since ``t0`` (``time.perf_counter``), rounded for the manifest."""
    return round(time.perf_counter() - t0, 3)


__all__ = [
    "MAX_REPS",
    "Execution",
    "Progress",
    "begin",
    "check_common",
    "check_days",
    "draw",
    "elapsed",
    "finish",
    "load_all",
    "results_folder",
    "warn_implausible",
]
