"""Master plans: every year of every strategy simulated, then priced and compared.

A strategy opens options in given years, in the year a trigger calls for (``auto``), or in
the best year of a range. For each simulated year ``Y`` and the options open in it, the
**year scenario** is the base scenario with its observation window moved to ``Y``
(:func:`year_scenario`) and the options' own content merged on top; replication ``r`` of
every strategy and year uses the plan's seed and ``r`` (common random numbers). The
replications go through the run cache (:class:`lygsim.batch.RunStore`), so a year scenario
shared by several strategies is simulated once, a plan whose economics change
re-simulates nothing, and an interrupted plan resumes.

``auto`` entries are followed year by year: the option opens ``lead_time_years`` after the
first year whose mean over replications exceeds the trigger (in that year the option is
not yet open). Every year of every strategy is asked for at once, assuming no further
trigger is crossed; when one is, the years after it are asked for again, so a plan runs
in a few batches whatever its length.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lygsim.batch import RunStore
from lygsim.decision import NEVER, Choice
from lygsim.loader import deep_merge, to_plain, validate_data
from lygsim.planfile import Plan, Trigger, YearRange
from lygsim.planload import LoadedPlan
from lygsim.scenario import Scenario
from lygsim.scopes import Scope

FIXED, AUTO, RANGE = "fixed", "auto", "range"
"""How an option's year is set: given, by a trigger, or chosen from a range."""


# --- year scenarios ----------------------------------------------------------------------------


def _days_in(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year that has none
        return day.replace(year=day.year + years, day=28)


def moved_to_year(scenario: Scenario, base_year: int, year: int) -> dict[str, object]:
    """The scenario as data, its observation window moved from ``base_year`` to ``year``.

    The start date moves by whole years and the warm-up is kept; a window that is exactly
    one calendar year becomes calendar ``year`` (its length follows leap years). Every
    Poisson stream's rate and every shuttle service's transfer demand grow by their own
    ``growth_per_year`` compounded over the years moved (the rate in the window is then
    the one the base would reach there); renewal and timetabled arrivals and other vessel
    services (ferries) do not grow.
    Calibration targets describe the base year and are dropped.
    """
    k = year - base_year
    plain = to_plain(scenario)
    meta = plain["scenario"]
    sc = scenario.scenario
    window = sc.start_date + dt.timedelta(days=sc.warmup_days)
    calendar = (
        sc.warmup_days == int(sc.warmup_days)
        and (window.month, window.day) == (1, 1)
        and sc.horizon_days - sc.warmup_days == _days_in(window.year)
    )
    if calendar:
        meta["start_date"] = (dt.date(year, 1, 1) - dt.timedelta(days=sc.warmup_days)).isoformat()
        meta["horizon_days"] = sc.warmup_days + _days_in(year)
    else:
        meta["start_date"] = _add_years(sc.start_date, k).isoformat()
    for arr in plain["arrivals"].values():
        if arr["kind"] == "poisson":
            arr["calls_per_year"] *= (1.0 + arr.get("growth_per_year", 0.0)) ** k
    for svc in (plain.get("services") or {}).values():
        demand = svc.get("demand")  # a shuttle's transfer demand; a ferry keeps its timetable
        if isinstance(demand, dict):
            demand["teu_per_year"] *= (1.0 + demand.get("growth_per_year", 0.0)) ** k
    plain.pop("calibration", None)
    return plain


def year_scenario(loaded: LoadedPlan, year: int, opened: Sequence[str] = ()) -> Scenario:
    """The scenario of a year with the given options open (merged in this order).

    The base's own year with no option open is the base scenario itself (the same hash).

    Raises:
        ScenarioError: If the combination does not validate (naming the year and options).
    """
    if year == loaded.base_year and not opened:
        return loaded.base
    data = loaded.base_data
    for option in opened:
        data = deep_merge(data, loaded.option_content[option])
    src = f"{loaded.path}: year {year}" + (f" with {', '.join(opened)}" if opened else "")
    merged = validate_data(data, src) if opened else loaded.base
    if year == loaded.base_year:
        return merged
    return validate_data(moved_to_year(merged, loaded.base_year, year), src)


# --- strategies as variants --------------------------------------------------------------------


@dataclass(frozen=True)
class AutoEntry:
    """An option that opens when its trigger is crossed, ``lead`` years later."""

    option: str
    trigger: Trigger
    lead: int


@dataclass(frozen=True)
class Variant:
    """What is simulated for a strategy: the strategy itself, or one year of its range.

    Attributes:
        name: ``STRATEGY``, or ``STRATEGY@YEAR`` / ``STRATEGY@never`` for a ranged one.
        strategy: The plan's strategy.
        fixed: ``(option, year, how)`` of the options whose year is known.
        auto: The options opened by a trigger.
    """

    name: str
    strategy: str
    fixed: tuple[tuple[str, int, str], ...]
    auto: tuple[AutoEntry, ...]


def expand(plan: Plan) -> tuple[list[Variant], dict[str, Choice]]:
    """The variants to simulate and the ranged strategies' choices of year."""
    variants: list[Variant] = []
    choices: dict[str, Choice] = {}
    for sname, entries in plan.strategies.items():
        fixed = tuple((e.option, e.year, FIXED) for e in entries if isinstance(e.year, int))
        autos = tuple(
            AutoEntry(e.option, e.trigger, plan.options[e.option].lead_time_years)
            for e in entries
            if e.year == "auto" and e.trigger is not None
        )
        ranged = next((e for e in entries if isinstance(e.year, YearRange)), None)
        if ranged is None or not isinstance(ranged.year, YearRange):
            variants.append(Variant(sname, sname, fixed, autos))
            continue
        labels: dict[str, str] = {}
        for y in range(ranged.year.from_, ranged.year.to + 1):
            labels[str(y)] = f"{sname}@{y}"
            variants.append(
                Variant(labels[str(y)], sname, (*fixed, (ranged.option, y, RANGE)), autos)
            )
        labels[NEVER] = f"{sname}@{NEVER}"
        variants.append(Variant(labels[NEVER], sname, fixed, autos))
        choices[sname] = Choice(sname, ranged.option, labels)
    return variants, choices


@dataclass
class Course:
    """A variant followed through the years.

    Attributes:
        variant: The variant.
        commission: The year each option opens (options opening after the plan: absent).
        triggered: The year each ``auto`` option's trigger was crossed.
        units: Each simulated year's scenario (its hash in the run store).
        year: The next year to settle.
    """

    variant: Variant
    commission: dict[str, int]
    triggered: dict[str, int] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)
    year: int = 0
    pending: list[AutoEntry] = field(default_factory=list)
    evaluated: set[int] = field(default_factory=set)

    def opened(self, year: int, order: Sequence[str]) -> tuple[str, ...]:
        """The options open in ``year``, in commissioning order (ties: the plan's order)."""
        open_ = [o for o, c in self.commission.items() if c <= year]
        return tuple(sorted(open_, key=lambda o: (self.commission[o], order.index(o))))


class Engine:
    """Simulates every variant of a plan through the years, with a run store."""

    def __init__(
        self, loaded: LoadedPlan, store: RunStore, stage: Callable[[str], None] | None = None
    ):
        self.loaded = loaded
        self.store = store
        self.stage = stage or (lambda _text: None)
        self.order = list(loaded.plan.options)
        self._scenarios: dict[tuple[int, tuple[str, ...]], Scenario] = {}
        self._keys: dict[tuple[int, tuple[str, ...]], str] = {}
        self.batches = 0

    def scenario(self, year: int, opened: tuple[str, ...]) -> Scenario:
        """The year scenario (built once)."""
        key = (year, opened)
        if key not in self._scenarios:
            self._scenarios[key] = year_scenario(self.loaded, year, opened)
        return self._scenarios[key]

    def unit(self, year: int, opened: tuple[str, ...]) -> str:
        """The year scenario's key in the run store (hashed once)."""
        key = (year, opened)
        if key not in self._keys:
            self._keys[key] = self.store.add(self.scenario(year, opened))
        return self._keys[key]

    def run(self, variants: Sequence[Variant], reps: int) -> dict[str, Course]:
        """Simulate ``reps`` replications of every year of every variant."""
        plan = self.loaded.plan
        first, last = plan.years.first, plan.years.last
        courses = {
            v.name: Course(v, {o: y for o, y, _ in v.fixed}, year=first, pending=list(v.auto))
            for v in variants
        }
        while True:
            wanted: dict[str, tuple[Scenario, str]] = {}
            for c in courses.values():
                for y in range(c.year, last + 1):
                    opened = c.opened(y, self.order)
                    label = f"year {y}" + (f" with {', '.join(opened)}" if opened else "")
                    wanted.setdefault(self.unit(y, opened), (self.scenario(y, opened), label))
            if not wanted:
                break
            missing = [k for k in wanted if not self.store.has(k, reps)]
            if missing:
                self.batches += 1
                self.stage(
                    f"plan {plan.name}: batch {self.batches}: {len(missing)} year scenarios x "
                    f"{reps} replications"
                )
                self.store.ensure(
                    [wanted[k][0] for k in missing], reps, [wanted[k][1] for k in missing]
                )
            for c in courses.values():
                self._advance(c, reps, last)
        return courses

    def _advance(self, c: Course, reps: int, last: int) -> None:
        while c.year <= last:
            y = c.year
            key = self.unit(y, c.opened(y, self.order))
            if not self.store.has(key, reps):
                return
            if c.pending and y not in c.evaluated:
                c.evaluated.add(y)
                now = False
                for a in list(c.pending):
                    if trigger_mean(self.store, key, a.trigger, reps) > a.trigger.above:
                        c.pending.remove(a)
                        c.triggered[a.option] = y
                        if y + a.lead <= last:
                            c.commission[a.option] = y + a.lead
                            now = now or a.lead == 0
                if now:
                    continue  # the year's scenario changed: settle it again
            c.units[y] = key
            c.year += 1


def trigger_mean(store: RunStore, key: str, trigger: Trigger, reps: int) -> float:
    """The mean over replications of a trigger's KPI (NaN if the year does not report it)."""
    target = (Scope.terminal.value, trigger.terminal, trigger.metric)
    for i, k in enumerate(store.kpi_keys(key)):
        if k[:3] == target:
            values = store.kpi_values(key, reps)[:, i]
            values = values[~np.isnan(values)]
            return float(values.mean()) if len(values) else math.nan
    return math.nan


__all__ = [
    "AUTO",
    "FIXED",
    "RANGE",
    "AutoEntry",
    "Course",
    "Engine",
    "Variant",
    "expand",
    "moved_to_year",
    "trigger_mean",
    "year_scenario",
]
