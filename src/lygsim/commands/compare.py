"""``lygsim compare``: a base and options with common random numbers, paired differences."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from lygsim.commands import common
from lygsim.commands.common import Progress
from lygsim.commands.folder import default_folder
from lygsim.comparison import Comparison, check_comparable, compare
from lygsim.experiment import Outcome
from lygsim.loader import scenario_hash, to_yaml
from lygsim.report import comparison_table, write_csv, write_text


def staged_progress(progress: Progress) -> Callable[[str, int, int, Outcome | None], None]:
    """A compare progress callback: one bar per scenario, in turn."""
    current = {"name": ""}

    def cb(name: str, done: int, total: int, outcome: Outcome | None) -> None:
        if current["name"] != name:
            progress.close()
            current["name"] = name
            progress.start(name, total)
        progress.update(done, total, outcome, name)

    return cb


def compare_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim compare``; returns the exit code."""
    ex = common.begin(args, argv, min_reps=2)
    base, *options = common.load_all(ex, [args.base, *args.options])
    check_comparable(base, options, args.days, [str(p) for p in args.options])
    folder = "compare-" + default_folder(base.scenario.name, args.overrides)
    named = [(args.base, base), *zip(args.options, options, strict=True)]
    with common.results_folder(ex, args.out, folder, named) as out:
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        progress = ex.progress()
        progress.stage(
            f"compare {base.scenario.name} with {', '.join(o.scenario.name for o in options)}: "
            f"{ex.reps} replications each, seed {ex.seed}, on {ex.executor}"
        )
        try:
            result: Comparison = compare(
                base,
                options,
                ex.reps,
                ex.seed,
                ex.days,
                out=out,
                progress=staged_progress(progress),
                **ex.experiment,
            )
        finally:
            progress.close()

        def write() -> None:
            for r in (result.base, *result.options):
                write_csv(out / f"summary_{r.scenario.scenario.name}.csv", r.summary)
            write_csv(out / "comparison.csv", result.table)
            write_text(out / f"scenario_{base.scenario.name}.yaml", to_yaml(base))

        common.finish(
            out,
            ex,
            write,
            base=base.scenario.name,
            options=[o.scenario.name for o in options],
            scenario_hashes={s.scenario.name: scenario_hash(s) for s in (base, *options)},
            overrides=list(ex.overrides),
            executor=ex.executor,
            started=started.isoformat(timespec="seconds"),
            run_time_s=common.elapsed(t0),
        )
    if not ex.quiet:
        print(comparison_table(result.table))
        print(f"results written to {out}/")
    return 0
