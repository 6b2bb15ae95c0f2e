"""The scenario: a typed, frozen description of a port and its demand.

Pydantic v2 models, ``extra="forbid"`` everywhere so a misspelt key is an error, with the
cross-field checks a planner would otherwise only discover when a run goes wrong. Loading
YAML files (``extends:``, ``--set`` overrides, error messages) lives in :mod:`lygsim.loader`.
No SimPy here.

Units are in field names: ``_h`` hours, ``_m`` metres, ``_t`` tonnes, ``_teu``, ``_days``.
A terminal's cargo kind fixes its unit: containers in TEU, ro-ro in vehicles, the rest in t.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lygsim.dists import Dist, NonNegFloat, PositiveFloat

MAX_HORIZON_DAYS = 36600.0
"""Longest simulated horizon in days (100 years): bounds ``horizon_days`` and ``--days``."""

Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Growth = Annotated[float, Field(gt=-1, le=10, allow_inf_nan=False)]


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


class Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys rejected, defaults validated."""

    # validate_default: defaults such as ``{"dist": "constant", "value": 1.0}`` must become
    # distributions, or the validators below would see plain dicts.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, validate_default=True
    )


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


class Window(Model):
    """A fixed episode: starts ``start_day`` days after the start date, lasts ``duration_h``."""

    start_day: NonNegFloat
    duration_h: PositiveFloat


class Metadata(Model):
    """Who and what the scenario describes."""

    name: Name
    description: str = ""
    start_date: dt.date = Field(description="Calendar date of simulation time 0.")
    horizon_days: Annotated[float, Field(gt=0, le=MAX_HORIZON_DAYS, allow_inf_nan=False)] = Field(
        description="Simulated days, warm-up included."
    )
    warmup_days: NonNegFloat = Field(0.0, description="Days simulated and dropped from KPIs.")
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

    tons_per_teu: PositiveFloat = 12.0
    tons_per_vehicle: PositiveFloat = 1.5


class ShipClass(Model):
    """A kind of ship: its terminal, size and call size."""

    terminal: Name
    dwt_t: PositiveFloat
    loa_m: PositiveFloat
    draft_m: PositiveFloat
    capacity_teu: PositiveFloat | None = None
    capacity_ceu: PositiveFloat | None = None
    call_size: Dist = Field(description="Cargo moved per call, in the terminal's unit.")
    tide_bound: bool | None = Field(
        None, description="true/false forces it; unset: tide-bound when draft + UKC > depth."
    )

    @model_validator(mode="after")
    def _checks(self) -> ShipClass:
        _nonneg("call_size", self.call_size)
        return self


class PoissonArrivals(Model):
    """Non-homogeneous Poisson arrivals: annual rate, monthly seasonality, annual growth."""

    kind: Literal["poisson"]
    ship_class: Name
    calls_per_year: PositiveFloat = Field(description="Rate at the start date, before seasonality.")
    seasonality: Annotated[list[PositiveFloat], Field(min_length=12, max_length=12)] = Field(
        default_factory=lambda: [1.0] * 12,
        description="12 relative factors, January first; normalised to mean 1.",
    )
    growth_per_year: Growth = 0.0
    scale: PositiveFloat = Field(1.0, description="Multiplier on the rate (fitted by calibrate).")


class RenewalArrivals(Model):
    """Arrivals with independent inter-arrival times from any distribution."""

    kind: Literal["renewal"]
    ship_class: Name
    interarrival_h: Dist
    first_h: NonNegFloat = 0.0

    @model_validator(mode="after")
    def _checks(self) -> RenewalArrivals:
        _nonneg("interarrival_h", self.interarrival_h)
        if self.interarrival_h.mean <= 0:
            raise ValueError("interarrival_h must have a positive mean")
        return self


class ScheduledArrivals(Model):
    """A liner service: fixed weekly call times, each call late or early by a drawn deviation."""

    kind: Literal["scheduled"]
    ship_class: Name
    days_of_week: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(min_length=1)] = Field(
        description="0 = Monday ... 6 = Sunday."
    )
    hour: Annotated[float, Field(ge=0, lt=24, allow_inf_nan=False)] = 8.0
    every_weeks: Annotated[int, Field(ge=1, le=52)] = 1
    lateness_h: Dist = Field(
        default_factory=lambda: {"dist": "constant", "value": 0.0},
        description="Deviation from the timetable in hours (negative = early).",
    )


Arrival = Annotated[
    PoissonArrivals | RenewalArrivals | ScheduledArrivals, Field(discriminator="kind")
]


class BerthGroup(Model):
    """Identical berths: how many, the largest ship they take, and their equipment."""

    count: Annotated[int, Field(ge=1, le=200)]
    max_dwt_t: PositiveFloat
    max_loa_m: PositiveFloat
    max_draft_m: PositiveFloat
    equipment: Annotated[int, Field(ge=1, le=50)] = Field(
        description="Cranes, unloaders, loading arms or ramps per berth."
    )
    rate: Dist = Field(description="Units per hour per piece of equipment.")
    efficiency: Dist = Field(
        default_factory=lambda: {"dist": "constant", "value": 1.0},
        description="Share of the rate achieved in a call, in (0, 1].",
    )
    berthing_h: Dist = Field(default_factory=lambda: {"dist": "constant", "value": 0.0})
    unberthing_h: Dist = Field(default_factory=lambda: {"dist": "constant", "value": 0.0})

    @model_validator(mode="after")
    def _checks(self) -> BerthGroup:
        for name in ("rate", "efficiency", "berthing_h", "unberthing_h"):
            _nonneg(name, getattr(self, name))
        if self.rate.mean <= 0:
            raise CrossFieldError([("rate", "rate must have a positive mean")])
        if self.efficiency.mean <= 0 or self.efficiency.minimum > 1:
            raise CrossFieldError([("efficiency", "efficiency must lie in (0, 1]")])
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

    capacity: PositiveFloat = Field(description="In the terminal's unit.")
    dwell_h: Dist
    import_share: Fraction = Field(1.0, description="Share of each call discharged to the yard.")
    initial: NonNegFloat = 0.0

    @model_validator(mode="after")
    def _checks(self) -> Yard:
        _nonneg("dwell_h", self.dwell_h)
        if self.initial > self.capacity:
            raise ValueError("initial must not exceed capacity")
        return self


class Thresholds(Model):
    """Service levels beyond which a terminal is congested."""

    max_wait_service_ratio: PositiveFloat = 0.3
    max_occupancy: Fraction = 0.7


class Terminal(Model):
    """A terminal of one cargo kind with its berth groups, yard and service levels."""

    cargo: Cargo
    description: str = ""
    berths: Annotated[dict[Name, BerthGroup], Field(min_length=1)]
    allocation: Literal["fcfs", "scheduled_first"] = Field(
        "fcfs", description="fcfs, or scheduled_first: liner services ahead of others."
    )
    yard: Yard | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @property
    def unit(self) -> str:
        """Unit of the terminal's cargo."""
        return UNITS[self.cargo]


class Tide(Model):
    """A semi-diurnal tide: windows of ``window_h`` around each high water."""

    period_h: PositiveFloat = 12.42
    high_water_m: NonNegFloat = Field(description="Water above chart datum at high water.")
    window_h: PositiveFloat = Field(description="Length of the window around each high water.")
    first_high_water_h: NonNegFloat = 0.0

    @model_validator(mode="after")
    def _checks(self) -> Tide:
        if self.window_h > self.period_h:
            raise ValueError("window_h must not exceed period_h")
        return self


class RandomClosures(Model):
    """Weather closures as a Poisson process of episodes with drawn lengths."""

    episodes_per_year: PositiveFloat
    seasonality: Annotated[list[NonNegFloat], Field(min_length=12, max_length=12)] = Field(
        default_factory=lambda: [1.0] * 12
    )
    duration_h: Dist

    @model_validator(mode="after")
    def _checks(self) -> RandomClosures:
        _nonneg("duration_h", self.duration_h)
        if sum(self.seasonality) <= 0:
            raise ValueError("seasonality needs at least one positive factor")
        return self


class Weather(Model):
    """Channel closures (fog, wind): fixed episodes and random ones."""

    closures: list[Window] = Field(default_factory=list)
    random: RandomClosures | None = None


class Nautical(Model):
    """The approach channel: depth, tide, tide-bound ships and weather closures."""

    channel_depth_m: PositiveFloat
    ukc_m: NonNegFloat = Field(1.0, description="Under-keel clearance required.")
    transit_h: NonNegFloat = Field(0.0, description="Channel transit, added to berthing.")
    tide: Tide | None = None
    tide_bound_classes: list[Name] = Field(default_factory=list)
    weather: Weather = Field(default_factory=Weather)


class Outage(Model):
    """Berths of a group out of service: planned windows and random failures."""

    terminal: Name
    group: Name
    berths: Annotated[int, Field(ge=1)] = Field(1, description="How many berths of the group.")
    planned: list[Window] = Field(default_factory=list)
    time_between_failures_h: Dist | None = None
    time_to_repair_h: Dist | None = None

    @model_validator(mode="after")
    def _checks(self) -> Outage:
        if (self.time_between_failures_h is None) != (self.time_to_repair_h is None):
            raise ValueError("give both time_between_failures_h and time_to_repair_h, or neither")
        _nonneg("time_between_failures_h", self.time_between_failures_h)
        _nonneg("time_to_repair_h", self.time_to_repair_h)
        if self.time_between_failures_h is not None and self.time_between_failures_h.mean <= 0:
            raise ValueError("time_between_failures_h must have a positive mean")
        return self


class Disruptions(Model):
    """Berth outages, by name."""

    outages: dict[Name, Outage] = Field(default_factory=dict)


class TransferDemand(Model):
    """Boxes for Shanghai booked at Lianyungang (ships, rail, trucks), and boxes coming back.

    Bookings are a non-homogeneous Poisson process of batches of ``batch_teu`` TEU, with the
    rate in TEU per year at the start date, monthly seasonality and annual growth (as
    ``poisson`` arrivals).
    """

    teu_per_year: PositiveFloat = Field(
        description="Southbound TEU booked per year at the start date, before seasonality."
    )
    seasonality: Annotated[list[PositiveFloat], Field(min_length=12, max_length=12)] = Field(
        default_factory=lambda: [1.0] * 12,
        description="12 relative factors, January first; normalised to mean 1.",
    )
    growth_per_year: Growth = 0.0
    batch_teu: Annotated[int, Field(ge=1, le=500)] = Field(
        1, description="TEU per booking; each batch is tracked as one."
    )
    from_shanghai_teu_per_sailing: Dist = Field(
        default_factory=lambda: {"dist": "constant", "value": 0.0},
        description="Northbound TEU on each sailing, rounded and capped at the capacity.",
    )

    @model_validator(mode="after")
    def _checks(self) -> TransferDemand:
        _nonneg("from_shanghai_teu_per_sailing", self.from_shanghai_teu_per_sailing)
        return self


class Shuttle(Model):
    """The Lianshen Express: a timetabled container shuttle to Shanghai.

    Vessel ``v`` of ``vessels`` sails the timetable's departures ``v``, ``v + vessels``, ...
    from Lianyungang; each vessel goes to Shanghai and back between its departures.
    Transfer boxes are cleared through the ``corridor`` section (``enabled: false`` for
    manual clearance only); without a corridor section, clearance is not modelled (a box
    is ready when booked) and the shuttle gets no reserved berth window.
    """

    enabled: bool = Field(True, description="false: no shuttle (and no transfer boxes).")
    terminal: Name = Field(description="Container terminal where the shuttle berths.")
    berth_group: Name | None = Field(None, description="Berth group used; unset: any that fits.")
    vessels: Annotated[int, Field(ge=1, le=50)] = Field(
        description="Vessels in the rotation; vessel v sails departures v, v + vessels, ..."
    )
    capacity_teu: PositiveFloat = Field(description="TEU each vessel carries each way.")
    dwt_t: PositiveFloat = Field(12000, description="Size, for berths and the channel.")
    loa_m: PositiveFloat = Field(140, description="Size, for berths and the channel.")
    draft_m: PositiveFloat = Field(8.0, description="Size, for berths and the channel.")
    departure_days: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(min_length=1)] = Field(
        description="Departure days from Lianyungang, 0 = Monday; each day once."
    )
    departure_hour: Annotated[float, Field(ge=0, lt=24)] = Field(
        18.0, description="Timetabled cast-off from the berth, hour of the day."
    )
    sea_time_h: PositiveFloat = Field(description="Lianyungang berth to Shanghai, each way.")
    shanghai_time_h: PositiveFloat = Field(description="From arrival to departure at Shanghai.")
    cutoff_h: NonNegFloat = Field(description="Boxes must be cleared this long before departure.")
    crane_rate_teu_h: PositiveFloat = Field(
        60.0, description="Discharge and loading rate at Lianyungang (all cranes together)."
    )
    demand: TransferDemand

    @model_validator(mode="after")
    def _checks(self) -> Shuttle:
        if len(set(self.departure_days)) != len(self.departure_days):
            raise CrossFieldError(
                [("departure_days", "a day is listed twice; list each departure day once")]
            )
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

    @property
    def sailings_per_week(self) -> int:
        """Departures from Lianyungang per week."""
        return len(self.departure_days)

    @property
    def annual_capacity_teu(self) -> float:
        """Carrying capacity of the timetable in a 365-day year, one way."""
        return self.capacity_teu * self.sailings_per_week * 365 / 7


class OfficeHours(Model):
    """When manual clearance works: daily hours on working days."""

    start_hour: Annotated[float, Field(ge=0, lt=24)] = 8.5
    end_hour: Annotated[float, Field(gt=0, le=24)] = 17.5
    days: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(min_length=1)] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="Working days, 0 = Monday."
    )

    @model_validator(mode="after")
    def _checks(self) -> OfficeHours:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class Corridor(Model):
    """The Shanghai data corridor: messages, outages, automatic and manual clearance.

    When the corridor is up, a box's documents go as a message when it is booked and are
    cleared automatically; when it is down or switched off, clearance is manual and only
    progresses during office hours.
    """

    enabled: bool = Field(True, description="false: no corridor, every clearance is manual.")
    latency_h: Dist = Field(description="Delivery time of a message.")
    time_between_outages_h: Dist | None = None
    time_to_repair_h: Dist | None = None
    outages: list[Window] = Field(default_factory=list, description="Fixed outage windows.")
    auto_clearance_h: Dist = Field(description="Automatic clearance once the message arrived.")
    manual_clearance_h: Dist = Field(description="Office hours of work to clear a batch by hand.")
    office_hours: OfficeHours = Field(default_factory=OfficeHours)
    eta_lead_h: NonNegFloat = Field(
        24.0,
        description="How early the shuttle's ETA is shared; the corridor must be up then "
        "for the shuttle to get its reserved berth window.",
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
        return self


class Period(Model):
    """A calendar period, both ends inclusive."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _checks(self) -> Period:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Target(Model):
    """A reported figure the model must reproduce."""

    figure: Literal["throughput_t", "throughput_teu", "vehicles", "shuttle_capacity_teu"]
    terminal: Name | None = None
    period: Period
    reported: PositiveFloat
    tolerance: Fraction = 0.01
    source: str = ""


class Calibration(Model):
    """Targets and the arrival streams whose ``scale`` may be fitted to them."""

    targets: dict[Name, Target] = Field(default_factory=dict)
    free: list[Name] = Field(default_factory=list, description="Arrival streams to scale.")
    max_iterations: Annotated[int, Field(ge=1, le=100)] = 10


class Scenario(Model):
    """A whole scenario: the root of a scenario file."""

    scenario: Metadata
    conversion: Conversion = Field(default_factory=Conversion)
    ship_classes: Annotated[dict[Name, ShipClass], Field(min_length=1)]
    arrivals: Annotated[dict[Name, Arrival], Field(min_length=1)]
    terminals: Annotated[dict[Name, Terminal], Field(min_length=1)]
    nautical: Nautical | None = None
    disruptions: Disruptions = Field(default_factory=Disruptions)
    shuttle: Shuttle | None = None
    corridor: Corridor | None = None
    calibration: Calibration = Field(default_factory=Calibration)

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
        for aname, arr in self.arrivals.items():
            if arr.ship_class not in self.ship_classes:
                problems.append(
                    (
                        f"arrivals.{aname}.ship_class",
                        _unknown("ship class", arr.ship_class, self.ship_classes),
                    )
                )
        if self.nautical is not None:
            for i, cname in enumerate(self.nautical.tide_bound_classes):
                if cname not in self.ship_classes:
                    problems.append(
                        (
                            f"nautical.tide_bound_classes[{i}]",
                            _unknown("ship class", cname, self.ship_classes),
                        )
                    )
            if self.nautical.tide is None and any(self._tide_bound(c) for c in self.ship_classes):
                problems.append(("nautical.tide", "some ships are tide-bound but no tide is given"))
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
        if self.shuttle is not None:
            term = self.terminals.get(self.shuttle.terminal)
            if term is None:
                problems.append(
                    (
                        "shuttle.terminal",
                        _unknown("terminal", self.shuttle.terminal, self.terminals),
                    )
                )
            elif term.cargo is not Cargo.container:
                problems.append(
                    (
                        "shuttle.terminal",
                        f"'{self.shuttle.terminal}' is a {term.cargo.value} terminal; "
                        "the shuttle needs a container terminal",
                    )
                )
            elif (
                self.shuttle.berth_group is not None and self.shuttle.berth_group not in term.berths
            ):
                problems.append(
                    (
                        "shuttle.berth_group",
                        _unknown("berth group", self.shuttle.berth_group, term.berths),
                    )
                )
            else:
                problems += self._shuttle_fits(self.shuttle, term)
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

    def _shuttle_fits(self, sh: Shuttle, term: Terminal) -> list[tuple[str, str]]:
        problems = []
        size = f"(dwt {sh.dwt_t:g} t, loa {sh.loa_m:g} m, draft {sh.draft_m:g} m)"
        groups = [sh.berth_group] if sh.berth_group is not None else list(term.berths)
        if not any(term.berths[g].fits(sh) for g in groups):  # type: ignore[arg-type]
            where = (
                f"does not fit berth group '{sh.berth_group}'"
                if sh.berth_group is not None
                else "fits no berth"
            )
            problems.append(
                (
                    "shuttle",
                    f"the shuttle {size} {where} of terminal '{sh.terminal}'; change the "
                    "shuttle's dwt_t, loa_m or draft_m, or its berth_group",
                )
            )
        if self.nautical is not None:
            n = self.nautical
            reach = n.channel_depth_m + (n.tide.high_water_m if n.tide else 0.0)
            if sh.draft_m + n.ukc_m > reach:
                problems.append(
                    (
                        "shuttle.draft_m",
                        f"draft {sh.draft_m:g} m + ukc {n.ukc_m:g} m exceeds the channel depth "
                        f"at high water ({reach:g} m): the shuttle can never enter",
                    )
                )
        return problems

    def shuttle_tide_bound(self) -> bool:
        """Whether the shuttle may only move inside tide windows (by its draft)."""
        n = self.nautical
        if n is None or self.shuttle is None:
            return False
        return self.shuttle.draft_m + n.ukc_m > n.channel_depth_m

    def _tide_bound(self, cname: str) -> bool:
        sc = self.ship_classes[cname]
        n = self.nautical
        if n is None:
            return False
        if sc.tide_bound is not None:
            return sc.tide_bound
        return cname in n.tide_bound_classes or sc.draft_m + n.ukc_m > n.channel_depth_m

    def tide_bound(self, cname: str) -> bool:
        """Whether ships of class ``cname`` may only move inside tide windows."""
        return self._tide_bound(cname)

    @property
    def observed_h(self) -> tuple[float, float]:
        """The observation window (hours): from the end of the warm-up to the horizon."""
        return self.scenario.warmup_days * 24.0, self.scenario.horizon_days * 24.0


class CrossFieldError(ValueError):
    """Several cross-field problems, each with its own dotted path."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


def _unknown(what: str, name: str, known: object) -> str:
    names = sorted(known) if hasattr(known, "__iter__") else []  # type: ignore[call-overload]
    return f"unknown {what} '{name}' (known: {', '.join(names) or 'none'})"
