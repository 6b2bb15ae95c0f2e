"""Build the port for one replication and run it.

:func:`run_model` turns a scenario into SimPy processes (arrivals, ships, berth outages,
shuttle services and their data corridors), runs them to the horizon and returns the
:class:`~lygsim.records.Records`.

Vessel kinds: every berth allocator numbers the kinds of vessel that may ask it for a
berth, ship classes ``0..n-1`` first, then the services (shuttles and the kinds of
:mod:`lygsim.vessels`) in the scenario's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import simpy

from lygsim.dists import sampler
from lygsim.model.arrivals import arrival_plan
from lygsim.model.berths import Berth, BerthAllocator, Yard
from lygsim.model.corridor import RunningCorridor
from lygsim.model.disruptions import start_outages
from lygsim.model.nautical import Channel, closure_intervals
from lygsim.model.services import ShuttleService, timetable_notes
from lygsim.model.ships import ShipContext, arrivals_process
from lygsim.model.vessels import RunningVessel
from lygsim.records import LEVEL_SERIES, Records, VisitColumns
from lygsim.rules import VesselKind
from lygsim.scenario import Scenario, ShipClass, Shuttle, Terminal
from lygsim.streams import Streams
from lygsim.vessels import VesselService


def running_services(scenario: Scenario) -> list[str]:
    """Keys of the shuttle services switched on, in the scenario's order."""
    return [key for key, sh in scenario.shuttles.items() if sh.enabled]


def unhonoured_settings(scenario: Scenario) -> list[str]:
    """Notes on settings the model cannot act on as written, one sentence each."""
    notes = []
    running = running_services(scenario)
    used = {scenario.shuttles[key].corridor for key in running}
    for key, cor in scenario.corridors.items():
        if cor.enabled and key not in used:
            notes.append(
                f"corridors.{key}: no shuttle service in this run names it, so the corridor "
                "is not simulated and its settings have no effect"
            )
    for key in running:
        notes += timetable_notes(scenario, key)
    return notes


def start_services(
    env: simpy.Environment,
    scenario: Scenario,
    streams: Streams,
    allocators: list[BerthAllocator],
    t_index: dict[str, int],
    channel: Channel,
    transit_h: float,
    horizon_h: float,
) -> tuple[list[ShuttleService], dict[str, RunningCorridor], dict[str, RunningVessel]]:
    """Build and start the running services, the corridors they name, and the vessel kinds.

    Returns the shuttle services, the corridors by key and the services of the kinds of
    :mod:`lygsim.vessels` by key.
    """
    corridors: dict[str, RunningCorridor] = {}
    services = []
    vessels: dict[str, RunningVessel] = {}
    n_classes = len(scenario.ship_classes)
    for pos, (key, sh) in enumerate(scenario.services.items()):
        if not sh.enabled:
            continue
        ti = t_index[sh.terminal]
        tide_bound = scenario.service_tide_bound(key)
        ch = channel if channel.closures or tide_bound else None
        if not isinstance(sh, Shuttle):
            term = scenario.terminals[sh.terminal]
            start = scenario.scenario.start_date
            kind = n_classes + pos
            vessel = RunningVessel(env, key, sh, term, streams, allocators[ti], kind, ti)
            vessel.start(ch, tide_bound, transit_h, start, horizon_h)
            vessels[key] = vessel
            continue
        cor = None
        if sh.corridor is not None:
            if sh.corridor not in corridors:
                corridors[sh.corridor] = RunningCorridor(
                    sh.corridor,
                    scenario.corridors[sh.corridor],
                    streams,
                    scenario.scenario.start_date,
                    horizon_h,
                )
            cor = (sh.corridor, corridors[sh.corridor])
        service = ShuttleService(
            env,
            scenario,
            key,
            streams,
            allocators[ti],
            n_classes + pos,
            ti,
            cor,
            ch,
            transit_h,
            horizon_h,
        )
        service.start()
        services.append(service)
    return services, corridors, vessels


def vessel_kind(
    name: str,
    vessel: ShipClass | Shuttle | VesselService,
    term: Terminal,
    berths: list[Berth],
    groups: Sequence[str] | None = None,
) -> VesselKind:
    """A vessel kind as the allocator of terminal ``term`` (with ``berths``) sees it.

    Args:
        name: The class name or the service's key.
        vessel: Its size (dwt, loa, draft).
        term: The terminal.
        berths: The terminal's berths in allocation order.
        groups: The berth groups it may use (default: all).
    """
    fits = tuple(
        b.index
        for b in berths
        if (groups is None or b.group in groups) and term.berths[b.group].fits(vessel)  # type: ignore[arg-type]
    )
    rates = [
        g.equipment * g.rate.mean * g.efficiency.mean
        for g in (term.berths[berths[i].group] for i in fits)
    ]
    units_per_h = sum(rates) / len(rates) if rates else 0.0
    return VesselKind(name, fits, vessel.dwt_t, units_per_h)


def run_model(scenario: Scenario, streams: Streams, horizon_h: float | None = None) -> Records:
    """Simulate one replication of ``scenario`` and return what it recorded.

    Args:
        scenario: The validated scenario.
        streams: The replication's named random streams.
        horizon_h: Simulated hours (default: the scenario's horizon).
    """
    horizon = scenario.scenario.horizon_days * 24.0 if horizon_h is None else horizon_h
    env = simpy.Environment()
    rec = Records(end_h=horizon, notes=unhonoured_settings(scenario))
    terminal_names = tuple(scenario.terminals)
    t_index = {t: i for i, t in enumerate(terminal_names)}
    class_names = tuple(scenario.ship_classes)
    rec.class_names, rec.terminal_names = class_names, terminal_names

    allocators: list[BerthAllocator] = []
    berth_ids: list[str] = []
    berth_terminal: list[int] = []
    berth_lookup: dict[tuple[str, str], list[Berth]] = {}
    yards: list[Yard | None] = []
    import_share: list[float] = []
    yard_code = LEVEL_SERIES.index("yard")
    for ti, (tname, term) in enumerate(scenario.terminals.items()):
        berths: list[Berth] = []
        for gname, group in term.berths.items():
            rng = streams.rng(f"handling:{tname}:{gname}")
            group_berths = []
            for k in range(group.count):
                samplers = {
                    key: sampler(getattr(group, key), rng)
                    for key in ("rate", "efficiency", "berthing_h", "unberthing_h")
                }
                b = Berth(f"{tname}.{gname}.{k + 1}", gname, len(berths), group.equipment, samplers)
                b.global_index = len(berth_ids)
                berths.append(b)
                group_berths.append(b)
                berth_ids.append(b.id)
                berth_terminal.append(ti)
            berth_lookup[(tname, gname)] = group_berths
        kinds = {
            ci: vessel_kind(cname, scenario.ship_classes[cname], term, berths)
            for ci, cname in enumerate(class_names)
            if scenario.ship_classes[cname].terminal == tname
        }
        for si, (skey, sh) in enumerate(scenario.services.items()):
            if sh.enabled and sh.terminal == tname:
                # services are the kinds after the ship classes; each handles at its own rate
                groups = None if sh.berth_group is None else (sh.berth_group,)
                kind = vessel_kind(skey, sh, term, berths, groups)
                rate = sh.units_per_h()
                kinds[len(class_names) + si] = (
                    kind if rate is None else replace(kind, units_per_h=rate)
                )
        allocators.append(BerthAllocator(env, berths, kinds, term.dispatch))
        if term.yard is not None:
            y = term.yard

            def log(t: float, level: float, _ti: int = ti) -> None:
                rec.log_level(t, yard_code, _ti, level)

            dwell = sampler(y.dwell_h, streams.rng(f"yard:{tname}"))
            yards.append(Yard(env, y.capacity, y.initial, dwell, log))
            import_share.append(y.import_share)
        else:
            yards.append(None)
            import_share.append(0.0)
    rec.berth_ids, rec.berth_terminal = tuple(berth_ids), tuple(berth_terminal)

    closures = closure_intervals(scenario, streams.rng("weather"), horizon)
    rec.closures = closures
    channel = Channel(scenario.nautical, closures)
    has_channel = bool(closures) or any(scenario.tide_bound(c) for c in class_names)
    transit = scenario.nautical.transit_h if scenario.nautical else 0.0

    start_outages(env, scenario, streams, allocators, berth_lookup, t_index, rec)
    services, corridors, vessels = start_services(
        env, scenario, streams, allocators, t_index, channel, transit, horizon
    )

    plan = arrival_plan(scenario, streams, horizon)
    rec.plan = {
        "arrived_h": plan.time_h,
        "ship_class": plan.ship_class,
        "terminal": np.asarray(
            [t_index[scenario.ship_classes[c].terminal] for c in class_names], dtype=np.int64
        )[plan.ship_class]
        if len(plan)
        else np.empty(0, dtype=np.int64),
        "call_size": plan.call_size,
        "scheduled": plan.scheduled,
    }
    rec.cols = VisitColumns(len(plan))
    ctx = ShipContext(
        env=env,
        cols=rec.cols,
        allocators=allocators,
        class_terminal=tuple(t_index[scenario.ship_classes[c].terminal] for c in class_names),
        tide_bound=tuple(scenario.tide_bound(c) for c in class_names),
        channel=channel if has_channel else None,
        transit_h=transit,
        yards=yards,
        import_share=import_share,
        end_h=horizon,
    )
    env.process(arrivals_process(ctx, plan))
    env.run(until=horizon)
    rec.n_arrived = ctx.n_arrived
    for key, service in zip(running_services(scenario), services, strict=True):
        rec.services[key] = service.finish(horizon)
    rec.corridors = {key: cor.records() for key, cor in corridors.items()}
    rec.vessels = {key: v.records for key, v in vessels.items()}
    for ti, yard in enumerate(yards):
        if yard is not None:
            yard.settle(horizon)
            rec.yard_state[ti] = (
                scenario.terminals[terminal_names[ti]].yard.initial,  # type: ignore[union-attr]
                yard.level,
                yard.gone_inland,
            )
    return rec
