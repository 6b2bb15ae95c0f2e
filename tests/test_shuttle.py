"""The Lianshen Express and the Shanghai data corridor.

Timetable arithmetic, the load list (first sailing after clearance, FIFO, capacity), the
cost of switching the corridor off, the end of an outage's effect, box conservation under
random timetables and outages, and berths shared with ships without overlap.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lygsim
from helpers_model import scenario_dict, validate
from lygsim.metrics import box_balance, shuttle_calls_frame, transfer_boxes_frame
from lygsim.records import SERVICE_CALL_TIMES
from lygsim.scenario import Scenario
from lygsim.simulation import RunResult, simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SEED = 20231211
EPS = 1e-6
Data = dict[str, Any]


def shuttle_data(
    *,
    days: float = 60.0,
    warmup: float = 0.0,
    ship_calls: float = 300.0,
    berths: int = 3,
    capacity: float = 400.0,
    departure_days: tuple[int, ...] = (0, 2, 4),
    vessels: int = 3,
    sea_h: float = 20.0,
    shanghai_h: float = 12.0,
    cutoff_h: float = 6.0,
    teu_per_year: float = 30_000.0,
    batch: int = 5,
    from_shanghai: float = 150.0,
    corridor: bool | None = True,
    outages: tuple[tuple[float, float], ...] = (),
    random_outages: tuple[float, float] | None = None,
    manual_h: float = 6.0,
) -> Data:
    """A container terminal ``t1`` with ``berths`` small berths, ships and the shuttle."""
    data = scenario_dict(
        sizes=["small"],
        groups=(berths, 0, 0),
        calls_per_year=ship_calls,
        horizon_days=days,
        warmup_days=warmup,
        dispatch="scheduled_first",
        berthing_h=1.0,
        unberthing_h=0.5,
    )
    data["services"] = {"shuttle": {"name": "Lianshen Express", "terminal": "t1"}}
    data["services"]["shuttle"] |= {
        "vessels": vessels,
        "capacity_teu": capacity,
        "departure_days": list(departure_days),
        "departure_hour": 18.0,
        "sea_time_h": sea_h,
        "shanghai_time_h": shanghai_h,
        "cutoff_h": cutoff_h,
        "crane_rate_teu_h": 60.0,
        "demand": {
            "teu_per_year": teu_per_year,
            "batch_teu": batch,
            "from_shanghai_teu_per_sailing": {"dist": "constant", "value": from_shanghai},
        },
    }
    if corridor is not None:
        cor: Data = {
            "enabled": corridor,
            "latency_h": {"dist": "constant", "value": 0.05},
            "auto_clearance_h": {"dist": "gamma", "mean": 0.5, "cv": 0.5},
            "manual_clearance_h": (
                {"dist": "gamma", "mean": manual_h, "cv": 0.5}
                if manual_h > 0
                else {"dist": "constant", "value": 0.0}
            ),
            "outages": [{"start_day": s, "duration_h": d} for s, d in outages],
            "eta_lead_h": 12.0,
        }
        if random_outages is not None:
            cor["time_between_outages_h"] = {"dist": "exponential", "mean": random_outages[0]}
            cor["time_to_repair_h"] = {"dist": "exponential", "mean": random_outages[1]}
        data["corridors"] = {"corridor": cor}
        data["services"]["shuttle"]["corridor"] = "corridor"
    return data


def run(data: Data, seed: int = SEED) -> RunResult:
    return simulate(validate(data), seed=seed, replication=0)


def kpi(res: RunResult, terminal: str, metric: str) -> float:
    k = res.kpis
    row = k[(k["name"] == terminal) & (k["metric"] == metric)]
    assert len(row) == 1, (terminal, metric)
    return float(row["value"].iloc[0])


# --- timetable ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lianyungang_2023", 82_000.0),
        ("lianyungang_2022", 54_886.0),
        ("option_shuttle_daily", 143_500.0),
    ],
)
def test_annual_capacity_is_the_timetable_arithmetic_exactly(name, expected):
    sc = lygsim.load_scenario(SCENARIOS / f"{name}.yaml")
    sh = sc.services["shuttle"]
    arithmetic = sh.capacity_teu * len(sh.departure_days) * 365 / 7
    assert arithmetic == expected  # exactly: the reported figure, not a rounding of it
    assert sh.annual_capacity_teu == expected
    res = simulate(sc, seed=1, days=sc.scenario.warmup_days + 10)
    assert kpi(res, "shuttle", "shuttle_annual_capacity_teu") == expected
    units = res.kpis.set_index(["name", "metric"])["unit"]
    assert units[("shuttle", "shuttle_annual_capacity_teu")] == "TEU/yr"


def test_sailings_follow_the_timetable():
    # Monday, Wednesday and Friday at 18:00; 2023-01-02 (time 0) is a Monday
    data = shuttle_data(days=28, ship_calls=50)
    res = run(data)
    calls = shuttle_calls_frame(res.records)
    start = dt.datetime(2023, 1, 2)
    slots = [start + dt.timedelta(hours=h) for h in calls["slot_h"]]
    assert all(s.weekday() in (0, 2, 4) and s.hour == 18 for s in slots)
    assert len(calls) == 12
    assert kpi(res, "shuttle", "sailings") == (calls["departed_h"] <= 28 * 24).sum() == 12
    assert (calls["cast_off_h"] == calls["slot_h"]).all(), "an unhindered shuttle is on time"
    assert calls["vessel"].tolist() == [0, 1, 2] * 4
    # each vessel is back from Shanghai before it sails again
    for _, v in calls.groupby("vessel"):
        back = (v["departed_h"] + 2 * 20.0 + 12.0).to_numpy()[:-1]
        assert (v["arrived_h"].to_numpy()[1:] >= back - EPS).all()


# --- the load list --------------------------------------------------------------------------


def test_with_ample_capacity_every_box_sails_on_the_first_sailing_after_clearance():
    data = shuttle_data(days=60, capacity=5_000, teu_per_year=40_000, batch=2)
    res = run(data)
    calls = shuttle_calls_frame(res.records)
    boxes = transfer_boxes_frame(res.records)
    cutoffs = calls["cutoff_h"].to_numpy()
    # the first cut-off at or after each batch's clearance
    first = np.searchsorted(cutoffs, boxes["cleared_h"].to_numpy(), side="left")
    listed = ~np.isnan(calls["load_start_h"].to_numpy())
    due = (first < len(cutoffs)) & ~np.isnan(boxes["cleared_h"].to_numpy())
    due &= listed[np.minimum(first, len(cutoffs) - 1)]
    assert due.sum() > 1000
    assert (boxes["sailing"].to_numpy()[due] == first[due]).all()
    assert (boxes["sailing"].to_numpy()[~due] == -1).all()
    assert kpi(res, "shuttle", "teu_rolled_over_full") == 0
    assert kpi(res, "shuttle", "sailings_late") == 0
    # and the transfer time is booking to arrival in Shanghai
    b = boxes.dropna(subset=["arrived_h"])
    assert np.allclose(b["arrived_h"] - b["sailed_h"], 20.0)
    assert kpi(res, "shuttle", "transfer_time_mean_h") == pytest.approx(
        (b["arrived_h"] - b["booked_h"]).mean()
    )


def test_a_full_ship_leaves_the_latest_cleared_boxes_behind():
    # demand at about 1.5 times the capacity: every ship leaves full, oldest clearance first
    data = shuttle_data(days=40, capacity=200, teu_per_year=45_000, batch=5)
    res = run(data)
    calls = shuttle_calls_frame(res.records)
    boxes = transfer_boxes_frame(res.records)
    loaded = calls.dropna(subset=["load_start_h"])
    assert (loaded["teu_out"] <= 200).all()
    assert (loaded["teu_out"].iloc[3:] == 200).all(), "a ship left with room to spare"
    assert kpi(res, "shuttle", "teu_rolled_over_full") > 0
    # loaded batches are the oldest cleared: a prefix of the clearance order
    order = np.lexsort((boxes["batch"], boxes["cleared_h"].fillna(np.inf)))
    on = (boxes["sailing"].to_numpy() >= 0)[order]
    assert (on[:-1] >= on[1:]).all()
    # and each went on a sailing whose cut-off came after its clearance
    s = boxes[boxes["sailing"] >= 0]
    assert (s["cleared_h"].to_numpy() <= cutoffs_of(calls, s) + EPS).all()


def cutoffs_of(calls, boxes) -> np.ndarray:
    return calls["cutoff_h"].to_numpy()[boxes["sailing"].to_numpy()]


# --- the corridor ---------------------------------------------------------------------------


def test_switching_the_corridor_off_costs_hours_and_sailings():
    data = shuttle_data(days=120, warmup=14, capacity=400, teu_per_year=45_000)
    on = run(data)
    off_data = copy.deepcopy(data)
    off_data["corridors"]["corridor"]["enabled"] = False
    off = run(off_data)
    # the same boxes are booked (common random numbers); only their clearance differs
    assert np.array_equal(
        on.records.services["shuttle"].booked_h, off.records.services["shuttle"].booked_h
    )
    for metric in ("transfer_time_mean_h", "transfer_time_p95_h", "teu_rolled_over"):
        assert kpi(off, "shuttle", metric) > 1.2 * kpi(on, "shuttle", metric), metric
    assert kpi(off, "shuttle", "teu_rolled_over_cutoff") > 5 * kpi(
        on, "shuttle", "teu_rolled_over_cutoff"
    )
    assert kpi(off, "corridor", "clearance_time_mean_h") > 10 * kpi(
        on, "corridor", "clearance_time_mean_h"
    )
    assert kpi(on, "corridor", "availability") == 1.0
    assert kpi(off, "corridor", "availability") == 0.0
    assert kpi(on, "shuttle", "eta_shared_share") == 1.0
    assert kpi(off, "shuttle", "eta_shared_share") == 0.0
    # northbound boxes wait for manual clearance after discharge
    assert kpi(on, "shuttle", "release_wait_in_mean_h") == 0.0
    assert kpi(off, "shuttle", "release_wait_in_mean_h") > 1.0


def test_manual_clearance_works_in_office_hours_only():
    data = shuttle_data(days=30, corridor=False, manual_h=3.0)
    res = run(data)
    boxes = transfer_boxes_frame(res.records).dropna(subset=["cleared_h"])
    assert len(boxes) > 100 and not boxes["by_corridor"].any()
    start = dt.datetime(2023, 1, 2)
    for t in boxes["cleared_h"]:
        when = start + dt.timedelta(hours=float(t) - 1e-9)
        assert when.weekday() < 5 and 8.5 <= when.hour + when.minute / 60 <= 17.5, when
    # a box booked on Friday night is cleared on Monday morning
    fri = boxes[(boxes["booked_h"] > 4 * 24 + 18) & (boxes["booked_h"] < 5 * 24)]
    assert len(fri) and (fri["cleared_h"] > 7 * 24 + 8.5).all()


def test_an_outage_ends_its_effect_after_the_repair():
    kw = {"days": 70, "capacity": 400, "teu_per_year": 30_000}
    clear = run(shuttle_data(**kw))
    out = run(shuttle_data(outages=((20.0, 72.0),), **kw))
    assert kpi(out, "corridor", "outages") == 1
    assert kpi(out, "corridor", "availability") == pytest.approx(1 - 72 / (70 * 24))
    a = transfer_boxes_frame(clear.records)
    b = transfer_boxes_frame(out.records)
    assert a["booked_h"].equals(b["booked_h"])
    t_a = (a["arrived_h"] - a["booked_h"]).to_numpy()
    t_b = (b["arrived_h"] - b["booked_h"]).to_numpy()
    booked = a["booked_h"].to_numpy()
    before = booked < 20 * 24
    during = (booked >= 20 * 24) & (booked < 23 * 24)
    after = (booked > 30 * 24) & ~np.isnan(t_a)
    # nothing changes before the outage; during it boxes clear by hand and wait longer
    assert np.array_equal(t_a[before], t_b[before], equal_nan=True)
    assert np.nanmean(t_b[during]) > np.nanmean(t_a[during]) + 1.0
    assert not b["by_corridor"].to_numpy()[during].all()
    # a week after the repair the shuttle is back to the same boxes on the same sailings
    assert after.sum() > 500
    assert np.array_equal(t_a[after], t_b[after])


def test_documents_waiting_in_the_outbox_go_when_the_corridor_is_repaired():
    # a 2-hour outage on a Saturday: by hand would take until Monday, the corridor is faster
    data = shuttle_data(days=14, outages=((5.0 + 10 / 24, 2.0),))
    res = run(data)
    boxes = transfer_boxes_frame(res.records)
    lo, hi = 5 * 24 + 10.0, 5 * 24 + 12.0
    hit = boxes[(boxes["booked_h"] >= lo) & (boxes["booked_h"] < hi)]
    assert len(hit) and hit["by_corridor"].all()
    assert (hit["cleared_h"] >= hi).all() and (hit["cleared_h"] < hi + 5).all()


def test_the_shared_eta_gives_the_shuttle_a_berth_window():
    # one berth and many ships: with its ETA shared the shuttle goes ahead of the queue
    kw = {"days": 90, "berths": 1, "ship_calls": 500, "vessels": 3}
    with_eta = run(shuttle_data(**kw))
    off = copy.deepcopy(shuttle_data(**kw))
    off["corridors"]["corridor"]["enabled"] = False
    without = run(off)
    w_on = kpi(with_eta, "shuttle", "shuttle_berth_wait_h")
    w_off = kpi(without, "shuttle", "shuttle_berth_wait_h")
    assert w_off > 2.0 and w_on < 0.5 * w_off
    assert kpi(with_eta, "shuttle", "sailing_delay_mean_h") < kpi(
        without, "shuttle", "sailing_delay_mean_h"
    )


# --- berths shared with ships ---------------------------------------------------------------


def berth_intervals(res: RunResult) -> dict[str, list[tuple[float, float, str]]]:
    end = res.records.end_h
    out: dict[str, list[tuple[float, float, str]]] = {}
    v = res.visits.dropna(subset=["assigned_h"])
    for b, a, d in zip(v["berth_id"].astype(str), v["assigned_h"], v["departed_h"], strict=True):
        out.setdefault(b, []).append((a, end if math.isnan(d) else d, "ship"))
    calls = shuttle_calls_frame(res.records).dropna(subset=["assigned_h"])
    for b, a, d in zip(
        calls["berth_id"].astype(str), calls["assigned_h"], calls["departed_h"], strict=True
    ):
        out.setdefault(b, []).append((a, end if math.isnan(d) else d, "shuttle"))
    return out


def check_berths_shared(scenario: Scenario, res: RunResult) -> None:
    """No berth holds two ships (the shuttle included); occupancy and levels count both."""
    t0, t1 = scenario.observed_h
    sh = scenario.services["shuttle"]
    assert sh is not None
    busy = 0.0
    for berth, spans in berth_intervals(res).items():
        spans.sort()
        for (a0, d0, k0), (a1, d1, k1) in zip(spans, spans[1:], strict=False):
            assert d0 <= a1 + EPS, f"{berth}: {k0} [{a0}, {d0}) overlaps {k1} [{a1}, {d1})"
        busy += sum(max(0.0, min(d, t1) - max(a, t0)) for a, d, _ in spans)
    n_berths = sum(g.count for g in scenario.terminals[sh.terminal].berths.values())
    occupancy = kpi(res, sh.terminal, "berth_occupancy")
    assert occupancy == pytest.approx(busy / (n_berths * (t1 - t0)), rel=1e-9, abs=1e-12)
    lv = res.levels
    s = lv[(lv["series"] == "berths_busy") & (lv["terminal"] == sh.terminal)]
    assert s["value"].max() <= n_berths
    calls = shuttle_calls_frame(res.records)
    at_berth_now = int((calls["assigned_h"].notna() & calls["departed_h"].isna()).sum())
    v = res.visits
    ships_now = int((v["assigned_h"].notna() & v["departed_h"].isna()).sum())
    assert s["value"].iloc[-1] == ships_now + at_berth_now


def test_shuttle_and_ships_never_share_a_berth():
    data = shuttle_data(days=90, berths=2, ship_calls=900, vessels=3)
    res = run(data)
    scenario = validate(data)
    calls = shuttle_calls_frame(res.records)
    assert calls["assigned_h"].notna().sum() > 30
    assert (res.visits["wait_berth_h"] > 0).sum() > 50, "the berths should be contended"
    check_berths_shared(scenario, res)
    # the shuttle's berth time is in the occupancy: without it the figure is lower
    no_shuttle = copy.deepcopy(data)
    no_shuttle["services"]["shuttle"]["enabled"] = False
    del no_shuttle["corridors"], no_shuttle["services"]["shuttle"]["corridor"]
    plain = run(no_shuttle)
    assert kpi(plain, "t1", "berth_occupancy") < kpi(res, "t1", "berth_occupancy") - 0.02


# --- conservation under random timetables and outages (hypothesis) --------------------------

SHUTTLE_SETTINGS = settings(
    max_examples=int(os.environ.get("LYGSIM_SHUTTLE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def shuttle_scenarios(draw: st.DrawFn) -> Data:
    days = draw(st.integers(8, 24))
    data = shuttle_data(
        days=float(days),
        warmup=draw(st.sampled_from([0.0, 2.0])),
        ship_calls=draw(st.sampled_from([100.0, 600.0, 1500.0])),
        berths=draw(st.integers(1, 3)),
        capacity=draw(st.sampled_from([30.0, 120.0, 393.15, 800.0])),
        departure_days=tuple(
            draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
        ),
        vessels=draw(st.integers(1, 4)),
        sea_h=draw(st.sampled_from([4.0, 20.0, 40.0])),
        shanghai_h=draw(st.sampled_from([2.0, 24.0])),
        cutoff_h=draw(st.sampled_from([0.0, 3.0, 12.0, 30.0])),
        teu_per_year=draw(st.sampled_from([3_000.0, 30_000.0, 120_000.0])),
        batch=draw(st.sampled_from([1, 4, 7])),
        from_shanghai=draw(st.sampled_from([0.0, 33.0, 250.0])),
        corridor=draw(st.sampled_from([True, True, False, None])),
        outages=tuple(
            draw(
                st.lists(
                    st.tuples(
                        st.floats(0, days, allow_nan=False), st.floats(0.5, 96, allow_nan=False)
                    ),
                    max_size=3,
                )
            )
        ),
        random_outages=draw(st.sampled_from([None, (48.0, 6.0), (200.0, 30.0)])),
        manual_h=draw(st.sampled_from([0.0, 2.0, 10.0])),
    )
    if draw(st.booleans()):
        # the shuttle's berths can fail, and fog can close the channel
        data["disruptions"] = {
            "outages": {
                "crane": {
                    "terminal": "t1",
                    "group": "g1",
                    "berths": 1,
                    "planned": [{"start_day": draw(st.floats(0, days)), "duration_h": 30.0}],
                    "time_between_failures_h": {"dist": "exponential", "mean": 80.0},
                    "time_to_repair_h": {"dist": "exponential", "mean": 8.0},
                }
            }
        }
        data["nautical"] = {
            "channel_depth_m": 25.0,
            "transit_h": 1.0,
            "weather": {"closures": [{"start_day": draw(st.floats(0, days)), "duration_h": 20.0}]},
        }
    if draw(st.booleans()) and "corridors" in data:
        data["corridors"]["corridor"]["office_hours"] = {
            "start_hour": 22.0,
            "end_hour": 24.0,
            "days": [5],
        }
    if (
        data["services"]["shuttle"]["demand"]["batch_teu"]
        > data["services"]["shuttle"]["capacity_teu"]
    ):
        data["services"]["shuttle"]["demand"]["batch_teu"] = 1
    return data


@SHUTTLE_SETTINGS
@given(data=shuttle_scenarios(), seed=st.integers(0, 2**31 - 1))
def test_boxes_are_conserved(data, seed):
    scenario = validate(data)
    res = simulate(scenario, seed=seed, replication=0)
    sh = res.records.services["shuttle"]
    assert sh is not None
    end = res.records.end_h
    calls = shuttle_calls_frame(res.records)
    boxes = transfer_boxes_frame(res.records)
    b = float(data["services"]["shuttle"]["demand"]["batch_teu"])
    cap = data["services"]["shuttle"]["capacity_teu"]

    # booked = carried + waiting + in clearance, at the end and at any time before
    for at in (end, end / 3, end / 2 + 0.123):
        bal = box_balance(sh, at)
        assert bal["booked"] == bal["carried"] + bal["waiting"] + bal["in_clearance"]
        assert 0 <= bal["on_board"] <= bal["waiting"]
        # the vessels' own tally agrees with the boxes'
        sailed = calls["departed_h"] <= at
        assert bal["carried"] == calls.loc[sailed, "teu_out"].sum()
    assert len(boxes) * b == box_balance(sh, end)["booked"]

    # each call: capacity, load list as a whole number of batches, times in order
    listed = calls["load_start_h"].notna()
    assert (calls["teu_out"] <= cap + EPS).all() and (calls["teu_in"] <= cap + EPS).all()
    assert calls.loc[listed, "teu_out"].sum() == (boxes["sailing"] >= 0).sum() * b
    assert (calls.loc[~listed, "teu_out"] == 0).all()
    times = calls[list(SERVICE_CALL_TIMES)].to_numpy()
    reached = ~np.isnan(times)
    assert (reached[:, :-1] >= reached[:, 1:]).all(), "a later step before an earlier one"
    diffs = np.diff(times, axis=1)
    assert (np.isnan(diffs) | (diffs >= -EPS)).all()
    assert (times[reached] <= end + EPS).all()
    closed = calls["load_end_h"].notna()  # its load list closed at the cut-off
    assert (calls.loc[closed, "load_end_h"] >= calls.loc[closed, "discharged_h"] - EPS).all()
    cast = calls["cast_off_h"].notna()
    assert (calls.loc[cast, "cast_off_h"] >= calls.loc[cast, "slot_h"] - EPS).all()

    # each box: booked, cleared by its sailing's cut-off, loaded, sailed, arrived, released
    on = boxes[boxes["sailing"] >= 0]
    assert (on["cleared_h"].to_numpy() <= cutoffs_of(calls, on) + EPS).all()
    steps = boxes[["booked_h", "cleared_h", "loaded_h", "sailed_h", "arrived_h", "released_h"]]
    d = np.diff(steps.to_numpy(), axis=1)
    assert (np.isnan(d) | (d >= -EPS)).all()
    assert (on["booked_h"] <= on["cleared_h"]).all()

    # northbound: every TEU discharged is in one batch; released after discharge
    inbound = res.records.services["shuttle"].inbound_columns(end)
    done = calls["discharged_h"].notna()
    assert inbound["teu"].sum() == pytest.approx(calls.loc[done, "teu_in"].sum())
    assert (inbound["teu"] <= b + EPS).all() and (inbound["teu"] > 0).all()
    rel = ~np.isnan(inbound["released_h"])
    assert (inbound["released_h"][rel] >= inbound["discharged_h"][rel] - EPS).all()

    # berths shared with ships: never two at once, occupancy counts both
    check_berths_shared(scenario, res)
    k = res.kpis.set_index(["name", "metric"])["value"]
    for metric in ("shuttle_utilisation", "shuttle_utilisation_in", "eta_shared_share"):
        assert math.isnan(k[("shuttle", metric)]) or 0 <= k[("shuttle", metric)] <= 1 + EPS
    if scenario.corridors:
        assert 0 <= k[("corridor", "availability")] <= 1
    lv = res.levels
    backlog = lv[lv["series"] == "shuttle_backlog"]["value"]
    assert (backlog >= 0).all() and backlog.iloc[-1] == k[("shuttle", "backlog_end_teu")]


def test_the_conservation_checks_can_fail():
    data = shuttle_data(days=20)
    res = run(data)
    sh = res.records.services["shuttle"]
    assert sh is not None
    bal = box_balance(sh, res.records.end_h)
    assert bal["booked"] == bal["carried"] + bal["waiting"] + bal["in_clearance"]
    # a batch that vanishes from the sailing it was on breaks the vessels' tally
    k = int(np.flatnonzero(sh.sailing >= 0)[0])
    sh.sailing[k] = -1
    calls = shuttle_calls_frame(res.records)
    bal = box_balance(sh, res.records.end_h)
    assert bal["carried"] != calls.loc[calls["departed_h"].notna(), "teu_out"].sum()


# --- settings and notes ---------------------------------------------------------------------


def test_too_few_vessels_sail_late_and_say_so():
    data = shuttle_data(days=30, vessels=1, departure_days=(0, 1, 2, 3, 4, 5, 6), sea_h=30)
    res = run(data)
    notes = [n for n in res.notes if n.startswith("shuttle")]
    assert len(notes) == 1 and "cannot keep" in notes[0]
    # one vessel for seven sailings a week: every sailing after the first leaves later
    sailings = kpi(res, "shuttle", "sailings")
    assert 5 < sailings < 15
    assert kpi(res, "shuttle", "sailings_late") == sailings - 1
    assert kpi(res, "shuttle", "sailing_delay_mean_h") > 24
    assert run(shuttle_data(days=30)).notes == []


def test_a_corridor_without_a_shuttle_says_it_has_no_effect():
    data = shuttle_data(days=10)
    del data["services"]
    res = run(data)
    assert len(res.notes) == 1 and "no effect" in res.notes[0]
    assert not (res.kpis["scope"].isin(["service", "link"])).any()


def test_without_a_corridor_section_boxes_are_ready_when_booked():
    res = run(shuttle_data(days=20, corridor=None))
    boxes = transfer_boxes_frame(res.records)
    assert (boxes["cleared_h"] == boxes["booked_h"]).all()
    assert not res.kpis["scope"].eq("link").any()
    assert kpi(res, "shuttle", "eta_shared_share") == 0.0


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda d: d["services"]["shuttle"]["demand"].update(batch_teu=500),
            "does not fit a vessel",
        ),
        (lambda d: d["services"]["shuttle"].update(departure_days=[1, 1]), "listed twice"),
        (
            lambda d: d["services"]["shuttle"].update(berth_group="g1", draft_m=14.0),
            "does not fit berth group",
        ),
        (lambda d: d["services"]["shuttle"].update(dwt_t=90_000), "fits no berth"),
    ],
)
def test_impossible_shuttles_are_rejected(change, fragment):
    from lygsim.errors import ScenarioError

    data = shuttle_data()
    change(data)
    with pytest.raises(ScenarioError, match=fragment):
        validate(data)
