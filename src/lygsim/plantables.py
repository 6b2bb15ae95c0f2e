"""From a plan's simulated courses to its tables: years, usage to price, openings.

``years.csv`` summarises every KPI of every year of every variant (mean and Student-t 95%
interval over replications); the usage table is what :mod:`lygsim.economics` prices (ship
hours by class with each terminal's ``overloaded`` flag); ``opened.csv`` says when each
option opens and how its year was set.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lygsim.batch import RunStore
from lygsim.economics import Investment, Prices
from lygsim.plan import AUTO, Course
from lygsim.planfile import Plan
from lygsim.scopes import Scope
from lygsim.stats import t_quantile

YEARS_COLUMNS = ["strategy", "year", "scope", "name", "metric", "unit", "mean", "ci_low", "ci_high"]
OPENED_COLUMNS = ["strategy", "option", "year", "how", "trigger_year"]


def summary_rows(store: RunStore, key: str, reps: int) -> pd.DataFrame:
    """Mean and Student-t 95% interval of every KPI of a year scenario (no calibration rows)."""
    keys = store.kpi_keys(key)
    x = store.kpi_values(key, reps)
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    filled = np.where(ok, x, 0.0)
    quantile = {k: t_quantile(0.975, k - 1) if k > 1 else math.nan for k in set(n.tolist())}
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        var = np.where(ok, (x - mean) ** 2, 0.0).sum(axis=0) / (n - 1)
        half = np.array([quantile[k] for k in n.tolist()]) * np.sqrt(var) / np.sqrt(n)
    frame = pd.DataFrame(keys, columns=["scope", "name", "metric", "unit"])
    frame["mean"], frame["ci_low"], frame["ci_high"] = mean, mean - half, mean + half
    return frame[frame["scope"] != Scope.calibration.value]


def years_table(courses: dict[str, Course], store: RunStore, reps: int) -> pd.DataFrame:
    """``years.csv``: every KPI of every year of every variant (:data:`YEARS_COLUMNS`)."""
    cache: dict[str, pd.DataFrame] = {}
    parts = []
    for name, c in courses.items():
        for y, key in sorted(c.units.items()):
            if key not in cache:
                cache[key] = summary_rows(store, key, reps)
            parts.append(cache[key].assign(strategy=name, year=y))
    return pd.concat(parts, ignore_index=True)[YEARS_COLUMNS]


def unit_usage(store: RunStore, key: str, reps: int) -> pd.DataFrame:
    """Ship hours of a year scenario with each terminal's ``overloaded`` flag, by replication."""
    hours = store.hours(key, reps)
    column = {
        k[1]: i
        for i, k in enumerate(store.kpi_keys(key))
        if k[0] == Scope.terminal.value and k[2] == "overloaded"
    }
    values = store.kpi_values(key, reps)
    idx = hours["terminal"].map(column)
    known = idx.notna().to_numpy()
    flags = np.zeros(len(hours))
    rows = hours["replication"].to_numpy()[known]
    flags[known] = values[rows, idx[known].astype(int).to_numpy()]
    return hours.assign(overloaded=flags)


def usage_table(
    c: Course, store: RunStore, reps: int, cache: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """What the economics price for one variant (:data:`lygsim.economics.USAGE_COLUMNS`).

    Args:
        c: The variant's course.
        store: The replications.
        reps: Replications used.
        cache: Per year scenario, its :func:`unit_usage` (shared by the variants).
    """
    cache = {} if cache is None else cache
    parts = []
    for y, key in sorted(c.units.items()):
        if key not in cache:
            cache[key] = unit_usage(store, key, reps)
        parts.append(cache[key].assign(year=y))
    return pd.concat(parts, ignore_index=True)


def investments(plan: Plan, c: Course) -> list[Investment]:
    """The options a variant opens within the plan, with their costs."""
    out = []
    for option, year in sorted(c.commission.items(), key=lambda kv: (kv[1], kv[0])):
        o = plan.options[option]
        out.append(
            Investment(option, o.capex, tuple(o.spending), o.opex_per_year, year, o.life_years)
        )
    return out


def prices(plan: Plan) -> Prices:
    """The plan's economics as :class:`lygsim.economics.Prices`."""
    eco = plan.economics
    st = eco.ship_time
    return Prices(
        discount_rate=eco.discount_rate,
        base_year=plan.base_year,
        waiting_per_h={k: r.waiting_per_h for k, r in st.by_class.items()},
        at_berth_per_h={k: r.at_berth_per_h for k, r in st.by_class.items()},
        default_waiting_per_h=st.default.waiting_per_h,
        default_at_berth_per_h=st.default.at_berth_per_h,
        cargo_time_per_unit_h=dict(eco.cargo_time_per_unit_h),
        turned_away_per_unit=dict(eco.turned_away_per_unit),
    )


def opened_table(courses: dict[str, Course]) -> pd.DataFrame:
    """``opened.csv``: each variant's options, the year they open and how it was set.

    ``year`` is empty for an option that does not open within the plan; ``trigger_year``
    is the year an ``auto`` option's trigger was crossed.
    """
    rows = []
    for name, c in courses.items():
        v = c.variant
        entries = [(o, how) for o, _, how in v.fixed] + [(a.option, AUTO) for a in v.auto]
        for option, how in entries:
            year = c.commission.get(option)
            crossed = c.triggered.get(option)
            rows.append(
                (
                    name,
                    option,
                    "" if year is None else str(year),
                    how,
                    "" if crossed is None else str(crossed),
                )
            )
    return pd.DataFrame(rows, columns=OPENED_COLUMNS)


__all__ = [
    "OPENED_COLUMNS",
    "YEARS_COLUMNS",
    "investments",
    "opened_table",
    "prices",
    "summary_rows",
    "unit_usage",
    "usage_table",
    "years_table",
]
