"""Saving figures, and the week of most waiting (reading results: :mod:`lygsim.results`)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lygsim.errors import ResultsError
from lygsim.plots._style import DPI, STYLE
from lygsim.report import atomic_path


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write a figure as PNG atomically and close it.

    Args:
        fig: The figure.
        path: Where to write it (parent folders are created).
        dpi: Resolution.

    Returns:
        The path written.
    """
    path = Path(path)
    try:
        with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
    except OSError as exc:
        fig.clear()
        if path.parent.exists() and not path.parent.is_dir():
            raise ResultsError(f"{path.parent}: not a folder (cannot write figures)") from None
        raise ResultsError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if "matplotlib.pyplot" in sys.modules:  # a figure made through pyplot is also released
        sys.modules["matplotlib.pyplot"].close(fig)
    fig.clear()
    return path


def busiest_week(visits: pd.DataFrame, terminal: str, after_h: float, end_h: float) -> float:
    """Start (hours, on a day boundary) of the 7 days with the most waiting at a terminal.

    Args:
        visits: One replication's visits.
        terminal: The terminal.
        after_h: Earliest start (the warm-up).
        end_h: End of the horizon; the week must fit before it.

    Returns:
        The start of the week, or ``after_h`` rounded up to a day if nothing waited.
    """
    first = float(np.ceil(after_h / 24.0) * 24.0)
    last = max(first, float(np.floor((end_h - 7 * 24.0) / 24.0) * 24.0))
    v = visits[(visits["terminal"].astype(str) == terminal) & visits["entered_h"].notna()]
    wait = (v["entered_h"] - v["arrived_h"]).to_numpy(float)
    day = np.floor(v["arrived_h"].to_numpy(float) / 24.0).astype(int)
    if not len(v) or wait.sum() <= 0:
        return first
    per_day = np.bincount(day[day >= 0], weights=wait[day >= 0], minlength=int(end_h / 24) + 8)
    week = np.convolve(per_day, np.ones(7), mode="full")[6:]  # week[k] = days k..k+6
    starts = np.arange(int(first / 24), int(last / 24) + 1)
    starts = starts[starts < len(week)]
    if not len(starts):
        return first
    return float(starts[np.argmax(week[starts])] * 24)
