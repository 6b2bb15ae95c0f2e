"""The berth model against queueing theory (docs/validation.md).

Each case runs R independent replications of a textbook queue from scenarios/validation/
and checks that the theoretical mean wait lies inside the 95% Student-t interval of the
replication means (exact results), or within 10% (Allen-Cunneen, an approximation), and
that measured berth occupancy and mean service time match the offered load and E[S]
within their intervals.

Seeds are fixed (chosen before any run), so the test is deterministic. The suite makes
``FAMILY`` interval checks; at 95% each, about 5% of them would miss by chance alone, and
the validation scenarios share their random streams (common random numbers), so such
misses come in correlated groups. The checks therefore control the family-wise error at
5% (Bonferroni: each interval at 1 - 0.05 / FAMILY). ``python tests/test_theory.py``
prints the table of docs/validation.md with the plain 95% intervals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lygsim
from lygsim.queueing import allen_cunneen_ws, mg1_ws, mmc_ws
from lygsim.stats import mean_ci

VALIDATION = Path(__file__).resolve().parents[1] / "scenarios" / "validation"
REPS = 10
SHIPS_PER_REP = 40_000
MEAN_S = 10.0
SEED = 20231211

# (file, berths, rho, exact W/S, kind)
CASES = [
    ("mm1_rho05", 1, 0.5, mmc_ws(1, 0.5), "exact"),
    ("mm1_rho08", 1, 0.8, mmc_ws(1, 0.8), "exact"),
    ("mm2_rho05", 2, 0.5, mmc_ws(2, 0.5), "exact"),
    ("mm2_rho08", 2, 0.8, mmc_ws(2, 0.8), "exact"),
    ("mm4_rho05", 4, 0.5, mmc_ws(4, 0.5), "exact"),
    ("mm4_rho08", 4, 0.8, mmc_ws(4, 0.8), "exact"),
    ("md1_rho05", 1, 0.5, mg1_ws(0.5, 0.0), "exact"),
    ("md1_rho08", 1, 0.8, mg1_ws(0.8, 0.0), "exact"),
    ("me21_rho05", 1, 0.5, mg1_ws(0.5, 0.5), "exact"),
    ("me21_rho08", 1, 0.8, mg1_ws(0.8, 0.5), "exact"),
    ("me24_rho075", 4, 0.75, allen_cunneen_ws(4, 0.75, 1.0, 0.5), "approx"),
    ("me24_rho08", 4, 0.8, allen_cunneen_ws(4, 0.8, 1.0, 0.5), "approx"),
]


EXACT = sum(1 for case in CASES if case[4] == "exact")
FAMILY = EXACT + 2 * len(CASES)  # wait (exact cases), occupancy and service (all cases)
LEVEL = 1 - 0.05 / FAMILY


def replicate(name: str, c: int, rho: float) -> dict[str, np.ndarray]:
    scenario = lygsim.load_scenario(VALIDATION / f"{name}.yaml")
    mean_ia = MEAN_S / (c * rho)
    days = scenario.scenario.warmup_days + SHIPS_PER_REP * mean_ia / 24.0
    out: dict[str, list[float]] = {"wait": [], "occ": [], "service": []}
    for r in range(REPS):
        k = lygsim.simulate(scenario, seed=SEED, replication=r, days=days).kpis
        v = k[k.name == "queue"].set_index("metric")["value"]
        out["wait"].append(v["mean_wait_h"])
        out["occ"].append(v["berth_occupancy"])
        out["service"].append(v["mean_service_h"])
    return {key: np.asarray(vals) for key, vals in out.items()}


def test_published_table_values():
    # the W/S table of docs/sources.md (queueing results), to 4 decimals
    table = {
        0.5: [1.0, 0.3333, 0.1579, 0.0870, 0.0521, 0.0330],
        0.8: [4.0, 1.7778, 1.0787, 0.7455, 0.5541, 0.4315],
    }
    for rho, row in table.items():
        for c, ws in enumerate(row, start=1):
            assert mmc_ws(c, rho) == pytest.approx(ws, abs=5e-5)
    assert mg1_ws(0.5, 0.5) == pytest.approx(0.75)
    assert mg1_ws(0.8, 0.5) == pytest.approx(3.0)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "c", "rho", "ws", "kind"), CASES, ids=[c[0] for c in CASES])
def test_berth_model_matches_theory(name, c, rho, ws, kind):
    res = replicate(name, c, rho)
    wq = ws * MEAN_S
    mean, _, n, lo, hi = mean_ci(res["wait"], LEVEL)
    assert n == REPS
    if kind == "exact":
        assert lo <= wq <= hi, f"{name}: theory Wq {wq:.3f} h outside CI [{lo:.3f}, {hi:.3f}]"
    else:
        assert abs(mean - wq) / wq < 0.10, f"{name}: {mean:.3f} h vs Allen-Cunneen {wq:.3f} h"
    _, _, _, olo, ohi = mean_ci(res["occ"], LEVEL)
    assert olo <= rho <= ohi, f"{name}: occupancy CI [{olo:.4f}, {ohi:.4f}] misses {rho}"
    _, _, _, slo, shi = mean_ci(res["service"], LEVEL)
    assert slo <= MEAN_S <= shi


def markdown_table() -> str:
    """The results table of docs/validation.md (plain 95% intervals)."""
    lines = [
        "| case | c | rho | theory W/S | simulated W/S (95% CI) | in CI | occupancy (95% CI) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c, rho, ws, kind in CASES:
        res = replicate(name, c, rho)
        ratio = res["wait"] / MEAN_S
        m, _, _, lo, hi = mean_ci(ratio)
        om, _, _, olo, ohi = mean_ci(res["occ"])
        if kind == "exact":
            verdict = "yes" if lo <= ws <= hi else "no"
        else:
            verdict = f"{(m - ws) / ws:+.1%} vs A-C"
        lines.append(
            f"| {name} | {c} | {rho} | {ws:.4f} | {m:.4f} [{lo:.4f}, {hi:.4f}] | {verdict} "
            f"| {om:.4f} [{olo:.4f}, {ohi:.4f}] |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"{REPS} replications x {SHIPS_PER_REP:,} ships per case, seed {SEED}")
    print(markdown_table())
