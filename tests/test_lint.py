"""The code follows the project's lint and format rules (ruff, pinned in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["src", "tests", "benchmarks"]


@pytest.mark.parametrize(
    "command", [["check", *CHECKED], ["format", "--check", *CHECKED]], ids=["check", "format"]
)
def test_ruff_passes(command: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "ruff", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
