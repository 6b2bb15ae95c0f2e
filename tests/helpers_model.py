"""Small, valid scenarios for model tests, built from a few knobs.

``scenario_dict(...)`` returns plain scenario data (tests may change it further) and
``build(...)`` validates it with :func:`lygsim.loader.validate_data`.

The port has ``terminals`` terminals named ``t1``, ``t2``, ... Each has up to three berth
groups, ``g1`` (small), ``g2`` (medium) and ``g3`` (big), with the counts given in
``groups`` (0 = absent). Ship classes come in three sizes, named ``<terminal>_<size>``:

======  =========  ======  =========  =====================================
size    dwt (t)    loa (m)  draft (m)  fits
======  =========  ======  =========  =====================================
small   30,000     200     11         g1, g2, g3
medium  80,000     270     14         g2, g3
large   200,000    330     18         g3 only
======  =========  ======  =========  =====================================

With ``tide=True`` the channel is 15 m deep with 5 m of tide and 1 m under-keel clearance,
so ``large`` ships are tide-bound by their draft; ``tide_bound`` forces more classes (by
size name). Call sizes are in the terminal's unit; with the default handling (2 pieces of
equipment at 30 units/h) a small call takes about 10 h, a medium 17 h, a large 27 h.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lygsim.loader import validate_data
from lygsim.scenario import Scenario
from lygsim.units import HOURS_PER_YEAR

Data = dict[str, Any]

SIZES: dict[str, dict[str, float]] = {
    "small": {"dwt_t": 30_000, "loa_m": 200, "draft_m": 11, "call": 600},
    "medium": {"dwt_t": 80_000, "loa_m": 270, "draft_m": 14, "call": 1000},
    "large": {"dwt_t": 200_000, "loa_m": 330, "draft_m": 18, "call": 1600},
}
GROUPS: dict[str, dict[str, float]] = {
    "g1": {"max_dwt_t": 50_000, "max_loa_m": 250, "max_draft_m": 13},
    "g2": {"max_dwt_t": 120_000, "max_loa_m": 300, "max_draft_m": 16},
    "g3": {"max_dwt_t": 250_000, "max_loa_m": 360, "max_draft_m": 20},
}
GROUP_NAMES = tuple(GROUPS)
SIZE_NAMES = tuple(SIZES)
CARGOES = ("container", "ore", "crude")


def fitting_sizes(groups: Sequence[int]) -> tuple[str, ...]:
    """Class sizes that fit at least one present berth group (``groups``: counts g1..g3)."""
    present = [GROUPS[g] for g, n in zip(GROUP_NAMES, groups, strict=False) if n > 0]
    return tuple(
        s
        for s, dims in SIZES.items()
        if any(
            dims["dwt_t"] <= g["max_dwt_t"]
            and dims["loa_m"] <= g["max_loa_m"]
            and dims["draft_m"] <= g["max_draft_m"]
            for g in present
        )
    )


def _dist(mean: float, cv: float) -> Data:
    if cv <= 0:
        return {"dist": "constant", "value": mean}
    return {"dist": "gamma", "mean": mean, "cv": cv}


def _arrival(
    kind: str, cname: str, calls_per_year: float, k: int, hour: float | None, lateness_sd: float
) -> Data:
    if kind == "poisson":
        return {"kind": "poisson", "ship_class": cname, "calls_per_year": calls_per_year}
    if kind == "renewal":
        return {
            "kind": "renewal",
            "ship_class": cname,
            "interarrival_h": {"dist": "erlang", "k": 2, "mean": HOURS_PER_YEAR / calls_per_year},
        }
    if kind == "scheduled":
        per_week = max(1, min(7, round(calls_per_year / 52.18)))
        days = sorted({(k + 7 * i // per_week) % 7 for i in range(per_week)})
        return {
            "kind": "scheduled",
            "ship_class": cname,
            "days_of_week": days,
            "hour": float((5 * k + 3) % 24) if hour is None else hour,
            "lateness_h": (
                {"dist": "normal", "mean": 2.0, "sd": lateness_sd}
                if lateness_sd > 0
                else {"dist": "constant", "value": 2.0}
            ),
        }
    raise ValueError(f"unknown arrival kind {kind!r}")


def scenario_dict(
    *,
    terminals: int = 1,
    groups: Sequence[int] = (1, 1, 0),
    sizes: Sequence[str] | None = None,
    arrivals: str | Sequence[str] = "poisson",
    calls_per_year: float = 800.0,
    liner_hour: float | None = None,
    lateness_sd: float = 6.0,
    horizon_days: float = 20.0,
    warmup_days: float = 0.0,
    equipment: int = 2,
    rate: float = 30.0,
    rate_cv: float = 0.0,
    efficiency: float = 1.0,
    berthing_h: float = 0.0,
    unberthing_h: float = 0.0,
    dispatch: str | Data = "fcfs",
    tide: bool = False,
    tide_bound: Iterable[str] = (),
    window_h: float = 4.0,
    transit_h: float = 0.0,
    closures: Iterable[tuple[float, float]] = (),
    random_closures_per_year: float = 0.0,
    closure_mean_h: float = 12.0,
    yard_capacity: float | None = None,
    dwell_h: float = 48.0,
    import_share: float = 1.0,
    yard_initial: float = 0.0,
    planned_outages: Iterable[tuple[float, float]] = (),
    failures: tuple[float, float] | None = None,
    outage_berths: int = 1,
) -> Data:
    """Plain data of a small valid scenario.

    Args:
        terminals: Number of terminals (1 to 3; cargo container, ore, crude in turn).
        groups: Berth count of groups g1, g2, g3 in every terminal (0 = no such group).
        sizes: Class sizes in every terminal (default: every size that fits ``groups``).
        arrivals: ``poisson``, ``renewal`` or ``scheduled``, one for all classes or one
            per class (cycled).
        calls_per_year: Mean calls per year of each class in each terminal.
        liner_hour: Hour of every scheduled service (None: a different hour each), so
            that with ``lateness_sd=0`` several ships arrive at the same time.
        lateness_sd: Standard deviation of liner lateness (normal, mean 2 h; 0: always 2 h).
        horizon_days: Simulated days, warm-up included.
        warmup_days: Warm-up days.
        equipment: Equipment per berth (every group).
        rate: Mean rate per piece of equipment (units/h); ``rate_cv`` 0 makes it constant.
        rate_cv: Coefficient of variation of the rate (gamma).
        efficiency: Constant efficiency.
        berthing_h: Constant berthing time.
        unberthing_h: Constant unberthing time.
        dispatch: The dispatch rule of every terminal: a rule name, or the whole mapping,
            whose ``order`` (class_priority) lists sizes (``small``, ...), named per terminal.
        tide: Whether the channel has a tide (then ``large`` ships are tide-bound).
        tide_bound: Sizes forced tide-bound with ``tide_bound: true`` (needs ``tide``).
        window_h: Length of the tide window around each high water.
        transit_h: Channel transit time.
        closures: Fixed weather closures ``(start_day, duration_h)``.
        random_closures_per_year: Random closure episodes per year (0: none).
        closure_mean_h: Mean length of a random closure (gamma, cv 0.5).
        yard_capacity: Yard capacity of every terminal (None: no yards).
        dwell_h: Mean dwell in the yard (gamma, cv 0.5).
        import_share: Share of each call discharged to the yard.
        yard_initial: Stock at time 0.
        planned_outages: ``(start_day, duration_h)`` windows of the first berths of the first
            present group of terminal ``t1``.
        failures: ``(mean_time_between_failures_h, mean_time_to_repair_h)`` (exponential) of
            those berths, or None.
        outage_berths: How many berths of that group the outages take.
    """
    if not 1 <= terminals <= len(CARGOES):
        raise ValueError("terminals must be 1 to 3")
    groups = tuple(groups) + (0,) * (3 - len(groups))
    if not any(groups):
        raise ValueError("at least one berth group needs berths")
    sizes = tuple(sizes) if sizes is not None else fitting_sizes(groups)
    kinds = [arrivals] if isinstance(arrivals, str) else list(arrivals)
    tide_bound = tuple(tide_bound)
    closures = list(closures)
    planned_outages = list(planned_outages)

    data: Data = {
        "scenario": {
            "name": "helper",
            "start_date": "2023-01-02",
            "horizon_days": horizon_days,
            "warmup_days": warmup_days,
        },
        "ship_classes": {},
        "arrivals": {},
        "terminals": {},
    }
    k = 0
    for ti in range(terminals):
        tname = f"t{ti + 1}"
        berths: Data = {}
        for gname, count in zip(GROUP_NAMES, groups, strict=True):
            if count <= 0:
                continue
            berths[gname] = {
                "count": count,
                **GROUPS[gname],
                "equipment": equipment,
                "rate": _dist(rate, rate_cv),
                "efficiency": {"dist": "constant", "value": efficiency},
                "berthing_h": {"dist": "constant", "value": berthing_h},
                "unberthing_h": {"dist": "constant", "value": unberthing_h},
            }
        rule = {"rule": dispatch} if isinstance(dispatch, str) else dict(dispatch)
        if "order" in rule:
            rule["order"] = [f"{tname}_{size}" for size in rule["order"]]
        term: Data = {"cargo": CARGOES[ti], "berths": berths, "dispatch": rule}
        if yard_capacity is not None:
            term["yard"] = {
                "capacity": yard_capacity,
                "dwell_h": _dist(dwell_h, 0.5),
                "import_share": import_share,
                "initial": yard_initial,
            }
        data["terminals"][tname] = term
        for size in sizes:
            dims = SIZES[size]
            cname = f"{tname}_{size}"
            data["ship_classes"][cname] = {
                "terminal": tname,
                "dwt_t": dims["dwt_t"],
                "loa_m": dims["loa_m"],
                "draft_m": dims["draft_m"],
                "call_size": {"dist": "lognormal", "mean": dims["call"], "cv": 0.4},
            }
            kind = kinds[k % len(kinds)]
            data["arrivals"][f"{cname}_arr"] = _arrival(
                kind, cname, calls_per_year, k, liner_hour, lateness_sd
            )
            k += 1

    if tide or closures or random_closures_per_year > 0:
        nautical: Data = {
            "channel_depth_m": 15.0 if tide else 25.0,
            "ukc_m": 1.0,
            "transit_h": transit_h,
        }
        if tide:
            nautical["tide"] = {"high_water_m": 5.0, "window_h": window_h, "period_h": 12.42}
            for ti in range(terminals):
                for s in tide_bound:
                    if s in sizes:
                        data["ship_classes"][f"t{ti + 1}_{s}"]["tide_bound"] = True
        weather: Data = {
            "closures": [{"start_day": s, "duration_h": d} for s, d in closures],
        }
        if random_closures_per_year > 0:
            weather["random"] = {
                "episodes_per_year": random_closures_per_year,
                "duration_h": _dist(closure_mean_h, 0.5),
            }
        nautical["weather"] = weather
        data["nautical"] = nautical
    elif transit_h > 0:
        data["nautical"] = {"channel_depth_m": 25.0, "transit_h": transit_h}

    if planned_outages or failures is not None:
        first = next(g for g, n in zip(GROUP_NAMES, groups, strict=True) if n > 0)
        outage: Data = {
            "terminal": "t1",
            "group": first,
            "berths": outage_berths,
            "planned": [{"start_day": s, "duration_h": d} for s, d in planned_outages],
        }
        if failures is not None:
            outage["time_between_failures_h"] = {"dist": "exponential", "mean": failures[0]}
            outage["time_to_repair_h"] = {"dist": "exponential", "mean": failures[1]}
        data["disruptions"] = {"outages": {"maintenance": outage}}
    return data


def build(**knobs: Any) -> Scenario:
    """A validated scenario from :func:`scenario_dict`'s knobs."""
    return validate_data(scenario_dict(**knobs), "test")


def validate(data: Data) -> Scenario:
    """Validate (a deep copy of) scenario data changed by a test."""
    return validate_data(copy.deepcopy(data), "test")


def frame_digest(df: pd.DataFrame) -> str:
    """A digest of a table's exact contents: every number bit for bit, every label."""
    h = hashlib.sha256()
    for col in df.columns:
        h.update(col.encode())
        values = df[col]
        if pd.api.types.is_numeric_dtype(values.dtype) and not isinstance(
            values.dtype, pd.CategoricalDtype
        ):
            h.update(np.ascontiguousarray(values.to_numpy()).tobytes())
        else:  # labels (str, object, categorical): their text, never object pointers
            h.update("\x1f".join(map(str, values.astype(object).tolist())).encode())
    return h.hexdigest()
