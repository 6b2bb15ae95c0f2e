"""Fit demand to reported figures: ``lygsim calibrate``.

Free parameters are the ``scale`` of the Poisson arrival streams named in
``calibration.free``. Each free stream is assigned to the most specific target whose
figure its terminal feeds (a terminal's own target, then TEU or vehicles, then port
tonnes). The fit starts from the rate arithmetic (the scale that makes the expected
figure over the period equal the reported one, with seasonality and growth), then
refines by simulation with common random numbers: the ratio of simulated to expected
figure (queueing, lags, chance) is carried into the next arithmetic step, until every
target is within its tolerance or the iteration limit is reached.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from lygsim.errors import LygsimError
from lygsim.experiment import ExperimentResult, run_experiment
from lygsim.scenario import Cargo, Scenario, Target
from lygsim.stats import mean_ci
from lygsim.targets import expected, period_h

CALIBRATION_COLUMNS = [
    "target",
    "period",
    "unit",
    "reported",
    "simulated_mean",
    "ci_low",
    "ci_high",
    "rel_error",
]
SPECIFICITY = {"throughput_teu": 1, "vehicles": 1, "throughput_t": 2}
SATURATED = 0.90  # simulated / offered below this: the terminal cannot take the demand


class CalibrationError(LygsimError):
    """A target cannot be reached; the message names the target and the reason."""


@dataclass
class CalibrationResult:
    """The outcome of a calibration.

    Attributes:
        scenario: The scenario with the fitted scales.
        scales: Fitted ``scale`` per free arrival stream.
        table: ``calibration.csv`` rows of the last measurement.
        iterations: Simulation rounds used.
        converged: Whether every target is within its tolerance.
        history: Per round, the largest relative error.
    """

    scenario: Scenario
    scales: dict[str, float]
    table: pd.DataFrame
    iterations: int
    converged: bool
    history: list[float] = field(default_factory=list)


def _assign(scenario: Scenario) -> dict[str, list[str]]:
    """Free streams per target: each stream to the most specific target its terminal feeds."""
    targets = scenario.calibration.targets
    out: dict[str, list[str]] = {name: [] for name in targets}
    for stream in scenario.calibration.free:
        terminal = scenario.ship_classes[scenario.arrivals[stream].ship_class].terminal
        cargo = scenario.terminals[terminal].cargo
        best, best_rank = None, 99
        for name, t in targets.items():
            if t.figure == "shuttle_capacity_teu":
                continue
            if t.terminal is not None and t.terminal != terminal:
                continue
            if t.figure == "throughput_teu" and cargo is not Cargo.container:
                continue
            if t.figure == "vehicles" and cargo is not Cargo.roro:
                continue
            rank = 0 if t.terminal is not None else SPECIFICITY[t.figure]
            if rank < best_rank:
                best, best_rank = name, rank
        if best is not None:
            out[best].append(stream)
    return out


def _with_scales(scenario: Scenario, scales: dict[str, float]) -> Scenario:
    arrivals = dict(scenario.arrivals)
    for name, value in scales.items():
        arrivals[name] = arrivals[name].model_copy(update={"scale": value})
    return scenario.model_copy(update={"arrivals": arrivals})


def _check_periods(scenario: Scenario) -> None:
    w0 = scenario.scenario.warmup_days * 24.0
    w1 = scenario.scenario.horizon_days * 24.0
    for name, t in scenario.calibration.targets.items():
        if t.figure == "shuttle_capacity_teu":
            continue
        p0, p1 = period_h(scenario, t.period.start, t.period.end)
        if p0 < w0 or p1 > w1:
            start = scenario.scenario.start_date
            raise CalibrationError(
                f"calibration.targets.{name}.period: {t.period.start}..{t.period.end} is not "
                f"inside the observation window ({start + dt.timedelta(hours=w0)} to "
                f"{start + dt.timedelta(hours=w1) - dt.timedelta(days=1)})"
            )


def measure(
    scenario: Scenario, reps: int, seed: int, **kw: object
) -> tuple[pd.DataFrame, ExperimentResult]:
    """Simulate and compare every target with its reported figure (``calibration.csv``)."""
    if not scenario.calibration.targets:
        raise CalibrationError(
            f"{scenario.scenario.name}: calibration.targets is empty; nothing to measure"
        )
    _check_periods(scenario)
    result = run_experiment(scenario, reps, seed, **kw)  # type: ignore[arg-type]
    reps_df = result.replications
    rows = []
    for name, t in scenario.calibration.targets.items():
        values = reps_df[(reps_df.terminal == "calibration") & (reps_df.metric == name)]
        mean, _, _, lo, hi = mean_ci(values["value"].to_numpy())
        unit = values["unit"].iloc[0] if len(values) else ""
        rows.append(
            (
                name,
                f"{t.period.start}..{t.period.end}",
                unit,
                t.reported,
                mean,
                lo,
                hi,
                (mean - t.reported) / t.reported,
            )
        )
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS), result


def _within(table: pd.DataFrame, targets: dict[str, Target], share: float = 1.0) -> bool:
    return all(abs(r.rel_error) <= share * targets[r.target].tolerance for r in table.itertuples())


def calibrate(
    scenario: Scenario,
    reps: int = 10,
    seed: int = 1,
    *,
    max_iterations: int | None = None,
    progress: Callable[[int, pd.DataFrame], None] | None = None,
    **kw: object,
) -> CalibrationResult:
    """Fit the free arrival streams' scales so the simulated figures match the reported ones.

    Args:
        scenario: A scenario with a ``calibration`` section.
        reps: Replications per measurement (common random numbers across rounds).
        seed: The seed.
        max_iterations: Simulation rounds (default ``calibration.max_iterations``).
        progress: Called with ``(round, table)`` after each round.
        **kw: Passed to :func:`lygsim.run_experiment` (workers, scheduler, out).

    Raises:
        CalibrationError: A target has no free parameter, cannot be fitted by scaling,
            its terminal cannot take the demand, or the limit is reached.
    """
    cal = scenario.calibration
    targets = cal.targets
    if not targets:
        raise CalibrationError(f"{scenario.scenario.name}: calibration.targets is empty")
    _check_periods(scenario)
    assign = _assign(scenario)
    for name, t in targets.items():
        if t.figure == "shuttle_capacity_teu":
            value = expected(scenario, t)
            if math.isnan(value) or abs(value - t.reported) > t.tolerance * t.reported:
                raise CalibrationError(
                    f"calibration.targets.{name}: the shuttle capacity ({value:,.0f} TEU/yr) is "
                    f"not within {t.tolerance:.1%} of {t.reported:,.0f}; it follows from the "
                    "timetable (shuttle.capacity_teu x departures x 365/7), not from demand: "
                    "change the timetable"
                )
        elif not assign[name]:
            raise CalibrationError(
                f"calibration.targets.{name}: no free parameter feeds it; list a poisson "
                "arrival stream of its terminal(s) in calibration.free"
            )
    limit = max_iterations or cal.max_iterations
    scales = {s: scenario.arrivals[s].scale for s in cal.free}  # type: ignore[union-attr]
    # fitted targets in order: specific ones first, port tonnes last (it uses the others)
    order = sorted(
        (n for n in targets if assign[n]),
        key=lambda n: 0 if targets[n].terminal else SPECIFICITY[targets[n].figure],
    )
    ratio = {n: 1.0 for n in order}  # simulated / expected, learnt from each round
    history: list[float] = []
    table = pd.DataFrame(columns=CALIBRATION_COLUMNS)
    current = scenario
    for round_ in range(limit + 1):
        # the arithmetic step: scale each target's own streams so expected x ratio = reported
        for name in order:
            t = targets[name]
            own = assign[name]
            current = _with_scales(scenario, scales)
            free_part = expected(current, t, own)
            fixed_part = expected(current, t) - free_part
            wanted = t.reported / ratio[name] - fixed_part
            if free_part <= 0 or wanted <= 0:
                raise CalibrationError(
                    f"calibration.targets.{name}: the streams not being fitted already give "
                    f"{fixed_part * ratio[name]:,.0f} against {t.reported:,.0f} reported; "
                    "lower them or free more streams"
                )
            factor = wanted / free_part
            for s in own:
                scales[s] *= factor
        current = _with_scales(scenario, scales)
        if round_ == limit:
            break
        table, result = measure(current, reps, seed, **kw)
        history.append(float(table["rel_error"].abs().max()))
        if progress is not None:
            progress(round_ + 1, table)
        # aim for a quarter of each tolerance so that the fit holds for other seeds too;
        # on the last round, the tolerance itself is enough
        share = 1.0 if round_ + 1 == limit else 0.25
        if _within(table, targets, share):
            return CalibrationResult(current, scales, table, round_ + 1, True, history)
        occupancy = result.summary[result.summary.metric == "berth_occupancy"]
        for name in order:
            sim = float(table.loc[table.target == name, "simulated_mean"].iloc[0])
            exp = expected(current, targets[name])
            ratio[name] = sim / exp
            if ratio[name] < SATURATED:
                t = targets[name]
                terms = [
                    scenario.ship_classes[scenario.arrivals[s].ship_class].terminal
                    for s in assign[name]
                ]
                busy = occupancy[occupancy.terminal.isin(terms)].sort_values("mean")
                worst = busy.iloc[-1] if len(busy) else None
                where = (
                    f"terminal {worst.terminal} is at capacity (berth occupancy "
                    f"{worst['mean']:.2f})"
                    if worst is not None
                    else "its terminals are full"
                )
                raise CalibrationError(
                    f"calibration.targets.{name}: cannot reach {t.reported:,.0f}: the model "
                    f"handles only {ratio[name]:.0%} of the demand offered; {where}"
                )
    bad = [
        f"{r.target} {r.rel_error:+.2%} (tolerance {targets[r.target].tolerance:.1%})"
        for r in table.itertuples()
        if abs(r.rel_error) > targets[r.target].tolerance
    ]
    raise CalibrationError(
        f"{scenario.scenario.name}: not within tolerance after {limit} rounds: "
        + "; ".join(bad)
        + " (more replications or a larger calibration.max_iterations may help)"
    )


def calibrated_yaml(
    source: Path, output: Path, result: CalibrationResult, reps: int, seed: int
) -> str:
    """The calibrated scenario file: extends ``source`` and sets only the fitted scales."""
    import os

    rel = os.path.relpath(source.resolve(), output.resolve().parent)
    errors = ", ".join(f"{r.target} {r.rel_error:+.3%}" for r in result.table.itertuples())
    header = [
        f"# Calibrated with lygsim calibrate on {dt.date.today().isoformat()}: seed {seed}, "
        f"{reps} replications per round, {result.iterations} round(s).",
        f"# Relative errors of the mean against the reported figures: {errors}.",
        "# Only the fitted arrival-rate scales are set here; everything else comes from the",
        "# file this one extends.",
    ]
    body = {
        "extends": rel,
        "arrivals": {name: {"scale": round(v, 6)} for name, v in sorted(result.scales.items())},
    }
    return "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False)


def format_table(table: pd.DataFrame) -> str:
    """``calibration.csv`` as a readable table."""
    lines = [
        f"{'target':<20}{'period':<24}{'unit':<9}{'reported':>15}{'simulated':>15}"
        f"{'95% interval':>32}{'error':>9}"
    ]
    for r in table.itertuples():
        ci = f"[{r.ci_low:,.0f}, {r.ci_high:,.0f}]" if not math.isnan(r.ci_low) else "-"
        lines.append(
            f"{r.target:<20}{r.period:<24}{r.unit:<9}{r.reported:>15,.0f}"
            f"{r.simulated_mean:>15,.0f}{ci:>32}{r.rel_error:>+9.2%}"
        )
    return "\n".join(lines)
