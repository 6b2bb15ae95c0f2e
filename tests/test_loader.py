"""Loading scenarios: extends, --set overrides, the public API, round trips, light import."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import lygsim
from conftest import NAUTICAL, dump
from lygsim import dists
from lygsim.cli import main
from lygsim.errors import ScenarioError
from lygsim.loader import deep_merge, load_scenario, scenario_hash

GROUP = "terminals.container.berths.g1"


# --- extends ----------------------------------------------------------------------------------


def test_deep_merge_rules() -> None:
    base = {"a": {"b": 1, "c": [1, 2, 3], "d": {"e": 1, "f": 2}}, "g": 1, "h": "x"}
    child = {"a": {"c": [9], "d": {"f": 5}}, "g": None, "h": "y", "new": 1}
    assert deep_merge(base, child) == {
        "a": {"b": 1, "c": [9], "d": {"e": 1, "f": 5}},
        "h": "y",
        "new": 1,
    }
    # the inputs are left alone
    assert base["a"]["d"] == {"e": 1, "f": 2}
    assert "g" in base


def test_extends_child_wins_and_mappings_merge(
    base: dict[str, Any], write_yaml: Any, tmp_path: Path
) -> None:
    base["nautical"] = NAUTICAL
    base["arrivals"]["feeders"]["seasonality"] = [1.0] * 12
    write_yaml(base, "base.yaml")
    child = {
        "extends": "base.yaml",
        "scenario": {"name": "child", "horizon_days": 60},  # merges into scenario
        "terminals": {"container": {"berths": {"g1": {"count": 4}}}},  # deep merge
        "arrivals": {"feeders": {"seasonality": [2.0] * 6 + [0.5] * 6}},  # list replaced
        "nautical": None,  # null removes the section
    }
    sc = load_scenario(write_yaml(child, "child.yaml"))
    assert sc.scenario.name == "child"
    assert sc.scenario.horizon_days == 60
    assert sc.scenario.warmup_days == 2  # kept from the base
    g1 = sc.terminals["container"].berths["g1"]
    assert g1.count == 4
    assert (g1.max_dwt_t, g1.max_loa_m, g1.max_draft_m, g1.equipment) == (50000, 300, 14, 2)
    assert g1.rate.dist == "gamma" and g1.rate.mean == 25
    assert list(sc.arrivals["feeders"].seasonality) == [2.0] * 6 + [0.5] * 6
    assert sc.nautical is None
    assert load_scenario(tmp_path / "base.yaml").nautical is not None


def test_extends_null_restores_a_default(base: dict[str, Any], write_yaml: Any) -> None:
    write_yaml(base, "base.yaml")
    sc = load_scenario(write_yaml({"extends": "base.yaml", "scenario": {"warmup_days": None}}))
    assert sc.scenario.warmup_days == 0.0


def test_extends_replaces_a_distribution_whole(base: dict[str, Any], write_yaml: Any) -> None:
    """A distribution is one value: a parameter of the base's law must not leak in."""
    write_yaml(base, "base.yaml")
    child = {
        "extends": "base.yaml",
        "ship_classes": {"feeder": {"call_size": {"dist": "exponential", "mean": 700}}},
    }
    sc = load_scenario(write_yaml(child, "child.yaml"))
    assert sc.ship_classes["feeder"].call_size.dist == "exponential"
    assert sc.ship_classes["feeder"].call_size.mean == 700


def test_extends_is_relative_to_the_extending_file(
    base: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # scen/child.yaml -> scen/bases/mid.yaml -> scen/bases/core.yaml (relative to mid.yaml)
    dump(tmp_path / "scen" / "bases" / "core.yaml", base)
    dump(
        tmp_path / "scen" / "bases" / "mid.yaml",
        {"extends": "core.yaml", "scenario": {"description": "mid"}},
    )
    child = dump(
        tmp_path / "scen" / "child.yaml",
        {"extends": "bases/mid.yaml", "scenario": {"name": "child"}},
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sc = load_scenario(child)
    assert (sc.scenario.name, sc.scenario.description) == ("child", "mid")
    assert sc.ship_classes["feeder"].dwt_t == 20000
    # and with a path relative to the working directory
    monkeypatch.chdir(tmp_path)
    assert load_scenario(Path("scen/child.yaml")) == sc


def test_extends_does_not_leak_the_extends_key(base: dict[str, Any], write_yaml: Any) -> None:
    write_yaml(base, "base.yaml")
    sc = load_scenario(write_yaml({"extends": "base.yaml"}, "child.yaml"))
    assert sc == load_scenario(write_yaml(base, "copy.yaml"))


# --- --set overrides --------------------------------------------------------------------------


def test_set_nested_value(base: dict[str, Any], write_yaml: Any) -> None:
    path = write_yaml(base)
    sc = load_scenario(path, overrides=[f"{GROUP}.count=5", "scenario.name=tuned"])
    assert sc.terminals["container"].berths["g1"].count == 5
    assert sc.scenario.name == "tuned"


def test_set_list_index(base: dict[str, Any], write_yaml: Any) -> None:
    base["arrivals"]["feeders"]["seasonality"] = [1.0] * 12
    path = write_yaml(base)
    sc = load_scenario(path, overrides=["arrivals.feeders.seasonality[0]=2.5"])
    assert list(sc.arrivals["feeders"].seasonality) == [2.5] + [1.0] * 11
    with pytest.raises(ScenarioError, match=r"no item arrivals\.feeders\.seasonality\[12\]"):
        load_scenario(path, overrides=["arrivals.feeders.seasonality[12]=1"])


def test_set_index_inside_a_list_of_mappings(base: dict[str, Any], write_yaml: Any) -> None:
    base["disruptions"] = {
        "outages": {
            "crane": {
                "terminal": "container",
                "group": "g1",
                "planned": [{"start_day": 1, "duration_h": 8}, {"start_day": 9, "duration_h": 8}],
            }
        }
    }
    sc = load_scenario(
        write_yaml(base), overrides=["disruptions.outages.crane.planned[1].duration_h=24"]
    )
    planned = sc.disruptions.outages["crane"].planned
    assert [w.duration_h for w in planned] == [8, 24]


@pytest.mark.parametrize(
    ("override", "get", "expected"),
    [
        ("scenario.horizon_days=365", lambda s: s.scenario.horizon_days, 365.0),
        ("scenario.horizon_days=90.5", lambda s: s.scenario.horizon_days, 90.5),
        ("scenario.description=two words", lambda s: s.scenario.description, "two words"),
        ("scenario.sources=[a, b]", lambda s: s.scenario.sources, ["a", "b"]),
        (
            f"{GROUP}.rate={{dist: constant, value: 3}}",
            lambda s: (
                s.terminals["container"].berths["g1"].rate.dist,
                s.terminals["container"].berths["g1"].rate.mean,
            ),
            ("constant", 3.0),
        ),
        (
            "ship_classes.feeder.call_size={dist: erlang, k: 3, mean: 900}",
            lambda s: (
                s.ship_classes["feeder"].call_size.k,
                s.ship_classes["feeder"].call_size.mean,
            ),
            (3, 900.0),
        ),
        (
            "ship_classes.feeder.tide_bound=true",
            lambda s: s.ship_classes["feeder"].tide_bound,
            True,
        ),
    ],
    ids=["integer", "float", "string", "list", "constant-mapping", "erlang-mapping", "boolean"],
)
def test_set_values_are_parsed_as_yaml(
    base: dict[str, Any], write_yaml: Any, override: str, get: Any, expected: Any
) -> None:
    sc = load_scenario(write_yaml(base), overrides=[override])
    assert get(sc) == expected


def test_set_new_last_key_is_checked_by_the_schema(base: dict[str, Any], write_yaml: Any) -> None:
    path = write_yaml(base)
    sc = load_scenario(path, overrides=["scenario.description=added"])
    assert sc.scenario.description == "added"
    sc = load_scenario(path, overrides=[f"{GROUP}.berthing_h={{dist: constant, value: 1.5}}"])
    assert sc.terminals["container"].berths["g1"].berthing_h.mean == 1.5


def test_later_set_wins(base: dict[str, Any], write_yaml: Any) -> None:
    sc = load_scenario(write_yaml(base), overrides=[f"{GROUP}.count=3", f"{GROUP}.count=7"])
    assert sc.terminals["container"].berths["g1"].count == 7


def test_set_applies_after_extends(base: dict[str, Any], write_yaml: Any) -> None:
    write_yaml(base, "base.yaml")
    child = write_yaml({"extends": "base.yaml", "scenario": {"name": "child"}}, "child.yaml")
    sc = load_scenario(child, overrides=[f"{GROUP}.count=9"])
    assert (sc.scenario.name, sc.terminals["container"].berths["g1"].count) == ("child", 9)


def test_set_does_not_touch_the_file(base: dict[str, Any], write_yaml: Any) -> None:
    path = write_yaml(base)
    before = path.read_text(encoding="utf-8")
    load_scenario(path, overrides=[f"{GROUP}.count=9"])
    assert path.read_text(encoding="utf-8") == before


def test_set_problems_are_scenario_errors(base: dict[str, Any], write_yaml: Any) -> None:
    path = write_yaml(base)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides=["nowhere.x=1", "no-equals-sign"])
    assert len(info.value.problems) == 2
    assert all(p.source == str(path) for p in info.value.problems)


# --- public API -------------------------------------------------------------------------------


def test_public_load_scenario(base: dict[str, Any], write_yaml: Any) -> None:
    path = write_yaml(base)
    sc = lygsim.load_scenario(str(path), overrides=[f"{GROUP}.count=3"])
    assert sc.terminals["container"].berths["g1"].count == 3
    assert sc.scenario.name == "base"
    assert lygsim.load_scenario(path) == load_scenario(path)
    with pytest.raises(lygsim.ScenarioError):
        lygsim.load_scenario(path, overrides=[f"{GROUP}.count=0"])
    assert issubclass(lygsim.ScenarioError, lygsim.LygsimError)


def test_defaults_are_filled_in(base: dict[str, Any], write_yaml: Any) -> None:
    sc = load_scenario(write_yaml(base))
    g1 = sc.terminals["container"].berths["g1"]
    assert isinstance(g1.efficiency, dists.Constant) and g1.efficiency.mean == 1.0
    assert isinstance(g1.berthing_h, dists.Constant) and g1.berthing_h.mean == 0.0
    assert list(sc.arrivals["feeders"].seasonality) == [1.0] * 12
    assert sc.terminals["container"].unit == "TEU"
    assert sc.observed_h == (48.0, 720.0)


def test_scenario_is_frozen(base: dict[str, Any], write_yaml: Any) -> None:
    sc = load_scenario(write_yaml(base))
    with pytest.raises(ValidationError, match="frozen"):
        sc.scenario = sc.scenario  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        sc.scenario.horizon_days = 10  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        sc.terminals["container"].berths["g1"].count = 9  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        sc.ship_classes["feeder"].call_size.cv_ = 2.0  # type: ignore[misc]


# --- show, round trip and hash ----------------------------------------------------------------


def _show(path: Path, capsys: pytest.CaptureFixture[str], *overrides: str) -> str:
    argv = ["show", str(path)]
    for o in overrides:
        argv += ["--set", o]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


@pytest.mark.parametrize("nautical", [False, True], ids=["base", "base+nautical"])
def test_show_round_trips(
    base: dict[str, Any],
    write_yaml: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    nautical: bool,
) -> None:
    if nautical:
        base["nautical"] = NAUTICAL
        base["disruptions"] = {
            "outages": {
                "crane": {
                    "terminal": "container",
                    "group": "g1",
                    "planned": [{"start_day": 3, "duration_h": 12}],
                    "time_between_failures_h": {"dist": "exponential", "mean": 400},
                    "time_to_repair_h": {"dist": "triangular", "low": 2, "mode": 4, "high": 12},
                }
            }
        }
    path = write_yaml(base)
    original = load_scenario(path, overrides=[f"{GROUP}.count=3"])
    text = _show(path, capsys, f"{GROUP}.count=3")
    assert isinstance(yaml.safe_load(text), dict)
    shown = tmp_path / "shown.yaml"
    shown.write_text(text, encoding="utf-8")
    again = load_scenario(shown)
    assert again == original
    assert scenario_hash(again) == scenario_hash(original)
    # showing the shown file changes nothing
    assert _show(shown, capsys) == text


def test_show_fills_in_defaults(
    base: dict[str, Any], write_yaml: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = yaml.safe_load(_show(write_yaml(base), capsys))
    g1 = shown["terminals"]["container"]["berths"]["g1"]
    assert g1["efficiency"] == {"dist": "constant", "value": 1.0}
    assert shown["arrivals"]["feeders"]["seasonality"] == [1.0] * 12
    assert shown["ship_classes"]["feeder"]["call_size"] == {
        "dist": "lognormal",
        "mean": 800.0,
        "cv": 0.5,
    }
    assert "extends" not in shown


def test_scenario_hash(base: dict[str, Any], write_yaml: Any) -> None:
    a = write_yaml(base, "a.yaml")
    b = write_yaml(base, "b.yaml")
    h = scenario_hash(load_scenario(a))
    assert isinstance(h, str) and len(h) == 16
    assert scenario_hash(load_scenario(a)) == h
    assert scenario_hash(load_scenario(b)) == h  # the file name is not part of the scenario
    changed = scenario_hash(load_scenario(a, overrides=[f"{GROUP}.count=3"]))
    assert changed != h
    # an override that restates a value does not change the scenario
    assert scenario_hash(load_scenario(a, overrides=[f"{GROUP}.count=2"])) == h
    # a default written out explicitly is the same scenario
    assert scenario_hash(load_scenario(a, overrides=["scenario.description=''"])) == h


# --- light import -----------------------------------------------------------------------------

HEAVY = ("simpy", "matplotlib", "pandas")


def _modules_after(code: str) -> list[str]:
    check = f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=120
    )
    return [m for m in done.stdout.strip().split(",") if m]


def test_import_lygsim_is_light() -> None:
    assert _modules_after("import lygsim") == []


def test_loading_a_scenario_is_light(base: dict[str, Any], write_yaml: Any) -> None:
    path = write_yaml(base)
    code = f"import lygsim\nlygsim.load_scenario({str(path)!r}, overrides=['scenario.name=x'])"
    assert _modules_after(code) == []


# --- distributions ----------------------------------------------------------------------------

N = 20_000
DIST = TypeAdapter(dists.Dist)

positive = st.floats(min_value=0.01, max_value=1e5, allow_nan=False, allow_infinity=False)
nonneg = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)
# cv kept at or below 2: for more skewed laws 20 000 draws are too few for the normal
# approximation of the sample mean behind the tolerance below.
moderate_cv = st.floats(min_value=0.05, max_value=2.0)


@st.composite
def triangular(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(nonneg)
    width = draw(st.floats(min_value=0.01, max_value=1e4))
    share = draw(st.floats(min_value=0.0, max_value=1.0))
    return {
        "dist": "triangular",
        "low": low,
        "mode": low + share * width,
        "high": low + width,
    }


@st.composite
def uniform(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(nonneg)
    return {"dist": "uniform", "low": low, "high": low + draw(nonneg)}


@st.composite
def empirical(draw: st.DrawFn) -> dict[str, Any]:
    values = draw(st.lists(nonneg, min_size=1, max_size=8))
    weights = draw(
        st.none()
        | st.lists(
            st.floats(min_value=0.1, max_value=10.0), min_size=len(values), max_size=len(values)
        )
    )
    spec: dict[str, Any] = {"dist": "empirical", "values": values}
    if weights is not None:
        spec["weights"] = weights
    return spec


valid_dists = st.one_of(
    st.builds(lambda v: {"dist": "constant", "value": v}, nonneg),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, positive),
    st.builds(lambda k, m: {"dist": "erlang", "k": k, "mean": m}, st.integers(1, 50), positive),
    st.builds(lambda m, c: {"dist": "gamma", "mean": m, "cv": c}, positive, moderate_cv),
    st.builds(lambda m, c: {"dist": "lognormal", "mean": m, "cv": c}, positive, moderate_cv),
    uniform(),
    triangular(),
    empirical(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=valid_dists, seed=st.integers(0, 2**32 - 1))
def test_sample_mean_matches_mean(spec: dict[str, Any], seed: int) -> None:
    d = DIST.validate_python(spec)
    x = d.sample_n(np.random.default_rng(seed), N)
    assert x.shape == (N,)
    assert np.all(np.isfinite(x))
    assert x.min() >= d.minimum
    # six standard errors of the mean, sd = cv * |mean|; plus float rounding of the sum
    standard_error = d.cv * abs(d.mean) / math.sqrt(N)
    tolerance = 6 * standard_error + 1e-9 * max(abs(d.mean), 1.0)
    assert abs(x.mean() - d.mean) <= tolerance, (spec, x.mean(), d.mean, tolerance)


@settings(max_examples=60, deadline=None)
@given(spec=valid_dists, seed=st.integers(0, 2**32 - 1))
def test_sampler_is_reproducible(spec: dict[str, Any], seed: int) -> None:
    d = DIST.validate_python(spec)
    n = 2500  # more than one internal block
    first = dists.sampler(d, np.random.default_rng(seed))
    second = dists.sampler(d, np.random.default_rng(seed))
    a = [first() for _ in range(n)]
    b = [second() for _ in range(n)]
    assert a == b
    assert all(isinstance(v, float) for v in a)
    if d.cv > 0 and not isinstance(d, dists.Empirical):
        other = dists.sampler(d, np.random.default_rng(seed + 1))
        assert [other() for _ in range(n)] != a


@pytest.mark.parametrize(
    ("spec", "mean", "cv"),
    [
        ({"dist": "constant", "value": 4}, 4.0, 0.0),
        ({"dist": "exponential", "mean": 5}, 5.0, 1.0),
        ({"dist": "erlang", "k": 4, "mean": 8}, 8.0, 0.5),
        ({"dist": "gamma", "mean": 3, "cv": 0.2}, 3.0, 0.2),
        ({"dist": "lognormal", "mean": 800, "cv": 0.6}, 800.0, 0.6),
        ({"dist": "normal", "mean": 2, "sd": 1}, 2.0, 0.5),
        ({"dist": "uniform", "low": 0, "high": 6}, 3.0, math.sqrt(3) / 3),
        ({"dist": "triangular", "low": 0, "mode": 0, "high": 3}, 1.0, math.sqrt(0.5)),
        ({"dist": "empirical", "values": [1, 3], "weights": [3, 1]}, 1.5, math.sqrt(0.75) / 1.5),
    ],
    ids=lambda v: v["dist"] if isinstance(v, dict) else None,
)
def test_mean_and_cv_formulas(spec: dict[str, Any], mean: float, cv: float) -> None:
    d = DIST.validate_python(spec)
    assert d.mean == pytest.approx(mean)
    assert d.cv == pytest.approx(cv)


# --- plausibility warnings --------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"
ARR = "arrivals.feeders"


def _warnings(base: dict[str, Any], write_yaml: Any, *overrides: str) -> list[str]:
    from lygsim.loader import plausibility_warnings

    sc = load_scenario(write_yaml(base), overrides=list(overrides))
    return [f"{w.path}: {w.message}" for w in plausibility_warnings(sc, "f.yaml")]


def test_the_baseline_gives_no_warnings() -> None:
    from lygsim.loader import plausibility_warnings

    assert plausibility_warnings(load_scenario(BASELINE), str(BASELINE)) == []


def test_growth_of_8_is_an_error_not_a_warning(base: dict[str, Any], write_yaml: Any) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(write_yaml(base), overrides=[f"{ARR}.growth_per_year=8"])
    (line,) = err.value.lines()
    assert f"{ARR}.growth_per_year: must be less than or equal to 1 (got 8)" in line
    assert "0.08 means +8%/yr" in line


def test_growth_of_half_is_a_warning(base: dict[str, Any], write_yaml: Any) -> None:
    (warning,) = _warnings(base, write_yaml, f"{ARR}.growth_per_year=0.5")
    assert warning.startswith(f"{ARR}.growth_per_year: 0.5 is +50%/yr")
    assert "did you mean 0.005" in warning
    assert _warnings(base, write_yaml, f"{ARR}.growth_per_year=0.3") == []


def test_hours_typed_as_days_are_warned_about(base: dict[str, Any], write_yaml: Any) -> None:
    (warning,) = _warnings(base, write_yaml, "scenario.horizon_days=8760")
    assert warning.startswith("scenario.horizon_days: 8760 days is 24 years")
    assert "did you mean 8760 hours = 365 days?" in warning
    # a long horizon that is no whole number of 24 h (the textbook queues) is fine
    assert _warnings(base, write_yaml, "scenario.horizon_days=20000") == []


def test_other_unit_slips_are_warned_about(base: dict[str, Any], write_yaml: Any) -> None:
    found = _warnings(
        base,
        write_yaml,
        "scenario.warmup_days=20",
        f"{ARR}.seasonality=[100, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
        "terminals.container.berths.g1.rate={dist: constant, value: 2500}",
        f"{ARR}.scale=20",
    )
    paths = sorted(w.split(":")[0] for w in found)
    assert paths == sorted(
        [
            "scenario.warmup_days",
            f"{ARR}.seasonality",
            "terminals.container.berths.g1.rate",
            f"{ARR}.scale",
        ]
    )


def test_call_size_tail_beyond_capacity_is_warned_about(
    base: dict[str, Any], write_yaml: Any
) -> None:
    base["ship_classes"]["feeder"]["capacity_teu"] = 1000
    # mean 800 <= 2 x 1000, but one call in a thousand of a lognormal with cv 0.5 is bigger
    (warning,) = _warnings(base, write_yaml)
    assert warning.startswith("ship_classes.feeder.call_size: a call reaches, one call in a")
    assert "twice capacity_teu" in warning
    base["ship_classes"]["feeder"]["call_size"] = {
        "dist": "triangular",
        "low": 200,
        "mode": 800,
        "high": 1900,
    }
    assert _warnings(base, write_yaml) == []


def test_validate_prints_warnings_and_still_says_ok(
    base: dict[str, Any], write_yaml: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml(base)
    assert main(["validate", str(path), "--set", f"{ARR}.growth_per_year=0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}: {ARR}.growth_per_year: warning: 0.5 is +50%/yr")
    assert lines[1] == f"{path}: OK (base)"


def test_a_warning_names_the_file_that_set_the_field(
    base: dict[str, Any], write_yaml: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base["arrivals"]["feeders"]["growth_per_year"] = 0.5
    parent = write_yaml(base, "parent.yaml")
    child = write_yaml({"extends": "parent.yaml", "scenario": {"name": "child"}}, "child.yaml")
    assert main(["validate", str(child)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{parent}: {ARR}.growth_per_year: warning:")
    assert lines[1] == f"{child}: OK (child)"


# --- tide-boundness follows from the draft ------------------------------------------------------


def test_deepening_the_channel_frees_deep_ships_of_the_tide(
    base: dict[str, Any], write_yaml: Any
) -> None:
    base["nautical"] = NAUTICAL  # 11 m deep, ukc 1 m; the feeder draws 10 m
    path = write_yaml(base)
    assert not load_scenario(path).tide_bound("feeder")
    assert load_scenario(path, overrides=["ship_classes.feeder.draft_m=10.5"]).tide_bound("feeder")
    deeper = ["ship_classes.feeder.draft_m=10.5", "nautical.channel_depth_m=12"]
    assert not load_scenario(path, overrides=deeper).tide_bound("feeder")
    forced = [*deeper, "ship_classes.feeder.tide_bound=true"]
    assert load_scenario(path, overrides=forced).tide_bound_reason("feeder") == "forced"


def test_baseline_tide_bound_classes_are_those_it_used_to_list() -> None:
    sc = load_scenario(BASELINE)
    assert sorted(c for c in sc.ship_classes if sc.tide_bound(c)) == ["ore_vloc_300k", "vlcc"]
    assert {sc.tide_bound_reason(c) for c in ("ore_vloc_300k", "vlcc")} == {"draft"}


def test_show_says_which_classes_are_tide_bound_and_stays_loadable(
    base: dict[str, Any], write_yaml: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base["nautical"] = NAUTICAL
    base["ship_classes"]["deep"] = {**base["ship_classes"]["feeder"], "draft_m": 10.5}
    base["ship_classes"]["forced"] = {**base["ship_classes"]["feeder"], "tide_bound": True}
    text = _show(write_yaml(base), capsys)
    lines = text.splitlines()
    assert lines[0] == "# tide-bound by draft (draft + ukc 1 m > channel depth 11 m): deep"
    assert lines[1] == "# forced tide-bound (ship_classes.NAME.tide_bound: true): forced"
    shown = tmp_path / "shown.yaml"
    shown.write_text(text, encoding="utf-8")
    assert load_scenario(shown).tide_bound("deep")


# --- validate knows file kinds ---------------------------------------------------------------


def test_validate_accepts_the_shipped_study(capsys: pytest.CaptureFixture[str]) -> None:
    study = ROOT / "scenarios" / "studies" / "expansion.yaml"
    assert main(["validate", str(study)]) == 0
    assert capsys.readouterr().out == f"{study}: OK (study expansion)\n"


def test_validate_reports_a_studys_broken_option_under_the_options_name(
    base: dict[str, Any], write_yaml: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_yaml(base, "base.yaml")
    base["terminals"]["container"]["berths"]["g1"]["count"] = 0
    option = write_yaml(base, "option.yaml")
    study = write_yaml({"name": "s", "base": "base.yaml", "options": ["option.yaml"]}, "s.yaml")
    assert main(["validate", str(study)]) == 2
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{option}: {GROUP}.count: must be greater than or equal to 1")


# --- distribution tails -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "gamma", "mean": 600, "cv": 0.5},
        {"dist": "erlang", "k": 3, "mean": 10},
        {"dist": "lognormal", "mean": 5, "cv": 1.0},
        {"dist": "exponential", "mean": 3},
        {"dist": "normal", "mean": 0, "sd": 2},
        {"dist": "triangular", "low": 1, "mode": 2, "high": 5},
        {"dist": "uniform", "low": 1, "high": 2},
    ],
    ids=lambda s: s["dist"],
)
def test_quantile_matches_samples(spec: dict[str, Any]) -> None:
    d = TypeAdapter(dists.Dist).validate_python(spec)
    x = np.sort(d.sample_n(np.random.default_rng(3), 200_000))
    for p in (0.5, 0.99):
        assert d.quantile(p) == pytest.approx(x[int(p * len(x))], rel=0.03, abs=0.02)
    assert d.maximum >= x[-1]
