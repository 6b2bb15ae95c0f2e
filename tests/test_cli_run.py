"""`lygsim run` end to end, in a temporary folder, through the console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lygsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MM1 = SCENARIOS / "validation" / "mm1_rho05.yaml"
BASELINE = SCENARIOS / "lianyungang_2023.yaml"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_run_writes_every_file(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(MM1), "--seed", "3", "--reps", "3", "--days", "400", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "queue" in printed and "W/S" in printed
    assert {p.name for p in out.iterdir()} == {
        "summary.csv",
        "replications.csv",
        "visits.parquet",
        "levels.parquet",
        "scenario.yaml",
        "manifest.json",
        "runs",
        "figures",
        "report.html",
    }
    assert (out / "figures" / "berth_occupancy.png").stat().st_size > 0
    levels = pd.read_parquet(out / "levels.parquet")
    assert {"queue", "berths_busy"} <= set(levels.series.astype(str))
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == [
        "scenario",
        "terminal",
        "metric",
        "unit",
        "mean",
        "std",
        "n",
        "ci_low",
        "ci_high",
    ]
    occ = summary[(summary.terminal == "queue") & (summary.metric == "berth_occupancy")].iloc[0]
    assert occ["n"] == 3 and occ["ci_low"] <= occ["mean"] <= occ["ci_high"]
    reps = pd.read_csv(out / "replications.csv")
    assert list(reps.columns) == [
        "scenario",
        "replication",
        "seed",
        "terminal",
        "metric",
        "unit",
        "value",
    ]
    assert sorted(reps.replication.unique()) == [0, 1, 2] and set(reps.seed) == {3}
    # the summary is the mean of the replications
    per_rep = reps[(reps.terminal == "queue") & (reps.metric == "berth_occupancy")]["value"]
    assert occ["mean"] == pytest.approx(per_rep.mean())
    visits = pd.read_parquet(out / "visits.parquet")
    assert sorted(visits.replication.unique()) == [0, 1, 2]
    assert {"arrived_h", "departed_h", "wait_berth_h", "call_size", "unit"} <= set(visits.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    for key in (
        "lygsim_version",
        "command",
        "seed",
        "replications",
        "scenario_hash",
        "started",
        "run_time_s",
        "versions",
    ):
        assert key in manifest
    assert manifest["seed"] == 3 and manifest["replications"] == 3
    assert "numpy" in manifest["versions"] and "python" in manifest["versions"]
    # the resolved scenario loads again and is the same scenario
    from lygsim.loader import load_scenario, scenario_hash

    assert scenario_hash(load_scenario(out / "scenario.yaml")) == manifest["scenario_hash"]


def test_same_seed_same_numbers(tmp_path):
    for name in ("a", "b"):
        assert (
            main(
                [
                    "run",
                    str(MM1),
                    "--seed",
                    "5",
                    "--days",
                    "300",
                    "--no-figures",
                    "--out",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
    a = pd.read_csv(tmp_path / "a" / "replications.csv")
    b = pd.read_csv(tmp_path / "b" / "replications.csv")
    pd.testing.assert_frame_equal(a, b)


def test_baseline_reports_every_terminal_kind(tmp_path, capsys):
    code = main(["run", str(BASELINE), "--seed", "1", "--days", "90", "--out", str(tmp_path)])
    assert code == 0
    captured = capsys.readouterr()
    summary = pd.read_csv(tmp_path / "summary.csv")
    from lygsim.loader import load_scenario

    sc = load_scenario(BASELINE)
    kinds = {t.cargo.value for t in sc.terminals.values()}
    assert kinds == {"container", "ore", "crude", "dry_bulk", "liquid_bulk", "roro"}
    for name in sc.terminals:
        assert name in captured.out
        rows = summary[summary.terminal == name]
        assert {
            "calls",
            "throughput",
            "berth_occupancy",
            "mean_wait_h",
            "p95_wait_h",
            "mean_service_h",
            "wait_service_ratio",
            "mean_queue_length",
            "mean_turnaround_h",
        } <= set(rows.metric)
    port = summary[summary.terminal == "port"].set_index("metric")["mean"]
    assert port["throughput_t"] > 0 and port["throughput_teu"] > 0
    # the Lianshen Express and the corridor are simulated and reported beside the terminals
    for term in ("shuttle", "corridor"):
        assert (summary.terminal == term).any()
        assert f"{term}:" in captured.out
    assert "warning" not in captured.err
    # the shuttle's berth calls of replication 0 are kept for the Gantt chart
    from lygsim.plots.folders import _with_shuttle_calls

    visits = pd.read_parquet(tmp_path / "visits.parquet")
    both = _with_shuttle_calls(visits, tmp_path / "shuttle_calls.parquet")
    shuttle = both[both.ship_class == "Lianshen Express"]
    assert len(shuttle) > 0 and (shuttle.terminal == "container").all()
    assert len(both) == len(visits) + len(shuttle)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_runs(path, tmp_path):
    assert main(["run", str(path), "--days", "45", "--out", str(tmp_path)]) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert (summary[summary.metric == "berth_occupancy"]["mean"].between(0, 1)).all()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--reps", "0"], "--reps must be >= 1"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--days", "0"], "--days must be > 0"),
        (["--days", "100"], "must exceed the warm-up"),
        (["--set", "terminals.nowhere.x=1"], "--set terminals.nowhere.x=1"),
        (["--days", "abc"], "invalid float value"),
    ],
)
def test_run_rejects_bad_arguments(args, fragment, tmp_path, capsys):
    code = main(["run", str(MM1), "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_python_m_lygsim_and_help():
    for args in (
        ["--help"],
        ["run", "--help"],
        ["validate", "--help"],
        ["show", "--help"],
        ["schema", "--help"],
    ):
        out = subprocess.run(
            [sys.executable, "-m", "lygsim", *args], capture_output=True, text=True, check=True
        ).stdout
        assert "usage: lygsim" in out
    out = subprocess.run(
        [sys.executable, "-m", "lygsim", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in ("--seed", "--reps", "--days", "--set", "--out"):
        assert flag in out
