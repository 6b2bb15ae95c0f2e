"""``lygsim capacity``: demand sweeps, capacity curves and practical capacity."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from lygsim.capacity import CapacityResult, parse_range, sweep, write_capacity
from lygsim.commands import common
from lygsim.commands.common import Execution, Progress
from lygsim.commands.folder import default_folder
from lygsim.loader import scenario_hash
from lygsim.scenario import Scenario


def sweep_all(
    scenarios: Sequence[Scenario],
    factors: Sequence[float],
    reps: int,
    ex: Execution,
    progress: Progress,
    out: Path,
    terminals: Sequence[str] | None = None,
) -> list[CapacityResult]:
    """The demand sweep of each scenario, with the same seeds at every level."""
    results = []
    for sc in scenarios:
        results.append(
            sweep(
                sc,
                factors,
                reps,
                ex.seed,
                terminals or None,
                progress=_announce(progress, sc.scenario.name) if ex.verbose else None,
                out=out,
                days=ex.days,
                **ex.experiment,
            )
        )
    return results


def _announce(progress: Progress, name: str) -> Callable[[float], None]:
    """A callback naming each demand factor as the sweep of scenario ``name`` reaches it."""
    return lambda factor: progress.stage(f"{name}: demand factor {factor:g}")


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
    ex = common.begin(args, argv, min_reps=2)
    factors = parse_range(args.demand)
    if 1.0 not in factors:
        factors = sorted({*factors, 1.0})
    (scenario,) = common.load_all(ex, [args.scenario])
    name = scenario.scenario.name
    folder = f"{default_folder(name, args.overrides)}/capacity"
    with common.results_folder(ex, args.out, folder, [(args.scenario, scenario)]) as out:
        progress = ex.progress()
        progress.stage(
            f"{name}: demand sweep {factors[0]:g}..{factors[-1]:g} ({len(factors)} levels), "
            f"{ex.reps} replications each, seed {ex.seed}, on {ex.executor}"
        )
        t0 = time.perf_counter()
        (result,) = sweep_all([scenario], factors, ex.reps, ex, progress, out, args.terminal)
        common.finish(
            out,
            ex,
            lambda: write_capacity(result, out),
            scenario=name,
            scenario_hash=scenario_hash(scenario),
            demand=args.demand,
            run_time_s=common.elapsed(t0),
        )
    if not ex.quiet:
        print(
            f"{name}: practical capacity (annual throughput at which W/S or berth occupancy "
            "first reaches its threshold)"
        )
        print(format_practical(result.practical))
        print(f"results written to {out}/")
    return 0
