"""The event log of one replication: cheap appends during the run, arrays once at the end.

A visit is a Python list created when the ship arrives and filled in as it moves; levels
are ``(time, series, key, value)`` tuples appended only when a level changes. Nothing here
knows SimPy or pandas: :meth:`Records.columns` hands plain numpy arrays to the next stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAN = math.nan

# Positions in a visit record (one list per ship call).
VISIT_FIELDS = (
    "ship_id",
    "ship_class",
    "terminal",
    "berth",
    "scheduled",
    "arrived_h",
    "assigned_h",
    "entered_h",
    "berthed_h",
    "handling_start_h",
    "handling_end_h",
    "departed_h",
    "call_size",
    "yard_in",
    "wait_tide_h",
    "wait_weather_h",
    "wait_yard_h",
    "wait_outage_h",
)
(
    SHIP_ID,
    SHIP_CLASS,
    TERMINAL,
    BERTH,
    SCHEDULED,
    ARRIVED,
    ASSIGNED,
    ENTERED,
    BERTHED,
    HSTART,
    HEND,
    DEPARTED,
    CALL_SIZE,
    YARD_IN,
    WAIT_TIDE,
    WAIT_WEATHER,
    WAIT_YARD,
    WAIT_OUTAGE,
) = range(len(VISIT_FIELDS))


def new_visit(
    ship_id: int, ship_class: int, terminal: int, scheduled: bool, arrived: float, call_size: float
) -> list[Any]:
    """A visit record for a ship that has just arrived."""
    return [
        ship_id,
        ship_class,
        terminal,
        -1,
        scheduled,
        arrived,
        NAN,
        NAN,
        NAN,
        NAN,
        NAN,
        NAN,
        call_size,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ]


@dataclass
class Records:
    """Everything one replication recorded.

    Attributes:
        visits: One list per ship call, indexed by the constants of this module.
        levels: ``(time_h, series, key, value)`` for levels that change during the run
            (yard stock, berths down); queue lengths and berths busy are derived from visits.
        class_names: Ship class of each class index.
        terminal_names: Terminal of each terminal index.
        berth_ids: Berth id of each berth index, and ``berth_terminal`` its terminal index.
        end_h: The simulated horizon.
        notes: Warnings about the scenario raised while building the model.
        closures: Weather closures ``(start_h, end_h)``.
        yard_state: Per terminal: initial stock, final stock and what went inland.
    """

    visits: list[list[Any]] = field(default_factory=list)
    levels: list[tuple[float, str, int, float]] = field(default_factory=list)
    class_names: tuple[str, ...] = ()
    terminal_names: tuple[str, ...] = ()
    berth_ids: tuple[str, ...] = ()
    berth_terminal: tuple[int, ...] = ()
    end_h: float = 0.0
    notes: list[str] = field(default_factory=list)
    closures: list[tuple[float, float]] = field(default_factory=list)
    yard_state: dict[int, tuple[float, float, float]] = field(default_factory=dict)

    def visit_columns(self) -> dict[str, np.ndarray]:
        """The visits as one numpy array per field."""
        if not self.visits:
            return {name: np.empty(0) for name in VISIT_FIELDS}
        table = np.asarray(self.visits, dtype=float)
        cols = {name: table[:, i] for i, name in enumerate(VISIT_FIELDS)}
        for name in ("ship_id", "ship_class", "terminal", "berth"):
            cols[name] = cols[name].astype(np.int64)
        cols["scheduled"] = cols["scheduled"].astype(bool)
        return cols

    def level_columns(self) -> dict[str, np.ndarray]:
        """The recorded levels as numpy arrays: ``time_h``, ``series``, ``key``, ``value``."""
        if not self.levels:
            return {
                "time_h": np.empty(0),
                "series": np.empty(0, dtype=object),
                "key": np.empty(0, dtype=np.int64),
                "value": np.empty(0),
            }
        t, s, k, v = zip(*self.levels, strict=True)
        return {
            "time_h": np.asarray(t, dtype=float),
            "series": np.asarray(s, dtype=object),
            "key": np.asarray(k, dtype=np.int64),
            "value": np.asarray(v, dtype=float),
        }
