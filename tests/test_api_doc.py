"""The generated Python API page is up to date and covers the whole public API."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import lygsim
from lygsim.api_doc import ERRORS, FUNCTIONS, _get, _items, _sections, api_markdown

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "api.md"


def test_api_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == api_markdown(), (
        "docs/api.md is out of date; regenerate it with `python -m lygsim.api_doc > docs/api.md`"
    )


def test_the_module_prints_the_page() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "lygsim.api_doc"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == api_markdown()


def test_every_public_name_is_documented() -> None:
    documented = {name for module, name in FUNCTIONS if module == "lygsim"}
    documented |= {name for _, name in ERRORS}
    assert set(lygsim.__all__) - {"__version__"} <= documented


def test_every_argument_of_the_package_functions_is_described() -> None:
    page = api_markdown()
    for module, name in FUNCTIONS:
        if module != "lygsim":
            continue
        f = _get(module, name)
        _, sections = _sections(inspect.getdoc(f) or "")
        described = {a.lstrip("*") for a, _ in _items(sections.get("Args", []))}
        params = set(inspect.signature(f).parameters)
        assert params <= described, f"{name}: undocumented arguments {params - described}"
        assert f"### `lygsim.{name}`" in page
