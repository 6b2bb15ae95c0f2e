"""Ships: the arrival process and the visit of one ship.

A visit: arrive at the anchorage, wait for a berth, wait for the channel (tide, weather),
transit and berth, wait for yard space, handle (stopping while the berth is out of
service), wait at the berth for the channel, unberth and leave. The berth is held from the
moment it is assigned until the ship has left it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from lygsim.model.arrivals import ArrivalPlan
from lygsim.model.berths import Berth, BerthAllocator, Yard
from lygsim.model.nautical import Channel
from lygsim.records import (
    ASSIGNED,
    BERTH,
    BERTHED,
    DEPARTED,
    ENTERED,
    HEND,
    HSTART,
    WAIT_OUTAGE,
    WAIT_TIDE,
    WAIT_WEATHER,
    WAIT_YARD,
    YARD_IN,
    new_visit,
)


@dataclass
class ShipContext:
    """What a ship process needs to know about the port."""

    env: simpy.Environment
    records: list[list[Any]]
    allocators: list[BerthAllocator]
    class_terminal: tuple[int, ...]
    tide_bound: tuple[bool, ...]
    channel: Channel | None
    transit_h: float
    yards: list[Yard | None]
    import_share: list[float]
    dwell: list[Callable[[], float] | None]


def arrivals_process(ctx: ShipContext, plan: ArrivalPlan) -> Generator[simpy.Event, Any, None]:
    """Start a visit for every planned arrival, at its time."""
    env = ctx.env
    timeout = env.timeout
    process = env.process
    records = ctx.records
    terminal_of = ctx.class_terminal
    now = 0.0
    for i, (t, cls, size, sched) in enumerate(
        zip(
            plan.time_h.tolist(),
            plan.ship_class.tolist(),
            plan.call_size.tolist(),
            plan.scheduled.tolist(),
            strict=True,
        )
    ):
        if t > now:
            yield timeout(t - now)
            now = t
        term = terminal_of[cls]
        rec = new_visit(i, cls, term, sched, t, size)
        records.append(rec)
        process(visit_process(ctx, rec, cls, term, sched, size))


def visit_process(
    ctx: ShipContext, rec: list[Any], cls: int, term: int, sched: bool, size: float
) -> Generator[simpy.Event, Any, None]:
    """One ship's call, recording each step's time in ``rec``."""
    env = ctx.env
    alloc = ctx.allocators[term]
    berth = alloc.request(cls, sched)
    if not isinstance(berth, Berth):
        berth = yield berth
    rec[BERTH] = berth.global_index
    rec[ASSIGNED] = env.now

    channel = ctx.channel
    tide_bound = ctx.tide_bound[cls]
    if channel is not None:
        t_move, w_tide, w_weather = channel.next_move(env.now, tide_bound)
        if t_move > env.now:
            rec[WAIT_TIDE] += w_tide
            rec[WAIT_WEATHER] += w_weather
            yield env.timeout(t_move - env.now)
    rec[ENTERED] = env.now
    approach = ctx.transit_h + berth.berthing()
    if approach > 0:
        yield env.timeout(approach)
    rec[BERTHED] = env.now

    yard = ctx.yards[term]
    if yard is not None:
        amount = size * ctx.import_share[term]
        t0 = env.now
        # a call larger than the whole yard discharges in yard-sized parts
        left = amount
        while left > 0:
            part = min(left, yard.capacity)
            ev = yard.put(part)
            if ev is not None:
                yield ev
            left -= part
            rec[YARD_IN] += part
            gone = env.timeout(ctx.dwell[term]())  # type: ignore[misc]
            gone.callbacks.append(lambda _e, y=yard, p=part: y.take(p))
        rec[WAIT_YARD] = env.now - t0
    rec[HSTART] = env.now

    handling = size / (berth.equipment * berth.rate() * berth.efficiency())
    if not berth.may_fail:
        yield env.timeout(handling)
    else:
        remaining = handling
        while remaining > 1e-9:
            if berth.down:
                t0 = env.now
                yield berth.up_event  # type: ignore[misc]
                rec[WAIT_OUTAGE] += env.now - t0
                continue
            t0 = env.now
            yield env.timeout(remaining) | berth.fail_event  # type: ignore[operator]
            remaining -= env.now - t0
    rec[HEND] = env.now

    unberth = berth.unberthing()
    leave = env.now + unberth
    if channel is not None:
        t_move, w_tide, w_weather = channel.next_move(leave, tide_bound)
        rec[WAIT_TIDE] += w_tide
        rec[WAIT_WEATHER] += w_weather
        leave = t_move
    if leave > env.now:
        yield env.timeout(leave - env.now)
    rec[DEPARTED] = env.now
    alloc.release(berth)
