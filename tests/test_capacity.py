"""Capacity sweeps, practical capacity, the growth horizon and study files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lygsim
from conftest import three_berth_option
from lygsim.capacity import (
    horizon_years,
    parse_range,
    scale_demand,
    stream_demand,
    sweep,
    terminal_growth_factor,
)
from lygsim.cli import main
from lygsim.errors import UsageError
from lygsim.queueing import mmc_ws

ROOT = Path(__file__).resolve().parents[1]
MM2 = ROOT / "scenarios" / "validation" / "mm2_rho08.yaml"
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"


def test_parse_range():
    assert parse_range("0.5:0.8:0.1") == [0.5, 0.6, 0.7, 0.8]
    assert parse_range("1:1:0.1") == [1.0]
    for bad in ("1:0.5:0.1", "a:b:c", "0:1:0.1", "0.5:1.5"):
        with pytest.raises(UsageError):
            parse_range(bad)


def test_scaling_keeps_timetables_and_hits_the_factor():
    sc = lygsim.load_scenario(BASELINE)
    t0, t1 = sc.scenario.warmup_days * 24, sc.scenario.horizon_days * 24

    def demand(s, term):
        return sum(
            stream_demand(s, n, t0, t1)
            for n, a in s.arrivals.items()
            if s.ship_classes[a.ship_class].terminal == term
        )

    scaled = scale_demand(sc, 1.3)
    for term in sc.terminals:
        assert demand(scaled, term) == pytest.approx(1.3 * demand(sc, term))
    liners = [n for n, a in sc.arrivals.items() if a.kind == "scheduled"]
    assert liners and all(scaled.arrivals[n] == sc.arrivals[n] for n in liners)
    only = scale_demand(sc, 1.3, ["ore"])
    assert demand(only, "container") == pytest.approx(demand(sc, "container"))
    with pytest.raises(UsageError, match="timetabled services alone"):
        scale_demand(sc, 0.01, ["container"])


def test_sweep_agrees_with_run_and_with_theory():
    sc = lygsim.load_scenario(MM2, ["terminals.queue.thresholds={max_wait_service_ratio: 0.3}"])
    days = 6000
    res = sweep(sc, [0.4, 0.5, 0.6, 0.7, 1.0], reps=4, seed=5, workers=1, days=days)
    curve = res.curve.sort_values("demand_factor")
    ws = curve["wait_service_ratio"].to_numpy()
    assert (ws[1:] > ws[:-1]).all()  # more demand, longer waits (same ships, closer together)
    # at factor 1 the sweep is the plain run
    run = lygsim.run_experiment(sc, reps=4, seed=5, days=days, workers=1).summary
    occ = run[(run.name == "queue") & (run.metric == "berth_occupancy")]["mean"].iloc[0]
    assert curve[curve.demand_factor == 1.0]["berth_occupancy"].iloc[0] == occ
    # practical capacity near the M/M/2 figure: W/S = 0.3 at the occupancy solving mmc_ws
    lo, hi = 0.01, 0.99
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mmc_ws(2, mid) < 0.3 else (lo, mid)
    per_year = 2 * lo / 10.0 * 8766 * 10.0  # c x rho x mu x hours x mean call size
    cap = res.practical.iloc[0]
    assert cap.capacity == pytest.approx(per_year, rel=0.08)
    assert cap.capacity_ci_low <= cap.capacity <= cap.capacity_ci_high
    assert cap.headroom < 0  # at rho 0.8 the queue is far past W/S 0.3


def test_horizon_arithmetic():
    sc = lygsim.load_scenario(BASELINE)
    g = terminal_growth_factor(sc, "ore", 3)
    assert g == pytest.approx(1.05**3, rel=1e-9)  # every ore stream grows 5% a year
    practical = pd.DataFrame(
        [
            {
                "terminal": "ore",
                "unit": "t",
                "threshold": 0.3,
                "berths": 4,
                "throughput_now": 100.0,
                "capacity": 110.0,
                "capacity_ci_low": 105.0,
                "capacity_ci_high": 120.0,
                "demand_factor_at_capacity": 1.10,
                "headroom": 0.1,
            }
        ]
    )
    h = horizon_years(sc, practical, 2040).iloc[0]
    # 1.05^1 < 1.10 <= 1.05^2: the second year after 2023
    assert h.year == 2025 and h.year_ci_low <= h.year <= h.year_ci_high
    never = practical.assign(demand_factor_at_capacity=math.inf)
    assert math.isnan(horizon_years(sc, never, 2040).iloc[0].year)


def test_capacity_and_horizon_commands(tmp_path, capsys):
    out = tmp_path / "cap"
    assert (
        main(
            [
                "capacity",
                str(MM2),
                "--demand",
                "0.5:1.0:0.25",
                "--reps",
                "3",
                "--days",
                "3000",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    curve = pd.read_csv(out / "capacity.csv")
    assert {
        "terminal",
        "demand_factor",
        "throughput",
        "unit",
        "berth_occupancy",
        "wait_service_ratio",
        "mean_wait_h",
        "wait_service_ratio_ci_low",
    } <= set(curve.columns)
    assert sorted(curve.demand_factor) == [0.5, 0.75, 1.0]
    assert (out / "practical_capacity.csv").is_file()
    assert "practical capacity" in capsys.readouterr().out
    opt = three_berth_option(tmp_path, "three")
    assert (
        main(
            [
                "horizon",
                str(MM2),
                str(opt),
                "--demand",
                "0.5:1.5:0.25",
                "--reps",
                "2",
                "--days",
                "2000",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "hz"),
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "hz" / "horizon.csv")
    assert set(table.scenario) == {"mm2_rho08", "three"}
    assert "the queue terminal reaches W/S" in capsys.readouterr().out


@pytest.mark.slow
def test_study_command(tmp_path, capsys):
    three_berth_option(tmp_path, "three")
    study = tmp_path / "study.yaml"
    study.write_text(
        f"name: tiny\nbase: {MM2}\noptions: [three.yaml]\nreps: 3\nseed: 4\ndays: 2000\n"
        "demand: '0.5:1.5:0.25'\ncapacity_reps: 2\nuntil: 2030\n"
    )
    out = tmp_path / "results"
    assert main(["study", str(study), "--workers", "1", "--out", str(out)]) == 0
    for name in (
        "comparison.csv",
        "capacity.csv",
        "practical_capacity.csv",
        "capacity_gained.csv",
        "horizon.csv",
        "study.yaml",
        "manifest.json",
    ):
        assert (out / "tiny" / name).is_file(), name
    assert (out / "mm2_rho08" / "summary.csv").is_file()
    gained = pd.read_csv(out / "tiny" / "capacity_gained.csv")
    assert gained.iloc[0].gained > 0  # a third berth raises the practical capacity
    assert "three against base" in capsys.readouterr().out


def test_study_file_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nbase: nowhere.yaml\noptions: [also_nowhere.yaml]\n")
    assert main(["study", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err and "Traceback" not in err


def _ws_only_capacity(curve: pd.DataFrame, terminal: str) -> float:
    """The practical capacity by W/S alone, interpolated here from capacity.csv."""
    g = curve[curve.terminal == terminal].sort_values("demand_factor")
    f, ws, thru = (g[c].to_numpy() for c in ("demand_factor", "wait_service_ratio", "throughput"))
    thr = g["threshold"].iloc[0]
    i = int(np.argmax(ws >= thr))
    assert ws[i] >= thr > ws[0], "the test needs W/S to cross its threshold inside the range"
    x = f[i - 1] + (thr - ws[i - 1]) * (f[i] - f[i - 1]) / (ws[i] - ws[i - 1])
    return float(np.interp(x, f, thru))


def test_max_occupancy_binds_in_capacity_and_horizon(tmp_path, capsys):
    def run(command, occupancy, out):
        args = [command, str(BASELINE), "--demand", "0.8:1.6:0.2", "--reps", "2"]
        args += ["--seed", "2", "--days", "200", "--workers", "1", "--out", str(out)]
        args += ["--set", f"terminals.ore.thresholds.max_occupancy={occupancy}"]
        if command == "capacity":
            args += ["--terminal", "ore"]
        assert main(args) == 0
        return out

    loose = run("capacity", 1.0, tmp_path / "loose")
    tight = run("capacity", 0.5, tmp_path / "tight")
    curve = pd.read_csv(loose / "capacity.csv")
    assert (curve.max_occupancy == 1.0).all()
    a = pd.read_csv(loose / "practical_capacity.csv").set_index("terminal").loc["ore"]
    b = pd.read_csv(tight / "practical_capacity.csv").set_index("terminal").loc["ore"]
    # an occupancy threshold of 1 never binds: the capacity is the W/S one, as before
    assert a.binding == "wait_service_ratio" and a.max_occupancy == 1.0
    assert a.capacity == pytest.approx(_ws_only_capacity(curve, "ore"), rel=1e-9)
    assert a.capacity == a.capacity_wait_service_ratio and math.isinf(a.capacity_occupancy)
    # ore berths are about half busy today: an occupancy threshold of 0.5 binds first
    assert b.binding == "occupancy" and b.max_occupancy == 0.5
    assert b.capacity < a.capacity and b.capacity == b.capacity_occupancy
    assert b.capacity_wait_service_ratio == pytest.approx(a.capacity, rel=1e-9)  # same seeds
    assert b.capacity_ci_low <= b.capacity <= b.capacity_ci_high
    occ = curve[curve.terminal == "ore"].sort_values("demand_factor")
    f_occ = np.interp(0.5, occ.berth_occupancy, occ.demand_factor)  # occupancy rises with f
    assert b.demand_factor_at_capacity == pytest.approx(f_occ, rel=1e-9)
    capsys.readouterr()

    years = {}
    for occupancy in (1.0, 0.5):
        out = run("horizon", occupancy, tmp_path / f"hz{occupancy}")
        years[occupancy] = pd.read_csv(out / "horizon.csv").set_index("terminal").loc["ore"]
    assert years[1.0].binding == "wait_service_ratio" and years[0.5].binding == "occupancy"
    assert years[0.5].year < years[1.0].year
    assert "the ore terminal reaches berth occupancy 0.50 in" in capsys.readouterr().out
