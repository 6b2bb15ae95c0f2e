"""Replications, executors, the run cache, resumption, failures and paired comparisons."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lygsim
from conftest import three_berth_option
from lygsim.cli import main
from lygsim.errors import SimulationError
from lygsim.experiment import DONE_FILE, KPIS_FILE, Precision, run_experiment
from lygsim.stats import mean_ci, paired_ci, t_quantile, welch_ci

ROOT = Path(__file__).resolve().parents[1]
MM1 = ROOT / "scenarios" / "validation" / "mm1_rho05.yaml"
MM2 = ROOT / "scenarios" / "validation" / "mm2_rho08.yaml"


def small(path: Path = MM1, *extra: str):
    return lygsim.load_scenario(path, overrides=list(extra))


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 5, 9, 19, 30, 120, 1000, 7.5):
        for p in (0.9, 0.975, 0.995, 0.99853):
            assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9)


def test_mean_ci_known_values():
    mean, std, n, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (mean, n) == (2.5, 4)
    assert std == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    half = t_quantile(0.975, 3) * std / 2
    assert (lo, hi) == pytest.approx((2.5 - half, 2.5 + half))
    assert np.isnan(mean_ci([5.0])[3])


def test_summary_is_identical_on_every_executor():
    sc = small()
    serial = run_experiment(sc, reps=4, seed=11, days=300, workers=1)
    pool = run_experiment(sc, reps=4, seed=11, days=300, workers=2)
    pd.testing.assert_frame_equal(serial.summary, pool.summary, check_exact=True)
    pd.testing.assert_frame_equal(serial.replications, pool.replications, check_exact=True)


@pytest.mark.slow
def test_summary_is_identical_on_a_local_dask_cluster():
    sc = small()
    serial = run_experiment(sc, reps=4, seed=11, days=300, workers=1)
    dask = run_experiment(sc, reps=4, seed=11, days=300, workers=2, scheduler="local")
    pd.testing.assert_frame_equal(serial.summary, dask.summary, check_exact=True)
    # a running cluster reached by its scheduler address (here one on this machine)
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_experiment(sc, reps=4, seed=11, days=300, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial.summary, remote.summary, check_exact=True)


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    code = main(
        [
            "run",
            str(MM1),
            "--days",
            "300",
            "--reps",
            "2",
            "--no-figures",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach a Dask scheduler" in err and "Traceback" not in err


def test_replications_differ_and_seeds_matter():
    sc = small()
    a = run_experiment(sc, reps=3, seed=1, days=300, workers=1).replications
    b = run_experiment(sc, reps=3, seed=2, days=300, workers=1).replications
    wait = a[a.metric == "mean_wait_h"]["value"].to_numpy()
    assert len(set(wait)) == 3  # each replication its own dice
    assert not np.array_equal(wait, b[b.metric == "mean_wait_h"]["value"].to_numpy())


def test_cache_is_reused_and_corruption_is_recomputed(tmp_path):
    sc = small()
    first = run_experiment(sc, reps=4, seed=3, days=300, workers=1, out=tmp_path)
    assert sorted(first.computed) == [0, 1, 2, 3] and first.reused == []
    again = run_experiment(sc, reps=4, seed=3, days=300, workers=1, out=tmp_path)
    assert again.computed == [] and sorted(again.reused) == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(first.summary, again.summary, check_exact=True)
    # corrupt one entry, leave one half-written (no done.json): both are recomputed
    kpis = first.run_dirs[1] / KPIS_FILE
    kpis.write_bytes(kpis.read_bytes()[:-20] + b"corrupted-bytes-here")
    (first.run_dirs[2] / DONE_FILE).unlink()
    third = run_experiment(sc, reps=4, seed=3, days=300, workers=1, out=tmp_path)
    assert sorted(third.computed) == [1, 2] and sorted(third.reused) == [0, 3]
    pd.testing.assert_frame_equal(first.summary, third.summary, check_exact=True)
    # a different scenario does not reuse these entries
    other = run_experiment(
        small(MM1, "terminals.queue.berths.all.count=2"),
        reps=2,
        seed=3,
        days=300,
        workers=1,
        out=tmp_path,
    )
    assert sorted(other.computed) == [0, 1]


def test_a_failing_replication_names_itself_and_keeps_the_others(tmp_path, monkeypatch):
    import lygsim.simulation as simulation

    real = simulation.simulate

    def flaky(scenario, seed=1, replication=0, days=None):
        if replication == 2:
            raise ValueError("dice fell off the table")
        return real(scenario, seed=seed, replication=replication, days=days)

    monkeypatch.setattr(simulation, "simulate", flaky)
    sc = small()
    with pytest.raises(SimulationError) as info:
        run_experiment(sc, reps=4, seed=5, days=300, workers=1, out=tmp_path)
    message = str(info.value)
    assert "mm1_rho05" in message and "seed 5" in message and "replication 2" in message
    assert "dice fell off the table" in message
    monkeypatch.setattr(simulation, "simulate", real)
    again = run_experiment(sc, reps=4, seed=5, days=300, workers=1, out=tmp_path)
    assert again.computed == [2] and sorted(again.reused) == [0, 1, 3]


def test_killed_run_resumes_with_the_same_summary(tmp_path):
    scenario = MM2
    args = [
        "--reps",
        "12",
        "--seed",
        "9",
        "--days",
        "12000",
        "--workers",
        "1",
        "--quiet",
        "--no-figures",
    ]
    whole = tmp_path / "whole"
    assert main(["run", str(scenario), "--out", str(whole), *args]) == 0
    part = tmp_path / "part"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lygsim", "run", str(scenario), "--out", str(part), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    # finished entries only: rep-N/, not the private folder a replication is written in
    while time.time() < deadline and len(list(part.glob("runs/**/rep-*/done.json"))) < 4:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p.parent: p.stat().st_mtime_ns for p in part.glob("runs/**/rep-*/done.json")}
    assert 4 <= len(finished) < 12, "the run was not killed halfway"
    assert not (part / "summary.csv").exists()
    assert main(["run", str(scenario), "--out", str(part), *args]) == 0
    for run_dir, mtime in finished.items():  # finished replications were not recomputed
        assert (run_dir / DONE_FILE).stat().st_mtime_ns == mtime
    manifest = json.loads((part / "manifest.json").read_text())
    assert manifest["reused"] == len(finished) and manifest["computed"] == 12 - len(finished)
    a = pd.read_csv(whole / "summary.csv")
    b = pd.read_csv(part / "summary.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    va = pd.read_parquet(whole / "visits.parquet")
    vb = pd.read_parquet(part / "visits.parquet")
    pd.testing.assert_frame_equal(va, vb)


def test_visits_of_every_replication_in_one_file(tmp_path):
    assert (
        main(
            [
                "run",
                str(MM1),
                "--reps",
                "3",
                "--days",
                "300",
                "--workers",
                "2",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    visits = pd.read_parquet(tmp_path / "visits.parquet")
    counts = visits.groupby("replication").size()
    reps = pd.read_csv(tmp_path / "replications.csv")
    assert list(counts.index) == [0, 1, 2]
    # every replication's visits are there: arrivals in the table >= calls completed
    calls = reps[(reps.name == "queue") & (reps.metric == "calls")].set_index("replication")
    assert (counts >= calls["value"]).all()


def test_precision_rule_adds_replications_until_met():
    sc = small()
    rule = Precision("queue", "berth_occupancy", 0.01, max_reps=12)
    res = run_experiment(sc, reps=2, seed=4, days=300, workers=1, precision=rule)
    n = res.replications.replication.nunique()
    assert 2 < n <= 12
    occ = res.replications[res.replications.metric == "berth_occupancy"]["value"]
    mean, _, _, lo, hi = mean_ci(occ.to_numpy())
    assert (hi - lo) / 2 <= 0.01 * mean or n == 12
    # and it stops as soon as it can: one batch fewer was not precise enough
    fewer = res.replications[res.replications.replication < n - 2]
    assert n == 12 or not rule.met(fewer)


def test_paired_interval_is_narrower_than_independent_seeds():
    base = small(MM2, "scenario.name=two_berths")
    option = small(MM2, "scenario.name=three_berths", "terminals.queue.berths.all.count=3")
    cmp = lygsim.compare(base, [option], reps=8, seed=21, days=3000, workers=1)
    row = cmp.table[(cmp.table.name == "queue") & (cmp.table.metric == "mean_wait_h")].iloc[0]
    assert row["significant"] and row["delta"] < 0  # a third berth cuts the wait
    paired_width = row["delta_ci_high"] - row["delta_ci_low"]
    indep = run_experiment(option, reps=8, seed=22, days=3000, workers=1).replications
    b = cmp.base.replications
    sel = lambda r: r[(r.name == "queue") & (r.metric == "mean_wait_h")]["value"].to_numpy()  # noqa: E731
    _, lo, hi = welch_ci(sel(b), sel(indep))
    assert paired_width < hi - lo
    # the paired table's delta is the mean of per-replication differences
    d, _, _, _, _ = paired_ci(sel(b), sel(cmp.options[0].replications))
    assert row["delta"] == pytest.approx(d)


def test_compare_command_writes_comparison(tmp_path, capsys):
    opt = three_berth_option(tmp_path, "three_berths")
    out = tmp_path / "cmp"
    code = main(
        [
            "compare",
            str(MM2),
            str(opt),
            "--reps",
            "4",
            "--days",
            "2000",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "comparison.csv")
    assert " ".join(table.columns) == (
        "scope name metric unit base_mean option option_mean delta delta_ci_low "
        "delta_ci_high rel_change significant"
    )
    assert set(table.option) == {"three_berths"}
    printed = capsys.readouterr().out
    assert "three_berths against base" in printed and "W/S" in printed


def test_compare_rejects_one_replication(tmp_path, capsys):
    assert main(["compare", str(MM1), str(MM2), "--reps", "1", "--out", str(tmp_path)]) == 2
    assert "--reps must be >= 2" in capsys.readouterr().err


def test_non_terminal_output_is_one_line_per_stage(tmp_path, capfd):
    def run_mm1(*extra: str) -> int:
        return main(["run", str(MM1), *["--reps", "2", "--days", "300", "--workers", "1"], *extra])

    assert run_mm1("--out", str(tmp_path)) == 0
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert any("2 replication(s), seed 1, on this process" in ln for ln in lines)
    assert any("2 computed, 0 reused" in ln for ln in lines)
    assert "\r" not in err  # no progress bar when not on a terminal
    assert run_mm1("--out", str(tmp_path), "--quiet") == 0
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_leftovers_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    import socket

    from lygsim.experiment import run_dir_for

    sc = small()
    seed_dir = run_dir_for(tmp_path, sc, 3, 0, 300).parent
    seed_dir.mkdir(parents=True)
    host = socket.gethostname()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    stale = seed_dir / f".rep-0.{host}.{dead_pid}.0badc0de.tmp"
    live = seed_dir / f".rep-1.{host}.{os.getpid()}.0badc0de.tmp"
    elsewhere = seed_dir / f".rep-1.another-host.{dead_pid}.0badc0de.tmp"
    for d in (stale, live, elsewhere):
        d.mkdir()
        (d / KPIS_FILE).write_bytes(b"half")
    res = run_experiment(sc, reps=2, seed=3, days=300, workers=1, out=tmp_path)
    assert sorted(res.computed) == [0, 1]
    assert not stale.exists() and live.exists() and elsewhere.exists()
    # finished entries are complete folders; nothing private of this run is left over
    assert sorted(p.name for p in seed_dir.iterdir() if not p.name.startswith(".")) == [
        "rep-0",
        "rep-1",
    ]
    assert {p.name for p in seed_dir.iterdir() if p.name.startswith(".")} == {
        live.name,
        elsewhere.name,
    }


def test_a_replication_stored_meanwhile_by_another_process_is_kept(tmp_path):
    """Two commands computing the same replication: the first stored wins, both succeed."""
    from lygsim.experiment import Task, run_replication

    sc = small()
    first = run_experiment(sc, reps=1, seed=3, days=300, workers=1, out=tmp_path)
    done = first.run_dirs[0] / DONE_FILE
    stamp = done.stat().st_mtime_ns
    # the same replication computed again (as by a command that started before it was stored)
    again = run_replication(Task(sc, 3, 0, 300, str(first.run_dirs[0])))
    assert again.error is None
    assert done.stat().st_mtime_ns == stamp  # the stored entry was kept, not replaced
    pd.testing.assert_frame_equal(again.kpis, pd.read_parquet(first.run_dirs[0] / KPIS_FILE))
    # a damaged entry is replaced by the new one
    (first.run_dirs[0] / KPIS_FILE).write_bytes(b"damaged")
    assert run_replication(Task(sc, 3, 0, 300, str(first.run_dirs[0]))).error is None
    assert done.stat().st_mtime_ns != stamp
    assert run_experiment(sc, reps=1, seed=3, days=300, workers=1, out=tmp_path).reused == [0]
    leftovers = [p for p in first.run_dirs[0].parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_compare_refuses_options_observing_another_window(tmp_path, capsys):
    from lygsim.errors import UsageError

    base = small(MM2)
    cases = {
        "horizon_days": small(MM2, "scenario.name=longer", "scenario.horizon_days=3000"),
        "warmup_days": small(MM2, "scenario.name=warmer", "scenario.warmup_days=150"),
        "start_date": small(MM2, "scenario.name=later", "scenario.start_date=2024-01-01"),
    }
    for field, option in cases.items():
        with pytest.raises(UsageError, match=f"option {option.scenario.name}: scenario.{field}"):
            lygsim.compare(base, [option], reps=2, seed=1, workers=1)
    # --days sets every horizon: then only the warm-up and the start date must agree
    cmp = lygsim.compare(base, [cases["horizon_days"]], reps=2, seed=1, days=400, workers=1)
    assert set(cmp.table.option) == {"longer"}
    with pytest.raises(UsageError, match="scenario.warmup_days"):
        lygsim.compare(base, [cases["warmup_days"]], reps=2, seed=1, days=400, workers=1)
    # on the command line: one line naming the option's file and the field, nothing written
    opt = tmp_path / "longer.yaml"
    opt.write_text(f"extends: {MM2}\nscenario: {{name: longer, horizon_days: 3000}}\n")
    out = tmp_path / "cmp"
    code = main(["compare", str(MM2), str(opt), "--reps", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"{opt}: scenario.horizon_days is 3000")
    assert "(or give --days for all)" in err
    assert not out.exists()


def test_precision_names_a_scope_when_a_name_is_ambiguous():
    from lygsim.errors import UsageError

    assert Precision.parse("container.mean_wait_h=0.05", 10).scope == ""  # settled by check
    rule = Precision.parse("port:port.calls=0.1", 10)
    assert (rule.scope, rule.name, rule.metric, rule.rel) == ("port", "port", "calls", 0.1)
    with pytest.raises(UsageError, match=r"SCOPE: one of terminal, port, service, link"):
        Precision.parse("harbour:port.calls=0.1", 10)
