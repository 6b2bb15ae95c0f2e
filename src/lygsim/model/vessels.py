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
from lygsim.model import call as steps
from lygsim.model.berths import BerthAllocator
from lygsim.model.call import Step
from lygsim.model.nautical import Channel
from lygsim.records import VesselCallColumns, VesselRecords
from lygsim.scenario import Terminal
from lygsim.streams import Streams
from lygsim.vessels import CallPlan, VesselService


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
    ):
        self.env = env
        self.key = key
        self.spec = spec
        self._streams = streams
        self._alloc = allocator
        self._kind = kind
        rng = self.rng("handling")
        groups = sorted({allocator.berths[i].group for i in allocator.kinds[kind].fits})
        self._berthing = {g: sampler(term.berths[g].berthing_h, rng) for g in groups}
        self._unberthing = {g: sampler(term.berths[g].unberthing_h, rng) for g in groups}
        self.records = VesselRecords(spec.kind, terminal, VesselCallColumns())
        self._channel: Channel | None = None
        self._tide_bound = False
        self._transit_h = 0.0
        self.start_date = dt.date.min
        self.horizon_h = 0.0

    def rng(self, purpose: str) -> np.random.Generator:
        """The service's own stream ``KEY:purpose``."""
        return self._streams.rng(f"{self.key}:{purpose}")

    def start(
        self,
        channel: Channel | None,
        tide_bound: bool,
        transit_h: float,
        start_date: dt.date,
        horizon_h: float,
    ) -> None:
        """Let the kind start its processes for a run from ``start_date`` to ``horizon_h``.

        Its vessels use ``channel`` (None: nothing ever holds them in it), only inside tide
        windows if ``tide_bound``, and transit it in ``transit_h``.
        """
        self._channel, self._tide_bound, self._transit_h = channel, tide_bound, transit_h
        self.start_date, self.horizon_h = start_date, horizon_h
        self.spec.start(self)

    def call(self, plan: CallPlan) -> Step:
        """One call: see :meth:`lygsim.vessels.VesselRun.call`."""
        env, c, end_h = self.env, self.records.calls, self.horizon_h
        now = yield from steps.wait_until(env, env.now, plan.arrive_h)
        i = c.add(now, plan.units)
        berth, now = yield from steps.take_berth(
            env, self._alloc, self._kind, plan.scheduled, False, plan.units, c, i, now
        )
        now = yield from steps.enter(env, self._channel, self._tide_bound, c, i, now)
        berthed = steps.alongside(self._transit_h, self._berthing[berth.group], end_h, c, i, now)
        now = yield from steps.wait_until(env, now, berthed)
        end, stopped = yield from steps.work(env, berth, now, plan.work_h)
        c.wait_outage_h[i] += stopped
        c.work_end_h[i] = steps.reached(end, end_h)
        end = max(end, plan.leave_h)
        out = steps.unberth(self._channel, self._tide_bound, self._unberthing[berth.group], end)
        return (yield from steps.leave(env, self._alloc, berth, c, i, now, out))
