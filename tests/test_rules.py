"""Berth dispatch rules (lygsim.rules): each rule's order, the starvation guard, the
reserved window, the registry that makes a rule a one-file change, properties under every
rule and a theory check (Cobham's formula).

The order tests run one tiny deterministic scenario: one berth, service = call size in
hours, a blocker that holds the berth from 0 to 10 h and four ships that arrive meanwhile
(at 1, 2, 3 and 4 h). The order in which the four get the berth is each rule's signature.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
import yaml
from hypothesis import given
from hypothesis import strategies as st

import lygsim
from helpers_model import validate
from lygsim.model.berths import Berth, BerthAllocator
from lygsim.queueing import priority_wq
from lygsim.rules import RULES, VesselKind
from lygsim.scenario import Terminal
from lygsim.schema_doc import json_schema, reference_markdown
from lygsim.stats import mean_ci
from test_properties import PROPERTY_SETTINGS, check_berths, check_visit_times, knobs, run, seeds
from test_shuttle import SHUTTLE_SETTINGS, check_berths_shared, shuttle_scenarios

VALIDATION = Path(__file__).resolve().parents[1] / "scenarios" / "validation"

# name: (arrival h, dwt t, call size = service h, scheduled)
SHIPS = {
    "blocker": (0.0, 15000, 10.0, False),
    "small": (1.0, 10000, 8.0, False),
    "large": (2.0, 50000, 4.0, False),
    "liner": (3.0, 30000, 2.0, True),
    "medium": (4.0, 20000, 6.0, False),
}


def one_berth(dispatch: dict[str, Any]) -> dict[str, Any]:
    """The scenario of the module docstring, with ``dispatch`` as the terminal's rule."""
    classes, arrivals = {}, {}
    for name, (at, dwt, size, scheduled) in SHIPS.items():
        classes[name] = {
            "terminal": "t1",
            "dwt_t": dwt,
            "loa_m": 200,
            "draft_m": 10,
            "call_size": {"dist": "constant", "value": size},
        }
        if scheduled:  # 2023-01-02 is a Monday: the liner's only call is at ``at``
            arrivals[name] = {
                "kind": "scheduled",
                "ship_class": name,
                "days_of_week": [0],
                "hour": at,
            }
        else:  # one call at ``at``: the next would be long after the horizon
            arrivals[name] = {
                "kind": "renewal",
                "ship_class": name,
                "first_h": at,
                "interarrival_h": {"dist": "constant", "value": 1000.0},
            }
    return {
        "scenario": {"name": "rules", "start_date": "2023-01-02", "horizon_days": 3},
        "ship_classes": classes,
        "arrivals": arrivals,
        "terminals": {
            "t1": {
                "cargo": "dry_bulk",
                "dispatch": dispatch,
                "berths": {
                    "quay": {
                        "count": 1,
                        "max_dwt_t": 60000,
                        "max_loa_m": 300,
                        "max_draft_m": 15,
                        "equipment": 1,
                        "rate": {"dist": "constant", "value": 1.0},
                    }
                },
            }
        },
    }


def berth_order(dispatch: dict[str, Any]) -> list[tuple[str, float]]:
    """The ships in the order they got the berth, with the time they got it."""
    res = lygsim.simulate(validate(one_berth(dispatch)), seed=1)
    v = res.visits.sort_values("assigned_h")
    return [(str(c), float(t)) for c, t in zip(v["ship_class"], v["assigned_h"], strict=True)]


def expect(*names: str) -> list[tuple[str, float]]:
    """The berth order ``names`` after the blocker, with each ship's start (back to back)."""
    order, t = [("blocker", 0.0)], 10.0
    for name in names:
        order.append((name, t))
        t += SHIPS[name][2]
    return order


@pytest.mark.parametrize(
    ("dispatch", "order"),
    [
        ({"rule": "fcfs"}, ("small", "large", "liner", "medium")),
        ({"rule": "scheduled_first"}, ("liner", "small", "large", "medium")),
        # listed classes in their order, then the rest first come first served
        (
            {"rule": "class_priority", "order": ["medium", "large"]},
            ("medium", "large", "small", "liner"),
        ),
        # 2 h, 4 h, 6 h, 8 h of work: shortest first while nobody is overdue
        (
            {"rule": "shortest_job_first", "max_wait_h": 1000},
            ("liner", "large", "medium", "small"),
        ),
        ({"rule": "largest_first", "max_wait_h": 1000}, ("large", "liner", "medium", "small")),
    ],
    ids=lambda x: x["rule"] if isinstance(x, dict) else None,
)
def test_each_rule_serves_in_its_order(dispatch: dict[str, Any], order: tuple[str, ...]) -> None:
    assert berth_order(dispatch) == expect(*order)


def test_shortest_job_first_serves_an_overdue_ship_first() -> None:
    # max 12.5 h: at 10 and 12 h nobody has waited that long (liner, then large, by size);
    # at 16 h small (waiting since 1 h) is overdue and goes before the shorter medium
    got = berth_order({"rule": "shortest_job_first", "max_wait_h": 12.5})
    assert got == expect("liner", "large", "small", "medium")


def test_largest_first_serves_an_overdue_ship_first() -> None:
    # max 13.5 h: large at 10 h, liner at 14 h; at 16 h small (since 1 h) is overdue
    got = berth_order({"rule": "largest_first", "max_wait_h": 13.5})
    assert got == expect("large", "liner", "small", "medium")


def test_overdue_ships_go_oldest_first() -> None:
    # max 5 h: at 10 h every ship is overdue, so the guard gives arrival order
    got = berth_order({"rule": "shortest_job_first", "max_wait_h": 5})
    assert got == expect("small", "large", "liner", "medium")


def test_every_registered_rule_is_a_scenario_variant_with_its_docs(tmp_path: Path) -> None:
    # registering a class in lygsim.rules is the whole change: the scenario's union, the
    # field's description, the reference page and the loader's hint all follow the registry
    mapping = json_schema()["$defs"]["Terminal"]["properties"]["dispatch"]["discriminator"]
    assert sorted(mapping["mapping"]) == sorted(RULES)
    described = Terminal.model_fields["dispatch"].description or ""
    reference = reference_markdown()
    for name, cls in RULES.items():
        assert name in described
        assert f"## {cls.__name__}" in reference and f"one of `{name}`" in reference
    path = tmp_path / "s.yaml"
    d = one_berth({"rule": "fcfs"})
    d["terminals"]["t1"]["allocation"] = "fcfs"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(lygsim.ScenarioError) as err:
        lygsim.load_scenario(path)
    assert "(rules: " + ", ".join(RULES) + ")" in str(err.value)


def test_the_rules_and_the_scenario_language_import_no_simpy() -> None:
    # lygsim.rules is a leaf: the scenario language imports it, so neither may need the model
    code = (
        "import sys, lygsim.scenario, lygsim.rules; "
        "print(sorted(m for m in sys.modules if m.startswith(('simpy', 'lygsim.model'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the reserved window, at the allocator --------------------------------------------------


def allocator(rule: dict[str, Any]) -> tuple[simpy.Environment, BerthAllocator]:
    """One berth; kinds 0 (small, fast) and 1 (large, slow) both fit it."""
    env = simpy.Environment()
    one = {k: (lambda: 1.0) for k in ("rate", "efficiency", "berthing_h", "unberthing_h")}
    berth = Berth("t.g.1", "g", 0, 1, one)
    kinds = {0: VesselKind("small", (0,), 1000.0, 10.0), 1: VesselKind("large", (0,), 9e4, 1.0)}
    spec = validate(one_berth(rule)).terminals["t1"].dispatch
    return env, BerthAllocator(env, [berth], kinds, spec)


def spec(rule: str, classes: list[str], max_wait_h: float) -> dict[str, Any]:
    """``dispatch:`` for ``rule`` with the parameters its class declares filled in.

    A registered rule is tested below with no edit here; one with a parameter of another
    name fails validation until that parameter is given a value here.
    """
    params = {"order": classes, "max_wait_h": max_wait_h}
    fields = RULES[rule].model_fields
    return {"rule": rule, **{key: v for key, v in params.items() if key in fields}}


@pytest.mark.parametrize("rule", [spec(r, ["large"], 1.0) for r in RULES], ids=lambda r: r["rule"])
def test_a_reserved_window_goes_ahead_under_every_rule(rule: dict[str, Any]) -> None:
    env, alloc = allocator(rule)
    held = alloc.request(0, False)
    assert isinstance(held, Berth)
    waiting = {
        "liner": alloc.request(1, True, work=1.0),
        "ship": alloc.request(0, False, work=1.0),
        "reserved-1": alloc.request(1, False, reserved=True, work=500.0),
        "reserved-2": alloc.request(0, False, reserved=True, work=500.0),
    }
    env.run(until=5.0)  # everyone overdue under the guarded rules
    served = []
    for _ in range(2):
        alloc.release(held)
        env.run(until=env.now + 1.0)
        name = next(n for n, ev in waiting.items() if ev.triggered and n not in served)
        served.append(name)
        held = waiting[name].value
    assert served == ["reserved-1", "reserved-2"]


# --- properties under every rule ------------------------------------------------------------


@PROPERTY_SETTINGS
@given(k=knobs(), rule=st.sampled_from(sorted(RULES)), seed=seeds)
def test_every_rule_conserves_ships_and_serves_one_fitting_ship_per_berth(
    k: dict[str, Any], rule: str, seed: int
) -> None:
    # whatever the knobs drew, run them under ``rule``: conservation (every ship departed,
    # in service or waiting), one ship per berth at a time, and only ships that fit
    k["dispatch"] = spec(rule, list(reversed(k["sizes"])), 24.0)
    scenario, res = run(k, seed)
    assert {t.dispatch.rule for t in scenario.terminals.values()} == {rule}
    check_visit_times(scenario, res)
    check_berths(scenario, res)


@SHUTTLE_SETTINGS
@given(data=shuttle_scenarios(), rule=st.sampled_from(sorted(RULES)), seed=seeds)
def test_every_rule_shares_berths_with_the_shuttle(
    data: dict[str, Any], rule: str, seed: int
) -> None:
    # the shuttle is a vessel kind of its terminal under every rule (reserved or not):
    # it and the ships never hold one berth at once, and occupancy counts both
    data["terminals"]["t1"]["dispatch"] = spec(rule, ["t1_small"], 12.0)
    scenario = validate(data)
    check_berths_shared(scenario, lygsim.simulate(scenario, seed=seed))


def test_a_freed_berth_goes_only_to_a_ship_that_fits_it() -> None:
    # a shallow quay (small, medium) and a deep berth (any ship); the blocker, large and
    # liner fit only the deep one. When the quay comes free at 9 h the priority giant
    # cannot take it and does not hold it up: medium, behind it in the queue, does.
    d = one_berth({"rule": "class_priority", "order": ["large"]})
    berths = d["terminals"]["t1"]["berths"]
    berths["deep"] = copy.deepcopy(berths["quay"])
    berths["quay"]["max_dwt_t"] = 20000
    d["ship_classes"]["blocker"]["dwt_t"] = 50000
    v = lygsim.simulate(validate(d), seed=1).visits.set_index("ship_class")
    got = {c: (v.loc[c, "berth_id"], v.loc[c, "assigned_h"]) for c in SHIPS}
    assert got == {
        "blocker": ("t1.deep.1", 0.0),
        "small": ("t1.quay.1", 1.0),
        "medium": ("t1.quay.1", 9.0),
        "large": ("t1.deep.1", 10.0),
        "liner": ("t1.deep.1", 14.0),
    }


# --- theory: non-preemptive priority M/M/1 (Cobham) -----------------------------------------

REPS = 12
SHIPS_PER_REP = 40_000
SEED = 20231211


@pytest.mark.slow
def test_class_priority_matches_cobham() -> None:
    scenario = lygsim.load_scenario(VALIDATION / "priority_mm1.yaml")
    lam, mean_s = [1 / 25, 1 / 20], [5.0, 10.0]
    theory = priority_wq(lam, mean_s, [2 * m * m for m in mean_s])
    assert theory == pytest.approx([7.5, 25.0])
    warmup_h = scenario.observed_h[0]
    days = scenario.scenario.warmup_days + SHIPS_PER_REP / sum(lam) / 24.0
    waits: dict[str, list[float]] = {"urgent": [], "routine": []}
    for r in range(REPS):
        v = lygsim.simulate(scenario, seed=SEED, replication=r, days=days).visits
        v = v[(v["arrived_h"] >= warmup_h) & v["assigned_h"].notna()]
        for cname, rows in waits.items():
            rows.append(float(v.loc[v["ship_class"] == cname, "wait_berth_h"].mean()))
    for (cname, rows), wq in zip(waits.items(), theory, strict=True):
        _, _, _, lo, hi = mean_ci(np.asarray(rows), 0.95)
        assert lo <= wq <= hi, f"{cname}: Cobham Wq {wq:.3f} h outside CI [{lo:.3f}, {hi:.3f}]"
