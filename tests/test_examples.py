"""Every example's commands, exactly as its README writes them, run and exit 0.

Each example folder is copied to a temporary folder and its README's ```bash blocks run
there, line by line, with ``lygsim`` (and ``python``) taken from this interpreter's folder,
so the commands a reader copies are the commands tested.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lygsim.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/README.md"))
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.M | re.S)


def commands(readme: str) -> list[str]:
    """The commands of every ```bash block, continuation lines joined, comments dropped."""
    out: list[str] = []
    for block in BASH_BLOCK.findall(readme):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                out.append(line.strip())
    return out


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2, EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_has_a_scenario_an_option_and_a_comparison(example: Path) -> None:
    scenarios = sorted(example.glob("*.yaml"))
    assert len(scenarios) >= 2, "an example is a scenario and at least one option"
    names = [load_scenario(p).scenario.name for p in scenarios]
    assert len(set(names)) == len(names), names
    cmds = commands((example / "README.md").read_text(encoding="utf-8"))
    assert any(c.startswith("lygsim compare ") for c in cmds), cmds


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_readme_commands_run(example: Path, tmp_path: Path) -> None:
    work = tmp_path / example.name
    shutil.copytree(example, work, ignore=shutil.ignore_patterns("results"))
    cmds = commands((example / "README.md").read_text(encoding="utf-8"))
    assert cmds, f"{example.name}/README.md has no ```bash block"
    bindir = str(Path(sys.executable).parent)  # the environment lygsim is installed in
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    env["MPLBACKEND"] = "Agg"
    for cmd in cmds:
        assert cmd.split()[0] in {"lygsim", "python"}, f"not a lygsim command: {cmd}"
        r = subprocess.run(
            ["bash", "-c", cmd], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, f"{example.name}: {cmd}\n{r.stdout}\n{r.stderr}"
    # the commands wrote their results inside the copy, nowhere else
    assert (work / "results").is_dir()
