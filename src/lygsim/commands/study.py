"""``lygsim study``: a base and its options compared, their capacity and growth horizon."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lygsim.capacity import CapacityResult, describe_horizon, horizon_years, parse_range
from lygsim.commands.capacity import sweep_all
from lygsim.commands.common import Execution, elapsed, finish, load_all, warn_implausible
from lygsim.commands.folder import default_folder, output_folder, prepare_folder
from lygsim.commands.run import run_into
from lygsim.comparison import check_comparable, compare
from lygsim.errors import UsageError
from lygsim.loader import scenario_hash
from lygsim.report import comparison_table, write_csv, write_text

GAINED_COLUMNS = [
    "option",
    "terminal",
    "unit",
    "base_capacity",
    "option_capacity",
    "gained",
    "gained_share",
]


def capacity_gained(results: Sequence[CapacityResult]) -> pd.DataFrame:
    """The practical capacity each option (``results[1:]``) gains over the base's."""
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
    return pd.DataFrame(gained, columns=GAINED_COLUMNS)


def _with_scenario(frames: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """One table of per-scenario tables, the scenario's name as the first column."""
    parts = [df.assign(scenario=name) for name, df in frames]
    table = pd.concat(parts, ignore_index=True)
    return table[["scenario", *table.columns[:-1]]]


def study_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim study``; returns the exit code."""
    from lygsim.study import load_study, study_yaml

    study, base_path, option_paths = load_study(args.study)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"lygsim study: --workers must be >= 1 (got {args.workers})")
    ex = Execution.from_args(args, argv)
    ex = dataclasses.replace(ex, seed=study.seed, reps=study.reps, days=study.days)
    base, *options = load_all(ex, [base_path, *option_paths])
    check_comparable(base, options, study.days, [str(p) for p in option_paths])
    root = Path(args.out) if args.out else Path("results")
    # without --out, overrides get folders of their own (see default_folder)
    tagged = [] if args.out else list(args.overrides)
    out = root / default_folder(study.name, tagged)
    prepare_folder(out, f"lygsim study: --out {root}")
    warn_implausible([(base_path, base), *zip(option_paths, options, strict=True)])
    progress = ex.progress()
    t0 = time.perf_counter()
    # 1. the base as a full results folder
    base_out = root / default_folder(base.scenario.name, tagged)
    progress.stage(f"study {study.name}: base {base.scenario.name}, {study.reps} replications")
    with output_folder(base_out, f"lygsim study: --out {root}"):
        run_into(base_out, base, str(base_path), dataclasses.replace(ex, quiet=True))
    # 2. paired comparison of every option with the base
    progress.stage(f"study {study.name}: comparing {len(options)} options")
    cmp = compare(base, options, study.reps, study.seed, study.days, out=out, **ex.experiment)
    # 3. capacity of every scenario, and what each option gains
    factors = sorted({*parse_range(study.demand), 1.0})
    progress.stage(
        f"study {study.name}: demand sweeps, {len(factors)} levels x {study.capacity_reps} "
        f"replications x {1 + len(options)} scenarios"
    )
    results = sweep_all([base, *options], factors, study.capacity_reps, ex, progress, out)
    gained = capacity_gained(results)
    # 4. the year each terminal reaches its threshold
    horizon = pd.concat(
        [horizon_years(r.scenario, r.practical, study.until) for r in results], ignore_index=True
    )

    def write() -> None:
        write_csv(out / "comparison.csv", cmp.table)
        names = [r.scenario.scenario.name for r in results]
        curves = [(n, r.curve) for n, r in zip(names, results, strict=True)]
        practical = [(n, r.practical) for n, r in zip(names, results, strict=True)]
        write_csv(out / "capacity.csv", _with_scenario(curves))
        write_csv(out / "practical_capacity.csv", _with_scenario(practical))
        write_csv(out / "capacity_gained.csv", gained)
        write_csv(out / "horizon.csv", horizon)
        write_text(out / "study.yaml", study_yaml(study))

    finish(
        out,
        dataclasses.replace(ex, figures=True),
        write,
        study=study.name,
        base=base.scenario.name,
        options=[o.scenario.name for o in options],
        scenario_hashes={s.scenario.name: scenario_hash(s) for s in (base, *options)},
        capacity_replications=study.capacity_reps,
        demand=study.demand,
        until=study.until,
        run_time_s=elapsed(t0),
    )
    if not ex.quiet:
        print(comparison_table(cmp.table))
        print()
        print("practical capacity gained (annual throughput at the W/S or occupancy threshold):")
        for g in gained.itertuples():
            if pd.notna(g.gained) and g.gained != 0 and abs(g.gained_share) > 0.005:
                print(
                    f"  {g.option}: {g.terminal} {g.gained:+,.0f} {g.unit} ({g.gained_share:+.0%})"
                )
        print()
        for line in describe_horizon(horizon, study.until):
            print(line)
        print(f"results written to {out}/ and {base_out}/")
    return 0
