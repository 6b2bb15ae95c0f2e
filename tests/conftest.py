"""Shared fixtures: a small valid scenario as plain data, and a YAML writer."""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

# One container terminal with one berth group, one ship class, one Poisson arrival stream.
BASE_SCENARIO: dict[str, Any] = {
    "scenario": {
        "name": "base",
        "start_date": "2023-01-01",
        "horizon_days": 30,
        "warmup_days": 2,
    },
    "ship_classes": {
        "feeder": {
            "terminal": "container",
            "dwt_t": 20000,
            "loa_m": 180,
            "draft_m": 10,
            "call_size": {"dist": "lognormal", "mean": 800, "cv": 0.5},
        }
    },
    "arrivals": {
        "feeders": {"kind": "poisson", "ship_class": "feeder", "calls_per_year": 500},
    },
    "terminals": {
        "container": {
            "cargo": "container",
            "berths": {
                "g1": {
                    "count": 2,
                    "max_dwt_t": 50000,
                    "max_loa_m": 300,
                    "max_draft_m": 14,
                    "equipment": 2,
                    "rate": {"dist": "gamma", "mean": 25, "cv": 0.3},
                }
            },
        }
    },
}

# Optional: an approach channel with a tide (depth 11 m + 3 m at high water, ukc 1 m).
NAUTICAL: dict[str, Any] = {
    "channel_depth_m": 11,
    "ukc_m": 1,
    "tide": {"high_water_m": 3, "window_h": 4},
}


@pytest.fixture
def base() -> dict[str, Any]:
    """A fresh deep copy of the valid base scenario."""
    return copy.deepcopy(BASE_SCENARIO)


@pytest.fixture
def base_nautical() -> dict[str, Any]:
    """The base scenario with a tidal channel."""
    data = copy.deepcopy(BASE_SCENARIO)
    data["nautical"] = copy.deepcopy(NAUTICAL)
    return data


def dump(path: Path, data: Any) -> Path:
    """Write ``data`` as YAML to ``path`` (creating folders) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write data as YAML under ``tmp_path``: ``write_yaml(data, "sub/name.yaml")``."""

    def write(data: Any, name: str = "scenario.yaml") -> Path:
        return dump(tmp_path / name, data)

    return write


MM2 = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mm2_rho08.yaml"
"""The validation scenario M/M/2 at 80% load, the base of the small option studies."""


def three_berth_option(folder: Path, name: str, description: str | None = None) -> Path:
    """Write ``folder/<name>.yaml``: :data:`MM2` with a third berth (M/M/3)."""
    about = f"name: {name}" + (f", description: {description}" if description else "")
    path = folder / f"{name}.yaml"
    path.write_text(
        f"extends: {MM2}\nscenario: {{{about}}}\n"
        "terminals: {queue: {berths: {all: {count: 3}}}}\n",
        encoding="utf-8",
    )
    return path


def run_lygsim(
    *args: str, check: bool = False, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m lygsim ARGS`` in a fresh process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "lygsim", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        cwd=cwd,
    )


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make folders and files read-only for this process, then writable again.

    Permission bits do not stop root, so as root the paths are made immutable instead
    (``chattr +i``, which root cannot write through either); where the file system has no
    such attribute the test is skipped.
    """
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p in paths:
                p.chmod(modes[p])
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root and chattr is not installed: cannot make a folder read-only")
    done: list[Path] = []
    try:
        for p in paths:
            proc = subprocess.run([chattr, "+i", str(p)], capture_output=True, check=False)
            if proc.returncode != 0:
                pytest.skip(f"running as root and chattr +i fails here: {proc.stderr!r}")
            done.append(p)
        yield
    finally:
        for p in reversed(done):
            subprocess.run([chattr, "-i", str(p)], capture_output=True, check=False)
