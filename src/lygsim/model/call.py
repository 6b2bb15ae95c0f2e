"""The steps of a call at a berth, which every vessel's process composes.

A call: take a berth under the terminal's rule (:func:`take_berth`), wait for the channel
(tide, weather) and enter (:func:`enter`), transit and come alongside (:func:`alongside`),
discharge into the yard (:func:`discharge_to_yard`), work (:func:`work`), unberth and wait
at the berth for the channel (:func:`unberth`), leave (:func:`leave`). A ship's visit
(:mod:`lygsim.model.ships`) and a shuttle service's call (:mod:`lygsim.model.services`)
are two compositions of these steps.

Each step takes and returns ``now``: the vessel's time as the model means it (a closure's
end, handling start plus handling time). The clock adds delays to its own time and can land
a rounding bit short of that instant, so the steps never let a recorded time fall behind
``now``. Steps that decide something from the port's state (a berth, yard space, whether
the berth is down) or draw from a stream shared with other vessels run at their time;
a stretch that nothing can interrupt (berthing, handling at a berth that cannot fail,
unberthing) is plain arithmetic, waited through with a single timeout by the next step
that needs the clock. That keeps a call to a handful of SimPy events.

Columns (:class:`lygsim.records.VisitColumns`, :class:`lygsim.records.ServiceCallColumns`)
are written by the step that knows the value. A time inside an uninterruptible stretch is
known before the clock reaches it; :func:`reached` writes it then only if the run gets
there (the horizon is fixed before the run), so no time is ever written that did not
happen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from lygsim.model.berths import Berth, BerthAllocator, Yard
from lygsim.model.nautical import Channel

Step = Generator[simpy.Event, Any, float]
"""A step that may wait; it returns the vessel's time as meant."""


class CallColumns(Protocol):
    """The columns every call writes (ships' visits and services' calls have them)."""

    berth: Any
    assigned_h: Any
    entered_h: Any
    berthed_h: Any
    departed_h: Any
    wait_tide_h: Any
    wait_weather_h: Any
    wait_outage_h: Any
    wait_tide_out_h: Any
    wait_weather_out_h: Any


def delay_to(now: float, target: float) -> float:
    """The delay that brings the clock from ``now`` to ``target`` exactly.

    The clock adds a delay to its own time, and ``now + (target - now)`` can miss
    ``target`` by the last bit; one step of the delay towards it fixes that, so a vessel
    leaves exactly when a closure ends and exactly when its work is over.
    """
    d = target - now
    if now + d != target:
        step = math.nextafter(d, math.inf if now + d < target else -math.inf)
        if now + step == target:
            return step
    return d


def reached(t: float, end_h: float) -> float:
    """``t`` if the run reaches it (before the horizon ``end_h``), else NaN (not reached)."""
    return t if t < end_h else math.nan


def wait_until(env: simpy.Environment, now: float, t: float) -> Step:
    """Wait until ``t`` (or ``now``, if later): the clock catches up with the vessel."""
    if t < now:
        t = now
    if t > env.now:
        yield env.timeout(delay_to(env.now, t))
    return max(env.now, t)


def take_berth(
    env: simpy.Environment,
    alloc: BerthAllocator,
    kind: int,
    scheduled: bool,
    reserved: bool,
    work: float,
    cols: CallColumns,
    i: int,
    now: float,
) -> Generator[simpy.Event, Any, tuple[Berth, float]]:
    """Wait for a berth of the terminal under its rule; returns it and the time it is had.

    ``kind`` indexes the vessel kinds of the terminal's allocator (ship classes, then
    services); ``reserved`` asks for a reserved window (ahead of every waiting ship);
    ``work`` is the call's size in the terminal's unit (for rules that rank by job length).
    """
    berth = alloc.request(kind, scheduled, reserved, work)
    if not isinstance(berth, Berth):
        berth = yield berth
    now = max(env.now, now, berth.free_at)
    cols.berth[i] = berth.global_index
    cols.assigned_h[i] = now
    return berth, now


def enter(
    env: simpy.Environment,
    channel: Channel | None,
    tide_bound: bool,
    cols: CallColumns,
    i: int,
    now: float,
) -> Step:
    """Wait at the anchorage for the channel (tide, weather), then enter it."""
    if channel is not None:
        t_move, w_tide, w_weather = channel.next_move(now, tide_bound)
        if t_move > now:
            cols.wait_tide_h[i] += w_tide
            cols.wait_weather_h[i] += w_weather
            now = yield from wait_until(env, now, t_move)
    cols.entered_h[i] = now
    return now


def alongside(
    transit_h: float,
    berthing: Callable[[], float],
    end_h: float,
    cols: CallColumns,
    i: int,
    now: float,
) -> float:
    """Transit the channel and berth (nothing interrupts it): the time alongside."""
    berthed = now + transit_h + berthing()
    cols.berthed_h[i] = reached(berthed, end_h)
    return berthed


def discharge_to_yard(
    env: simpy.Environment,
    yard: Yard,
    amount: float,
    cols: Any,
    i: int,
    berthed: float,
    now: float,
) -> Step:
    """Wait for yard space for ``amount`` (the import share of the call) and discharge it.

    A call larger than the whole yard discharges in yard-sized parts. Writes ``yard_in``
    and ``wait_yard_h`` (from ``berthed``).
    """
    waited = False
    while amount > 0:
        part = min(amount, yard.capacity)
        ev = yard.put(part)
        if ev is not None:
            waited = True
            yield ev
        amount -= part
        cols.yard_in[i] += part
    if waited:
        now = max(env.now, berthed)
    cols.wait_yard_h[i] = now - berthed
    return now


def work(
    env: simpy.Environment, berth: Berth, start: float, hours: float
) -> Generator[simpy.Event, Any, tuple[float, float]]:
    """``hours`` of work at ``berth`` from ``start``, stopping while the berth is down.

    Returns ``(end_h, stopped_h)``. At a berth that cannot fail nothing interrupts the
    work: no event, the caller's next wait covers it.
    """
    if not berth.may_fail:
        return start + hours, 0.0
    stopped = 0.0
    remaining = hours
    while remaining > 1e-9:
        if berth.down:
            t0 = env.now
            yield berth.up_event  # type: ignore[misc]
            stopped += env.now - t0
            continue
        t0 = env.now
        yield env.timeout(remaining) | berth.fail_event  # type: ignore[operator]
        remaining -= env.now - t0
    return max(env.now, start), stopped


def unberth(
    channel: Channel | None, tide_bound: bool, unberthing: Callable[[], float], now: float
) -> tuple[float, float, float]:
    """Unberth, then wait at the berth for the channel: ``(leave_h, tide_h, weather_h)``."""
    leave = now + unberthing()
    if channel is None:
        return leave, 0.0, 0.0
    return channel.next_move(leave, tide_bound)


def leave(
    env: simpy.Environment,
    alloc: BerthAllocator,
    berth: Berth,
    cols: CallColumns,
    i: int,
    now: float,
    out: tuple[float, float, float],
) -> Step:
    """Wait until the time to leave (from :func:`unberth`), leave and free the berth."""
    t, w_tide, w_weather = out
    if t > env.now:  # t >= now (unberthing takes no negative time): as wait_until, inline
        yield env.timeout(delay_to(env.now, t))
    cols.wait_tide_out_h[i] = w_tide
    cols.wait_weather_out_h[i] = w_weather
    cols.departed_h[i] = t
    alloc.release(berth, t)
    return t
