"""Warnings for values that validate but are far outside the plausible range for their unit.

The schema refuses what cannot be meant (a growth of +800%/yr, a 1e308 t ship); what may be
meant but is probably a unit slip (hours typed as days, percent typed as a fraction, a rate
per berth given per crane) is only warned about: each warning says what was probably meant.
"""

from __future__ import annotations

from collections.abc import Callable

from lygsim.errors import Problem
from lygsim.scenario import Cargo, PoissonArrivals, Scenario

# Highest plausible handling rate per piece of equipment, in the terminal's unit per hour:
# five times the usual top for cranes and ramps (container cranes move 20-40 TEU/h, ro-ro
# ramps 50-300 vehicles/h), the fastest equipment built for bulk (ship loaders of about
# 16,000 t/h; unloaders and loading arms stay below). The schema refuses 20,000 units/h.
# Slow rates are not warned about: the textbook-queue scenarios use 1 unit/h on purpose.
RATE_HIGH = {
    Cargo.container: 200.0,
    Cargo.ore: 16_000.0,
    Cargo.dry_bulk: 16_000.0,
    Cargo.crude: 16_000.0,
    Cargo.liquid_bulk: 16_000.0,
    Cargo.roro: 1500.0,
}
GROWTH_WARN = 0.3
"""Growth beyond +-30%/yr is sustained by no port: probably a percentage typed as a fraction."""
HORIZON_WARN_DAYS = 3660.0
"""Horizons over 10 years that are a multiple of 24 look like hours typed as days (8760)."""
SEASON_RATIO_WARN = 10.0
"""Ports see months at most a few times busier than others, not ten times."""
TAIL = 0.999
"""A call larger than its limit in one call of a thousand deserves a warning."""


def plausibility_warnings(scenario: Scenario, source: str = "") -> list[Problem]:
    """One warning per value far outside the plausible range for its unit.

    Args:
        scenario: A validated scenario.
        source: The file named in the warnings.

    Returns:
        Problems (``source``, dotted field path, what looks wrong and what was probably
        meant); empty for a plausible scenario. Print them with
        :meth:`lygsim.errors.Problem.as_warning`.
    """
    out: list[Problem] = []

    def warn(path: str, message: str) -> None:
        out.append(Problem(source, path, message))

    meta = scenario.scenario
    if meta.horizon_days > HORIZON_WARN_DAYS and meta.horizon_days % 24 == 0:
        # long horizons are fine (the textbook queues run 20,000 days); a whole number of
        # days that is also a whole number of 24 h is the mark of hours typed as days
        warn(
            "scenario.horizon_days",
            f"{meta.horizon_days:g} days is {meta.horizon_days / 365:.0f} years; horizon_days "
            f"is in days: did you mean {meta.horizon_days:g} hours = "
            f"{meta.horizon_days / 24:g} days?",
        )
    if meta.warmup_days > meta.horizon_days / 2:
        warn(
            "scenario.warmup_days",
            f"the warm-up ({meta.warmup_days:g} days) takes more than half the horizon "
            f"({meta.horizon_days:g} days); KPIs come from the last "
            f"{meta.horizon_days - meta.warmup_days:g} days only",
        )
    for name, arr in scenario.arrivals.items():
        where = f"arrivals.{name}"
        if isinstance(arr, PoissonArrivals):
            _growth(warn, f"{where}.growth_per_year", arr.growth_per_year)
            _season(warn, f"{where}.seasonality", arr.seasonality)
            if not 0.2 <= arr.scale <= 5:
                warn(
                    f"{where}.scale",
                    f"scale {arr.scale:g} multiplies the rate by {arr.scale:g}; calibrated "
                    "scales lie near 1 (change calls_per_year to change demand)",
                )
    for tname, term in scenario.terminals.items():
        high = RATE_HIGH[term.cargo]
        unit = f"{term.unit}/h"
        for gname, group in term.berths.items():
            mean = group.rate.mean
            if mean > high:
                warn(
                    f"terminals.{tname}.berths.{gname}.rate",
                    f"mean {mean:g} {unit} per piece of equipment is far above the usual "
                    f"(at most {high:g} {unit} at a {term.cargo.value} terminal); the rate is "
                    "per crane, unloader, arm or ramp, not per berth or per day",
                )
    for cname, sc in scenario.ship_classes.items():
        limit = scenario.call_size_limit(cname)
        if limit is None or sc.call_size.mean > limit[0]:
            continue  # the schema refuses a mean above the limit
        top = sc.call_size.maximum
        what = "can reach"
        if top == float("inf"):
            top, what = sc.call_size.quantile(TAIL), "reaches, one call in a thousand,"
        if top > limit[0] * (1 + 1e-9):
            unit = scenario.terminals[sc.terminal].unit
            warn(
                f"ship_classes.{cname}.call_size",
                f"a call {what} {top:,.0f} {unit}, more than {limit[1]} "
                f"({limit[0]:,.0f} {unit}); lower the spread or bound the distribution",
            )
    if scenario.nautical is not None and scenario.nautical.tide is not None:
        period = scenario.nautical.tide.period_h
        if not (11 <= period <= 14 or 23 <= period <= 26):
            warn(
                "nautical.tide.period_h",
                f"{period:g} h between high waters; tides are semi-diurnal (12.42 h) or "
                "diurnal (24.84 h)",
            )
    for key, service in scenario.shuttles.items():
        demand = service.demand
        _growth(warn, f"services.{key}.demand.growth_per_year", demand.growth_per_year)
        _season(warn, f"services.{key}.demand.seasonality", demand.seasonality)
    conv = scenario.conversion
    if not 5 <= conv.tons_per_teu <= 25:
        warn(
            "conversion.tons_per_teu",
            f"{conv.tons_per_teu:g} t per TEU; ports count 10-13 t per TEU, box included",
        )
    return out


Warn = Callable[[str, str], None]


def _growth(warn: Warn, path: str, growth: float) -> None:
    if abs(growth) > GROWTH_WARN:
        pct = growth * 100
        warn(
            path,
            f"{growth:g} is {pct:+g}%/yr, far beyond what ports sustain; growth_per_year is "
            f"a fraction: did you mean {growth / 100:g} ({growth:g}%)?",
        )


def _season(warn: Warn, path: str, factors: list[float]) -> None:
    ratio = max(factors) / min(factors)
    if ratio > SEASON_RATIO_WARN:
        warn(
            path,
            f"the busiest month is {ratio:.0f} times the quietest; factors are relative "
            "(1 = an average month), typically between 0.7 and 1.3",
        )
