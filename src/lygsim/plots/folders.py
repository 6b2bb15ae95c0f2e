"""The figures of a results folder: run, compare, capacity, horizon and study folders.

Each ``figures_for_<kind>`` reads the folder through :class:`lygsim.results.ResultsFolder`
(a path is opened as one) and writes its PNGs under ``figures/``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

from lygsim.plots._style import SHUTTLE_METRICS, _terminals, label
from lygsim.plots.capacity import capacity_curve, capacity_gained, growth_horizon
from lygsim.plots.files import busiest_week, save
from lygsim.plots.gantt import berth_gantt
from lygsim.plots.levels import queue_length, yard_levels
from lygsim.plots.options import option_comparison
from lygsim.plots.shuttle import shuttle
from lygsim.plots.terminals import berth_occupancy, waiting_times
from lygsim.results import Kind, ResultsFolder
from lygsim.scopes import Scope, of_scope, terminal_names, terminal_rows

_RUN_FIGURES = re.compile(
    r"^(berth_occupancy|waiting_times|queue_length|yard_levels|shuttle|berth_gantt_.+)\.png$"
)
_COMPARE_FIGURES = re.compile(r"^(option_comparison|berth_occupancy|shuttle)\.png$")
_CAPACITY_FIGURES = re.compile(r"^capacity_.+\.png$")
_STUDY_FIGURES = re.compile(r"^(option_comparison|horizon|capacity_.+)\.png$")
_HORIZON_FIGURES = re.compile(r"^horizon\.png$")


def _open(folder: ResultsFolder | str | Path, kind: Kind) -> ResultsFolder:
    """The folder as a :class:`ResultsFolder` of ``kind`` (FileNotFoundError if not one)."""
    if isinstance(folder, ResultsFolder):
        return folder
    path = Path(folder)
    found = ResultsFolder.detect(path)
    if found is None:
        from lygsim.results import MARKERS

        raise FileNotFoundError(f"{path}: no {MARKERS[kind]} (not a lygsim {kind} folder)")
    return ResultsFolder(path, found)


def _main_table(
    folder: ResultsFolder | str | Path, kind: Kind, name: str
) -> tuple[ResultsFolder, pd.DataFrame, Path]:
    """The folder, its main table ``<name>.csv`` and its figures folder.

    A folder of ``kind`` must have that table.
    """
    rf = _open(folder, kind)
    table = rf.table(name)
    if table is None:
        raise FileNotFoundError(f"{rf.path}: no {name}.csv (not a lygsim {kind} folder)")
    return rf, table, rf.path / "figures"


def _prune(out: Path, pattern: re.Pattern[str], written: list[Path]) -> None:
    """Remove figures of an earlier run that this one did not write (e.g. a gone terminal)."""
    keep = {p.name for p in written}
    if out.is_dir():
        for p in out.glob("*.png"):
            if pattern.match(p.name) and p.name not in keep:
                p.unlink(missing_ok=True)


def _service_names(rf: ResultsFolder, summary: pd.DataFrame) -> dict[str, str]:
    """Display names of the services in ``summary``, by key."""
    keys = of_scope(summary, Scope.service)["name"].astype(str).unique()
    return {k: rf.display_name(Scope.service, k) for k in keys}


def _with_shuttle_calls(visits: pd.DataFrame, rf: ResultsFolder) -> pd.DataFrame:
    """Replication 0's visits plus the shuttle's berth calls, for the Gantt chart.

    The shuttle's calls are not ship visits, but they hold container berths; the terminal
    of each call is that of its berth, from the run's berth table.
    """
    calls = rf.shuttle_calls()
    if calls is None or visits.empty:
        return visits
    calls = calls[calls["berth_id"].notna() & calls["assigned_h"].notna()]
    berths = rf.berths()
    if calls.empty or berths is None:
        return visits
    terminal_of = dict(zip(berths["berth_id"].astype(str), berths["terminal"], strict=True))
    rows = pd.DataFrame(
        {
            "terminal": calls["berth_id"].astype(str).map(terminal_of),
            # each call under its service's display name (one service: 'shuttle')
            "ship_class": calls.get("service", pd.Series("shuttle", calls.index))
            .astype(str)
            .map(lambda k: rf.display_name(Scope.service, k)),
            "berth_id": calls["berth_id"].astype(str),
            "arrived_h": calls["requested_h"],
            "assigned_h": calls["assigned_h"],
            "entered_h": calls["entered_h"],
            "handling_start_h": calls["berthed_h"],
            "handling_end_h": calls["load_end_h"],
            "departed_h": calls["departed_h"],
            "replication": visits["replication"].iloc[0],
        }
    )
    v = visits.copy()
    for col in ("terminal", "ship_class", "berth_id"):
        if col in v.columns:
            v[col] = v[col].astype(str)
    return pd.concat([v, rows[[c for c in rows.columns if c in v.columns]]], ignore_index=True)


def figures_for_run(
    folder: ResultsFolder | str | Path, levels: pd.DataFrame | None = None
) -> list[Path]:
    """Write the figures of a ``lygsim run`` folder under ``<folder>/figures/``.

    Figures whose data are absent are skipped (no visits, no levels, no yard, no shuttle).

    Args:
        folder: The results folder (``summary.csv``; ``visits.parquet``,
            ``levels.parquet``, ``berths.csv``, ``scenario.yaml`` and ``manifest.json``
            when present).
        levels: Level histories of one replication; default: the folder's.

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has no ``summary.csv``.
    """
    rf, summary, out = _main_table(folder, Kind.run, "summary")
    written = []
    if (terminal_rows(summary)["metric"] == "berth_occupancy").any():
        fig = berth_occupancy(summary, rf.occupancy_thresholds() or None)
        written.append(save(fig, out / "berth_occupancy.png"))
    visits = rf.visits_sample()
    if visits is not None and len(visits):
        written += _visit_figures(rf, summary, visits, out)
    if levels is None:
        levels = rf.levels()
    if levels is not None and len(levels):
        warmup_days, start, end_h = rf.warmup_h / 24.0, rf.start_date, rf.end_h
        if (levels["series"].astype(str) == "queue").any():
            fig = queue_length(levels, warmup_days, start, end_h)
            written.append(save(fig, out / "queue_length.png"))
        if (levels["series"].astype(str) == "yard").any():
            fig = yard_levels(levels, rf.yard_capacity() or None, warmup_days, start, end_h)
            written.append(save(fig, out / "yard_levels.png"))
    if of_scope(summary, Scope.service)["metric"].isin(SHUTTLE_METRICS).any():
        written.append(save(shuttle(summary, _service_names(rf, summary)), out / "shuttle.png"))
    _prune(out, _RUN_FIGURES, written)
    return written


def _visit_figures(
    rf: ResultsFolder, summary: pd.DataFrame, visits: pd.DataFrame, out: Path
) -> list[Path]:
    """The waiting-time distribution and each terminal's berth Gantt chart."""
    order = [t for t in terminal_names(summary) if t in set(visits["terminal"])]
    total = rf.manifest.get("replications")
    fig = waiting_times(visits, rf.warmup_h, order or None, int(total) if total else None)
    written = [save(fig, out / "waiting_times.png")]
    rep0 = visits[visits["replication"] == visits["replication"].min()]
    rep0 = _with_shuttle_calls(rep0, rf)
    end_h = rf.end_h or float(rep0["arrived_h"].max())
    berths = rf.berth_rows()
    for term in [t for t in order if t in set(rep0["terminal"])]:
        week = busiest_week(rep0, term, rf.warmup_h, end_h)
        fig = berth_gantt(
            rep0,
            week,
            term,
            replication=None,
            berths=berths.get(term),
            start_date=rf.start_date,
            title=f"{label(term).capitalize()} terminal: berth occupation in the week "
            f"of most waiting (replication {int(rep0['replication'].iloc[0])})",
        )
        written.append(save(fig, out / f"berth_gantt_{term}.png"))
    return written


def figures_for_compare(folder: ResultsFolder | str | Path) -> list[Path]:
    """Write the figures of a ``lygsim compare`` folder under ``<folder>/figures/``.

    Args:
        folder: The comparison folder (``comparison.csv``, ``summary_<name>.csv``,
            ``manifest.json``).

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has no ``comparison.csv``.
    """
    rf, comparison, out = _main_table(folder, Kind.compare, "comparison")
    written: list[Path] = []
    if len(comparison):
        written.append(save(option_comparison(comparison), out / "option_comparison.png"))
    summaries = rf.summaries()
    if summaries:
        summary = pd.concat([t for _, t in summaries], ignore_index=True)
        if (summary["metric"] == "berth_occupancy").any():
            base = str(rf.manifest.get("base") or "")
            if base and "scenario" in summary.columns:
                summary["scenario"] = (
                    summary["scenario"].astype(str).replace(base, f"{base} (base)")
                )
            fig = berth_occupancy(  # the base's thresholds, if the folder keeps its scenario
                summary,
                rf.occupancy_thresholds() or None,
                title="Berth occupancy by terminal: base and options (95% interval)",
            )
            written.append(save(fig, out / "berth_occupancy.png"))
        changed = of_scope(comparison, Scope.service)
        changed = changed[changed["delta"] != 0]
        if "significant" in changed.columns:
            changed = changed[changed["significant"].fillna(False).astype(bool)]
        if changed["metric"].isin(SHUTTLE_METRICS).any():  # no option moves it: no figure
            written.append(save(shuttle(summary, _service_names(rf, summary)), out / "shuttle.png"))
    _prune(out, _COMPARE_FIGURES, written)
    return written


def _capacity_figures(rf: ResultsFolder, curve: pd.DataFrame, out: Path) -> list[Path]:
    """One capacity-curve figure per terminal, practical capacity marked where known."""
    practical: dict[str, dict[str, float]] = defaultdict(dict)
    p = rf.table("practical_capacity")
    if p is not None:
        for r in p.to_dict("records"):
            practical[str(r["terminal"])][str(r.get("scenario", ""))] = float(r["capacity"])
    written = []
    for term in _terminals(curve["terminal"]):
        fig = capacity_curve(curve, term, practical_capacity=practical.get(term) or None)
        written.append(save(fig, out / f"capacity_{term}.png"))
    return written


def figures_for_capacity(folder: ResultsFolder | str | Path) -> list[Path]:
    """Write the capacity curves of a ``lygsim capacity`` folder under ``figures/``.

    Args:
        folder: The folder (``capacity.csv``; ``practical_capacity.csv`` if present).

    Returns:
        The PNG files written: ``capacity_<terminal>.png``.

    Raises:
        FileNotFoundError: If the folder has no ``capacity.csv``.
    """
    rf, curve, out = _main_table(folder, Kind.capacity, "capacity")
    written = _capacity_figures(rf, curve, out)
    _prune(out, _CAPACITY_FIGURES, written)
    return written


def figures_for_study(folder: ResultsFolder | str | Path) -> list[Path]:
    """Write the figures of a ``lygsim study`` folder under ``<folder>/figures/``.

    The KPI changes of every option, the capacity curves of the base and of the options
    that change each terminal, the practical capacity gained, and the growth horizon;
    each is skipped when its table is absent or has nothing to show.

    Args:
        folder: The study folder (``comparison.csv``, ``capacity.csv``,
            ``practical_capacity.csv``, ``capacity_gained.csv``, ``horizon.csv``,
            ``study.yaml``).

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has none of those tables.
    """
    rf = _open(folder, Kind.study)
    tables = ("comparison", "capacity", "capacity_gained", "horizon")
    if not any(rf.has(f"{t}.csv") for t in tables):
        raise FileNotFoundError(f"{rf.path}: no study tables ({', '.join(tables)})")
    out = rf.path / "figures"
    written: list[Path] = []
    comparison = rf.table("comparison")
    if comparison is not None and len(comparison):
        written.append(save(option_comparison(comparison), out / "option_comparison.png"))
    curve = rf.table("capacity")
    if curve is not None:
        written += _capacity_figures(rf, curve, out)
    gained = rf.table("capacity_gained")
    if gained is not None:
        try:
            fig = capacity_gained(gained)
        except ValueError:  # no option moves any practical capacity: nothing to draw
            pass
        else:
            written.append(save(fig, out / "capacity_gained.png"))
    written += _horizon_figure(rf, out)
    _prune(out, _STUDY_FIGURES, written)
    return written


def _horizon_figure(rf: ResultsFolder, out: Path) -> list[Path]:
    """The growth-horizon figure of a folder's ``horizon.csv`` (none without terminals)."""
    horizon = rf.table("horizon")
    if horizon is None:
        return []
    try:
        fig = growth_horizon(horizon, rf.until)
    except ValueError:  # no rows: nothing to draw
        return []
    return [save(fig, out / "horizon.png")]


def figures_for_horizon(folder: ResultsFolder | str | Path) -> list[Path]:
    """Write the figure of a ``lygsim horizon`` folder under ``<folder>/figures/``.

    Args:
        folder: The folder (``horizon.csv``; ``manifest.json`` with ``until``).

    Returns:
        The PNG files written: ``horizon.png``.

    Raises:
        FileNotFoundError: If the folder has no ``horizon.csv``.
        ResultsError: If ``horizon.csv`` cannot be read or lacks a column.
    """
    rf = _open(folder, Kind.horizon)
    if not rf.has("horizon.csv"):
        raise FileNotFoundError(f"{rf.path}: no horizon.csv (not a lygsim horizon folder)")
    out = rf.path / "figures"
    written = _horizon_figure(rf, out)
    _prune(out, _HORIZON_FIGURES, written)
    return written


FIGURE_WRITERS = {
    Kind.run: figures_for_run,
    Kind.compare: figures_for_compare,
    Kind.capacity: figures_for_capacity,
    Kind.horizon: figures_for_horizon,
    Kind.study: figures_for_study,
}
"""The figures of each kind of folder."""


def figures_for(rf: ResultsFolder) -> list[Path]:
    """Write the figures of a results folder, whatever its kind."""
    return FIGURE_WRITERS[rf.kind](rf)
