"""Berths and their allocation.

A ship takes the first free berth that fits it. Among waiting ships, a berth that comes
free goes to the one the terminal's dispatch rule chooses among those that fit it
(:mod:`lygsim.rules`; under ``fcfs`` the first in arrival order, so a waiting giant
does not block small ships behind it). A request made in a reserved window (a shuttle
whose ETA was shared) goes ahead of every waiting ship whatever the rule. A berth that is
down (an outage) takes no new ship.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

from lygsim.rules import DispatchRule, VesselKind, Waiting


class Berth:
    """One berth: its limits, its equipment samplers and its state."""

    __slots__ = (
        "id",
        "group",
        "index",
        "global_index",
        "busy",
        "free_at",
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
        self.free_at = 0.0  # when the last ship left, as recorded (see ships.visit_process)
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
        kinds: Every kind of vessel that may call, by the index the port gave it.
        rule: The terminal's dispatch rule.
    """

    def __init__(
        self,
        env: simpy.Environment,
        berths: list[Berth],
        kinds: dict[int, VesselKind],
        rule: DispatchRule,
    ):
        self.env = env
        self.berths = berths
        self.kinds = kinds
        self.rule = rule
        self.fits = {k: v.fits for k, v in kinds.items()}
        # the kinds each berth takes: what a rule chooses among when the berth comes free
        self.fitting = [frozenset(k for k, v in kinds.items() if b.index in v.fits) for b in berths]
        self.waiting: list[Waiting] = []  # in the rule's rank order
        self.reserved: list[Waiting] = []  # reserved windows, in request order
        self._seq = itertools.count()
        self._ranked = rule.ranked
        # a rule that keeps the default choice (the first that fits) is not called: the
        # allocator scans the queue itself, as fast as a plain FIFO
        self._choose = None if type(rule).choose is DispatchRule.choose else rule.choose

    def request(
        self, kind: int, scheduled: bool, reserved: bool = False, work: float = 0.0
    ) -> Berth | simpy.Event:
        """Take a free berth now, or return an event that yields the berth when one is given.

        Args:
            kind: The vessel's kind (a key of ``kinds``).
            scheduled: Whether the call is a liner's.
            reserved: A reserved berth window: the request goes ahead of every waiting
                ship (after earlier reserved requests), whatever the rule.
            work: The call's size in the terminal's unit (for rules that need it).
        """
        berths = self.berths
        for i in self.fits[kind]:
            b = berths[i]
            if not b.busy and not b.down:
                b.busy = True
                return b
        event = self.env.event()
        if reserved:
            self.reserved.append((0, next(self._seq), kind, self.env.now, event))
        elif self._ranked:
            rank = self.rule.rank(self.kinds[kind], scheduled, work)
            bisect.insort(self.waiting, (rank, next(self._seq), kind, self.env.now, event))
        else:
            self.waiting.append((0, next(self._seq), kind, self.env.now, event))
        return event

    def release(self, berth: Berth, at: float | None = None) -> None:
        """Free a berth (its ship left at ``at``, default now) and offer it to waiting ships."""
        berth.busy = False
        berth.free_at = self.env.now if at is None else at
        if not berth.down:
            self._offer(berth)

    def _offer(self, berth: Berth) -> None:
        fitting = self.fitting[berth.index]
        queue = self.reserved
        k = -1
        if queue:
            k = _first_fit(queue, fitting)
        if k < 0:
            queue = self.waiting
            if not queue:
                return
            if self._choose is None:
                # inlined first-fit scan: the fcfs path, the hot one
                for k, entry in enumerate(queue):  # noqa: B007
                    if entry[2] in fitting:
                        break
                else:
                    return
            else:
                k = self._choose(queue, fitting, self.env.now)
                if k < 0:
                    return
        event = queue.pop(k)[4]
        berth.busy = True
        event.succeed(berth)

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


def _first_fit(queue: list[Waiting], fitting: frozenset[int]) -> int:
    """The position of the first request in ``queue`` whose kind is in ``fitting``, or -1."""
    for k, entry in enumerate(queue):
        if entry[2] in fitting:
            return k
    return -1


class Yard:
    """A stock area with a capacity; discharging ships wait (FIFO) while it is full.

    Cargo leaves inland after its dwell time. Departures are kept in a heap and applied
    lazily, when the yard is next touched, rather than as one SimPy event per call; a
    wake-up event is scheduled only while a ship is waiting for space.

    Args:
        env: The SimPy environment.
        capacity: Capacity in the terminal's unit.
        initial: Stock at time 0; it leaves as one lot after a drawn dwell.
        dwell: Draws the dwell time (h) of each discharged part.
        log: Called with ``(time_h, level)`` at every change, in time order.
    """

    def __init__(
        self,
        env: simpy.Environment,
        capacity: float,
        initial: float,
        dwell: Callable[[], float],
        log: Callable[[float, float], Any],
    ):
        self.env = env
        self.capacity = capacity
        self.level = initial
        self.dwell = dwell
        self.log = log
        self.due: list[tuple[float, int, float]] = []
        self.waiting: deque[tuple[float, simpy.Event]] = deque()
        self.gone_inland = 0.0
        self._seq = itertools.count()
        self._wake: simpy.Event | None = None
        log(0.0, initial)
        if initial > 0:
            heapq.heappush(self.due, (self.dwell(), next(self._seq), initial))

    def settle(self, t: float) -> None:
        """Apply every departure due at or before ``t``."""
        due = self.due
        while due and due[0][0] <= t:
            when, _, amount = heapq.heappop(due)
            self.level -= amount
            self.gone_inland += amount
            self.log(when, self.level)

    def _admit(self, amount: float) -> None:
        now = self.env.now
        self.level += amount
        self.log(now, self.level)
        heapq.heappush(self.due, (now + self.dwell(), next(self._seq), amount))

    def put(self, amount: float) -> simpy.Event | None:
        """Discharge ``amount`` (at most the capacity): None if done now, else an event."""
        self.settle(self.env.now)
        if not self.waiting and self.level + amount <= self.capacity + 1e-9:
            self._admit(amount)
            return None
        event = self.env.event()
        self.waiting.append((amount, event))
        self._arm()
        return event

    def _arm(self) -> None:
        if self.waiting and self._wake is None and self.due:
            self._wake = self.env.timeout(max(self.due[0][0] - self.env.now, 0.0))
            self._wake.callbacks.append(self._on_wake)

    def _on_wake(self, _event: simpy.Event) -> None:
        self._wake = None
        self.settle(self.env.now)
        while self.waiting and self.level + self.waiting[0][0] <= self.capacity + 1e-9:
            amount, event = self.waiting.popleft()
            self._admit(amount)
            event.succeed()
        self._arm()
