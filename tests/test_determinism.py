"""Reproducibility and common random numbers.

The same scenario, seed and replication give the same tables, bit for bit (also in a fresh
interpreter with another hash seed); another seed or replication gives other ships. Between
two scenarios run with the same seed and replication, the ships are the same (arrival
time, class, call size) whatever else differs, and a terminal nobody touched sees exactly
the same run.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers_model import frame_digest, scenario_dict, validate
from lygsim.simulation import RunResult, simulate

Data = dict[str, Any]
SHIP = ["ship_id", "ship_class", "terminal", "arrived_h", "call_size", "scheduled"]


def two_terminals(**kw: Any) -> Data:
    """Two terminals with big and small berths, mixed arrivals, tide, weather, yards, outages."""
    base: dict[str, Any] = {
        "terminals": 2,
        "groups": (2, 1, 1),
        "arrivals": ["poisson", "renewal", "scheduled"],
        "calls_per_year": 900,
        "horizon_days": 40,
        "rate_cv": 0.3,
        "tide": True,
        "tide_bound": ["medium"],
        "random_closures_per_year": 40,
        "yard_capacity": 6000,
        "planned_outages": [(5.0, 48.0)],
        "failures": (150.0, 10.0),
    }
    return scenario_dict(**{**base, **kw})


def run(data: Data, seed: int = 11, replication: int = 0) -> RunResult:
    return simulate(validate(data), seed=seed, replication=replication)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with categorical columns as plain values and a fresh index.

    Two scenarios with other berths have other berth-id categories; what must agree is the
    values.
    """
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


def test_same_seed_same_tables():
    data = two_terminals()
    a, b = run(data), run(data)
    assert len(a.visits) > 200
    pd.testing.assert_frame_equal(a.visits, b.visits)
    pd.testing.assert_frame_equal(a.levels, b.levels)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    assert a.records is not None and b.records is not None
    assert a.records.closures == b.records.closures
    assert a.records.yard_state == b.records.yard_state


def test_same_seed_same_tables_in_a_fresh_interpreter():
    # named streams must not depend on Python's per-process string hashing: bit for bit
    data = two_terminals(horizon_days=15)
    res = run(data)
    code = (
        "import json, sys\n"
        "from helpers_model import frame_digest, validate\n"
        "from lygsim.simulation import simulate\n"
        "res = simulate(validate(json.loads(sys.stdin.read())), seed=11, replication=0)\n"
        "print(frame_digest(res.visits), frame_digest(res.levels), frame_digest(res.kpis))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parent), env.get("PYTHONPATH", "")) if p
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    ).stdout.split()
    assert out == [frame_digest(res.visits), frame_digest(res.levels), frame_digest(res.kpis)]
    # the digest sees a change in the last bit
    bumped = res.visits.copy()
    bumped.loc[0, "call_size"] = np.nextafter(bumped.loc[0, "call_size"], np.inf)
    assert frame_digest(bumped) != out[0]


def test_other_seed_or_replication_other_ships():
    data = two_terminals(horizon_days=20)
    arrivals = {}
    for seed, rep in itertools.product((1, 2), (0, 1, 2)):
        v = run(data, seed, rep).visits
        arrivals[(seed, rep)] = tuple(v["arrived_h"].round(9)) + tuple(v["call_size"].round(9))
    # every (seed, replication) pair, including (1, 2) against (2, 1), draws other ships
    assert len(set(arrivals.values())) == len(arrivals)
    base = run(data, 1, 0).visits
    for other in (run(data, 2, 0).visits, run(data, 1, 1).visits):
        with pytest.raises(AssertionError):
            pd.testing.assert_frame_equal(base, other)


def _more_berths(d: Data) -> None:
    d["terminals"]["t2"]["berths"]["g1"]["count"] += 2


def _fewer_berths(d: Data) -> None:
    d["terminals"]["t2"]["berths"]["g1"]["count"] = 1


def _new_group(d: Data) -> None:
    d["terminals"]["t2"]["berths"]["g4"] = copy.deepcopy(d["terminals"]["t2"]["berths"]["g3"])


def _faster_cranes(d: Data) -> None:
    for g in d["terminals"]["t2"]["berths"].values():
        g["equipment"] += 2


def _smaller_yard(d: Data) -> None:
    d["terminals"]["t2"]["yard"]["capacity"] = 2500


def _t2_scheduled_first(d: Data) -> None:
    d["terminals"]["t2"]["dispatch"] = {"rule": "scheduled_first"}


T2_CHANGES: dict[str, Callable[[Data], None]] = {
    "more_berths": _more_berths,
    "fewer_berths": _fewer_berths,
    "new_berth_group": _new_group,
    "more_equipment": _faster_cranes,
    "smaller_yard": _smaller_yard,
    "scheduled_first": _t2_scheduled_first,
}


def run_before_and_after(change: Callable[[Data], object]) -> tuple[RunResult, RunResult]:
    """The two-terminal port as it is, and with ``change`` made to it; same seed."""
    data = two_terminals()
    other = copy.deepcopy(data)
    change(other)
    return run(data), run(other)


@pytest.mark.parametrize("change", list(T2_CHANGES.values()), ids=list(T2_CHANGES))
def test_changing_one_terminal_keeps_the_ships_and_the_other_terminal(change):
    a, b = run_before_and_after(change)
    # common random numbers: the same ships arrive, with the same sizes
    pd.testing.assert_frame_equal(a.visits[SHIP], b.visits[SHIP])
    # the change made a difference at t2 ...
    t2a = plain(a.visits[a.visits["terminal"] == "t2"])
    t2b = plain(b.visits[b.visits["terminal"] == "t2"])
    assert not t2a.equals(t2b)
    # ... and none at t1, which shares only the channel
    t1a = plain(a.visits[a.visits["terminal"] == "t1"])
    t1b = plain(b.visits[b.visits["terminal"] == "t1"])
    pd.testing.assert_frame_equal(t1a, t1b)
    ka, kb = a.kpis, b.kpis
    pd.testing.assert_frame_equal(
        ka[ka["name"] == "t1"].reset_index(drop=True),
        kb[kb["name"] == "t1"].reset_index(drop=True),
    )


def _no_weather(d: Data) -> None:
    d["nautical"]["weather"] = {}


def _no_outages(d: Data) -> None:
    del d["disruptions"]


def _wider_tide(d: Data) -> None:
    d["nautical"]["tide"]["window_h"] = 8.0


def _no_yards(d: Data) -> None:
    for t in d["terminals"].values():
        del t["yard"]


PORT_CHANGES: dict[str, Callable[[Data], None]] = {
    "no_weather": _no_weather,
    "no_outages": _no_outages,
    "wider_tide_window": _wider_tide,
    "no_yards": _no_yards,
    "longer_horizon": lambda d: d["scenario"].update(horizon_days=60),
}


@pytest.mark.parametrize("change", list(PORT_CHANGES.values()), ids=list(PORT_CHANGES))
def test_port_wide_changes_keep_the_ships(change):
    a, b = run_before_and_after(change)
    sa, sb = a.visits[SHIP], b.visits[SHIP]
    # a longer horizon adds ships at the end and changes none of the earlier ones
    sb = sb.iloc[: len(sa)]
    pd.testing.assert_frame_equal(sa, sb)
    assert not plain(a.visits).equals(plain(b.visits.iloc[: len(a.visits)]))


def test_handling_draws_do_not_shift_other_streams():
    # random rates at t1 only: t2 (constant rates) must see exactly the same run
    data = two_terminals(rate_cv=0.0)
    other = copy.deepcopy(data)
    for g in other["terminals"]["t1"]["berths"].values():
        g["rate"] = {"dist": "gamma", "mean": 30.0, "cv": 0.5}
    a, b = run(data), run(other)
    pd.testing.assert_frame_equal(a.visits[SHIP], b.visits[SHIP])
    va, vb = a.visits, b.visits
    pd.testing.assert_frame_equal(
        plain(va[va["terminal"] == "t2"]), plain(vb[vb["terminal"] == "t2"])
    )
    assert not plain(va[va["terminal"] == "t1"]).equals(plain(vb[vb["terminal"] == "t1"]))
