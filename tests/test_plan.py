"""lygsim plan: year scenarios, strategies, the decision, the cache and bad plan files."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import lygsim
from conftest import dump
from lygsim.cli import main
from lygsim.experiment import DONE_FILE
from lygsim.loader import scenario_hash
from lygsim.plan import year_scenario
from lygsim.planload import load_plan
from lygsim.planrun import DecisionRule, run_plan

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"

# one dry bulk berth, service ~ exponential 10 h, 500 calls in 2023 growing 20%/yr:
# occupancy about 0.57, 0.68, 0.82, 0.98 in 2023-2026
TINY: dict[str, Any] = {
    "scenario": {
        "name": "tiny",
        "start_date": "2022-12-01",
        "warmup_days": 31,
        "horizon_days": 396,
    },
    "ship_classes": {
        "bulker": {
            "terminal": "bulk",
            "dwt_t": 10000,
            "loa_m": 100,
            "draft_m": 8,
            "call_size": {"dist": "exponential", "mean": 10},
        }
    },
    "arrivals": {
        "bulk_calls": {
            "kind": "poisson",
            "ship_class": "bulker",
            "calls_per_year": 500,
            "growth_per_year": 0.2,
        }
    },
    "terminals": {
        "bulk": {
            "cargo": "dry_bulk",
            "berths": {
                "all": {
                    "count": 1,
                    "max_dwt_t": 10000,
                    "max_loa_m": 100,
                    "max_draft_m": 8,
                    "equipment": 1,
                    "rate": {"dist": "constant", "value": 1.0},
                }
            },
        }
    },
}
BERTH2 = {
    "extends": "base.yaml",
    "scenario": {"name": "berth2"},
    "terminals": {"bulk": {"berths": {"all": {"count": 2}}}},
}
PLAN: dict[str, Any] = {
    "name": "tiny_plan",
    "base": "base.yaml",
    "years": {"first": 2023, "last": 2026},
    "reps": 3,
    "seed": 7,
    "economics": {
        "discount_rate": 0.05,
        "ship_time": {"default": {"waiting_per_h": 0.01, "at_berth_per_h": 0.0}},
    },
    "options": {
        "berth2": {
            "file": "berth2.yaml",
            "capex": 20,
            "spending": [0.5, 0.5],
            "opex_per_year": 1,
            "lead_time_years": 1,
        }
    },
    "strategies": {
        "base": [],
        "b2025": [{"option": "berth2", "year": 2025}],
    },
}


def write_plan(folder: Path, plan: dict[str, Any] | None = None, **changes: Any) -> Path:
    """The tiny base, the second-berth option and a plan (PLAN with ``changes``) in ``folder``."""
    dump(folder / "base.yaml", TINY)
    dump(folder / "berth2.yaml", BERTH2)
    data = copy.deepcopy(plan or PLAN)
    data.update(changes)
    return dump(folder / "plan.yaml", data)


def plan_cli(path: Path, out: Path, *extra: str) -> int:
    return main(["plan", str(path), "--out", str(out), "--quiet", *extra])


# --- year scenarios ----------------------------------------------------------------------------


def baseline_plan(tmp_path: Path) -> Path:
    plan = {
        "name": "lyg",
        "base": str(BASELINE),
        "years": {"first": 2023, "last": 2040},
        "options": {"ore": {"file": str(ROOT / "scenarios" / "option_ore_400k.yaml"), "capex": 1}},
        "strategies": {"base": [], "ore": [{"option": "ore", "year": 2025}]},
    }
    return dump(tmp_path / "plan.yaml", plan)


def test_the_base_year_is_the_base_scenario_and_later_years_move_and_grow(tmp_path):
    loaded = load_plan(baseline_plan(tmp_path))
    base = lygsim.load_scenario(BASELINE)
    assert scenario_hash(year_scenario(loaded, 2023)) == scenario_hash(base)
    later = year_scenario(loaded, 2030)
    meta = later.scenario
    # the window is calendar 2030, warm-up kept; 2028 is a leap year: one day more
    assert str(meta.start_date) == "2029-12-01" and meta.warmup_days == 31
    assert meta.horizon_days == 31 + 365
    assert year_scenario(loaded, 2028).scenario.horizon_days == 31 + 366
    for name, arr in base.arrivals.items():
        new = later.arrivals[name]
        if arr.kind == "poisson":
            factor = (1 + arr.growth_per_year) ** 7
            assert new.calls_per_year == pytest.approx(arr.calls_per_year * factor, rel=1e-12)
        else:
            assert new == arr  # timetables do not grow
    demand = base.services["shuttle"].demand
    grown = later.services["shuttle"].demand.teu_per_year
    assert grown == pytest.approx(demand.teu_per_year * (1 + demand.growth_per_year) ** 7)
    assert base.calibration.targets and not later.calibration.targets
    assert later.scenario.name == base.scenario.name


def test_an_option_that_changes_arrivals_is_merged_then_grown(tmp_path):
    loaded = load_plan(baseline_plan(tmp_path))
    option = lygsim.load_scenario(ROOT / "scenarios" / "option_ore_400k.yaml")
    with_ore = year_scenario(loaded, 2025, ("ore",))
    vloc = with_ore.arrivals["ore_vloc_calls"]
    assert vloc.ship_class == "ore_vloc_400k"
    expected = option.arrivals["ore_vloc_calls"].calls_per_year * 1.05**2
    assert vloc.calls_per_year == pytest.approx(expected, rel=1e-12)
    assert with_ore.terminals["ore"].berths["qitai_400k"].count == 1
    # the option in the base year is the option scenario, but for its name
    same = year_scenario(loaded, 2023, ("ore",))
    assert same.model_copy(update={"scenario": option.scenario}) == option


def test_a_window_that_is_not_a_calendar_year_moves_by_whole_years(tmp_path):
    short = copy.deepcopy(TINY)
    short["scenario"].update(start_date="2024-02-29", warmup_days=2, horizon_days=30)
    path = write_plan(tmp_path, years={"first": 2024, "last": 2027})
    dump(tmp_path / "base.yaml", short)
    loaded = load_plan(path)
    assert loaded.base_year == 2024
    moved = year_scenario(loaded, 2027, ("berth2",))
    assert str(moved.scenario.start_date) == "2027-02-28"  # no 29 February in 2027
    assert (moved.scenario.warmup_days, moved.scenario.horizon_days) == (2, 30)
    assert moved.arrivals["bulk_calls"].calls_per_year == pytest.approx(500 * 1.2**3)
    assert moved.terminals["bulk"].berths["all"].count == 2


def test_a_ferry_service_keeps_its_timetable_in_later_years(tmp_path):
    with_ferry = copy.deepcopy(TINY)
    with_ferry["services"] = {
        "ferry": {
            "kind": "ferry",
            "terminal": "bulk",
            "dwt_t": 8000,
            "loa_m": 90,
            "draft_m": 6,
            "vessels": 1,
            "departure_days": [2],
            "departure_hour": 20,
            "port_time_h": 10,
            "away_h": 100,
            "units_per_call": {"dist": "constant", "value": 5},
            "rate_per_h": 1.0,
        }
    }
    path = write_plan(tmp_path)
    dump(tmp_path / "base.yaml", with_ferry)
    loaded = load_plan(path)
    later = year_scenario(loaded, 2026)
    assert later.services["ferry"] == loaded.base.services["ferry"]
    assert later.arrivals["bulk_calls"].calls_per_year == pytest.approx(500 * 1.2**3)


# --- the engine and the decision ---------------------------------------------------------------


def test_each_year_scenario_is_simulated_once_for_every_strategy(tmp_path):
    path = write_plan(tmp_path)
    loaded = load_plan(path)
    result = run_plan(loaded, tmp_path / "out", workers=1)
    # base 2023-2026 and the second berth in 2025 and 2026: 6 year scenarios
    assert result.computed == 6 * 3 and result.reused == 0
    units = {k for c in result.courses.values() for k in c.units.values()}
    assert len(units) == 6
    years = result.years
    ws = years[(years.metric == "wait_service_ratio") & (years.scope == "terminal")]
    ws = ws.set_index(["strategy", "year"])["mean"]
    assert ws[("b2025", 2023)] == ws[("base", 2023)] and ws[("b2025", 2024)] == ws[("base", 2024)]
    assert ws[("b2025", 2026)] < ws[("base", 2026)]
    assert list(result.opened.itertuples(index=False)) == [("b2025", "berth2", "2025", "fixed", "")]


def test_free_capacity_with_a_cost_of_waiting_is_never_worse_in_any_replication(tmp_path):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"].update(capex=0, opex_per_year=0)
    plan["strategies"] = {"base": [], "now": [{"option": "berth2", "year": 2023}]}
    result = run_plan(load_plan(write_plan(tmp_path, plan)), tmp_path / "out", workers=1)
    flows = result.flows
    waiting = flows[flows.cost_item == "ship_waiting"].pivot_table(
        index=["replication", "year"], columns="strategy", values="amount"
    )
    assert (waiting["now"] <= waiting["base"]).all()  # every replication, every year
    assert (waiting["now"] < waiting["base"]).any()
    totals = result.npv_reps[result.npv_reps.cost_item == "total"].pivot(
        index="replication", columns="strategy", values="npv"
    )
    assert (totals["now"] <= totals["base"]).all()
    row = result.decision.table.set_index("strategy").loc["now"]
    assert row.delta_vs_base_mean < 0 and bool(row.significant)
    assert result.decision.best == "now"


def test_a_huge_capital_cost_leaves_the_base_cheapest_and_the_best_year_never(tmp_path):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"]["capex"] = 1e9
    plan["strategies"] = {
        "base": [],
        "when": [{"option": "berth2", "year": {"from": 2024, "to": 2026}}],
    }
    path = write_plan(tmp_path, plan)
    assert plan_cli(path, tmp_path / "out") == 0
    decision = pd.read_csv(tmp_path / "out" / "decision.csv").set_index("strategy")
    assert decision.loc["when", "best_commission_year"] == "never"
    assert decision.loc["base", "npv_total_mean"] == decision.loc["when", "npv_total_mean"]
    curve = pd.read_csv(tmp_path / "out" / "commission_years.csv", dtype={"commission_year": str})
    assert list(curve.commission_year) == ["2024", "2025", "2026", "never"]
    assert list(curve.verdict) == ["costlier"] * 3 + ["best"]
    # later is cheaper when building is this dear: fewer discounted years of it
    assert curve.npv_mean.iloc[0] > curve.npv_mean.iloc[1] > curve.npv_mean.iloc[2]


def test_auto_opens_after_the_first_year_the_base_crosses_the_trigger(tmp_path):
    plan = copy.deepcopy(PLAN)
    trigger = {"terminal": "bulk", "metric": "wait_service_ratio", "above": 1.5}
    plan["options"]["berth2"]["lead_time_years"] = 1
    plan["strategies"] = {
        "base": [],
        "auto": [{"option": "berth2", "year": "auto", "trigger": trigger}],
    }
    path = write_plan(tmp_path, plan)
    assert plan_cli(path, tmp_path / "out", "--workers", "1") == 0
    years = pd.read_csv(tmp_path / "out" / "years.csv")
    base_ws = years[
        (years.strategy == "base") & (years.name == "bulk") & (years.metric == "wait_service_ratio")
    ].set_index("year")["mean"]
    crossed = int(base_ws[base_ws > 1.5].index.min())
    assert crossed < 2026, base_ws  # the tiny terminal must cross inside the plan
    opened = pd.read_csv(tmp_path / "out" / "opened.csv", dtype=str).set_index("strategy")
    assert opened.loc["auto", "trigger_year"] == str(crossed)
    assert opened.loc["auto", "year"] == str(crossed + 1)
    auto_ws = years[
        (years.strategy == "auto") & (years.name == "bulk") & (years.metric == "wait_service_ratio")
    ].set_index("year")["mean"]
    assert (auto_ws[auto_ws.index <= crossed] == base_ws[base_ws.index <= crossed]).all()
    assert (auto_ws[auto_ws.index > crossed] < base_ws[base_ws.index > crossed]).all()


def test_auto_without_lead_time_opens_in_the_year_it_is_crossed(tmp_path):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"]["lead_time_years"] = 0
    trigger = {"terminal": "bulk", "metric": "berth_occupancy", "above": 0.75}
    plan["strategies"] = {
        "base": [],
        "auto": [{"option": "berth2", "year": "auto", "trigger": trigger}],
    }
    result = run_plan(load_plan(write_plan(tmp_path, plan)), tmp_path / "out", workers=1)
    opened = result.opened.set_index("strategy").loc["auto"]
    assert opened.year == opened.trigger_year != ""
    year = int(opened.year)
    occ = result.years[(result.years.metric == "berth_occupancy")].set_index(["strategy", "year"])
    assert occ.loc[("base", year), "mean"] > 0.75 >= occ.loc[("base", year - 1), "mean"]
    assert occ.loc[("auto", year), "mean"] < occ.loc[("base", year), "mean"]  # re-simulated


def test_changing_only_the_economics_recomputes_no_replication(tmp_path):
    path = write_plan(tmp_path)
    out = tmp_path / "out"
    assert plan_cli(path, out) == 0
    first = json.loads((out / "manifest.json").read_text())
    npv_before = pd.read_csv(out / "npv.csv")
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"].update(capex=55, spending=[1.0])
    plan["economics"].update(discount_rate=0.08, cargo_time_per_unit_h={"bulk": 0.002})
    write_plan(tmp_path, plan)
    assert plan_cli(path, out) == 0
    second = json.loads((out / "manifest.json").read_text())
    assert first["computed"] == 6 * 3 and first["reused"] == 0
    assert second["computed"] == 0 and second["reused"] == first["computed"]
    assert not pd.read_csv(out / "npv.csv").equals(npv_before)


def test_serial_and_pool_give_the_same_decision(tmp_path):
    path = write_plan(tmp_path, reps=4)
    assert plan_cli(path, tmp_path / "serial", "--workers", "1") == 0
    assert plan_cli(path, tmp_path / "pool", "--workers", "2") == 0
    for name in ("decision.csv", "npv.csv", "years.csv", "commission_years.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes()


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_decision(tmp_path):
    pytest.importorskip("distributed")
    path = write_plan(tmp_path, reps=4)
    assert plan_cli(path, tmp_path / "serial", "--workers", "1") == 0
    assert plan_cli(path, tmp_path / "dask", "--workers", "2", "--scheduler", "local") == 0
    for name in ("decision.csv", "npv.csv", "years.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_a_killed_plan_resumes_with_the_same_result(tmp_path):
    busy = copy.deepcopy(TINY)  # more ships: a replication takes long enough to kill between
    busy["arrivals"]["bulk_calls"]["calls_per_year"] = 4000
    busy["ship_classes"]["bulker"]["call_size"]["mean"] = 1.25
    args = ["--workers", "1", "--quiet", "--reps", "6"]
    path = write_plan(tmp_path)
    dump(tmp_path / "base.yaml", busy)
    whole = tmp_path / "whole"
    assert plan_cli(path, whole, *args) == 0
    part = tmp_path / "part"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lygsim", "plan", str(path), "--out", str(part), *args],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list(part.glob("runs/**/rep-*/done.json"))) < 8:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p.parent: p.stat().st_mtime_ns for p in part.glob("runs/**/rep-*/done.json")}
    assert 8 <= len(finished) < 6 * 6, "the plan was not killed halfway"
    assert not (part / "decision.csv").exists()
    assert plan_cli(path, part, *args) == 0
    for run_dir, mtime in finished.items():
        assert (run_dir / DONE_FILE).stat().st_mtime_ns == mtime
    manifest = json.loads((part / "manifest.json").read_text())
    assert manifest["reused"] == len(finished) and manifest["computed"] == 36 - len(finished)
    for name in ("decision.csv", "npv.csv", "years.csv"):
        assert (whole / name).read_bytes() == (part / name).read_bytes()


def test_decision_precision_adds_replications_until_the_best_year_is_stable(tmp_path, capsys):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"]["capex"] = 1e9
    plan["strategies"] = {
        "base": [],
        "when": [{"option": "berth2", "year": {"from": 2025, "to": 2026}}],
    }
    path = write_plan(tmp_path, plan)
    out = tmp_path / "out"
    assert (
        main(["plan", str(path), "--out", str(out), "--reps", "2", "--precision", "decision"]) == 0
    )
    manifest = json.loads((out / "manifest.json").read_text())
    # the base is far cheaper at once; the best year ("never") is confirmed by a second batch
    assert manifest["replications"] == 4 and manifest["precision_note"] is None
    assert "recommendation: base" in capsys.readouterr().out


def test_precision_not_reached_is_said_plainly(tmp_path, capsys):
    path = write_plan(tmp_path)
    code = main(
        [
            "plan",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--reps",
            "2",
            "--precision",
            "bulk.mean_wait_h=0.001",
            "--max-reps",
            "3",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "warning: precision not reached with 3 replications (--max-reps 3)" in captured.err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["precision_note"].startswith("precision not reached with 3")
    assert manifest["replications"] == 3


def test_run_plan_decision_rule_object(tmp_path):
    loaded = load_plan(write_plan(tmp_path))
    result = run_plan(loaded, tmp_path / "out", reps=2, workers=1, precision=DecisionRule(2))
    assert result.reps == 2
    gap = result.decision.gap
    if not (gap[1] > 0 or gap[2] < 0):
        assert result.precision_note is not None and "includes zero" in result.precision_note
    else:
        assert result.precision_note is None


# --- bad plan files ----------------------------------------------------------------------------


def _one_line_error(path: Path, capsys, *extra: str) -> str:
    code = main(["plan", str(path), "--out", str(path.parent / "out"), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert not (path.parent / "out").exists()
    return err


def test_an_unknown_option_is_one_line(tmp_path, capsys):
    path = write_plan(tmp_path, strategies={"base": [], "x": [{"option": "berth3", "year": 2025}]})
    err = _one_line_error(path, capsys)
    assert err == (f"{path}: strategies.x[0].option: unknown option 'berth3' (allowed: berth2)")
    code = main(["validate", str(path)])
    assert code == 2 and capsys.readouterr().out.strip() == err


def test_a_year_outside_the_plan_is_one_line(tmp_path, capsys):
    path = write_plan(tmp_path, strategies={"x": [{"option": "berth2", "year": 2031}]})
    assert (
        _one_line_error(path, capsys)
        == f"{path}: strategies.x[0].year: 2031 is outside years 2023-2026"
    )
    path = write_plan(
        tmp_path, strategies={"x": [{"option": "berth2", "year": {"from": 2020, "to": 2024}}]}
    )
    assert "strategies.x[0].year: 2020 is outside years 2023-2026" in _one_line_error(path, capsys)


def test_spending_that_does_not_sum_to_one_is_one_line(tmp_path, capsys):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"]["spending"] = [0.5, 0.4]
    err = _one_line_error(write_plan(tmp_path, plan), capsys)
    assert err.endswith("plan.yaml: options.berth2.spending: shares must sum to 1 (got 0.9)")


def test_an_unknown_terminal_or_metric_in_a_trigger_is_one_line(tmp_path, capsys):
    def with_trigger(**trigger: Any) -> Path:
        t = {"terminal": "bulk", "metric": "wait_service_ratio", "above": 0.3, **trigger}
        return write_plan(
            tmp_path, strategies={"a": [{"option": "berth2", "year": "auto", "trigger": t}]}
        )

    err = _one_line_error(with_trigger(terminal="ore"), capsys)
    assert err.endswith("strategies.a[0].trigger.terminal: unknown terminal 'ore' (allowed: bulk)")
    err = _one_line_error(with_trigger(metric="wait_ratio"), capsys)
    assert (
        "strategies.a[0].trigger.metric: terminal bulk has no metric 'wait_ratio' (allowed: calls,"
        in err
    )
    err = _one_line_error(
        write_plan(tmp_path, strategies={"a": [{"option": "berth2", "year": "auto"}]}), capsys
    )
    assert err.endswith("strategies.a[0].trigger: year auto needs a trigger")


def test_a_missing_file_is_one_line(tmp_path, capsys):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth2"]["file"] = "berth_two.yaml"
    err = _one_line_error(write_plan(tmp_path, plan), capsys)
    assert err.endswith("plan.yaml: options.berth2.file: 'berth_two.yaml': file not found")
    err = _one_line_error(write_plan(tmp_path, base="nowhere.yaml"), capsys)
    assert err.endswith("plan.yaml: base: 'nowhere.yaml': file not found")


def test_options_that_set_one_field_differently_cannot_both_open(tmp_path, capsys):
    plan = copy.deepcopy(PLAN)
    plan["options"]["berth3"] = {"file": "berth3.yaml", "capex": 1}
    plan["strategies"] = {
        "both": [{"option": "berth2", "year": 2024}, {"option": "berth3", "year": 2025}]
    }
    path = write_plan(tmp_path, plan)
    third = copy.deepcopy(BERTH2)
    third["terminals"]["bulk"]["berths"]["all"]["count"] = 3
    dump(tmp_path / "berth3.yaml", third)
    err = _one_line_error(path, capsys)
    assert err.endswith(
        "strategies.both: options berth2 and berth3 both set "
        "terminals.bulk.berths.all.count differently; they cannot both be open"
    )


def test_an_option_must_extend_the_base_and_keep_its_dates(tmp_path, capsys):
    path = write_plan(tmp_path)
    other = copy.deepcopy(BERTH2)
    other["scenario"]["start_date"] = "2024-01-01"
    dump(tmp_path / "berth2.yaml", other)
    err = _one_line_error(path, capsys)
    assert "options.berth2.file: 'berth2.yaml' sets scenario.start_date" in err
    alone = copy.deepcopy(TINY)
    alone["scenario"]["name"] = "alone"
    dump(tmp_path / "berth2.yaml", alone)
    assert "'berth2.yaml' extends nothing, not the plan's base" in _one_line_error(path, capsys)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"strategies": {"a": [{"option": "berth2", "year": "2026x"}]}},
            "strategies.a[0].year: must be a year (1900-2200), auto, or {from: YEAR, to: YEAR}",
        ),
        (
            {"strategies": {"a": [{"option": "berth2", "year": {"from": 2025}}]}},
            "strategies.a[0].year.to: required field is missing",
        ),
        ({"strategies": {}}, "strategies: must have at least 1 entry"),
        (
            {"economics": {"discount_rate": 6}},
            "economics.discount_rate: must be less than or equal to 1 (got 6); a fraction per "
            "year: 0.06 means 6%/yr",
        ),
        ({"colour": "blue"}, "colour: unknown key (allowed: base, description, economics,"),
        ({"reference": "nope"}, "reference: unknown strategy 'nope' (allowed: base, b2025)"),
        (
            {"economics": {"ship_time": {"by_class": {"tanker": {"waiting_per_h": 1}}}}},
            "economics.ship_time.by_class.tanker: unknown ship class 'tanker' (allowed: bulker)",
        ),
        (
            {"years": {"first": 2021, "last": 2026}},
            "years.first: 2021 is before the base scenario's year 2023",
        ),
    ],
)
def test_mistakes_in_the_plan_name_their_field(tmp_path, capsys, change, message):
    err = _one_line_error(write_plan(tmp_path, **change), capsys)
    assert f"plan.yaml: {message}" in err


def test_bad_arguments_and_other_files_are_one_line(tmp_path, capsys):
    path = write_plan(tmp_path)
    assert "--reps must lie between 2" in _one_line_error(path, capsys, "--reps", "1")
    assert "--max-reps only applies with --precision" in _one_line_error(
        path, capsys, "--max-reps", "9"
    )
    assert "or --precision decision" in _one_line_error(path, capsys, "--precision", "nonsense")
    err = _one_line_error(tmp_path / "base.yaml", capsys)
    assert err.endswith(
        "is a scenario file, not a plan file: a plan names base:, years:, options: and strategies:"
    )


def test_validate_recognises_a_plan(tmp_path, capsys):
    path = write_plan(tmp_path)
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: OK (plan tiny_plan)"
    data = yaml.safe_load(path.read_text())
    assert "strategies" in data
