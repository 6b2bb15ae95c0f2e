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
# inbound channel waits (before entering: part of the ship's wait) and the delays at the
# berth (yard space, outages: part of its time at berth)
WAIT_FIELDS = ("yard_in", "wait_tide_h", "wait_weather_h", "wait_yard_h", "wait_outage_h")
# waits at the berth to leave (time at berth); written when the ship has left
LEAVE_FIELDS = ("wait_tide_out_h", "wait_weather_out_h")
LEVEL_SERIES = ("yard", "berths_down")


class VisitColumns:
    """Preallocated columns of the visits of one replication (one slot per planned call).

    The fields known at arrival (class, terminal, arrival time, call size, scheduled) come
    from the arrival plan; the rest start as NaN (times) or 0 (waits) and are filled in as
    the ship moves (see :mod:`lygsim.model.call`: a time is written only if it is reached
    before the end of the run). ``berth`` is -1 until a berth is assigned.
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


SERVICE_CALL_TIMES = (
    "arrived_h",
    "requested_h",
    "assigned_h",
    "entered_h",
    "berthed_h",
    "discharged_h",
    "load_start_h",
    "load_end_h",
    "cast_off_h",
    "departed_h",
)
SERVICE_CALL_AMOUNTS = (
    "teu_in",
    "teu_out",
    "teu_missed_cutoff",
    "teu_left_full",
    "wait_tide_h",
    "wait_weather_h",
    "wait_outage_h",
    "wait_tide_out_h",
    "wait_weather_out_h",
)


class ServiceCallColumns:
    """Preallocated columns of a shuttle service's calls at the port, one per timetable slot.

    ``slot_h`` (the timetabled departure), ``cutoff_h`` and ``vessel`` are known before the
    run; times start as NaN and are written when reached (``departed_h``: left the berth,
    i.e. sailed), amounts start at 0; ``berth`` is -1 until a berth is assigned and
    ``eta_shared`` is 1 when the corridor shared the call's ETA (a reserved berth window).
    The waits for the channel are split as a ship's: inbound (``wait_tide_h``,
    ``wait_weather_h``) and at the berth to leave (``wait_tide_out_h``, ...).
    """

    def __init__(self, slot_h: np.ndarray, cutoff_h: float, vessels: int):
        n = len(slot_h)
        slots = np.asarray(slot_h, dtype=np.float64)
        self.n = n
        self.slot_h = array("d", slots.tobytes())
        self.cutoff_h = array("d", (slots - cutoff_h).tobytes())
        self.vessel = array("q", (np.arange(n, dtype=np.int64) % vessels).tobytes())
        nan_block = array("d", [NAN]) * n
        zero_block = array("d", [0.0]) * n
        for name in SERVICE_CALL_TIMES:
            setattr(self, name, array("d", nan_block))
        for name in SERVICE_CALL_AMOUNTS:
            setattr(self, name, array("d", zero_block))
        self.berth = array("q", [-1]) * n
        self.eta_shared = array("b", [0]) * n

    slot_h: array
    cutoff_h: array
    vessel: array
    arrived_h: array
    requested_h: array
    assigned_h: array
    entered_h: array
    berthed_h: array
    discharged_h: array
    load_start_h: array
    load_end_h: array
    cast_off_h: array
    departed_h: array
    teu_in: array
    teu_out: array
    teu_missed_cutoff: array
    teu_left_full: array
    wait_tide_h: array
    wait_weather_h: array
    wait_outage_h: array
    wait_tide_out_h: array
    wait_weather_out_h: array


VESSEL_CALL_TIMES = (
    "arrived_h",
    "assigned_h",
    "entered_h",
    "berthed_h",
    "work_end_h",
    "departed_h",
)
VESSEL_CALL_AMOUNTS = (
    "units",
    "wait_tide_h",
    "wait_weather_h",
    "wait_outage_h",
    "wait_tide_out_h",
    "wait_weather_out_h",
)


class VesselCallColumns:
    """The calls of a service of a :mod:`lygsim.vessels` kind, a row added per call.

    How many calls such a service makes is its own business, so rows are appended when a
    call starts (:meth:`add`) rather than preallocated. Times start as NaN and are written
    when reached; ``units`` is the cargo the call handles, in the terminal's unit.
    """

    def __init__(self) -> None:
        self.n = 0
        for name in (*VESSEL_CALL_TIMES, *VESSEL_CALL_AMOUNTS):
            setattr(self, name, array("d"))
        self.berth = array("q")

    def add(self, arrived_h: float, units: float) -> int:
        """Start a row for a call that arrived at ``arrived_h``; returns its index."""
        for name in VESSEL_CALL_TIMES:
            getattr(self, name).append(NAN)
        for name in VESSEL_CALL_AMOUNTS:
            getattr(self, name).append(0.0)
        self.arrived_h[self.n] = arrived_h
        self.units[self.n] = units
        self.berth.append(-1)
        self.n += 1
        return self.n - 1

    def columns(self) -> dict[str, np.ndarray]:
        """The calls as numpy arrays."""
        out = {
            name: _view(getattr(self, name), np.float64)
            for name in (*VESSEL_CALL_TIMES, *VESSEL_CALL_AMOUNTS)
        }
        out["berth"] = _view(self.berth, np.int64)
        return out

    arrived_h: array
    assigned_h: array
    entered_h: array
    berthed_h: array
    work_end_h: array
    departed_h: array
    units: array
    wait_tide_h: array
    wait_weather_h: array
    wait_outage_h: array
    wait_tide_out_h: array
    wait_weather_out_h: array


@dataclass
class VesselRecords:
    """What one service of a :mod:`lygsim.vessels` kind recorded in one replication.

    Attributes:
        kind: The kind's tag (``ferry``, ...).
        terminal: Index of the terminal where it berths.
        calls: One row per call.
    """

    kind: str
    terminal: int
    calls: VesselCallColumns


def _view(a: array, dtype: type) -> np.ndarray:
    return np.frombuffer(a, dtype=dtype) if len(a) else np.empty(0, dtype=dtype)


@dataclass
class CorridorRecords:
    """What a data corridor recorded: switched on or off, and its outages.

    Attributes:
        enabled: False when the scenario switches the corridor off.
        down: The outages ``(start_h, end_h)``, merged.
    """

    enabled: bool
    down: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class ServiceRecords:
    """What one shuttle service (the Lianshen Express) recorded in one replication.

    Southbound transfer boxes are batches of ``batch_teu`` TEU, all booked before the run
    (``booked_h``, sorted) with their clearance already known (``cleared_h``,
    ``by_corridor``); ``sailing`` is the call (timetable slot) that loaded each batch, or
    -1. Northbound batches (``in_*``) are split at the end from the ``teu_in`` of each call
    that finished discharging.

    Attributes:
        terminal: Index of the terminal where the service berths.
        capacity_teu, batch_teu, sea_time_h, shanghai_time_h: From the scenario.
        calls: One row per timetable slot.
        corridor: Key of the corridor that clears its boxes, or None (not modelled).
    """

    terminal: int
    capacity_teu: float
    batch_teu: int
    sea_time_h: float
    shanghai_time_h: float
    calls: ServiceCallColumns
    booked_h: np.ndarray
    cleared_h: np.ndarray
    by_corridor: np.ndarray
    sailing: np.ndarray
    corridor: str | None = None
    in_call: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    in_teu: np.ndarray = field(default_factory=lambda: np.empty(0))
    in_cleared_h: np.ndarray = field(default_factory=lambda: np.empty(0))
    in_by_corridor: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))

    def call_columns(self, end_h: float) -> dict[str, np.ndarray]:
        """The calls as arrays; ``shanghai_arrived_h`` is derived (NaN beyond ``end_h``)."""
        c = self.calls
        out: dict[str, np.ndarray] = {
            "call": np.arange(c.n, dtype=np.int64),
            "vessel": _view(c.vessel, np.int64),
            "slot_h": _view(c.slot_h, np.float64),
            "cutoff_h": _view(c.cutoff_h, np.float64),
        }
        for name in (*SERVICE_CALL_TIMES, *SERVICE_CALL_AMOUNTS):
            out[name] = _view(getattr(c, name), np.float64)
        out["berth"] = _view(c.berth, np.int64)
        out["eta_shared"] = _view(c.eta_shared, np.int8).astype(bool)
        sh = out["departed_h"] + self.sea_time_h
        out["shanghai_arrived_h"] = np.where(sh <= end_h, sh, NAN)
        return out

    def by_sailing(self, column: array, n: int) -> np.ndarray:
        """Call column ``column`` for the first ``n`` batches (NaN for a batch not loaded)."""
        # the extra NaN at the end is what sailing -1 picks
        values = np.append(_view(column, np.float64), NAN)
        return values[self.sailing[:n]]

    def box_columns(self, end_h: float) -> dict[str, np.ndarray]:
        """Southbound batches booked before ``end_h``, one row each, steps not reached NaN.

        ``loaded_h`` is the end of the loading of the batch's sailing, ``sailed_h`` the time
        it left the berth, ``arrived_h`` the arrival in Shanghai and ``released_h`` the
        vessel's departure from Shanghai (the boxes are discharged there by then).
        """
        n = int(np.searchsorted(self.booked_h, end_h, side="left"))

        def reached(t: np.ndarray) -> np.ndarray:
            return np.where(t <= end_h, t, NAN)

        sailed = reached(self.by_sailing(self.calls.departed_h, n))
        arrived = reached(sailed + self.sea_time_h)
        return {
            "batch": np.arange(n, dtype=np.int64),
            "teu": np.full(n, float(self.batch_teu)),
            "booked_h": self.booked_h[:n],
            "cleared_h": reached(self.cleared_h[:n]),
            "by_corridor": self.by_corridor[:n],
            "sailing": self.sailing[:n].astype(np.int64),
            "loaded_h": reached(self.by_sailing(self.calls.load_end_h, n)),
            "sailed_h": sailed,
            "arrived_h": arrived,
            "released_h": reached(arrived + self.shanghai_time_h),
        }

    def inbound_columns(self, end_h: float) -> dict[str, np.ndarray]:
        """Northbound batches discharged at Lianyungang, one row each."""
        k = self.in_call
        discharged = _view(self.calls.discharged_h, np.float64)[k]
        cleared = np.where(self.in_cleared_h <= end_h, self.in_cleared_h, NAN)
        return {
            "call": k,
            "teu": self.in_teu,
            "arrived_h": _view(self.calls.arrived_h, np.float64)[k],
            "discharged_h": discharged,
            "cleared_h": cleared,
            "by_corridor": self.in_by_corridor,
            "released_h": np.maximum(discharged, cleared),  # NaN while clearance is pending
        }


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
        services: Shuttle services' records by key, in the scenario's order.
        vessels: Records of the services of :mod:`lygsim.vessels` kinds, by key.
        corridors: Data corridors' records by key (those of running services).
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
    services: dict[str, ServiceRecords] = field(default_factory=dict)
    vessels: dict[str, VesselRecords] = field(default_factory=dict)
    corridors: dict[str, CorridorRecords] = field(default_factory=dict)

    def service_berth_times(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """``(terminal, assigned_h, departed_h)`` of each service's calls (NaN: not yet).

        The shuttles' first, then the vessel kinds': both hold their terminal's berths.
        """
        out = [
            (
                sh.terminal,
                _view(sh.calls.assigned_h, np.float64),
                _view(sh.calls.departed_h, np.float64),
            )
            for sh in self.services.values()
        ]
        out += [
            (
                v.terminal,
                _view(v.calls.assigned_h, np.float64),
                _view(v.calls.departed_h, np.float64),
            )
            for v in self.vessels.values()
        ]
        return out

    def log_level(self, t: float, series: int, key: int, value: float) -> None:
        """Record that level ``series``/``key`` became ``value`` at time ``t``."""
        self.level_time.append(t)
        self.level_series.append(series)
        self.level_key.append(key)
        self.level_value.append(value)

    def visit_columns(self) -> dict[str, np.ndarray]:
        """The visits of ships that arrived, one read-only numpy array (a view) per field."""
        n = self.n_arrived
        out = {
            "ship_id": np.arange(n, dtype=np.int64),
            "ship_class": self.plan["ship_class"][:n].astype(np.int64, copy=False),
            "terminal": self.plan["terminal"][:n].astype(np.int64, copy=False),
            "scheduled": self.plan["scheduled"][:n].astype(bool, copy=False),
            "arrived_h": self.plan["arrived_h"][:n],
            "call_size": self.plan["call_size"][:n],
        }
        cols = self.cols
        if cols is None:
            out["berth"] = np.full(n, -1, dtype=np.int64)
            for name in TIME_FIELDS:
                out[name] = np.full(n, NAN)
            for name in (*WAIT_FIELDS, *LEAVE_FIELDS):
                out[name] = np.zeros(n)
            return out
        out["berth"] = np.frombuffer(cols.berth, dtype=np.int64)[:n]
        for name in (*WAIT_FIELDS, *LEAVE_FIELDS, *TIME_FIELDS):
            out[name] = np.frombuffer(getattr(cols, name), dtype=np.float64)[:n]
        for a in out.values():
            a.flags.writeable = False
        return out

    def level_columns(self) -> dict[str, np.ndarray]:
        """The recorded levels: ``time_h``, ``series_code``, ``key``, ``value``.

        ``series_code`` indexes :data:`LEVEL_SERIES`.
        """
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
            "key": np.frombuffer(self.level_key, dtype=np.int64)
            if len(self.level_key)
            else np.empty(0, dtype=np.int64),
            "value": np.frombuffer(self.level_value, dtype=np.float64)
            if len(self.level_value)
            else np.empty(0),
        }
