"""What a KPI row is about: its scope and the name within that scope.

Every KPI table (one replication's KPIs, ``replications.csv``, ``summary.csv``,
``comparison.csv``) keys its rows by ``scope, name, metric, unit``. The scope keeps a
terminal apart from the port-wide figures, the vessel services, the links and the
calibration targets, so a terminal may be called ``port`` or ``shuttle`` without its rows
mixing with those. A leaf module: the model, the analyses and the figures all read it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: simulate() runs without importing pandas
    import pandas as pd


class Scope(StrEnum):
    """The scopes of KPI rows."""

    terminal = "terminal"
    """A terminal of the scenario (``name``: its key)."""
    port = "port"
    """The whole port (``name``: :data:`PORT`)."""
    service = "service"
    """A vessel service such as the Lianshen Express (``name``: its key)."""
    link = "link"
    """A data link between ports, such as the Shanghai corridor (``name``: its key)."""
    calibration = "calibration"
    """Figures measured for the calibration targets (``name``: :data:`CALIBRATION`)."""


PORT = "port"
"""The name of the port-wide rows."""
CALIBRATION = "calibration"
"""The name of the calibration rows (their metrics are the targets' names)."""

KPI_KEYS = ["scope", "name", "metric", "unit"]
"""The columns that identify a KPI row."""
KPI_COLUMNS = [*KPI_KEYS, "value"]
"""One replication's KPIs in long format."""


def of_scope(df: pd.DataFrame, scope: Scope | str) -> pd.DataFrame:
    """The rows of a KPI table with the given scope."""
    return df[df["scope"].astype(str) == str(scope)]


def terminal_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The per-terminal rows of a KPI table."""
    return of_scope(df, Scope.terminal)


def terminal_names(df: pd.DataFrame) -> list[str]:
    """The terminals of a KPI table, in order of first appearance."""
    return list(dict.fromkeys(terminal_rows(df)["name"].astype(str)))


__all__ = [
    "CALIBRATION",
    "KPI_COLUMNS",
    "KPI_KEYS",
    "PORT",
    "Scope",
    "of_scope",
    "terminal_names",
    "terminal_rows",
]
