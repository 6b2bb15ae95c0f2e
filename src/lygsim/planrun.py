"""Running a plan to its decision: replications, economics, a precision rule, the tables.

:func:`run_plan` simulates every variant of the plan (:class:`lygsim.plan.Engine`), prices
it (:mod:`lygsim.economics`) and decides (:mod:`lygsim.decision`). With a precision rule
it adds replications in batches, every earlier one reused, until the rule is met or the
allowed replications are spent; then :attr:`PlanResult.precision_note` says so.

- ``decision``: the cheapest strategy's paired difference from the runner-up has a 95%
  interval that excludes zero, and each ranged strategy's best year is the one the
  previous batch found (so at least two batches when a strategy has a range).
- ``[SCOPE:]NAME.METRIC=SHARE`` (as ``lygsim run --precision``): that KPI's 95% half-width
  is under SHARE of its mean in every year of every strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lygsim.batch import RunStore
from lygsim.decision import Decision, decide
from lygsim.economics import CASHFLOW_COLUMNS, cash_flows, npv_by_replication, npv_table
from lygsim.errors import Problem, ScenarioError
from lygsim.experiment import Outcome, Precision, kpi_names
from lygsim.plan import Course, Engine, expand
from lygsim.planload import LoadedPlan
from lygsim.plantables import investments, opened_table, prices, usage_table, years_table
from lygsim.scopes import Scope

CASHFLOW_MEAN_COLUMNS = ["strategy", "year", "cost_item", "amount_mean", "discounted_mean"]


@dataclass(frozen=True)
class DecisionRule:
    """``--precision decision``: add replications until the decision no longer flips.

    Attributes:
        max_reps: Replications at most.
    """

    max_reps: int


PlanPrecision = DecisionRule | Precision


@dataclass
class PlanResult:
    """A plan's results.

    Attributes:
        loaded: The plan with its base and options.
        reps: Replications of every year of every variant.
        seed: The seed.
        courses: Each variant's course through the years.
        years: ``years.csv``.
        flows: Every replication's cash flows (``lygsim.economics.CASHFLOW_COLUMNS``).
        cashflows: Their mean over replications (``CASHFLOW_MEAN_COLUMNS``).
        npv_reps: NPV per variant, replication and cost item.
        npv: ``npv.csv``.
        decision: The decision (``decision.csv``, ``commission_years.csv``).
        opened: ``opened.csv``.
        computed, reused: Replications simulated and taken from the cache.
        batches: Batches sent to the executor.
        precision_note: Why the precision rule was not met, if it was not.
    """

    loaded: LoadedPlan
    reps: int
    seed: int
    courses: dict[str, Course]
    years: pd.DataFrame
    flows: pd.DataFrame
    cashflows: pd.DataFrame
    npv_reps: pd.DataFrame
    npv: pd.DataFrame
    decision: Decision
    opened: pd.DataFrame
    computed: int = 0
    reused: int = 0
    batches: int = 0
    precision_note: str | None = None


def check_triggers(loaded: LoadedPlan) -> list[Problem]:
    """Triggers naming a metric the base scenario's terminals do not report.

    The metrics come from a one-day simulation of the base (what ``lygsim run`` reports).
    """
    names = kpi_names(loaded.base)
    problems = []
    src = str(loaded.path)
    for sname, entries in loaded.plan.strategies.items():
        for i, e in enumerate(entries):
            t = e.trigger
            if t is None or (Scope.terminal.value, t.terminal) not in names:
                continue  # a terminal only an option brings: checked when it runs
            metrics = names[(Scope.terminal.value, t.terminal)]
            if t.metric not in metrics:
                problems.append(
                    Problem(
                        src,
                        f"strategies.{sname}[{i}].trigger.metric",
                        f"terminal {t.terminal} has no metric '{t.metric}' "
                        f"(allowed: {', '.join(metrics)})",
                    )
                )
    return problems


def _evaluate(
    loaded: LoadedPlan, courses: dict[str, Course], store: RunStore, reps: int
) -> tuple[pd.DataFrame, pd.DataFrame, Decision]:
    plan = loaded.plan
    price = prices(plan)
    first, last = plan.years.first, plan.years.last
    cache: dict[str, pd.DataFrame] = {}
    flows = pd.concat(
        [
            cash_flows(
                name,
                usage_table(c, store, reps, cache),
                investments(plan, c),
                price,
                first,
                last,
                range(reps),
            )
            for name, c in courses.items()
        ],
        ignore_index=True,
    )[CASHFLOW_COLUMNS]
    npv_reps = npv_by_replication(flows)
    _, choices = expand(plan)
    decision = decide(npv_reps, list(plan.strategies), choices, plan.reference_strategy)
    return flows, npv_reps, decision


def _unmet(
    precision: PlanPrecision,
    decision: Decision,
    previous: dict[str, str] | None,
    courses: dict[str, Course],
    store: RunStore,
    reps: int,
) -> str | None:
    """Why the rule is not met yet (None: it is)."""
    if isinstance(precision, DecisionRule):
        lo, hi = decision.gap[1], decision.gap[2]
        if decision.runner_up is not None and not (lo > 0 or hi < 0):
            return (
                f"{decision.runner_up} against {decision.best}: the 95% interval of the paired "
                f"difference ({lo:+,.6g} to {hi:+,.6g}) includes zero"
            )
        if decision.best_years and previous is None:
            found = ", ".join(f"{s} {y}" for s, y in decision.best_years.items())
            return f"best commissioning year to be confirmed by more replications ({found})"
        if decision.best_years and previous != decision.best_years:
            moved = [
                f"{s} {previous.get(s) if previous else '?'} -> {y}"
                for s, y in decision.best_years.items()
                if previous is None or previous.get(s) != y
            ]
            return "best commissioning year moved with more replications (" + ", ".join(moved) + ")"
        return None
    for name, c in courses.items():
        for y, key in sorted(c.units.items()):
            if not precision.met(store.kpis(key, reps)):
                return (
                    f"{precision.name}.{precision.metric}: 95% half-width above "
                    f"{precision.rel:g} of the mean in {y} of {name}"
                )
    return None


def run_plan(
    loaded: LoadedPlan,
    out: Path,
    *,
    reps: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    precision: PlanPrecision | None = None,
    progress: Callable[[int, int, Outcome | None], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> PlanResult:
    """Simulate, price and decide a plan.

    Args:
        loaded: The plan (:func:`lygsim.planload.load_plan`).
        out: Results folder; replications are cached under ``out/runs/``.
        reps: Replications (default the plan's); with ``precision``, the first batch.
        seed: Seed (default the plan's).
        workers: Processes (default all cores; 1 runs in this process).
        scheduler: A Dask scheduler address or ``"local"``.
        precision: Add replications until this rule is met (:class:`DecisionRule` or a
            KPI :class:`lygsim.experiment.Precision`).
        progress: Called as replications finish (see :class:`lygsim.batch.RunStore`).
        stage: Called with a line per stage.

    Raises:
        ScenarioError: A year scenario that does not validate.
        SimulationError: A replication that failed (the others are kept).
    """
    plan = loaded.plan
    n = plan.reps if reps is None else reps
    seed = plan.seed if seed is None else seed
    say = stage or (lambda _text: None)
    store = RunStore(out, seed, workers, scheduler, progress)
    engine = Engine(loaded, store, say)
    variants, _ = expand(plan)
    previous: dict[str, str] | None = None
    note = None
    while True:
        courses = engine.run(variants, n)
        flows, npv_reps, decision = _evaluate(loaded, courses, store, n)
        if precision is None:
            break
        why = _unmet(precision, decision, previous, courses, store, n)
        if why is None:
            break
        if n >= precision.max_reps:
            note = (
                f"precision not reached with {n} replications "
                f"(--max-reps {precision.max_reps}): {why}"
            )
            break
        previous = decision.best_years
        n = min(precision.max_reps, n + max(2, n // 2))
        say(f"plan {plan.name}: {why}; {n} replications")
    means = (
        flows.groupby(["strategy", "year", "cost_item"], sort=False)[["amount", "discounted"]]
        .mean()
        .reset_index()
    )
    means.columns = pd.Index(CASHFLOW_MEAN_COLUMNS)
    return PlanResult(
        loaded=loaded,
        reps=n,
        seed=seed,
        courses=courses,
        years=years_table(courses, store, n),
        flows=flows,
        cashflows=means,
        npv_reps=npv_reps,
        npv=npv_table(npv_reps),
        decision=decision,
        opened=opened_table(courses),
        computed=store.computed,
        reused=store.reused,
        batches=engine.batches,
        precision_note=note,
    )


def check_plan(loaded: LoadedPlan) -> None:
    """Refuse triggers on metrics the base does not report (one line each).

    Raises:
        ScenarioError: Naming the plan file and the trigger's field.
    """
    problems = check_triggers(loaded)
    if problems:
        raise ScenarioError(problems)


__all__ = [
    "DecisionRule",
    "PlanPrecision",
    "PlanResult",
    "check_plan",
    "check_triggers",
    "run_plan",
]
