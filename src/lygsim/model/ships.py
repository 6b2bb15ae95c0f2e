"""Ships: the arrival process and the visit of one ship.

A visit: arrive at the anchorage, wait for a berth, wait for the channel (tide, weather),
transit and berth, wait for yard space, handle (stopping while the berth is out of
service), wait at the berth for the channel, unberth and leave. The berth is held from the
moment it is assigned until the ship has left it.

The channel's closures and tide windows are known in advance, so stretches of a visit
that nothing can interrupt (berthing, handling at a berth that cannot fail, unberthing and
the wait to leave) are one timeout; their times are written when they are known and the
ones beyond the horizon are blanked when the records are read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from lygsim.model.arrivals import ArrivalPlan
from lygsim.model.berths import Berth, BerthAllocator, Yard
from lygsim.model.nautical import Channel
from lygsim.records import VisitColumns


def delay_to(now: float, target: float) -> float:
    """The delay that brings the clock from ``now`` to ``target`` exactly.

    The clock adds a delay to its own time, and ``now + (target - now)`` can miss
    ``target`` by the last bit; one step of the delay towards it fixes that, so a ship
    leaves exactly when a closure ends and exactly when its handling is over.
    """
    d = target - now
    if now + d != target:
        step = math.nextafter(d, math.inf if now + d < target else -math.inf)
        if now + step == target:
            return step
    return d


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
    """One ship's call; ``i`` is its row in the visit columns.

    Times are recorded as the model means them (a closure's end, handling start plus
    handling time), never earlier than the clock: the clock adds delays to its own time
    and can land a rounding bit short of the intended instant.
    """
    env = ctx.env
    c = ctx.cols
    alloc = ctx.allocators[term]
    berth = alloc.request(cls, sched, work=size)
    if berth.__class__ is not Berth:
        berth = yield berth
    now = max(env.now, arrived, berth.free_at)
    c.berth[i] = berth.global_index
    c.assigned_h[i] = now

    channel = ctx.channel
    tide_bound = ctx.tide_bound[cls]
    if channel is not None:
        t_move, w_tide, w_weather = channel.next_move(now, tide_bound)
        if t_move > now:
            c.wait_tide_h[i] = w_tide
            c.wait_weather_h[i] = w_weather
            yield env.timeout(delay_to(env.now, t_move))
            now = max(env.now, t_move)
    c.entered_h[i] = now
    berthed = now + ctx.transit_h + berth.berthing()
    c.berthed_h[i] = berthed

    yard = ctx.yards[term]
    if yard is not None or berth.may_fail:
        if berthed > env.now:
            yield env.timeout(delay_to(env.now, berthed))
        now = max(env.now, berthed)
        if yard is not None:
            # a call larger than the whole yard discharges in yard-sized parts
            left = size * ctx.import_share[term]
            waited = False
            while left > 0:
                part = min(left, yard.capacity)
                ev = yard.put(part)
                if ev is not None:
                    waited = True
                    yield ev
                left -= part
                c.yard_in[i] += part
            if waited:
                now = max(env.now, berthed)
            c.wait_yard_h[i] = now - berthed
        start = now
    else:
        start = berthed
    c.handling_start_h[i] = start

    handling = size / (berth.equipment * berth.rate() * berth.efficiency())
    if berth.may_fail:
        remaining = handling
        while remaining > 1e-9:
            if berth.down:
                t0 = env.now
                yield berth.up_event  # type: ignore[misc]
                c.wait_outage_h[i] += env.now - t0
                continue
            t0 = env.now
            yield env.timeout(remaining) | berth.fail_event  # type: ignore[operator]
            remaining -= env.now - t0
        end = max(env.now, start)
    else:
        end = start + handling
    c.handling_end_h[i] = end

    leave = end + berth.unberthing()
    if channel is not None:
        leave, w_tide, w_weather = channel.next_move(leave, tide_bound)
        c.wait_tide_out_h[i] = w_tide
        c.wait_weather_out_h[i] = w_weather
    c.departed_h[i] = leave
    if leave > env.now:
        yield env.timeout(delay_to(env.now, leave))
    alloc.release(berth, leave)


Sampler = Callable[[], float]
