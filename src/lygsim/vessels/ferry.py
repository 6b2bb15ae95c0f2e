"""Ferry lines: a rotation of vessels on a weekly timetable, each call a fixed departure.

A ro-pax, ro-ro or container ferry keeps a published timetable: vessel ``v`` of
``vessels`` sails the departures ``v``, ``v + vessels``, ... from the port. For each
departure the vessel plans to arrive ``port_time_h`` before it (deviating by a
``lateness_h`` draw), but not before it is back from its previous round trip (``away_h``
after it left). It then takes a berth under the terminal's rule as a liner call, handles
a ``units_per_call`` draw at ``rate_per_h`` and casts off at the departure time, or when
done if that is later: a late ferry sails late, and its next call starts late too.

The draws come from the service's own stream ``KEY:calls``, all before the run, so adding
a ferry changes no other stream.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from lygsim.dists import Constant, Dist, Integer, Number
from lygsim.fields import MAX_CALL_H, HourOfDay, Weekdays
from lygsim.units import weekly_times_h
from lygsim.vessels.base import CallPlan, VesselRun, VesselService, register

if TYPE_CHECKING:
    import simpy


@register
class Ferry(VesselService):
    """A ferry line on a weekly timetable (ro-pax, ro-ro or a container feeder)."""

    kind: Literal["ferry"] = Field(description="`ferry`: a timetabled ferry line.")
    vessels: Annotated[Integer, Field(ge=1, le=50)] = Field(
        description="Vessels in the rotation; vessel v sails departures v, v + vessels, ..."
    )
    departure_days: Weekdays = Field(description="Departure days, 0 = Monday; each day once.")
    departure_hour: HourOfDay = Field(description="Timetabled departure, hour of the day.")
    port_time_h: Annotated[Number, Field(gt=0, le=MAX_CALL_H)] = Field(
        description="Planned hours from arrival at the anchorage to departure (at most 720)."
    )
    away_h: Annotated[Number, Field(gt=0, le=MAX_CALL_H * 4)] = Field(
        description="Hours from leaving the berth to being back at the anchorage: the "
        "round trip to the other ports (at most 2,880)."
    )
    lateness_h: Dist = Field(
        default_factory=lambda: Constant(dist="constant", value=0.0),
        description="Deviation of each arrival from its plan, h (negative = early).",
    )
    units_per_call: Dist = Field(
        description="Cargo handled per call, in the terminal's unit (vehicles, TEU or t)."
    )
    rate_per_h: Annotated[Number, Field(gt=0, le=1e5)] = Field(
        description="Handling rate at the berth, the terminal's unit per hour, all gear."
    )

    @model_validator(mode="after")
    def _checks(self) -> Ferry:
        if self.units_per_call.minimum < 0:
            raise ValueError("units_per_call can take negative values; use a non-negative one")
        return self

    def units_per_h(self) -> float:
        """The ferry's own handling rate."""
        return self.rate_per_h

    def start(self, run: VesselRun) -> None:
        """Draw every call's lateness and cargo, then start one process per vessel."""
        slots = weekly_times_h(
            self.departure_days, self.departure_hour, 1, run.start_date, run.horizon_h
        )
        rng = run.rng("calls")
        lateness = self.lateness_h.sample_n(rng, len(slots))
        units = np.maximum(self.units_per_call.sample_n(rng, len(slots)), 0.0)
        for v in range(min(self.vessels, len(slots))):
            run.env.process(self._vessel_process(run, v, slots, lateness, units))

    def _vessel_process(
        self,
        run: VesselRun,
        v: int,
        slots: np.ndarray,
        lateness: np.ndarray,
        units: np.ndarray,
    ) -> Generator[simpy.Event, Any, None]:
        back = 0.0  # at the anchorage when the run starts
        for k in range(v, len(slots), self.vessels):
            slot = float(slots[k])
            arrive = max(slot - self.port_time_h + float(lateness[k]), back, 0.0)
            load = float(units[k])
            plan = CallPlan(arrive, load / self.rate_per_h, load, leave_h=slot, scheduled=True)
            departed = yield from run.call(plan)
            back = departed + self.away_h
