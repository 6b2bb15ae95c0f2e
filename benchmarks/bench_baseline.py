"""The Lianyungang baseline: calls per second, cost per call against bare SimPy, and scaling.

1. One simulated year of ``scenarios/lianyungang_2023.yaml`` through ``simulate()``
   (arrivals, records and KPIs included; the tables, built on first use, are not): calls
   per second, and the ratio of lygsim's cost per call to bare SimPy's cost per customer
   on M/M/4 (same script).
   Target: 2.0 or lower.
2. A 10-year horizon against a 1-year horizon, each in a fresh process: wall time ratio
   of ``simulate()`` (target 10.5 or lower with ``--no-growth``) and its peak memory,
   records and KPIs computed (target under 170 MB); the KPI DataFrame and the visits
   table, built on first use (with pandas, imported then), are measured apart.
   The baseline's demand grows every year, so the 10-year run simulates about 13 times the
   first year's calls and its time ratio follows; the cost per call is printed too.
   ``--no-growth`` sets every growth rate to 0 to compare like with like. The modules
   are imported before the clock starts.

Run: python benchmarks/bench_baseline.py [--repeat 3] [--no-growth]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from bench_common import BASELINE, PEAK_SOURCE
from bench_mmc import bare_simpy

CHILD = (
    PEAK_SOURCE
    + r"""
import json, sys, time
import lygsim
from lygsim.loader import resolve
# imported before the clock starts: a module's import is not the cost of a replication
from lygsim.simulation import simulate
path, years, no_growth = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
sets = []
if no_growth:
    for name, arr in resolve(__import__("pathlib").Path(path)).get("arrivals", {}).items():
        if arr.get("kind") == "poisson":
            sets.append(f"arrivals.{name}.growth_per_year=0")
sc = lygsim.load_scenario(path, overrides=sets)
days = sc.scenario.warmup_days + 365 * years
base_mb = peak()
t0 = time.perf_counter()
res = simulate(sc, seed=1, days=days)
dt = time.perf_counter() - t0
peak_mb = peak()
pandas_loaded = "pandas" in sys.modules
len(res.kpis)  # the KPI DataFrame is built on first use: measured apart
kpis_mb = peak()
calls = len(res.visits)  # so is the visits table
print(json.dumps({"seconds": dt, "calls": calls, "base_mb": base_mb, "peak_mb": peak_mb,
                  "pandas": pandas_loaded, "kpis_mb": kpis_mb, "visits_mb": peak()}))
"""
)


def child(years: float, no_growth: bool) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(BASELINE), str(years), "1" if no_growth else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-growth", action="store_true")
    args = ap.parse_args()

    import lygsim

    sc = lygsim.load_scenario(BASELINE)
    days = sc.scenario.warmup_days + 365
    best, calls = float("inf"), 0
    for r in range(args.repeat):
        t0 = time.perf_counter()
        res = lygsim.simulate(sc, seed=r + 1, days=days)
        best = min(best, time.perf_counter() - t0)
        calls = len(res.visits)
    n = 200_000
    bare = float("inf")
    for r in range(args.repeat):
        t0 = time.perf_counter()
        bare_simpy(n, r + 1)
        bare = min(bare, time.perf_counter() - t0)
    per_call = best / calls
    per_customer = bare / n
    print(
        f"baseline, one simulated year (+ warm-up): {calls:,} calls in {best:.3f} s "
        f"= {calls / best:,.0f} calls/s"
    )
    print(
        f"bare SimPy M/M/4: {per_customer * 1e6:.2f} us per customer; lygsim "
        f"{per_call * 1e6:.2f} us per call; ratio {per_call / per_customer:.2f} (target <= 2.0)"
    )

    one = min((child(1, args.no_growth) for _ in range(args.repeat)), key=lambda d: d["seconds"])
    ten = min((child(10, args.no_growth) for _ in range(args.repeat)), key=lambda d: d["seconds"])
    label = "no growth" if args.no_growth else "scenario growth"
    print(
        f"horizon scaling ({label}): 1 year {one['seconds']:.2f} s / {one['calls']:,} calls, "
        f"10 years {ten['seconds']:.2f} s / {ten['calls']:,} calls"
    )
    print(
        f"  time ratio 10y/1y: {ten['seconds'] / one['seconds']:.2f} "
        f"(target <= 10.5 with --no-growth); "
        f"per-call cost ratio {ten['seconds'] / ten['calls'] / (one['seconds'] / one['calls']):.2f}"
    )
    print(
        f"  peak memory of simulate() (records and KPIs), 10-year process: "
        f"{ten['peak_mb']:.0f} MB (target < 170 MB); 1-year: {one['peak_mb']:.0f} MB"
    )
    print(
        f"  before simulating (Python, numpy, the scenario loaded): "
        f"{ten['base_mb']:.0f} MB; pandas imported by simulate(): "
        f"{'yes' if ten['pandas'] else 'no'}"
    )
    print(
        f"  after also building the KPI DataFrame (pandas imported): "
        f"{ten['kpis_mb']:.0f} MB; and the 10-year visits table: "
        f"{ten['visits_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
