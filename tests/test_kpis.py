"""KPIs of one replication: the wait split by cause and the overloaded flag.

The overloaded flag must never mark a terminal of the shipped baseline (occupancy about
0.5 to 0.65) nor a textbook queue at occupancy 0.8, and must always mark one whose demand
exceeds its capacity by 5% or more over a year of a few thousand calls.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lygsim.loader import load_scenario
from lygsim.metrics import BERTH_DELAYS, WAIT_CAUSES, overloaded
from lygsim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "scenarios" / "validation"
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"
YEAR_DAYS = 200 + 365  # the textbook queues' warm-up, then a year observed


def _kpi(kpis, terminal: str) -> dict[str, float]:
    k = kpis[kpis["terminal"] == terminal]
    return dict(zip(k["metric"], k["value"], strict=True))


def _queue_flags(path: Path, overrides: list[str], reps: int) -> list[float]:
    scenario = load_scenario(path, overrides)
    return [
        _kpi(simulate(scenario, seed=7, replication=r, days=YEAR_DAYS).kpis, "queue")["overloaded"]
        for r in range(reps)
    ]


@pytest.fixture(scope="module")
def baseline_runs():
    scenario = load_scenario(BASELINE)
    return [simulate(scenario, seed=2023, replication=r) for r in range(2)]


def test_baseline_waits_add_up_by_cause_and_no_terminal_is_overloaded(baseline_runs):
    for res in baseline_runs:
        terminals = [*res.visits["terminal"].cat.categories, "port"]
        for term in terminals:
            k = _kpi(res.kpis, term)
            parts = [k[f"mean_wait_{c}_h"] for c in WAIT_CAUSES]
            assert math.isclose(sum(parts), k["mean_wait_h"], rel_tol=1e-9), (term, k)
            if term == "port":
                continue
            assert k["overloaded"] == 0.0, (term, k["berth_occupancy"], k["offered_load"])
            # the offered load of a stable terminal estimates its occupancy
            assert abs(k["offered_load"] - k["berth_occupancy"]) < 0.05, term
            for d in BERTH_DELAYS:
                assert k[f"mean_delay_{d}_h"] >= 0
        v = res.visits
        total = v["wait_berth_h"] + v["wait_tide_h"] + v["wait_weather_h"]
        assert np.allclose(total, v["wait_h"], atol=1e-9)


def test_baseline_outbound_tide_is_a_delay_at_the_berth_not_a_wait(baseline_runs):
    # crude and ore ships are tide-bound both ways: the way out is part of the berth time
    k = _kpi(baseline_runs[0].kpis, "crude")
    assert k["mean_delay_outbound_tide_h"] > 0
    assert k["mean_wait_tide_h"] > 0
    v = baseline_runs[0].visits
    left = v["departed_h"].notna()
    service = (v["departed_h"] - v["entered_h"])[left]
    delays = sum(v.loc[left, f"delay_{d}_h"] for d in BERTH_DELAYS)
    assert (delays <= service + 1e-9).all()


def test_a_queue_at_occupancy_08_is_never_overloaded():
    assert _queue_flags(VALIDATION / "mm1_rho08.yaml", [], 10) == [0.0] * 10
    assert _queue_flags(VALIDATION / "mm4_rho08.yaml", [], 10) == [0.0] * 10


@pytest.mark.parametrize(
    ("path", "interarrival_h"),
    [
        ("mm1_rho08.yaml", 10.0 / 1.2),  # M/M/1 at 1.2
        ("mm1_rho08.yaml", 10.0 / 1.05),  # M/M/1 at 1.05
        ("mm4_rho08.yaml", 10.0 / (4 * 1.05)),  # M/M/4 at 1.05
    ],
)
def test_a_queue_whose_demand_exceeds_its_capacity_is_overloaded(path, interarrival_h):
    overrides = [f"arrivals.poisson.interarrival_h.mean={interarrival_h}"]
    assert _queue_flags(VALIDATION / path, overrides, 10) == [1.0] * 10


def test_the_overloaded_rule():
    assert overloaded(0.99, 1.2, 500) == 1.0
    assert overloaded(0.96, 0.96, 500) == 1.0
    # busy berths working off a backlog from the warm-up: not overloaded
    assert overloaded(0.99, 0.7, 500) == 0.0
    # demand over capacity but berths idle part of the time (a short or starting window)
    assert overloaded(0.9, 1.1, 500) == 0.0
    # no ship has left yet: busy berths and arrivals are enough
    assert overloaded(1.0, math.nan, 3) == 1.0
    assert overloaded(1.0, math.nan, 0) == 0.0
    assert math.isnan(overloaded(math.nan, 1.0, 3))
