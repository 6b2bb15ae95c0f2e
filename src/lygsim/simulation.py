"""One replication as tables: :func:`simulate` returns visits, levels and KPIs.

Nothing here imports pandas until a table is read: the KPIs are computed during
:func:`simulate` (numpy only) and wrapped in a DataFrame on first use, so a replication
that is only summarised never pays for pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from lygsim.metrics import KpiTable, compute_kpis, level_series, visits_frame
from lygsim.model.port import run_model
from lygsim.records import Records
from lygsim.scenario import Scenario
from lygsim.scopes import CALIBRATION, Scope
from lygsim.streams import Streams
from lygsim.targets import measured

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """What one replication produced.

    ``kpis``, ``visits``, ``levels`` and ``berths`` are built the first time they are
    read (the KPIs from ``kpi_table``, computed with the replication), so a caller that
    needs only the KPI values never pays for the tables.

    Attributes:
        scenario: The scenario that was run.
        seed: The experiment's seed.
        replication: The replication number.
        records: The raw records.
        kpi_table: The KPIs, warm-up removed, as rows (see :attr:`kpis`).
        notes: Warnings about settings the model did not act on.
    """

    scenario: Scenario
    seed: int
    replication: int
    records: Records
    kpi_table: KpiTable
    notes: list[str] = field(default_factory=list)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """KPIs, warm-up removed: ``scope, name, metric, unit, value`` (:mod:`lygsim.scopes`)."""
        return self.kpi_table.frame()

    @cached_property
    def visits(self) -> pd.DataFrame:
        """One row per ship call, waits split by cause (see ``docs/model.md``)."""
        return visits_frame(self.records, self.scenario)

    @cached_property
    def berths(self) -> pd.DataFrame:
        """The berths as the model numbered them: ``berth_id, terminal, group, index``.

        ``index`` counts the berths of a group from 1, in the scenario's group order, as the
        model creates them; the ids themselves are the model's (:attr:`Records.berth_ids`).
        """
        import pandas as pd

        rec = self.records
        rows = []
        for ti, tname in enumerate(rec.terminal_names):
            ids = [b for b, t in zip(rec.berth_ids, rec.berth_terminal, strict=True) if t == ti]
            groups = self.scenario.terminals[tname].berths.items()
            slots = [(g, k) for g, grp in groups for k in range(1, grp.count + 1)]
            rows += [(b, tname, g, k) for b, (g, k) in zip(ids, slots, strict=True)]
        return pd.DataFrame(rows, columns=["berth_id", "terminal", "group", "index"])

    @cached_property
    def levels(self) -> pd.DataFrame:
        """Level histories, changes only: ``time_h, series, terminal, value``."""
        return level_series(self.records)


def simulate(
    scenario: Scenario, seed: int = 1, replication: int = 0, days: float | None = None
) -> RunResult:
    """Simulate one replication of a scenario.

    Args:
        scenario: A validated scenario (see :func:`lygsim.load_scenario`).
        seed: The experiment's seed; with ``replication`` it fixes every random draw.
        replication: The replication number.
        days: Simulated days, replacing the scenario's horizon (must exceed the warm-up).

    Returns:
        The replication's visits, levels and KPIs.
    """
    horizon_h = None
    if days is not None:
        if days * 24.0 <= scenario.observed_h[0]:
            from lygsim.errors import UsageError

            raise UsageError(
                f"--days {days:g} must exceed the warm-up ({scenario.scenario.warmup_days:g} days)"
            )
        horizon_h = days * 24.0
    rec = run_model(scenario, Streams(seed, replication), horizon_h)
    kpis = compute_kpis(rec, scenario)
    kpis.extend(
        [
            (Scope.calibration.value, CALIBRATION, m, unit, v)
            for m, unit, v in measured(rec, scenario)
        ]
    )
    return RunResult(
        scenario=scenario,
        seed=seed,
        replication=replication,
        records=rec,
        kpi_table=kpis,
        notes=list(rec.notes),
    )
