"""The ``lygsim`` command. Thin: parses arguments, calls the library, prints, sets the exit code.

Exit codes: 0 success, 1 a run failed for a reason that is not the input's fault,
2 bad input (scenario, argument, file), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lygsim import __version__
from lygsim.errors import LygsimError, SimulationError, UsageError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


# a field of the shipped baseline (scenarios/lianyungang_2023.yaml); a test validates it
SET_EXAMPLE = "terminals.container.berths.mainline.count=7"


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=f"override a scenario field, e.g. --set {SET_EXAMPLE} (value parsed as YAML; "
        "repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lygsim`` command."""
    parser = _Parser(
        prog="lygsim",
        description="Discrete-event simulation of Lianyungang Port: ships, channel, berths, "
        "yards, the Lianshen Express and the Shanghai data corridor, driven by scenario YAML.",
        epilog="Exit codes: 0 ok, 1 run failed, 2 bad input. See README.md for a quickstart.",
    )
    parser.add_argument("--version", action="version", version=f"lygsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "validate",
        help="check scenario files",
        description="Check scenario files: one OK line per valid file, one line per problem "
        "otherwise (exit code 2).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    _add_set(p)

    p = sub.add_parser(
        "show",
        help="print a resolved scenario as YAML",
        description="Print the scenario after extends and --set, with every default filled in.",
    )
    p.add_argument("file", metavar="FILE", help="scenario YAML file")
    _add_set(p)

    p = sub.add_parser(
        "schema",
        help="print the scenario JSON Schema (or the Markdown reference)",
        description="Print the JSON Schema of scenario files, for editors that check and "
        "complete YAML; --markdown prints docs/scenario-reference.md instead.",
    )
    p.add_argument("--markdown", action="store_true", help="print the Markdown reference page")

    p = sub.add_parser(
        "run",
        help="simulate a scenario and write results",
        description="Simulate replications of a scenario and write summary.csv, "
        "replications.csv, visits.parquet, scenario.yaml and manifest.json to the output "
        "folder, then print the main KPIs per terminal. Finished replications are kept under "
        "OUT/runs/ and reused: a re-run or an interrupted run picks up where it stopped.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    _add_experiment_args(p)
    p.add_argument(
        "--precision",
        metavar="[SCOPE:]NAME.METRIC=SHARE",
        help="keep adding replications until the 95%% interval half-width of this KPI is "
        "under SHARE of its mean, e.g. container.mean_wait_h=0.05 (NAME: a terminal, else "
        "port, a service or a link; SCOPE: terminal, port, service, link to say which)",
    )
    p.add_argument(
        "--max-reps",
        type=int,
        default=None,
        help="upper limit for --precision (default 100 or --reps if larger; at most 10,000)",
    )

    p = sub.add_parser(
        "compare",
        help="compare options with a base scenario (paired, common random numbers)",
        description="Run a base scenario and one or more options with the same seeds "
        "(common random numbers) and write comparison.csv with paired differences and "
        "their 95% intervals; print the main KPIs' changes. The scenarios must share the "
        "start date, warm-up and horizon (or --days sets the horizon of all).",
    )
    p.add_argument("base", metavar="BASE", help="base scenario YAML file")
    p.add_argument("options", nargs="+", metavar="OPTION", help="option scenario YAML files")
    _add_experiment_args(p, default_reps=10, out="results/compare-<base name>/")

    p = sub.add_parser(
        "calibrate",
        help="fit demand to the reported figures in the scenario's calibration section",
        description="Fit the scale of the free arrival streams (calibration.free) so that the "
        "simulated figures match calibration.targets: an arithmetic start from the rates, "
        "then simulation rounds with common random numbers. Writes calibration.csv and "
        "<name>_calibrated.yaml (extends the input, sets only the fitted scales) to the output "
        "folder (default results/<name>/calibration/). --days replaces the horizon; every "
        "target's period must lie in the observation window. Exit code 2 if a target cannot "
        "be met.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--check", action="store_true", help="only measure the targets and write calibration.csv"
    )
    _add_experiment_args(p, default_reps=10, out="results/<scenario name>/calibration/")

    p = sub.add_parser(
        "capacity",
        help="demand sweep: capacity curves and practical capacity per terminal",
        description="Scale each terminal's demand over a range of factors (same seeds at "
        "every level) and write capacity.csv (throughput, occupancy, W/S and wait with 95% "
        "intervals per level) and practical_capacity.csv (the annual throughput at which W/S "
        "or berth occupancy first reaches the terminal's threshold, with an interval and the "
        "threshold that binds) to the output folder (default "
        "results/<name>/capacity/), with capacity-curve figures.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--terminal",
        action="append",
        default=[],
        metavar="T",
        help="only this terminal (repeatable)",
    )
    _add_demand(p, "0.5:1.6:0.1", "demand factors")
    _add_experiment_args(p, default_reps=5, out="results/<scenario name>/capacity/")

    p = sub.add_parser(
        "horizon",
        help="the year each terminal reaches its threshold, for a base and options",
        description="With the scenarios' growth rates, find the first year in which each "
        "terminal passes its W/S or berth-occupancy threshold, for the base scenario and "
        "each option. Writes horizon.csv to the output folder (default results/<name>/horizon/).",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="base scenario YAML file")
    p.add_argument("options", nargs="*", metavar="OPTION", help="option scenario YAML files")
    p.add_argument(
        "--until",
        type=int,
        default=2040,
        help="last year considered (default 2040; from the base year to 100 years after it)",
    )
    _add_demand(p, "0.5:2.0:0.1", "demand factors swept to find capacity")
    _add_experiment_args(p, default_reps=5, out="results/<scenario name>/horizon/")

    p = sub.add_parser(
        "study",
        help="run an option study file: comparison, capacity gained, horizon, figures, report",
        description="Run a study file (base, options, replications, seed, demand range, horizon "
        "year): the base as a full results folder, the paired comparison of every option, the "
        "capacity each option gains and the year each terminal reaches its threshold, with "
        "figures and an HTML report. Writes to OUT/<base name>/ and OUT/<study name>/ "
        "(default OUT: results/).",
    )
    p.add_argument("study", metavar="FILE", help="study YAML file")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument(
        "--scheduler", metavar="ADDRESS", default=None, help="Dask scheduler address or 'local'"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output root (default results/; with --set, folders named NAME-<hash of the "
        "overrides>)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and warnings")
    p.add_argument("--verbose", action="store_true", help="one line per stage and level")
    _add_set(p)

    _add_plan_parser(sub)

    p = sub.add_parser(
        "report",
        help="write the figures and the self-contained HTML report of a results folder",
        description="Write figures/ and report.html (one self-contained file) for a folder "
        "written by run, compare, capacity or study.",
    )
    p.add_argument("folder", metavar="DIR", help="results folder")
    _add_new_parser(sub)
    return parser


def _add_demand(p: argparse.ArgumentParser, default: str, what: str) -> None:
    p.add_argument(
        "--demand",
        default=default,
        metavar="START:STOP:STEP",
        help=f"{what} (default {default}; 1 is always included)",
    )


def _add_experiment_args(
    p: argparse.ArgumentParser, default_reps: int = 1, out: str = "results/<scenario name>/"
) -> None:
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--reps",
        type=int,
        default=default_reps,
        help=f"replications (default {default_reps}; at most 10,000)",
    )
    p.add_argument(
        "--days",
        type=float,
        default=None,
        help="override the horizon in days (more than the warm-up, at most 36,600)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes (default: all cores); 1 runs in this process",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on Dask distributed: a scheduler address (tcp://HOST:PORT) or 'local' for a "
        "local Dask cluster of --workers workers (needs pip install 'lygsim[dask]')",
    )
    tagged = out.rstrip("/").replace("<scenario name>", "<scenario name>-<hash>")
    tagged = tagged.replace("<base name>", "<base name>-<hash>")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output folder (default {out}; with --set, {tagged}/, the hash being 8 hex "
        "digits of the sorted overrides, so the scenario's own results are not overwritten)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and warnings")
    p.add_argument("--verbose", action="store_true", help="one line per replication")
    p.add_argument(
        "--no-figures",
        dest="figures",
        action="store_false",
        help="skip the figures and the HTML report (tables only; faster)",
    )
    _add_set(p)


def _add_plan_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "plan",
        help="master plan: every year of every strategy simulated, priced and compared",
        description="Run a plan file (base scenario, years, options with their costs, "
        "strategies, economics): every year of every strategy is simulated with the "
        "scenario's growth and the options open in it (common random numbers), priced, and "
        "discounted. Writes years.csv, npv.csv, decision.csv, commission_years.csv, "
        "opened.csv and cashflows.csv to the output folder (default results/plan-<name>/) and "
        "prints the decision. Finished replications are kept under OUT/runs/: a re-run, an "
        "interrupted run or a change of costs only re-simulates nothing already done.",
    )
    p.add_argument("plan", metavar="FILE", help="plan YAML file")
    p.add_argument("--reps", type=int, default=None, help="replications (default the plan's reps)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default the plan's)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes (default: all cores); 1 runs in this process",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on Dask distributed: a scheduler address (tcp://HOST:PORT) or 'local' "
        "(needs pip install 'lygsim[dask]')",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default results/plan-<name>/)"
    )
    p.add_argument(
        "--precision",
        metavar="RULE",
        help="add replications until RULE holds: 'decision' (the cheapest strategy differs "
        "from the runner-up at 95%% and each best commissioning year is stable) or "
        "[SCOPE:]NAME.METRIC=SHARE (that KPI's half-width under SHARE of its mean in every "
        "year of every strategy)",
    )
    p.add_argument(
        "--max-reps",
        type=int,
        default=None,
        help="upper limit for --precision (default 100 or the replications if more)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and warnings")
    p.add_argument("--verbose", action="store_true", help="one line per replication")


def _add_new_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "new",
        help="write a small, commented scenario for your own port",
        description="Write NAME.yaml: the terminals asked for with typical berths, equipment "
        "and rates for their cargo kind (each value with its unit and source), a ship class "
        "and an arrival stream per terminal at a moderate berth occupancy, yards and a "
        "channel deep enough to need no tide. It validates and runs as written.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="scenario name (letters, digits, _ -)")
    p.add_argument(
        "--terminals",
        default=None,
        metavar="KIND:BERTHS,...",
        help="cargo kinds and berths, e.g. container:2,dry_bulk:1 (default container:2; "
        "1-50 berths each; see --list)",
    )
    p.add_argument("--out", type=Path, default=None, help="file to write (default NAME.yaml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument(
        "--list", dest="list_kinds", action="store_true", help="print the cargo kinds and units"
    )


# each command's module under lygsim.commands and its function, imported only when used
COMMANDS = {
    "validate": ("scenario", "validate_command"),
    "show": ("scenario", "show_command"),
    "schema": ("scenario", "schema_command"),
    "new": ("scenario", "new_command"),
    "run": ("run", "run_command"),
    "compare": ("compare", "compare_command"),
    "calibrate": ("calibrate", "calibrate_command"),
    "capacity": ("capacity", "capacity_command"),
    "horizon": ("horizon", "horizon_command"),
    "study": ("study", "study_command"),
    "plan": ("plan", "plan_command"),
    "report": ("report", "report_command"),
}


def _dispatch(args: argparse.Namespace, cmdline: list[str]) -> int:
    import importlib

    module, function = COMMANDS[args.command]
    command = getattr(importlib.import_module(f"lygsim.commands.{module}"), function)
    return int(command(args, argv=cmdline))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lygsim`` command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        # the command line as the manifests record it: never the script's own path
        cmdline = ["lygsim", *(sys.argv[1:] if argv is None else argv)]
        return _dispatch(args, cmdline)
    except SimulationError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 1
    except LygsimError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lygsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
