"""``lygsim new``: the written scenario validates, runs, is commented, and bad input is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lygsim.cli import main
from lygsim.loader import load_scenario
from lygsim.scenario import UNITS, Cargo

KINDS = [c.value for c in Cargo]
# a line that sets a field: "key: value", possibly a list item; headers ("key:") have no value
FIELD = re.compile(r"^\s*(?:- )?[A-Za-z_][A-Za-z0-9_]*:\s+[^#\s]")
# every field's comment opens with its unit in brackets, or says it has none
UNIT_COMMENT = re.compile(r"#\s*\[([^\]]+)\]")
KNOWN_UNITS = re.compile(
    r"no unit(: [A-Za-z /]+)?|text|date|days|h|m|t|TEU|vehicles|berths|calls/year|t/TEU|t/vehicle"
    r"|(TEU|t|vehicles)( per call|/h per [a-z ]+)|[a-z ]+s per berth|CEU \(.+\)"
)


def _new(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / f"{name}.yaml"
    assert main(["new", name, "--out", str(out), *args]) == 0
    return out


def _run_one(path: Path, out: Path, days: str = "60") -> pd.DataFrame:
    code = main(
        [
            "run",
            str(path),
            "--reps",
            "1",
            "--days",
            days,
            "--workers",
            "1",
            "--no-figures",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return pd.read_csv(out / "summary.csv")


def _assert_every_field_commented(text: str) -> None:
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#") or not FIELD.match(line):
            continue
        m = UNIT_COMMENT.search(line)
        assert m is not None, f"line {n} has no [unit] comment: {line}"
        assert KNOWN_UNITS.fullmatch(m.group(1)), f"line {n}: '{m.group(1)}' is not a unit: {line}"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_alone_validates_runs_and_is_commented(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _new(tmp_path, f"port_{kind}", "--terminals", f"{kind}:2")
    text = path.read_text(encoding="utf-8")
    _assert_every_field_commented(text)
    assert main(["validate", str(path)]) == 0
    assert f"{path}: OK (port_{kind})" in capsys.readouterr().out
    sc = load_scenario(path)
    assert list(sc.terminals) == [kind]
    term = sc.terminals[kind]
    assert term.cargo.value == kind and term.yard is not None
    assert sum(g.count for g in term.berths.values()) == 2
    assert not sc.services and sc.nautical is not None and sc.nautical.tide is None
    # the channel needs no tide: no ship is tide-bound
    assert not any(sc.tide_bound(c) for c in sc.ship_classes)
    summary = _run_one(path, tmp_path / "out").set_index(["name", "metric"])
    assert summary.loc[(kind, "calls"), "mean"] > 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == f"port_{kind}"
    assert summary.loc[(kind, "throughput"), "unit"] == UNITS[Cargo(kind)]


def test_a_mix_of_every_kind_holds_a_moderate_occupancy(tmp_path: Path) -> None:
    spec = "container:2,ore:1,crude:1,dry_bulk:3,liquid_bulk:4,roro:1"
    path = _new(tmp_path, "mixed", "--terminals", spec)
    _assert_every_field_commented(path.read_text(encoding="utf-8"))
    sc = load_scenario(path)
    assert {t: sum(g.count for g in v.berths.values()) for t, v in sc.terminals.items()} == {
        "container": 2,
        "ore": 1,
        "crude": 1,
        "dry_bulk": 3,
        "liquid_bulk": 4,
        "roro": 1,
    }
    # one arrival stream and one ship class per terminal, each naming the other correctly
    assert sorted(sc.ship_classes[a.ship_class].terminal for a in sc.arrivals.values()) == sorted(
        sc.terminals
    )
    # the whole observed year: demand was set for occupancy 0.5-0.6, never overload
    summary = _run_one(path, tmp_path / "out", days="395")
    occ = summary[summary.metric == "berth_occupancy"].set_index("name")["mean"]
    assert set(occ.index) >= set(sc.terminals)
    for term in sc.terminals:
        assert 0.4 <= occ[term] <= 0.7, (term, occ[term])


def test_default_is_one_container_terminal_of_two_berths_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "harbour"]) == 0
    out = capsys.readouterr().out
    assert "wrote harbour.yaml" in out
    sc = load_scenario(tmp_path / "harbour.yaml")
    assert sc.scenario.name == "harbour"
    assert list(sc.terminals) == ["container"]
    assert sum(g.count for g in sc.terminals["container"].berths.values()) == 2


def test_names_yaml_would_misread_stay_names(tmp_path: Path) -> None:
    for name in ("yes", "null", "True", "off"):
        sc = load_scenario(_new(tmp_path, name))
        assert sc.scenario.name == name


@pytest.mark.parametrize(
    "spec",
    [
        "foo:1",
        "container:0",
        "container:51",
        "container:-1",
        "container:x",
        "container:2.5",
        "container:2,container:1",
        "container;2",
        ",",
        "",
        "container:2,",
    ],
)
def test_bad_terminals_exit_2_with_one_line_and_write_nothing(
    spec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.yaml"
    assert main(["new", "x", "--terminals", spec, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "--terminals" in lines[0], captured.err
    assert not out.exists()


@pytest.mark.parametrize("name", ["1port", "my port", "a" * 65, "port.yaml", "-x", "é"])
def test_bad_names_exit_2(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", name, "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert not (tmp_path / "x.yaml").exists()


def test_an_existing_file_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("my own work\n", encoding="utf-8")
    assert main(["new", "mine", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]
    assert out.read_text(encoding="utf-8") == "my own work\n"
    assert main(["new", "mine", "--out", str(out), "--force"]) == 0
    assert load_scenario(out).scenario.name == "mine"
    assert main(["new", "mine", "--out", str(tmp_path)]) == 2  # a folder is not a file


@pytest.mark.parametrize("where", ["under-a-file", "in-proc", "name-too-long"])
def test_an_out_that_cannot_be_written_is_one_line(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = {
        "under-a-file": tmp_path / "afile" / "port.yaml",
        "in-proc": Path("/proc/lygsim-new-test/port.yaml"),
        "name-too-long": tmp_path / ("p" * 300 + ".yaml"),
    }[where]
    assert main(["new", "port", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"lygsim new: --out {out}: "), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_name_is_required_without_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new"]) == 2
    assert "NAME" in capsys.readouterr().err


def test_list_prints_every_kind_with_its_unit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "--list"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows == {c.value: UNITS[c] for c in Cargo}


def test_the_file_is_plain_yaml_with_no_tide_bound_list(tmp_path: Path) -> None:
    data = yaml.safe_load(_new(tmp_path, "plain", "--terminals", "ore:1").read_text())
    assert "tide_bound_classes" not in data["nautical"]
    assert "services" not in data and "corridors" not in data
