"""Malformed scenarios and arguments through the ``lygsim`` command line.

Every case must end with exit code 2 and only one-line messages: each line starts with the
file (``lygsim`` for argument errors), names the dotted field path and says what is allowed.
Never a traceback.
"""

from __future__ import annotations

import copy
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import BASE_SCENARIO, NAUTICAL, dump, read_only, run_lygsim
from lygsim.cli import main
from lygsim.loader import load_scenario

Data = dict[str, Any]
Builder = Callable[[Path], Path]


# --- building cases -------------------------------------------------------------------------


def _walk(data: Data, dotted: str) -> tuple[Any, str]:
    *parents, last = dotted.split(".")
    node: Any = data
    for p in parents:
        node = node[p]
    return node, last


def setp(dotted: str, value: Any) -> Callable[[Data], None]:
    """Set the value at a dotted path (parents must exist)."""

    def apply(d: Data) -> None:
        node, last = _walk(d, dotted)
        node[last] = value

    return apply


def delp(dotted: str) -> Callable[[Data], None]:
    """Delete the key at a dotted path."""

    def apply(d: Data) -> None:
        node, last = _walk(d, dotted)
        del node[last]

    return apply


def mutated(*changes: Callable[[Data], None], nautical: bool = False) -> Builder:
    """A builder writing the base scenario with ``changes`` applied."""

    def build(tmp: Path) -> Path:
        data = copy.deepcopy(BASE_SCENARIO)
        if nautical:
            data["nautical"] = copy.deepcopy(NAUTICAL)
        for change in changes:
            change(data)
        return dump(tmp / "scenario.yaml", data)

    return build


def raw(content: str | bytes, name: str = "scenario.yaml") -> Builder:
    """A builder writing ``content`` verbatim."""

    def build(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return build


def base_then(text: str) -> Builder:
    """The base scenario as YAML text followed by ``text`` (for things yaml.safe_dump avoids)."""

    def build(tmp: Path) -> Path:
        path = dump(tmp / "scenario.yaml", BASE_SCENARIO)
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
        return path

    return build


def missing_file(tmp: Path) -> Path:
    return tmp / "no_such_scenario.yaml"


def a_directory(tmp: Path) -> Path:
    path = tmp / "scenarios.yaml"
    path.mkdir()
    return path


def extends_missing(tmp: Path) -> Path:
    return dump(tmp / "scenario.yaml", {"extends": "base/nowhere.yaml", "scenario": {}})


def extends_cycle(tmp: Path) -> Path:
    dump(tmp / "b.yaml", {"extends": "a.yaml", **copy.deepcopy(BASE_SCENARIO)})
    return dump(tmp / "a.yaml", {"extends": "b.yaml"})


def extends_not_a_name(tmp: Path) -> Path:
    return dump(tmp / "scenario.yaml", {"extends": 5, **copy.deepcopy(BASE_SCENARIO)})


def seasonality(n: int, zero_at: int | None = None) -> list[float]:
    values = [1.0] * n
    if zero_at is not None:
        values[zero_at] = 0.0
    return values


GROUP = "terminals.container.berths.g1"
SHIP = "ship_classes.feeder"
ARR = "arrivals.feeders"


@dataclass(frozen=True)
class Case:
    """One malformed input.

    Attributes:
        build: Writes the file under the test's folder and returns the path passed to lygsim.
        where: The dotted path expected right after the file name (None: a whole-file problem).
        says: A fragment of the expected message (what is wrong or what is allowed).
        args: Extra arguments after the file (``--set ...``).
        command: The subcommand.
        min_lines: At least this many problem lines (several problems reported together).
    """

    build: Builder
    where: str | None
    says: str
    args: tuple[str, ...] = ()
    command: str = "validate"
    min_lines: int = 1
    extra: tuple[str, ...] = field(default=())  # further fragments that must appear


CASES: dict[str, Case] = {
    # wrong types
    "string-for-integer": Case(
        mutated(setp(f"{GROUP}.count", "many")), f"{GROUP}.count", "must be a valid integer"
    ),
    "string-for-number": Case(
        mutated(setp(f"{SHIP}.dwt_t", "heavy")), f"{SHIP}.dwt_t", "must be a valid number"
    ),
    "list-for-mapping": Case(
        mutated(setp("terminals.container.berths", [{"count": 2}])),
        "terminals.container.berths",
        "must be a valid dictionary",
        extra=("got list",),
    ),
    "number-for-list": Case(
        mutated(setp(f"{ARR}.seasonality", 1.0)), f"{ARR}.seasonality", "must be a valid list"
    ),
    "number-for-distribution": Case(
        mutated(setp(f"{SHIP}.call_size", 800)), f"{SHIP}.call_size", "got integer"
    ),
    "bad-date": Case(
        mutated(setp("scenario.start_date", "next spring")),
        "scenario.start_date",
        "must be a valid date",
    ),
    "unknown-cargo": Case(
        mutated(setp("terminals.container.cargo", "coal")),
        "terminals.container.cargo",
        "'container', 'ore', 'crude'",
    ),
    "bad-name": Case(
        mutated(setp("scenario.name", "2023 base")),
        "scenario.name",
        "must be a name: a letter, then letters, digits",
    ),
    # zero and negative values
    "zero-rate": Case(
        mutated(setp(f"{ARR}.calls_per_year", 0)), f"{ARR}.calls_per_year", "greater than 0"
    ),
    "negative-rate": Case(
        mutated(setp(f"{ARR}.calls_per_year", -40)), f"{ARR}.calls_per_year", "greater than 0"
    ),
    "zero-berths": Case(
        mutated(setp(f"{GROUP}.count", 0)), f"{GROUP}.count", "greater than or equal to 1"
    ),
    "negative-dwt": Case(mutated(setp(f"{SHIP}.dwt_t", -1)), f"{SHIP}.dwt_t", "greater than 0"),
    "zero-mean-rate": Case(
        mutated(setp(f"{GROUP}.rate", {"dist": "constant", "value": 0})),
        f"{GROUP}.rate",
        "rate must have a positive mean",
    ),
    "efficiency-above-one": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "constant", "value": 1.2})),
        f"{GROUP}.efficiency",
        "(0, 1]",
    ),
    # unknown and misspelt keys
    "unknown-top-level-key": Case(
        mutated(setp("colour", "blue")), "colour", "unknown key (allowed: arrivals,"
    ),
    "misspelt-section": Case(
        mutated(lambda d: d.update(ship_clases=d.pop("ship_classes"))),
        "ship_clases",
        "did you mean 'ship_classes'?",
        min_lines=2,  # and ship_classes is then missing
    ),
    "misspelt-berth-key": Case(
        mutated(
            lambda d: d["terminals"]["container"]["berths"]["g1"].update(max_draft=14),
        ),
        f"{GROUP}.max_draft",
        "did you mean 'max_draft_m'?",
    ),
    "misspelt-distribution-parameter": Case(
        mutated(setp(f"{SHIP}.call_size", {"dist": "lognormal", "mean": 800, "cvv": 0.5})),
        f"{SHIP}.call_size.cvv",
        "did you mean 'cv'?",
        min_lines=2,  # and cv is missing
    ),
    "misspelt-tide-key": Case(
        mutated(setp("nautical.tide.window", 4), nautical=True),
        "nautical.tide.window",
        "did you mean 'window_h'?",
    ),
    # distributions
    "unknown-distribution": Case(
        mutated(setp(f"{SHIP}.call_size", {"dist": "weibull", "shape": 2, "scale": 800})),
        f"{SHIP}.call_size",
        "unknown dist 'weibull'",
        extra=("lognormal", "erlang", "empirical"),
    ),
    "missing-dist-tag": Case(
        mutated(setp(f"{SHIP}.call_size", {"mean": 800, "cv": 0.5})),
        f"{SHIP}.call_size",
        "missing the tag field",
        extra=("dist",),
    ),
    "erlang-k-zero": Case(
        mutated(setp(f"{GROUP}.rate", {"dist": "erlang", "k": 0, "mean": 25})),
        f"{GROUP}.rate.k",
        "greater than or equal to 1",
    ),
    "lognormal-cv-zero": Case(
        mutated(setp(f"{SHIP}.call_size", {"dist": "lognormal", "mean": 800, "cv": 0})),
        f"{SHIP}.call_size.cv",
        "greater than 0",
    ),
    "lognormal-cv-negative": Case(
        mutated(setp(f"{SHIP}.call_size", {"dist": "lognormal", "mean": 800, "cv": -0.5})),
        f"{SHIP}.call_size.cv",
        "greater than 0",
    ),
    "triangular-out-of-order": Case(
        mutated(
            setp(f"{GROUP}.berthing_h", {"dist": "triangular", "low": 2, "mode": 1, "high": 3})
        ),
        f"{GROUP}.berthing_h",
        "need low <= mode <= high",
    ),
    "uniform-high-below-low": Case(
        mutated(setp(f"{GROUP}.unberthing_h", {"dist": "uniform", "low": 3, "high": 1})),
        f"{GROUP}.unberthing_h",
        "high must be >= low",
    ),
    "empirical-weights-length": Case(
        mutated(
            setp(
                f"{SHIP}.call_size",
                {"dist": "empirical", "values": [500, 800, 1200], "weights": [1, 2]},
            )
        ),
        f"{SHIP}.call_size",
        "weights has 2 entries but values has 3",
    ),
    "empirical-zero-weight": Case(
        mutated(
            setp(f"{SHIP}.call_size", {"dist": "empirical", "values": [5, 8], "weights": [1, 0]})
        ),
        f"{SHIP}.call_size.weights[1]",
        "greater than 0",
    ),
    "normal-for-call-size": Case(
        mutated(setp(f"{SHIP}.call_size", {"dist": "normal", "mean": 800, "sd": 200})),
        f"{SHIP}.call_size",
        "can take negative values",
        extra=("must be >= 0",),
    ),
    "negative-uniform-for-duration": Case(
        mutated(setp(f"{GROUP}.berthing_h", {"dist": "uniform", "low": -1, "high": 2})),
        f"{GROUP}.berthing_h",
        "can take negative values",
    ),
    # missing fields
    "missing-draft": Case(
        mutated(delp(f"{SHIP}.draft_m")), f"{SHIP}.draft_m", "required field is missing"
    ),
    "missing-terminals": Case(mutated(delp("terminals")), "terminals", "required field is missing"),
    "missing-arrival-kind": Case(mutated(delp(f"{ARR}.kind")), ARR, "missing the tag field"),
    "unknown-arrival-kind": Case(
        mutated(setp(f"{ARR}.kind", "weekly")),
        ARR,
        "unknown kind 'weekly'",
        extra=("poisson", "renewal", "scheduled"),
    ),
    # files
    "missing-file": Case(missing_file, None, "file not found"),
    "extends-missing-file": Case(
        extends_missing, "extends", "file 'base/nowhere.yaml' not found next to this file"
    ),
    "extends-cycle": Case(extends_cycle, "extends", "extends cycle: a.yaml -> b.yaml -> a.yaml"),
    "extends-not-a-string": Case(extends_not_a_name, "extends", "must be a file name"),
    "malformed-yaml": Case(
        raw("scenario:\n  name: [base\n  horizon_days: 30\n"),
        "line 3, column 15",
        "malformed YAML",
    ),
    "tab-indentation": Case(raw("scenario:\n\tname: base\n"), "line 2, column 1", "malformed YAML"),
    "python-tag": Case(
        raw("scenario: !!python/object/apply:os.system [echo hi]\n"),
        "line 1",
        "could not determine a constructor",
    ),
    "top-level-list": Case(raw("- scenario\n- terminals\n"), None, "top level is a list"),
    "top-level-string": Case(raw("just some words\n"), None, "top level is a string"),
    "empty-file": Case(raw(""), None, "file is empty"),
    "comments-only-file": Case(raw("# nothing yet\n"), None, "file is empty"),
    "directory": Case(a_directory, None, "is a directory"),
    "not-utf8": Case(raw(b"scenario:\n  name: \xc1\xe9\xd4\xc6\xb8\xdb\n"), None, "not UTF-8"),
    "recursive-alias": Case(
        raw("scenario: &a\n  name: base\n  loop: *a\n"), "scenario.loop", "refers to itself"
    ),
    "non-string-top-level-key": Case(
        base_then("2023: busy year\n"), "2023", "keys must be strings"
    ),
    "non-string-berth-group-key": Case(
        mutated(
            lambda d: d["terminals"]["container"]["berths"].update(
                {7: copy.deepcopy(d["terminals"]["container"]["berths"]["g1"])}
            )
        ),
        "terminals.container.berths.7",
        "keys must be strings",
    ),
    # non-finite numbers
    "nan": Case(
        mutated(setp("scenario.horizon_days", float("nan"))),
        "scenario.horizon_days",
        "must be a finite number (not NaN or infinity)",
    ),
    "infinity": Case(
        mutated(setp(f"{SHIP}.loa_m", float("inf"))),
        f"{SHIP}.loa_m",
        "must be a finite number",
    ),
    "negative-infinity-in-list": Case(
        mutated(setp(f"{ARR}.seasonality", [1.0] * 3 + [float("-inf")] + [1.0] * 8)),
        f"{ARR}.seasonality[3]",
        "must be a finite number",
    ),
    # cross-field checks
    "ship-fits-no-berth": Case(
        mutated(setp(f"{SHIP}.loa_m", 366)),
        SHIP,
        "fits no berth of terminal 'container'",
        extra=("max_loa_m",),
    ),
    "unknown-terminal": Case(
        mutated(setp(f"{SHIP}.terminal", "bulk")),
        f"{SHIP}.terminal",
        "unknown terminal 'bulk' (known: container)",
    ),
    "unknown-ship-class": Case(
        mutated(setp(f"{ARR}.ship_class", "capesize")),
        f"{ARR}.ship_class",
        "unknown ship class 'capesize' (known: feeder)",
    ),
    "seasonality-11-factors": Case(
        mutated(setp(f"{ARR}.seasonality", seasonality(11))),
        f"{ARR}.seasonality",
        "at least 12 items",
    ),
    "seasonality-13-factors": Case(
        mutated(setp(f"{ARR}.seasonality", seasonality(13))),
        f"{ARR}.seasonality",
        "at most 12 items",
    ),
    "seasonality-zero-factor": Case(
        mutated(setp(f"{ARR}.seasonality", seasonality(12, zero_at=4))),
        f"{ARR}.seasonality[4]",
        "greater than 0",
    ),
    "warmup-equals-horizon": Case(
        mutated(setp("scenario.warmup_days", 30)),
        "scenario.warmup_days",
        "must be shorter than horizon_days (30)",
    ),
    "warmup-longer-than-horizon": Case(
        mutated(setp("scenario.warmup_days", 45)),
        "scenario.warmup_days",
        "must be shorter than horizon_days",
    ),
    "draft-never-enters": Case(
        mutated(setp(f"{SHIP}.draft_m", 13.5), nautical=True),
        f"{SHIP}.draft_m",
        "exceeds the channel depth at high water (14 m)",
    ),
    "tide-window-longer-than-period": Case(
        mutated(setp("nautical.tide.window_h", 13), nautical=True),
        "nautical.tide",
        "window_h must not exceed period_h",
    ),
    "outage-unknown-group": Case(
        mutated(
            setp(
                "disruptions",
                {"outages": {"crane": {"terminal": "container", "group": "g9", "planned": []}}},
            )
        ),
        "disruptions.outages.crane.group",
        "unknown berth group 'g9' (known: g1)",
    ),
    "outage-unknown-terminal": Case(
        mutated(setp("disruptions", {"outages": {"crane": {"terminal": "ore", "group": "g1"}}})),
        "disruptions.outages.crane.terminal",
        "unknown terminal 'ore'",
    ),
    "outage-too-many-berths": Case(
        mutated(
            setp(
                "disruptions",
                {"outages": {"crane": {"terminal": "container", "group": "g1", "berths": 3}}},
            )
        ),
        "disruptions.outages.crane.berths",
        "group 'g1' has only 2",
    ),
    "outage-half-failure-model": Case(
        mutated(
            setp(
                "disruptions",
                {
                    "outages": {
                        "crane": {
                            "terminal": "container",
                            "group": "g1",
                            "time_between_failures_h": {"dist": "exponential", "mean": 500},
                        }
                    }
                },
            )
        ),
        "disruptions.outages.crane",
        "give both time_between_failures_h and time_to_repair_h",
    ),
    # --set overrides
    "set-unknown-path": Case(
        mutated(),
        "--set fleet.feeder.count=3",
        "unknown path fleet (keys present: arrivals,",
        args=("--set", "fleet.feeder.count=3"),
    ),
    "set-misspelt-path": Case(
        mutated(),
        "--set terminals.containr.berths.g1.count=3",
        "did you mean 'container'?",
        args=("--set", "terminals.containr.berths.g1.count=3"),
    ),
    "set-unknown-last-key": Case(
        mutated(),
        f"{GROUP}.cranes",
        "unknown key",
        args=("--set", f"{GROUP}.cranes=4"),
        extra=("equipment",),
    ),
    "set-without-equals": Case(
        mutated(),
        f"--set {GROUP}.count",
        "expected dotted.path=value",
        args=("--set", f"{GROUP}.count"),
    ),
    "set-bad-value-type": Case(
        mutated(), f"{GROUP}.count", "must be a valid integer", args=("--set", f"{GROUP}.count=six")
    ),
    "set-list-for-number": Case(
        mutated(),
        "scenario.horizon_days",
        "got list",
        args=("--set", "scenario.horizon_days=[30, 60]"),
    ),
    "set-unparsable-yaml": Case(
        mutated(),
        f"--set {SHIP}.call_size={{dist: [}}",
        "cannot parse",
        args=("--set", f"{SHIP}.call_size={{dist: [}}"),
    ),
    "set-bad-index": Case(
        mutated(),
        "--set arrivals.feeders[x].kind=renewal",
        "bad index '[x]'",
        args=("--set", "arrivals.feeders[x].kind=renewal"),
    ),
    "set-several-problems": Case(
        mutated(),
        "--set =5",
        "expected dotted.path=value",
        args=("--set", "=5", "--set", "nowhere.x=1", "--set", "a..b=1"),
        min_lines=3,
    ),
    # several problems in one file, all reported
    "many-problems-at-once": Case(
        mutated(
            setp("scenario.horizon_days", -1),
            setp(f"{SHIP}.dwt_t", "heavy"),
            setp(f"{ARR}.calls_per_year", 0),
            setp(f"{GROUP}.count", 0),
            setp(f"{GROUP}.max_draft", 14),
            setp("terminals.container.cargo", "coal"),
        ),
        f"{GROUP}.max_draft",
        "did you mean 'max_draft_m'?",
        min_lines=6,
        extra=(
            "scenario.horizon_days",
            f"{SHIP}.dwt_t",
            f"{ARR}.calls_per_year",
            f"{GROUP}.count",
            "terminals.container.cargo",
        ),
    ),
    "cross-field-problems-at-once": Case(
        mutated(
            setp(f"{SHIP}.terminal", "bulk"),
            setp(f"{ARR}.ship_class", "capesize"),
            setp("disruptions", {"outages": {"crane": {"terminal": "container", "group": "g9"}}}),
        ),
        f"{SHIP}.terminal",
        "unknown terminal 'bulk'",
        min_lines=3,
        extra=(f"{ARR}.ship_class", "disruptions.outages.crane.group"),
    ),
    # the show command reports the same way
    "show-bad-file": Case(
        mutated(setp(f"{GROUP}.count", "many")),
        f"{GROUP}.count",
        "must be a valid integer",
        command="show",
    ),
}


@pytest.mark.parametrize(("base_nautical_flag"), [False, True], ids=["base", "base+nautical"])
def test_base_scenario_is_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base_nautical_flag: bool
) -> None:
    path = mutated(nautical=base_nautical_flag)(tmp_path)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{path}: OK (base)"
    assert err == ""


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 35


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_malformed_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    path = case.build(tmp_path)
    code = main([case.command, str(path), *case.args])
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    assert code == 2, text
    lines = text.splitlines()
    assert len(lines) >= case.min_lines, text
    for line in lines:
        assert line.startswith(f"{path}: "), f"line does not start with the file:\n{line}"
    if case.where is None:
        expected_start = f"{path}: {case.says}"
        assert any(line.startswith(expected_start) for line in lines), text
    else:
        expected_start = f"{path}: {case.where}"
        assert any(line.startswith(expected_start) and case.says in line for line in lines), (
            f"no line starts with {expected_start!r} and says {case.says!r}:\n{text}"
        )
    for fragment in case.extra:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"


ARGUMENT_CASES = {
    "unknown-option": (["validate", "{file}", "--bogus"], "unrecognized arguments: --bogus"),
    "unknown-command": (["simulate", "{file}"], "invalid choice: 'simulate'"),
    "validate-without-file": (["validate"], "the following arguments are required: FILE"),
    "show-without-file": (["show"], "the following arguments are required: FILE"),
    "show-two-files": (["show", "{file}", "{file}"], "unrecognized arguments"),
    "set-without-value": (["validate", "{file}", "--set"], "expected one argument"),
    "run-bad-seed": (["run", "{file}", "--seed", "one"], "invalid int value: 'one'"),
}


@pytest.mark.parametrize(("argv", "says"), list(ARGUMENT_CASES.values()), ids=list(ARGUMENT_CASES))
def test_argument_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    path = mutated()(tmp_path)
    code = main([a.replace("{file}", str(path)) for a in argv])
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lygsim"), err
    assert says in lines[0]
    assert "--help" in lines[0]


def test_each_file_reported_on_its_own_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = mutated()(tmp_path / "good")
    bad = mutated(setp(f"{GROUP}.count", 0), setp(f"{ARR}.calls_per_year", -1))(tmp_path / "bad")
    code = main(["validate", str(good), str(bad)])
    out, err = capsys.readouterr()
    assert code == 2
    lines = (out + err).splitlines()
    assert lines[0] == f"{good}: OK (base)"
    assert len(lines) == 3
    assert all(line.startswith(f"{bad}: ") for line in lines[1:])


# ============================================================================================
# Hostile scenario input (issue 10): devices, links, pipes, depth, aliases, duplicate keys,
# extreme numbers, booleans as numbers, efficiency above one, duplicated days and names,
# errors in an extends parent, --set paths through keys named like tags. Each case ends with
# exit code 2 and one line per problem naming the file and the field, within seconds.
# ============================================================================================

TIME_LIMIT_S = 10.0


def nested_flow(levels: int) -> Builder:
    return raw("scenario: " + "[" * levels + "1" + "]" * levels + "\n")


def nested_mapping(levels: int) -> Builder:
    return raw("scenario: " + "{a: " * levels + "1" + "}" * levels + "\n")


def nested_block(levels: int) -> Builder:
    text = "".join("  " * i + "a:\n" for i in range(levels)) + "  " * levels + "b: 1\n"
    return raw(text)


def alias_bomb(levels: int = 9, fan: int = 9, mapping: bool = False) -> Builder:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        refs = [f"*a{i - 1}"] * fan
        if mapping:
            body = "{" + ", ".join(f"k{j}: {r}" for j, r in enumerate(refs)) + "}"
        else:
            body = "[" + ", ".join(refs) + "]"
        lines.append(f"a{i}: &a{i} {body}")
    return base_then("\n".join(lines) + "\n")


def sources_bomb(tmp: Path) -> Path:
    data = copy.deepcopy(BASE_SCENARIO)
    path = dump(tmp / "scenario.yaml", data)
    text = path.read_text(encoding="utf-8").replace(
        "scenario:\n", "scenario:\n  sources: &s9 [" + ", ".join(["*s8"] * 9) + "]\n", 1
    )
    anchors = "".join(f"x{i}: &s{i} [" + ", ".join([f"*s{i - 1}"] * 9) + "]\n" for i in range(1, 9))
    path.write_text(f"x0: &s0 ref\n{anchors}" + text, encoding="utf-8")
    return path


def link_loop(tmp: Path) -> Path:
    (tmp / "a.yaml").symlink_to(tmp / "b.yaml")
    (tmp / "b.yaml").symlink_to(tmp / "a.yaml")
    return tmp / "a.yaml"


def self_link(tmp: Path) -> Path:
    (tmp / "self.yaml").symlink_to(tmp / "self.yaml")
    return tmp / "self.yaml"


def broken_link(tmp: Path) -> Path:
    (tmp / "gone.yaml").symlink_to(tmp / "nowhere.yaml")
    return tmp / "gone.yaml"


def link_to_directory(tmp: Path) -> Path:
    (tmp / "folder").mkdir()
    (tmp / "scenario.yaml").symlink_to(tmp / "folder")
    return tmp / "scenario.yaml"


def under_a_file(tmp: Path) -> Path:
    dump(tmp / "scenario.yaml", BASE_SCENARIO)
    return tmp / "scenario.yaml" / "inner.yaml"


def fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe.yaml")
    return tmp / "pipe.yaml"


def socket_file(tmp: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = tmp / "s.yaml"
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return path


def dev_zero(tmp: Path) -> Path:
    return Path("/dev/zero")


def sparse_file(tmp: Path) -> Path:
    path = tmp / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(10 * 1024**3)  # 10 GB of holes: costs no disk
    return path


def just_too_large(tmp: Path) -> Path:
    path = tmp / "large.yaml"
    path.write_bytes(b"# " + b"x" * 5_000_000 + b"\n")
    return path


def child_of(parent: Builder, child: Data | None = None) -> Builder:
    """A child scenario extending what ``parent`` writes (as parent.yaml)."""

    def build(tmp: Path) -> Path:
        made = parent(tmp / "p")
        target = tmp / "parent.yaml"
        target.symlink_to(made) if made.is_symlink() or not made.exists() else os.replace(
            made, target
        )
        return dump(tmp / "child.yaml", {"extends": "parent.yaml", **(child or {})})

    return build


def extends_to(make_target: Callable[[Path], Path]) -> Builder:
    """A child whose extends names a target that is no readable scenario."""

    def build(tmp: Path) -> Path:
        name = make_target(tmp).name
        return dump(tmp / "child.yaml", {"extends": name, "scenario": {"name": "child"}})

    return build


def extends_chain(tmp: Path) -> Path:
    grand = copy.deepcopy(BASE_SCENARIO)
    grand["terminals"]["container"]["berths"]["g1"]["count"] = 0
    dump(tmp / "grand.yaml", grand)
    dump(tmp / "parent.yaml", {"extends": "grand.yaml", "scenario": {"name": "parent"}})
    return dump(tmp / "child.yaml", {"extends": "parent.yaml", "scenario": {"name": "child"}})


def tag_named_stream(tmp: Path) -> Path:
    data = copy.deepcopy(BASE_SCENARIO)
    data["arrivals"] = {
        "poisson": {
            "kind": "renewal",
            "ship_class": "feeder",
            "interarrival_h": {"dist": "exponential", "mean": 20},
        }
    }
    return dump(tmp / "scenario.yaml", data)


def tag_named_group(tmp: Path) -> Path:
    data = copy.deepcopy(BASE_SCENARIO)
    berths = data["terminals"]["container"]["berths"]
    berths["lognormal"] = berths.pop("g1")
    return dump(tmp / "scenario.yaml", data)


def scheduled_named_poisson(tmp: Path) -> Path:
    data = copy.deepcopy(BASE_SCENARIO)
    data["arrivals"] = {"scheduled": data["arrivals"]["feeders"]}
    return dump(tmp / "scenario.yaml", data)


def study_file(**fields: Any) -> Builder:
    def build(tmp: Path) -> Path:
        dump(tmp / "base.yaml", BASE_SCENARIO)
        option = copy.deepcopy(BASE_SCENARIO)
        option["scenario"]["name"] = "option"
        dump(tmp / "option.yaml", option)
        study = {"name": "s", "base": "base.yaml", "options": ["option.yaml"], **fields}
        return dump(tmp / "study.yaml", study)

    return build


def study_with_bad_option(tmp: Path) -> Path:
    path = study_file()(tmp)
    option = copy.deepcopy(BASE_SCENARIO)
    option["terminals"]["container"]["berths"]["g1"]["count"] = True
    dump(tmp / "option.yaml", option)
    return path


def with_corridor_days(days: list[int]) -> Callable[[Data], None]:
    def apply(d: Data) -> None:
        d["corridors"] = {
            "corridor": {
                "latency_h": {"dist": "constant", "value": 0.1},
                "auto_clearance_h": {"dist": "constant", "value": 1},
                "manual_clearance_h": {"dist": "constant", "value": 4},
                "office_hours": {"days": days},
            }
        }

    return apply


def with_calibration_free(names: list[str]) -> Callable[[Data], None]:
    return setp("calibration", {"free": names})


def scheduled(days: list[int]) -> Callable[[Data], None]:
    return setp(ARR, {"kind": "scheduled", "ship_class": "feeder", "days_of_week": days})


def renewal(interarrival: Any, **more: Any) -> Callable[[Data], None]:
    return setp(
        ARR, {"kind": "renewal", "ship_class": "feeder", "interarrival_h": interarrival, **more}
    )


def outage(**fields: Any) -> Callable[[Data], None]:
    return setp(
        "disruptions",
        {"outages": {"crane": {"terminal": "container", "group": "g1", **fields}}},
    )


def const(value: Any) -> dict[str, Any]:
    return {"dist": "constant", "value": value}


TIDE = "nautical.tide"

# Cases run in a subprocess with a timeout: a regression would block (a FIFO) or read forever.
DEVICE_CASES: dict[str, Case] = {
    "fifo": Case(fifo, None, "is a named pipe (FIFO)"),
    "dev-zero": Case(dev_zero, None, "is a character device"),
    "dev-zero-as-extends-target": Case(
        lambda tmp: dump(tmp / "child.yaml", {"extends": "/dev/zero"}),
        "extends",
        "'/dev/zero': is a character device",
    ),
    "fifo-as-extends-target": Case(extends_to(fifo), "extends", "'pipe.yaml': is a named pipe"),
    "sparse-10-gb-file": Case(sparse_file, None, "file is larger than 5,000,000 bytes"),
    "symlink-loop": Case(link_loop, None, "symbolic link loop"),
    "symlink-to-itself": Case(self_link, None, "symbolic link loop"),
    "socket": Case(socket_file, None, "is a socket"),
}

HOSTILE: dict[str, Case] = {
    # files
    "file-just-over-the-limit": Case(just_too_large, None, "file is larger than 5,000,000"),
    "broken-symlink": Case(broken_link, None, "broken symbolic link"),
    "symlink-to-a-directory": Case(link_to_directory, None, "is a directory"),
    "path-under-a-regular-file": Case(under_a_file, None, "file not found (a folder in its"),
    "extends-symlink-loop": Case(extends_to(link_loop), "extends", "'a.yaml': symbolic link loop"),
    "extends-broken-symlink": Case(extends_to(broken_link), "extends", "broken symbolic link"),
    "extends-a-directory": Case(
        lambda tmp: (tmp / "dir.yaml").mkdir() or dump(tmp / "child.yaml", {"extends": "dir.yaml"}),
        "extends",
        "'dir.yaml': is a directory",
    ),
    # depth
    "nested-flow-lists-5000": Case(nested_flow(5000), "line 1", "nested deeper than 64 levels"),
    "nested-flow-mappings-5000": Case(
        nested_mapping(5000), "line 1", "nested deeper than 64 levels"
    ),
    "nested-block-mappings-200": Case(nested_block(200), "line 65", "nested deeper than 64"),
    "nested-65-levels": Case(nested_flow(64), "line 1", "the limit"),
    # aliases
    "billion-laughs-lists": Case(alias_bomb(), "line", "expand this to more than 1,000,000"),
    "billion-laughs-mappings": Case(
        alias_bomb(mapping=True), "line", "expand this to more than 1,000,000"
    ),
    "alias-bomb-in-sources": Case(sources_bomb, "line", "expand this to more than 1,000,000"),
    "recursive-alias-in-list": Case(
        base_then("extra: &x [1, *x]\n"), "extra[1]", "refers to itself"
    ),
    "undefined-alias": Case(base_then("extra: *nowhere\n"), "line", "undefined alias"),
    # duplicate keys
    "duplicate-top-level-section": Case(
        base_then("scenario: {name: again}\n"), "scenario", "duplicate key"
    ),
    "duplicate-nested-key": Case(
        raw("scenario: {name: b, start_date: 2023-01-01, horizon_days: 30,\n  horizon_days: 60}\n"),
        "scenario.horizon_days",
        "duplicate key (line 2; first at line 1)",
    ),
    "duplicate-key-quoted-and-plain": Case(
        raw("scenario:\n  name: a\n  'name': b\n"), "scenario.name", "duplicate key (line 3"
    ),
    "duplicate-ship-class": Case(
        raw(
            "ship_classes:\n  feeder: {terminal: t}\n  other: {terminal: t}\n"
            "  feeder: {terminal: u}\n"
        ),
        "ship_classes.feeder",
        "duplicate key (line 4; first at line 2)",
    ),
    "duplicate-distribution-parameter": Case(
        raw("x:\n  call_size: {dist: gamma, mean: 800, mean: 900, cv: 0.5}\n"),
        "x.call_size.mean",
        "duplicate key",
    ),
    "duplicate-key-in-list-item": Case(
        raw("closures:\n  - {start_day: 1, duration_h: 2}\n  - {start_day: 1, start_day: 3}\n"),
        "closures[1].start_day",
        "duplicate key (line 3",
    ),
    # booleans where numbers are expected
    "count-true": Case(mutated(setp(f"{GROUP}.count", True)), f"{GROUP}.count", "not true/false"),
    "equipment-false": Case(
        mutated(setp(f"{GROUP}.equipment", False)), f"{GROUP}.equipment", "not true/false"
    ),
    "dwt-true": Case(mutated(setp(f"{SHIP}.dwt_t", True)), f"{SHIP}.dwt_t", "not true/false"),
    "calls-per-year-true": Case(
        mutated(setp(f"{ARR}.calls_per_year", True)), f"{ARR}.calls_per_year", "not true/false"
    ),
    "horizon-true": Case(
        mutated(setp("scenario.horizon_days", True)), "scenario.horizon_days", "not true/false"
    ),
    "seasonality-booleans": Case(
        mutated(setp(f"{ARR}.seasonality", [True] * 12)),
        f"{ARR}.seasonality[0]",
        "not true/false",
        min_lines=12,
    ),
    "constant-value-true": Case(
        mutated(setp(f"{GROUP}.rate", const(True))), f"{GROUP}.rate.value", "not true/false"
    ),
    "erlang-k-true": Case(
        mutated(setp(f"{GROUP}.rate", {"dist": "erlang", "k": True, "mean": 25})),
        f"{GROUP}.rate.k",
        "not true/false",
    ),
    "every-weeks-true": Case(
        mutated(
            setp(
                ARR,
                {
                    "kind": "scheduled",
                    "ship_class": "feeder",
                    "days_of_week": [1],
                    "every_weeks": True,
                },
            )
        ),
        f"{ARR}.every_weeks",
        "not true/false",
    ),
    "days-of-week-true": Case(
        mutated(scheduled([True])), f"{ARR}.days_of_week[0]", "not true/false"
    ),
    # efficiency that can exceed one
    "efficiency-normal": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "normal", "mean": 0.8, "sd": 0.1})),
        f"{GROUP}.efficiency",
        "can take negative values",
    ),
    "efficiency-gamma": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "gamma", "mean": 0.8, "cv": 0.1})),
        f"{GROUP}.efficiency",
        "efficiency must lie in (0, 1] (this one ranges from 0 to unbounded)",
    ),
    "efficiency-lognormal": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "lognormal", "mean": 0.8, "cv": 0.1})),
        f"{GROUP}.efficiency",
        "use a constant, uniform, triangular or empirical",
    ),
    "efficiency-uniform-above-one": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "uniform", "low": 0.5, "high": 1.2})),
        f"{GROUP}.efficiency",
        "ranges from 0.5 to 1.2",
    ),
    "efficiency-triangular-above-one": Case(
        mutated(
            setp(
                f"{GROUP}.efficiency",
                {"dist": "triangular", "low": 0.8, "mode": 0.9, "high": 1.05},
            )
        ),
        f"{GROUP}.efficiency",
        "ranges from 0.8 to 1.05",
    ),
    "efficiency-empirical-above-one": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "empirical", "values": [0.9, 1.1]})),
        f"{GROUP}.efficiency",
        "(0, 1]",
    ),
    "efficiency-can-be-zero": Case(
        mutated(setp(f"{GROUP}.efficiency", {"dist": "uniform", "low": 0, "high": 1})),
        f"{GROUP}.efficiency",
        "ranges from 0 to 1",
    ),
    # duplicated days and names
    "days-of-week-twice": Case(
        mutated(scheduled([1, 1])), f"{ARR}.days_of_week", "1 is listed twice"
    ),
    "days-of-week-eight-days": Case(
        mutated(scheduled([0, 1, 2, 3, 4, 5, 6, 0])), f"{ARR}.days_of_week", "at most 7 items"
    ),
    "office-days-twice": Case(
        mutated(with_corridor_days([0, 0, 1])),
        "corridors.corridor.office_hours.days",
        "listed twice",
    ),
    "calibration-free-twice": Case(
        mutated(with_calibration_free(["feeders", "feeders"])),
        "calibration.free",
        "'feeders' is listed twice",
    ),
    "tide-bound-classes-removed": Case(
        mutated(setp("nautical.tide_bound_classes", ["feeder", "feeder"]), nautical=True),
        "nautical.tide_bound_classes",
        "removed: a class is tide-bound when its draft + ukc_m exceeds channel_depth_m",
        extra=("ship_classes.NAME.tide_bound: true",),
    ),
    "allocation-removed": Case(
        mutated(setp("terminals.container.allocation", "scheduled_first")),
        "terminals.container.allocation",
        "removed: write dispatch: {rule: scheduled_first} instead",
    ),
    "set-allocation-removed": Case(
        mutated(),
        "terminals.container.allocation",
        "removed: write dispatch: {rule: fcfs} instead",
        args=("--set", "terminals.container.allocation=fcfs"),
    ),
    "dispatch-unknown-rule": Case(
        mutated(setp("terminals.container.dispatch", {"rule": "random"})),
        "terminals.container.dispatch",
        "unknown rule 'random' (allowed: 'fcfs', 'scheduled_first', 'class_priority'",
    ),
    "dispatch-without-rule": Case(
        mutated(setp("terminals.container.dispatch", {"order": ["feeder"]})),
        "terminals.container.dispatch",
        "missing the tag field ('rule')",
    ),
    "class-priority-unknown-class": Case(
        mutated(
            setp("terminals.container.dispatch", {"rule": "class_priority", "order": ["vlcc"]})
        ),
        "terminals.container.dispatch.order[0]",
        "'vlcc' is not a ship class of terminal 'container' (its classes: feeder)",
    ),
    "class-priority-class-twice": Case(
        mutated(
            setp(
                "terminals.container.dispatch",
                {"rule": "class_priority", "order": ["feeder", "feeder"]},
            )
        ),
        "terminals.container.dispatch.order",
        "'feeder' is listed twice",
    ),
    "sjf-without-max-wait": Case(
        mutated(setp("terminals.container.dispatch", {"rule": "shortest_job_first"})),
        "terminals.container.dispatch.max_wait_h",
        "required field is missing",
    ),
    "fcfs-with-a-parameter": Case(
        mutated(setp("terminals.container.dispatch", {"rule": "fcfs", "max_wait_h": 24})),
        "terminals.container.dispatch.max_wait_h",
        "unknown key",
    ),
    # call sizes against the ship's capacity
    "container-call-above-twice-capacity": Case(
        mutated(
            setp(f"{SHIP}.capacity_teu", 300),
            setp(f"{SHIP}.call_size", {"dist": "gamma", "mean": 800, "cv": 0.3}),
        ),
        f"{SHIP}.call_size",
        "exceeds twice capacity_teu (a full discharge and a full load) (600 TEU)",
    ),
    # errors in an extends parent name the parent
    "parent-field-error-names-parent": Case(
        child_of(mutated(setp(f"{GROUP}.count", 0)), {"scenario": {"name": "child"}}),
        f"{GROUP}.count",
        "greater than or equal to 1",
        extra=("parent.yaml: terminals.container.berths.g1.count:",),
    ),
    "grandparent-field-error-names-grandparent": Case(
        extends_chain,
        f"{GROUP}.count",
        "greater than or equal to 1",
        extra=("grand.yaml: terminals.container.berths.g1.count:",),
    ),
    "parent-duplicate-key-names-parent": Case(
        child_of(base_then("scenario: {name: twice}\n")),
        "scenario",
        "duplicate key",
        extra=("parent.yaml: scenario: duplicate key",),
    ),
    "parent-non-finite-names-parent": Case(
        child_of(mutated(setp(f"{SHIP}.loa_m", float("nan"))), {"scenario": {"name": "c"}}),
        f"{SHIP}.loa_m",
        "finite number",
        extra=("parent.yaml: ship_classes.feeder.loa_m:",),
    ),
    "parent-removed-key-names-parent": Case(
        child_of(
            mutated(setp("nautical.tide_bound_classes", ["feeder"]), nautical=True),
            {"scenario": {"name": "c"}},
        ),
        "nautical.tide_bound_classes",
        "removed",
        extra=("parent.yaml: nautical.tide_bound_classes:",),
    ),
    # --set paths through keys spelt like union tags
    "set-through-stream-named-poisson": Case(
        tag_named_stream,
        "arrivals.poisson.first_h",
        "greater than or equal to 0",
        args=("--set", "arrivals.poisson.first_h=-1"),
    ),
    "set-through-group-named-lognormal": Case(
        tag_named_group,
        "terminals.container.berths.lognormal.count",
        "greater than or equal to 1",
        args=("--set", "terminals.container.berths.lognormal.count=0"),
    ),
    "set-dist-inside-group-named-lognormal": Case(
        tag_named_group,
        "terminals.container.berths.lognormal.rate.cv",
        "greater than 0",
        args=("--set", "terminals.container.berths.lognormal.rate={dist: gamma, mean: 5, cv: 0}"),
    ),
    "stream-named-scheduled-of-kind-poisson": Case(
        scheduled_named_poisson,
        "arrivals.scheduled.calls_per_year",
        "greater than 0",
        args=("--set", "arrivals.scheduled.calls_per_year=0"),
    ),
    "set-removed-key": Case(
        mutated(nautical=True),
        "nautical.tide_bound_classes",
        "removed",
        args=("--set", "nautical.tide_bound_classes=[feeder]"),
    ),
    # files of no known kind and broken study files
    "unknown-kind": Case(raw("colour: blue\nsize: 3\n"), None, "not a lygsim file of a known"),
    "study-bad-reps": Case(study_file(reps=True), "reps", "not true/false"),
    "study-reps-too-many": Case(study_file(reps=10**6), "reps", "less than or equal to 1000"),
    "study-days-huge": Case(study_file(days=1e308), "days", "less than or equal to 36600"),
    "study-option-twice": Case(
        study_file(options=["option.yaml", "option.yaml"]), "options", "listed twice"
    ),
    "study-missing-option": Case(
        study_file(options=["nowhere.yaml"]), "options[0]", "'nowhere.yaml': file not found"
    ),
    "study-with-a-broken-option": Case(study_with_bad_option, f"{GROUP}.count", "not true/false"),
    "study-unknown-key": Case(study_file(replications=3), "replications", "unknown key"),
}


# Values that are valid numbers but nonsense: each must be refused by the schema, with the
# bound in the message. (path, value, fragment of the message, nautical section needed)
EXTREME: dict[str, tuple[str, Any, str, bool]] = {
    "horizon-1e308": ("scenario.horizon_days", 1e308, "less than or equal to 36600", False),
    "warmup-1e308": ("scenario.warmup_days", 1e308, "less than or equal to 36600", False),
    "start-date-9999": ("scenario.start_date", "9999-12-01", "between 1900-01-01 and 2200", False),
    "start-date-1066": ("scenario.start_date", "1066-10-14", "between 1900-01-01 and 2200", False),
    "tons-per-teu-1e308": (
        "conversion",
        {"tons_per_teu": 1e308},
        "less than or equal to 40",
        False,
    ),
    "tons-per-vehicle-1e9": (
        "conversion",
        {"tons_per_vehicle": 1e9},
        "less than or equal to 100",
        False,
    ),
    "dwt-1e7": (f"{SHIP}.dwt_t", 1e7, "less than or equal to 1000000 ", False),
    "loa-1000": (f"{SHIP}.loa_m", 1000, "less than or equal to 500", False),
    "draft-50": (f"{SHIP}.draft_m", 50, "less than or equal to 30", False),
    "capacity-teu-1e6": (f"{SHIP}.capacity_teu", 1e6, "less than or equal to 30000", False),
    "capacity-ceu-1e6": (f"{SHIP}.capacity_ceu", 1e6, "less than or equal to 15000", False),
    "call-size-mean-1e308": (
        f"{SHIP}.call_size",
        {"dist": "lognormal", "mean": 1e308, "cv": 0.5},
        "less than or equal to 10000000 ",
        False,
    ),
    "call-size-above-dwt-bound": (
        f"{SHIP}.call_size",
        const(5e6),
        "above the upper bound of 1e+06 units",
        False,
    ),
    "calls-per-year-1e308": (f"{ARR}.calls_per_year", 1e308, "less than or equal to 100000", False),
    "growth-8": (f"{ARR}.growth_per_year", 8, "0.08 means +8%/yr", False),
    "growth-minus-2": (f"{ARR}.growth_per_year", -2, "greater than -1", False),
    "scale-1e308": (f"{ARR}.scale", 1e308, "less than or equal to 100", False),
    "seasonality-1e308": (
        f"{ARR}.seasonality",
        [1.0] * 11 + [1e308],
        "less than or equal to 100",
        False,
    ),
    "count-1e308": (f"{GROUP}.count", 1e308, "between 1 and 200", False),
    "count-10-to-30": (f"{GROUP}.count", 10**30, "less than or equal to 200", False),
    "equipment-1e9": (f"{GROUP}.equipment", 10**9, "less than or equal to 50", False),
    "max-dwt-1e308": (f"{GROUP}.max_dwt_t", 1e308, "less than or equal to 1000000 ", False),
    "max-loa-1e308": (f"{GROUP}.max_loa_m", 1e308, "less than or equal to 500", False),
    "max-draft-1e308": (f"{GROUP}.max_draft_m", 1e308, "less than or equal to 30", False),
    "rate-mean-1e308": (
        f"{GROUP}.rate",
        {"dist": "gamma", "mean": 1e308, "cv": 0.3},
        "less than or equal to 10000000 ",
        False,
    ),
    "rate-mean-1e6": (f"{GROUP}.rate", const(1e6), "above the upper bound of 20000", False),
    "rate-cv-1e308": (
        f"{GROUP}.rate",
        {"dist": "gamma", "mean": 25, "cv": 1e308},
        "less than or equal to 10",
        False,
    ),
    "erlang-k-1e9": (
        f"{GROUP}.rate",
        {"dist": "erlang", "k": 10**9, "mean": 25},
        "less than or equal to 1000",
        False,
    ),
    "empirical-value-1e308": (
        f"{GROUP}.rate",
        {"dist": "empirical", "values": [25, 1e308]},
        "less than or equal to 10000000 ",
        False,
    ),
    "berthing-a-century": (f"{GROUP}.berthing_h", const(876000), "upper bound of 720 h", False),
    "unberthing-1e6": (f"{GROUP}.unberthing_h", const(1e6), "upper bound of 720 h", False),
    "channel-depth-1e308": ("nautical.channel_depth_m", 1e308, "less than or equal to 50", True),
    "ukc-1000": ("nautical.ukc_m", 1000, "less than or equal to 10", True),
    "transit-1e4": ("nautical.transit_h", 1e4, "less than or equal to 72", True),
    "tide-period-1e308": (f"{TIDE}.period_h", 1e308, "less than or equal to 30", True),
    "high-water-1e308": (f"{TIDE}.high_water_m", 1e308, "less than or equal to 20", True),
    "window-1e308": (f"{TIDE}.window_h", 1e308, "less than or equal to 30", True),
    "first-high-water-1e308": (
        f"{TIDE}.first_high_water_h",
        1e308,
        "less than or equal to 30",
        True,
    ),
    "first-high-water-past-period": (
        f"{TIDE}.first_high_water_h",
        20,
        "must be below period_h (12.42 h)",
        True,
    ),
    "closure-episodes-1e308": (
        "nautical.weather",
        {"random": {"episodes_per_year": 1e308, "duration_h": const(5)}},
        "less than or equal to 1000",
        True,
    ),
    "closure-duration-1e6": (
        "nautical.weather",
        {"random": {"episodes_per_year": 5, "duration_h": const(1e6)}},
        "upper bound of 8784 h",
        True,
    ),
    "closure-window-start-1e308": (
        "nautical.weather",
        {"closures": [{"start_day": 1e308, "duration_h": 5}]},
        "less than or equal to 36600",
        True,
    ),
    "yard-capacity-1e12": (
        "terminals.container.yard",
        {"capacity": 1e12, "dwell_h": const(48)},
        "less than or equal to 100000000 ",
        False,
    ),
    "yard-dwell-1e6": (
        "terminals.container.yard",
        {"capacity": 1e4, "dwell_h": const(1e6)},
        "upper bound of 8784 h",
        False,
    ),
    "threshold-ratio-1e308": (
        "terminals.container.thresholds",
        {"max_wait_service_ratio": 1e308},
        "less than or equal to 10",
        False,
    ),
    "threshold-occupancy-2": (
        "terminals.container.thresholds",
        {"max_occupancy": 2},
        "less than or equal to 1",
        False,
    ),
    "outage-berths-1e9": ("disruptions", None, "less than or equal to 200", False),
    "target-reported-1e308": (
        "calibration",
        {
            "targets": {
                "t": {
                    "figure": "throughput_teu",
                    "period": {"start": "2023-01-01", "end": "2023-01-20"},
                    "reported": 1e308,
                }
            }
        },
        "less than or equal to 100000000000 ",
        False,
    ),
    "calibration-iterations-1e9": (
        "calibration",
        {"max_iterations": 10**9},
        "less than or equal to 100",
        False,
    ),
}


def _extreme_case(path: str, value: Any, says: str, nautical: bool) -> Case:
    if path == "disruptions":
        return Case(mutated(outage(berths=10**9)), "disruptions.outages.crane.berths", says)
    return Case(mutated(setp(path, value), nautical=nautical), path, says)


EXTREME_CASES = {k: _extreme_case(*v) for k, v in EXTREME.items()}
RENEWAL_CASES = {
    "interarrival-1e-300": Case(
        mutated(renewal({"dist": "exponential", "mean": 1e-300})),
        f"{ARR}.interarrival_h",
        "below the lower bound of 0.01 h",
    ),
    "interarrival-1e308": Case(
        mutated(renewal({"dist": "exponential", "mean": 1e308})),
        f"{ARR}.interarrival_h.mean",
        "less than or equal to 10000000 ",
    ),
    "first-arrival-1e308": Case(
        mutated(renewal(const(10), first_h=1e308)),
        f"{ARR}.first_h",
        "less than or equal to 878400",
    ),
    "lateness-1e5": Case(
        mutated(
            setp(
                ARR,
                {
                    "kind": "scheduled",
                    "ship_class": "feeder",
                    "days_of_week": [1],
                    "lateness_h": const(1e5),
                },
            )
        ),
        f"{ARR}.lateness_h",
        "above the upper bound of 720 h",
    ),
    "hour-25": Case(
        mutated(
            setp(
                ARR, {"kind": "scheduled", "ship_class": "feeder", "days_of_week": [1], "hour": 25}
            )
        ),
        f"{ARR}.hour",
        "less than 24",
    ),
    "every-weeks-1000": Case(
        mutated(
            setp(
                ARR,
                {
                    "kind": "scheduled",
                    "ship_class": "feeder",
                    "days_of_week": [1],
                    "every_weeks": 1000,
                },
            )
        ),
        f"{ARR}.every_weeks",
        "less than or equal to 52",
    ),
    "repair-time-a-decade": Case(
        mutated(
            outage(
                time_between_failures_h={"dist": "exponential", "mean": 500},
                time_to_repair_h=const(87600),
            )
        ),
        "disruptions.outages.crane.time_to_repair_h",
        "upper bound of 8784 h",
    ),
}

ALL_HOSTILE = {**HOSTILE, **EXTREME_CASES, **RENEWAL_CASES}


def _check_output(path: Path, case: Case, code: int, out: str, err: str, elapsed: float) -> None:
    text = out + err
    assert "Traceback" not in text
    assert code == 2, text
    assert elapsed < TIME_LIMIT_S, f"took {elapsed:.1f} s"
    lines = text.splitlines()
    assert len(lines) >= case.min_lines, text
    if case.min_lines == 1:
        assert len(lines) == 1, f"expected one line:\n{text}"
    sources = {p for p in [path, *path.parent.glob("*.yaml")]}
    for line in lines:
        assert any(line.startswith(f"{s}: ") for s in sources), f"no file named:\n{line}"
    if case.where is None:
        assert any(case.says in line for line in lines), text
    else:
        assert any(f": {case.where}" in line and case.says in line for line in lines), (
            f"no line names {case.where!r} and says {case.says!r}:\n{text}"
        )
    for fragment in case.extra:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"


@pytest.mark.parametrize("case", list(ALL_HOSTILE.values()), ids=list(ALL_HOSTILE))
def test_hostile_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    path = case.build(tmp_path)
    start = time.monotonic()
    code = main([case.command, str(path), *case.args])
    elapsed = time.monotonic() - start
    out, err = capsys.readouterr()
    _check_output(path, case, code, out, err, elapsed)


@pytest.mark.parametrize("case", list(DEVICE_CASES.values()), ids=list(DEVICE_CASES))
def test_devices_links_and_huge_files(tmp_path: Path, case: Case) -> None:
    """In a subprocess with a timeout: a regression would block on a pipe or read forever."""
    path = case.build(tmp_path)
    start = time.monotonic()
    proc = run_lygsim(case.command, str(path), *case.args, timeout=30, cwd=tmp_path)
    elapsed = time.monotonic() - start
    _check_output(path, case, proc.returncode, proc.stdout, proc.stderr, elapsed)


def test_errors_in_a_parent_name_the_parent_and_the_childs_own_name_the_child(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = copy.deepcopy(BASE_SCENARIO)
    parent["terminals"]["container"]["berths"]["g1"]["count"] = 0
    dump(tmp_path / "parent.yaml", parent)
    child = dump(
        tmp_path / "child.yaml",
        {"extends": "parent.yaml", "ship_classes": {"feeder": {"dwt_t": -5}}},
    )
    assert main(["validate", str(child)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(
        [
            f"{tmp_path / 'parent.yaml'}: {GROUP}.count: must be greater than or equal to 1 "
            "(got 0)",
            f"{child}: {SHIP}.dwt_t: must be greater than 0 (got -5)",
        ]
    )
    # the child fixing the parent's mistake leaves nothing to report
    dump(
        tmp_path / "fixed.yaml",
        {"extends": "parent.yaml", "terminals": {"container": {"berths": {"g1": {"count": 3}}}}},
    )
    assert main(["validate", str(tmp_path / "fixed.yaml")]) == 0


def test_anchors_aliases_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = dump(tmp_path / "scenario.yaml", BASE_SCENARIO)
    text = path.read_text(encoding="utf-8").replace(
        "      g1:\n",
        "      g0: &group\n        count: 1\n        max_dwt_t: 50000\n        max_loa_m: 300\n"
        "        max_draft_m: 14\n        equipment: 2\n"
        "        rate: &rate {dist: gamma, mean: 25, cv: 0.3}\n"
        "      g2:\n        <<: *group\n        count: 3\n        rate: *rate\n      g1:\n",
    )
    path.write_text(text, encoding="utf-8")
    berths = load_scenario(path).terminals["container"].berths
    assert berths["g2"].count == 3  # the merge key's own keys win, as in YAML
    assert berths["g2"].max_dwt_t == 50000 and berths["g2"].equipment == 2
    assert berths["g2"].rate == berths["g0"].rate


def test_a_deep_but_legal_document_is_not_refused_for_depth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = nested_flow(60)(tmp_path)
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    assert "nested deeper" not in out
    assert "scenario" in out


def test_there_are_at_least_150_cases() -> None:
    total = (
        len(CASES)
        + len(ALL_HOSTILE)
        + len(DEVICE_CASES)
        + len(ARGUMENT_CASES)
        + 2  # the base scenario, with and without a channel
    )
    assert total >= 150, total


# === Output folders that cannot be written (--out) ===========================================
# Every command checks its output folder before any replication runs: exit 2, one line
# naming the argument and what is wrong, nothing left behind. These cases fail for root too
# (root ignores permission bits, so the read-only cases that rely on chmod skip as root).

OUT_ROOT = Path(__file__).resolve().parents[1] / "scenarios"
OUT_MM1 = OUT_ROOT / "validation" / "mm1_rho05.yaml"
OUT_BASELINE = OUT_ROOT / "lianyungang_2023.yaml"


def _a_file(tmp: Path) -> Path:
    path = tmp / "afile"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


def _dangling(tmp: Path) -> Path:
    link = tmp / "dangling"
    link.symlink_to(tmp / "nowhere" / "at-all")
    return link


def _loop(tmp: Path) -> Path:
    (tmp / "loop-a").symlink_to(tmp / "loop-b")
    (tmp / "loop-b").symlink_to(tmp / "loop-a")
    return tmp / "loop-a"


# id: (how to build the --out path in tmp, what the message says)
OUT_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "under-a-file": (lambda t: _a_file(t) / "x", "afile is a file, not a folder"),
    "deep-under-a-file": (lambda t: _a_file(t) / "x" / "y" / "z", "is a file, not a folder"),
    "is-a-file": (_a_file, "exists and is not a folder"),
    "name-too-long": (lambda t: t / ("a" * 300), "longer than the file system allows"),
    "inner-name-too-long": (
        lambda t: t / ("b" * 256) / "x",
        "longer than the file system allows",
    ),
    "under-dev-null": (lambda t: Path("/dev/null/x"), "/dev/null is a file, not a folder"),
    "in-proc": (lambda t: Path("/proc/lygsim-no-such-folder/x"), "cannot create the folder"),
    "in-sys": (lambda t: Path("/sys/lygsim-no-such-folder"), "cannot create the folder"),
    "dangling-link": (_dangling, "is a link to nothing"),
    "under-a-dangling-link": (lambda t: _dangling(t) / "x", "is a link to nothing"),
    "link-loop": (lambda t: _loop(t) / "x", "cannot create the folder"),
}


def _tree(tmp: Path) -> set[str]:
    return {str(p.relative_to(tmp)) for p in tmp.rglob("*")}


def _command(command: str, tmp: Path) -> list[str]:
    """A valid command line of each kind, cheap enough to fail fast."""
    if command == "compare":
        option = tmp / "option.yaml"
        option.write_text(f"extends: {OUT_MM1}\nscenario: {{name: other}}\n", encoding="utf-8")
        return ["compare", str(OUT_MM1), str(option), "--reps", "2"]
    if command == "calibrate":
        return ["calibrate", str(OUT_BASELINE), "--check", "--reps", "2"]
    if command in ("capacity", "horizon"):
        return [command, str(OUT_MM1), "--reps", "2", "--demand", "0.5:1:0.5"]
    return ["run", str(OUT_MM1), "--days", "300"]


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], says: str) -> str:
    started = time.perf_counter()
    code = main([*argv, "--workers", "1"])
    out, err = capsys.readouterr()
    assert time.perf_counter() - started < 20
    assert "Traceback" not in out + err
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert says in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("case", list(OUT_CASES), ids=list(OUT_CASES))
def test_unwritable_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    build, says = OUT_CASES[case]
    out = build(tmp_path)
    before = _tree(tmp_path)
    line = _refused([*_command("run", tmp_path), "--out", str(out)], capsys, says)
    assert line.startswith(f"lygsim run: --out {out}: ")
    assert _tree(tmp_path) == before  # nothing created, nothing half-written


@pytest.mark.parametrize("command", ["run", "compare", "calibrate", "capacity", "horizon"])
def test_every_command_checks_its_output_folder_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = _command(command, tmp_path)
    out = _a_file(tmp_path) / "results"
    before = _tree(tmp_path)
    line = _refused([*argv, "--out", str(out)], capsys, "afile is a file, not a folder")
    assert line.startswith(f"lygsim {command}: --out {out}: cannot create the folder")
    assert _tree(tmp_path) == before


def test_study_checks_its_output_folder_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = OUT_ROOT / "studies" / "expansion.yaml"
    out = _a_file(tmp_path) / "results"
    line = _refused(["study", str(study), "--out", str(out)], capsys, "is a file, not a folder")
    assert line.startswith(f"lygsim study: --out {out}: ")


def test_study_given_a_scenario_file_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    line = _refused(["study", str(OUT_BASELINE), "--out", str(out)], capsys, "not a study file")
    assert line.startswith(f"{OUT_BASELINE}: is a scenario file")
    assert not out.exists()


READ_ONLY = {"read-only-parent": "ro/new", "read-only-out": "ro"}


@pytest.mark.parametrize("where", list(READ_ONLY.values()), ids=list(READ_ONLY))
def test_read_only_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    (tmp_path / "ro").mkdir()
    with read_only(tmp_path / "ro"):
        out = tmp_path / where
        _refused([*_command("run", tmp_path), "--out", str(out)], capsys, "permission denied")
        assert list((tmp_path / "ro").iterdir()) == []


def test_a_refused_command_leaves_no_folder_it_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # arguments checked after the scenario is read, and a scenario that fails to load
    out = tmp_path / "new" / "folder"
    argv = [*_command("run", tmp_path), "--out", str(out)]
    _refused([*argv, "--precision", "queue.no_such_metric=0.1"], capsys, "no_such_metric")
    _refused([*argv, "--set", "scenario.horizon_days=-1"], capsys, "horizon_days")
    assert not (tmp_path / "new").exists()
