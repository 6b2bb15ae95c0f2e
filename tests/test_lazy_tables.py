"""simulate() computes the KPIs without pandas; the tables are built when first read.

Importing pandas costs more resident memory than a decade of the baseline's records, so a
replication that is only summarised must not pay for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lygsim.scopes import KPI_COLUMNS, Scope

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"

# the baseline has terminals with yards, a shuttle service, a corridor and calibration
# targets: every kind of KPI row
CHILD = """
import json, sys
import lygsim
sc = lygsim.load_scenario(sys.argv[1])
res = lygsim.simulate(sc, seed=5, days=sc.scenario.warmup_days + 20)
before = "pandas" in sys.modules
rows = [list(r) for r in res.kpi_table]
kpis = res.kpis
print(json.dumps({
    "pandas_before": before,
    "rows": rows,
    "columns": list(kpis.columns),
    "frame": kpis.astype(object).where(kpis.notna(), None).values.tolist(),
    "same_object": res.kpis is kpis,
}))
"""


def _child() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(BASELINE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_simulate_leaves_pandas_unimported_until_a_table_is_read():
    got = _child()
    assert got["pandas_before"] is False
    assert got["columns"] == KPI_COLUMNS
    # the DataFrame holds the computed rows, in their order (NaN as null on both sides)
    rows = [[None if v != v else v for v in r] for r in got["rows"]]
    assert got["frame"] == rows
    assert got["same_object"]  # built once
    # rows come in blocks: terminals, the port, services, links, calibration figures
    scopes = list(dict.fromkeys(r[0] for r in rows))
    assert scopes == [s.value for s in Scope]
