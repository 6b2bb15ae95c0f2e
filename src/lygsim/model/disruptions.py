"""Berth outages: planned maintenance windows and random failures with repairs.

An outage takes the first ``berths`` berths of a group out of service. A ship being
handled there stops until the repair; an idle berth takes no ship until it is back.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from lygsim.dists import sampler
from lygsim.model.berths import Berth, BerthAllocator
from lygsim.records import LEVEL_SERIES, Records
from lygsim.scenario import Scenario
from lygsim.streams import Streams


def _window_process(
    env: simpy.Environment,
    alloc: BerthAllocator,
    berth: Berth,
    start: float,
    length: float,
    log: Callable[[], None],
) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(start)
    alloc.berth_down(berth)
    log()
    yield env.timeout(length)
    alloc.berth_up(berth)
    log()


def _failure_process(
    env: simpy.Environment,
    alloc: BerthAllocator,
    berth: Berth,
    tbf: Callable[[], float],
    ttr: Callable[[], float],
    log: Callable[[], None],
) -> Generator[simpy.Event, Any, None]:
    while True:
        yield env.timeout(tbf())
        alloc.berth_down(berth)
        log()
        yield env.timeout(ttr())
        alloc.berth_up(berth)
        log()


def start_outages(
    env: simpy.Environment,
    scenario: Scenario,
    streams: Streams,
    allocators: list[BerthAllocator],
    berth_lookup: dict[tuple[str, str], list[Berth]],
    t_index: dict[str, int],
    rec: Records,
) -> None:
    """Start the processes of every outage in the scenario."""
    down_count: dict[int, int] = {}

    for oname, out in scenario.disruptions.outages.items():
        ti = t_index[out.terminal]
        alloc = allocators[ti]
        for k, berth in enumerate(berth_lookup[(out.terminal, out.group)][: out.berths]):
            berth.may_fail = True
            if berth.fail_event is None:
                berth.fail_event = env.event()

            def log(_ti: int = ti) -> None:
                n = sum(1 for b in allocators[_ti].berths if b.down)
                if down_count.get(_ti) != n:
                    down_count[_ti] = n
                    rec.log_level(env.now, LEVEL_SERIES.index("berths_down"), _ti, float(n))

            for w in out.planned:
                env.process(
                    _window_process(env, alloc, berth, w.start_day * 24.0, w.duration_h, log)
                )
            if out.time_between_failures_h is not None and out.time_to_repair_h is not None:
                rng = streams.rng(f"outage:{oname}:{k}")
                env.process(
                    _failure_process(
                        env,
                        alloc,
                        berth,
                        sampler(out.time_between_failures_h, rng),
                        sampler(out.time_to_repair_h, rng),
                        log,
                    )
                )
