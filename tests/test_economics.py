"""Cash flows, NPV and the decision, against tables computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lygsim.decision import NEVER, Choice, commission_curve, decide
from lygsim.economics import (
    TOTAL,
    USAGE_COLUMNS,
    Investment,
    Prices,
    cash_flows,
    discount_factor,
    npv_by_replication,
    npv_table,
    paired_deltas,
)
from lygsim.stats import mean_ci, paired_ci


def usage(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=USAGE_COLUMNS)


BERTH = Investment("berth", 100.0, (0.25, 0.75), 10.0, 2026, life_years=20)
PRICES = Prices(
    discount_rate=0.10,
    base_year=2024,
    waiting_per_h={"cape": 0.5},
    at_berth_per_h={"cape": 0.25},
    default_waiting_per_h=0.1,
    default_at_berth_per_h=0.0,
    cargo_time_per_unit_h={"ore": 0.001},
    turned_away_per_unit={"ore": 0.01},
)
USAGE = usage(
    [
        # replication, year, terminal, class, waiting_h, at_berth_h, cargo_unit_h, backlog, over
        (0, 2025, "ore", "cape", 10.0, 4.0, 1000.0, 0.0, 0.0),
        (0, 2025, "ore", "pana", 20.0, 8.0, 0.0, 0.0, 0.0),
        (0, 2027, "ore", "cape", 2.0, 4.0, 0.0, 500.0, 1.0),
        (1, 2025, "ore", "cape", 30.0, 0.0, 0.0, 0.0, 0.0),
        (1, 2026, "ore", "pana", 0.0, 6.0, 0.0, 700.0, 0.0),  # not overloaded: nothing away
    ]
)


def test_cash_flows_match_a_table_computed_by_hand():
    flows = cash_flows("build", USAGE, [BERTH], PRICES, 2025, 2027, [0, 1])
    got = {
        (r.replication, r.year, r.cost_item): (r.amount, r.discounted)
        for r in flows.itertuples()
        if r.amount != 0
    }
    d = {2024: 1.0, 2025: 1 / 1.1, 2026: 1 / 1.21, 2027: 1 / 1.331}
    # capex 100 with shares 0.25, 0.75 ending the year before opening (2026): 2024 and 2025,
    # 2024 lies before the first simulated year and is counted all the same
    # opex 10 in 2026 and 2027; two years of a 20-year life used: 90 back in 2027
    invest = {(2024, "capex"): 25.0, (2025, "capex"): 75.0, (2026, "opex"): 10.0}
    invest |= {(2027, "opex"): 10.0, (2027, "residual_value"): -90.0}
    by_hand = {}
    for rep in (0, 1):
        for (year, item), amount in invest.items():
            by_hand[(rep, year, item)] = amount
    # replication 0: cape 10 h x 0.5 waiting, 4 h x 0.25 at berth; pana at the default 0.1
    by_hand[(0, 2025, "ship_waiting")] = 10 * 0.5 + 20 * 0.1
    by_hand[(0, 2025, "ship_at_berth")] = 4 * 0.25
    by_hand[(0, 2025, "cargo_time")] = 1000 * 0.001
    by_hand[(0, 2027, "ship_waiting")] = 2 * 0.5
    by_hand[(0, 2027, "ship_at_berth")] = 4 * 0.25
    by_hand[(0, 2027, "turned_away")] = 500 * 0.01
    by_hand[(1, 2025, "ship_waiting")] = 30 * 0.5
    assert set(got) == set(by_hand)
    for key, amount in by_hand.items():
        assert got[key][0] == pytest.approx(amount, rel=1e-12)
        assert got[key][1] == pytest.approx(amount * d[key[1]], rel=1e-12)
    # every simulated year has its usage rows, zero or not; investment rows as they fall
    assert len(flows) == 2 * 3 * 4 + 2 * 5
    assert list(flows.columns) == [
        "strategy",
        "replication",
        "year",
        "cost_item",
        "amount",
        "discounted",
    ]

    npv = npv_by_replication(flows)
    total = npv[npv.cost_item == TOTAL].set_index("replication")["npv"]
    shared = 25 + 75 / 1.1 + 10 / 1.21 + (10 - 90) / 1.331
    rep0 = shared + (5 + 2 + 1 + 1) / 1.1 + (1 + 1 + 5) / 1.331
    rep1 = shared + 15 / 1.1
    assert total[0] == pytest.approx(rep0, rel=1e-12)
    assert total[1] == pytest.approx(rep1, rel=1e-12)
    table = npv_table(npv).set_index(["strategy", "cost_item"])
    mean, _, _, lo, hi = mean_ci([rep0, rep1])
    assert tuple(table.loc[("build", TOTAL)]) == pytest.approx((mean, lo, hi))
    capex = table.loc[("build", "capex")]
    assert capex.npv_mean == pytest.approx(25 + 75 / 1.1) and capex.ci_low == pytest.approx(
        capex.npv_mean
    )


def test_discount_factor_compounds_before_and_discounts_after_the_base_year():
    assert discount_factor(2024, 2024, 0.06) == 1.0
    assert discount_factor(2026, 2024, 0.06) == pytest.approx(1 / 1.06**2)
    assert discount_factor(2022, 2024, 0.06) == pytest.approx(1.06**2)


def test_an_option_opening_after_the_plan_costs_nothing_and_life_beyond_gives_no_residual():
    late = Investment("late", 100.0, (1.0,), 5.0, 2031)
    flows = cash_flows("s", usage([]), [late], PRICES, 2025, 2030, [0])
    assert (flows["amount"] == 0).all()
    used_up = Investment("old", 100.0, (1.0,), 0.0, 2025, life_years=3)  # 6 years used > 3
    flows = cash_flows("s", usage([]), [used_up], PRICES, 2025, 2030, [0])
    assert "residual_value" not in set(flows.cost_item)
    assert flows.loc[flows.cost_item == "capex", "year"].tolist() == [2024]


def test_paired_deltas_pair_replications():
    rows = []
    for strategy, values in (("base", [10.0, 20.0, 30.0]), ("opt", [9.0, 18.5, 29.0])):
        for r, v in enumerate(values):
            rows.append((strategy, r, TOTAL, v))
    npv = pd.DataFrame(rows, columns=["strategy", "replication", "cost_item", "npv"])
    deltas = paired_deltas(npv, "base").set_index("strategy")
    d, _, _, lo, hi = paired_ci([10, 20, 30], [9, 18.5, 29])
    assert tuple(deltas.loc["opt", ["delta_mean", "delta_ci_low", "delta_ci_high"]]) == (
        pytest.approx((d, lo, hi))
    )
    assert bool(deltas.loc["opt", "significant"]) is True  # -1, -1.5, -1: always below
    assert tuple(deltas.loc["base", ["delta_mean", "delta_ci_low", "delta_ci_high"]]) == (0, 0, 0)
    assert bool(deltas.loc["base", "significant"]) is False


def _npv(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [(s, r, TOTAL, v) for s, vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["strategy", "replication", "cost_item", "npv"])


def test_commission_curve_names_the_best_year_and_what_cannot_be_told_apart():
    npv = _npv(
        {
            "s@2026": [100.0, 110.0, 120.0],
            "s@2027": [101.0, 108.0, 123.0],  # differences +1, -2, +3: includes zero
            "s@2028": [130.0, 141.0, 149.0],  # +30, +31, +29: costlier
            "s@never": [200.0, 250.0, 300.0],
        }
    )
    choice = Choice(
        "s", "opt", {"2026": "s@2026", "2027": "s@2027", "2028": "s@2028", NEVER: "s@never"}
    )
    curve = commission_curve(npv, choice).set_index("commission_year")
    assert curve.loc["2026", "verdict"] == "best"
    assert curve.loc["2027", "verdict"] == "cannot tell apart"
    assert curve.loc["2028", "verdict"] == "costlier"
    assert curve.loc["never", "verdict"] == "costlier"
    assert curve.loc["2028", "delta_vs_best_mean"] == pytest.approx(30.0)


def test_never_when_the_base_is_cheaper_than_every_year():
    npv = _npv(
        {
            "base": [10.0, 11.0, 12.0],
            "s@2026": [500.0, 510.0, 520.0],
            "s@2027": [480.0, 490.0, 500.0],
            "s@never": [10.0, 11.0, 12.0],
        }
    )
    choice = Choice("s", "opt", {"2026": "s@2026", "2027": "s@2027", NEVER: "s@never"})
    d = decide(npv, ["base", "s"], {"s": choice}, "base")
    table = d.table.set_index("strategy")
    assert table.loc["s", "best_commission_year"] == NEVER
    assert d.best == "base" and d.runner_up is None  # s at its best is the base itself
    assert table.loc["s", "delta_vs_base_mean"] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    capex=st.floats(0, 1e4),
    shares=st.lists(st.floats(0.01, 1), min_size=1, max_size=5),
    opex=st.floats(0, 100),
    year=st.integers(2024, 2032),
    rate=st.floats(0, 0.2),
    hours=st.lists(st.floats(0, 1e4), min_size=3, max_size=3),
)
def test_npv_is_the_discounted_sum_and_undiscounted_at_rate_zero(
    capex, shares, opex, year, rate, hours
):
    total = sum(shares)
    spending = tuple(s / total for s in shares)
    inv = Investment("o", capex, spending, opex, year)
    rows = [(0, 2024 + i, "t", "c", h, 0.0, 0.0, 0.0, 0.0) for i, h in enumerate(hours)]
    prices = Prices(rate, 2024, default_waiting_per_h=0.2)
    flows = cash_flows("s", usage(rows), [inv], prices, 2024, 2030, [0])
    npv = npv_by_replication(flows)
    got = float(npv.loc[npv.cost_item == TOTAL, "npv"].iloc[0])
    assert got == pytest.approx(float(flows["discounted"].sum()), rel=1e-9, abs=1e-9)
    flat = cash_flows(
        "s", usage(rows), [inv], Prices(0.0, 2024, default_waiting_per_h=0.2), 2024, 2030, [0]
    )
    opened = max(0, 2030 - year + 1) if year <= 2030 else 0
    expected = (capex if year <= 2030 else 0.0) + opex * opened + 0.2 * sum(hours)
    assert float(flat["discounted"].sum()) == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert not np.isnan(got) and math.isfinite(got)
