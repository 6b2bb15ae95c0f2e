"""Running the services of the vessel kinds in :mod:`lygsim.vessels`.

A kind's class starts its own processes (:meth:`lygsim.vessels.VesselService.start`);
:class:`RunningVessel` is what it is given: the service's streams and its calls, each a
composition of the steps of :mod:`lygsim.model.call` in the order a ship's visit uses
them, written to :class:`lygsim.records.VesselCallColumns`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import simpy

from lygsim.dists import sampler
from lygsim.model.berths import BerthAllocator
from lygsim.model.call import (
    Step,
    alongside,
    enter,
    leave,
    reached,
    take_berth,
    unberth,
    wait_until,
    work,
)
from lygsim.model.nautical import Channel
from lygsim.records import VesselCallColumns, VesselRecords
from lygsim.scenario import Scenario, Terminal
from lygsim.streams import Streams
from lygsim.vessels import VesselService


class RunningVessel:
    """One service of a vessel kind in one replication (a :class:`lygsim.vessels.VesselRun`).

    Args:
        env: The SimPy environment.
        key: The service's key (its streams are ``KEY:purpose``).
        spec: The service's scenario entry.
        term: Its terminal.
        streams: The replication's streams.
        allocator: Berth allocator of the terminal.
        kind: The service's vessel kind in that allocator.
        terminal: Index of the terminal.
        channel: The channel, or None when nothing ever holds the vessels in it.
        tide_bound: Whether its vessels move only inside tide windows.
        transit_h: Channel transit.
        start_date: The scenario's start date.
        horizon_h: Simulated hours.
    """

    def __init__(
        self,
        env: simpy.Environment,
        key: str,
        spec: VesselService,
        term: Terminal,
        streams: Streams,
        allocator: BerthAllocator,
        kind: int,
        terminal: int,
        channel: Channel | None,
        tide_bound: bool,
        transit_h: float,
        start_date: dt.date,
        horizon_h: float,
    ):
        self.env = env
        self.key = key
        self.start_date = start_date
        self.horizon_h = horizon_h
        self.spec = spec
        self._streams = streams
        self._alloc = allocator
        self._kind = kind
        self._channel = channel
        self._tide_bound = tide_bound
        self._transit_h = transit_h
        rng = self.rng("handling")
        groups = sorted({allocator.berths[i].group for i in allocator.kinds[kind].fits})
        self._berthing = {g: sampler(term.berths[g].berthing_h, rng) for g in groups}
        self._unberthing = {g: sampler(term.berths[g].unberthing_h, rng) for g in groups}
        self.records = VesselRecords(spec.kind, terminal, VesselCallColumns())

    def rng(self, purpose: str) -> np.random.Generator:
        """The service's own stream ``KEY:purpose``."""
        return self._streams.rng(f"{self.key}:{purpose}")

    def start(self) -> None:
        """Let the kind start its processes."""
        self.spec.start(self)

    def call(
        self,
        arrive_h: float,
        work_h: float,
        units: float,
        *,
        leave_h: float | None = None,
        scheduled: bool = False,
    ) -> Step:
        """One call: see :meth:`lygsim.vessels.VesselRun.call`."""
        env, c = self.env, self.records.calls
        now = yield from wait_until(env, env.now, arrive_h)
        i = c.add(now, units)
        berth, now = yield from take_berth(
            env, self._alloc, self._kind, scheduled, False, units, c, i, now
        )
        now = yield from enter(env, self._channel, self._tide_bound, c, i, now)
        berthed = alongside(self._transit_h, self._berthing[berth.group], self.horizon_h, c, i, now)
        now = yield from wait_until(env, now, berthed)
        end, stopped = yield from work(env, berth, now, work_h)
        c.wait_outage_h[i] += stopped
        c.work_end_h[i] = reached(end, self.horizon_h)
        if leave_h is not None and leave_h > end:
            end = leave_h
        out = unberth(self._channel, self._tide_bound, self._unberthing[berth.group], end)
        return (yield from leave(env, self._alloc, berth, c, i, now, out))


def start_vessels(
    env: simpy.Environment,
    scenario: Scenario,
    streams: Streams,
    allocators: list[BerthAllocator],
    t_index: dict[str, int],
    channel: Channel,
    transit_h: float,
    horizon_h: float,
) -> dict[str, RunningVessel]:
    """Build and start the running services of :mod:`lygsim.vessels` kinds, by key.

    Each is numbered in its terminal's allocator as :func:`lygsim.model.port.run_model`
    numbered it: after the ship classes, by its position in ``services``.
    """
    running: dict[str, RunningVessel] = {}
    n_classes = len(scenario.ship_classes)
    for pos, (key, spec) in enumerate(scenario.services.items()):
        if not spec.enabled or not isinstance(spec, VesselService):
            continue
        ti = t_index[spec.terminal]
        tide_bound = scenario.service_tide_bound(key)
        vessel = RunningVessel(
            env,
            key,
            spec,
            scenario.terminals[spec.terminal],
            streams,
            allocators[ti],
            n_classes + pos,
            ti,
            channel if channel.closures or tide_bound else None,
            tide_bound,
            transit_h,
            scenario.scenario.start_date,
            horizon_h,
        )
        vessel.start()
        running[key] = vessel
    return running
