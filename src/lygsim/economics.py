"""Cash flows and net present values of a plan's strategies, replication by replication.

Pure arithmetic on tables (numpy and pandas only): what the simulation measured (ship
hours by class, cargo hours and backlogs by terminal) and what the plan says options cost
become one cash-flow table, ``strategy, replication, year, cost_item, amount,
discounted``, in the plan's money unit. Costs are positive, a residual value negative.

- **Discounting**: an amount of year ``y`` is worth ``amount / (1 + r) ** (y - base_year)``
  at the base year (whole years; a year before the base year is compounded forward).
- **Capital cost** of an option opening in year ``c`` with spending shares
  ``s_1 .. s_n``: ``capex * s_i`` in year ``c - n - 1 + i`` (the last share the year
  before opening), whether or not that year is simulated.
- **Operating cost**: ``opex_per_year`` in every simulated year from ``c`` on.
- **Residual value** (with ``life_years`` ``L``): after ``u = last - c + 1`` years of use,
  ``-capex * (L - u) / L`` in the last simulated year when ``u < L``.
- **Ship time**: per ship class, hours waiting times its waiting rate plus hours at berth
  times its at-berth rate (:mod:`lygsim.shiptime`).
- **Cargo time**: per terminal, unit-hours of cargo in port times its rate.
- **Cargo turned away**: per terminal, in a replication-year in which the terminal is
  overloaded, the cargo of ships still waiting at the year's end times its rate.

NPVs are summed per replication, so every strategy has one total per replication and
replication ``r`` of two strategies saw the same ships (common random numbers): their
difference is taken pair by pair (:func:`paired_deltas`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lygsim.stats import mean_ci, paired_ci

INVESTMENT_ITEMS = ("capex", "opex", "residual_value")
USAGE_ITEMS = ("ship_waiting", "ship_at_berth", "cargo_time", "turned_away")
COST_ITEMS = (*INVESTMENT_ITEMS, *USAGE_ITEMS)
"""The cost items, in the order the tables list them."""
TOTAL = "total"
"""The cost item of an NPV table that sums the others."""
CASHFLOW_COLUMNS = ["strategy", "replication", "year", "cost_item", "amount", "discounted"]
NPV_COLUMNS = ["strategy", "cost_item", "npv_mean", "ci_low", "ci_high"]
DELTA_COLUMNS = ["strategy", "delta_mean", "delta_ci_low", "delta_ci_high", "significant"]
USAGE_COLUMNS = [
    "replication",
    "year",
    "terminal",
    "ship_class",
    "waiting_h",
    "at_berth_h",
    "cargo_unit_h",
    "backlog_units",
    "overloaded",
]
"""What :func:`usage_flows` reads: one row per replication, year, terminal and class;
``overloaded`` is the terminal's flag in that replication-year (0 or 1)."""


@dataclass(frozen=True)
class Investment:
    """An option opened by a strategy, with what it costs.

    Attributes:
        option: The option's key.
        capex: Capital cost.
        spending: Shares of ``capex`` spent in the years before opening, the last one the
            year before ``commission_year``; they sum to 1.
        opex_per_year: Operating cost in each year the option is open.
        commission_year: The first year the option is open.
        life_years: Economic life for the residual value; None: no residual value.
    """

    option: str
    capex: float
    spending: tuple[float, ...]
    opex_per_year: float
    commission_year: int
    life_years: int | None = None


@dataclass(frozen=True)
class Prices:
    """What ship time and cargo cost, and how amounts are discounted.

    Attributes:
        discount_rate: Per year, a fraction.
        base_year: The year amounts are discounted to.
        waiting_per_h, at_berth_per_h: By ship class; classes not listed cost the defaults.
        default_waiting_per_h, default_at_berth_per_h: The rates of other classes.
        cargo_time_per_unit_h: By terminal, per unit of cargo and hour in port.
        turned_away_per_unit: By terminal, per unit of cargo turned away.
    """

    discount_rate: float
    base_year: int
    waiting_per_h: Mapping[str, float] = field(default_factory=dict)
    at_berth_per_h: Mapping[str, float] = field(default_factory=dict)
    default_waiting_per_h: float = 0.0
    default_at_berth_per_h: float = 0.0
    cargo_time_per_unit_h: Mapping[str, float] = field(default_factory=dict)
    turned_away_per_unit: Mapping[str, float] = field(default_factory=dict)


def discount_factor(year: int | np.ndarray, base_year: int, rate: float) -> np.ndarray:
    """``(1 + rate) ** -(year - base_year)``: what one unit of ``year`` is worth at the base."""
    return np.power(1.0 + rate, -(np.asarray(year, dtype=float) - base_year))


def spending_schedule(inv: Investment) -> list[tuple[int, float]]:
    """``(year, amount)`` of the capital cost: shares in the years before opening."""
    n = len(inv.spending)
    return [(inv.commission_year - n + i, inv.capex * s) for i, s in enumerate(inv.spending)]


def investment_flows(inv: Investment, first: int, last: int) -> pd.DataFrame:
    """Capital, operating cost and residual value of one option: ``year, cost_item, amount``.

    An option opening after ``last`` is not built within the plan and costs nothing.
    """
    rows: list[tuple[int, str, float]] = []
    if inv.commission_year <= last:
        rows += [(y, "capex", a) for y, a in spending_schedule(inv)]
        rows += [
            (y, "opex", inv.opex_per_year) for y in range(max(inv.commission_year, first), last + 1)
        ]
        used = last - inv.commission_year + 1
        if inv.life_years is not None and used < inv.life_years:
            rows.append(
                (last, "residual_value", -inv.capex * (inv.life_years - used) / inv.life_years)
            )
    return pd.DataFrame(rows, columns=["year", "cost_item", "amount"])


def usage_flows(usage: pd.DataFrame, prices: Prices) -> pd.DataFrame:
    """Ship-time, cargo-time and turned-away costs: ``replication, year, cost_item, amount``.

    Args:
        usage: :data:`USAGE_COLUMNS`.
        prices: The rates.
    """
    cls = usage["ship_class"].astype(str)
    term = usage["terminal"].astype(str)
    wait_rate = cls.map(lambda c: prices.waiting_per_h.get(c, prices.default_waiting_per_h))
    berth_rate = cls.map(lambda c: prices.at_berth_per_h.get(c, prices.default_at_berth_per_h))
    cargo_rate = term.map(lambda t: prices.cargo_time_per_unit_h.get(t, 0.0))
    away_rate = term.map(lambda t: prices.turned_away_per_unit.get(t, 0.0))
    costs = pd.DataFrame(
        {
            "replication": usage["replication"].to_numpy(),
            "year": usage["year"].to_numpy(),
            "ship_waiting": usage["waiting_h"].to_numpy(float) * wait_rate.to_numpy(float),
            "ship_at_berth": usage["at_berth_h"].to_numpy(float) * berth_rate.to_numpy(float),
            "cargo_time": usage["cargo_unit_h"].to_numpy(float) * cargo_rate.to_numpy(float),
            "turned_away": usage["backlog_units"].to_numpy(float)
            * usage["overloaded"].to_numpy(float)
            * away_rate.to_numpy(float),
        }
    )
    summed = costs.groupby(["replication", "year"], sort=True)[list(USAGE_ITEMS)].sum()
    long = summed.stack().rename("amount").reset_index()
    return long.rename(columns={long.columns[2]: "cost_item"})


def cash_flows(
    strategy: str,
    usage: pd.DataFrame,
    investments: Sequence[Investment],
    prices: Prices,
    first: int,
    last: int,
    replications: Sequence[int],
) -> pd.DataFrame:
    """The cash-flow table of one strategy (:data:`CASHFLOW_COLUMNS`).

    Every replication gets the same investment flows and its own usage costs; every
    simulated year has a row for each usage item (zero where nothing was priced).
    """
    reps = list(replications)
    grid = pd.MultiIndex.from_product(
        [reps, range(first, last + 1), USAGE_ITEMS], names=["replication", "year", "cost_item"]
    )
    used = (
        usage_flows(usage, prices).set_index(["replication", "year", "cost_item"])["amount"]
        if len(usage)
        else pd.Series(dtype=float, name="amount")
    )
    parts = [used.reindex(grid, fill_value=0.0).reset_index()]
    inv = [investment_flows(i, first, last) for i in investments]
    inv = [f for f in inv if len(f)]
    if inv:
        one = pd.concat(inv, ignore_index=True)
        parts.append(
            pd.concat([one.assign(replication=r) for r in reps], ignore_index=True)[
                ["replication", "year", "cost_item", "amount"]
            ]
        )
    flows = pd.concat(parts, ignore_index=True)
    flows["year"] = flows["year"].astype(int)
    flows["discounted"] = flows["amount"].to_numpy(float) * discount_factor(
        flows["year"].to_numpy(), prices.base_year, prices.discount_rate
    )
    flows.insert(0, "strategy", strategy)
    order = {item: i for i, item in enumerate(COST_ITEMS)}
    flows["_item"] = flows["cost_item"].map(order)
    flows = flows.sort_values(["replication", "year", "_item"], kind="stable")
    return flows.drop(columns="_item").reset_index(drop=True)[CASHFLOW_COLUMNS]


def npv_by_replication(flows: pd.DataFrame) -> pd.DataFrame:
    """NPV per strategy, replication and cost item, with the ``total``.

    Returns:
        ``strategy, replication, cost_item, npv``; every item of :data:`COST_ITEMS` and the
        total for every strategy and replication (zero where there was no flow).
    """
    strategies = list(dict.fromkeys(flows["strategy"]))
    reps = sorted(set(flows["replication"]))
    by_item = flows.groupby(["strategy", "replication", "cost_item"], sort=False)[
        "discounted"
    ].sum()
    grid = pd.MultiIndex.from_product(
        [strategies, reps, COST_ITEMS], names=["strategy", "replication", "cost_item"]
    )
    npv = by_item.reindex(grid, fill_value=0.0).rename("npv").reset_index()
    total = npv.groupby(["strategy", "replication"], sort=False)["npv"].sum().reset_index()
    total["cost_item"] = TOTAL
    out = pd.concat([npv, total[["strategy", "replication", "cost_item", "npv"]]])
    order = {s: i for i, s in enumerate(strategies)}
    items = {item: i for i, item in enumerate((*COST_ITEMS, TOTAL))}
    out = out.assign(_s=out["strategy"].map(order), _i=out["cost_item"].map(items))
    out = out.sort_values(["_s", "_i", "replication"], kind="stable")
    return out.drop(columns=["_s", "_i"]).reset_index(drop=True)


def npv_table(npv_reps: pd.DataFrame) -> pd.DataFrame:
    """Mean NPV per strategy and cost item with its 95% interval (:data:`NPV_COLUMNS`)."""
    rows = []
    for (strategy, item), grp in npv_reps.groupby(["strategy", "cost_item"], sort=False):
        mean, _, _, lo, hi = mean_ci(grp.sort_values("replication")["npv"].to_numpy())
        rows.append((strategy, item, mean, lo, hi))
    return pd.DataFrame(rows, columns=NPV_COLUMNS)


def totals(npv_reps: pd.DataFrame, strategy: str) -> np.ndarray:
    """A strategy's total NPV of each replication, in replication order."""
    sel = npv_reps[(npv_reps["strategy"] == strategy) & (npv_reps["cost_item"] == TOTAL)]
    return sel.sort_values("replication")["npv"].to_numpy(dtype=float)


def paired_delta(npv_reps: pd.DataFrame, strategy: str, other: str) -> tuple[float, float, float]:
    """Mean of ``strategy - other`` total NPV, paired by replication, and its 95% interval."""
    delta, _, _, lo, hi = paired_ci(totals(npv_reps, other), totals(npv_reps, strategy))
    return delta, lo, hi


def paired_deltas(npv_reps: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each strategy's total NPV minus the reference's, paired (:data:`DELTA_COLUMNS`).

    ``significant``: the 95% interval of the difference excludes zero.
    """
    rows = []
    for strategy in dict.fromkeys(npv_reps["strategy"]):
        d, lo, hi = paired_delta(npv_reps, strategy, reference)
        rows.append((strategy, d, lo, hi, significant(lo, hi)))
    return pd.DataFrame(rows, columns=DELTA_COLUMNS)


def significant(lo: float, hi: float) -> bool:
    """Whether an interval excludes zero (a NaN interval never does)."""
    return not (math.isnan(lo) or math.isnan(hi)) and (lo > 0 or hi < 0)


__all__ = [
    "CASHFLOW_COLUMNS",
    "COST_ITEMS",
    "DELTA_COLUMNS",
    "NPV_COLUMNS",
    "TOTAL",
    "USAGE_COLUMNS",
    "Investment",
    "Prices",
    "cash_flows",
    "discount_factor",
    "investment_flows",
    "npv_by_replication",
    "npv_table",
    "paired_delta",
    "paired_deltas",
    "significant",
    "spending_schedule",
    "totals",
    "usage_flows",
]
