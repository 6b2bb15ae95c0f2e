"""Timetabled shuttle services (the Lianshen Express) and the transfer boxes they carry.

A service is a vessel kind of its own: its own timetable, its own load-list step and its
own records; it shares its terminal's berths with the ships through the terminal's
allocator, where its kind is numbered after the ship classes.

Timetable slots (departures from the port) are numbered in time order; vessel ``v`` of
``V`` sails slots ``v, v + V, v + 2V, ...`` (a fixed rotation). A call, composed of the
steps of :mod:`lygsim.model.call`:

1. The vessel is at the anchorage (back from the other port, or positioned there at 0).
2. It asks for a berth in time to berth and discharge by the cut-off, or earlier if
   loading a full ship takes longer than the cut-off (at once if it is already late).
   If its corridor was up ``eta_lead_h`` before that moment, its ETA was shared and the
   berth planner gives it a reserved window: it goes ahead of every waiting ship.
   Otherwise the terminal has no window for it and it queues like an unscheduled ship
   (behind liner calls under ``scheduled_first``).
3. Channel (tide, weather), transit and berthing, then it discharges the boxes from the
   other port at ``crane_rate_teu_h``.
4. Loading starts when discharge is over: the cranes take cleared batches, oldest
   clearance first, each as soon as it is cleared. The load list closes at the cut-off:
   batches cleared by then, as many as fit. Batches booked before the cut-off that are
   not on the list roll over to the next sailing: still in clearance (missed the
   cut-off) or left behind by a full ship.
5. It casts off at the slot, or when loaded if that is later (a late vessel sails late;
   no sailing is cancelled), unberths, waits for the channel and sails.
6. Sea time there, time there, sea time back: the next call of its rotation.

Bookings, their clearance times (see :mod:`lygsim.model.corridor`) and the northbound
volumes are drawn from the service's own streams (``KEY:demand``, ``KEY:from_shanghai``,
``KEY:handling``) and its corridor's, so adding a service changes no other stream.
Southbound batches are never SimPy events: sorted by clearance time, the waiting batches
are a slice of one array, and loading a sailing moves a pointer.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from lygsim.dists import sampler
from lygsim.model.arrivals import poisson_times, rate_profile
from lygsim.model.berths import BerthAllocator
from lygsim.model.call import alongside, enter, leave, take_berth, unberth, wait_until, work
from lygsim.model.corridor import RunningCorridor
from lygsim.model.nautical import Channel
from lygsim.records import ServiceCallColumns, ServiceRecords
from lygsim.scenario import Scenario, Shuttle
from lygsim.streams import Streams
from lygsim.units import weekly_times_h


def timetable_h(shuttle: Shuttle, scenario: Scenario, horizon_h: float) -> np.ndarray:
    """Timetabled departures from the port (hours from the start) before the horizon."""
    start = scenario.scenario.start_date
    days, hour = shuttle.departure_days, shuttle.departure_hour
    return np.sort(weekly_times_h(days, hour, 1, start, horizon_h))


def booking_times(
    scenario: Scenario, shuttle: Shuttle, rng: np.random.Generator, horizon_h: float
) -> np.ndarray:
    """Booking times of the southbound batches: a non-homogeneous Poisson process.

    The rate is ``teu_per_year / batch_teu`` batches a year with the demand's seasonality
    and growth, as for ``poisson`` ship arrivals.
    """
    d = shuttle.demand
    start = scenario.scenario.start_date
    profile = rate_profile(
        d.teu_per_year / d.batch_teu, d.seasonality, d.growth_per_year, start, horizon_h
    )
    times = poisson_times(*profile, rng)
    return times[times < horizon_h]


def round_trip_h(
    shuttle: Shuttle, transit_h: float, berthing_h: float, unberthing_h: float
) -> float:
    """Planned time from a vessel's cast-off to the earliest next cast-off it can make.

    Unberthing, sea time both ways, time at the other port, transit and berthing,
    discharging the mean northbound volume and loading a full ship, with no wait.
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


def timetable_notes(scenario: Scenario, key: str) -> list[str]:
    """A warning when service ``key``'s vessels cannot keep its timetable."""
    sh = scenario.shuttles[key]
    term = scenario.terminals[sh.terminal]
    groups = [sh.berth_group] if sh.berth_group is not None else list(term.berths)
    fits = [g for g in groups if term.berths[g].fits(sh)]  # type: ignore[arg-type]
    berthing = max(term.berths[g].berthing_h.mean for g in fits)
    unberthing = max(term.berths[g].unberthing_h.mean for g in fits)
    transit = scenario.nautical.transit_h if scenario.nautical else 0.0
    need = round_trip_h(sh, transit, berthing, unberthing)
    # the tightest stretch of the timetable a vessel has between its own departures
    days = sorted(sh.departure_days)
    slots = [d * 24.0 + w * 168.0 for w in range(sh.vessels + 2) for d in days]
    have = min(slots[i + sh.vessels] - slots[i] for i in range(len(days)))
    if need > have + 1e-9:
        return [
            f"{key}: {sh.vessels} vessel(s) cannot keep a timetable of "
            f"{sh.sailings_per_week} sailings a week: a round trip takes about {need:.0f} h "
            f"(sea, the other port, berthing, discharging and loading) but a vessel has as "
            f"little as {have:.0f} h between its departures, so sailings will leave late"
        ]
    return []


class ShuttleService:
    """One running shuttle service: vessels, the southbound queue and the records.

    Args:
        env: The SimPy environment.
        scenario: The scenario.
        key: The service's key in ``scenario.services`` (its streams are ``KEY:purpose``).
        streams: The replication's streams.
        allocator: Berth allocator of the service's terminal.
        kind: The service's vessel kind in that allocator.
        terminal: Index of that terminal.
        corridor: The corridor that clears its boxes, or None.
        channel: The channel, or None when nothing ever holds the vessels in it.
        transit_h: Channel transit.
        horizon_h: Simulated hours.
    """

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        key: str,
        streams: Streams,
        allocator: BerthAllocator,
        kind: int,
        terminal: int,
        corridor: tuple[str, RunningCorridor] | None,
        channel: Channel | None,
        transit_h: float,
        horizon_h: float,
    ):
        sh = scenario.shuttles[key]
        self.env = env
        self.shuttle = sh
        self.allocator = allocator
        self.kind = kind
        self.channel = channel
        self.tide_bound = scenario.service_tide_bound(key)
        self.transit_h = transit_h
        self.end_h = horizon_h
        term = scenario.terminals[sh.terminal]
        fits = allocator.kinds[kind].fits
        rng = streams.rng(f"{key}:handling")
        groups_used = sorted({allocator.berths[i].group for i in fits})
        self.berthing = {g: sampler(term.berths[g].berthing_h, rng) for g in groups_used}
        self.unberthing = {g: sampler(term.berths[g].unberthing_h, rng) for g in groups_used}
        # time from asking for a berth to being alongside, for planning the request
        self.approach_h = transit_h + max(
            term.berths[allocator.berths[i].group].berthing_h.mean for i in fits
        )
        self.corridor = corridor[1] if corridor is not None else None

        # southbound batches: booked and cleared before the run
        booked = booking_times(scenario, sh, streams.rng(f"{key}:demand"), horizon_h)
        n = len(booked)
        if self.corridor is not None:
            cleared, by_corridor = self.corridor.clear(booked, booked, inbound=False)
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
        self.calls = ServiceCallColumns(slots, sh.cutoff_h, sh.vessels)
        draws = sh.demand.from_shanghai_teu_per_sailing.sample_n(
            streams.rng(f"{key}:from_shanghai"), len(slots)
        )
        self.teu_in = np.minimum(np.maximum(np.rint(draws), 0.0), math.floor(sh.capacity_teu))
        fixed = (sh.capacity_teu, self.batch_teu, sh.sea_time_h, sh.shanghai_time_h)
        cor_key = None if corridor is None else corridor[0]
        # the sailings are in clearance order until finish() puts them in booking order
        self.records = ServiceRecords(
            terminal, *fixed, self.calls, booked, cleared, by_corridor, self.sailing_sorted, cor_key
        )

    def start(self) -> None:
        """Start one process per vessel."""
        for v in range(min(self.shuttle.vessels, self.calls.n)):
            self.env.process(self.vessel_process(v))

    def vessel_process(self, v: int) -> Generator[simpy.Event, Any, None]:
        """Vessel ``v``: its calls at the port and its round trips to the other one."""
        sh = self.shuttle
        arrive = 0.0  # positioned at the anchorage at the start
        for k in range(v, self.calls.n, sh.vessels):
            departed = yield from self.call_process(k, arrive)
            arrive = departed + 2 * sh.sea_time_h + sh.shanghai_time_h

    def call_process(self, k: int, arrive: float) -> Generator[simpy.Event, Any, float]:
        """Call ``k`` at the port; returns the time the vessel left the berth."""
        env = self.env
        c = self.calls
        sh = self.shuttle
        now = yield from wait_until(env, env.now, arrive)
        c.arrived_h[k] = now
        slot = c.slot_h[k]
        cutoff = c.cutoff_h[k]
        teu_in = float(self.teu_in[k])
        c.teu_in[k] = teu_in
        rate = sh.crane_rate_teu_h
        # discharged when the load list is drawn up, and in time to load a full ship
        plan = slot - max(sh.cutoff_h, sh.capacity_teu / rate) - teu_in / rate - self.approach_h
        now = yield from wait_until(env, now, plan)
        c.requested_h[k] = now
        # without its ETA the terminal has no window for it: it queues as a ship that turns up
        shared = self.corridor is not None and self.corridor.eta_shared(now)
        c.eta_shared[k] = shared
        # its work: the boxes it brings in and, at most, a full load out
        job = teu_in + sh.capacity_teu
        berth, now = yield from take_berth(
            env, self.allocator, self.kind, False, shared, job, c, k, now
        )
        now = yield from enter(env, self.channel, self.tide_bound, c, k, now)
        berthed = alongside(self.transit_h, self.berthing[berth.group], self.end_h, c, k, now)
        now = yield from wait_until(env, now, berthed)
        end, stopped = yield from work(env, berth, now, teu_in / rate)
        c.wait_outage_h[k] += stopped
        now = yield from wait_until(env, now, end)
        c.discharged_h[k] = now
        # loading starts at once with the boxes already cleared; the list closes at the
        # cut-off, so the vessel learns then when its last batch is on board
        c.load_start_h[k] = start = now
        now = yield from wait_until(env, now, cutoff)
        end = self._load_list(k, cutoff, start)
        if end > now:
            # an outage of the berth stops the loading left after the cut-off
            end, stopped = yield from work(env, berth, now, end - now)
            c.wait_outage_h[k] += stopped
            end = now = yield from wait_until(env, now, end)
        c.load_end_h[k] = end
        now = yield from wait_until(env, now, slot)  # a late vessel casts off when loaded
        c.cast_off_h[k] = now
        out = unberth(self.channel, self.tide_bound, self.unberthing[berth.group], now)
        return (yield from leave(env, self.allocator, berth, c, k, now, out))

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

    def finish(self, horizon_h: float) -> ServiceRecords:
        """Complete the records at the end of the run (northbound clearance included)."""
        rec = self.records
        sailing = np.empty_like(self.sailing_sorted)
        sailing[self.order] = self.sailing_sorted
        rec.sailing = sailing
        # the run is over: free the working arrays now rather than when the cycle collector
        # gets to the environment, its processes and this object
        self.order = np.empty(0, dtype=np.intp)
        self.cleared_sorted = np.empty(0)
        self.sailing_sorted = np.empty(0, dtype=np.int32)
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
        if self.corridor is not None:
            arrived = np.frombuffer(c.arrived_h, dtype=np.float64)[call]
            # documents leave the other port with the vessel
            sent = arrived - self.shuttle.sea_time_h
            cleared, by_corridor = self.corridor.clear(start, sent, inbound=True)
        else:
            cleared, by_corridor = start.copy(), np.zeros(len(call), dtype=bool)
        rec.in_call, rec.in_teu = call, in_teu
        rec.in_cleared_h, rec.in_by_corridor = cleared, by_corridor
        return rec
