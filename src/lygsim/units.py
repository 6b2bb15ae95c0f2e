"""Units shared by the model, the analyses and the scenario generator (a leaf module)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import numpy as np

HOURS_PER_YEAR = 8766.0
"""Hours in a mean calendar year (365.25 days): arrival rates and growth are per year."""


class Conversion(Protocol):
    """What :func:`tonnes_per_unit` reads from a scenario's ``conversion`` section."""

    # read-only, so that frozen models satisfy it
    @property
    def tons_per_teu(self) -> float: ...  # noqa: D102

    @property
    def tons_per_vehicle(self) -> float: ...  # noqa: D102


def tonnes_per_unit(cargo: object, conversion: Conversion) -> float:
    """Tonnes that one unit of a terminal's throughput counts for in port statistics.

    Chinese port statistics count containers at ``conversion.tons_per_teu`` per TEU and
    vehicles at ``conversion.tons_per_vehicle`` each; bulk is counted in tonnes already.

    Args:
        cargo: The terminal's cargo kind (a :class:`lygsim.scenario.Cargo` or its value).
        conversion: The scenario's ``conversion`` section.

    Returns:
        Tonnes per TEU, per vehicle, or 1.0.
    """
    kind = getattr(cargo, "value", cargo)
    if kind == "container":
        return float(conversion.tons_per_teu)
    if kind == "roro":
        return float(conversion.tons_per_vehicle)
    return 1.0


def weekly_times_h(
    days_of_week: list[int], hour: float, every_weeks: int, start: dt.date, horizon_h: float
) -> np.ndarray:
    """A weekly timetable's times (hours from ``start``, 0 = Monday) before the horizon."""
    monday = -start.weekday() * 24.0  # hours from start to the Monday of its week (<= 0)
    weeks = int(horizon_h // (7 * 24)) + 2
    times = [
        monday + (w * 7 + d) * 24.0 + hour
        for w in range(0, weeks, every_weeks)
        for d in sorted(set(days_of_week))
    ]
    t = np.asarray(times)
    return t[(t >= 0) & (t < horizon_h)]
