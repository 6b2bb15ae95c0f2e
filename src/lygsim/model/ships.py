"""Ships: the arrival process and the visit of one ship, composed of the call steps.

A visit (:mod:`lygsim.model.call`): arrive at the anchorage, take a berth, wait for the
channel (tide, weather), transit and berth, wait for yard space, handle (stopping while the
berth is out of service), wait at the berth for the channel, unberth and leave. The berth
is held from the moment it is assigned until the ship has left it.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from lygsim.model.arrivals import ArrivalPlan
from lygsim.model.berths import BerthAllocator, Yard
from lygsim.model.call import (
    alongside,
    delay_to,
    discharge_to_yard,
    enter,
    leave,
    reached,
    take_berth,
    unberth,
    wait_until,
    work,
)
from lygsim.model.nautical import Channel
from lygsim.records import VisitColumns


@dataclass
class ShipContext:
    """What a ship process needs to know about the port."""

    env: simpy.Environment
    cols: VisitColumns
    allocators: list[BerthAllocator]
    class_terminal: tuple[int, ...]
    tide_bound: tuple[bool, ...]
    channel: Channel | None
    transit_h: float
    yards: list[Yard | None]
    import_share: list[float]
    end_h: float
    n_arrived: int = 0


def arrivals_process(ctx: ShipContext, plan: ArrivalPlan) -> Generator[simpy.Event, Any, None]:
    """Start a visit for every planned arrival, at its time."""
    env = ctx.env
    timeout = env.timeout
    process = env.process
    terminal_of = ctx.class_terminal
    now = 0.0
    # walk the plan in blocks: Python floats for speed without a list of every arrival
    block = 4096
    for first in range(0, len(plan), block):
        rows = zip(
            plan.time_h[first : first + block].tolist(),
            plan.ship_class[first : first + block].tolist(),
            plan.call_size[first : first + block].tolist(),
            plan.scheduled[first : first + block].tolist(),
            strict=True,
        )
        for i, (t, cls, size, sched) in enumerate(rows, start=first):
            if t > now:
                yield timeout(delay_to(now, t))
                now = env.now
            ctx.n_arrived = i + 1
            process(visit_process(ctx, i, cls, terminal_of[cls], sched, size, t))


def visit_process(
    ctx: ShipContext, i: int, cls: int, term: int, sched: bool, size: float, arrived: float
) -> Generator[simpy.Event, Any, None]:
    """One ship's call; ``i`` is its row in the visit columns, ``cls`` its vessel kind."""
    env = ctx.env
    c = ctx.cols
    alloc = ctx.allocators[term]
    berth, now = yield from take_berth(env, alloc, cls, sched, False, size, c, i, arrived)
    tide_bound = ctx.tide_bound[cls]
    now = yield from enter(env, ctx.channel, tide_bound, c, i, now)
    berthed = alongside(ctx.transit_h, berth.berthing, ctx.end_h, c, i, now)
    yard = ctx.yards[term]
    if yard is not None or berth.may_fail:
        # yard space and the berth's state are read when the ship is alongside
        now = yield from wait_until(env, now, berthed)
        if yard is not None:
            amount = size * ctx.import_share[term]
            now = yield from discharge_to_yard(env, yard, amount, c, i, berthed, now)
    else:
        now = berthed
    c.handling_start_h[i] = reached(now, ctx.end_h)
    hours = size / (berth.equipment * berth.rate() * berth.efficiency())
    end, stopped = yield from work(env, berth, now, hours)
    c.wait_outage_h[i] += stopped
    c.handling_end_h[i] = reached(end, ctx.end_h)
    out = unberth(ctx.channel, tide_bound, berth.unberthing, end)
    yield from leave(env, alloc, berth, c, i, end, out)
