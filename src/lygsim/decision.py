"""Which strategy is cheapest, and in which year to build: the decision of a plan.

Every comparison is paired replication by replication (common random numbers). A
strategy with a range of commissioning years is simulated once per year of the range and
once without the option ("never"); its cost curve against the year gives the best year,
and each year's paired difference from the best one says whether the replications can
tell the two apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lygsim.economics import paired_delta, significant, totals
from lygsim.stats import mean_ci

NEVER = "never"
"""The commissioning year of a ranged option that is better not built."""
DECISION_COLUMNS = [
    "strategy",
    "npv_total_mean",
    "ci_low",
    "ci_high",
    "delta_vs_base_mean",
    "delta_ci_low",
    "delta_ci_high",
    "best_commission_year",
    "significant",
]
CURVE_COLUMNS = [
    "strategy",
    "option",
    "commission_year",
    "variant",
    "npv_mean",
    "ci_low",
    "ci_high",
    "delta_vs_best_mean",
    "delta_ci_low",
    "delta_ci_high",
    "verdict",
]
BEST, TIED, COSTLIER = "best", "cannot tell apart", "costlier"


@dataclass(frozen=True)
class Choice:
    """A strategy whose option has a range of commissioning years.

    Attributes:
        strategy: The strategy's name.
        option: The option whose year is chosen.
        variants: Each year (or :data:`NEVER`) and the name of the strategy simulated with it.
    """

    strategy: str
    option: str
    variants: Mapping[str, str]


@dataclass(frozen=True)
class Decision:
    """The plan's answer.

    Attributes:
        table: ``decision.csv`` (:data:`DECISION_COLUMNS`), one row per strategy.
        curve: ``commission_years.csv`` (:data:`CURVE_COLUMNS`).
        best: The strategy with the lowest expected total cost.
        runner_up: The next cheapest strategy whose costs differ from the best's in some
            replication (None if there is none).
        gap: The paired difference runner-up minus best: mean, 95% low and high.
        best_years: Each ranged strategy's best year (or :data:`NEVER`).
        variant_of: Each strategy's simulated variant that stands for it.
    """

    table: pd.DataFrame
    curve: pd.DataFrame
    best: str
    runner_up: str | None
    gap: tuple[float, float, float]
    best_years: dict[str, str]
    variant_of: dict[str, str]


def _mean(npv_reps: pd.DataFrame, variant: str) -> tuple[float, float, float]:
    mean, _, _, lo, hi = mean_ci(totals(npv_reps, variant))
    return mean, lo, hi


def commission_curve(npv_reps: pd.DataFrame, choice: Choice) -> pd.DataFrame:
    """The cost curve of a ranged strategy against the commissioning year (``CURVE_COLUMNS``).

    The best year has the lowest mean total NPV (the earliest among equals); every other
    is paired against it: ``cannot tell apart`` when the 95% interval of the difference
    includes zero, ``costlier`` otherwise.
    """
    means = {label: _mean(npv_reps, v) for label, v in choice.variants.items()}
    best = min(means, key=lambda label: means[label][0])
    rows = []
    for label, variant in choice.variants.items():
        mean, lo, hi = means[label]
        d, dlo, dhi = paired_delta(npv_reps, variant, choice.variants[best])
        verdict = BEST if label == best else (COSTLIER if significant(dlo, dhi) else TIED)
        rows.append(
            (choice.strategy, choice.option, label, variant, mean, lo, hi, d, dlo, dhi, verdict)
        )
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def decide(
    npv_reps: pd.DataFrame,
    strategies: Sequence[str],
    choices: Mapping[str, Choice],
    reference: str,
) -> Decision:
    """The decision table, the commissioning-year curves and the cheapest strategy.

    Args:
        npv_reps: NPV per variant, replication and item
            (:func:`lygsim.economics.npv_by_replication`).
        strategies: The plan's strategies, in order.
        choices: The ranged strategies by name; every other strategy is a variant itself.
        reference: The strategy the others are compared with.
    """
    curves = [commission_curve(npv_reps, choices[s]) for s in strategies if s in choices]
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    best_years = {
        str(c): str(g.loc[g["verdict"] == BEST, "commission_year"].iloc[0])
        for c, g in curve.groupby("strategy", sort=False)
    }
    variant_of = {s: choices[s].variants[best_years[s]] if s in choices else s for s in strategies}
    ref = variant_of[reference]
    rows = []
    for s in strategies:
        v = variant_of[s]
        mean, lo, hi = _mean(npv_reps, v)
        d, dlo, dhi = paired_delta(npv_reps, v, ref)
        rows.append((s, mean, lo, hi, d, dlo, dhi, best_years.get(s, ""), significant(dlo, dhi)))
    table = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    order = sorted(
        strategies,
        key=lambda s: (
            float(table.set_index("strategy").loc[s, "npv_total_mean"]),
            strategies.index(s),
        ),
    )
    best = order[0]
    runner_up = next(
        (
            s
            for s in order[1:]
            if not np.array_equal(
                totals(npv_reps, variant_of[s]), totals(npv_reps, variant_of[best])
            )
        ),
        None,
    )
    gap = (
        paired_delta(npv_reps, variant_of[runner_up], variant_of[best])
        if runner_up is not None
        else (math.nan, math.nan, math.nan)
    )
    return Decision(table, curve, best, runner_up, gap, best_years, variant_of)


__all__ = [
    "BEST",
    "COSTLIER",
    "CURVE_COLUMNS",
    "DECISION_COLUMNS",
    "NEVER",
    "TIED",
    "Choice",
    "Decision",
    "commission_curve",
    "decide",
]
