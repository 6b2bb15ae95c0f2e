"""The figures of a results folder: run, compare, capacity, horizon and study folders."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lygsim.metrics import service_keys
from lygsim.plots._style import NON_TERMINALS, SHUTTLE_METRICS, _terminals, label
from lygsim.plots.capacity import capacity_curve, capacity_gained, growth_horizon
from lygsim.plots.files import (
    _read_visits,
    _run_info,
    busiest_week,
    load_levels,
    read_json,
    read_parquet,
    read_table,
    read_yaml,
    save,
)
from lygsim.plots.gantt import berth_gantt
from lygsim.plots.levels import queue_length, yard_levels
from lygsim.plots.options import option_comparison
from lygsim.plots.shuttle import shuttle
from lygsim.plots.terminals import berth_occupancy, waiting_times

_RUN_FIGURES = re.compile(
    r"^(berth_occupancy|waiting_times|queue_length|yard_levels|shuttle|berth_gantt_.+)\.png$"
)
_COMPARE_FIGURES = re.compile(r"^(option_comparison|berth_occupancy|shuttle)\.png$")
_CAPACITY_FIGURES = re.compile(r"^capacity_.+\.png$")
_STUDY_FIGURES = re.compile(r"^(option_comparison|horizon|capacity_.+)\.png$")
_HORIZON_FIGURES = re.compile(r"^horizon\.png$")
_SHUTTLE_CALL_COLUMNS = (
    "berth_id",
    "requested_h",
    "assigned_h",
    "entered_h",
    "berthed_h",
    "load_end_h",
    "departed_h",
)


def _prune(out: Path, pattern: re.Pattern[str], written: list[Path]) -> None:
    """Remove figures of an earlier run that this one did not write (e.g. a gone terminal)."""
    keep = {p.name for p in written}
    if out.is_dir():
        for p in out.glob("*.png"):
            if pattern.match(p.name) and p.name not in keep:
                p.unlink(missing_ok=True)


def _with_shuttle_calls(
    visits: pd.DataFrame, path: Path, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Replication 0's visits plus the shuttle services' berth calls, for the Gantt chart.

    The services' calls are not ship visits, but they hold container berths; they are
    shown under the services' display ``names`` (by key; unset: the keys).
    """
    names = dict(names or {})
    if not path.is_file() or visits.empty:
        return visits
    calls = read_parquet(path, _SHUTTLE_CALL_COLUMNS)
    calls = calls[calls["berth_id"].notna() & calls["assigned_h"].notna()]
    if calls.empty:
        return visits
    rows = pd.DataFrame(
        {
            "terminal": calls["berth_id"].astype(str).str.split(".").str[0],
            # folders written before services had keys hold the one service, 'shuttle'
            "ship_class": calls.get("service", pd.Series("shuttle", calls.index))
            .astype(str)
            .map(lambda k: names.get(k, k)),
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


def figures_for_run(folder: str | Path, levels: pd.DataFrame | None = None) -> list[Path]:
    """Write the figures of a ``lygsim run`` folder under ``<folder>/figures/``.

    Figures whose data are absent are skipped (no visits, no levels, no yard, no shuttle).

    Args:
        folder: The results folder (``summary.csv``; ``visits.parquet``,
            ``levels.parquet``, ``scenario.yaml`` and ``manifest.json`` when present).
        levels: Level histories of one replication; default: :func:`load_levels`.

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has no ``summary.csv``.
    """
    folder = Path(folder)
    if not (folder / "summary.csv").is_file():
        raise FileNotFoundError(f"{folder}: no summary.csv (not a lygsim run folder)")
    out = folder / "figures"
    summary = read_table(folder / "summary.csv")
    info = _run_info(folder)
    written = []
    if ((summary["metric"] == "berth_occupancy") & ~summary["terminal"].isin(NON_TERMINALS)).any():
        fig = berth_occupancy(summary, info.occupancy_threshold or None)
        written.append(save(fig, out / "berth_occupancy.png"))
    if (folder / "visits.parquet").is_file():
        visits = _read_visits(folder / "visits.parquet")
        warmup_h = info.warmup_days * 24.0
        if len(visits):
            order = [t for t in _terminals(summary["terminal"]) if t in set(visits["terminal"])]
            total = read_json(folder / "manifest.json").get("replications")
            fig = waiting_times(visits, warmup_h, order or None, int(total) if total else None)
            written.append(save(fig, out / "waiting_times.png"))
            rep0 = visits[visits["replication"] == visits["replication"].min()]
            rep0 = _with_shuttle_calls(rep0, folder / "shuttle_calls.parquet", info.display_names)
            end_h = info.end_h or float(rep0["arrived_h"].max())
            for term in [t for t in order if t in set(rep0["terminal"])]:
                week = busiest_week(rep0, term, warmup_h, end_h)
                fig = berth_gantt(
                    rep0,
                    week,
                    term,
                    replication=None,
                    berths=info.berth_rows.get(term),
                    start_date=info.start_date,
                    title=f"{label(term).capitalize()} terminal: berth occupation in the week "
                    f"of most waiting (replication {int(rep0['replication'].iloc[0])})",
                )
                written.append(save(fig, out / f"berth_gantt_{term}.png"))
    if levels is None:
        levels = load_levels(folder)
    if levels is not None and len(levels):
        common = {"warmup_days": info.warmup_days, "start_date": info.start_date}
        if (levels["series"].astype(str) == "queue").any():
            written.append(
                save(queue_length(levels, end_h=info.end_h, **common), out / "queue_length.png")
            )
        if (levels["series"].astype(str) == "yard").any():
            fig = yard_levels(levels, info.yard_capacity or None, end_h=info.end_h, **common)
            written.append(save(fig, out / "yard_levels.png"))
    services = service_keys(summary)
    if (summary["terminal"].isin(services) & summary["metric"].isin(SHUTTLE_METRICS)).any():
        written.append(save(shuttle(summary, info.display_names), out / "shuttle.png"))
    _prune(out, _RUN_FIGURES, written)
    return written


def figures_for_compare(folder: str | Path) -> list[Path]:
    """Write the figures of a ``lygsim compare`` folder under ``<folder>/figures/``.

    Args:
        folder: The comparison folder (``comparison.csv``, ``summary_<name>.csv``,
            ``manifest.json``).

    Returns:
        The PNG files written.

    Raises:
        FileNotFoundError: If the folder has no ``comparison.csv``.
    """
    folder = Path(folder)
    if not (folder / "comparison.csv").is_file():
        raise FileNotFoundError(f"{folder}: no comparison.csv (not a lygsim compare folder)")
    out = folder / "figures"
    comparison = read_table(folder / "comparison.csv")
    written: list[Path] = []
    if len(comparison):
        written.append(save(option_comparison(comparison), out / "option_comparison.png"))
    man = read_json(folder / "manifest.json")
    names = [man.get("base"), *(man.get("options") or [])]
    files = [folder / f"summary_{n}.csv" for n in names if n]
    files = [f for f in files if f.is_file()] or sorted(folder.glob("summary_*.csv"))
    if files:
        summary = pd.concat([read_table(f) for f in files], ignore_index=True)
        if (summary["metric"] == "berth_occupancy").any():
            base = str(man.get("base") or "")
            if base and "scenario" in summary.columns:
                summary["scenario"] = (
                    summary["scenario"].astype(str).replace(base, f"{base} (base)")
                )
            # the base's thresholds, if the folder keeps its scenario
            info = _run_info(folder, f"scenario_{base}.yaml")
            fig = berth_occupancy(
                summary,
                info.occupancy_threshold or None,
                title="Berth occupancy by terminal: base and options (95% interval)",
            )
            written.append(save(fig, out / "berth_occupancy.png"))
        services = service_keys(comparison)
        moved = comparison["terminal"].isin(services) & (comparison["delta"] != 0)
        changed = comparison[moved]
        if "significant" in changed.columns:
            changed = changed[changed["significant"].fillna(False).astype(bool)]
        if changed["metric"].isin(SHUTTLE_METRICS).any():  # no option moves it: no figure
            names = _run_info(folder, f"scenario_{man.get('base')}.yaml").display_names
            written.append(save(shuttle(summary, names), out / "shuttle.png"))
    _prune(out, _COMPARE_FIGURES, written)
    return written


def _capacity_figures(folder: Path, curve: pd.DataFrame, out: Path) -> list[Path]:
    """One capacity-curve figure per terminal, practical capacity marked where known."""
    practical: dict[str, dict[str, float]] = defaultdict(dict)
    if (folder / "practical_capacity.csv").is_file():
        p = read_table(folder / "practical_capacity.csv")
        for r in p.to_dict("records"):
            practical[str(r["terminal"])][str(r.get("scenario", ""))] = float(r["capacity"])
    written = []
    for term in _terminals(curve["terminal"]):
        fig = capacity_curve(curve, term, practical_capacity=practical.get(term) or None)
        written.append(save(fig, out / f"capacity_{term}.png"))
    return written


def figures_for_capacity(folder: str | Path) -> list[Path]:
    """Write the capacity curves of a ``lygsim capacity`` folder under ``figures/``.

    Args:
        folder: The folder (``capacity.csv``; ``practical_capacity.csv`` if present).

    Returns:
        The PNG files written: ``capacity_<terminal>.png``.

    Raises:
        FileNotFoundError: If the folder has no ``capacity.csv``.
    """
    folder = Path(folder)
    if not (folder / "capacity.csv").is_file():
        raise FileNotFoundError(f"{folder}: no capacity.csv (not a lygsim capacity folder)")
    out = folder / "figures"
    written = _capacity_figures(folder, read_table(folder / "capacity.csv"), out)
    _prune(out, _CAPACITY_FIGURES, written)
    return written


def figures_for_study(folder: str | Path) -> list[Path]:
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
    folder = Path(folder)
    tables = ("comparison.csv", "capacity.csv", "capacity_gained.csv", "horizon.csv")
    if not any((folder / t).is_file() for t in tables):
        raise FileNotFoundError(f"{folder}: no study tables ({', '.join(tables)})")
    out = folder / "figures"
    written: list[Path] = []
    if (folder / "comparison.csv").is_file():
        comparison = read_table(folder / "comparison.csv")
        if len(comparison):
            written.append(save(option_comparison(comparison), out / "option_comparison.png"))
    if (folder / "capacity.csv").is_file():
        written += _capacity_figures(folder, read_table(folder / "capacity.csv"), out)
    if (folder / "capacity_gained.csv").is_file():
        try:
            fig = capacity_gained(read_table(folder / "capacity_gained.csv"))
        except ValueError:  # no option moves any practical capacity: nothing to draw
            pass
        else:
            written.append(save(fig, out / "capacity_gained.png"))
    if (folder / "horizon.csv").is_file():
        written += _horizon_figure(folder, out)
    _prune(out, _STUDY_FIGURES, written)
    return written


def _horizon_figure(folder: Path, out: Path) -> list[Path]:
    """The growth-horizon figure of a folder's ``horizon.csv`` (none if it has no terminal)."""
    horizon = read_table(folder / "horizon.csv")
    until = read_yaml(folder / "study.yaml").get("until") or read_json(
        folder / "manifest.json"
    ).get("until")
    try:
        fig = growth_horizon(horizon, int(until) if until else None)
    except ValueError:  # only port-wide rows: nothing to draw
        return []
    return [save(fig, out / "horizon.png")]


def figures_for_horizon(folder: str | Path) -> list[Path]:
    """Write the figure of a ``lygsim horizon`` folder under ``<folder>/figures/``.

    Args:
        folder: The folder (``horizon.csv``; ``manifest.json`` with ``until``).

    Returns:
        The PNG files written: ``horizon.png``.

    Raises:
        FileNotFoundError: If the folder has no ``horizon.csv``.
        ResultsError: If ``horizon.csv`` cannot be read or lacks a column.
    """
    folder = Path(folder)
    if not (folder / "horizon.csv").is_file():
        raise FileNotFoundError(f"{folder}: no horizon.csv (not a lygsim horizon folder)")
    out = folder / "figures"
    written = _horizon_figure(folder, out)
    _prune(out, _HORIZON_FIGURES, written)
    return written
