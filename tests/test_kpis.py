"""KPIs of one replication: the wait split by cause and the overloaded flag.

The overloaded flag must never mark a terminal of the shipped baseline (occupancy about
0.5 to 0.65) nor a textbook queue at occupancy 0.8, and must always mark one whose demand
exceeds its capacity by 5% or more over a year of a few thousand calls.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lygsim.loader import load_scenario
from lygsim.metrics import BERTH_DELAYS, WAIT_CAUSES, overloaded
from lygsim.report import comparison_table, display_names, kpi_table, scenario_thresholds
from lygsim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "scenarios" / "validation"
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"
YEAR_DAYS = 200 + 365  # the textbook queues' warm-up, then a year observed


def _kpi(kpis, terminal: str) -> dict[str, float]:
    scope = "port" if terminal == "port" else "terminal"  # no terminal is called port here
    k = kpis[(kpis["scope"] == scope) & (kpis["name"] == terminal)]
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


# --- the console tables ---------------------------------------------------------------------


def _summary(rows: list[tuple[str, str, str, float]], n: int = 10) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scope": "terminal",
                "name": t,
                "metric": m,
                "unit": u,
                "mean": v,
                "n": n,
                "ci_low": v,
                "ci_high": v,
            }
            for t, m, u, v in rows
        ]
    )


def test_kpi_table_flags_values_over_thresholds_and_warns_of_overload():
    summary = _summary(
        [
            ("ore", "throughput", "t", 5e7),
            ("ore", "berth_occupancy", "fraction", 0.72),
            ("ore", "wait_service_ratio", "ratio", 0.1),
            ("ore", "overloaded", "flag", 0.0),
            ("crude", "throughput", "t", 1e7),
            ("crude", "berth_occupancy", "fraction", 0.97),
            ("crude", "wait_service_ratio", "ratio", 12.5),
            ("crude", "overloaded", "flag", 0.3),
        ]
    )
    text = kpi_table(summary, {"ore": (0.3, 0.7), "crude": (0.5, None)})
    lines = text.splitlines()
    ore = next(x for x in lines if x.startswith("ore "))
    crude = next(x for x in lines if x.startswith("crude "))
    assert "0.72!" in ore and "0.100!" not in ore
    assert "12.500!" in crude and "0.97!" not in crude  # no occupancy threshold set
    assert lines.index(crude) + 1 < len(lines)
    assert any(x.startswith("! above the terminal's threshold") for x in lines)
    assert lines[-1] == (
        "warning: terminal crude is overloaded in 3 of 10 replications: demand exceeds "
        "capacity, waits grow without bound"
    )
    assert "terminal ore is overloaded" not in text
    # the flag keeps the columns aligned: every row as long as the header
    header = lines[0]
    assert len(ore.rstrip("! ")) <= len(header) and header.split()[-1] == "yard"
    # without thresholds nothing is flagged, but the overload still warns
    plain = kpi_table(summary)
    assert "!" not in plain.replace("warning", "")
    assert "terminal crude is overloaded in 3 of 10" in plain


def test_scenario_thresholds_are_those_kpi_table_needs():
    scenario = load_scenario(BASELINE)
    got = scenario_thresholds(scenario)
    assert set(got) == set(scenario.terminals)
    for name, term in scenario.terminals.items():
        assert got[name] == (term.thresholds.max_wait_service_ratio, term.thresholds.max_occupancy)


def test_kpi_table_names_services_and_links_as_the_scenario_does():
    scenario = load_scenario(BASELINE)
    names = display_names(scenario)
    assert names == {"shuttle": "Lianshen Express", "corridor": "Shanghai data corridor"}
    summary = pd.DataFrame(
        [
            {"scope": scope, "name": key, "metric": m, "unit": "", "mean": 1.0, "n": 2}
            for scope, key, m in (
                ("service", "shuttle", "sailings"),
                ("link", "corridor", "availability"),
                ("service", "feeder", "sailings"),  # a service without a display name
            )
        ]
    )
    lines = kpi_table(summary, names=names).splitlines()
    assert "Lianshen Express (shuttle): 1 sailings" in lines
    assert "Shanghai data corridor (corridor): availability 1.000" in lines
    assert "feeder: 1 sailings" in lines


def test_compare_table_columns_never_touch():
    rows = []
    for metric, base, option in (
        ("throughput", 12_345_678.9, 12_399_999.1),
        ("mean_wait_h", 12_345_678.9, -0.000123),
        ("wait_service_ratio", 0.021, 0.0213),
    ):
        d = option - base
        rows.append(
            {
                "option": "wide",
                "scope": "terminal",
                "name": "container_terminal_long_name",
                "metric": metric,
                "base_mean": base,
                "option_mean": option,
                "delta": d,
                "delta_ci_low": d - 1_234_567.8 if metric == "throughput" else -0.000123,
                "delta_ci_high": d + 2_345_678.9 if metric == "throughput" else 0.0004,
                "rel_change": d / base,
                "significant": metric == "throughput",
            }
        )
    text = comparison_table(pd.DataFrame(rows))
    lines = text.splitlines()
    header = lines[1]
    # every value is its own field: two spaces at least between any two columns
    for line in lines[2:]:
        fields = re.split(r"\s{2,}", line.strip())
        assert len(fields) in (6, 7), line
        assert fields[0] == "container_terminal_long_name"
    table = "\n".join(lines[2:])
    assert "12,345,679" in table and "-0.000123" in table and "-0.000 " not in table
    # right-aligned numbers end under their header
    for name in ("base", "option", "change [95% interval]"):
        end = header.index(name) + len(name)
        for line in lines[2:]:
            assert line[end - 1] != " " and (len(line) == end or line[end] == " "), (name, line)


# --- scope and name ---------------------------------------------------------------------------


def _renamed(names: dict[str, str]):
    """A two-terminal scenario whose terminals ``t1``, ``t2`` are renamed as given."""
    import json

    from helpers_model import scenario_dict, validate

    text = json.dumps(scenario_dict(terminals=2, horizon_days=30.0, warmup_days=5.0))
    for old, new in names.items():
        text = text.replace(f'"{old}', f'"{new}')
    return validate(json.loads(text))


def test_terminals_named_like_port_wide_rows_keep_rows_of_their_own():
    sc = _renamed({"t1": "port", "t2": "shuttle"})
    assert set(sc.terminals) == {"port", "shuttle"}
    k = simulate(sc, seed=4).kpis
    assert list(k.columns) == ["scope", "name", "metric", "unit", "value"]
    assert not k.duplicated(["scope", "name", "metric"]).any()
    terminal = k[k.scope == "terminal"]
    assert set(terminal.name) == {"port", "shuttle"}
    port = k[k.scope == "port"].set_index("metric")["value"]
    assert set(k[k.scope == "port"].name) == {"port"}
    # the port-wide calls are those of both terminals, not of the terminal called port
    calls = terminal[terminal.metric == "calls"].set_index("name")["value"]
    assert calls["port"] > 0 and calls["shuttle"] > 0
    assert port["calls"] == calls["port"] + calls["shuttle"]
    # the console table lists both terminals and still the port line
    summary = k.rename(columns={"value": "mean"}).assign(n=1, ci_low=k.value, ci_high=k.value)
    lines = kpi_table(summary).splitlines()
    assert any(x.startswith("port ") for x in lines)
    assert any(x.startswith("shuttle ") for x in lines)
    assert any(x.startswith("port: ") for x in lines)
