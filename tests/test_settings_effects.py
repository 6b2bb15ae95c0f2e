"""No dead settings: every scenario setting the model simulates moves what it should.

Each test changes one setting, runs both versions with the same seed and replication
(common random numbers: the same ships arrive) over a horizon long enough for the effect
to stand clear of noise, averaging a few replications where the effect is statistical, and
checks the direction (and, where theory gives it, the size) of the change. Settings that
are validated but not simulated yet (shuttle, corridor) must say so in ``result.notes``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers_model import HOURS_PER_YEAR, build, scenario_dict, validate
from lygsim.model.nautical import Channel
from lygsim.scenario import Scenario
from lygsim.simulation import RunResult, simulate

SEED = 20231211
Data = dict[str, Any]


def kpi(res: RunResult, metric: str, terminal: str = "t1") -> float:
    k = res.kpis
    row = k[(k["name"] == terminal) & (k["metric"] == metric)]
    assert len(row) == 1, (terminal, metric)
    return float(row["value"].iloc[0])


def mean_kpi(scenario: Scenario, metric: str, terminal: str = "t1", reps: int = 3) -> float:
    """Mean of a KPI over replications 0..reps-1 (same seed: common random numbers)."""
    return float(np.mean([kpi(simulate(scenario, SEED, r), metric, terminal) for r in range(reps)]))


def run(scenario: Scenario, replication: int = 0) -> RunResult:
    return simulate(scenario, SEED, replication)


def changed(data: Data, change: Callable[[Data], None]) -> Scenario:
    d = copy.deepcopy(data)
    change(d)
    return validate(d)


def per_day(times: pd.Series, lo_h: float, hi_h: float) -> float:
    return float(((times >= lo_h) & (times < hi_h)).sum() / ((hi_h - lo_h) / 24.0))


# --- arrivals -------------------------------------------------------------------------------


def test_calls_per_year_scales_arrivals_and_congestion():
    # one berth, 10 h calls: offered load 0.34 and 0.68
    kw = {"groups": (1, 0, 0), "sizes": ["small"], "horizon_days": 365, "rate_cv": 0.3}
    low = build(calls_per_year=300, **kw)
    high = build(calls_per_year=600, **kw)
    n_low, n_high = len(run(low).visits), len(run(high).visits)
    assert 250 < n_low < 350  # Poisson(300 * 365 / 365.25)
    assert 1.8 < n_high / n_low < 2.2
    assert mean_kpi(high, "calls") > 1.8 * mean_kpi(low, "calls")
    assert mean_kpi(high, "mean_wait_h") > 2 * mean_kpi(low, "mean_wait_h")
    assert mean_kpi(high, "berth_occupancy") > 1.8 * mean_kpi(low, "berth_occupancy")


def test_poisson_scale_multiplies_the_rate():
    data = scenario_dict(sizes=["small"], calls_per_year=500, horizon_days=365)
    scaled = changed(data, lambda d: d["arrivals"]["t1_small_arr"].update(scale=3.0))
    n, n3 = len(run(validate(data)).visits), len(run(scaled).visits)
    assert 2.7 < n3 / n < 3.3


def test_seasonality_shifts_arrivals_between_months():
    # start 2023-01-02: January is the first month; factors are normalised to mean 1
    season = [4.0] + [1.0] * 11
    data = scenario_dict(sizes=["small"], calls_per_year=3000, horizon_days=364)
    flat = run(validate(data)).visits["arrived_h"]
    peaky = run(
        changed(data, lambda d: d["arrivals"]["t1_small_arr"].update(seasonality=season))
    ).visits["arrived_h"]
    jan, rest = (0.0, 29 * 24.0), (29 * 24.0, 364 * 24.0)
    assert 0.8 < per_day(flat, *jan) / per_day(flat, *rest) < 1.25
    # January at 4 / (15/12) = 3.2 times the mean rate, the rest at 0.8: a ratio of 4
    assert 3.2 < per_day(peaky, *jan) / per_day(peaky, *rest) < 4.8
    # the annual total is about unchanged
    assert 0.9 < len(peaky) / len(flat) < 1.1


@pytest.mark.parametrize(
    ("growth", "lo", "hi"), [(0.0, 0.9, 1.1), (1.0, 1.8, 2.2), (-0.5, 0.42, 0.58)]
)
def test_growth_per_year_compounds(growth, lo, hi):
    data = scenario_dict(sizes=["small"], calls_per_year=2000, horizon_days=2 * 365.25)
    data["arrivals"]["t1_small_arr"]["growth_per_year"] = growth
    t = run(validate(data)).visits["arrived_h"]
    year1 = (t < HOURS_PER_YEAR).sum()
    year2 = (t >= HOURS_PER_YEAR).sum()
    assert lo < year2 / year1 < hi


def test_renewal_interarrival_sets_the_spacing_and_its_variability():
    def spec(interarrival: Data, first_h: float = 0.0, days: float = 200) -> Scenario:
        data = scenario_dict(
            groups=(1, 0, 0), sizes=["small"], arrivals="renewal", horizon_days=days
        )
        data["arrivals"]["t1_small_arr"].update(interarrival_h=interarrival, first_h=first_h)
        return validate(data)

    regular = run(spec({"dist": "constant", "value": 13.0}, first_h=5.0)).visits["arrived_h"]
    expect = 5.0 + 13.0 * np.arange(len(regular))
    assert np.allclose(regular, expect)
    assert expect[-1] < 200 * 24 <= expect[-1] + 13.0
    half = run(spec({"dist": "constant", "value": 6.5}, first_h=5.0)).visits["arrived_h"]
    assert np.allclose(half, 5.0 + 6.5 * np.arange(len(half)))
    assert abs(len(half) - 2 * len(regular)) <= 1
    # same mean, more variable gaps: as many ships, but they bunch and wait longer
    smooth = spec({"dist": "constant", "value": 13.0}, days=1000)
    bursty = spec({"dist": "gamma", "mean": 13.0, "cv": 2.0}, days=1000)
    assert 0.85 < len(run(bursty).visits) / len(run(smooth).visits) < 1.15
    assert mean_kpi(bursty, "mean_wait_h") > 3 * mean_kpi(smooth, "mean_wait_h")


def test_renewal_stream_starting_after_the_horizon_brings_no_ships():
    data = scenario_dict(sizes=["small", "medium"], arrivals=["poisson", "renewal"])
    data["arrivals"]["t1_medium_arr"]["first_h"] = 100 * 24.0  # horizon is 20 days
    res = run(validate(data))
    assert (res.visits["ship_class"] == "t1_small").all()


def test_scheduled_days_hour_and_every_weeks_fix_the_timetable():
    def timetable(**arr: Any) -> np.ndarray:
        data = scenario_dict(sizes=["small"], arrivals="scheduled", horizon_days=28)
        data["arrivals"]["t1_small_arr"] = {"kind": "scheduled", "ship_class": "t1_small", **arr}
        return run(validate(data)).visits["arrived_h"].to_numpy()

    # 2023-01-02 is a Monday; 0 = Monday, 3 = Thursday
    t = timetable(days_of_week=[0, 3], hour=8.0)
    expect = [w * 168.0 + d * 24.0 + 8.0 for w in range(4) for d in (0, 3)]
    assert np.allclose(t, expect)
    t = timetable(days_of_week=[0, 3], hour=8.0, every_weeks=2)
    assert np.allclose(t, [w * 168.0 + d * 24.0 + 8.0 for w in (0, 2) for d in (0, 3)])
    t = timetable(days_of_week=[2], hour=20.5, lateness_h={"dist": "constant", "value": 5.0})
    assert np.allclose(t, [w * 168.0 + 2 * 24.0 + 25.5 for w in range(4)])


def test_scheduled_lateness_spreads_calls_around_the_timetable():
    data = scenario_dict(sizes=["small"], arrivals="scheduled", horizon_days=364)
    data["arrivals"]["t1_small_arr"] = {
        "kind": "scheduled",
        "ship_class": "t1_small",
        "days_of_week": [0, 2, 4],
        "hour": 12.0,
        "lateness_h": {"dist": "normal", "mean": 3.0, "sd": 4.0},
    }
    t = np.sort(run(validate(data)).visits["arrived_h"].to_numpy())
    plan = np.sort([w * 168.0 + d * 24.0 + 12.0 for w in range(52) for d in (0, 2, 4)])
    assert len(t) == len(plan)
    dev = t - plan
    assert 2.2 < dev.mean() < 3.8
    assert 3.4 < dev.std() < 4.6


# --- nautical access ------------------------------------------------------------------------


def tide_data(**kw: Any) -> Data:
    # plenty of berths: ships seldom wait for one, so they reach the channel at random phases
    base = {
        "groups": (0, 0, 6),
        "sizes": ["small", "large"],
        "tide": True,
        "horizon_days": 180,
        "calls_per_year": 300,
    }
    return scenario_dict(**{**base, **kw})


def class_mean(res: RunResult, cname: str, col: str) -> float:
    v = res.visits
    return float(v.loc[v["ship_class"] == cname, col].mean())


def test_tide_window_length_sets_the_tide_wait():
    narrow = run(validate(tide_data(window_h=2.0)))
    wide = run(validate(tide_data(window_h=8.0)))
    # a move at a random phase waits (P - W)^2 / (2P) on average; two moves per call, in
    # (part of the wait) and out (a delay at the berth)
    for res, window in ((narrow, 2.0), (wide, 8.0)):
        theory = 2 * (12.42 - window) ** 2 / (2 * 12.42)
        got = class_mean(res, "t1_large", "wait_tide_h") + class_mean(
            res, "t1_large", "delay_outbound_tide_h"
        )
        assert 0.7 * theory < got < 1.3 * theory, (window, got, theory)
        assert class_mean(res, "t1_small", "wait_tide_h") == 0.0
    assert kpi(narrow, "mean_wait_tide_h") > 3 * kpi(wide, "mean_wait_tide_h")
    assert kpi(narrow, "mean_turnaround_h") > kpi(wide, "mean_turnaround_h")


def test_the_draft_and_the_class_flag_decide_who_waits_for_the_tide():
    base = run(validate(tide_data()))
    assert class_mean(base, "t1_small", "wait_tide_h") == 0.0
    assert class_mean(base, "t1_large", "wait_tide_h") > 1.0  # deep draft: tide-bound
    listed = run(validate(tide_data(tide_bound=["small"])))
    assert class_mean(listed, "t1_small", "wait_tide_h") > 1.0
    data = tide_data()
    data["ship_classes"]["t1_large"]["tide_bound"] = False
    forced_off = run(validate(data))
    assert (forced_off.visits["wait_tide_h"] == 0).all()
    # a deeper channel makes the deep-draft class free to move at any time
    data = tide_data()
    data["nautical"]["channel_depth_m"] = 19.5
    assert (run(validate(data)).visits["wait_tide_h"] == 0).all()


def test_tide_timing_settings_place_the_windows():
    data = tide_data(sizes=["large"], window_h=2.0)
    data["nautical"]["tide"].update(period_h=10.0, first_high_water_h=3.0)
    scenario = validate(data)
    res = run(scenario)
    entered = res.visits["entered_h"].dropna().to_numpy()
    phase = (entered - 3.0) % 10.0
    assert ((phase <= 1.0 + 1e-6) | (phase >= 9.0 - 1e-6)).all()
    shifted = copy.deepcopy(data)
    shifted["nautical"]["tide"]["first_high_water_h"] = 8.0
    entered2 = run(validate(shifted)).visits["entered_h"].dropna().to_numpy()
    phase2 = (entered2 - 8.0) % 10.0
    assert ((phase2 <= 1.0 + 1e-6) | (phase2 >= 9.0 - 1e-6)).all()
    assert not np.allclose(entered[:20], entered2[:20])


def test_a_fixed_weather_closure_holds_ships_and_costs_time():
    # spare berths, so that ships given one during the closure wait for the weather (with
    # every berth busy, ships unable to leave hold their berths and the rest wait for one)
    kw = {"groups": (6, 0, 0), "sizes": ["small"], "horizon_days": 30, "calls_per_year": 1500}
    open_ = run(build(**kw))
    closed = run(build(closures=[(10.0, 48.0)], **kw))
    assert (open_.visits["wait_weather_h"] == 0).all()
    v = closed.visits
    assert closed.records is not None and closed.records.closures == [(240.0, 288.0)]
    for col in ("entered_h", "departed_h"):
        assert not ((v[col] >= 240.0) & (v[col] < 288.0)).any()
    # a ship given a berth during the closure waits for its end
    held = v[(v["assigned_h"] >= 240.0) & (v["assigned_h"] < 288.0)]
    assert len(held) >= 3
    assert np.allclose(held["entered_h"], 288.0)
    assert kpi(closed, "mean_wait_weather_h") > 0.5
    assert kpi(closed, "mean_wait_h") > kpi(open_, "mean_wait_h")
    assert kpi(closed, "mean_turnaround_h") > kpi(open_, "mean_turnaround_h")


def test_random_closures_frequency_length_and_seasonality():
    kw = {"groups": (2, 0, 0), "sizes": ["small"], "horizon_days": 365, "calls_per_year": 1000}

    def closed_hours(res: RunResult) -> float:
        assert res.records is not None
        return sum(e - s for s, e in res.records.closures)

    few = run(build(random_closures_per_year=20, **kw))
    many = run(build(random_closures_per_year=120, **kw))
    longer = run(build(random_closures_per_year=20, closure_mean_h=48.0, **kw))
    n_few, n_many = len(few.records.closures), len(many.records.closures)
    assert 8 <= n_few <= 34 and 4 * n_few < n_many < 8 * n_few
    assert 100 < closed_hours(few) < 400  # about 20 x 12 h
    assert closed_hours(longer) > 2.5 * closed_hours(few)
    assert kpi(many, "mean_wait_weather_h") > 3 * kpi(few, "mean_wait_weather_h") > 0
    # seasonality: episodes start only in months with a positive factor (June here)
    data = scenario_dict(random_closures_per_year=8, **kw)
    data["nautical"]["weather"]["random"]["seasonality"] = [0.0] * 5 + [1.0] + [0.0] * 6
    june = run(validate(data)).records
    assert june is not None and len(june.closures) >= 3
    # 2023-06-01 is day 150 after 2023-01-02, 2023-07-01 day 180
    assert all(150 * 24.0 <= s < 180 * 24.0 for s, _ in june.closures)


def test_transit_time_lengthens_the_approach():
    kw = {"sizes": ["small"], "horizon_days": 60, "berthing_h": 1.5}
    res = run(build(transit_h=2.0, **kw))
    v = res.visits.dropna(subset=["berthed_h"])
    assert np.allclose(v["berthed_h"] - v["entered_h"], 3.5)
    base = run(build(**kw))
    assert kpi(res, "mean_service_h") == pytest.approx(kpi(base, "mean_service_h") + 2.0, abs=0.5)


# --- berths ---------------------------------------------------------------------------------


def test_more_berths_less_waiting():
    kw = {"sizes": ["small"], "calls_per_year": 500, "horizon_days": 365, "rate_cv": 0.3}
    waits = [mean_kpi(build(groups=(n, 0, 0), **kw), "mean_wait_h") for n in (1, 2, 3)]
    occ = [mean_kpi(build(groups=(n, 0, 0), **kw), "berth_occupancy") for n in (1, 2, 3)]
    assert waits[0] > 3 * waits[1] > 9 * waits[2] > 0
    # the same work spread over more berths
    assert occ[0] == pytest.approx(2 * occ[1], rel=0.05)
    assert occ[0] == pytest.approx(3 * occ[2], rel=0.05)


def test_berth_size_limits_decide_where_a_class_may_berth():
    data = scenario_dict(
        groups=(1, 1, 0), sizes=["small", "medium"], horizon_days=200, calls_per_year=300
    )
    base = run(validate(data))
    served = base.visits[base.visits["berth_id"].notna()]
    on = served.groupby("ship_class", observed=True)["berth_id"].agg(set)
    assert on["t1_medium"] == {"t1.g2.1"}  # too big for g1
    assert on["t1_small"] == {"t1.g1.1", "t1.g2.1"}
    # raise g1's limits: medium ships may use it too, and wait less
    bigger = changed(
        data,
        lambda d: d["terminals"]["t1"]["berths"]["g1"].update(
            max_dwt_t=90_000, max_loa_m=280, max_draft_m=15
        ),
    )
    res = run(bigger)
    assert "t1.g1.1" in set(res.visits.loc[res.visits["ship_class"] == "t1_medium", "berth_id"])
    assert class_mean(res, "t1_medium", "wait_berth_h") < class_mean(
        base, "t1_medium", "wait_berth_h"
    )
    # lower g2's dwt limit below the small ships (and drop the medium class, which would
    # then fit nowhere): every small ship goes to g1
    smaller_d = copy.deepcopy(data)
    smaller_d["terminals"]["t1"]["berths"]["g2"]["max_dwt_t"] = 25_000
    del smaller_d["ship_classes"]["t1_medium"], smaller_d["arrivals"]["t1_medium_arr"]
    res = run(validate(smaller_d))
    assert set(res.visits["berth_id"].dropna()) == {"t1.g1.1"}
    assert (res.visits["berth_id"] == "t1.g1.1").sum() > 100


def test_scheduled_first_puts_liner_calls_ahead():
    data = scenario_dict(
        groups=(1, 0, 0),
        sizes=["small"],
        horizon_days=365,
        calls_per_year=400,
    )
    data["arrivals"]["liner"] = {
        "kind": "scheduled",
        "ship_class": "t1_small",
        "days_of_week": [1, 4],
        "hour": 6.0,
        "lateness_h": {"dist": "normal", "mean": 0.0, "sd": 8.0},
    }

    def waits(rule: str) -> tuple[float, float]:
        d = copy.deepcopy(data)
        d["terminals"]["t1"]["dispatch"] = {"rule": rule}
        v = pd.concat([run(validate(d), r).visits for r in range(3)])
        return (
            float(v.loc[v["scheduled"], "wait_berth_h"].mean()),
            float(v.loc[~v["scheduled"], "wait_berth_h"].mean()),
        )

    liner_fcfs, other_fcfs = waits("fcfs")
    liner_prio, other_prio = waits("scheduled_first")
    assert liner_prio < 0.7 * liner_fcfs
    assert other_prio > other_fcfs


# --- handling -------------------------------------------------------------------------------


def handling_h(res: RunResult) -> pd.Series:
    v = res.visits.dropna(subset=["handling_end_h"]).set_index("ship_id")
    return v["handling_end_h"] - v["handling_start_h"]


def test_equipment_rate_and_efficiency_set_the_handling_time():
    kw = {"groups": (2, 0, 0), "sizes": ["small"], "horizon_days": 120, "calls_per_year": 800}
    base = run(build(equipment=2, rate=30.0, **kw))
    h = handling_h(base)
    v = base.visits.set_index("ship_id")
    assert np.allclose(h, v.loc[h.index, "call_size"] / (2 * 30.0))
    for change, factor in (
        ({"equipment": 4, "rate": 30.0}, 0.5),
        ({"equipment": 2, "rate": 60.0}, 0.5),
        ({"equipment": 2, "rate": 30.0, "efficiency": 0.5}, 2.0),
    ):
        res = run(build(**{**kw, **change}))
        other = handling_h(res)
        both = h.index.intersection(other.index)
        assert len(both) > 200
        assert np.allclose(other[both], factor * h[both]), change
        if factor < 1:
            assert kpi(res, "mean_service_h") < kpi(base, "mean_service_h")
            assert kpi(res, "mean_wait_h") < kpi(base, "mean_wait_h")
        else:
            assert kpi(res, "mean_service_h") > kpi(base, "mean_service_h")
            assert kpi(res, "mean_wait_h") > kpi(base, "mean_wait_h")


def test_random_rates_have_the_declared_mean():
    kw = {"groups": (2, 0, 0), "sizes": ["small"], "horizon_days": 365, "calls_per_year": 800}
    res = run(build(rate=30.0, rate_cv=0.3, **kw))
    v = res.visits.dropna(subset=["handling_end_h"])
    rates = v["call_size"] / (2 * (v["handling_end_h"] - v["handling_start_h"]))
    assert 28.0 < rates.mean() < 32.0
    assert 0.22 < rates.std() / rates.mean() < 0.38
    fast = run(build(rate=60.0, rate_cv=0.3, **kw))
    assert 0.45 < handling_h(fast).mean() / handling_h(res).mean() < 0.55


def test_berthing_and_unberthing_times():
    kw = {"groups": (2, 0, 0), "sizes": ["small"], "horizon_days": 60}
    base = run(build(**kw))
    res = run(build(berthing_h=2.0, unberthing_h=3.0, **kw))
    v = res.visits
    b = v.dropna(subset=["berthed_h"])
    assert np.allclose(b["berthed_h"] - b["entered_h"], 2.0)
    d = v.dropna(subset=["departed_h"])
    assert np.allclose(d["departed_h"] - d["handling_end_h"], 3.0)
    assert kpi(res, "mean_service_h") == pytest.approx(kpi(base, "mean_service_h") + 5.0, abs=0.5)
    assert kpi(res, "berth_occupancy") > kpi(base, "berth_occupancy")


def test_call_size_sets_handling_and_throughput():
    data = scenario_dict(groups=(2, 0, 0), sizes=["small"], horizon_days=120)
    base = run(validate(data))
    big = changed(data, lambda d: d["ship_classes"]["t1_small"]["call_size"].update(mean=1200.0))
    res = run(big)
    assert kpi(res, "throughput") > 1.7 * kpi(base, "throughput")
    assert kpi(res, "mean_service_h") > 1.7 * kpi(base, "mean_service_h")


# --- yards ----------------------------------------------------------------------------------


def yard_kw(**kw: Any) -> dict[str, Any]:
    base = {
        "groups": (2, 0, 0),
        "sizes": ["small"],
        "calls_per_year": 1200,
        "horizon_days": 120,
        "dwell_h": 48.0,
    }
    return {**base, **kw}


def test_a_small_yard_holds_ships_at_the_berth():
    roomy = run(build(**yard_kw(yard_capacity=1e7)))
    tight = run(build(**yard_kw(yard_capacity=4000.0)))
    assert (roomy.visits["delay_yard_h"] == 0).all()
    assert kpi(tight, "mean_delay_yard_h") > 1.0
    assert kpi(tight, "yard_utilisation") > 0.8
    assert kpi(tight, "mean_service_h") > kpi(roomy, "mean_service_h")
    assert kpi(tight, "mean_wait_h") > kpi(roomy, "mean_wait_h")
    assert kpi(tight, "throughput") < kpi(roomy, "throughput")


def test_longer_dwell_fills_the_yard():
    short = run(build(**yard_kw(yard_capacity=1e5, dwell_h=24.0)))
    long_ = run(build(**yard_kw(yard_capacity=1e5, dwell_h=96.0)))
    # the stock is inflow x dwell (Little): four times the dwell, four times the stock
    ratio = kpi(long_, "yard_utilisation") / kpi(short, "yard_utilisation")
    assert 3.3 < ratio < 4.5
    # inflow of 1200 calls/yr x 600 t = 82 units/h: stock ~ 82 x 24 ~ 2000
    assert 1000 < kpi(short, "yard_utilisation") * 1e5 < 3000


def test_import_share_is_what_enters_the_yard():
    full = run(build(**yard_kw(yard_capacity=1e5)))
    part = run(build(**yard_kw(yard_capacity=1e5, import_share=0.25)))
    v = part.visits.dropna(subset=["handling_start_h"])
    assert np.allclose(v["yard_in"], 0.25 * v["call_size"])
    ratio = kpi(part, "yard_utilisation") / kpi(full, "yard_utilisation")
    assert 0.2 < ratio < 0.3


def test_initial_yard_stock_clears_inland():
    # 5,000 units at time 0 and a dwell of about two days: 60 days later they are long gone
    res = run(
        build(
            **yard_kw(
                yard_capacity=10_000.0, yard_initial=5_000.0, calls_per_year=50, horizon_days=60
            )
        )
    )
    assert res.records is not None
    initial, final, gone = res.records.yard_state[0]
    assert initial == 5_000.0
    assert gone >= initial
    assert final < 0.5 * initial


def test_initial_yard_stock_raises_utilisation_until_it_has_left():
    # the initial stock leaves as one lot after one dwell draw (mean 48 h)
    empty = run(build(**yard_kw(yard_capacity=10_000.0, horizon_days=3)))
    stocked = run(build(**yard_kw(yard_capacity=10_000.0, yard_initial=3_000.0, horizon_days=3)))
    y = stocked.levels[stocked.levels["series"] == "yard"]
    assert y["time_h"].iloc[0] == 0.0 and y["value"].iloc[0] == 3_000.0
    assert kpi(stocked, "yard_utilisation") > kpi(empty, "yard_utilisation") + 0.05


# --- outages --------------------------------------------------------------------------------


def outage_kw(**kw: Any) -> dict[str, Any]:
    base = {"groups": (2, 0, 0), "sizes": ["small"], "calls_per_year": 1100, "horizon_days": 60}
    return {**base, **kw}


def test_planned_outages_cost_time_and_throughput():
    # five 3-day maintenance windows of berth 1 (of 2), each 63% busy: a ship being handled
    # when a window opens stops until it closes
    windows = [(day, 72.0) for day in (10.0, 22.0, 34.0, 46.0, 57.0)]
    base = build(**outage_kw())
    down = build(**outage_kw(planned_outages=windows))
    res = run(down)
    assert kpi(res, "mean_delay_outage_h") > 0
    stopped = res.visits[res.visits["delay_outage_h"] > 0]
    assert len(stopped) >= 1 and (stopped["berth_id"] == "t1.g1.1").all()
    on = res.visits[res.visits["berth_id"] == "t1.g1.1"]
    spans = [(d * 24.0, d * 24.0 + h) for d, h in windows]
    for s, e in spans:
        # the berth takes no new ship while it is down
        assert not ((on["assigned_h"] > s) & (on["assigned_h"] < e)).any()
    # the level history shows the berth down for exactly the windows
    lv = res.levels[(res.levels["series"] == "berths_down") & (res.levels["terminal"] == "t1")]
    # (the last window closes at the horizon, which is not simulated)
    expect = [x for s, e in spans for x in ((s, 1.0), (e, 0.0)) if x[0] < 60 * 24.0]
    assert list(zip(lv["time_h"], lv["value"], strict=True)) == expect
    # the last window runs to the end: its backlog is not cleared within the horizon
    assert mean_kpi(down, "mean_wait_h") > 1.5 * mean_kpi(base, "mean_wait_h")
    assert mean_kpi(down, "throughput") < mean_kpi(base, "throughput")
    # two berths down at once hurt more than one
    both = build(**outage_kw(planned_outages=windows, outage_berths=2))
    assert mean_kpi(both, "mean_wait_h") > mean_kpi(down, "mean_wait_h")


def test_random_failures_cost_time_more_often_more_cost():
    base = build(**outage_kw(horizon_days=180))
    rare = build(**outage_kw(horizon_days=180, failures=(400.0, 24.0)))
    often = build(**outage_kw(horizon_days=180, failures=(60.0, 24.0)))
    w = {name: mean_kpi(s, "mean_wait_h") for name, s in (("0", base), ("r", rare), ("o", often))}
    o = {name: mean_kpi(s, "mean_delay_outage_h") for name, s in (("r", rare), ("o", often))}
    assert w["o"] > w["r"] > w["0"]
    assert o["o"] > 2 * o["r"] > 0
    res = run(often)
    lv = res.levels[res.levels["series"] == "berths_down"]
    assert len(lv) > 10 and set(lv["value"]) == {0.0, 1.0}


# --- other sections -------------------------------------------------------------------------


def test_warmup_is_dropped_from_the_kpis():
    data = scenario_dict(sizes=["small"], horizon_days=60)
    res0 = run(validate(data))
    data["scenario"]["warmup_days"] = 20
    res20 = run(validate(data))
    pd.testing.assert_frame_equal(res0.visits, res20.visits)
    v = res20.visits
    done = v["handling_end_h"].between(20 * 24.0, 60 * 24.0)
    assert kpi(res20, "calls") == done.sum() < kpi(res0, "calls")
    assert kpi(res20, "throughput") == pytest.approx(v.loc[done, "call_size"].sum())


def test_conversion_factors_weigh_teu_and_vehicles_in_tonnes():
    data = scenario_dict(sizes=["small"], horizon_days=30)
    base = run(validate(data))
    data["conversion"] = {"tons_per_teu": 24.0}
    heavy = run(validate(data))
    assert kpi(heavy, "throughput_t", "port") == pytest.approx(
        2 * kpi(base, "throughput_t", "port")
    )
    assert kpi(heavy, "throughput_teu", "port") == kpi(base, "throughput_teu", "port")


SHUTTLE = {
    "terminal": "t1",
    "vessels": 2,
    "capacity_teu": 500,
    "departure_days": [0, 3],
    "sea_time_h": 30,
    "shanghai_time_h": 12,
    "cutoff_h": 6,
    "demand": {"teu_per_year": 50_000},
}
CORRIDOR = {
    "latency_h": {"dist": "constant", "value": 0.1},
    "auto_clearance_h": {"dist": "constant", "value": 0.5},
    "manual_clearance_h": {"dist": "gamma", "mean": 6, "cv": 0.5},
}


def _acts(a: RunResult, b: RunResult) -> bool:
    """Whether two runs differ in any KPI or level history."""
    return not (a.kpis.equals(b.kpis) and a.levels.equals(b.levels))


@pytest.mark.parametrize(
    ("section", "value", "alongside"),
    [
        ("services", {"shuttle": SHUTTLE}, {}),
        # a corridor no service names
        ("corridors", {"corridor": CORRIDOR}, {"services": {"shuttle": SHUTTLE}}),
    ],
    ids=["shuttle", "corridor"],
)
def test_sections_act_or_say_they_are_not_simulated(section, value, alongside):
    # no dead settings: an enabled section either changes the run or says, in the notes,
    # that it is not simulated (the shuttle and corridor are validated before they are built)
    data = scenario_dict(sizes=["small"], horizon_days=30)
    data.update(copy.deepcopy(alongside))
    without = run(validate(data))
    assert not [n for n in without.notes if n.startswith(section)]
    data[section] = copy.deepcopy(value)
    res = run(validate(data))
    notes = [n for n in res.notes if n.startswith(section)]
    if notes:
        assert len(notes) == 1 and "not simulated" in notes[0]
        assert "no effect" in notes[0]
    else:
        assert _acts(without, res), f"{section} neither acts nor says it is not simulated"
    # switched off: nothing to warn about
    for item in data[section].values():
        item["enabled"] = False
    off = run(validate(data))
    assert not [n for n in off.notes if n.startswith(section)]


def test_the_shuttle_occupies_container_berths():
    # the shuttle's calls hold container berths: with it, the terminal is busier
    plain = scenario_dict(sizes=["small"], horizon_days=10)
    data = copy.deepcopy(plain)
    data["services"] = {"shuttle": copy.deepcopy(SHUTTLE) | {"corridor": "corridor"}}
    data["corridors"] = {"corridor": copy.deepcopy(CORRIDOR)}
    res = run(validate(data))
    base = run(validate(plain))
    occ = lambda r: r.kpis[r.kpis.metric == "berth_occupancy"]["value"].sum()  # noqa: E731
    assert occ(res) > occ(base)
    assert {"service", "link"} <= set(res.kpis.scope)
    assert not res.notes


def test_channel_module_agrees_with_the_scenario():
    # the tide windows the tests use are those of the scenario's tide
    scenario = validate(tide_data(window_h=3.0))
    ch = Channel(scenario.nautical, [])
    assert ch.in_tide_window(0.0) and ch.in_tide_window(12.42 + 1.4)
    assert not ch.in_tide_window(6.0)
