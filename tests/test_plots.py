"""Figures on small real runs: titles, units, readable PNGs, and what each must show."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

import lygsim
from lygsim import plots
from lygsim.cli import main
from lygsim.queueing import allen_cunneen_ws, mmc_ws

ROOT = Path(__file__).resolve().parents[1]
MM2 = ROOT / "scenarios" / "validation" / "mm2_rho08.yaml"
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"
MM2_DAYS = 300
BASE_DAYS = 60
FACTORS = [0.5, 0.75, 1.0]


@pytest.fixture(scope="module")
def mm2():
    return lygsim.load_scenario(MM2)


@pytest.fixture(scope="module")
def base_scenario():
    return lygsim.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def base_run(base_scenario):
    return lygsim.simulate(base_scenario, seed=1, replication=0, days=BASE_DAYS)


@pytest.fixture(scope="module")
def base_summary(base_scenario):
    return lygsim.run_experiment(base_scenario, reps=2, seed=1, days=BASE_DAYS, workers=1).summary


@pytest.fixture(scope="module")
def mm2_run(mm2):
    return lygsim.simulate(mm2, seed=1, replication=0, days=MM2_DAYS)


@pytest.fixture(scope="module")
def capacity_frame():
    """A demand sweep of M/M/2 in the columns ``lygsim capacity`` writes."""
    rows = []
    for f in FACTORS:
        sc = lygsim.load_scenario(
            MM2, overrides=[f"arrivals.poisson.interarrival_h.mean={6.25 / f}"]
        )
        s = lygsim.run_experiment(sc, reps=2, seed=3, days=MM2_DAYS, workers=1).summary
        s = s[s.name == "queue"].set_index("metric")
        row = {
            "terminal": "queue",
            "demand_factor": f,
            "throughput": s.loc["throughput", "mean"],
            "unit": s.loc["throughput", "unit"],
            "mean_wait_h": s.loc["mean_wait_h", "mean"],
        }
        for m in ("berth_occupancy", "wait_service_ratio"):
            row[m] = s.loc[m, "mean"]
            row[f"{m}_ci_low"] = s.loc[m, "ci_low"]
            row[f"{m}_ci_high"] = s.loc[m, "ci_high"]
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def comparison(mm2):
    option = lygsim.load_scenario(
        MM2, overrides=["terminals.queue.berths.all.count=3", "scenario.name=mm3"]
    )
    return lygsim.compare(mm2, [option], reps=3, seed=2, days=MM2_DAYS, workers=1).table


def texts(fig: Figure) -> list[str]:
    out = [fig.get_suptitle(), getattr(fig, "_supylabel", None) and fig._supylabel.get_text()]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel()]
    return [t for t in out if t]


def check(fig: Figure, tmp_path: Path, units: list[str]) -> np.ndarray:
    """A titled figure whose axis labels carry ``units``; saved, read back, not blank."""
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() or any(ax.get_title() for ax in fig.axes), "no title"
    labels = (
        " ".join(t for ax in fig.axes for t in (ax.get_xlabel(), ax.get_ylabel()) if t)
        + " "
        + " ".join(texts(fig))
    )
    for unit in units:
        assert unit in labels, f"{unit!r} not in axis labels: {labels}"
    path = plots.save(fig, tmp_path / "fig.png")
    assert path.stat().st_size > 5000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary file left"
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 500
    assert img[..., :3].std() > 0.05, "blank image"
    return img


def test_berth_occupancy(base_summary, base_scenario, tmp_path):
    thresholds = {n: t.thresholds.max_occupancy for n, t in base_scenario.terminals.items()}
    fig = plots.berth_occupancy(base_summary, thresholds)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [plots.label(n) for n in base_scenario.terminals]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    occ = base_summary[base_summary.metric == "berth_occupancy"].set_index("name")["mean"]
    assert sorted(round(b.get_height(), 6) for b in bars) == sorted(
        round(v * 100, 6) for k, v in occ.items() if k != "port"
    )
    assert any("threshold" in t.get_text() for t in fig.legends[0].get_texts())
    check(fig, tmp_path, ["% of berth-hours"])


def test_berth_occupancy_needs_occupancy(base_summary):
    with pytest.raises(ValueError, match="berth_occupancy"):
        plots.berth_occupancy(base_summary[base_summary.metric != "berth_occupancy"])


def test_waiting_times(base_run, mm2_run, tmp_path):
    fig = plots.waiting_times(base_run.visits, warmup_h=31 * 24)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert len(ax.get_lines()) == base_run.visits.terminal.nunique()
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "liquid bulk" in legend and "container" in legend
    check(fig, tmp_path, ["hours", "% of calls"])
    # one terminal: the curve starts at the share of ships that waited at all
    fig = plots.waiting_times(mm2_run.visits, warmup_h=200 * 24)
    v = mm2_run.visits[mm2_run.visits.arrived_h >= 200 * 24]
    first = fig.axes[0].get_lines()[0].get_ydata()[0]
    assert first == pytest.approx(100 * np.mean(v.wait_h > 0.1))
    # ships still waiting at the end count with their wait so far, as in the KPI table: one
    # replication's figure gives the KPI's mean wait
    k = mm2_run.kpis
    mean = k[(k.name == "queue") & (k.metric == "mean_wait_h")]["value"].iloc[0]
    legend = fig.axes[0].get_legend().get_texts()[0].get_text()
    assert f"mean {mean:.1f} h" in legend


def test_waiting_times_say_which_replications_they_pool(mm2_run, tmp_path):
    v = mm2_run.visits
    two = pd.concat([v.assign(replication=0), v.assign(replication=1)], ignore_index=True)
    fig = plots.waiting_times(two, warmup_h=200 * 24, replications=10)
    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    assert "first 2 of 10 replications" in texts
    assert "KPI table's means are over all 10" in texts
    fig = plots.waiting_times(two, warmup_h=200 * 24)
    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    assert "2 replications pooled" in texts and "of 10" not in texts


def test_waiting_times_without_ships(mm2_run):
    with pytest.raises(ValueError, match="no ship"):
        plots.waiting_times(mm2_run.visits, warmup_h=1e9)


def test_queue_length(base_run, base_scenario, tmp_path):
    fig = plots.queue_length(base_run.levels, warmup_days=31, start_date="2022-12-01")
    assert len(fig.axes) >= len(base_scenario.terminals)
    assert [ax.get_ylabel() for ax in fig.axes[: len(base_scenario.terminals)]] == [
        plots.label(t) for t in base_scenario.terminals
    ]
    check(fig, tmp_path, ["Days since start", "(ships)"])


def test_queue_length_needs_queue(base_run):
    with pytest.raises(ValueError, match="queue"):
        plots.queue_length(base_run.levels[base_run.levels.series != "queue"])


def test_yard_levels(base_run, base_scenario, tmp_path):
    capacity = {n: t.yard.capacity for n, t in base_scenario.terminals.items() if t.yard}
    fig = plots.yard_levels(base_run.levels, capacity, warmup_days=31)
    limits = [
        line for ax in fig.axes for line in ax.get_lines() if line.get_label() == "yard capacity"
    ]
    assert len(limits) == len(capacity) and all(line.get_ydata()[0] == 100 for line in limits)
    check(fig, tmp_path, ["% of capacity", "Days since start"])
    check(plots.yard_levels(base_run.levels), tmp_path, ["Yard stock ("])


def test_yard_levels_without_yard(mm2_run):
    with pytest.raises(ValueError, match="no 'yard' series"):
        plots.yard_levels(mm2_run.levels)


def bars_by_row(fig: Figure) -> dict[float, list[tuple[float, float]]]:
    ax = next(a for a in fig.axes if a.get_gid() == "gantt")
    rows: dict[float, list[tuple[float, float]]] = defaultdict(list)
    for p in ax.patches:
        if isinstance(p, Rectangle) and p.get_gid() == "visit":
            rows[round(p.get_y() + p.get_height() / 2, 6)].append((p.get_x(), p.get_width()))
    return rows


@pytest.mark.parametrize("terminal", ["container", "dry_bulk", "crude"])
def test_berth_gantt_no_overlap(base_run, base_scenario, terminal, tmp_path):
    term = base_scenario.terminals[terminal]
    berths = [f"{terminal}.{g}.{k}" for g, b in term.berths.items() for k in range(1, b.count + 1)]
    week = plots.busiest_week(base_run.visits, terminal, 31 * 24, BASE_DAYS * 24)
    fig = plots.berth_gantt(base_run.visits, week, terminal, berths=berths, start_date="2022-12-01")
    ax = next(a for a in fig.axes if a.get_gid() == "gantt")
    assert len(ax.get_yticks()) == len(berths)
    rows = bars_by_row(fig)
    assert sum(len(r) for r in rows.values()) > 0
    for bars in rows.values():
        bars.sort()
        for (x0, w0), (x1, _) in zip(bars, bars[1:], strict=False):
            assert x1 >= x0 + w0 - 1e-9, "two calls overlap on one berth"
        assert all(x >= 0 and x + w <= 7 + 1e-9 for x, w in bars)
    check(fig, tmp_path, ["Time (days from", "Berth"])


def test_berth_gantt_unknown_terminal(base_run):
    with pytest.raises(ValueError, match="no berth of terminal 'nowhere'"):
        plots.berth_gantt(base_run.visits, 0.0, "nowhere")


SHUTTLE = [
    ("shuttle_utilisation", "fraction", 0.8),
    ("teu_carried_out", "TEU", 70_000.0),
    ("teu_rolled_over", "TEU", 2_000.0),
    ("transfer_time_mean_h", "h", 40.0),
    ("transfer_time_p95_h", "h", 90.0),
]


def with_shuttle(summary: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    rows = [
        {
            "scenario": summary.scenario.iloc[0],
            "scope": "service",
            "name": "shuttle",
            "metric": m,
            "unit": u,
            "mean": v,
            "std": v / 10,
            "n": 2,
            "ci_low": v * 0.9,
            "ci_high": v * 1.1,
        }
        for m, u, v in SHUTTLE
        if m in metrics
    ]
    return pd.concat([summary, pd.DataFrame(rows)], ignore_index=True)


def test_shuttle_needs_shuttle_rows(base_summary):
    with pytest.raises(ValueError, match="no service metrics"):
        plots.shuttle(base_summary[base_summary.scope != "service"])


def test_shuttle_on_the_baseline(base_summary, tmp_path):
    found = base_summary[base_summary.scope == "service"].metric
    if not found.isin(plots.SHUTTLE_METRICS).any():
        pytest.skip("this model reports no Lianshen Express metrics")
    fig = plots.shuttle(base_summary)
    check(fig, tmp_path, ["hours" if found.str.startswith("transfer").any() else ""])


def test_shuttle_draws_what_exists(base_summary, tmp_path):
    base_summary = base_summary[base_summary.scope != "service"]
    every = with_shuttle(base_summary, [m for m, _, _ in SHUTTLE])
    fig = plots.shuttle(every)
    assert len(fig.axes) == 3
    check(fig, tmp_path, ["% of slots", "hours", "TEU"])
    fig = plots.shuttle(with_shuttle(base_summary, ["transfer_time_mean_h"]))
    assert len(fig.axes) == 1 and "hours" in fig.axes[0].get_ylabel()


def test_capacity_curve(capacity_frame, tmp_path):
    fig = plots.capacity_curve(capacity_frame, "queue", berths=2, threshold=0.3)
    ax1, ax2 = fig.axes[:2]
    for ax in (ax1, ax2):
        assert ax.get_yscale() == "log"
        lines = {line.get_label(): line for line in ax.get_lines()}
        thr = lines["W/S threshold 0.3"]
        assert set(thr.get_ydata()) == {0.3}
    lines = {line.get_label(): line for line in ax1.get_lines()}
    mmc = lines["theory M/M/c, c = 2"]
    me2 = lines["theory M/E2/c (Allen-Cunneen), c = 2"]
    x, y = mmc.get_xdata(), mmc.get_ydata()
    k = int(np.argmin(np.abs(x - 80)))
    assert y[k] == pytest.approx(mmc_ws(2, x[k] / 100))
    assert me2.get_ydata()[k] == pytest.approx(allen_cunneen_ws(2, x[k] / 100, 1.0, 0.5))
    # the simulated points follow M/M/2 at occupancy 0.8: W/S 1.78
    last = capacity_frame.iloc[-1]
    assert last.wait_service_ratio == pytest.approx(mmc_ws(2, last.berth_occupancy), rel=0.6)
    check(fig, tmp_path, ["Berth occupancy (%", "per year)", "W/S"])


def test_capacity_curve_errors(capacity_frame):
    with pytest.raises(ValueError, match="no rows for terminal 'ore'"):
        plots.capacity_curve(capacity_frame, "ore", berths=2, threshold=0.3)
    with pytest.raises(ValueError, match="missing column"):
        plots.capacity_curve(capacity_frame.drop(columns="throughput"), "queue", 2, 0.3)


@pytest.fixture(scope="module")
def study_tables(mm2):
    """Capacity curves, practical capacity, gains and horizon of M/M/2 against M/M/3."""
    from lygsim.capacity import horizon_years, sweep

    option = lygsim.load_scenario(
        MM2, overrides=["terminals.queue.berths.all.count=3", "scenario.name=mm3"]
    )
    results = [sweep(sc, FACTORS, reps=2, seed=5, days=MM2_DAYS, workers=1) for sc in (mm2, option)]
    curve = pd.concat(
        [r.curve.assign(scenario=r.scenario.scenario.name) for r in results], ignore_index=True
    )
    practical = pd.concat(
        [r.practical.assign(scenario=r.scenario.scenario.name) for r in results],
        ignore_index=True,
    )
    b, o = (r.practical.set_index("terminal").loc["queue"] for r in results)
    gained = pd.DataFrame(
        [
            {
                "option": "mm3",
                "terminal": "queue",
                "unit": b.unit,
                "base_capacity": b.capacity,
                "option_capacity": o.capacity,
                "gained": o.capacity - b.capacity,
                "gained_share": o.capacity / b.capacity - 1,
            }
        ]
    )
    horizon = pd.concat([horizon_years(r.scenario, r.practical, 2040) for r in results])
    return curve, practical, gained, horizon


def test_capacity_curve_of_a_study(study_tables, tmp_path):
    curve, practical, _, _ = study_tables
    caps = {r.scenario: r.capacity for r in practical.itertuples()}
    fig = plots.capacity_curve(curve, "queue", practical_capacity=caps)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "theory M/M/c, c = 2" in labels and "theory M/M/c, c = 3" in labels  # both options
    assert "mm2 rho08 (base), mean" in labels and "mm3, mean" in labels
    check(fig, tmp_path, ["Berth occupancy (%", "per year)"])
    # an option identical to the base at this terminal is not drawn twice
    same = pd.concat([curve[curve.scenario == "mm2_rho08"].assign(scenario="copy"), curve])
    fig = plots.capacity_curve(same, "queue")
    assert not any("mm3" in t or "copy" in t for t in texts(fig) if "mean" in t)


def test_capacity_gained_and_horizon(study_tables, tmp_path):
    _, _, gained, horizon = study_tables
    fig = plots.capacity_gained(gained)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["queue\nmm3"]
    assert gained.gained_share.iloc[0] > 0 and ax.patches[0].get_width() > 0
    check(fig, tmp_path, ["% of the base"])
    with pytest.raises(ValueError, match="no option changes"):
        plots.capacity_gained(gained.assign(option_capacity=gained.base_capacity))
    fig = plots.growth_horizon(horizon, 2040)
    assert any("after" in t.get_text() for t in fig.axes[0].get_xticklabels())
    check(fig, tmp_path, ["(year)"])


def test_option_comparison(comparison, tmp_path):
    fig = plots.option_comparison(comparison)
    assert len(fig.axes) == 3
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    # a third berth at occupancy 0.8 cuts the wait: significant, marked with a star
    assert any(t.endswith("*") and t.startswith("-") for t in labels)
    check(fig, tmp_path, ["percentage points", "(hours)", "(ratio)"])


def test_option_comparison_nothing_to_draw(comparison):
    with pytest.raises(ValueError, match="no terminal KPI"):
        plots.option_comparison(comparison[comparison.metric == "calls"])


def test_figures_for_run_and_compare(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(MM2), "--days", str(MM2_DAYS), "--reps", "2", "--seed", "1"]
    assert main([*args, "--workers", "1", "--quiet", "--no-figures", "--out", str(out)]) == 0
    assert not (out / "figures").exists()
    stale = out / "figures" / "berth_gantt_gone.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    written = plots.figures_for_run(out)
    names = {p.name for p in written}
    assert {"berth_occupancy.png", "waiting_times.png", "berth_gantt_queue.png"} <= names
    assert "yard_levels.png" not in names and "shuttle.png" not in names  # no data
    assert not stale.exists()
    assert {p.name for p in (out / "figures").iterdir()} == names
    with pytest.raises(FileNotFoundError, match="no summary.csv"):
        plots.figures_for_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="no comparison.csv"):
        plots.figures_for_compare(out)
