"""``lygsim calibrate``: fit the free arrival streams to the reported figures."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from lygsim.commands import common
from lygsim.commands.folder import default_folder
from lygsim.errors import UsageError
from lygsim.loader import scenario_hash
from lygsim.report import write_csv, write_text
from lygsim.scenario import Scenario


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

    # a calibration folder has no figures: its table is the result
    ex = dataclasses.replace(common.begin(args, argv, min_reps=2), figures=False)
    (scenario,) = common.load_all(ex, [args.scenario])
    if args.days is not None:
        check_days_cover_targets(args.days, scenario)
        window = scenario.scenario.model_copy(update={"horizon_days": args.days})
        scenario = scenario.model_copy(update={"scenario": window})
    name = scenario.scenario.name
    folder = f"{default_folder(name, args.overrides)}/calibration"
    with common.results_folder(ex, args.out, folder, [(args.scenario, scenario)]) as out:
        progress = ex.progress()
        kw = {**ex.experiment, "out": out}
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        if args.check:
            progress.stage(f"{name}: measuring the calibration targets, {ex.reps} replications")
            table, _ = measure(scenario, ex.reps, ex.seed, **kw)
            written = None
            rounds = ""
        else:
            progress.stage(
                f"{name}: calibrating, at least {ex.reps} replications per round (more until "
                "each target's estimate is precise enough)"
            )
            result = calibrate(
                scenario,
                ex.reps,
                ex.seed,
                progress=lambda i, t: progress.stage(round_line(i, t)),
                **kw,
            )
            table = result.table
            written = out / f"{name}_calibrated.yaml"
            rounds = format_rounds(result)

        def write() -> None:
            if written is not None:
                text = calibrated_yaml(Path(args.scenario), written, result, ex.reps, ex.seed)
                write_text(written, text)
            write_csv(out / "calibration.csv", table)

        common.finish(
            out,
            ex,
            write,
            scenario=name,
            scenario_hash=scenario_hash(scenario),
            check=bool(args.check),
            started=started.isoformat(timespec="seconds"),
            run_time_s=common.elapsed(t0),
        )
    if not ex.quiet:
        print(format_table(table))
        if written is not None:
            print(rounds)
            print(f"calibrated scenario: {written}")
        print(f"results written to {out}/")
    return 0


def check_days_cover_targets(days: float, scenario: Scenario) -> None:
    """Refuse a ``--days`` that ends the simulation before a calibration period ends.

    A target is a figure for a calendar period: a shorter horizon cannot measure it.

    Raises:
        UsageError: Naming the target and the shortest ``--days`` that covers it.
    """
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
