"""The building blocks of the scenario language: bounds, constrained types, the base model.

A leaf (pydantic and :mod:`lygsim.dists` only), so that both :mod:`lygsim.scenario` and the
vessel kinds in :mod:`lygsim.vessels`, which the scenario imports, can build on them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lygsim.dists import Integer, Number

MAX_HORIZON_DAYS = 36600.0
"""Longest simulated horizon in days (100 years): bounds ``horizon_days`` and ``--days``."""
MAX_HORIZON_H = MAX_HORIZON_DAYS * 24.0
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
"""Dates are refused outside 1900-2200: the calendar arithmetic (months, weekdays, growth
years) is only meant for the past and the planning future."""

# Upper bounds on sizes and durations, generous enough for any real port and ship: the
# largest ships afloat are about 565,000 dwt, 460 m long, 25 m deep; the largest container
# ships carry about 24,000 TEU and the largest car carriers about 10,000 CEU.
MAX_DWT_T = 1e6
MAX_LOA_M = 500.0
MAX_DRAFT_M = 30.0
MAX_CAPACITY_TEU = 30000.0
MAX_CAPACITY_CEU = 15000.0
MAX_CALL_H = 720.0
"""A per-call duration (berthing, transit, lateness, sea passage) beyond 30 days is a slip."""
MAX_EPISODE_H = 8784.0
"""A closure, repair, dwell or clearance longer than a year is a slip."""


def _in_dates(value: dt.date) -> dt.date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"must be a date between {FIRST_DATE} and {LAST_DATE} (got {value})")
    return value


def each_once(values: list[Any]) -> list[Any]:
    """A list validator: refuses a value listed twice."""
    seen: set[Any] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{v!r} is listed twice; list each once")
        seen.add(v)
    return values


Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)]
Date = Annotated[dt.date, AfterValidator(_in_dates)]
Fraction = Annotated[Number, Field(gt=0, le=1)]
Growth = Annotated[Number, Field(gt=-1, le=1)]
Factor = Annotated[Number, Field(gt=0, le=100)]
Weekday = Annotated[Integer, Field(ge=0, le=6)]
Weekdays = Annotated[list[Weekday], Field(min_length=1, max_length=7), AfterValidator(each_once)]
HourOfDay = Annotated[Number, Field(ge=0, lt=24)]
Dwt = Annotated[Number, Field(gt=0, le=MAX_DWT_T)]
Loa = Annotated[Number, Field(gt=0, le=MAX_LOA_M)]
Draft = Annotated[Number, Field(gt=0, le=MAX_DRAFT_M)]
Names = Annotated[list[Name], AfterValidator(each_once)]


class Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys rejected, defaults validated."""

    # validate_default: a default must pass the same checks as a value written in YAML
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, validate_default=True
    )


class CrossFieldError(ValueError):
    """Several cross-field problems, each with its own dotted path."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
