"""The generated reference page, the JSON Schema and the shipped scenarios."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lygsim import dists
from lygsim.cli import main
from lygsim.schema_doc import json_schema, reference_markdown

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "scenario-reference.md"
SCENARIO_DIRS = (ROOT / "scenarios", ROOT / "scenarios" / "validation")


def test_reference_page_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/scenario-reference.md is out of date; regenerate it with "
        "`lygsim schema --markdown > docs/scenario-reference.md`"
    )


def test_schema_markdown_command_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--markdown"]) == 0
    out, err = capsys.readouterr()
    assert out == reference_markdown()
    assert err == ""


def test_schema_command_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    schema = json.loads(out)
    assert schema == json_schema()
    props = schema["properties"]
    for key in ("scenario", "ship_classes", "terminals", "arrivals", "extends"):
        assert key in props
    assert {"scenario", "ship_classes", "arrivals", "terminals"} <= set(schema["required"])


def _shipped_scenarios() -> list[Path]:
    files: set[Path] = set()
    for folder in SCENARIO_DIRS:
        if folder.is_dir():
            files.update(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"})
    return sorted(files)


def _scenario_params() -> list[object]:
    files = _shipped_scenarios()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no shipped scenarios yet"))]
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in files]


@pytest.mark.parametrize("path", _scenario_params())
def test_shipped_scenario_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert out.startswith(f"{path}: OK"), out


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row; ``\\|`` is a pipe inside a cell."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_every_table_row_has_its_four_cells() -> None:
    rows = [line for line in reference_markdown().splitlines() if line.startswith("| `")]
    assert len(rows) > 100
    for row in rows:
        width = 3 if row.startswith(tuple(f"| `{d}` |" for d in dists.DIST_NAMES)) else 4
        assert len(_cells(row)) == width, row


def test_every_field_has_a_description() -> None:
    rows = [line for line in reference_markdown().splitlines() if line.startswith("| `")]
    empty = [row for row in rows if not _cells(row)[-1].strip()]
    assert empty == []


def test_the_page_defines_the_terminals_unit() -> None:
    page = reference_markdown()
    assert "**The terminal's unit**: TEU at container terminals, vehicles at ro-ro" in page
