"""The tutorial notebook runs from start to finish, so it can never go stale."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
TIME_LIMIT_S = 300


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the tutorial has no code"
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_executes_without_error_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the checkout's layout in a temporary folder: the notebook reads ../examples from docs/
    # and anything it might write lands here, never in the checkout
    (tmp_path / "docs").mkdir()
    shutil.copy(NOTEBOOK, tmp_path / "docs" / NOTEBOOK.name)
    shutil.copytree(
        ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("results")
    )
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits it: no display needed
    nb = nbformat.read(tmp_path / "docs" / NOTEBOOK.name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=TIME_LIMIT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path / "docs")}},
    )
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    assert time.perf_counter() - t0 < TIME_LIMIT_S
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # the last cell states the answer in words, from the numbers
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "third_berth: practical capacity" in last, last
