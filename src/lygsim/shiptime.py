"""Ship time of one replication by ship class: hours waiting and at berth in the window.

A plan prices ship time (:mod:`lygsim.economics`), so every replication stored in the run
cache keeps, per terminal and ship class, the hours its ships spent inside the
observation window ``[t0, t1)``:

- ``waiting_h``: from arrival to entering the channel (the wait of ``docs/model.md``), a
  ship still waiting at the end counting up to the end;
- ``at_berth_h``: from entering the channel to leaving the berth (the service time:
  transit, berthing, handling, delays at the berth, unberthing), up to the end for a ship
  still there;
- ``cargo_unit_h``: the call size times the ship's hours in port (both of the above), in
  the terminal's unit times hours;
- ``calls``: ships that arrived inside the window;
- ``backlog_units``: the cargo of ships that arrived inside the window and were still
  waiting to enter at its end (what an overloaded terminal could not serve that year).

Hours are clipped to the window, so a ship that arrived in the warm-up counts only its
hours after the warm-up and each ship-hour of the window is counted once, whichever year
the ship arrived in. Shuttle services are not ship classes and are not counted.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

SHIP_HOURS_FILE = "ship_hours.json"
"""The file of each cached replication that holds :func:`ship_hours`."""
SHIP_HOURS_COLUMNS = [
    "terminal",
    "ship_class",
    "calls",
    "waiting_h",
    "at_berth_h",
    "cargo_unit_h",
    "backlog_units",
]
"""The columns of :func:`ship_hours`."""


def _overlap(start: np.ndarray, end: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Length of each interval ``[start, end)`` inside ``[t0, t1)`` (0 when outside)."""
    return np.clip(np.minimum(end, t1) - np.maximum(start, t0), 0.0, None)


def ship_hours(visits: pd.DataFrame, t0: float, t1: float) -> pd.DataFrame:
    """Hours waiting and at berth per terminal and ship class inside ``[t0, t1)``.

    Args:
        visits: One row per call (``terminal, ship_class, arrived_h, entered_h,
            departed_h, call_size``), as :attr:`lygsim.simulation.RunResult.visits` or a
            cached ``visits.parquet`` gives them; NaN for a step not reached.
        t0: Start of the observation window (the end of the warm-up), hours.
        t1: End of the run, hours.

    Returns:
        :data:`SHIP_HOURS_COLUMNS`, one row per terminal and ship class that had a call,
        sorted by terminal and class.
    """
    import pandas as pd

    arrived = visits["arrived_h"].to_numpy(dtype=float)
    entered = visits["entered_h"].to_numpy(dtype=float)
    departed = visits["departed_h"].to_numpy(dtype=float)
    size = visits["call_size"].to_numpy(dtype=float)
    not_in = np.isnan(entered)
    waiting = _overlap(arrived, np.where(not_in, t1, entered), t0, t1)
    # a ship that never entered has no time at berth: its interval starts at the end
    at_berth = _overlap(
        np.where(not_in, t1, entered), np.where(np.isnan(departed), t1, departed), t0, t1
    )
    arrived_inside = (arrived >= t0) & (arrived < t1)
    frame = pd.DataFrame(
        {
            "terminal": visits["terminal"].astype(str).to_numpy(),
            "ship_class": visits["ship_class"].astype(str).to_numpy(),
            "calls": arrived_inside.astype(float),
            "waiting_h": waiting,
            "at_berth_h": at_berth,
            "cargo_unit_h": size * (waiting + at_berth),
            "backlog_units": np.where(arrived_inside & not_in, size, 0.0),
        }
    )
    out = frame.groupby(["terminal", "ship_class"], sort=True).sum().reset_index()
    return out[SHIP_HOURS_COLUMNS]


def ship_hours_json(table: pd.DataFrame) -> str:
    """The table as the run cache keeps it: JSON, read back in a fraction of a millisecond.

    A plan reads one such table per replication of every year scenario, thousands of them;
    Python's float text round-trips exactly.
    """
    rows = [
        [str(r[0]), str(r[1]), *(float(x) for x in r[2:])]
        for r in table[SHIP_HOURS_COLUMNS].itertuples(index=False)
    ]
    return json.dumps({"columns": SHIP_HOURS_COLUMNS, "rows": rows})


def read_ship_hours_json(text: str) -> list[list[Any]]:
    """The rows of :func:`ship_hours_json` (in :data:`SHIP_HOURS_COLUMNS` order).

    Raises:
        ValueError: If the text is not such a table.
    """
    data = json.loads(text)
    if data.get("columns") != SHIP_HOURS_COLUMNS:
        raise ValueError("not a ship-hours table")
    return [list(r) for r in data["rows"]]


__all__ = [
    "SHIP_HOURS_COLUMNS",
    "SHIP_HOURS_FILE",
    "read_ship_hours_json",
    "ship_hours",
    "ship_hours_json",
]
