"""Vessel kinds of lygsim.vessels: a kind is one file, and the model runs it like a ship.

The ferry kind (``lygsim/vessels/ferry.py``) is the worked example: its timetable and
rotation, its berth time in its terminal's occupancy and levels, its own KPI rows,
conservation of its calls and no berth shared with ships. A kind added as one new file in
a copy of the package validates and runs with no other change.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lygsim
from helpers_model import validate
from lygsim.errors import ScenarioError
from lygsim.simulation import RunResult, simulate
from lygsim.vessels import KINDS

Data = dict[str, Any]
EPS = 1e-9


def ferry_data(days: float = 60, berths: int = 2, ship_calls: float = 0.0, **line: Any) -> Data:
    """A ro-ro terminal with ``berths`` berths, tramp car carriers and a ferry line.

    ``line`` overrides the ferry's fields (``vessels``, ``away_h``, ``rate_per_h``, ...).
    """
    data: Data = {
        "scenario": {
            "name": "ferry",
            "start_date": "2023-01-02",  # a Monday
            "horizon_days": days,
            "warmup_days": 0,
        },
        "ship_classes": {
            "pctc": {
                "terminal": "roro",
                "dwt_t": 20000,
                "loa_m": 200,
                "draft_m": 9,
                "call_size": {"dist": "triangular", "low": 500, "mode": 1500, "high": 3000},
            },
            "other": {
                "terminal": "elsewhere",
                "dwt_t": 20000,
                "loa_m": 200,
                "draft_m": 9,
                "call_size": {"dist": "constant", "value": 1000},
            },
        },
        "arrivals": {
            "tramp": {
                "kind": "poisson",
                "ship_class": "pctc" if ship_calls else "other",
                "calls_per_year": ship_calls or 50.0,
            }
        },
        "terminals": {
            name: {
                "cargo": "roro",
                "berths": {
                    "main": {
                        "count": berths,
                        "max_dwt_t": 60000,
                        "max_loa_m": 240,
                        "max_draft_m": 12,
                        "equipment": 1,
                        "rate": {"dist": "constant", "value": 150},
                        "berthing_h": {"dist": "constant", "value": 1.0},
                        "unberthing_h": {"dist": "constant", "value": 0.5},
                    }
                },
            }
            for name in ("roro", "elsewhere")
        },
        "services": {
            "line": {
                "kind": "ferry",
                "name": "Ferry line",
                "terminal": "roro",
                "dwt_t": 15000,
                "loa_m": 180,
                "draft_m": 7,
                "vessels": 1,
                "departure_days": [0, 3],
                "departure_hour": 18,
                "port_time_h": 10.0,
                "away_h": 60.0,
                "units_per_call": {"dist": "constant", "value": 200.0},
                "rate_per_h": 50.0,
            }
        },
    }
    data["services"]["line"].update(line)
    return data


def run(data: Data, seed: int = 7) -> RunResult:
    return simulate(validate(data), seed=seed, replication=0)


def calls(res: RunResult) -> dict[str, np.ndarray]:
    return res.records.vessels["line"].calls.columns()


def kpi(res: RunResult, scope: str, name: str, metric: str) -> float:
    k = res.kpis
    row = k[(k["scope"] == scope) & (k["name"] == name) & (k["metric"] == metric)]
    assert len(row) == 1, (scope, name, metric)
    return float(row["value"].iloc[0])


def test_the_ferry_is_a_registered_kind_and_a_services_variant():
    assert "ferry" in KINDS
    s = validate(ferry_data())
    assert type(s.services["line"]).__name__ == "Ferry"
    assert s.shuttles == {}


def test_a_lone_ferry_keeps_its_timetable_exactly():
    # one vessel, back long before its next call, an empty terminal: every call arrives
    # port_time_h before its departure, berths at once and sails on time
    res = run(ferry_data(days=28))
    c = calls(res)
    # Mondays and Thursdays at 18:00 from Monday 2023-01-02: 4 weeks, 8 departures
    slots = np.array([d * 24 + 18.0 + w * 168 for w in range(4) for d in (0, 3)])
    assert len(c["arrived_h"]) == 8
    assert np.allclose(c["arrived_h"], slots - 10.0)
    assert np.allclose(c["assigned_h"], c["arrived_h"])
    assert np.allclose(c["berthed_h"], c["arrived_h"] + 1.0)  # berthing 1 h, no channel
    assert np.allclose(c["work_end_h"], c["berthed_h"] + 200 / 50)
    assert np.allclose(c["departed_h"], slots + 0.5)  # waits for its slot, then unberths
    assert kpi(res, "service", "line", "calls") == 8
    assert kpi(res, "service", "line", "throughput") == pytest.approx(8 * 200)
    assert kpi(res, "service", "line", "mean_wait_h") == 0.0


def test_a_late_ferry_sails_late_and_its_next_call_starts_late():
    # a round trip of 100 h: back after the next planned arrival (Thursday's call is
    # planned 62 h after Monday's departure), so every call is late by the same rule
    res = run(ferry_data(days=14, away_h=100.0))
    c = calls(res)
    for k in range(1, len(c["arrived_h"])):
        back = c["departed_h"][k - 1] + 100.0
        assert c["arrived_h"][k] == pytest.approx(max(back, c["arrived_h"][k]))
        assert c["arrived_h"][k] >= back - EPS
    late = (
        c["departed_h"][1:]
        - np.array([d * 24 + 18.0 + w * 168 for w in range(2) for d in (0, 3)])[1:]
    )
    assert (late > 0.5 + EPS).any()


def test_the_ferry_holds_a_berth_in_occupancy_and_levels():
    res = run(ferry_data(days=28, berths=1))
    c = calls(res)
    t0, t1 = 0.0, res.records.end_h
    busy = np.clip(np.minimum(c["departed_h"], t1) - np.maximum(c["assigned_h"], t0), 0, None)
    # the terminal has no ships: its whole occupancy is the ferry's
    assert kpi(res, "terminal", "roro", "berth_occupancy") == pytest.approx(busy.sum() / t1)
    lv = res.levels
    s = lv[(lv["series"] == "berths_busy") & (lv["terminal"] == "roro")]
    assert s["value"].max() == 1


def test_the_allocator_sees_the_ferry_at_its_own_rate(monkeypatch: pytest.MonkeyPatch):
    # rules that rank by job length divide a call by the kind's rate: the ferry's own
    from lygsim.model import port

    seen: list[dict] = []
    real = port.BerthAllocator

    def spy(env, berths, kinds, rule):  # noqa: ANN001, ANN202
        seen.append(kinds)
        return real(env, berths, kinds, rule)

    monkeypatch.setattr(port, "BerthAllocator", spy)
    run(ferry_data(rate_per_h=37.0, ship_calls=300))
    roro = seen[0]
    ferry = [k for k in roro.values() if k.name == "line"]
    assert len(ferry) == 1 and ferry[0].units_per_h == 37.0
    assert ferry[0].dwt_t == 15000 and ferry[0].fits == (0, 1)


def berth_spans(res: RunResult) -> dict[str, list[tuple[float, float]]]:
    end = res.records.end_h
    out: dict[str, list[tuple[float, float]]] = {}
    v = res.visits.dropna(subset=["assigned_h"])
    for b, a, d in zip(v["berth_id"].astype(str), v["assigned_h"], v["departed_h"], strict=True):
        out.setdefault(b, []).append((a, end if math.isnan(d) else d))
    c = calls(res)
    ids = res.records.berth_ids
    for b, a, d in zip(c["berth"], c["assigned_h"], c["departed_h"], strict=True):
        if not math.isnan(a):
            out.setdefault(ids[b], []).append((a, end if math.isnan(d) else d))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    berths=st.integers(1, 3),
    ship_calls=st.floats(100, 900),
    vessels=st.integers(1, 3),
    away_h=st.floats(20, 200),
    port_time_h=st.floats(2, 30),
    rate=st.floats(10, 200),
    late_sd=st.floats(0, 12),
    seed=st.integers(0, 10_000),
)
def test_ferry_calls_are_conserved_and_never_share_a_berth(
    berths, ship_calls, vessels, away_h, port_time_h, rate, late_sd, seed
):
    line: Data = {"vessels": vessels, "away_h": away_h, "port_time_h": port_time_h}
    if late_sd > 0:
        line["lateness_h"] = {"dist": "normal", "mean": 0.0, "sd": late_sd}
    data = ferry_data(days=40, berths=berths, ship_calls=ship_calls, rate_per_h=rate, **line)
    res = run(data, seed=seed)
    c = calls(res)
    end = res.records.end_h
    # every call that started is departed, at its berth or waiting; times never run back
    departed = ~np.isnan(c["departed_h"])
    at_berth = ~np.isnan(c["assigned_h"]) & ~departed
    waiting = np.isnan(c["assigned_h"])
    assert (departed ^ at_berth ^ waiting).all() and not (departed & waiting).any()
    assert at_berth.sum() <= berths
    for a, b in (
        ("arrived_h", "assigned_h"),
        ("assigned_h", "entered_h"),
        ("entered_h", "berthed_h"),
        ("berthed_h", "work_end_h"),
        ("work_end_h", "departed_h"),
    ):
        both = ~np.isnan(c[a]) & ~np.isnan(c[b])
        assert (c[a][both] <= c[b][both] + EPS).all(), (a, b)
    assert (c["departed_h"][departed] <= end + EPS).all()
    # a vessel is back only after its round trip: its calls never overlap
    for v in range(vessels):
        mine = np.arange(v, len(c["arrived_h"]), vessels)
        prev = c["departed_h"][mine[:-1]]
        ok = ~np.isnan(prev)
        assert (c["arrived_h"][mine[1:]][ok] >= prev[ok] + away_h - 1e-6).all()
    for berth, spans in berth_spans(res).items():
        spans.sort()
        for (a0, d0), (a1, _) in zip(spans, spans[1:], strict=False):
            assert d0 <= a1 + EPS, f"{berth}: [{a0}, {d0}) overlaps the next from {a1}"
    occ = kpi(res, "terminal", "roro", "berth_occupancy")
    assert 0.0 <= occ <= 1.0 + EPS


def test_the_ferry_draws_from_its_own_stream_only():
    with_ferry = ferry_data(
        days=30, ship_calls=400, lateness_h={"dist": "normal", "mean": 0, "sd": 3}
    )
    without = ferry_data(days=30, ship_calls=400)
    without["services"] = {}
    a, b = run(with_ferry), run(without)
    # the same ships arrive with the same cargo whether or not the ferry runs
    assert np.array_equal(a.visits["arrived_h"], b.visits["arrived_h"])
    assert np.array_equal(a.visits["call_size"], b.visits["call_size"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"terminal": "nowhere"}, "services.line.terminal: unknown terminal 'nowhere'"),
        ({"loa_m": 300}, "fits no berth of terminal"),
        ({"units_per_call": {"dist": "normal", "mean": 10, "sd": 5}}, "negative"),
        ({"kind": "ferri"}, "services.line"),
        ({"rate_per_h": 0}, "services.line.rate_per_h"),
    ],
)
def test_bad_ferry_settings_are_one_clear_line(change: Data, message: str):
    data = ferry_data()
    data["services"]["line"].update(change)
    with pytest.raises(ScenarioError) as err:
        validate(data)
    assert message in str(err.value)


def test_a_new_kind_is_one_new_file(tmp_path: Path):
    # copy the package, add one file to lygsim/vessels, and run a scenario that uses it
    src = Path(lygsim.__file__).parent
    pkg = tmp_path / "lygsim"
    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "vessels" / "cruise.py").write_text(
        textwrap.dedent(
            '''
            """Cruise calls: a fixed stay at the berth on given days."""

            from __future__ import annotations

            from typing import Literal

            from pydantic import Field

            from lygsim.fields import Weekdays
            from lygsim.units import weekly_times_h
            from lygsim.vessels.base import CallPlan, VesselRun, VesselService, register


            @register
            class Cruise(VesselService):
                """A cruise ship calling for a fixed stay."""

                kind: Literal["cruise"] = Field(description="`cruise`: cruise calls.")
                days: Weekdays = Field(description="Call days, 0 = Monday.")
                stay_h: float = Field(gt=0, description="Hours at the berth.")

                def start(self, run: VesselRun) -> None:
                    for t in weekly_times_h(self.days, 8.0, 1, run.start_date, run.horizon_h):
                        run.env.process(run.call(CallPlan(float(t), self.stay_h, 1.0)))
            '''
        )
    )
    data = ferry_data(days=28)
    data["services"]["visit"] = {
        "kind": "cruise",
        "terminal": "roro",
        "dwt_t": 9000,
        "loa_m": 150,
        "draft_m": 6,
        "days": [5],
        "stay_h": 9.0,
    }
    import yaml

    scen = tmp_path / "cruise.yaml"
    scen.write_text(yaml.safe_dump(data))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lygsim", "run", str(scen), "--reps", "1", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = (out / "summary.csv").read_text()
    # four Saturdays in four weeks, each a call of the new kind with its own rows
    assert "service,visit,calls,calls,4.0" in summary
    assert "service,line,calls,calls,8.0" in summary
