"""``lygsim plan``: every year of every strategy simulated, priced, and the cheapest named."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lygsim.commands.common import MAX_REPS, Execution, elapsed, finish, warn_implausible
from lygsim.commands.folder import output_folder
from lygsim.errors import UsageError
from lygsim.loader import scenario_hash, to_yaml
from lygsim.report import write_csv, write_text

if TYPE_CHECKING:
    from lygsim.planload import LoadedPlan
    from lygsim.planrun import PlanPrecision, PlanResult

PRECISION_DECISION = "decision"


def _check_args(args: argparse.Namespace) -> None:
    """Refuse replications, seed, workers or --max-reps out of range (one line each)."""
    cmd = "lygsim plan"
    if args.reps is not None and not 2 <= args.reps <= MAX_REPS:
        raise UsageError(f"{cmd}: --reps must lie between 2 and {MAX_REPS:,} (got {args.reps})")
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"{cmd}: --seed must be >= 0 (got {args.seed})")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"{cmd}: --workers must be >= 1 (got {args.workers})")
    if args.max_reps is not None and not args.precision:
        raise UsageError(f"{cmd}: --max-reps only applies with --precision")


def _precision(args: argparse.Namespace, reps: int, loaded: LoadedPlan) -> PlanPrecision | None:
    from lygsim.experiment import Precision
    from lygsim.planrun import DecisionRule

    if not args.precision:
        return None
    max_reps = args.max_reps if args.max_reps is not None else max(100, reps)
    if not reps <= max_reps <= MAX_REPS:
        raise UsageError(
            f"lygsim plan: --max-reps must be >= the replications ({reps}) and <= "
            f"{MAX_REPS:,} (got {max_reps})"
        )
    if args.precision == PRECISION_DECISION:
        return DecisionRule(max_reps)
    try:
        rule = Precision.parse(args.precision, max_reps)
        return rule.check(loaded.base)
    except UsageError as exc:
        raise UsageError(f"lygsim plan: {exc} (or --precision decision)") from None


def plan_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim plan``; returns the exit code."""
    from lygsim.planload import load_plan
    from lygsim.planrun import check_plan, run_plan

    _check_args(args)
    loaded = load_plan(args.plan)
    check_plan(loaded)
    plan = loaded.plan
    reps = args.reps if args.reps is not None else plan.reps
    seed = args.seed if args.seed is not None else plan.seed
    precision = _precision(args, reps, loaded)
    out = Path(args.out) if args.out else Path("results") / f"plan-{plan.name}"
    ex = Execution.from_args(args, argv)
    # figures and the report of a plan folder are not drawn yet: tables only
    ex = dataclasses.replace(ex, seed=seed, reps=reps, figures=False)
    with output_folder(out, f"lygsim plan: --out {out}"):
        warn_implausible([(loaded.base_path, loaded.base)])
        progress = ex.progress()
        say = progress.stage
        say(
            f"plan {plan.name}: {len(plan.strategies)} strategies, years "
            f"{plan.years.first}-{plan.years.last}, {reps} replications, seed {seed}, "
            f"on {ex.executor}"
        )
        t0 = time.perf_counter()
        progress.start(plan.name, 0)
        try:
            result = run_plan(
                loaded,
                out,
                reps=reps,
                seed=seed,
                workers=ex.workers,
                scheduler=ex.scheduler,
                precision=precision,
                progress=lambda d, t, o: progress.update(d, t, o, plan.name),
                stage=say,
            )
        finally:
            progress.close()
        say(
            f"plan {plan.name}: {result.computed} replications computed, {result.reused} "
            f"reused from {out / 'runs'}; writing results"
        )

        def write() -> None:
            d = result.decision
            write_csv(out / "years.csv", result.years)
            write_csv(out / "npv.csv", result.npv)
            write_csv(out / "decision.csv", d.table)
            write_csv(out / "commission_years.csv", d.curve)
            write_csv(out / "opened.csv", result.opened)
            write_csv(out / "cashflows.csv", result.cashflows)
            write_csv(
                out / "npv_replications.csv",
                result.npv_reps[result.npv_reps["cost_item"] == "total"],
            )
            write_text(out / "plan.yaml", loaded.path.read_text(encoding="utf-8"))
            write_text(out / "scenario.yaml", to_yaml(loaded.base))

        eco = plan.economics
        finish(
            out,
            dataclasses.replace(ex, reps=result.reps),
            write,
            plan=plan.name,
            plan_file=str(loaded.path),
            base=loaded.base.scenario.name,
            base_file=str(loaded.base_path),
            scenario_hash=scenario_hash(loaded.base),
            years=[plan.years.first, plan.years.last],
            reference=plan.reference_strategy,
            currency=eco.currency,
            amounts_in=eco.amounts_in,
            discount_rate=eco.discount_rate,
            base_year=plan.base_year,
            executor=ex.executor,
            computed=result.computed,
            reused=result.reused,
            batches=result.batches,
            precision=args.precision,
            precision_note=result.precision_note,
            run_time_s=elapsed(t0),
        )
    if result.precision_note:
        print(f"warning: {result.precision_note}", file=sys.stderr)
    if not ex.quiet:
        print(decision_text(result))
        print(f"results written to {out}/")
    return 0


def _money(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:,.1f}"


def decision_text(result: PlanResult) -> str:
    """The decision table and the recommendation, as the console prints them."""
    plan = result.loaded.plan
    eco = plan.economics
    unit = f"{eco.amounts_in} {eco.currency}" if eco.amounts_in != "unit" else eco.currency
    d = result.decision
    ref = plan.reference_strategy
    head = (
        f"plan {plan.name}: total cost {plan.years.first}-{plan.years.last}, NPV at "
        f"{plan.base_year} ({eco.discount_rate:.1%}/yr), {unit}; {result.reps} replications "
        f"(mean [95% interval]; * differs from {ref} at 95%)"
    )
    rows = []
    for r in d.table.itertuples():
        year = f" best year {r.best_commission_year}" if r.best_commission_year else ""
        rows.append(
            (
                r.strategy,
                f"{_money(r.npv_total_mean)} [{_money(r.ci_low)}, {_money(r.ci_high)}]",
                f"{r.delta_vs_base_mean:+,.1f} [{r.delta_ci_low:+,.1f}, {r.delta_ci_high:+,.1f}]"
                + (" *" if r.significant else ""),
                year.strip(),
            )
        )
    titles = ("strategy", "total cost", f"against {ref}", "")
    widths = [max(len(str(x[i])) for x in [titles, *rows]) for i in range(4)]
    lines = [head]
    for row in [titles, *rows]:
        lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    lines.append(recommendation(result))
    return "\n".join(line.rstrip() for line in lines)


def recommendation(result: PlanResult) -> str:
    """One sentence: the cheapest strategy, and whether the replications can tell."""
    d = result.decision
    eco = result.loaded.plan.economics
    unit = f"{eco.amounts_in} {eco.currency}" if eco.amounts_in != "unit" else eco.currency
    best = d.table.set_index("strategy").loc[d.best]
    what = d.best
    if d.best in d.best_years:
        year = d.best_years[d.best]
        option = d.curve.loc[d.curve["strategy"] == d.best, "option"].iloc[0]
        what += f" ({option} never)" if year == "never" else f" ({option} in {year})"
    text = f"recommendation: {what}, expected total cost {_money(best.npv_total_mean)} {unit}"
    if d.runner_up is None:
        text += "; every other strategy costs the same in every replication"
    else:
        gap, lo, hi = d.gap
        told = lo > 0 or hi < 0
        text += f"; {d.runner_up} costs {gap:+,.1f} more (95%: {lo:+,.1f} to {hi:+,.1f}), " + (
            "a difference the replications establish"
            if told
            else "which the replications "
            "cannot tell apart from it: add replications (--precision decision)"
        )
    ties = d.curve[d.curve["verdict"] == "cannot tell apart"]
    for s, g in ties.groupby("strategy", sort=False):
        years = ", ".join(str(y) for y in g["commission_year"])
        text += f". {s}: {years} cannot be told apart from the best year {d.best_years[str(s)]}"
    if result.precision_note:
        text += f". Note: {result.precision_note}"
    return text + "."


__all__ = ["decision_text", "plan_command", "recommendation"]
