"""The package type-checks: mypy, configured in pyproject.toml, finds no error in src/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error_in_the_package() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "src/lygsim"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "error:" not in r.stdout
    assert r.stdout.startswith("Success: no issues found"), r.stdout
