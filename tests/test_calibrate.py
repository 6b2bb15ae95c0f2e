"""Calibration to the reported figures: lygsim calibrate, its failure modes, the shipped fit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import lygsim
from lygsim.calibrate import CalibrationError, calibrate, measure
from lygsim.cli import main
from lygsim.targets import expected

ROOT = Path(__file__).resolve().parents[1]
S2023 = ROOT / "scenarios" / "lianyungang_2023.yaml"
S2022 = ROOT / "scenarios" / "lianyungang_2022.yaml"
REPORTED_GROWTH = {  # Lianyungang Daily 2023-12-11, Jan-Oct 2023 on Jan-Oct 2022
    "cargo_tonnes": 0.0813,
    "container_teu": 0.1151,
    "vehicles_exported": 0.520,
    "shuttle_capacity": 0.494,
}


def test_expected_figures_follow_the_rate_arithmetic():
    sc = lygsim.load_scenario(S2023)
    t = sc.calibration.targets["container_teu"]
    poisson = ("feeder_calls", "panamax_calls", "post_panamax_calls")
    doubled = lygsim.load_scenario(
        S2023, [f"arrivals.{s}.scale={2 * sc.arrivals[s].scale!r}" for s in poisson]
    )
    liner = expected(sc, t) - expected(
        sc, t, ["feeder_calls", "panamax_calls", "post_panamax_calls"]
    )
    # only the poisson part doubles; the liner services keep their timetable
    assert expected(doubled, t) == pytest.approx(2 * expected(sc, t) - liner)
    assert expected(sc, sc.calibration.targets["shuttle_capacity"]) == 82000.0


def test_calibrate_recovers_the_targets_when_demand_is_halved(tmp_path, capsys):
    halved = tmp_path / "halved.yaml"
    sc = lygsim.load_scenario(S2023)
    lines = [f"extends: {S2023}", "scenario: {name: halved}", "arrivals:"]
    lines += [f"  {s}: {{scale: 0.5}}" for s in sc.calibration.free]
    halved.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cal"
    code = main(
        [
            "calibrate",
            str(halved),
            "--reps",
            "4",
            "--seed",
            "3",
            "--days",
            "396",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "calibration.csv")
    assert list(table.columns) == [
        "target",
        "period",
        "unit",
        "reported",
        "simulated_mean",
        "ci_low",
        "ci_high",
        "rel_error",
    ]
    assert (table.rel_error.abs() <= 0.01).all()
    fitted = out / "halved_calibrated.yaml"
    text = fitted.read_text()
    assert text.startswith("# Calibrated with lygsim calibrate") and "seed 3" in text
    # the calibrated file sets only the scales (absolute values), undoing the halving
    again = lygsim.load_scenario(fitted)
    for s in sc.calibration.free:
        assert 0.9 < again.arrivals[s].scale < 1.1
    printed = capsys.readouterr().out
    assert "container_teu" in printed and "calibrated scenario:" in printed
    # --check on the fitted file measures the same figures
    code = main(
        [
            "calibrate",
            "--check",
            str(fitted),
            "--reps",
            "4",
            "--seed",
            "3",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "check"),
        ]
    )
    assert code == 0
    check = pd.read_csv(tmp_path / "check" / "calibration.csv")
    assert (check.rel_error.abs() <= 0.01).all()


def test_unreachable_target_fails_clearly(tmp_path, capsys):
    sc = lygsim.load_scenario(S2023, ["calibration.targets.vehicles_exported.reported=2000000"])
    with pytest.raises(CalibrationError, match=r"vehicles_exported.*terminal roro is at capacity"):
        calibrate(sc, reps=3, seed=1, workers=1)
    code = main(
        [
            "calibrate",
            str(S2023),
            "--set",
            "calibration.targets.vehicles_exported.reported=2000000",
            "--reps",
            "3",
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    problems = [ln for ln in err.splitlines() if "calibration.targets" in ln]
    assert len(problems) == 1 and "vehicles_exported" in problems[0]
    assert err.strip().splitlines()[-1] == problems[0]


def test_missing_free_parameter_fails_clearly():
    sc = lygsim.load_scenario(S2023)
    free = [s for s in sc.calibration.free if s != "pctc_calls"]
    sc = lygsim.load_scenario(S2023, [f"calibration.free={free}"])
    with pytest.raises(CalibrationError, match="vehicles_exported: no free parameter"):
        calibrate(sc, reps=2, seed=1, workers=1)


def test_shuttle_capacity_is_not_fitted_by_demand():
    sc = lygsim.load_scenario(S2023, ["calibration.targets.shuttle_capacity.reported=90000"])
    with pytest.raises(CalibrationError, match="follows from the\\s+timetable|timetable"):
        calibrate(sc, reps=2, seed=1, workers=1)


def test_period_outside_the_window_is_an_error():
    sc = lygsim.load_scenario(
        S2023, ["calibration.targets.cargo_tonnes.period={start: 2022-06-01, end: 2022-10-31}"]
    )
    with pytest.raises(CalibrationError, match="not inside the observation window"):
        measure(sc, reps=2, seed=1, workers=1)


@pytest.mark.slow
def test_shipped_scenarios_match_reported_levels_and_growth():
    reps, seed = 20, 1
    tables = {}
    for path in (S2022, S2023):
        sc = lygsim.load_scenario(path)
        table, _ = measure(sc, reps, seed)
        assert (table.rel_error.abs() <= 0.01).all(), table.to_string()
        tables[path.stem] = table.set_index("target")["simulated_mean"]
    for target, reported in REPORTED_GROWTH.items():
        growth = tables["lianyungang_2023"][target] / tables["lianyungang_2022"][target] - 1
        assert abs(growth - reported) <= 0.005, f"{target}: {growth:.4f} vs {reported:.4f}"


def test_demand_growth_whatif_is_twenty_percent_on_the_fitted_scales():
    base = lygsim.load_scenario(S2023)
    whatif = lygsim.load_scenario(S2023.parent / "whatif_demand_growth.yaml")
    for s in base.calibration.free:
        assert whatif.arrivals[s].scale == pytest.approx(1.2 * base.arrivals[s].scale, rel=1e-5)
