"""The event log of one replication: cheap writes during the run, arrays at the end.

Every arrival is known before the run starts, so each visit field is a preallocated
``array('d')`` column indexed by ship number: a write during the run is one C-level
store, memory is 8 bytes per field per call, and the columns become numpy arrays without
a copy. Levels that cannot be derived from the visits (yard stock, berths down) are
appended to columns only when they change. Nothing here knows SimPy or pandas.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np

NAN = math.nan

TIME_FIELDS = (
    "assigned_h",
    "entered_h",
    "berthed_h",
    "handling_start_h",
    "handling_end_h",
    "departed_h",
)
WAIT_FIELDS = ("yard_in", "wait_tide_h", "wait_weather_h", "wait_yard_h", "wait_outage_h")
# waits to leave, known when handling ends; counted once the ship has actually left
LEAVE_FIELDS = ("wait_tide_out_h", "wait_weather_out_h")
LEVEL_SERIES = ("yard", "berths_down")


class VisitColumns:
    """Preallocated columns of the visits of one replication (one slot per planned call).

    The fields known at arrival (class, terminal, arrival time, call size, scheduled) come
    from the arrival plan; the rest start as NaN (times) or 0 (waits) and are filled in as
    the ship moves. ``berth`` is -1 until a berth is assigned.
    """

    def __init__(self, n: int):
        self.n = n
        nan_block = array("d", [NAN]) * n
        zero_block = array("d", [0.0]) * n
        for name in TIME_FIELDS:
            setattr(self, name, array("d", nan_block))
        for name in (*WAIT_FIELDS, *LEAVE_FIELDS):
            setattr(self, name, array("d", zero_block))
        self.berth = array("q", [-1]) * n

    # typed attributes for readers and type checkers
    assigned_h: array
    entered_h: array
    berthed_h: array
    handling_start_h: array
    handling_end_h: array
    departed_h: array
    yard_in: array
    wait_tide_h: array
    wait_weather_h: array
    wait_yard_h: array
    wait_outage_h: array
    wait_tide_out_h: array
    wait_weather_out_h: array


@dataclass
class Records:
    """Everything one replication recorded.

    Attributes:
        n_arrived: Ships that arrived before the end (the first ``n_arrived`` planned calls).
        plan: Arrays known before the run: ``arrived_h``, ``ship_class``, ``terminal``,
            ``call_size``, ``scheduled``.
        cols: The visit columns filled during the run.
        level_time, level_series, level_key, level_value: Level changes, in time order
            per series and key (``level_series`` indexes :data:`LEVEL_SERIES`).
        class_names, terminal_names, berth_ids, berth_terminal: Names of the indices.
        end_h: The simulated horizon.
        notes: Warnings about the scenario raised while building the model.
        closures: Weather closures ``(start_h, end_h)``.
        yard_state: Per terminal index: ``(initial, final level, gone inland)``.
    """

    plan: dict[str, np.ndarray] = field(default_factory=dict)
    cols: VisitColumns | None = None
    n_arrived: int = 0
    level_time: array = field(default_factory=lambda: array("d"))
    level_series: array = field(default_factory=lambda: array("b"))
    level_key: array = field(default_factory=lambda: array("q"))
    level_value: array = field(default_factory=lambda: array("d"))
    class_names: tuple[str, ...] = ()
    terminal_names: tuple[str, ...] = ()
    berth_ids: tuple[str, ...] = ()
    berth_terminal: tuple[int, ...] = ()
    end_h: float = 0.0
    notes: list[str] = field(default_factory=list)
    closures: list[tuple[float, float]] = field(default_factory=list)
    yard_state: dict[int, tuple[float, float, float]] = field(default_factory=dict)

    def log_level(self, t: float, series: int, key: int, value: float) -> None:
        """Record that level ``series``/``key`` became ``value`` at time ``t``."""
        self.level_time.append(t)
        self.level_series.append(series)
        self.level_key.append(key)
        self.level_value.append(value)

    def visit_columns(self) -> dict[str, np.ndarray]:
        """The visits of ships that arrived, as one numpy array per field."""
        n = self.n_arrived
        out = {
            "ship_id": np.arange(n, dtype=np.int64),
            "ship_class": self.plan["ship_class"][:n].astype(np.int64),
            "terminal": self.plan["terminal"][:n].astype(np.int64),
            "scheduled": self.plan["scheduled"][:n].astype(bool),
            "arrived_h": self.plan["arrived_h"][:n],
            "call_size": self.plan["call_size"][:n],
        }
        cols = self.cols
        if cols is None:
            out["berth"] = np.full(n, -1, dtype=np.int64)
            for name in TIME_FIELDS:
                out[name] = np.full(n, NAN)
            for name in WAIT_FIELDS:
                out[name] = np.zeros(n)
            return out
        out["berth"] = np.frombuffer(cols.berth, dtype=np.int64)[:n]
        for name in WAIT_FIELDS:
            out[name] = np.frombuffer(getattr(cols, name), dtype=np.float64)[:n]
        for name in TIME_FIELDS:
            # times written ahead (a step already scheduled) that the horizon cut off
            t = np.frombuffer(getattr(cols, name), dtype=np.float64)[:n].copy()
            t[t >= self.end_h] = NAN
            out[name] = t
        left = ~np.isnan(out["departed_h"])
        for name, extra in (
            ("wait_tide_h", "wait_tide_out_h"),
            ("wait_weather_h", "wait_weather_out_h"),
        ):
            out[name] = out[name] + np.where(
                left, np.frombuffer(getattr(cols, extra), dtype=np.float64)[:n], 0.0
            )
        return out

    def level_columns(self) -> dict[str, np.ndarray]:
        """The recorded levels: ``time_h``, ``series`` (name), ``key``, ``value``."""
        codes = (
            np.frombuffer(self.level_series, dtype=np.int8)
            if len(self.level_series)
            else (np.empty(0, dtype=np.int8))
        )
        return {
            "series_code": codes,
            "time_h": np.frombuffer(self.level_time, dtype=np.float64)
            if len(self.level_time)
            else np.empty(0),
            "series": np.asarray(LEVEL_SERIES, dtype=object)[codes.astype(np.int64)],
            "key": np.frombuffer(self.level_key, dtype=np.int64)
            if len(self.level_key)
            else np.empty(0, dtype=np.int64),
            "value": np.frombuffer(self.level_value, dtype=np.float64)
            if len(self.level_value)
            else np.empty(0),
        }
