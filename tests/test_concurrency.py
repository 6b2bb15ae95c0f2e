"""Commands sharing an output folder, and process pools whose parent is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from lygsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
MM2 = ROOT / "scenarios" / "validation" / "mm2_rho08.yaml"
MM4 = ROOT / "scenarios" / "validation" / "mm4_rho08.yaml"
LINUX = sys.platform.startswith("linux")


def lygsim(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lygsim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_runs_into_one_folder_both_succeed(tmp_path):
    args = ["--reps", "8", "--seed", "4", "--days", "3000", "--workers", "1", "--no-figures"]
    alone = tmp_path / "alone"
    assert main(["run", str(MM2), "--out", str(alone), "--quiet", *args]) == 0
    shared = tmp_path / "shared"
    first = lygsim("run", str(MM2), "--out", str(shared), *args)
    # the second starts while the first is between replications, when partial entries exist
    deadline = time.time() + 60
    while time.time() < deadline and not list(shared.glob("runs/**/rep-*/done.json")):
        time.sleep(0.02)
    second = lygsim("run", str(MM2), "--out", str(shared), *args)
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    pd.testing.assert_frame_equal(
        pd.read_csv(alone / "summary.csv"), pd.read_csv(shared / "summary.csv"), check_exact=True
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(alone / "visits.parquet"), pd.read_parquet(shared / "visits.parquet")
    )
    # every replication stored once, complete; nothing private or temporary left behind
    entries = sorted(p.name for p in shared.glob("runs/*/*/seed-4/*"))
    assert entries == sorted(f"rep-{r}" for r in range(8))
    assert not [p for p in shared.rglob("*.tmp")]


def test_a_kill_during_the_figures_leaves_nothing_a_later_run_keeps(tmp_path):
    args = ["--reps", "2", "--days", "3000", "--workers", "1", "--quiet"]
    out = tmp_path / "out"
    assert main(["run", str(MM2), "--out", str(out), *args, "--no-figures"]) == 0
    # what a kill in the middle of atomic writes leaves: temporary files beside their targets
    figures = out / "figures"
    figures.mkdir()
    stale = [figures / ".waiting_times.png.k3j_x9q2.tmp", out / ".summary.csv.abcd1234.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
        os.utime(path, (time.time() - 60, time.time() - 60))
    # a file being written by a command running now (newer than this one) and unrelated files
    kept = [
        figures / ".queue_length.png.zz9_ab12.tmp",
        figures / "notes.tmp",
        out / ".hidden.tmp",
    ]
    for path in kept:
        path.write_bytes(b"")
        os.utime(path, (time.time() + 3600, time.time() + 3600) if "zz9" in path.name else None)
    os.utime(kept[1], (time.time() - 60, time.time() - 60))
    os.utime(kept[2], (time.time() - 60, time.time() - 60))
    assert main(["run", str(MM2), "--out", str(out), *args]) == 0
    assert (figures / "waiting_times.png").is_file()
    assert not [p for p in stale if p.exists()]
    assert all(p.exists() for p in kept)


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids |= {int(x) for x in task.read_text().split()}
        except OSError:
            continue
    return kids


def _alive(pid: int) -> bool:
    """Running: present and not a zombie (an orphan's zombie may wait for a reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not LINUX, reason="reads the process tree from /proc")
def test_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    # replications of several seconds each, so the workers are busy when the parent dies
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lygsim",
            "run",
            str(MM4),
            "--reps",
            "4",
            "--days",
            "36000",
            "--workers",
            "2",
            "--no-figures",
            "--quiet",
            "--out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        workers = {pid for pid in _children(proc.pid) if _alive(pid)}
        time.sleep(0.05)
    assert len(workers) >= 2, "the pool never started"
    time.sleep(0.5)  # the workers are computing
    assert not list((tmp_path / "out").glob("runs/**/rep-*/done.json")), "replications too short"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 5
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]
