"""Malformed scenarios and arguments through the ``lygsim`` command line.

Every case must end with exit code 2 and only one-line messages: each line starts with the
file (``lygsim`` for argument errors), names the dotted field path and says what is allowed.
Never a traceback.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import BASE_SCENARIO, NAUTICAL, dump
from lygsim.cli import main

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
