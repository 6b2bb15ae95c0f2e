"""Plan files: a base scenario, options with their costs, strategies, the economics.

``lygsim plan FILE`` simulates every year of every strategy (:mod:`lygsim.plan`) and prices
it (:mod:`lygsim.economics`). This module is the file's language: the pydantic models,
every field described, so ``lygsim schema --markdown`` documents them;
:mod:`lygsim.planload` reads a file with its base scenario and options.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from lygsim.dists import Integer, Number
from lygsim.fields import CrossFieldError, Name, each_once

YEAR_MIN, YEAR_MAX = 1900, 2200
MAX_PLAN_YEARS = 100
MAX_STRATEGIES = 100
AMOUNT_UNITS = {"unit": 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
"""What ``economics.amounts_in`` may say, and the factor each stands for."""

Year = Annotated[Integer, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Money = Annotated[Number, Field(ge=0, le=1e12)]
PlanName = Name


class PlanModel(BaseModel):
    """Frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Years(PlanModel):
    """The calendar years the plan simulates, both included."""

    first: Year = Field(description="First simulated year (1900-2200).")
    last: Year = Field(description="Last simulated year, included (1900-2200).")

    @model_validator(mode="after")
    def _order(self) -> Years:
        if self.last < self.first:
            raise CrossFieldError([("last", f"must not be before first ({self.first})")])
        if self.last - self.first >= MAX_PLAN_YEARS:
            raise CrossFieldError([("last", f"at most {MAX_PLAN_YEARS} years from first")])
        return self


class ShipTimeRate(PlanModel):
    """The cost of one hour of a ship's time, in `economics.amounts_in`."""

    waiting_per_h: Money = Field(0.0, description="Cost per hour waiting (arrival to entering).")
    at_berth_per_h: Money = Field(
        0.0, description="Cost per hour from entering the channel to leaving the berth."
    )


class ShipTime(PlanModel):
    """The cost of ship time, by ship class."""

    default: ShipTimeRate = Field(
        default_factory=ShipTimeRate, description="Rates of every class not in by_class."
    )
    by_class: dict[PlanName, ShipTimeRate] = Field(
        default_factory=dict,
        description="Rates by ship class (a class of the base scenario or of an option).",
    )


class Economics(PlanModel):
    """How the plan prices building, operating and ship time."""

    currency: Annotated[str, Field(min_length=1, max_length=16)] = Field(
        "CNY", description="Currency of every amount, named in the outputs."
    )
    amounts_in: Literal["unit", "thousand", "million", "billion"] = Field(
        "million",
        description="Unit of every money field: `unit`, `thousand`, `million` or "
        "`billion` of the currency.",
    )
    discount_rate: Annotated[Number, Field(ge=0, le=1)] = Field(
        0.06, description="Real discount rate per year, as a fraction: 0.06 = 6%/yr."
    )
    base_year: Year | None = Field(
        None, description="Year to which amounts are discounted; unset: years.first."
    )
    ship_time: ShipTime = Field(
        default_factory=ShipTime, description="Cost of ship time by class; unset: none."
    )
    cargo_time_per_unit_h: dict[PlanName, Money] = Field(
        default_factory=dict,
        description="Cost of one unit of cargo (the terminal's unit) spending one hour in "
        "port aboard its ship (waiting or at berth), by terminal; unset: none.",
    )
    turned_away_per_unit: dict[PlanName, Money] = Field(
        default_factory=dict,
        description="Cost of one unit of cargo turned away, by terminal: the cargo of ships "
        "still waiting at the end of a year in which the terminal is overloaded.",
    )


class Option(PlanModel):
    """An option: a scenario file that changes the base, and what it costs."""

    file: Annotated[str, Field(min_length=1)] = Field(
        description="Option scenario file, relative to the plan file; it must `extends:` "
        "the plan's base and may not change the dates."
    )
    capex: Money = Field(description="Capital cost, in economics.amounts_in.")
    spending: Annotated[list[Annotated[Number, Field(ge=0, le=1)]], Field(min_length=1)] = Field(
        default_factory=lambda: [1.0],
        description="Share of the capital cost spent in each year before opening, the last "
        "one the year before the option opens; they sum to 1 (at most 30 years).",
    )
    opex_per_year: Money = Field(
        0.0, description="Operating cost in every year the option is open."
    )
    lead_time_years: Annotated[Integer, Field(ge=0, le=30)] = Field(
        0,
        description="Years from the year an `auto` trigger is crossed to the year the "
        "option opens (0-30).",
    )
    life_years: Annotated[Integer, Field(ge=1, le=200)] | None = Field(
        None,
        description="Economic life in years; the undepreciated share of the capital cost "
        "(straight line) is credited in years.last as a residual value; unset: none.",
    )

    @model_validator(mode="after")
    def _shares(self) -> Option:
        total = sum(self.spending)
        if len(self.spending) > 30:
            raise CrossFieldError([("spending", "at most 30 years of spending")])
        if abs(total - 1.0) > 1e-6:
            raise CrossFieldError([("spending", f"shares must sum to 1 (got {total:g})")])
        return self


class Trigger(PlanModel):
    """When an `auto` option is needed: a terminal's KPI above a level."""

    terminal: PlanName = Field(description="Terminal whose KPI is watched.")
    metric: PlanName = Field(
        description="A metric the terminal reports, e.g. wait_service_ratio, "
        "berth_occupancy or mean_wait_h (lygsim run lists them)."
    )
    above: Annotated[Number, Field(ge=-1e12, le=1e12)] = Field(
        description="The trigger is crossed in the first year the mean over replications "
        "exceeds this value."
    )


class YearRange(PlanModel):
    """A range of commissioning years to choose the best from."""

    from_: Year = Field(alias="from", description="Earliest commissioning year.")
    to: Year = Field(description="Latest commissioning year, included.")


class Entry(PlanModel):
    """One option of a strategy and when it opens."""

    option: PlanName = Field(description="The option (a key of options).")
    year: Year | Literal["auto"] | YearRange = Field(
        description="The year the option opens (within years); `auto` (opens lead_time_years "
        "after the first year its trigger is crossed); or {from, to}: each year of the "
        "range is simulated and the cheapest is reported."
    )
    trigger: Trigger | None = Field(None, description="With year `auto`: when to build.")

    @model_validator(mode="after")
    def _auto(self) -> Entry:
        if self.year == "auto" and self.trigger is None:
            raise CrossFieldError([("trigger", "year auto needs a trigger")])
        if self.year != "auto" and self.trigger is not None:
            raise CrossFieldError([("trigger", "only an entry with year auto has a trigger")])
        if isinstance(self.year, YearRange) and self.year.to < self.year.from_:
            raise CrossFieldError([("year.to", f"must not be before from ({self.year.from_})")])
        return self


def _each_option_once(entries: list[Entry]) -> list[Entry]:
    """Refuse an option listed twice in one strategy."""
    each_once([e.option for e in entries])
    return entries


class Plan(PlanModel):
    """A plan file: the root of `lygsim plan FILE`."""

    name: PlanName = Field(description="Name of the plan; names its results folder.")
    description: str = Field("", description="Free text shown in reports.")
    base: Annotated[str, Field(min_length=1)] = Field(
        description="Base scenario file, relative to the plan file; its observation window "
        "is moved to each simulated year."
    )
    years: Years = Field(description="The years simulated.")
    reps: Annotated[Integer, Field(ge=2, le=1000)] = Field(
        10, description="Replications of every year of every strategy (2-1000)."
    )
    seed: Annotated[Integer, Field(ge=0, le=2**63 - 1)] = Field(
        1, description="Random seed; every strategy and year uses it (common random numbers)."
    )
    reference: PlanName | None = Field(
        None,
        description="The strategy every other is compared with (delta_vs_base); unset: "
        "the first strategy.",
    )
    economics: Economics = Field(default_factory=Economics, description="Prices and discounting.")
    options: dict[PlanName, Option] = Field(default_factory=dict, description="Options by key.")
    strategies: Annotated[
        dict[PlanName, Annotated[list[Entry], AfterValidator(_each_option_once)]],
        Field(min_length=1, max_length=MAX_STRATEGIES),
    ] = Field(description="Strategies by name: each a list of entries ([] builds nothing).")

    @model_validator(mode="after")
    def _cross(self) -> Plan:
        problems: list[tuple[str, str]] = []
        first, last = self.years.first, self.years.last
        allowed = ", ".join(self.options) or "none defined"
        for sname, entries in self.strategies.items():
            ranges = 0
            for i, e in enumerate(entries):
                where = f"strategies.{sname}[{i}]"
                if e.option not in self.options:
                    problems.append(
                        (f"{where}.option", f"unknown option '{e.option}' (allowed: {allowed})")
                    )
                years = (
                    [e.year.from_, e.year.to]
                    if isinstance(e.year, YearRange)
                    else [e.year]
                    if isinstance(e.year, int)
                    else []
                )
                ranges += isinstance(e.year, YearRange)
                for y in years:
                    if not first <= y <= last:
                        problems.append((f"{where}.year", f"{y} is outside years {first}-{last}"))
            if ranges > 1:
                problems.append(
                    (f"strategies.{sname}", "at most one entry per strategy has a year range")
                )
        if self.reference is not None and self.reference not in self.strategies:
            problems.append(
                (
                    "reference",
                    f"unknown strategy '{self.reference}' (allowed: {', '.join(self.strategies)})",
                )
            )
        if problems:
            raise CrossFieldError(problems)
        return self

    @property
    def reference_strategy(self) -> str:
        """The strategy the others are compared with."""
        return self.reference or next(iter(self.strategies))

    @property
    def base_year(self) -> int:
        """The year amounts are discounted to."""
        return self.economics.base_year or self.years.first


def observation_year(start: dt.date, warmup_days: float) -> int:
    """The calendar year in which a scenario's observation window starts."""
    return (start + dt.timedelta(days=warmup_days)).year


__all__ = [
    "AMOUNT_UNITS",
    "Economics",
    "Entry",
    "Option",
    "Plan",
    "ShipTime",
    "ShipTimeRate",
    "Trigger",
    "YearRange",
    "Years",
    "observation_year",
]
