"""The Lianshen Express: timetabled shuttle vessels and the transfer boxes they carry.

Timetable slots (departures from Lianyungang) are numbered in time order; vessel ``v`` of
``V`` sails slots ``v, v + V, v + 2V, ...`` (a fixed rotation). A call at Lianyungang:

1. The vessel is at the anchorage (back from Shanghai, or positioned there at time 0).
2. It asks for a berth in time to berth and discharge by the cut-off, or earlier if
   loading a full ship takes longer than the cut-off (at once if it is already late).
   If the corridor was up ``eta_lead_h`` before that moment, its ETA was shared and the
   berth planner gives it a reserved window: it goes ahead of every waiting ship.
   Otherwise the terminal has no window for it and it queues like an unscheduled ship
   (behind liner calls under ``scheduled_first``). Its berth is one of the container
   terminal's, shared with the ships.
3. Channel (tide, weather), transit and berthing, then it discharges the boxes from
   Shanghai at ``crane_rate_teu_h``.
4. Loading starts when discharge is over: the cranes take cleared batches, oldest
   clearance first, each as soon as it is cleared. The load list closes at the cut-off:
   batches cleared by then, as many as fit. Batches booked before the cut-off that are
   not on the list roll over to the next sailing: still in clearance (missed the
   cut-off) or left behind by a full ship.
5. It casts off at the slot, or when loaded if that is later (a late vessel sails late;
   no sailing is cancelled), unberths, waits for the channel and sails.
6. Sea time to Shanghai, time there, sea time back: the next call of its rotation.

Bookings, their clearance times (see :mod:`lygsim.model.corridor`) and the northbound
volumes are drawn from their own streams (``shuttle:demand``, ``corridor:clearance``,
``shuttle:from_shanghai``, ``shuttle:handling``, ``corridor:outages``,
``corridor:clearance_in``), so adding the shuttle changes no other stream. Southbound batches
are never SimPy events: sorted by clearance time, the waiting batches are a slice of one
array, and loading a sailing moves a pointer.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from lygsim.dists import sampler
from lygsim.model.arrivals import poisson_rate_profile, scheduled_plan_h
from lygsim.model.berths import Berth, BerthAllocator
from lygsim.model.corridor import (
    CorridorLink,
    OfficeCalendar,
    clearance,
    corridor_downtime,
)
from lygsim.model.nautical import Channel
from lygsim.model.ships import delay_to
from lygsim.records import ShuttleCallColumns, ShuttleRecords
from lygsim.scenario import PoissonArrivals, Scenario, ScheduledArrivals, Shuttle
from lygsim.streams import Streams


def timetable_h(shuttle: Shuttle, scenario: Scenario, horizon_h: float) -> np.ndarray:
    """Timetabled departures from Lianyungang (hours from the start) before the horizon."""
    as_service = ScheduledArrivals(
        kind="scheduled",
        ship_class="shuttle",
        days_of_week=shuttle.departure_days,
        hour=shuttle.departure_hour,
    )
    return np.sort(scheduled_plan_h(as_service, scenario.scenario.start_date, horizon_h))


def booking_times(
    scenario: Scenario, shuttle: Shuttle, rng: np.random.Generator, horizon_h: float
) -> np.ndarray:
    """Booking times of the southbound batches: a non-homogeneous Poisson process.

    The rate is ``teu_per_year / batch_teu`` batches a year with the demand's seasonality
    and growth, as for ``poisson`` ship arrivals, by inverting the cumulative rate.
    """
    d = shuttle.demand
    # built without validation: bookings may outnumber any ship stream's calls_per_year bound
    as_stream = PoissonArrivals.model_construct(
        kind="poisson",
        ship_class="shuttle",
        calls_per_year=d.teu_per_year / d.batch_teu,
        seasonality=d.seasonality,
        growth_per_year=d.growth_per_year,
    )
    edges, rate = poisson_rate_profile(as_stream, scenario.scenario.start_date, horizon_h)
    cum = np.concatenate([[0.0], np.cumsum(rate * np.diff(edges))])
    total = float(cum[-1])
    n_guess = int(total + 6 * math.sqrt(total) + 20)
    points = np.cumsum(rng.exponential(1.0, n_guess))
    while points[-1] < total:
        points = np.concatenate([points, points[-1] + np.cumsum(rng.exponential(1.0, n_guess))])
    points = points[points < total]
    times = np.interp(points, cum, edges)
    return times[times < horizon_h]


def round_trip_h(
    shuttle: Shuttle, transit_h: float, berthing_h: float, unberthing_h: float
) -> float:
    """Planned time from a vessel's cast-off to the earliest next cast-off it can make.

    Unberthing, sea time both ways, time in Shanghai, transit and berthing, discharging the
    mean northbound volume and loading a full ship, with no wait on the way.
    """
    teu_in = min(shuttle.demand.from_shanghai_teu_per_sailing.mean, shuttle.capacity_teu)
    return (
        unberthing_h
        + 2 * shuttle.sea_time_h
        + shuttle.shanghai_time_h
        + transit_h
        + berthing_h
        + (teu_in + shuttle.capacity_teu) / shuttle.crane_rate_teu_h
    )


class ShuttleService:
    """The running shuttle: vessels, the southbound queue and the records.

    Args:
        env: The SimPy environment.
        scenario: The scenario (its ``shuttle`` is enabled).
        streams: The replication's streams.
        allocator: Berth allocator of the shuttle's terminal.
        terminal: Index of that terminal.
        kind: The shuttle's vessel kind in that allocator.
        channel: The channel, or None when nothing ever holds the shuttle in it.
        transit_h: Channel transit.
        horizon_h: Simulated hours.
    """

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        allocator: BerthAllocator,
        terminal: int,
        kind: int,
        channel: Channel | None,
        transit_h: float,
        horizon_h: float,
    ):
        sh = scenario.shuttle
        assert sh is not None
        self.env = env
        self.shuttle = sh
        self.allocator = allocator
        self.channel = channel
        self.tide_bound = scenario.shuttle_tide_bound()
        self.transit_h = transit_h
        term = scenario.terminals[sh.terminal]
        self.kind = kind
        fits = allocator.kinds[kind].fits
        rng = streams.rng("shuttle:handling")
        groups_used = sorted({allocator.berths[i].group for i in fits})
        self.berthing = {g: sampler(term.berths[g].berthing_h, rng) for g in groups_used}
        self.unberthing = {g: sampler(term.berths[g].unberthing_h, rng) for g in groups_used}
        # time from asking for a berth to being alongside, for planning the request
        self.approach_h = transit_h + max(
            term.berths[allocator.berths[i].group].berthing_h.mean for i in fits
        )

        # corridor
        cor = scenario.corridor
        self.link: CorridorLink | None = None
        calendar: OfficeCalendar | None = None
        down: list[tuple[float, float]] = []
        if cor is not None:
            down = corridor_downtime(cor, streams.rng("corridor:outages"), horizon_h)
            self.link = CorridorLink(cor.enabled, down)
            calendar = OfficeCalendar(cor.office_hours, scenario.scenario.start_date)
        self.calendar = calendar
        self.eta_lead_h = cor.eta_lead_h if cor is not None else 0.0

        # southbound batches: booked and cleared before the run
        booked = booking_times(scenario, sh, streams.rng("shuttle:demand"), horizon_h)
        n = len(booked)
        if cor is not None:
            crng = streams.rng("corridor:clearance")
            latency = cor.latency_h.sample_n(crng, n)
            auto = cor.auto_clearance_h.sample_n(crng, n)
            manual = cor.manual_clearance_h.sample_n(crng, n)
            cleared, by_corridor = clearance(
                self.link, calendar, booked, booked, latency, auto, manual
            )
            del latency, auto, manual
        else:
            cleared, by_corridor = booked.copy(), np.zeros(n, dtype=bool)
        self.order = np.argsort(cleared, kind="stable")
        self.cleared_sorted = cleared[self.order]
        self.booked = booked
        self.sailing_sorted = np.full(n, -1, dtype=np.int32)
        self.loaded = 0  # batches loaded so far: a prefix of the clearance order
        self.batch_teu = sh.demand.batch_teu
        self.batches_per_sailing = int(math.floor(sh.capacity_teu / self.batch_teu + 1e-9))

        slots = timetable_h(sh, scenario, horizon_h)
        self.calls = ShuttleCallColumns(slots, sh.cutoff_h, sh.vessels)
        draws = sh.demand.from_shanghai_teu_per_sailing.sample_n(
            streams.rng("shuttle:from_shanghai"), len(slots)
        )
        self.teu_in = np.minimum(np.maximum(np.rint(draws), 0.0), math.floor(sh.capacity_teu))
        self.records = ShuttleRecords(
            terminal=terminal,
            capacity_teu=sh.capacity_teu,
            batch_teu=self.batch_teu,
            sea_time_h=sh.sea_time_h,
            shanghai_time_h=sh.shanghai_time_h,
            calls=self.calls,
            booked_h=booked,
            cleared_h=cleared,
            by_corridor=by_corridor,
            sailing=self.sailing_sorted,  # replaced by booking order in finish()
            corridor=None if cor is None else cor.enabled,
            corridor_down=down,
        )
        self._cor = cor
        self._streams = streams

    def start(self) -> None:
        """Start one process per vessel."""
        for v in range(min(self.shuttle.vessels, self.calls.n)):
            self.env.process(self.vessel_process(v))

    def vessel_process(self, v: int) -> Generator[simpy.Event, Any, None]:
        """Vessel ``v``: its calls at Lianyungang and its round trips to Shanghai."""
        sh = self.shuttle
        arrive = 0.0  # positioned at the anchorage at the start
        for k in range(v, self.calls.n, sh.vessels):
            departed = yield from self.call_process(k, arrive)
            arrive = departed + 2 * sh.sea_time_h + sh.shanghai_time_h

    def _wait_until(self, now: float, t: float) -> Generator[simpy.Event, Any, float]:
        """Wait from ``now`` until ``t``; returns the time as meant (see ``ships.delay_to``)."""
        env = self.env
        if t > env.now:
            yield env.timeout(delay_to(env.now, t))
        return max(env.now, now, t)

    def _work(
        self, berth: Berth, start: float, hours: float
    ) -> Generator[simpy.Event, Any, tuple[float, float]]:
        """Crane work of ``hours`` at ``berth`` from ``start``, stopping while it is down.

        Returns ``(end_h, stopped_h)``.
        """
        env = self.env
        if not berth.may_fail:
            end = yield from self._wait_until(start, start + hours)
            return end, 0.0
        stopped = 0.0
        remaining = hours
        while remaining > 1e-9:
            if berth.down:
                t0 = env.now
                yield berth.up_event  # type: ignore[misc]
                stopped += env.now - t0
                continue
            t0 = env.now
            yield env.timeout(remaining) | berth.fail_event  # type: ignore[operator]
            remaining -= env.now - t0
        return max(env.now, start), stopped

    def call_process(self, k: int, arrive: float) -> Generator[simpy.Event, Any, float]:
        """Call ``k`` at Lianyungang; returns the time the vessel left the berth."""
        env = self.env
        c = self.calls
        sh = self.shuttle
        now = yield from self._wait_until(env.now, arrive)
        c.arrived_h[k] = now
        slot = c.slot_h[k]
        cutoff = c.cutoff_h[k]
        teu_in = float(self.teu_in[k])
        c.teu_in[k] = teu_in
        rate = sh.crane_rate_teu_h
        # discharged when the load list is drawn up, and in time to load a full ship
        plan = slot - max(sh.cutoff_h, sh.capacity_teu / rate) - teu_in / rate - self.approach_h
        now = yield from self._wait_until(now, plan)
        c.requested_h[k] = now
        shared = False
        if self.link is not None:
            shared = self.link.is_up(max(now - self.eta_lead_h, 0.0))
        c.eta_shared[k] = shared
        alloc = self.allocator
        # without its ETA the terminal has no window for it: it queues as a ship that turns up
        berth = alloc.request(self.kind, False, reserved=shared, work=teu_in + sh.capacity_teu)
        if berth.__class__ is not Berth:
            berth = yield berth
        now = max(env.now, now, berth.free_at)
        c.assigned_h[k] = now
        c.berth[k] = berth.global_index

        channel = self.channel
        if channel is not None:
            t_move, w_tide, w_weather = channel.next_move(now, self.tide_bound)
            c.wait_tide_h[k] += w_tide
            c.wait_weather_h[k] += w_weather
            now = yield from self._wait_until(now, t_move)
        c.entered_h[k] = now
        berthed = now + self.transit_h + self.berthing[berth.group]()
        now = yield from self._wait_until(now, berthed)
        c.berthed_h[k] = now
        now, stopped = yield from self._work(berth, now, teu_in / rate)
        c.wait_outage_h[k] += stopped
        c.discharged_h[k] = now
        # loading starts at once with the boxes already cleared; the list closes at the
        # cut-off, so the vessel learns then when its last batch is on board
        c.load_start_h[k] = start = now
        now = yield from self._wait_until(now, cutoff)
        end = self._load_list(k, cutoff, start)
        if end > now:
            # an outage of the berth stops the loading left after the cut-off
            end, stopped = yield from self._work(berth, now, end - now)
            c.wait_outage_h[k] += stopped
            now = end
        c.load_end_h[k] = end

        now = yield from self._wait_until(now, slot)  # a late vessel casts off when loaded
        c.cast_off_h[k] = now
        leave = now + self.unberthing[berth.group]()
        if channel is not None:
            leave, w_tide, w_weather = channel.next_move(leave, self.tide_bound)
            c.wait_tide_h[k] += w_tide
            c.wait_weather_h[k] += w_weather
        now = yield from self._wait_until(now, leave)
        c.departed_h[k] = now
        alloc.release(berth, now)
        return now

    def _load_list(self, k: int, cutoff: float, start: float) -> float:
        """Put the batches cleared by ``cutoff`` on call ``k``, oldest clearance first.

        Returns when loading them, from ``start`` on, ends: the cranes take the batches in
        clearance order, each as soon as it is cleared and the one before it is on board.
        """
        ready = int(np.searchsorted(self.cleared_sorted, cutoff, side="right"))
        booked = int(np.searchsorted(self.booked, cutoff, side="right"))
        first = self.loaded
        n = max(0, min(ready - first, self.batches_per_sailing))
        end = start
        if n:
            self.sailing_sorted[first : first + n] = k
            self.loaded = first + n
            each = self.batch_teu / self.shuttle.crane_rate_teu_h
            # batch i (0-based) is on board at max(start + (i+1) s, c_j + (i-j+1) s, j <= i)
            behind = self.cleared_sorted[first : first + n] + each * np.arange(n, 0, -1)
            end = max(start + n * each, float(behind.max()))
        c = self.calls
        c.teu_out[k] = float(n * self.batch_teu)
        c.teu_missed_cutoff[k] = float((booked - ready) * self.batch_teu)
        c.teu_left_full[k] = float(max(ready - self.loaded, 0) * self.batch_teu)
        return end

    def finish(self, horizon_h: float) -> ShuttleRecords:
        """Complete the records at the end of the run (northbound clearance included)."""
        rec = self.records
        sailing = np.empty_like(self.sailing_sorted)
        sailing[self.order] = self.sailing_sorted
        rec.sailing = sailing
        # the run is over: free the working arrays now rather than when the cycle collector
        # gets to the environment, its processes and this object
        empty = np.empty(0)
        self.order = self.cleared_sorted = self.sailing_sorted = empty
        c = self.calls
        discharged = np.frombuffer(c.discharged_h, dtype=np.float64) if c.n else np.empty(0)
        done = np.flatnonzero(~np.isnan(discharged) & (discharged <= horizon_h))
        teu = self.teu_in[done]
        b = float(self.batch_teu)
        counts = np.ceil(teu / b).astype(np.int64)
        call = np.repeat(done, counts)
        # every batch is full but the last of each call
        last = np.cumsum(counts) - 1
        in_teu = np.full(len(call), b)
        in_teu[last[counts > 0]] = (teu - (counts - 1) * b)[counts > 0]
        start = discharged[call]
        cor = self._cor
        if cor is not None:
            rng = self._streams.rng("corridor:clearance_in")
            n = len(call)
            latency = cor.latency_h.sample_n(rng, n)
            auto = cor.auto_clearance_h.sample_n(rng, n)
            manual = cor.manual_clearance_h.sample_n(rng, n)
            arrived = np.frombuffer(c.arrived_h, dtype=np.float64)[call]
            # documents leave Shanghai with the vessel
            sent = arrived - self.shuttle.sea_time_h
            cleared, by_corridor = clearance(
                self.link, self.calendar, start, sent, latency, auto, manual
            )
        else:
            cleared, by_corridor = start.copy(), np.zeros(len(call), dtype=bool)
        rec.in_call, rec.in_teu = call, in_teu
        rec.in_cleared_h, rec.in_by_corridor = cleared, by_corridor
        return rec


def start_shuttle(
    env: simpy.Environment,
    scenario: Scenario,
    streams: Streams,
    allocators: list[BerthAllocator],
    t_index: dict[str, int],
    kind: int,
    channel: Channel,
    transit_h: float,
    horizon_h: float,
) -> ShuttleService | None:
    """Build and start the shuttle, or return None if the scenario has none (or it is off).

    ``kind`` is the shuttle's vessel kind in its terminal's allocator.
    """
    sh = scenario.shuttle
    if sh is None or not sh.enabled:
        return None
    ti = t_index[sh.terminal]
    needs_channel = bool(channel.closures) or scenario.shuttle_tide_bound()
    service = ShuttleService(
        env,
        scenario,
        streams,
        allocators[ti],
        ti,
        kind,
        channel if needs_channel else None,
        transit_h,
        horizon_h,
    )
    service.start()
    return service
