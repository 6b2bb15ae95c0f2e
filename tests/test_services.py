"""Several shuttle services and corridors: keys, streams, KPIs per service, conservation.

The single-service behaviour (timetable, load list, corridor) is in test_shuttle.py; here
the services are first-class: each has its own key, streams, KPI rows and boxes, shares its
terminal's berths with the ships and the other services, and a corridor serves every
service that names it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers_model import validate
from lygsim.errors import ScenarioError
from lygsim.metrics import box_balance, shuttle_calls_frame, transfer_boxes_frame
from lygsim.simulation import simulate
from test_shuttle import SHUTTLE_SETTINGS, check_berths_shared, kpi, run, shuttle_data

Data = dict[str, Any]


def two_services(corridor_for_second: str | None = "corridor", **kw: Any) -> Data:
    """The shuttle of ``shuttle_data`` and a second service ``feeder`` on the same terminal."""
    data = shuttle_data(**kw)
    second = copy.deepcopy(data["services"]["shuttle"])
    second.update(name="Second feeder", vessels=1, departure_days=[1, 5], capacity_teu=150.0)
    second["demand"] = dict(second["demand"], teu_per_year=8_000.0, batch_teu=2)
    second.pop("corridor", None)
    if corridor_for_second is not None:
        second["corridor"] = corridor_for_second
    data["services"]["feeder"] = second
    return data


def test_a_second_service_leaves_the_first_ones_draws_alone():
    one = run(shuttle_data(days=30, berths=6))
    both = run(two_services(days=30, berths=6))
    a = one.records.services["shuttle"]
    b = both.records.services["shuttle"]
    # the first service's own streams: the same bookings and northbound volumes
    assert np.array_equal(a.booked_h, b.booked_h)
    assert np.array_equal(a.calls.teu_in, b.calls.teu_in)
    feeder = both.records.services["feeder"]
    assert len(feeder.booked_h) > 0 and not np.array_equal(feeder.booked_h[:5], a.booked_h[:5])


def test_each_service_and_corridor_has_its_own_kpi_rows():
    res = run(two_services(days=40, berths=4))
    named = set(zip(res.kpis["scope"], res.kpis["name"], strict=True))
    assert {("service", "shuttle"), ("service", "feeder"), ("link", "corridor")} <= named
    assert kpi(res, "feeder", "shuttle_annual_capacity_teu") == pytest.approx(150.0 * 2 * 365 / 7)
    assert kpi(res, "feeder", "sailings") > 0
    # the corridor clears the boxes of both services: its share counts every batch
    boxes = transfer_boxes_frame(res.records)
    assert set(boxes["service"]) == {"shuttle", "feeder"}
    window = boxes[boxes["cleared_h"].notna()]
    mean = float((window["cleared_h"] - window["booked_h"]).mean())
    assert kpi(res, "corridor", "clearance_time_mean_h") == pytest.approx(mean, rel=1e-9)


def test_a_service_without_a_corridor_is_not_cleared_by_the_others():
    res = run(two_services(corridor_for_second=None, days=30, berths=4))
    boxes = transfer_boxes_frame(res.records)
    feeder = boxes[boxes["service"] == "feeder"]
    assert (feeder["cleared_h"] == feeder["booked_h"]).all()
    assert kpi(res, "feeder", "eta_shared_share") == 0.0
    assert kpi(res, "shuttle", "eta_shared_share") == 1.0


def test_two_corridors_each_serve_their_own_service():
    data = two_services(corridor_for_second="second_link", days=40, berths=4)
    data["corridors"]["second_link"] = dict(data["corridors"]["corridor"], enabled=False)
    res = run(data)
    assert kpi(res, "corridor", "availability") == 1.0
    assert kpi(res, "second_link", "availability") == 0.0
    assert kpi(res, "second_link", "cleared_by_corridor_share") == 0.0
    assert kpi(res, "corridor", "cleared_by_corridor_share") > 0.9


@SHUTTLE_SETTINGS
@given(
    berths=st.integers(1, 3),
    capacity=st.sampled_from([30.0, 400.0]),
    shared_corridor=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_boxes_are_conserved_per_service_on_one_terminal(berths, capacity, shared_corridor, seed):
    data = two_services(
        corridor_for_second="corridor" if shared_corridor else None,
        days=16.0,
        berths=berths,
        capacity=capacity,
        ship_calls=600.0,
        random_outages=(48.0, 6.0),
    )
    scenario = validate(data)
    res = simulate(scenario, seed=seed, replication=0)
    end = res.records.end_h
    calls = shuttle_calls_frame(res.records)
    boxes = transfer_boxes_frame(res.records)
    for key, sh in res.records.services.items():
        mine = calls[calls["service"] == key]
        for at in (end, end / 2 + 0.123):
            bal = box_balance(sh, at)
            assert bal["booked"] == bal["carried"] + bal["waiting"] + bal["in_clearance"]
            assert bal["carried"] == mine.loc[mine["departed_h"] <= at, "teu_out"].sum()
        assert (boxes["service"] == key).sum() * sh.batch_teu == box_balance(sh, end)["booked"]
        assert (mine["teu_out"] <= scenario.services[key].capacity_teu + 1e-6).all()
    # both services and the ships share the berths: never two at once, occupancy counts all
    check_berths_shared(scenario, res)
    lv = res.levels
    backlog = lv[lv["series"] == "shuttle_backlog"]["value"]
    k = res.kpis.set_index(["name", "metric"])["value"]
    both = k[("shuttle", "backlog_end_teu")] + k[("feeder", "backlog_end_teu")]
    assert (backlog >= 0).all() and backlog.iloc[-1] == both


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["services"]["shuttle"].update(corridor="nowhere"), "unknown corridor"),
        (lambda d: d["corridors"].update(shuttle=d["corridors"]["corridor"]), "also a service"),
        (lambda d: d["services"].update(weather=d["services"]["shuttle"]), "reserved"),
        (lambda d: d["corridors"].update(port=d["corridors"]["corridor"]), "reserved"),
        (lambda d: d["services"].update(t1=d["services"]["shuttle"]), "also a terminal"),
    ],
)
def test_clashing_keys_are_rejected(change, fragment):
    data = shuttle_data()
    change(data)
    with pytest.raises(ScenarioError, match=fragment):
        validate(data)


@pytest.mark.parametrize(("old", "new"), [("shuttle", "services:"), ("corridor", "corridors:")])
def test_the_old_sections_say_what_to_write_instead(old, new):
    data = shuttle_data()
    data[old] = {"enabled": True}
    with pytest.raises(ScenarioError) as err:
        validate(data)
    lines = [line for line in str(err.value).splitlines() if old in line]
    assert len(lines) == 1 and "removed" in lines[0] and new in lines[0]
