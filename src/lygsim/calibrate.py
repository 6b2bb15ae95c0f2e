"""Fit demand to reported figures: ``lygsim calibrate``.

Free parameters are the ``scale`` of the Poisson arrival streams named in
``calibration.free``. Each free stream is assigned to the most specific target whose
figure its terminal feeds (a terminal's own target, then TEU or vehicles, then port
tonnes). The fit starts from the rate arithmetic (the scale that makes the expected
figure over the period equal the reported one, with seasonality and growth), then
refines by simulation with common random numbers: the ratio of simulated to expected
figure (queueing, lags) is carried into the next arithmetic step.

The fit aims at the *expected* figure, not at one seed's sample mean. Each round estimates
it with the cargo offered in the period (the ships that arrived in it) as a control
variate: the offered cargo's expectation is known exactly from the rates, so the chance of
how many ships arrived is taken out of the estimate. Replications are added until every
target's 95% half-width is under :data:`PRECISION_SHARE` of its tolerance (at most
``max_reps``); the fit stops when every estimate is within :data:`AIM_SHARE` of its
tolerance, so the expected figure is within half the tolerance with 95% confidence, and
another seed's sample mean scatters around the reported figure by chance alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lygsim.errors import LygsimError
from lygsim.experiment import ExperimentResult, Precision, run_experiment
from lygsim.scenario import Cargo, Scenario, Target
from lygsim.scopes import CALIBRATION, Scope, of_scope, terminal_rows
from lygsim.stats import mean_ci, t_quantile
from lygsim.targets import expected, offered_metric, period_h

CALIBRATION_COLUMNS = [
    "target",
    "period",
    "unit",
    "reported",
    "simulated_mean",
    "ci_low",
    "ci_high",
    "rel_error",
    "estimate",
    "estimate_ci_low",
    "estimate_ci_high",
    "estimate_error",
    "replications",
]
SPECIFICITY = {"throughput_teu": 1, "vehicles": 1, "throughput_t": 2}
SATURATED = 0.90  # simulated / offered below this: the terminal cannot take the demand
PRECISION_SHARE = 0.25  # a fit's 95% half-width must be under this share of the tolerance
AIM_SHARE = 0.25  # and its estimate within this share: together, within half the tolerance
MAX_REPS = 200  # replications per round at most, however imprecise the estimate


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
        history: Per round, the largest relative error of the estimates.
        replications: Per round, the replications the precision rule needed.
    """

    scenario: Scenario
    scales: dict[str, float]
    table: pd.DataFrame
    iterations: int
    converged: bool
    history: list[float] = field(default_factory=list)
    replications: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TargetsPrecision(Precision):
    """The calibration's stopping rule for replications: every target precise enough.

    Met when each fitted target's estimate (see :func:`estimate`) has a 95% half-width
    under ``rel`` times its tolerance times its reported figure.
    """

    scenario: Scenario | None = None

    def met(self, replications: pd.DataFrame) -> bool:
        """Whether every target's estimate is precise enough."""
        assert self.scenario is not None
        return not imprecise(_rows(self.scenario, replications), self.scenario, self.rel)


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
    w0, w1 = scenario.observed_h
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


def estimate(
    figure: np.ndarray, offered: np.ndarray, offered_mean: float
) -> tuple[float, float, float]:
    """The expected figure from replications, with the offered cargo as a control variate.

    ``figure - b * (offered - offered_mean)`` per replication, ``b`` the regression slope
    of figure on offered, has the figure's expectation and, when the two move together,
    a fraction of its spread (Law, *Simulation Modeling and Analysis*, section 11.3).
    Without a usable control (fewer than 3 replications, no offered values, no spread in
    them) it is the plain mean.

    Args:
        figure: The target's figure, one value per replication.
        offered: The offered cargo in the same replications (NaN where not recorded).
        offered_mean: The offered cargo's known expectation (the rate arithmetic).

    Returns:
        ``(estimate, ci_low, ci_high)``, a 95% Student-t interval (n - 2 degrees of
        freedom with the control, n - 1 without).
    """
    y = np.asarray(figure, dtype=float)
    x = np.asarray(offered, dtype=float)
    ok = ~np.isnan(y)
    usable = (
        len(x) == len(y)
        and math.isfinite(offered_mean)
        and bool((ok & ~np.isnan(x)).sum() >= 3)
        and not np.isnan(x[ok]).any()
    )
    if usable:
        y, x = y[ok], x[ok]
        sxx = float(np.sum((x - x.mean()) ** 2))
        usable = sxx > 0.0
    if not usable:
        mean, _, _, lo, hi = mean_ci(y)
        return mean, lo, hi
    slope = float(np.sum((x - x.mean()) * (y - y.mean()))) / sxx
    z = y - slope * (x - offered_mean)
    n = len(z)
    mean = float(z.mean())
    # one degree of freedom goes to the slope
    half = t_quantile(0.975, n - 2) * float(z.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def _rows(scenario: Scenario, reps_df: pd.DataFrame) -> pd.DataFrame:
    """``calibration.csv`` rows from replications (``CALIBRATION_COLUMNS``)."""
    cal = of_scope(reps_df, Scope.calibration)
    rows = []
    for name, t in scenario.calibration.targets.items():
        values = cal[cal.metric == name].sort_values("replication")
        y = values["value"].to_numpy(dtype=float)
        mean, _, n, lo, hi = mean_ci(y)
        unit = values["unit"].iloc[0] if len(values) else ""
        off = cal[cal.metric == offered_metric(name)].sort_values("replication")
        same = (
            len(off) == len(values)
            and (off["replication"].to_numpy() == values["replication"].to_numpy()).all()
        )
        x = off["value"].to_numpy(dtype=float) if same else np.full(len(y), np.nan)
        est, est_lo, est_hi = estimate(y, x, expected(scenario, t))
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
                est,
                est_lo,
                est_hi,
                (est - t.reported) / t.reported,
                n,
            )
        )
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


def imprecise(table: pd.DataFrame, scenario: Scenario, share: float) -> list[str]:
    """Targets whose estimate's 95% half-width exceeds ``share`` of their tolerance."""
    targets = scenario.calibration.targets
    out = []
    for r in table.itertuples():
        half = (r.estimate_ci_high - r.estimate_ci_low) / 2
        if math.isnan(half) or half > share * targets[r.target].tolerance * abs(r.reported):
            out.append(str(r.target))
    return out


def measure(
    scenario: Scenario,
    reps: int,
    seed: int,
    *,
    precision: Precision | None = None,
    **kw: object,
) -> tuple[pd.DataFrame, ExperimentResult]:
    """Simulate and compare every target with its reported figure (``calibration.csv``).

    Each row has the sample mean over the replications with its 95% interval and error
    (what these seeds gave), and the estimate of the expected figure with the offered
    cargo as a control variate, its interval and error (what the model gives on average).

    Args:
        scenario: A scenario with calibration targets.
        reps: Replications (with ``precision``, the first batch).
        seed: The seed.
        precision: Add replications until this rule is met.
        **kw: Passed to :func:`lygsim.run_experiment` (days, workers, scheduler, out).
    """
    if not scenario.calibration.targets:
        raise CalibrationError(
            f"{scenario.scenario.name}: calibration.targets is empty; nothing to measure"
        )
    _check_periods(scenario)
    result = run_experiment(scenario, reps, seed, precision=precision, **kw)  # type: ignore[arg-type]
    return _rows(scenario, result.replications), result


def _within(table: pd.DataFrame, targets: dict[str, Target], share: float) -> bool:
    return all(
        abs(r.estimate_error) <= share * targets[r.target].tolerance for r in table.itertuples()
    )


def calibrate(
    scenario: Scenario,
    reps: int = 10,
    seed: int = 1,
    *,
    max_iterations: int | None = None,
    max_reps: int | None = None,
    progress: Callable[[int, pd.DataFrame], None] | None = None,
    **kw: object,
) -> CalibrationResult:
    """Fit the free arrival streams' scales so the expected figures match the reported ones.

    Each round sets the scales by the rate arithmetic, corrected by what the last round
    simulated, then measures with ``reps`` replications and more until every target's
    estimate is precise (:class:`TargetsPrecision`). It stops when every estimate is
    within :data:`AIM_SHARE` of its tolerance; all rounds use the same seeds.

    Args:
        scenario: A scenario with a ``calibration`` section.
        reps: Replications in each round's first batch (common random numbers across rounds).
        seed: The seed.
        max_iterations: Simulation rounds (default ``calibration.max_iterations``).
        max_reps: Replications per round at most (default :data:`MAX_REPS`, at least ``reps``).
        progress: Called with ``(round, table)`` after each round; ``table.replications``
            says how many replications the round needed.
        **kw: Passed to :func:`lygsim.run_experiment` (days, workers, scheduler, out).

    Raises:
        CalibrationError: A target has no free parameter, cannot be fitted by scaling,
            its terminal cannot take the demand, its estimate stays imprecise after
            ``max_reps`` replications, or the round limit is reached.
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
                    "timetables (services.KEY.capacity_teu x departures x 365/7), not from demand: "
                    "change the timetable"
                )
        elif not assign[name]:
            raise CalibrationError(
                f"calibration.targets.{name}: no free parameter feeds it; list a poisson "
                "arrival stream of its terminal(s) in calibration.free"
            )
    limit = max_iterations or cal.max_iterations
    cap = max(reps, max_reps if max_reps is not None else MAX_REPS)
    scales = {s: scenario.arrivals[s].scale for s in cal.free}  # type: ignore[union-attr]
    # fitted targets in order: specific ones first, port tonnes last (it uses the others)
    order = sorted(
        (n for n in targets if assign[n]),
        key=lambda n: 0 if targets[n].terminal else SPECIFICITY[targets[n].figure],
    )
    ratio = {n: 1.0 for n in order}  # simulated / expected, learnt from each round
    history: list[float] = []
    used: list[int] = []
    table = pd.DataFrame(columns=CALIBRATION_COLUMNS)
    for round_ in range(1, limit + 1):
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
        rule = TargetsPrecision(
            CALIBRATION, "*", PRECISION_SHARE, cap, Scope.calibration.value, scenario=current
        )
        table, result = measure(current, reps, seed, precision=rule, **kw)
        history.append(float(table["estimate_error"].abs().max()))
        used.append(int(table["replications"].max()))
        if progress is not None:
            progress(round_, table)
        vague = imprecise(table, current, PRECISION_SHARE)
        if not vague and _within(table, targets, AIM_SHARE):
            return CalibrationResult(current, scales, table, round_, True, history, used)
        if vague and used[-1] >= cap:
            r = table.set_index("target").loc[vague[0]]
            half = (r.estimate_ci_high - r.estimate_ci_low) / 2 / abs(r.reported)
            raise CalibrationError(
                f"calibration.targets.{vague[0]}: after {used[-1]} replications the estimate "
                f"is still +/-{half:.2%} (95%), more than {PRECISION_SHARE:.0%} of the "
                f"{targets[vague[0]].tolerance:.1%} tolerance; allow more replications "
                "(max_reps) or a wider tolerance"
            )
        summary = terminal_rows(result.summary)
        occupancy = summary[summary.metric == "berth_occupancy"]
        for name in order:
            est = float(table.loc[table.target == name, "estimate"].iloc[0])
            ratio[name] = est / expected(current, targets[name])
            if ratio[name] < SATURATED:
                t = targets[name]
                terms = [
                    scenario.ship_classes[scenario.arrivals[s].ship_class].terminal
                    for s in assign[name]
                ]
                busy = occupancy[occupancy["name"].isin(terms)].sort_values("mean")
                worst = busy.iloc[-1] if len(busy) else None
                where = (
                    f"terminal {worst['name']} is at capacity (berth occupancy {worst['mean']:.2f})"
                    if worst is not None
                    else "its terminals are full"
                )
                raise CalibrationError(
                    f"calibration.targets.{name}: cannot reach {t.reported:,.0f}: the model "
                    f"handles only {ratio[name]:.0%} of the demand offered; {where}"
                )
    bad = [
        f"{r.target} {r.estimate_error:+.2%} (aim {AIM_SHARE * targets[r.target].tolerance:.2%})"
        for r in table.itertuples()
        if abs(r.estimate_error) > AIM_SHARE * targets[r.target].tolerance
    ]
    raise CalibrationError(
        f"{scenario.scenario.name}: not within the aim after {limit} rounds: "
        + "; ".join(bad)
        + " (a larger calibration.max_iterations may help)"
    )


def round_line(round_: int, table: pd.DataFrame) -> str:
    """One progress line for a calibration round: its replications and largest error."""
    worst = table.loc[table["estimate_error"].abs().idxmax()]
    return (
        f"round {round_}: {int(table['replications'].max())} replications; largest error of "
        f"the expected figures {worst.estimate_error:+.3%} ({worst.target})"
    )


def format_rounds(result: CalibrationResult) -> str:
    """One line: how many rounds the fit took and the replications each round used."""
    reps = ", ".join(str(n) for n in result.replications)
    worst = result.history[-1] if result.history else math.nan
    return (
        f"fitted in {result.iterations} round(s) ({reps} replications); largest error of "
        f"the expected figures {worst:.3%}"
    )


def calibrated_yaml(
    source: Path, output: Path, result: CalibrationResult, reps: int, seed: int
) -> str:
    """The calibrated scenario file: extends ``source`` and sets only the fitted scales."""
    import os

    rel = os.path.relpath(source.resolve(), output.resolve().parent)
    errors = ", ".join(f"{r.target} {r.estimate_error:+.3%}" for r in result.table.itertuples())
    used = ", ".join(str(n) for n in result.replications)
    header = [
        f"# Calibrated with lygsim calibrate on {dt.date.today().isoformat()}: seed {seed}, "
        f"{reps} replications or more per round (precision rule), {result.iterations} "
        f"round(s) of {used} replications.",
        f"# Relative errors of the expected figures against the reported ones: {errors}.",
        "# Only the fitted arrival-rate scales are set here; everything else comes from the",
        "# file this one extends.",
    ]
    body = {
        "extends": rel,
        "arrivals": {name: {"scale": round(v, 6)} for name, v in sorted(result.scales.items())},
    }
    return "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False)


def format_table(table: pd.DataFrame) -> str:
    """``calibration.csv`` as a readable table.

    ``error`` is the sample mean's (these seeds); ``expected error`` the control-variate
    estimate's, with its 95% half-width (what the model gives on average).
    """
    lines = [
        f"{'target':<20}{'period':<24}{'unit':<9}{'reported':>15}{'simulated':>15}"
        f"{'95% interval':>32}{'error':>9}{'expected error':>20}"
    ]
    for r in table.itertuples():
        ci = f"[{r.ci_low:,.0f}, {r.ci_high:,.0f}]" if not math.isnan(r.ci_low) else "-"
        half = (r.estimate_ci_high - r.estimate_ci_low) / 2 / abs(r.reported)
        exp = f"{r.estimate_error:+.2%}" + ("" if math.isnan(half) else f" +/-{half:.2%}")
        lines.append(
            f"{r.target:<20}{r.period:<24}{r.unit:<9}{r.reported:>15,.0f}"
            f"{r.simulated_mean:>15,.0f}{ci:>32}{r.rel_error:>+9.2%}{exp:>20}"
        )
    return "\n".join(lines)
