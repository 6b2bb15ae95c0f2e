"""What a vessel kind is: its scenario section, its behaviour, and what the model lends it.

A vessel kind other than ship classes (a ferry line, a barge shuttle, cruise calls) is one
class: a pydantic model that is at once its entry in the scenario's ``services:`` section
(chosen by its ``kind:`` tag) and its behaviour, as a berth rule in :mod:`lygsim.rules` is.
Its :meth:`VesselService.start` starts the kind's SimPy processes, given a
:class:`VesselRun` through which the model lends it what every call needs: a berth under
the terminal's dispatch rule, the channel (tide, weather), berthing, work that stops while
the berth is down, unberthing and leaving; and the recording of each call, from which its
terminal's occupancy and queue and the kind's own KPI rows (scope ``service``) are computed.

This module and the kinds beside it are a leaf of the scenario language: pydantic, numpy
and the leaves, never :mod:`lygsim.model` nor :mod:`lygsim.scenario` (which imports them),
so imports keep flowing downward; SimPy only for type hints, since the scenario language
loads without it (a kind's process gets its environment from the run).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol, TypeVar, get_args

from pydantic import Field

from lygsim.fields import Draft, Dwt, Loa, Model, Name

if TYPE_CHECKING:  # the scenario language loads without SimPy; kinds use it when they run
    import numpy as np
    import simpy

    Step = Generator[simpy.Event, Any, float]
    """A SimPy process step that returns a time in hours."""


@dataclass(frozen=True)
class CallPlan:
    """What a vessel kind asks of one call (:meth:`VesselRun.call`).

    Attributes:
        arrive_h: When the vessel arrives at the anchorage.
        work_h: Hours of work at the berth (handling, or a fixed stay).
        units: Cargo handled, in the terminal's unit (recorded as the call's throughput).
        leave_h: Not before this time it leaves the berth (a timetabled departure).
        scheduled: Whether it asks for a berth as a liner (scheduled) call.
    """

    arrive_h: float
    work_h: float
    units: float = 0.0
    leave_h: float = -math.inf
    scheduled: bool = False


class VesselRun(Protocol):
    """What the model gives a running vessel kind (one service, one replication).

    Attributes:
        env: The SimPy environment (time in hours from the scenario's start date).
        key: The service's key in ``services:``.
        start_date: The scenario's start date (time 0).
        horizon_h: The simulated hours; nothing happens after it.
    """

    env: simpy.Environment
    key: str
    start_date: dt.date
    horizon_h: float

    def rng(self, purpose: str) -> np.random.Generator:
        """The service's own random stream ``KEY:purpose`` (no other purpose shares it)."""
        ...

    def call(self, plan: CallPlan) -> Step:
        """One call at the service's terminal, as ``plan`` says; returns the time it left.

        The vessel arrives at the anchorage at ``plan.arrive_h`` (or now, if later), waits
        for a berth under the terminal's dispatch rule, for the channel, transits and
        berths, works ``plan.work_h`` hours (stopping while the berth is down), stays until
        ``plan.leave_h`` if that is later, unberths, waits for the channel and leaves.
        """
        ...


class VesselService(Model):
    """The fields and the interface every vessel kind shares.

    A subclass adds ``kind: Literal["its_name"]`` (its tag in scenario files), its own
    fields, and :meth:`start`; it may narrow :attr:`cargo` and override :meth:`units_per_h`.
    """

    cargo: ClassVar[frozenset[str] | None] = None
    """The cargo kinds of terminal the kind may berth at (None: any)."""

    kind: str = Field(description="The kind's tag; a subclass narrows it to its name.")
    name: Annotated[str, Field(max_length=80)] | None = Field(
        None, description="Display name (figures, report); unset: the service's key."
    )
    enabled: bool = Field(True, description="false: the service does not run.")
    terminal: Name = Field(description="Terminal where the vessels berth (a key of terminals).")
    berth_group: Name | None = Field(None, description="Berth group used; unset: any that fits.")
    dwt_t: Dwt = Field(description="Deadweight, t, for berths and the channel.")
    loa_m: Loa = Field(description="Length overall, m, for berths and the channel.")
    draft_m: Draft = Field(description="Draft, m, for berths and the channel.")

    def units_per_h(self) -> float | None:
        """A call's handling rate, the terminal's unit per hour (None: the berths' own).

        Rules that rank by job length (``shortest_job_first``) divide a call by it.
        """
        return None

    def start(self, run: VesselRun) -> None:
        """Start the kind's SimPy processes for one replication."""
        raise NotImplementedError


KINDS: dict[str, type[VesselService]] = {}
"""The vessel kinds by tag, in registration order."""

V = TypeVar("V", bound=VesselService)


def register(cls: type[V]) -> type[V]:
    """Class decorator: make ``cls`` a vessel kind, named by its ``kind`` tag."""
    tags = get_args(cls.model_fields["kind"].annotation)
    if len(tags) != 1 or not isinstance(tags[0], str):
        raise TypeError(f"{cls.__name__} needs a field kind: Literal['name']")
    name = tags[0]
    if name in KINDS or name == "shuttle":
        raise TypeError(f"vessel kind '{name}' is registered twice")
    KINDS[name] = cls
    return cls
