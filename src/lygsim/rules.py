"""Berth dispatch rules: which waiting ship a berth that comes free serves (a leaf module).

A rule is written in a scenario as a mapping with a ``rule`` tag and its parameters, for
example ``dispatch: {rule: class_priority, order: [vlcc, capesize]}``. Each rule is one
class here that is both things at once, as each distribution in :mod:`lygsim.dists` is:
the pydantic model of its parameters (what the scenario language validates and the
reference page documents) and the policy itself, for the berth allocator of one terminal
(:class:`~lygsim.model.berths.BerthAllocator`). The policy needs no SimPy, so it lives
below the scenario language, which imports :data:`Dispatch` from here.

A rule does two things for the allocator: it *ranks* a request that has to wait (a sort
key: the queue is kept in rank order, ties in request order) and it *chooses*, when a
berth comes free, which waiting request that fits the berth gets it (by default the first
in the queue). Rules are non-preemptive: a ship alongside is never sent away for a more
urgent one.

A request made in a reserved window (a shuttle whose ETA was shared) is not the rule's
business: the allocator serves reserved requests first, in request order, whatever the
rule, so every rule honours the window without knowing of it.

Adding a rule is a change to this file only: a subclass of :class:`DispatchRule` with a
``rule: Literal["name"]`` field, its parameters as further fields and a :meth:`~DispatchRule.
rank` (and a :meth:`~DispatchRule.choose` if needed), decorated with :func:`register`. The
registry builds :data:`Dispatch`, so the new variant is in the scenario language, the
generated reference and the loader's list of rules at once.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lygsim.dists import Number

MAX_WAIT_H = 8784.0
"""Longest starvation guard, h: a ship kept waiting over a year is a slip (the scenario
language's bound on episodes, ``MAX_EPISODE_H``)."""


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


class DispatchRule(BaseModel):
    """A terminal's dispatch rule (see the module docstring).

    ``ranked = False`` says every request has the same rank, so the allocator appends to
    the queue instead of inserting in order (first come, first served, at no cost).
    """

    # the same settings as the scenario language's models: a rule is part of a scenario
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    rule: str
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

    def named_classes(self) -> Mapping[str, Sequence[str]]:
        """The ship class names the rule's parameters hold, by field.

        The scenario checks each against the terminal's classes (a cross-field check: a
        rule does not know the scenario).
        """
        return {}


RULES: dict[str, type[DispatchRule]] = {}
"""The dispatch rules by their scenario name (``dispatch.rule``), in the order registered."""

R = TypeVar("R", bound=DispatchRule)


def register(cls: type[R]) -> type[R]:
    """Class decorator: make a rule available in scenarios under its ``rule`` tag."""
    (name,) = get_args(cls.model_fields["rule"].annotation)
    RULES[name] = cls
    return cls


@register
class FirstComeFirstServed(DispatchRule):
    """First come, first served among the waiting ships that fit the freed berth."""

    rule: Literal["fcfs"] = Field(description="`fcfs`: in arrival order.")
    ranked = False

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> int:  # noqa: D102
        return 0


@register
class ScheduledFirst(DispatchRule):
    """Liner (scheduled) calls ahead of the rest, first come first served within each."""

    rule: Literal["scheduled_first"] = Field(description="`scheduled_first`: liners first.")

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> int:  # noqa: D102
        return 0 if scheduled else 1


@register
class ClassPriority(DispatchRule):
    """Priority by ship class, first come first served within a class; non-preemptive."""

    rule: Literal["class_priority"] = Field(description="`class_priority`: by ship class.")
    # names are not pattern-checked here: the scenario checks each against the classes of
    # the terminal, which is stricter and says what the classes are
    order: Annotated[list[str], Field(min_length=1)] = Field(
        description="Ship classes of the terminal, highest priority first; classes not "
        "listed come after the listed ones, all at one level."
    )

    @field_validator("order")
    @classmethod
    def _listed_once(cls, order: list[str]) -> list[str]:
        for i, name in enumerate(order):
            if name in order[:i]:
                raise ValueError(f"{name!r} is listed twice; list each once")
        return order

    @cached_property
    def level(self) -> dict[str, int]:
        """Each listed class's level (0 first); every other class is at ``len(order)``."""
        # cached in the instance's __dict__, so that a rank costs one look-up there and
        # one in this dict (a pydantic private attribute is found through __getattr__, a
        # function call at every rank)
        return {name: i for i, name in enumerate(self.order)}

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> int:  # noqa: D102
        return self.level.get(kind.name, len(self.order))

    def named_classes(self) -> Mapping[str, Sequence[str]]:  # noqa: D102
        return {"order": self.order}


MaxWait = Annotated[
    Number,
    Field(
        gt=0,
        le=MAX_WAIT_H,
        description="A ship that has waited longer than this (h) goes first, oldest first "
        "(the starvation guard; at most 8,784 h).",
    ),
]


class StarvationGuard(DispatchRule):
    """A ranked rule under which a request that waited over ``max_wait_h`` goes first.

    Among such overdue requests that fit the berth, the oldest is served; without any,
    the rule's ranking decides.
    """

    max_wait_h: MaxWait

    def choose(self, waiting: Sequence[Waiting], fitting: frozenset[int], now: float) -> int:
        """The oldest overdue request that fits, or else the first in rank order that fits."""
        due = now - self.max_wait_h
        best, best_seq = -1, -1
        for k, (_, seq, kind, requested, _) in enumerate(waiting):
            if requested < due and kind in fitting and (best < 0 or seq < best_seq):
                best, best_seq = k, seq
        return best if best >= 0 else super().choose(waiting, fitting, now)


@register
class ShortestJobFirst(StarvationGuard):
    """Shortest expected service first, with a guard against starving long calls."""

    rule: Literal["shortest_job_first"] = Field(
        description="`shortest_job_first`: the call with the fewest expected hours of "
        "handling (call size over the class's mean rate at its berths) first."
    )

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> float:  # noqa: D102
        return work / kind.units_per_h


@register
class LargestFirst(StarvationGuard):
    """Largest ship (DWT) first, with a guard against starving small ships."""

    rule: Literal["largest_first"] = Field(description="`largest_first`: by dwt_t, largest first.")

    def rank(self, kind: VesselKind, scheduled: bool, work: float) -> float:  # noqa: D102
        return -kind.dwt_t


if TYPE_CHECKING:
    Dispatch = DispatchRule
else:
    # built from the registry, so a rule registered above is a scenario variant at once
    Dispatch = Annotated[Union[tuple(RULES.values())], Field(discriminator="rule")]  # noqa: UP007
"""A terminal's berth dispatch rule: one of :data:`RULES`, chosen by its ``rule`` tag."""
