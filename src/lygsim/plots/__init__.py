"""Figures for planners: functions that take DataFrames and return matplotlib Figures.

Every figure is built with the object API (:class:`matplotlib.figure.Figure`, never the
pyplot state machine) inside one style (:data:`STYLE`), is titled, carries units on its
axes and stays readable in greyscale: series differ by line style, marker or hatching as
well as by colour. Nothing here knows about SimPy; the inputs are the tables a results
folder holds (``summary.csv``, ``visits.parquet``, ``levels.parquet``,
``comparison.csv``, ``capacity.csv``, ``capacity_gained.csv``, ``horizon.csv``).

:func:`figures_for` (or :func:`figures_for_run`, :func:`figures_for_compare`,
:func:`figures_for_capacity`, :func:`figures_for_horizon`, :func:`figures_for_study`) writes
the PNGs of a results folder under ``figures/``, skipping figures whose data are absent. The
folder is read through :class:`lygsim.results.ResultsFolder`; a broken table is a
:class:`lygsim.errors.ResultsError` naming the file.
"""

from lygsim.plots._style import (
    DPI,
    SERIES_STYLES,
    SHUTTLE_METRICS,
    STYLE,
    THRESHOLD_COLOR,
    label,
    series_style,
)
from lygsim.plots.capacity import capacity_curve, capacity_gained, growth_horizon, theory_ws
from lygsim.plots.files import busiest_week, save
from lygsim.plots.folders import (
    FIGURE_WRITERS,
    figures_for,
    figures_for_capacity,
    figures_for_compare,
    figures_for_horizon,
    figures_for_run,
    figures_for_study,
)
from lygsim.plots.gantt import berth_gantt
from lygsim.plots.levels import queue_length, yard_levels
from lygsim.plots.options import COMPARISON_PANELS, option_comparison
from lygsim.plots.shuttle import shuttle
from lygsim.plots.terminals import berth_occupancy, waiting_times

__all__ = [
    # style
    "STYLE",
    "SERIES_STYLES",
    "DPI",
    "THRESHOLD_COLOR",
    "SHUTTLE_METRICS",
    "series_style",
    "label",
    # figures
    "berth_occupancy",
    "waiting_times",
    "queue_length",
    "yard_levels",
    "berth_gantt",
    "shuttle",
    "theory_ws",
    "capacity_curve",
    "capacity_gained",
    "growth_horizon",
    "COMPARISON_PANELS",
    "option_comparison",
    # files and folders
    "save",
    "busiest_week",
    "FIGURE_WRITERS",
    "figures_for",
    "figures_for_run",
    "figures_for_compare",
    "figures_for_capacity",
    "figures_for_horizon",
    "figures_for_study",
]
