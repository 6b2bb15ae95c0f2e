"""Experiments: 16 replications of the baseline year, serial against parallel executors,
and the parent's peak memory against the number of replications.

1. Wall time of 16 replications (``--reps``) of ``scenarios/lianyungang_2023.yaml``, each
   writing its files to a fresh output folder: serial (``--workers 1``), a local process
   pool of 2 workers, and a local Dask cluster of 2 workers (cluster start included).
   Targets: pool <= 0.55 x serial, Dask <= 0.70 x serial. The summaries must be identical.
2. Peak resident memory of the parent process (the one running ``lygsim run``, without
   its workers) for 8 and 64 replications on the pool: it must not grow with the count.

Run: python benchmarks/bench_experiment.py [--reps 16]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

from bench_common import BASELINE, PEAK_SOURCE

PARENT = (
    PEAK_SOURCE
    + r"""
import json, sys
from lygsim.cli import main

code = main(sys.argv[1:])
print(json.dumps({"code": code, "peak_mb": peak()}))
"""
)


def timed(label: str, reps: int, **kw) -> tuple[float, object]:
    import lygsim

    sc = lygsim.load_scenario(BASELINE)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = lygsim.run_experiment(sc, reps=reps, seed=7, out=out, **kw)
        dt = time.perf_counter() - t0
    print(f"  {label:<28} {dt:6.2f} s")
    return dt, res.summary


def parent_peak(reps: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        args = [
            "run",
            str(BASELINE),
            "--reps",
            str(reps),
            "--seed",
            "3",
            "--workers",
            "2",
            "--out",
            out,
            "--quiet",
        ]
        proc = subprocess.run(
            [sys.executable, "-c", PARENT, *args], check=True, capture_output=True, text=True
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak_mb"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=16)
    args = ap.parse_args()
    print(f"{args.reps} replications of the baseline year (seed 7)")
    serial, s_sum = timed("serial (--workers 1)", args.reps, workers=1)
    pool, p_sum = timed("process pool, 2 workers", args.reps, workers=2)
    dask, d_sum = timed("local Dask cluster, 2 workers", args.reps, workers=2, scheduler="local")
    same = s_sum.equals(p_sum) and s_sum.equals(d_sum)
    print(f"pool / serial: {pool / serial:.2f} (target <= 0.55)")
    print(f"Dask / serial: {dask / serial:.2f} (target <= 0.70)")
    print(f"summaries identical on all three: {same}")
    small, large = parent_peak(8), parent_peak(64)
    print(
        f"parent peak memory: 8 replications {small:.0f} MB, 64 replications {large:.0f} MB "
        f"(ratio {large / small:.2f}; must not grow)"
    )


if __name__ == "__main__":
    main()
