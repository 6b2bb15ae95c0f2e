"""M/M/4 at occupancy 0.8: lygsim's simulate() against a bare SimPy model, same script.

Both models see the same parameters (mean service 10 h, mean inter-arrival 3.125 h,
4 servers) and the same number of customers. lygsim's time includes generating the
arrivals, recording every visit, building the visits and levels tables and computing
the KPIs. The figure reported is the ratio of the best of ``--repeat`` timings.

Run: python benchmarks/bench_mmc.py [--ships 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import simpy

import lygsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "validation" / "mm4_rho08.yaml"
MEAN_IA, MEAN_S, SERVERS = 3.125, 10.0, 4


def bare_simpy(n: int, seed: int) -> float:
    """The textbook SimPy M/M/c: a source process and one process per customer."""
    rng = random.Random(seed)
    env = simpy.Environment()
    berths = simpy.Resource(env, capacity=SERVERS)
    waits: list[float] = []

    def customer(env: simpy.Environment, service: float):
        arrived = env.now
        with berths.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source(env: simpy.Environment):
        for _ in range(n):
            yield env.timeout(rng.expovariate(1 / MEAN_IA))
            env.process(customer(env, rng.expovariate(1 / MEAN_S)))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


def lygsim_run(n: int, seed: int) -> float:
    days = n * MEAN_IA / 24.0
    sc = lygsim.load_scenario(
        SCENARIO, overrides=[f"scenario.horizon_days={days}", "scenario.warmup_days=10"]
    )
    result = lygsim.simulate(sc, seed=seed)
    k = result.kpis.set_index(["name", "metric"])["value"]
    return float(k[("queue", "mean_wait_h")])


def best_of(fn, n: int, repeat: int) -> tuple[float, float]:
    times, value = [], 0.0
    for r in range(repeat):
        t0 = time.perf_counter()
        value = fn(n, r + 1)
        times.append(time.perf_counter() - t0)
    return min(times), value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ships", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t_bare, w_bare = best_of(bare_simpy, args.ships, args.repeat)
    t_lyg, w_lyg = best_of(lygsim_run, args.ships, args.repeat)
    print(f"M/M/4 rho=0.8, {args.ships:,} ships, best of {args.repeat}")
    for label, t, w in (("bare SimPy", t_bare, w_bare), ("lygsim", t_lyg, w_lyg)):
        rate = args.ships / t
        print(f"{label:<11}: {t:7.2f} s  ({rate:,.0f} ships/s, mean wait {w:.2f} h)")
    ratio = t_lyg / t_bare
    print(f"ratio lygsim / bare SimPy: {ratio:.2f} (target <= 1.0; Erlang C wait 7.455 h)")


if __name__ == "__main__":
    main()
