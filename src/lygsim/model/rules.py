"""Berth dispatch rules: which waiting ship a berth that comes free serves.

A rule does two things for the allocator of one terminal (:class:`~lygsim.model.berths.
BerthAllocator`): it *ranks* a request that has to wait (a sort key: the queue is kept in
rank order, ties in request order) and it *chooses*, when a berth comes free, which
waiting request that fits the berth gets it (by default the first in the queue). Rules are
non-preemptive: a ship alongside is never sent away for a more urgent one.

A request made in a reserved window (a shuttle whose ETA was shared) is not the rule's
business: the allocator serves reserved requests first, in request order, whatever the
rule, so every rule honours the window without knowing of it.

Adding a rule: write a subclass of :class:`DispatchRule` here whose ``__init__`` takes the
rule's scenario parameters as keywords, decorate it with ``@register("name")``, and add
its parameters as a variant of ``Dispatch`` in :mod:`lygsim.scenario` (the scenario
language does not import the model, so that is the second place; a test checks the two
lists agree).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class VesselKind:
    """What a terminal's allocator and its rule know of one kind of vessel.

    Attributes:
        name: The ship class's name, or the vessel service's key.
        fits: The terminal-local indices of the berths it fits, in allocation order.
        dwt_t: Deadweight, t.
        units_per_h: Mean handling rate at the berths it fits (terminal unit per hour),
            for rules that estimate the length of a call.
    """

    name: str
    fits: tuple[int, ...]
    dwt_t: float
    units_per_h: float


Waiting = tuple[Any, int, int, float, Any]
"""A waiting request: ``(rank, seq, kind, requested_h, event)``. ``seq`` is unique and
grows with time, so tuples sort by rank and then in request order."""


class DispatchRule(ABC):
    """A terminal's dispatch rule (see the module docstring).

    ``ranked = False`` says every request has the same rank, so the allocator appends to
    the queue instead of inserting in order (first come, first served, at no cost).
    """

    name: ClassVar[str] = ""
    ranked: ClassVar[bool] = True

    @abstractmethod
    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> Any:
        """The sort key of a request that waits: lower is served first.

        Args:
            kind: The requesting vessel's kind.
            scheduled: Whether the call is a liner's (timetabled).
            work: The call's size in the terminal's unit.
        """

    def choose(self, waiting: Sequence[Waiting], fitting: frozenset[int], now: float) -> int:
        """The position in ``waiting`` of the request a free berth serves, or -1 for none.

        Args:
            waiting: The queue, in rank order.
            fitting: The kinds that fit the free berth.
            now: The current time (h).
        """
        for k, entry in enumerate(waiting):
            if entry[2] in fitting:
                return k
        return -1


RULES: dict[str, type[DispatchRule]] = {}
"""The dispatch rules by their scenario name (``dispatch.rule``)."""


def register(name: str) -> Callable[[type[DispatchRule]], type[DispatchRule]]:
    """Class decorator: make a rule available in scenarios as ``dispatch: {rule: name}``."""

    def add(cls: type[DispatchRule]) -> type[DispatchRule]:
        cls.name = name
        RULES[name] = cls
        return cls

    return add


def make_rule(spec: BaseModel) -> DispatchRule:
    """The rule a terminal's ``dispatch`` names, built from its other fields."""
    params = spec.model_dump()
    return RULES[params.pop("rule")](**params)


@register("fcfs")
class FirstComeFirstServed(DispatchRule):
    """First come, first served among the waiting ships that fit the berth."""

    ranked = False

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> int:  # noqa: D102
        return 0


@register("scheduled_first")
class ScheduledFirst(DispatchRule):
    """Liner (scheduled) calls ahead of the rest, first come first served within each."""

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> int:  # noqa: D102
        return 0 if scheduled else 1


@register("class_priority")
class ClassPriority(DispatchRule):
    """Priority by ship class: the classes in ``order`` first, then every other class."""

    def __init__(self, order: Sequence[str]):
        self.level = {name: i for i, name in enumerate(order)}
        self.unlisted = len(order)

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> int:  # noqa: D102
        return self.level.get(kind.name, self.unlisted)


class StarvationGuard(DispatchRule):
    """A ranked rule under which a request that waited over ``max_wait_h`` goes first.

    Among such overdue requests that fit the berth, the oldest is served; without any,
    the rule's ranking decides.
    """

    def __init__(self, max_wait_h: float):
        self.max_wait_h = max_wait_h

    def choose(self, waiting: Sequence[Waiting], fitting: frozenset[int], now: float) -> int:
        """The oldest overdue request that fits, or else the first in rank order that fits."""
        due = now - self.max_wait_h
        best, best_seq = -1, -1
        for k, (_, seq, kind, requested, _) in enumerate(waiting):
            if requested < due and kind in fitting and (best < 0 or seq < best_seq):
                best, best_seq = k, seq
        return best if best >= 0 else super().choose(waiting, fitting, now)


@register("shortest_job_first")
class ShortestJobFirst(StarvationGuard):
    """The call with the fewest expected hours of handling first (size / mean rate)."""

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> float:  # noqa: D102
        return work / kind.units_per_h


@register("largest_first")
class LargestFirst(StarvationGuard):
    """The largest ship (by deadweight) first."""

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> float:  # noqa: D102
        return -kind.dwt_t
