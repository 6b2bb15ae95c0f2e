"""The look shared by every figure: style, series styles, constants and axis helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#bbbbbb",
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "hatch.linewidth": 0.7,
    "lines.linewidth": 1.6,
    "errorbar.capsize": 4,
}
"""rcParams every figure is drawn and saved with."""

SERIES_STYLES: list[dict[str, Any]] = [
    {"color": "#0072B2", "linestyle": "-", "marker": "o", "hatch": ""},
    {"color": "#D55E00", "linestyle": "--", "marker": "s", "hatch": "///"},
    {"color": "#009E73", "linestyle": ":", "marker": "^", "hatch": "..."},
    {"color": "#CC79A7", "linestyle": "-.", "marker": "D", "hatch": "xxx"},
    {"color": "#E69F00", "linestyle": (0, (6, 2, 1, 2, 1, 2)), "marker": "v", "hatch": "\\\\\\"},
    {"color": "#56B4E9", "linestyle": (0, (1, 1)), "marker": "P", "hatch": "---"},
    {"color": "#555555", "linestyle": (0, (8, 3)), "marker": "X", "hatch": "+++"},
    {"color": "#F0E442", "linestyle": (0, (3, 1, 3, 4)), "marker": "*", "hatch": "ooo"},
]
"""Colour, line style, marker and hatch of the i-th series (Okabe-Ito colours)."""

DPI = 120
THRESHOLD_COLOR = "#B00020"
SHUTTLE_METRICS = (
    "shuttle_utilisation",
    "transfer_time_mean_h",
    "transfer_time_p95_h",
    "teu_carried_out",
    "teu_rolled_over",
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def series_style(i: int) -> dict[str, Any]:
    """The style of the ``i``-th series (cycles through :data:`SERIES_STYLES`)."""
    return dict(SERIES_STYLES[i % len(SERIES_STYLES)])


def error_bars(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error-bar lengths below and above ``mean`` (shape (2, n)); 0 where not known."""
    err = np.vstack([mean - low, high - mean])
    return np.where(np.isfinite(err), np.clip(err, 0, None), 0)


def series_offset(centres: np.ndarray, i: int, n: int, width: float) -> np.ndarray:
    """Positions of series ``i`` of ``n`` drawn side by side around ``centres``."""
    return centres + (i - (n - 1) / 2) * width


def series_bars(
    ax: Axes,
    centres: np.ndarray,
    i: int,
    n: int,
    width: float,
    values: np.ndarray,
    err: np.ndarray,
    name: str | None,
    **extra: Any,
) -> np.ndarray:
    """Draw series ``i`` of ``n`` as bars with error bars, in its style; returns their x."""
    st = series_style(i)
    xs = series_offset(centres, i, n, width)
    ax.bar(
        xs,
        values,
        width * 0.9,
        yerr=err,
        color=st["color"],
        hatch=st["hatch"],
        edgecolor="black",
        linewidth=0.6,
        label=name,
        **extra,
    )
    return xs


def label(name: str) -> str:
    """A terminal, class or option name as shown on figures: ``liquid_bulk`` -> ``liquid bulk``."""
    return str(name).replace("_", " ")


def _styled(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def _terminals(names: Sequence[Any]) -> list[str]:
    """Terminal names of a per-terminal column, in order of first appearance."""
    return list(dict.fromkeys(str(n) for n in names))


def _scale(unit: str, largest: float) -> tuple[float, str]:
    """A divisor and unit label so that numbers up to ``largest`` read well."""
    largest = abs(largest) if np.isfinite(largest) else 0.0
    if unit == "t":
        return (1e6, "Mt") if largest >= 1e6 else ((1e3, "kt") if largest >= 1e3 else (1, "t"))
    if largest >= 1e6:
        return 1e6, f"million {unit}"
    if largest >= 1e4:
        return 1e3, f"thousand {unit}"
    return 1.0, unit


def _days_axis(ax: Any, start_date: str | date | None) -> None:
    text = "Days since start of simulation"
    if start_date is not None:
        text += f" ({pd.Timestamp(start_date).date().isoformat()} = day 0)"
    ax.set_xlabel(text)


def _month_axis(ax: Any, start_date: str | date | None, end_h: float) -> None:
    """Month names along the top of ``ax``, whose x axis is in days from ``start_date``."""
    if start_date is None:
        return
    d0 = pd.Timestamp(start_date)
    months = pd.date_range(d0, d0 + pd.Timedelta(hours=end_h), freq="MS")
    if len(months) < 2 or len(months) > 40:
        return
    top = ax.secondary_xaxis("top")
    top.set_xticks(
        [(m - d0) / pd.Timedelta(days=1) for m in months],
        [m.strftime("%b %Y" if m.month == 1 or i == 0 else "%b") for i, m in enumerate(months)],
        fontsize=8,
    )
    top.tick_params(length=3)


def _shade_warmup(ax: Any, warmup_days: float, first: bool) -> None:
    if warmup_days > 0:
        ax.axvspan(
            0,
            warmup_days,
            facecolor="#eeeeee",
            edgecolor="#999999",
            hatch="////",
            linewidth=0,
            label="warm-up (not in KPIs)" if first else None,
            zorder=0,
        )
