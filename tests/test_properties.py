"""Properties of the port model on random small scenarios (hypothesis).

Each example builds a scenario from random knobs (terminals, berth groups and sizes, ship
classes that fit only the big berths, every dispatch rule, Poisson, renewal and scheduled
arrivals, tide, weather closures, small yards, planned and random berth outages), runs one
replication of a few hundred hours and checks what must hold whatever the dice:

- conservation: every ship that arrived is departed, in service or waiting, its times in
  order with "not reached" (NaN) only at the tail, and its waits add up to its times;
- the causes of the wait (berth, tide, weather) add up to the wait, ship by ship and in
  the KPIs, ships still waiting at the end included; the delays at the berth do not count;
- every unit of cargo discharged to a yard is in the yard or gone inland;
- no berth serves two ships at once, no ship berths where it does not fit, and no berth
  that is down for planned maintenance takes a new ship;
- tide-bound ships move only inside tide windows and nobody moves during a closure;
- time never runs backward (visits and level histories);
- KPIs within their ranges; first come first served (or liners first, then first come
  first served) where every ship fits every berth.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpers_model import SIZE_NAMES, build, fitting_sizes, scenario_dict, validate
from lygsim.model.nautical import Channel
from lygsim.records import TIME_FIELDS, Records
from lygsim.rules import RULES
from lygsim.scenario import Scenario
from lygsim.simulation import simulate

TIMES = ["arrived_h", *TIME_FIELDS]
WAIT_COLUMNS = ("wait_berth_h", "wait_tide_h", "wait_weather_h")
DELAY_COLUMNS = (
    "delay_yard_h",
    "delay_outage_h",
    "delay_outbound_tide_h",
    "delay_outbound_weather_h",
)
EPS = 1e-9  # times are hours up to a few hundred: far above rounding, far below a step

# LYGSIM_PROPERTY_EXAMPLES=1000 for a longer hunt
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("LYGSIM_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- random scenarios -----------------------------------------------------------------------


MOSTLY = st.sampled_from([True, True, False])
# every registered rule, so a new rule is covered by these properties with no edit here
RULE_NAMES = tuple(RULES)


@st.composite
def dispatch(draw: st.DrawFn, sizes: list[str], rules: tuple[str, ...] = RULE_NAMES) -> Any:
    """A terminal's dispatch rule (see :func:`helpers_model.scenario_dict`'s ``dispatch``).

    The parameters a rule's class declares are drawn: ``order`` (a list of ship classes)
    and ``max_wait_h`` (a starvation guard); a rule with another parameter fails validation
    until it is given a strategy here.
    """
    rule = draw(st.sampled_from(rules))
    fields = RULES[rule].model_fields
    params = {
        "order": st.lists(st.sampled_from(sizes), min_size=1, unique=True),
        "max_wait_h": st.sampled_from([6.0, 48.0, 1000.0]),
    }
    drawn = {key: draw(strategy) for key, strategy in params.items() if key in fields}
    return {"rule": rule, **drawn} if drawn else rule


@st.composite
def knobs(
    draw: st.DrawFn,
    *,
    channel: bool | None = None,
    yard: bool | None = None,
    outages: bool | None = None,
    single_group: bool = False,
    rules: tuple[str, ...] = RULE_NAMES,
) -> dict[str, Any]:
    """Knobs of :func:`helpers_model.scenario_dict`; None = maybe, True = always, False = never."""
    k: dict[str, Any] = {}
    k["terminals"] = draw(st.integers(1, 3))
    if single_group:
        g = draw(st.integers(0, 2))
        groups = [0, 0, 0]
        groups[g] = draw(st.integers(1, 3))
    else:
        groups = draw(st.lists(st.integers(0, 3), min_size=3, max_size=3).filter(any))
    k["groups"] = tuple(groups)
    fit = fitting_sizes(groups)
    if single_group:
        # only sizes that fit the (single) group, so every ship fits every berth
        k["sizes"] = draw(st.lists(st.sampled_from(fit), min_size=1, max_size=3, unique=True))
    else:
        # mostly every size that fits somewhere, so giants that fit only g3 are common
        k["sizes"] = draw(
            st.one_of(
                st.just(list(fit)),
                st.lists(st.sampled_from(fit), min_size=1, max_size=3, unique=True),
            )
        )
    k["arrivals"] = draw(
        st.lists(st.sampled_from(["poisson", "renewal", "scheduled"]), min_size=1, max_size=3)
    )
    k["calls_per_year"] = draw(st.sampled_from([500.0, 1000.0, 2000.0, 3500.0]))
    if draw(st.booleans()):
        # liners all at one hour and always 2 h late: ships arriving at the same instant
        k["liner_hour"] = draw(st.sampled_from([0.0, 6.0, 13.5]))
        k["lateness_sd"] = 0.0
    k["horizon_days"] = draw(st.integers(10, 20))
    k["warmup_days"] = draw(st.sampled_from([0.0, 0.0, 2.0]))
    k["equipment"] = draw(st.integers(1, 4))
    k["rate"] = draw(st.sampled_from([20.0, 40.0, 80.0]))
    k["rate_cv"] = draw(st.sampled_from([0.0, 0.0, 0.4]))
    k["efficiency"] = draw(st.sampled_from([1.0, 0.7]))
    k["berthing_h"] = draw(st.sampled_from([0.0, 1.5]))
    k["unberthing_h"] = draw(st.sampled_from([0.0, 1.0]))
    k["dispatch"] = draw(dispatch(k["sizes"], rules))
    horizon_h = k["horizon_days"] * 24.0

    use_channel = draw(MOSTLY) if channel is None else channel
    if use_channel:
        k["tide"] = draw(st.booleans()) if channel is None else True
        if k["tide"]:
            k["tide_bound"] = draw(st.lists(st.sampled_from(SIZE_NAMES), max_size=3, unique=True))
            k["window_h"] = draw(st.sampled_from([1.0, 3.0, 6.0, 12.42]))
        k["transit_h"] = draw(st.sampled_from([0.0, 1.0]))
        k["closures"] = draw(
            st.lists(
                st.tuples(
                    st.one_of(st.just(0.0), st.floats(0, horizon_h / 24.0, allow_nan=False)),
                    st.floats(0.5, 72, allow_nan=False),
                ),
                max_size=4,
            )
        )
        k["random_closures_per_year"] = draw(st.sampled_from([0.0, 60.0, 300.0]))
        k["closure_mean_h"] = draw(st.sampled_from([4.0, 20.0]))

    use_yard = draw(MOSTLY) if yard is None else yard
    if use_yard:
        k["yard_capacity"] = draw(st.sampled_from([400.0, 1500.0, 5000.0, 1e6]))
        k["dwell_h"] = draw(st.sampled_from([5.0, 30.0, 120.0]))
        k["import_share"] = draw(st.sampled_from([1.0, 0.6]))
        k["yard_initial"] = draw(st.sampled_from([0.0, 0.5])) * min(k["yard_capacity"], 4000)

    use_outages = draw(MOSTLY) if outages is None else outages
    if use_outages:
        first = next(n for n in groups if n > 0)
        k["outage_berths"] = draw(st.integers(1, first))
        k["planned_outages"] = draw(
            st.lists(
                st.tuples(
                    st.floats(0, horizon_h / 24.0, allow_nan=False),
                    st.floats(1, 96, allow_nan=False),
                ),
                min_size=1,
                max_size=3,
            )
        )
        if draw(MOSTLY):
            k["failures"] = (
                draw(st.sampled_from([20.0, 100.0, 400.0])),
                draw(st.sampled_from([2.0, 12.0, 48.0])),
            )
    return k


@dataclasses.dataclass(frozen=True)
class Run:
    """The tables of one replication (a test may swap in a broken one)."""

    scenario: Scenario
    visits: pd.DataFrame
    levels: pd.DataFrame
    kpis: pd.DataFrame
    records: Records


def run(k: dict[str, Any], seed: int, *, stats: bool = True) -> tuple[Scenario, Run]:
    scenario = build(**k)
    r = simulate(scenario, seed=seed, replication=0)
    res = Run(scenario, r.visits, r.levels, r.kpis, r.records)
    if not stats:
        return scenario, res
    # shown by --hypothesis-show-statistics: how often each mechanism was exercised
    v = res.visits
    for col in ("wait_berth_h", "wait_tide_h", "wait_weather_h", "delay_yard_h", "delay_outage_h"):
        event(f"{col} > 0: {bool((v[col] > 0).any())}")
    event(f"ships: {'<50' if len(v) < 50 else '<200' if len(v) < 200 else '>=200'}")
    return scenario, res


seeds = st.integers(0, 2**31 - 1)


# --- checks ---------------------------------------------------------------------------------


def check_visit_times(scenario: Scenario, res: Run) -> None:
    v = res.visits
    end = scenario.scenario.horizon_days * 24.0
    assert len(v) > 0
    assert v["ship_id"].tolist() == list(range(len(v))), "one row per arrival, in order"
    times = v[TIMES].to_numpy()
    assert not np.isnan(times[:, 0]).any(), "every ship has an arrival time"
    assert (times[:, 0] >= 0).all() and (times[:, 0] < end).all()
    reached = ~np.isnan(times)
    # NaN only at the tail: once a step is not reached, no later step is
    assert (reached[:, :-1] >= reached[:, 1:]).all(), "a later step happened before an earlier"
    # event times never decrease along a visit
    diffs = np.diff(times, axis=1)
    ok = np.isnan(diffs) | (diffs >= -EPS)
    assert ok.all(), v.loc[~ok.all(axis=1), TIMES].head().to_string()
    assert (times[reached] <= end + EPS).all(), "nothing happens after the horizon"
    # every ship is departed, in service (berth held) or waiting (for a berth or the channel)
    departed = reached[:, 6]
    in_service = reached[:, 1] & ~departed
    waiting = ~reached[:, 1]
    assert (departed.astype(int) + in_service + waiting == 1).all()
    assert (v["berth_id"].isna() == waiting).all(), "a berth id exactly when a berth was given"
    # the waits split by cause add up: the wait (arrival to entering, so far for a ship
    # still waiting) is the berth's, the tide's and the weather's
    entered = reached[:, 2]
    wait = np.where(entered, v["entered_h"], end) - v["arrived_h"]
    assert np.allclose(v["wait_h"], wait, atol=1e-6)
    causes = v["wait_berth_h"] + v["wait_tide_h"] + v["wait_weather_h"]
    assert np.allclose(causes, v["wait_h"], atol=1e-6), "the causes of the wait do not add up"
    given = reached[:, 1]
    assert np.allclose(
        v.loc[given, "wait_berth_h"], (v["assigned_h"] - v["arrived_h"])[given], atol=1e-9
    )
    for col in (*WAIT_COLUMNS, *DELAY_COLUMNS):
        assert (v[col] >= 0).all(), col
    for col in ("wait_tide_h", "wait_weather_h"):
        assert (v.loc[waiting, col] == 0).all(), f"{col} of a ship without a berth"
    for col in ("delay_outbound_tide_h", "delay_outbound_weather_h"):
        assert (v.loc[~departed, col] == 0).all(), f"{col} of a ship that has not left"
    channel = v["wait_tide_h"] + v["wait_weather_h"]
    k = res.scenario
    # before the ship enters, only tide and weather hold it; afterwards only the departure
    pre = v["entered_h"] - v["assigned_h"]
    assert np.allclose(pre[entered], channel[entered], atol=1e-6), (
        "tide and weather waits do not add up to the time spent waiting for the channel"
    )
    post = v["departed_h"] - v["handling_end_h"]
    unberth = _constant(k, "unberthing_h")
    if unberth is not None:
        out = v["delay_outbound_tide_h"] + v["delay_outbound_weather_h"]
        assert np.allclose((post - unberth)[departed], out[departed], atol=1e-6), (
            "outbound tide and weather delays do not add up to the wait to leave"
        )
    approach = _constant(k, "berthing_h")
    transit = k.nautical.transit_h if k.nautical else 0.0
    if approach is not None:
        b = reached[:, 3]
        assert np.allclose(v.loc[b, "berthed_h"] - v.loc[b, "entered_h"], transit + approach)
    hs = reached[:, 4]
    assert np.allclose(
        (v["handling_start_h"] - v["berthed_h"])[hs], v.loc[hs, "delay_yard_h"], atol=1e-6
    )
    rate = _constant(k, "rate")
    if rate is not None:
        g = next(iter(next(iter(k.terminals.values())).berths.values()))
        eff = g.efficiency.mean
        he = reached[:, 5]
        handling = v["call_size"] / (g.equipment * rate * eff)
        got = (v["handling_end_h"] - v["handling_start_h"] - v["delay_outage_h"])[he]
        assert np.allclose(got, handling[he], rtol=1e-7, atol=1e-6)
    # the level histories agree with the visits at the end
    lv = res.levels
    for tname in k.terminals:
        m = (v["terminal"] == tname).to_numpy()
        for series, expect in (
            ("queue", int((m & ~entered).sum())),
            ("berths_busy", int((m & in_service).sum())),
        ):
            s = lv[(lv["series"] == series) & (lv["terminal"] == tname)]
            assert s["value"].iloc[-1] == expect, (tname, series)
            assert (s["value"] >= 0).all(), (tname, series)
        n_berths = sum(gr.count for gr in k.terminals[tname].berths.values())
        busy = lv[(lv["series"] == "berths_busy") & (lv["terminal"] == tname)]["value"]
        assert busy.max() <= n_berths, "more ships at berth than berths"


def _constant(scenario: Scenario, field: str) -> float | None:
    """The value of a berth-group field if it is the same constant in every group."""
    values = set()
    for term in scenario.terminals.values():
        for g in term.berths.values():
            d = getattr(g, field)
            if getattr(d, "dist", None) != "constant":
                return None
            values.add(d.value)
    return values.pop() if len(values) == 1 else None


def check_yards(scenario: Scenario, res: Run) -> None:
    v = res.visits
    for ti, (tname, term) in enumerate(scenario.terminals.items()):
        m = v["terminal"] == tname
        if term.yard is None:
            assert (v.loc[m, "yard_in"] == 0).all()
            continue
        initial, final, gone = res.records.yard_state[ti]
        assert initial == term.yard.initial
        total_in = v.loc[m, "yard_in"].sum()
        scale = max(1.0, initial + total_in)
        assert math.isclose(initial + total_in, final + gone, rel_tol=1e-9, abs_tol=1e-9 * scale)
        assert -1e-6 <= final <= term.yard.capacity + 1e-6
        # a ship that started handling has discharged its whole import share
        hs = m & v["handling_start_h"].notna()
        assert np.allclose(
            v.loc[hs, "yard_in"], v.loc[hs, "call_size"] * term.yard.import_share, rtol=1e-9
        )
        # one that has not may have discharged part of it, never more
        rest = m & v["handling_start_h"].isna()
        assert (
            v.loc[rest, "yard_in"] <= v.loc[rest, "call_size"] * term.yard.import_share + 1e-6
        ).all()
        y = res.levels[(res.levels["series"] == "yard") & (res.levels["terminal"] == tname)]
        assert y["value"].min() >= -1e-6
        assert y["value"].max() <= term.yard.capacity + 1e-6, "yard above capacity"
        assert math.isclose(y["value"].iloc[-1], final, abs_tol=1e-6 * scale)


def check_berths(scenario: Scenario, res: Run) -> None:
    v = res.visits
    end = scenario.scenario.horizon_days * 24.0
    served = v[v["berth_id"].notna()]
    for berth_id, rows in served.groupby("berth_id", observed=True):
        tname, gname, k = berth_id.split(".")
        group = scenario.terminals[tname].berths[gname]
        assert 1 <= int(k) <= group.count, berth_id
        # (d) every ship fits the berth it was given, at its own terminal
        for cname in rows["ship_class"].astype(str).unique():
            sc = scenario.ship_classes[cname]
            assert sc.terminal == tname, f"{cname} served at {tname}"
            assert group.fits(sc), f"{cname} does not fit {berth_id}"
        # (c) one ship at a time: [assigned, departed) do not overlap
        a = rows["assigned_h"].to_numpy()
        d = rows["departed_h"].fillna(end).to_numpy()
        order = np.argsort(a, kind="stable")
        a, d = a[order], d[order]
        assert (d[:-1] <= a[1:] + EPS).all(), f"{berth_id} serves two ships at once"
        assert np.isnan(rows["departed_h"]).sum() <= 1
    # a berth down for planned maintenance takes no new ship
    for out in scenario.disruptions.outages.values():
        ids = [f"{out.terminal}.{out.group}.{i + 1}" for i in range(out.berths)]
        on = v[v["berth_id"].isin(ids)]
        for w in out.planned:
            s, e = w.start_day * 24.0, w.start_day * 24.0 + w.duration_h
            inside = (on["assigned_h"] > s + EPS) & (on["assigned_h"] < e - EPS)
            assert not inside.any(), on.loc[inside, TIMES].to_string()


def check_channel(scenario: Scenario, res: Run) -> None:
    v = res.visits
    closures = res.records.closures
    channel = Channel(scenario.nautical, closures)
    # closures are merged, sorted and disjoint
    for (_, e0), (s1, _) in zip(closures, closures[1:], strict=False):
        assert e0 < s1
    for col in ("entered_h", "departed_h"):
        t = v[col].dropna()
        for s, e in closures:
            inside = (t >= s) & (t < e - EPS)
            assert not inside.any(), f"{col} inside closure [{s}, {e}): {t[inside].tolist()}"
        bound = v.loc[t.index, "ship_class"].astype(str).map(scenario.tide_bound)
        bad = [x for x in t[bound.to_numpy()] if not channel.in_tide_window(x)]
        assert not bad, f"tide-bound {col} outside tide windows: {bad[:5]}"
    # without a tide, nobody waits for one; without closures, nobody waits for weather
    if scenario.nautical is None or scenario.nautical.tide is None:
        assert (v["wait_tide_h"] == 0).all()
        assert (v["delay_outbound_tide_h"] == 0).all()
    if not closures:
        assert (v["wait_weather_h"] == 0).all()
        assert (v["delay_outbound_weather_h"] == 0).all()
    free = ~v["ship_class"].astype(str).map(scenario.tide_bound).astype(bool)
    assert (v.loc[free, "wait_tide_h"] == 0).all(), "a ship that is not tide-bound waited for tide"
    assert (v.loc[free, "delay_outbound_tide_h"] == 0).all(), "not tide-bound, held by the tide"


def check_levels_sorted(res: Run) -> None:
    lv = res.levels
    assert set(lv["series"]) >= {"queue", "berths_busy"}
    for key, s in lv.groupby(["series", "terminal"], observed=True):
        assert s["time_h"].is_monotonic_increasing, key
        assert s["time_h"].min() >= 0


def check_kpis(scenario: Scenario, res: Run) -> None:
    k = res.kpis
    assert not k.duplicated(["scope", "name", "metric"]).any()
    for tname in scenario.terminals:
        t = k[(k["scope"] == "terminal") & (k["name"] == tname)].set_index("metric")["value"]
        assert 0.0 <= t["berth_occupancy"] <= 1.0 + 1e-9
        assert t["mean_queue_length"] >= 0
        for metric in ("calls", "throughput"):
            assert t[metric] >= 0
        for metric in ("mean_wait_h", "p95_wait_h", "mean_service_h", "mean_turnaround_h"):
            assert math.isnan(t[metric]) or t[metric] >= 0, metric
        if scenario.terminals[tname].yard is not None:
            assert -1e-9 <= t["yard_utilisation"] <= 1.0 + 1e-9
        assert t["overloaded"] in (0.0, 1.0)
        assert math.isnan(t["offered_load"]) or t["offered_load"] >= 0


def check_wait_causes(scenario: Scenario, res: Run) -> None:
    """The mean wait of each terminal and of the port is the sum of its causes' means."""
    k = res.kpis
    for tname in (*scenario.terminals, "port"):
        t = k[k["name"] == tname].set_index("metric")["value"]
        parts = [t[f"mean_{c}"] for c in WAIT_COLUMNS]
        if math.isnan(t["mean_wait_h"]):
            assert all(math.isnan(p) for p in parts), tname
            continue
        assert math.isclose(sum(parts), t["mean_wait_h"], rel_tol=1e-9, abs_tol=1e-9), (
            tname,
            t["mean_wait_h"],
            parts,
        )
        # the delays at the berth are parts of the time at berth, over the same ships
        if tname != "port" and not math.isnan(t["mean_service_h"]):
            delays = sum(t[f"mean_{c}"] for c in DELAY_COLUMNS)
            assert 0 <= delays <= t["mean_service_h"] + 1e-9, (tname, delays)


# --- properties -----------------------------------------------------------------------------


def check_visits_and_levels(scenario: Scenario, res: Run) -> None:
    """Visit times consistent and every ship accounted for; level histories in time order."""
    check_visit_times(scenario, res)
    check_levels_sorted(res)


# each property: the scenario features it needs drawn (knobs options) and its check
PROPERTIES: dict[str, tuple[dict[str, Any], Any]] = {
    "visits_are_conserved_and_consistent": ({}, check_visits_and_levels),
    "every_unit_of_cargo_is_accounted_for": ({"yard": True}, check_yards),
    "berths_hold_one_ship_that_fits": ({}, check_berths),
    "ships_move_only_when_the_channel_is_open": ({"channel": True}, check_channel),
    "kpis_in_range": ({}, check_kpis),
    "the_causes_of_the_wait_add_up_to_the_wait": ({}, check_wait_causes),
}


@pytest.mark.parametrize("prop", list(PROPERTIES))
@PROPERTY_SETTINGS
@given(data=st.data(), seed=seeds)
def test_property_holds_in_random_scenarios(prop, data, seed):
    options, check = PROPERTIES[prop]
    scenario, res = run(data.draw(knobs(**options), label="knobs"), seed)
    check(scenario, res)


@PROPERTY_SETTINGS
@given(k=knobs(single_group=True, rules=("fcfs", "scheduled_first")), seed=seeds)
def test_first_come_first_served_when_every_ship_fits(k, seed):
    scenario, res = run(k, seed)
    for tname, term in scenario.terminals.items():
        v = res.visits[res.visits["terminal"] == tname].sort_values(
            ["arrived_h", "ship_id"], kind="stable"
        )
        if term.dispatch.rule == "fcfs":
            check_arrival_order(v)
            continue
        # scheduled_first: liner calls ahead of the rest, each kind in arrival order
        liners, others = v[v["scheduled"]], v[~v["scheduled"]]
        check_arrival_order(liners)
        check_arrival_order(others)
        # no liner call waits while a ship of another kind that came after it gets a berth
        rank = np.arange(len(v))
        li, oi = rank[v["scheduled"].to_numpy()], rank[~v["scheduled"].to_numpy()]
        la = np.nan_to_num(liners["assigned_h"].to_numpy(), nan=np.inf)
        oa = np.nan_to_num(others["assigned_h"].to_numpy(), nan=np.inf)
        later = oi[None, :] > li[:, None]
        jumped = later & (oa[None, :] < la[:, None] - EPS)
        assert not jumped.any(), "a later unscheduled ship was served before a waiting liner"


def check_arrival_order(v: pd.DataFrame) -> None:
    """Berths were given in arrival order (``v`` sorted by arrival)."""
    assigned = v["assigned_h"].to_numpy()
    got = ~np.isnan(assigned)
    # the ships still waiting at the end are the last to have arrived
    assert (got[:-1] >= got[1:]).all(), "a later ship got a berth before an earlier one"
    assert (np.diff(assigned[got]) >= -EPS).all(), "berths not given in arrival order"


def test_the_checks_can_fail():
    # the checks above must catch a broken table, or they prove nothing
    scenario, res = run(
        {"groups": (1, 0, 0), "calls_per_year": 3000, "horizon_days": 10}, 3, stats=False
    )
    check_berths(scenario, res)
    bad = res.visits.copy()
    i = bad.index[bad["wait_berth_h"] > 0][0]
    bad.loc[i, "assigned_h"] = bad.loc[i, "arrived_h"]  # two ships on the one berth
    broken = dataclasses.replace(res, visits=bad)
    with pytest.raises(AssertionError):  # overlap detected
        check_berths(scenario, broken)
    late = res.visits.copy()
    late.loc[0, "entered_h"] = np.nan  # a hole in the middle of the sequence
    broken = dataclasses.replace(res, visits=late)
    with pytest.raises(AssertionError):  # hole detected
        check_visit_times(scenario, broken)
    check_wait_causes(scenario, res)
    kpis = res.kpis.copy()
    kpis.loc[(kpis["name"] == "t1") & (kpis["metric"] == "mean_wait_tide_h"), "value"] += 1
    with pytest.raises(AssertionError):  # causes that do not add up detected
        check_wait_causes(scenario, dataclasses.replace(res, kpis=kpis))


def test_a_ship_still_waiting_at_the_end_gives_its_wait_so_far_to_its_cause():
    # one ship at 0.2 h, given the berth at once, held by a closure past the 1-day horizon
    res = simulate(validate(_one_ship(horizon_days=1, closures=[(0.0, 48.0)])), 1, 0)
    v = res.visits.iloc[0]
    assert np.isnan(v["entered_h"])
    assert v["wait_h"] == v["wait_weather_h"] == 24.0 - 0.2
    assert v["wait_berth_h"] == v["wait_tide_h"] == 0.0
    k = res.kpis[res.kpis["name"] == "t1"].set_index("metric")["value"]
    assert k["mean_wait_h"] == k["mean_wait_weather_h"] == 24.0 - 0.2
    assert np.isnan(k["mean_delay_outbound_weather_h"])  # no ship has left


def test_a_run_in_which_no_ship_arrives_gives_empty_tables():
    # 2023-01-02 is a Monday: a Friday service makes no call in a two-day horizon
    data = scenario_dict(sizes=["small"], arrivals="scheduled", horizon_days=2)
    data["arrivals"]["t1_small_arr"]["days_of_week"] = [4]
    res = simulate(validate(data), seed=1, replication=0)
    assert len(res.visits) == 0
    assert "arrived_h" in res.visits.columns
    k = res.kpis.set_index(["name", "metric"])["value"]
    assert k[("t1", "calls")] == 0
    assert k[("t1", "berth_occupancy")] == 0


# --- rounding: times reached by timeout(target - now) ---------------------------------------
# Exact IEEE-754 arithmetic with constant distributions (no random draws): these reproduce on
# any platform.


def _one_ship(**kw: Any) -> dict[str, Any]:
    """One ship of 24 units arriving at 0.2 h; with the defaults it handles for 0.4 h."""
    data = scenario_dict(groups=(1, 0, 0), sizes=["small"], arrivals="renewal", **kw)
    data["arrivals"]["t1_small_arr"].update(
        first_h=0.2, interarrival_h={"dist": "constant", "value": 1000.0}
    )
    data["ship_classes"]["t1_small"]["call_size"] = {"dist": "constant", "value": 24.0}
    return data


def test_time_never_runs_backward_exactly():
    # berthed = 0.2 + 0.0 + 0.1 = 0.30000000000000004, handling_end = that + 0.4 =
    # 0.7000000000000001, but the clock reaches 0.2 + (0.7000000000000001 - 0.2) = 0.7
    res = simulate(validate(_one_ship(horizon_days=1, berthing_h=0.1)), seed=1, replication=0)
    v = res.visits
    assert v["handling_end_h"].iloc[0] == 0.2 + 0.0 + 0.1 + 24.0 / (2 * 30.0)
    times = v[TIMES].to_numpy()
    assert (np.diff(times, axis=1) >= 0).all(), [repr(t) for t in times[0]]


def test_no_ship_enters_inside_a_closure_exactly():
    # a ship given a berth at 0.2 h during a closure [0, 0.9 h) may enter at 0.9 h, but the
    # clock reaches 0.2 + (0.9 - 0.2) = 0.8999999999999999
    res = simulate(validate(_one_ship(horizon_days=1, closures=[(0.0, 0.9)])), 1, 0)
    assert res.records.closures == [(0.0, 0.9)]
    entered = res.visits["entered_h"].iloc[0]
    assert entered >= 0.9, repr(entered)
