"""Berths and their allocation.

A ship takes the first free berth that fits it. Among waiting ships, a berth that comes
free goes to the first ship (in queue order) that fits it, so a waiting giant does not
block small ships behind it. Queue order is arrival order, or, with ``scheduled_first``,
liner calls ahead of the rest. A berth that is down (an outage) takes no new ship.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from typing import Any

import simpy


class Berth:
    """One berth: its limits, its equipment samplers and its state."""

    __slots__ = (
        "id",
        "group",
        "index",
        "global_index",
        "busy",
        "down",
        "fail_event",
        "up_event",
        "may_fail",
        "equipment",
        "rate",
        "efficiency",
        "berthing",
        "unberthing",
    )

    def __init__(
        self,
        berth_id: str,
        group: str,
        index: int,
        equipment: int,
        samplers: dict[str, Callable[[], float]],
    ):
        self.id = berth_id
        self.group = group
        self.index = index
        self.global_index = index
        self.busy = False
        self.down = 0  # outages in force (planned and random may overlap)
        self.fail_event: simpy.Event | None = None
        self.up_event: simpy.Event | None = None
        self.may_fail = False
        self.equipment = equipment
        self.rate = samplers["rate"]
        self.efficiency = samplers["efficiency"]
        self.berthing = samplers["berthing_h"]
        self.unberthing = samplers["unberthing_h"]


class BerthAllocator:
    """The berths of one terminal and the ships waiting for them.

    Args:
        env: The SimPy environment.
        berths: The terminal's berths in allocation order.
        fits: ``fits[class_index]`` is the tuple of berth indices a class fits.
        priority: Whether scheduled (liner) calls go ahead of other waiting ships.
    """

    def __init__(
        self,
        env: simpy.Environment,
        berths: list[Berth],
        fits: dict[int, tuple[int, ...]],
        priority: bool,
    ):
        self.env = env
        self.berths = berths
        self.fits = fits
        self.priority = priority
        self.fit_sets = {c: frozenset(ix) for c, ix in fits.items()}
        # entries: (rank, seq, class_index, event)
        self.waiting: list[tuple[int, int, int, simpy.Event]] = []
        self._seq = itertools.count()

    def request(self, ship_class: int, scheduled: bool) -> Berth | simpy.Event:
        """Take a free berth now, or return an event that yields the berth when one is given."""
        berths = self.berths
        for i in self.fits[ship_class]:
            b = berths[i]
            if not b.busy and not b.down:
                b.busy = True
                return b
        event = self.env.event()
        entry = (0 if (scheduled and self.priority) else 1, next(self._seq), ship_class, event)
        if self.priority:
            bisect.insort(self.waiting, entry, key=lambda e: (e[0], e[1]))
        else:
            self.waiting.append(entry)
        return event

    def release(self, berth: Berth) -> None:
        """Free a berth and hand it to the first waiting ship that fits it."""
        berth.busy = False
        if not berth.down:
            self._offer(berth)

    def _offer(self, berth: Berth) -> None:
        idx = berth.index
        for k, (_, _, cls, event) in enumerate(self.waiting):
            if idx in self.fit_sets[cls]:
                del self.waiting[k]
                berth.busy = True
                event.succeed(berth)
                return

    def berth_down(self, berth: Berth) -> None:
        """Start an outage of ``berth`` (a ship in service stops handling until repair)."""
        berth.down += 1
        if berth.down == 1:
            if berth.fail_event is not None and not berth.fail_event.triggered:
                berth.fail_event.succeed()
            berth.up_event = self.env.event()

    def berth_up(self, berth: Berth) -> None:
        """End an outage; an idle berth is offered to the waiting ships."""
        berth.down -= 1
        if berth.down == 0:
            berth.fail_event = self.env.event()
            up, berth.up_event = berth.up_event, None
            if up is not None:
                up.succeed()
            if not berth.busy:
                self._offer(berth)


class Yard:
    """A stock area with a capacity; discharging ships wait (FIFO) while it is full.

    Args:
        env: The SimPy environment.
        capacity: Capacity in the terminal's unit.
        initial: Stock at time 0.
        log: Called with ``(time_h, level)`` at every change.
    """

    def __init__(
        self,
        env: simpy.Environment,
        capacity: float,
        initial: float,
        log: Callable[[float, float], Any],
    ):
        self.env = env
        self.capacity = capacity
        self.level = initial
        self.log = log
        self.waiting: list[tuple[float, simpy.Event]] = []
        self.gone_inland = 0.0
        log(0.0, initial)

    def put(self, amount: float) -> simpy.Event | None:
        """Add ``amount`` (at most the capacity): None if it fits now, else an event."""
        if not self.waiting and self.level + amount <= self.capacity + 1e-9:
            self.level += amount
            self.log(self.env.now, self.level)
            return None
        event = self.env.event()
        self.waiting.append((amount, event))
        return event

    def take(self, amount: float) -> None:
        """Remove ``amount`` (it went inland) and let waiting ships discharge."""
        self.level -= amount
        self.gone_inland += amount
        while self.waiting and self.level + self.waiting[0][0] <= self.capacity + 1e-9:
            amount_in, event = self.waiting.pop(0)
            self.level += amount_in
            event.succeed()
        self.log(self.env.now, self.level)
