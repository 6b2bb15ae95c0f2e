"""`lygsim run` end to end, in a temporary folder, through the console entry point."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_lygsim
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
    captured = capsys.readouterr()
    printed = captured.out
    assert "queue" in printed and "W/S" in printed
    # the scenario is named by its name everywhere, never by a file the run copies
    assert printed.startswith("mm1_rho05: 3 replication(s), seed 3")
    assert "mm1_rho05: 3 replication(s), seed 3" in captured.err
    assert "parquet" not in printed + captured.err.replace(str(out / "runs"), "")
    assert {p.name for p in out.iterdir()} == {
        "summary.csv",
        "replications.csv",
        "berths.csv",
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
    assert " ".join(summary.columns) == "scenario scope name metric unit mean std n ci_low ci_high"
    occ = summary[(summary.name == "queue") & (summary.metric == "berth_occupancy")].iloc[0]
    assert occ["n"] == 3 and occ["ci_low"] <= occ["mean"] <= occ["ci_high"]
    reps = pd.read_csv(out / "replications.csv")
    assert " ".join(reps.columns) == "scenario replication seed scope name metric unit value"
    assert sorted(reps.replication.unique()) == [0, 1, 2] and set(reps.seed) == {3}
    # the summary is the mean of the replications
    per_rep = reps[(reps.name == "queue") & (reps.metric == "berth_occupancy")]["value"]
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
    assert manifest["scenario"] == "mm1_rho05"
    assert manifest["scenario_file"] == str(MM1)
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
        rows = summary[(summary.scope == "terminal") & (summary.name == name)]
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
    port = summary[summary.scope == "port"].set_index("metric")["mean"]
    assert port["throughput_t"] > 0 and port["throughput_teu"] > 0
    # the Lianshen Express and the corridor are simulated and reported beside the terminals
    # under the names the scenario gives them
    for scope, term, title in (
        ("service", "shuttle", "Lianshen Express"),
        ("link", "corridor", "Shanghai data corridor"),
    ):
        assert ((summary.scope == scope) & (summary.name == term)).any()
        assert f"{title} ({term}):" in captured.out
    assert "warning" not in captured.err
    # the shuttle's berth calls of replication 0 are kept for the Gantt chart, under the
    # display name the scenario gives the service
    from lygsim.plots.folders import _with_shuttle_calls
    from lygsim.results import ResultsFolder

    visits = pd.read_parquet(tmp_path / "visits.parquet")
    both = _with_shuttle_calls(visits, ResultsFolder(tmp_path))
    shuttle = both[both.ship_class == "Lianshen Express"]  # the scenario's display name
    assert len(shuttle) > 0 and (shuttle.terminal == "container").all()
    assert len(both) == len(visits) + len(shuttle)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_runs(path, tmp_path):
    # figures are drawn by test_run_writes_every_file and test_baseline_reports_every_...
    assert main(["run", str(path), "--days", "45", "--no-figures", "--out", str(tmp_path)]) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert (summary[summary.metric == "berth_occupancy"]["mean"].between(0, 1)).all()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--reps", "0"], "--reps must be >= 1"),
        (["--reps", str(10**9)], "--reps must be <= 10,000"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--days", "0"], "--days must be > 0"),
        (["--days", "100"], "must exceed the warm-up"),
        (["--days", "inf"], "--days must be > 0 and <= 36600 (got inf)"),
        (["--days", "nan"], "--days must be > 0 and <= 36600 (got nan)"),
        (["--days", "1e308"], "--days must be > 0 and <= 36600 (got 1e+308)"),
        (["--days", "36601"], "--days must be > 0 and <= 36600"),
        (["--set", "terminals.nowhere.x=1"], "--set terminals.nowhere.x=1"),
        (["--days", "abc"], "invalid float value"),
        (["--workers", "0"], "--workers must be >= 1"),
        (["--max-reps", "5"], "--max-reps only applies with --precision"),
        (
            ["--precision", "queue.mean_wait_h=0.1", "--max-reps", "0"],
            "--max-reps must be >= --reps (1) and <= 10,000 (got 0)",
        ),
        (
            ["--precision", "queue.mean_wait_h=0.1", "--max-reps", "-4"],
            "--max-reps must be >= --reps (1) and <= 10,000 (got -4)",
        ),
        (
            ["--precision", "queue.mean_wait_h=0.1", "--reps", "5", "--max-reps", "3"],
            "--max-reps must be >= --reps (5)",
        ),
        (
            ["--precision", "queue.mean_wait_h=0.1", "--max-reps", "20000"],
            "<= 10,000 (got 20000)",
        ),
        (
            ["--precision", "queue.mean_wiat_h=0.1"],
            "terminal queue has no metric 'mean_wiat_h' (allowed: calls, throughput,",
        ),
        (
            ["--precision", "container.mean_wait_h=0.1"],
            "unknown name 'container' (allowed: queue, port)",
        ),
        (["--precision", "queue.mean_wait_h"], "expected [SCOPE:]NAME.METRIC=SHARE"),
        (["--precision", "queue.mean_wait_h=2"], "the share must lie in (0, 1)"),
    ],
)
def test_run_rejects_bad_arguments(args, fragment, tmp_path, capsys):
    out = tmp_path / "out"
    started = time.perf_counter()
    code = main(["run", str(MM1), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # refused before anything ran or was written
    assert not out.exists()
    assert time.perf_counter() - started < 10


def test_horizon_refuses_a_year_before_the_scenario(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["horizon", str(BASELINE), "--until", "2022", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--until 2022 must lie between" in err and "base year 2023" in err
    assert not out.exists()
    code = main(["horizon", str(BASELINE), "--until", "99999", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "and 2123" in err and not out.exists()


def test_overrides_without_out_get_their_own_folder(tmp_path, monkeypatch, capsys):
    from lygsim.commands.folder import default_folder

    monkeypatch.chdir(tmp_path)
    sets = ["--set", "terminals.queue.berths.all.count=2", "--set", "scenario.name=mm1_rho05"]
    args = ["--days", "300", "--workers", "1", "--no-figures"]
    assert main(["run", str(MM1), *args, *sets]) == 0
    captured = capsys.readouterr()
    folder = default_folder("mm1_rho05", sets[1::2])
    assert folder.startswith("mm1_rho05-") and len(folder) == len("mm1_rho05-") + 8
    assert [p.name for p in (tmp_path / "results").iterdir()] == [folder]
    assert f"writing to results/{folder}/" in captured.err
    assert f"results written to results/{folder}/" in captured.out
    # the same overrides in another order: the same folder (and its cached replications)
    assert main(["run", str(MM1), *args, *sets[2:], *sets[:2], "--quiet"]) == 0
    assert [p.name for p in (tmp_path / "results").iterdir()] == [folder]
    manifest = json.loads((tmp_path / "results" / folder / "manifest.json").read_text())
    assert manifest["reused"] == 1
    # without overrides: the scenario's own folder
    assert main(["run", str(MM1), *args, "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["mm1_rho05", folder]
    # compare: compare-<base>-<hash>
    opt = tmp_path / "opt.yaml"
    opt.write_text(f"extends: {MM1}\nscenario: {{name: other}}\n")
    cmp = ["compare", str(MM1), str(opt), "--reps", "2", *args, "--quiet"]
    assert main([*cmp, *sets[:2]]) == 0
    tag = default_folder("", sets[1:2])
    assert (tmp_path / "results" / f"compare-mm1_rho05{tag}" / "comparison.csv").is_file()


@pytest.mark.parametrize(
    ("command", "extra", "default"),
    [
        ("run", [], "results/{name}/"),
        ("compare", ["{opt}"], "results/compare-{name}/"),
        ("calibrate", [], "results/{name}/calibration/"),
        ("capacity", [], "results/{name}/capacity/"),
        ("horizon", [], "results/{name}/horizon/"),
    ],
)
def test_default_folders_with_overrides(command, extra, default, tmp_path, monkeypatch, capsys):
    """Every command names its default folder with the overrides' hash (refused early here)."""
    from lygsim.commands.folder import default_folder

    monkeypatch.chdir(tmp_path)
    opt = tmp_path / "opt.yaml"
    opt.write_text(f"extends: {BASELINE}\nscenario: {{name: other}}\n")
    over = "terminals.container.berths.mainline.count=7"
    name = default_folder("lianyungang_2023", [over])
    (tmp_path / "results").write_text("a file where the folder would go")
    argv = [command, str(BASELINE), *(e.format(opt=opt) for e in extra), "--set", over]
    assert main(argv) == 2
    err = capsys.readouterr().err
    where = default.format(name=name).rstrip("/")
    assert f"--out {where}: cannot create the folder: results is a file" in err, err


def test_every_help_is_plain_and_its_set_example_is_real(tmp_path):
    from lygsim.cli import SET_EXAMPLE
    from lygsim.commands.common import MAX_REPS
    from lygsim.scenario import MAX_HORIZON_DAYS

    commands = ["validate", "show", "schema", "run", "compare", "calibrate", "capacity"]
    commands += ["horizon", "study", "report"]
    for command in commands:
        out = run_lygsim(command, "--help", check=True).stdout
        assert "usage: lygsim" in out
        assert "%%" not in out and "%(" not in out, command
        assert "psa" not in out, command
        if "--set" in out:
            assert SET_EXAMPLE in " ".join(out.split()), command
        if "--reps" in out:
            assert f"{MAX_REPS:,}" in out and f"{MAX_HORIZON_DAYS:,.0f}" in out
    for command in ("compare", "capacity"):
        out = run_lygsim(command, "--help", check=True).stdout
        assert "95% " in " ".join(out.split())
    calibrate = run_lygsim("calibrate", "--help", check=True).stdout
    flat = "".join(calibrate.split())
    assert "--outOUToutputfolder(defaultresults/<scenarioname>/calibration/" in flat
    # the example changes a field the shipped baseline has
    assert main(["validate", str(BASELINE), "--set", SET_EXAMPLE]) == 0


def test_python_m_lygsim_and_help():
    for args in (
        ["--help"],
        ["run", "--help"],
        ["validate", "--help"],
        ["show", "--help"],
        ["schema", "--help"],
    ):
        out = run_lygsim(*args, check=True).stdout
        assert "usage: lygsim" in out
    out = run_lygsim("run", "--help", check=True).stdout
    for flag in ("--seed", "--reps", "--days", "--set", "--out"):
        assert flag in out


def test_calibrate_days_must_cover_the_targets(tmp_path, capsys):
    out = tmp_path / "cal"
    code = main(["calibrate", str(BASELINE), "--check", "--days", "200", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--days 200 ends the simulation on 2023-06-18" in err
    assert "calibration.targets." in err and "--days must be at least" in err
    assert not out.exists()


def test_calibrate_honours_days(tmp_path):
    from lygsim.loader import load_scenario, scenario_hash

    out = tmp_path / "cal"
    argv = ["calibrate", str(BASELINE), "--check", "--reps", "2", "--workers", "1", "--quiet"]
    assert main([*argv, "--days", "340", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["days"] == 340
    assert manifest["scenario_hash"] != scenario_hash(load_scenario(BASELINE))
    table = pd.read_csv(out / "calibration.csv")
    assert table["simulated_mean"].notna().all()


def test_plausibility_warnings_are_printed_before_a_run_even_when_quiet(tmp_path, capsys):
    slip = ["--set", "scenario.horizon_days=8760"]  # hours typed as days
    argv = ["run", str(MM1), "--days", "300", "--workers", "1", "--no-figures", "--quiet"]
    assert main([*argv, *slip, "--out", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines and all(line.startswith(f"warning: {MM1}: ") for line in lines), lines
    assert any("scenario.horizon_days" in line for line in lines)
    # a refused command prints its one error line and no warnings
    assert main([*argv, *slip, "--days", "inf", "--out", str(tmp_path / "b")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    # a plausible scenario: no warning
    assert main([*argv, "--out", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().err == ""
