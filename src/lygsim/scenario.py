"""The scenario: a typed, frozen description of a port and its demand.

Pydantic v2 models, ``extra="forbid"`` everywhere so a misspelt key is an error, with the
cross-field checks a planner would otherwise only discover when a run goes wrong. Loading
YAML files (``extends:``, ``--set`` overrides, error messages) lives in :mod:`lygsim.loader`.
No SimPy here.

Units are in field names: ``_h`` hours, ``_m`` metres, ``_t`` tonnes, ``_teu``, ``_days``.
A terminal's cargo kind fixes its unit: containers in TEU, ro-ro in vehicles, the rest in t.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from lygsim.dists import Constant, Dist, Integer, Number
from lygsim.fields import (
    MAX_CALL_H,
    MAX_CAPACITY_CEU,
    MAX_CAPACITY_TEU,
    MAX_DWT_T,
    MAX_EPISODE_H,
    MAX_HORIZON_DAYS,
    MAX_HORIZON_H,
    CrossFieldError,
    Date,
    Draft,
    Dwt,
    Factor,
    Fraction,
    Growth,
    HourOfDay,
    Loa,
    Model,
    Name,
    Names,
    Weekdays,
)
from lygsim.rules import RULES, Dispatch, FirstComeFirstServed
from lygsim.vessels import KINDS as VESSEL_KINDS
from lygsim.vessels import VesselService


class Cargo(StrEnum):
    """Cargo kinds; each terminal handles one."""

    container = "container"
    ore = "ore"
    crude = "crude"
    dry_bulk = "dry_bulk"
    liquid_bulk = "liquid_bulk"
    roro = "roro"


UNITS = {
    Cargo.container: "TEU",
    Cargo.ore: "t",
    Cargo.crude: "t",
    Cargo.dry_bulk: "t",
    Cargo.liquid_bulk: "t",
    Cargo.roro: "vehicles",
}

UNIT_NOTE = (
    "the terminal's unit: TEU at container terminals, vehicles at ro-ro terminals, "
    "tonnes (t) at the others"
)


def _constant(value: float) -> Callable[[], Constant]:
    """A default factory for a distribution field that defaults to a constant."""
    return lambda: Constant(dist="constant", value=value)


def _nonneg(name: str, d: object) -> None:
    if d is not None and getattr(d, "minimum", 0.0) < 0:
        # a CrossFieldError so that the reported path ends in the field's own name
        raise CrossFieldError(
            [
                (
                    name,
                    "this distribution can take negative values; durations, sizes "
                    "and rates must be >= 0 (use gamma, lognormal, erlang, ... instead)",
                )
            ]
        )


def _dist_range(
    problems: list[tuple[str, str]],
    name: str,
    d: Any,
    high: float,
    unit: str,
    low: float | None = None,
) -> None:
    """Check that a distribution's mean lies within ``[low, high]`` (its unit for the message)."""
    if d is None:
        return
    if d.mean > high:
        problems.append(
            (name, f"mean {d.mean:g} {unit} is above the upper bound of {high:g} {unit}")
        )
    elif low is not None and d.mean < low:
        problems.append(
            (name, f"mean {d.mean:g} {unit} is below the lower bound of {low:g} {unit}")
        )


def _raise(problems: Sequence[tuple[str, str]]) -> None:
    if problems:
        raise CrossFieldError(list(problems))


class Window(Model):
    """A fixed episode: starts ``start_day`` days after the start date, lasts ``duration_h``."""

    start_day: Annotated[Number, Field(ge=0, le=MAX_HORIZON_DAYS)] = Field(
        description="Days from the start date to the start of the episode (at most 36,600)."
    )
    duration_h: Annotated[Number, Field(gt=0, le=MAX_HORIZON_H)] = Field(
        description="Length of the episode in hours (at most the longest horizon)."
    )


class Metadata(Model):
    """Who and what the scenario describes."""

    name: Name = Field(description="Name of the scenario; names the results folder.")
    description: str = Field("", description="Free text shown in reports.")
    start_date: Date = Field(description="Calendar date of simulation time 0 (1900-2200).")
    horizon_days: Annotated[Number, Field(gt=0, le=MAX_HORIZON_DAYS)] = Field(
        description="Simulated days, warm-up included (at most 36,600 days = 100 years)."
    )
    warmup_days: Annotated[Number, Field(ge=0, le=MAX_HORIZON_DAYS)] = Field(
        0.0, description="Days simulated and dropped from KPIs; shorter than horizon_days."
    )
    sources: list[str] = Field(default_factory=list, description="Where the figures come from.")

    @model_validator(mode="after")
    def _warmup_shorter(self) -> Metadata:
        if self.warmup_days >= self.horizon_days:
            raise CrossFieldError(
                [
                    (
                        "warmup_days",
                        f"warmup_days ({self.warmup_days:g}) must be shorter than "
                        f"horizon_days ({self.horizon_days:g})",
                    )
                ]
            )
        return self


class Conversion(Model):
    """Factors used to count every cargo in tonnes, as Chinese port statistics do."""

    tons_per_teu: Annotated[Number, Field(gt=0, le=40)] = Field(
        12.0, description="Tonnes counted per TEU, box included (at most 40 t)."
    )
    tons_per_vehicle: Annotated[Number, Field(gt=0, le=100)] = Field(
        1.5, description="Tonnes counted per ro-ro vehicle (at most 100 t)."
    )


class ShipClass(Model):
    """A kind of ship: its terminal, size and call size."""

    terminal: Name = Field(description="Terminal the class calls at (a key of terminals).")
    dwt_t: Dwt = Field(
        description="Deadweight in tonnes (at most 1,000,000 t); must fit a berth's max_dwt_t "
        "and bounds a bulk, crude or liquid call's mean size."
    )
    loa_m: Loa = Field(description="Length overall in metres (at most 500 m).")
    draft_m: Draft = Field(
        description="Draft in metres (at most 30 m); with nautical.ukc_m it decides whether "
        "the class is tide-bound and whether it can enter at all."
    )
    capacity_teu: Annotated[Number, Field(gt=0, le=MAX_CAPACITY_TEU)] | None = Field(
        None,
        description="Container ships: TEU the ship can carry (at most 30,000). A call "
        "discharges and loads, so the call_size mean may be at most twice this.",
    )
    capacity_ceu: Annotated[Number, Field(gt=0, le=MAX_CAPACITY_CEU)] | None = Field(
        None,
        description="Car carriers: car equivalent units the ship can carry (at most 15,000). "
        "The call_size mean (vehicles, both ways) may be at most twice this.",
    )
    call_size: Dist = Field(
        description="Cargo moved per call (discharge plus load), in the terminal's unit."
    )
    tide_bound: bool | None = Field(
        None,
        description="Whether ships of the class may only move inside tide windows: true or "
        "false forces it; unset (the usual): tide-bound when draft_m + nautical.ukc_m > "
        "nautical.channel_depth_m.",
    )

    @model_validator(mode="after")
    def _checks(self) -> ShipClass:
        _nonneg("call_size", self.call_size)
        problems: list[tuple[str, str]] = []
        _dist_range(problems, "call_size", self.call_size, MAX_DWT_T, "units")
        _raise(problems)
        return self


class PoissonArrivals(Model):
    """Non-homogeneous Poisson arrivals: annual rate, monthly seasonality, annual growth."""

    kind: Literal["poisson"] = Field(description="`poisson`: random arrivals at a yearly rate.")
    ship_class: Name = Field(description="Ship class of every call (a key of ship_classes).")
    calls_per_year: Annotated[Number, Field(gt=0, le=100_000)] = Field(
        description="Calls per year at the start date, before seasonality and scale "
        "(at most 100,000: eleven an hour)."
    )
    seasonality: Annotated[list[Factor], Field(min_length=12, max_length=12)] = Field(
        default_factory=lambda: [1.0] * 12,
        description="12 relative factors (each in (0, 100]), January first; normalised to mean 1.",
    )
    growth_per_year: Growth = Field(
        0.0,
        description="Growth of the rate per year, compounded from the start date, as a "
        "fraction: 0.08 = +8%/yr; in (-1, 1].",
    )
    scale: Annotated[Number, Field(gt=0, le=100)] = Field(
        1.0, description="Multiplier on the rate, fitted by calibrate (in (0, 100])."
    )


class RenewalArrivals(Model):
    """Arrivals with independent inter-arrival times from any distribution."""

    kind: Literal["renewal"] = Field(description="`renewal`: independent gaps between calls.")
    ship_class: Name = Field(description="Ship class of every call (a key of ship_classes).")
    interarrival_h: Dist = Field(
        description="Hours between calls; mean between 0.01 h (36 s) and 87,840 h (10 years)."
    )
    first_h: Annotated[Number, Field(ge=0, le=MAX_HORIZON_H)] = Field(
        0.0, description="Hours from the start date to the first call."
    )

    @model_validator(mode="after")
    def _checks(self) -> RenewalArrivals:
        _nonneg("interarrival_h", self.interarrival_h)
        problems: list[tuple[str, str]] = []
        _dist_range(problems, "interarrival_h", self.interarrival_h, 10 * MAX_EPISODE_H, "h", 0.01)
        _raise(problems)
        return self


class ScheduledArrivals(Model):
    """A liner service: fixed weekly call times, each call late or early by a drawn deviation."""

    kind: Literal["scheduled"] = Field(description="`scheduled`: a weekly timetable.")
    ship_class: Name = Field(description="Ship class of every call (a key of ship_classes).")
    days_of_week: Weekdays = Field(description="Call days, 0 = Monday ... 6 = Sunday; each once.")
    hour: HourOfDay = Field(8.0, description="Timetabled arrival, hour of the day in [0, 24).")
    every_weeks: Annotated[Integer, Field(ge=1, le=52)] = Field(
        1, description="The timetable repeats every this many weeks (1-52)."
    )
    lateness_h: Dist = Field(
        default_factory=_constant(0.0),
        description="Deviation from the timetable in hours (negative = early); mean within "
        "+-720 h.",
    )

    @model_validator(mode="after")
    def _checks(self) -> ScheduledArrivals:
        problems: list[tuple[str, str]] = []
        _dist_range(problems, "lateness_h", self.lateness_h, MAX_CALL_H, "h", -MAX_CALL_H)
        _raise(problems)
        return self


Arrival = Annotated[
    PoissonArrivals | RenewalArrivals | ScheduledArrivals, Field(discriminator="kind")
]


class BerthGroup(Model):
    """Identical berths: how many, the largest ship they take, and their equipment."""

    count: Annotated[Integer, Field(ge=1, le=200)] = Field(description="Berths in the group.")
    max_dwt_t: Dwt = Field(description="Largest deadweight the berths take, t.")
    max_loa_m: Loa = Field(description="Longest ship the berths take, m.")
    max_draft_m: Draft = Field(description="Deepest draft the berths take, m.")
    equipment: Annotated[Integer, Field(ge=1, le=50)] = Field(
        description="Cranes, unloaders, loading arms or ramps per berth (1-50)."
    )
    rate: Dist = Field(
        description="Handling rate per piece of equipment, in the terminal's unit per hour "
        "(mean at most 20,000)."
    )
    efficiency: Dist = Field(
        default_factory=_constant(1.0),
        description="Share of the rate achieved in a call: every value in (0, 1], so only "
        "constant, uniform, triangular or empirical within (0, 1].",
    )
    berthing_h: Dist = Field(
        default_factory=_constant(0.0),
        description="Hours from arrival at the berth to the start of handling (mooring, "
        "formalities); mean at most 720 h.",
    )
    unberthing_h: Dist = Field(
        default_factory=_constant(0.0),
        description="Hours from the end of handling to leaving the berth; mean at most 720 h.",
    )

    @model_validator(mode="after")
    def _checks(self) -> BerthGroup:
        for name in ("rate", "efficiency", "berthing_h", "unberthing_h"):
            _nonneg(name, getattr(self, name))
        problems: list[tuple[str, str]] = []
        if self.rate.mean <= 0:
            problems.append(("rate", "rate must have a positive mean"))
        _dist_range(problems, "rate", self.rate, 20_000, "units/h")
        eff = self.efficiency
        if eff.mean <= 0 or eff.minimum <= 0 or eff.maximum > 1:
            top = "unbounded" if eff.maximum == float("inf") else f"{eff.maximum:g}"
            problems.append(
                (
                    "efficiency",
                    f"efficiency must lie in (0, 1] (this one ranges from {eff.minimum:g} to "
                    f"{top}); use a constant, uniform, triangular or empirical within (0, 1]",
                )
            )
        _dist_range(problems, "berthing_h", self.berthing_h, MAX_CALL_H, "h")
        _dist_range(problems, "unberthing_h", self.unberthing_h, MAX_CALL_H, "h")
        _raise(problems)
        return self

    def fits(self, ship: ShipClass) -> bool:
        """Whether a ship of this class can use these berths."""
        return (
            ship.dwt_t <= self.max_dwt_t
            and ship.loa_m <= self.max_loa_m
            and ship.draft_m <= self.max_draft_m
        )


class Yard(Model):
    """Stock area behind a terminal: discharged cargo stays ``dwell_h`` then leaves inland."""

    capacity: Annotated[Number, Field(gt=0, le=1e8)] = Field(
        description="Stock the yard holds, in the terminal's unit (at most 100 million)."
    )
    dwell_h: Dist = Field(description="Hours cargo stays in the yard; mean at most 8,784 h.")
    import_share: Fraction = Field(1.0, description="Share of each call discharged to the yard.")
    initial: Annotated[Number, Field(ge=0, le=1e8)] = Field(
        0.0, description="Stock at the start, in the terminal's unit; at most capacity."
    )

    @model_validator(mode="after")
    def _checks(self) -> Yard:
        _nonneg("dwell_h", self.dwell_h)
        problems: list[tuple[str, str]] = []
        _dist_range(problems, "dwell_h", self.dwell_h, MAX_EPISODE_H, "h")
        if self.initial > self.capacity:
            problems.append(("initial", "initial must not exceed capacity"))
        _raise(problems)
        return self


class Thresholds(Model):
    """Service levels beyond which a terminal is congested."""

    max_wait_service_ratio: Annotated[Number, Field(gt=0, le=10)] = Field(
        0.3, description="Highest acceptable mean wait over mean service time (W/S), in (0, 10]."
    )
    max_occupancy: Fraction = Field(
        0.7, description="Highest acceptable berth occupancy, a share of time in (0, 1]."
    )


# listed from the registry, so that a new rule is named in the reference at once
_RULE_NAMES = [f"{name} (the default)" if name == "fcfs" else name for name in RULES]


class Terminal(Model):
    """A terminal of one cargo kind with its berth groups, yard and service levels."""

    cargo: Cargo = Field(description="Cargo kind; it fixes the terminal's unit.")
    description: str = Field("", description="Free text shown in reports.")
    berths: Annotated[dict[Name, BerthGroup], Field(min_length=1)] = Field(
        description="Berth groups by name; a ship takes the first free group that fits."
    )
    dispatch: Dispatch = Field(
        default_factory=lambda: FirstComeFirstServed(rule="fcfs"),
        description="Which waiting ship a freed berth serves, by `rule`: "
        f"{', '.join(_RULE_NAMES[:-1])} or {_RULE_NAMES[-1]}. A "
        "shuttle whose ETA was shared goes ahead of every rule (its reserved window).",
    )
    yard: Yard | None = Field(None, description="Stock area; unset: no yard limit.")
    thresholds: Thresholds = Field(
        default_factory=Thresholds, description="Service levels for congestion flags."
    )

    @property
    def unit(self) -> str:
        """Unit of the terminal's cargo."""
        return UNITS[self.cargo]


class Tide(Model):
    """A semi-diurnal tide: windows of ``window_h`` around each high water."""

    period_h: Annotated[Number, Field(gt=0, le=30)] = Field(
        12.42,
        description="Hours between high waters (12.42 semi-diurnal, 24.84 diurnal; at most 30).",
    )
    high_water_m: Annotated[Number, Field(ge=0, le=20)] = Field(
        description="Water above chart datum at high water, m (at most 20). Used only to "
        "check that every ship can enter at high water at all (draft + ukc <= depth + "
        "high water); the window length is window_h whatever the draft."
    )
    window_h: Annotated[Number, Field(gt=0, le=30)] = Field(
        description="Hours around each high water in which tide-bound ships may move; at most "
        "period_h. The same for every tide-bound ship, whatever its draft."
    )
    first_high_water_h: Annotated[Number, Field(ge=0, le=30)] = Field(
        0.0, description="Hours from the start date to the first high water; below period_h."
    )

    @model_validator(mode="after")
    def _checks(self) -> Tide:
        problems: list[tuple[str, str]] = []
        if self.window_h > self.period_h:
            problems.append(("window_h", "window_h must not exceed period_h"))
        if self.first_high_water_h >= self.period_h:
            problems.append(
                (
                    "first_high_water_h",
                    f"must be below period_h ({self.period_h:g} h): it is the phase of the "
                    "tide, the time of the first high water after the start",
                )
            )
        _raise(problems)
        return self


class RandomClosures(Model):
    """Weather closures as a Poisson process of episodes with drawn lengths."""

    episodes_per_year: Annotated[Number, Field(gt=0, le=1000)] = Field(
        description="Closures per year, before seasonality (at most 1,000)."
    )
    seasonality: Annotated[
        list[Annotated[Number, Field(ge=0, le=100)]], Field(min_length=12, max_length=12)
    ] = Field(
        default_factory=lambda: [1.0] * 12,
        description="12 relative factors (each in [0, 100]), January first; normalised to mean 1.",
    )
    duration_h: Dist = Field(description="Hours each closure lasts; mean at most 8,784 h.")

    @model_validator(mode="after")
    def _checks(self) -> RandomClosures:
        _nonneg("duration_h", self.duration_h)
        problems: list[tuple[str, str]] = []
        _dist_range(problems, "duration_h", self.duration_h, MAX_EPISODE_H, "h")
        if sum(self.seasonality) <= 0:
            problems.append(("seasonality", "seasonality needs at least one positive factor"))
        _raise(problems)
        return self


class Weather(Model):
    """Channel closures (fog, wind): fixed episodes and random ones."""

    closures: list[Window] = Field(default_factory=list, description="Fixed closures.")
    random: RandomClosures | None = Field(None, description="Random closures; unset: none.")


class Nautical(Model):
    """The approach channel: depth, tide and weather closures.

    A ship class is tide-bound (moves only inside tide windows) when its draft plus the
    under-keel clearance exceeds the channel depth, unless ``ship_classes.X.tide_bound``
    forces it either way.
    """

    channel_depth_m: Annotated[Number, Field(gt=0, le=50)] = Field(
        description="Channel depth below chart datum, m (at most 50)."
    )
    ukc_m: Annotated[Number, Field(ge=0, le=10)] = Field(
        1.0, description="Under-keel clearance required, m (at most 10)."
    )
    transit_h: Annotated[Number, Field(ge=0, le=72)] = Field(
        0.0, description="Channel transit in hours, added to berthing (at most 72)."
    )
    tide: Tide | None = Field(None, description="The tide; unset: no tide windows.")
    weather: Weather = Field(default_factory=Weather, description="Weather closures.")


class Outage(Model):
    """Berths of a group out of service: planned windows and random failures."""

    terminal: Name = Field(description="Terminal of the berth group (a key of terminals).")
    group: Name = Field(description="Berth group (a key of the terminal's berths).")
    berths: Annotated[Integer, Field(ge=1, le=200)] = Field(
        1, description="How many berths of the group."
    )
    planned: list[Window] = Field(default_factory=list, description="Planned outage windows.")
    time_between_failures_h: Dist | None = Field(
        None, description="Hours between failures; mean at most 87,840 h (10 years)."
    )
    time_to_repair_h: Dist | None = Field(
        None, description="Hours to repair a failure; mean at most 8,784 h."
    )

    @model_validator(mode="after")
    def _checks(self) -> Outage:
        if (self.time_between_failures_h is None) != (self.time_to_repair_h is None):
            raise ValueError("give both time_between_failures_h and time_to_repair_h, or neither")
        _nonneg("time_between_failures_h", self.time_between_failures_h)
        _nonneg("time_to_repair_h", self.time_to_repair_h)
        if self.time_between_failures_h is not None and self.time_between_failures_h.mean <= 0:
            raise ValueError("time_between_failures_h must have a positive mean")
        problems: list[tuple[str, str]] = []
        _dist_range(
            problems,
            "time_between_failures_h",
            self.time_between_failures_h,
            10 * MAX_EPISODE_H,
            "h",
            1.0,
        )
        _dist_range(problems, "time_to_repair_h", self.time_to_repair_h, MAX_EPISODE_H, "h")
        _raise(problems)
        return self


class Disruptions(Model):
    """Berth outages, by name."""

    outages: dict[Name, Outage] = Field(default_factory=dict, description="Outages by name.")


class TransferDemand(Model):
    """Boxes for Shanghai booked at Lianyungang (ships, rail, trucks), and boxes coming back.

    Bookings are a non-homogeneous Poisson process of batches of ``batch_teu`` TEU, with the
    rate in TEU per year at the start date, monthly seasonality and annual growth (as
    ``poisson`` arrivals).
    """

    teu_per_year: Annotated[Number, Field(gt=0, le=1e7)] = Field(
        description="Southbound TEU booked per year at the start date, before seasonality "
        "(at most 10 million)."
    )
    seasonality: Annotated[list[Factor], Field(min_length=12, max_length=12)] = Field(
        default_factory=lambda: [1.0] * 12,
        description="12 relative factors (each in (0, 100]), January first; normalised to mean 1.",
    )
    growth_per_year: Growth = Field(
        0.0, description="Growth per year as a fraction (0.08 = +8%/yr); in (-1, 1]."
    )
    batch_teu: Annotated[Integer, Field(ge=1, le=500)] = Field(
        1, description="TEU per booking; each batch is tracked as one (1-500)."
    )
    from_shanghai_teu_per_sailing: Dist = Field(
        default_factory=_constant(0.0),
        description="Northbound TEU on each sailing, rounded and capped at the capacity.",
    )

    @model_validator(mode="after")
    def _checks(self) -> TransferDemand:
        _nonneg("from_shanghai_teu_per_sailing", self.from_shanghai_teu_per_sailing)
        problems: list[tuple[str, str]] = []
        _dist_range(
            problems,
            "from_shanghai_teu_per_sailing",
            self.from_shanghai_teu_per_sailing,
            MAX_CAPACITY_TEU,
            "TEU",
        )
        _raise(problems)
        return self


class Shuttle(Model):
    """A timetabled container shuttle service to another port (the Lianshen Express).

    Vessel ``v`` of ``vessels`` sails the timetable's departures ``v``, ``v + vessels``, ...
    from the port; each vessel goes to the other port and back between its departures.
    Transfer boxes are cleared through the corridor named by ``corridor`` (a key of
    ``corridors``; one switched off clears by hand only); without one, clearance is not
    modelled (a box is ready when booked) and the service gets no reserved berth window.
    """

    kind: Literal["shuttle"] = Field(
        "shuttle",
        description="`shuttle` (the default when `kind` is unset): a shuttle service with "
        "transfer boxes, a load list and a data corridor.",
    )
    name: Annotated[str, Field(max_length=80)] | None = Field(
        None, description="Display name (figures, report); unset: the service's key."
    )
    enabled: bool = Field(True, description="false: no service (and no transfer boxes).")
    terminal: Name = Field(description="Container terminal where the shuttle berths.")
    berth_group: Name | None = Field(None, description="Berth group used; unset: any that fits.")
    vessels: Annotated[Integer, Field(ge=1, le=50)] = Field(
        description="Vessels in the rotation; vessel v sails departures v, v + vessels, ..."
    )
    capacity_teu: Annotated[Number, Field(gt=0, le=MAX_CAPACITY_TEU)] = Field(
        description="TEU each vessel carries each way (at most 30,000)."
    )
    dwt_t: Dwt = Field(12000, description="Deadweight, t, for berths and the channel.")
    loa_m: Loa = Field(140, description="Length overall, m, for berths and the channel.")
    draft_m: Draft = Field(8.0, description="Draft, m, for berths and the channel.")
    departure_days: Weekdays = Field(
        description="Departure days from Lianyungang, 0 = Monday; each day once."
    )
    departure_hour: HourOfDay = Field(
        18.0, description="Timetabled cast-off from the berth, hour of the day."
    )
    sea_time_h: Annotated[Number, Field(gt=0, le=MAX_CALL_H)] = Field(
        description="Hours from the Lianyungang berth to Shanghai, each way (at most 720)."
    )
    shanghai_time_h: Annotated[Number, Field(gt=0, le=MAX_CALL_H)] = Field(
        description="Hours from arrival to departure at Shanghai (at most 720)."
    )
    cutoff_h: Annotated[Number, Field(ge=0, le=MAX_CALL_H)] = Field(
        description="Boxes must be cleared this many hours before departure (at most 720)."
    )
    crane_rate_teu_h: Annotated[Number, Field(gt=0, le=2000)] = Field(
        60.0,
        description="Discharge and loading rate at Lianyungang, all cranes together, TEU/h.",
    )
    demand: TransferDemand = Field(description="Transfer boxes booked for the shuttle.")
    corridor: Name | None = Field(
        None,
        description="Data corridor that clears the boxes and shares the ETA (a key of "
        "corridors); unset: clearance not modelled.",
    )

    @model_validator(mode="after")
    def _checks(self) -> Shuttle:
        if self.demand.batch_teu > self.capacity_teu:
            raise CrossFieldError(
                [
                    (
                        "demand.batch_teu",
                        f"a batch of {self.demand.batch_teu} TEU does not fit a vessel of "
                        f"{self.capacity_teu:g} TEU",
                    )
                ]
            )
        return self

    def units_per_h(self) -> float:
        """The cranes' rate, TEU/h (what rules that rank by job length divide by)."""
        return self.crane_rate_teu_h

    @property
    def sailings_per_week(self) -> int:
        """Departures from Lianyungang per week."""
        return len(self.departure_days)

    @property
    def annual_capacity_teu(self) -> float:
        """Carrying capacity of the timetable in a 365-day year, one way."""
        return self.capacity_teu * self.sailings_per_week * 365 / 7


def _service_tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "shuttle"))
    return str(getattr(value, "kind", "shuttle"))


if TYPE_CHECKING:
    Service = Shuttle | VesselService
else:
    # the shuttle and every kind in lygsim.vessels, so a kind's file is a variant at once
    Service = Annotated[
        Union[  # noqa: UP007
            tuple(
                Annotated[cls, Tag(tag)]
                for tag, cls in {"shuttle": Shuttle, **VESSEL_KINDS}.items()
            )
        ],
        Discriminator(_service_tag),
    ]
"""A service: a shuttle (``kind`` unset or ``shuttle``) or a kind of :mod:`lygsim.vessels`."""


class OfficeHours(Model):
    """When manual clearance works: daily hours on working days."""

    start_hour: HourOfDay = Field(8.5, description="Start of the working day, hour in [0, 24).")
    end_hour: Annotated[Number, Field(gt=0, le=24)] = Field(
        17.5, description="End of the working day, hour in (0, 24]; after start_hour."
    )
    days: Weekdays = Field(
        default_factory=lambda: [0, 1, 2, 3, 4],
        description="Working days, 0 = Monday; each once.",
    )

    @model_validator(mode="after")
    def _checks(self) -> OfficeHours:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class Corridor(Model):
    """A data corridor (the Shanghai one): messages, outages, automatic and manual clearance.

    It serves the shuttle services that name it. When the corridor is up, a box's documents
    go as a message when it is booked and are cleared automatically; when it is down or
    switched off, clearance is manual and only progresses during office hours.
    """

    name: Annotated[str, Field(max_length=80)] | None = Field(
        None, description="Display name (figures, report); unset: the corridor's key."
    )
    enabled: bool = Field(True, description="false: no corridor, every clearance is manual.")
    latency_h: Dist = Field(description="Delivery time of a message, h; mean at most 8,784.")
    time_between_outages_h: Dist | None = Field(
        None, description="Hours between outages; mean at most 87,840 h (10 years)."
    )
    time_to_repair_h: Dist | None = Field(
        None, description="Hours to repair an outage; mean at most 8,784 h."
    )
    outages: list[Window] = Field(default_factory=list, description="Fixed outage windows.")
    auto_clearance_h: Dist = Field(
        description="Automatic clearance once the message arrived, h; mean at most 8,784."
    )
    manual_clearance_h: Dist = Field(
        description="Office hours of work to clear a batch by hand; mean at most 8,784."
    )
    office_hours: OfficeHours = Field(
        default_factory=OfficeHours, description="When manual clearance works."
    )
    eta_lead_h: Annotated[Number, Field(ge=0, le=MAX_CALL_H)] = Field(
        24.0,
        description="How early (hours, at most 720) the shuttle's ETA is shared; the corridor "
        "must be up then for the shuttle to get its reserved berth window.",
    )

    @model_validator(mode="after")
    def _checks(self) -> Corridor:
        for name in (
            "latency_h",
            "time_between_outages_h",
            "time_to_repair_h",
            "auto_clearance_h",
            "manual_clearance_h",
        ):
            _nonneg(name, getattr(self, name))
        if (self.time_between_outages_h is None) != (self.time_to_repair_h is None):
            raise ValueError("give both time_between_outages_h and time_to_repair_h, or neither")
        if self.time_between_outages_h is not None and self.time_between_outages_h.mean <= 0:
            raise CrossFieldError(
                [("time_between_outages_h", "time_between_outages_h must have a positive mean")]
            )
        problems: list[tuple[str, str]] = []
        for name in ("latency_h", "time_to_repair_h", "auto_clearance_h", "manual_clearance_h"):
            _dist_range(problems, name, getattr(self, name), MAX_EPISODE_H, "h")
        _dist_range(
            problems,
            "time_between_outages_h",
            self.time_between_outages_h,
            10 * MAX_EPISODE_H,
            "h",
            1.0,
        )
        _raise(problems)
        return self


class Period(Model):
    """A calendar period, both ends inclusive."""

    start: Date = Field(description="First day (1900-2200).")
    end: Date = Field(description="Last day, included (1900-2200).")

    @model_validator(mode="after")
    def _checks(self) -> Period:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Target(Model):
    """A reported figure the model must reproduce."""

    figure: Literal["throughput_t", "throughput_teu", "vehicles", "shuttle_capacity_teu"] = Field(
        description="What is compared: tonnes, TEU, vehicles, or the shuttle's capacity (TEU/yr)."
    )
    terminal: Name | None = Field(None, description="One terminal; unset: the whole port.")
    period: Period = Field(description="Calendar period the figure covers.")
    reported: Annotated[Number, Field(gt=0, le=1e11)] = Field(
        description="The reported figure, in the figure's unit (at most 1e11)."
    )
    tolerance: Fraction = Field(0.01, description="Accepted relative gap, in (0, 1].")
    source: str = Field("", description="Where the figure was published.")


class Calibration(Model):
    """Targets and the arrival streams whose ``scale`` may be fitted to them."""

    targets: dict[Name, Target] = Field(default_factory=dict, description="Targets by name.")
    free: Names = Field(default_factory=list, description="Arrival streams to scale; each once.")
    max_iterations: Annotated[Integer, Field(ge=1, le=100)] = Field(
        10, description="Simulation rounds at most (1-100)."
    )


class Scenario(Model):
    """A whole scenario: the root of a scenario file."""

    scenario: Metadata = Field(description="Name, dates and horizon.")
    conversion: Conversion = Field(
        default_factory=Conversion, description="Factors to count every cargo in tonnes."
    )
    ship_classes: Annotated[dict[Name, ShipClass], Field(min_length=1)] = Field(
        description="Ship classes by name."
    )
    arrivals: Annotated[dict[Name, Arrival], Field(min_length=1)] = Field(
        description="Arrival streams by name, each of one ship class."
    )
    terminals: Annotated[dict[Name, Terminal], Field(min_length=1)] = Field(
        description="Terminals by name."
    )
    nautical: Nautical | None = Field(
        None, description="The approach channel; unset: ships enter at any time."
    )
    disruptions: Disruptions = Field(default_factory=Disruptions, description="Berth outages.")
    services: dict[Name, Service] = Field(
        default_factory=dict,
        description="Vessel services by key: timetabled shuttle services (the Lianshen "
        "Express) and the vessel kinds of lygsim.vessels, chosen by `kind`; keys are unique "
        "across services and corridors.",
    )
    corridors: dict[Name, Corridor] = Field(
        default_factory=dict, description="Data corridors (the Shanghai one) by key."
    )
    calibration: Calibration = Field(
        default_factory=Calibration, description="Reported figures and what may be fitted."
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems: list[tuple[str, str]] = []
        for cname, sc in self.ship_classes.items():
            where = f"ship_classes.{cname}"
            term = self.terminals.get(sc.terminal)
            if term is None:
                problems.append(
                    (f"{where}.terminal", _unknown("terminal", sc.terminal, self.terminals))
                )
                continue
            call_limit = self._call_size_limit(sc, term)
            if call_limit is not None and sc.call_size.mean > call_limit[0]:
                problems.append(
                    (
                        f"{where}.call_size",
                        f"mean call of {sc.call_size.mean:g} {term.unit} exceeds "
                        f"{call_limit[1]} ({call_limit[0]:g} {term.unit})",
                    )
                )
            if not any(g.fits(sc) for g in term.berths.values()):
                problems.append(
                    (
                        where,
                        (
                            f"ship (dwt {sc.dwt_t:g} t, loa {sc.loa_m:g} m, "
                            f"draft {sc.draft_m:g} m) fits no berth of terminal "
                            f"'{sc.terminal}'; raise a berth group's max_dwt_t, max_loa_m "
                            "or max_draft_m, or change the ship"
                        ),
                    )
                )
            if self.nautical is not None:
                n = self.nautical
                reach = n.channel_depth_m + (n.tide.high_water_m if n.tide else 0.0)
                if sc.draft_m + n.ukc_m > reach:
                    problems.append(
                        (
                            f"{where}.draft_m",
                            (
                                f"draft {sc.draft_m:g} m + ukc {n.ukc_m:g} m exceeds the "
                                f"channel depth at high water ({reach:g} m): "
                                "this ship can never enter"
                            ),
                        )
                    )
        problems += self._dispatch_checks()
        for aname, arr in self.arrivals.items():
            if arr.ship_class not in self.ship_classes:
                problems.append(
                    (
                        f"arrivals.{aname}.ship_class",
                        _unknown("ship class", arr.ship_class, self.ship_classes),
                    )
                )
        if self.nautical is not None and self.nautical.tide is None:
            bound = [c for c in self.ship_classes if self.tide_bound(c)]
            if bound:
                problems.append(
                    (
                        "nautical.tide",
                        f"some ships are tide-bound ({', '.join(bound)}) but no tide is given",
                    )
                )
        for oname, out in self.disruptions.outages.items():
            where = f"disruptions.outages.{oname}"
            term = self.terminals.get(out.terminal)
            if term is None:
                problems.append(
                    (f"{where}.terminal", _unknown("terminal", out.terminal, self.terminals))
                )
            elif out.group not in term.berths:
                problems.append((f"{where}.group", _unknown("berth group", out.group, term.berths)))
            elif out.berths > term.berths[out.group].count:
                problems.append(
                    (
                        f"{where}.berths",
                        (
                            f"{out.berths} berths, but group '{out.group}' has only "
                            f"{term.berths[out.group].count}"
                        ),
                    )
                )
        problems += self._service_checks()
        for tname, tgt in self.calibration.targets.items():
            if tgt.terminal is not None and tgt.terminal not in self.terminals:
                problems.append(
                    (
                        f"calibration.targets.{tname}.terminal",
                        _unknown("terminal", tgt.terminal, self.terminals),
                    )
                )
        for i, aname in enumerate(self.calibration.free):
            if aname not in self.arrivals:
                problems.append(
                    (f"calibration.free[{i}]", _unknown("arrival stream", aname, self.arrivals))
                )
            elif not isinstance(self.arrivals[aname], PoissonArrivals):
                problems.append(
                    (
                        f"calibration.free[{i}]",
                        f"'{aname}' is not a poisson arrival stream; only those have a scale",
                    )
                )
        if problems:
            raise CrossFieldError(problems)
        return self

    def _service_checks(self) -> list[tuple[str, str]]:
        """Services' terminals, berths and corridors; keys that could clash."""
        problems: list[tuple[str, str]] = []
        for key in self.corridors:
            if key in self.services:
                problems.append(
                    (f"corridors.{key}", f"'{key}' is also a service key; give each its own key")
                )
        for section, keys in (("services", self.services), ("corridors", self.corridors)):
            for key in keys:
                clash = _key_clash(key, self.terminals)
                if clash:
                    problems.append((f"{section}.{key}", clash))
        for key, sh in self.services.items():
            where = f"services.{key}"
            if isinstance(sh, Shuttle):
                if sh.corridor is not None and sh.corridor not in self.corridors:
                    problems.append(
                        (f"{where}.corridor", _unknown("corridor", sh.corridor, self.corridors))
                    )
                cargo: frozenset[str] | None = frozenset({Cargo.container.value})
            else:
                cargo = sh.cargo
            term = self.terminals.get(sh.terminal)
            if term is None:
                problems.append(
                    (f"{where}.terminal", _unknown("terminal", sh.terminal, self.terminals))
                )
            elif cargo is not None and term.cargo.value not in cargo:
                problems.append(
                    (
                        f"{where}.terminal",
                        f"'{sh.terminal}' is a {term.cargo.value} terminal; a {sh.kind} "
                        f"service needs a {' or '.join(sorted(cargo))} terminal",
                    )
                )
            elif sh.berth_group is not None and sh.berth_group not in term.berths:
                problems.append(
                    (f"{where}.berth_group", _unknown("berth group", sh.berth_group, term.berths))
                )
            else:
                problems += self._service_fits(where, sh, term)
        return problems

    def _dispatch_checks(self) -> list[tuple[str, str]]:
        """Ship classes a dispatch rule names (``class_priority``'s order) call at its terminal."""
        problems = []
        for tname, term in self.terminals.items():
            named = term.dispatch.named_classes()
            here = {c for c, sc in self.ship_classes.items() if sc.terminal == tname}
            for field, names in named.items():
                for i, cname in enumerate(names):
                    if cname not in here:
                        problems.append(
                            (
                                f"terminals.{tname}.dispatch.{field}[{i}]",
                                f"'{cname}' is not a ship class of terminal '{tname}' "
                                f"(its classes: {', '.join(sorted(here)) or 'none'})",
                            )
                        )
        return problems

    def _service_fits(
        self, where: str, sh: Shuttle | VesselService, term: Terminal
    ) -> list[tuple[str, str]]:
        problems = []
        size = f"(dwt {sh.dwt_t:g} t, loa {sh.loa_m:g} m, draft {sh.draft_m:g} m)"
        groups = [sh.berth_group] if sh.berth_group is not None else list(term.berths)
        if not any(term.berths[g].fits(sh) for g in groups):  # type: ignore[arg-type]
            fit = (
                f"does not fit berth group '{sh.berth_group}'"
                if sh.berth_group is not None
                else "fits no berth"
            )
            problems.append(
                (
                    where,
                    f"the {sh.kind} service's vessel {size} {fit} of terminal "
                    f"'{sh.terminal}'; change its dwt_t, loa_m or draft_m, or its berth_group",
                )
            )
        if self.nautical is not None:
            n = self.nautical
            reach = n.channel_depth_m + (n.tide.high_water_m if n.tide else 0.0)
            if sh.draft_m + n.ukc_m > reach:
                problems.append(
                    (
                        f"{where}.draft_m",
                        f"draft {sh.draft_m:g} m + ukc {n.ukc_m:g} m exceeds the channel depth "
                        f"at high water ({reach:g} m): the {sh.kind} service can never enter",
                    )
                )
        return problems

    @property
    def shuttles(self) -> dict[str, Shuttle]:
        """The shuttle services (``kind: shuttle``) by key, in the scenario's order."""
        return {k: sh for k, sh in self.services.items() if isinstance(sh, Shuttle)}

    def service_tide_bound(self, key: str) -> bool:
        """Whether service ``key``'s vessels may only move inside tide windows (by draft)."""
        n = self.nautical
        if n is None:
            return False
        return self.services[key].draft_m + n.ukc_m > n.channel_depth_m

    def display_name(self, key: str) -> str:
        """The display name of a service or corridor (its ``name``, else its key)."""
        item = self.services.get(key) or self.corridors.get(key)
        return item.name if item is not None and item.name else key

    def tide_bound(self, cname: str) -> bool:
        """Whether ships of class ``cname`` may only move inside tide windows.

        Forced by ``ship_classes.NAME.tide_bound`` when set; otherwise when the draft plus
        the under-keel clearance exceeds the channel depth. Never without a channel.
        """
        return self.tide_bound_reason(cname) is not None

    def tide_bound_reason(self, cname: str) -> str | None:
        """Why class ``cname`` is tide-bound: ``"forced"``, ``"draft"``, or None if it is not."""
        sc = self.ship_classes[cname]
        n = self.nautical
        if n is None:
            return None
        if sc.tide_bound is not None:
            return "forced" if sc.tide_bound else None
        return "draft" if sc.draft_m + n.ukc_m > n.channel_depth_m else None

    @staticmethod
    def _call_size_limit(sc: ShipClass, term: Terminal) -> tuple[float, str] | None:
        """The largest mean call a ship of class ``sc`` can make, and what sets it."""
        if term.cargo is Cargo.container:
            if sc.capacity_teu is None:
                return None
            return 2 * sc.capacity_teu, "twice capacity_teu (a full discharge and a full load)"
        if term.cargo is Cargo.roro:
            if sc.capacity_ceu is None:
                return None
            return 2 * sc.capacity_ceu, "twice capacity_ceu (a full discharge and a full load)"
        return sc.dwt_t, "the ship's dwt_t"

    def call_size_limit(self, cname: str) -> tuple[float, str] | None:
        """Largest plausible call of class ``cname`` in its terminal's unit, and its reason.

        Container ships move at most twice ``capacity_teu`` (discharge plus load), car
        carriers twice ``capacity_ceu``, other ships their ``dwt_t``. None when the class
        does not give the capacity that applies.
        """
        sc = self.ship_classes[cname]
        term = self.terminals.get(sc.terminal)
        return None if term is None else self._call_size_limit(sc, term)

    @property
    def observed_h(self) -> tuple[float, float]:
        """The observation window (hours): from the end of the warm-up to the horizon."""
        return self.scenario.warmup_days * 24.0, self.scenario.horizon_days * 24.0


STREAM_PREFIXES = ("arrivals", "ship", "handling", "yard", "weather", "outage")
"""First parts of the model's random stream names (``arrivals:NAME``, ``weather``, ...).

A service's or corridor's streams are ``KEY:purpose`` (:mod:`lygsim.streams` seeds a stream
from its name), so a key equal to one of these could share a stream with another purpose.
"""
KPI_NAMES = ("port", "calibration")
"""Names the KPI table uses beside terminals, services and corridors."""


def _key_clash(key: str, terminals: dict[str, Terminal]) -> str | None:
    """Why a service or corridor key cannot be used, or None."""
    if key in STREAM_PREFIXES or key in KPI_NAMES:
        return f"'{key}' is reserved (it names random streams or KPI rows); choose another key"
    if key in terminals:
        return f"'{key}' is also a terminal; give the service or corridor its own key"
    return None


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    return f"unknown {what} '{name}' (known: {', '.join(names) or 'none'})"
