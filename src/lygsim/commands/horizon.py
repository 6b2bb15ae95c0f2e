"""``lygsim horizon``: the year each terminal reaches its threshold, base and options."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence

import pandas as pd

from lygsim.capacity import describe_horizon, horizon_years, parse_range
from lygsim.commands import common
from lygsim.commands.capacity import sweep_all
from lygsim.commands.folder import default_folder
from lygsim.errors import UsageError
from lygsim.report import write_csv
from lygsim.scenario import Scenario

HORIZON_YEARS = 100  # --until at most this many years after the base year


def base_year(scenario: Scenario) -> int:
    """The calendar year in which the scenario's observation window starts."""
    sc = scenario.scenario
    return (sc.start_date + dt.timedelta(days=sc.warmup_days)).year


def horizon_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim horizon``; returns the exit code."""
    ex = common.begin(args, argv, min_reps=2)
    factors = sorted({*parse_range(args.demand), 1.0})
    base, *options = common.load_all(ex, [args.scenario, *args.options])
    named = [(args.scenario, base), *zip(args.options, options, strict=True)]
    for path, sc in named:
        first = base_year(sc)
        if not first <= args.until <= first + HORIZON_YEARS:
            raise UsageError(
                f"lygsim horizon: --until {args.until} must lie between {path}'s base year "
                f"{first} (the calendar year its observation starts) and {first + HORIZON_YEARS}"
            )
    folder = f"{default_folder(base.scenario.name, args.overrides)}/horizon"
    with common.results_folder(ex, args.out, folder, named) as out:
        progress = ex.progress()
        progress.stage(
            f"horizon to {args.until}: {', '.join(s.scenario.name for s in (base, *options))}; "
            f"{len(factors)} demand levels x {ex.reps} replications each"
        )
        t0 = time.perf_counter()
        results = sweep_all([base, *options], factors, ex.reps, ex, progress, out)
        tables = [horizon_years(r.scenario, r.practical, args.until) for r in results]
        table = pd.concat(tables, ignore_index=True)

        def write() -> None:
            write_csv(out / "horizon.csv", table)
            for r in results:
                write_csv(out / f"practical_capacity_{r.scenario.scenario.name}.csv", r.practical)

        common.finish(
            out,
            ex,
            write,
            scenarios=[s.scenario.name for s in (base, *options)],
            demand=args.demand,
            until=args.until,
            run_time_s=common.elapsed(t0),
        )
    if not ex.quiet:
        for line in describe_horizon(table, args.until):
            print(line)
        print(f"results written to {out}/")
    return 0
