"""The Python API reference, ``docs/api.md``, generated from the code and its docstrings.

Run ``python -m lygsim.api_doc > docs/api.md`` after changing a public function; a test
fails while the page is stale. Signatures and texts come from the functions themselves;
table columns come from the modules' column lists and, for the tables built during a run
(visits, levels, KPIs), from one short run of a small scenario, so no list is kept by hand
except the meaning of each column (and a test fails when a column has none).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

# (module, name) of every documented function, in reading order: the package's own
# ``lygsim.__all__`` first, then the analyses a notebook reaches for.
FUNCTIONS = [
    ("lygsim", "load_scenario"),
    ("lygsim", "simulate"),
    ("lygsim", "run_experiment"),
    ("lygsim", "compare"),
    ("lygsim.capacity", "sweep"),
    ("lygsim.capacity", "practical_capacity"),
    ("lygsim.capacity", "scale_demand"),
    ("lygsim.comparison", "paired_table"),
    ("lygsim.experiment", "summarise"),
]
RESULTS = [
    ("lygsim.simulation", "RunResult"),
    ("lygsim.experiment", "ExperimentResult"),
    ("lygsim.comparison", "Comparison"),
    ("lygsim.capacity", "CapacityResult"),
]
ERRORS = [("lygsim", "LygsimError"), ("lygsim", "ScenarioError")]

COLUMN_NOTES = {
    "scenario": "scenario name (`scenario.name`)",
    "replication": "replication number, from 0",
    "seed": "the experiment's seed",
    "scope": "what the row is about: `terminal`, `port`, `service`, `link` or `calibration`",
    "name": "key within the scope: the terminal, `port`, the service or link, `calibration`",
    "terminal": "terminal key",
    "metric": "KPI name (see the list below)",
    "unit": "unit of the value: TEU, t, vehicles, h, share, ...",
    "value": "the KPI in one replication",
    "mean": "mean over replications",
    "std": "standard deviation over replications",
    "n": "replications",
    "ci_low": "Student-t 95% interval, low end",
    "ci_high": "Student-t 95% interval, high end",
    "base_mean": "mean of the base scenario",
    "option": "option scenario name",
    "option_mean": "mean of the option",
    "delta": "mean paired difference, option - base",
    "delta_ci_low": "95% interval of the paired difference, low end",
    "delta_ci_high": "95% interval of the paired difference, high end",
    "rel_change": "delta / base_mean",
    "significant": "the interval excludes 0 (n >= 2)",
    "demand_factor": "multiplier on the terminal's demand (1 = as written)",
    "throughput": "annual throughput at this level, terminal's unit",
    "throughput_ci_low": "its 95% interval, low end",
    "throughput_ci_high": "its 95% interval, high end",
    "berth_occupancy": "share of berth time held by ships",
    "berth_occupancy_ci_low": "its 95% interval, low end",
    "berth_occupancy_ci_high": "its 95% interval, high end",
    "wait_service_ratio": "mean wait / mean service time (W/S)",
    "wait_service_ratio_ci_low": "its 95% interval, low end",
    "wait_service_ratio_ci_high": "its 95% interval, high end",
    "mean_wait_h": "mean wait before entering, h",
    "mean_wait_h_ci_low": "its 95% interval, low end",
    "mean_wait_h_ci_high": "its 95% interval, high end",
    "berths": "berths of the terminal",
    "threshold": "the terminal's W/S threshold (`thresholds.max_wait_service_ratio`)",
    "throughput_now": "annual throughput at demand factor 1",
    "capacity": "annual throughput at which the first threshold is reached (inf: beyond the "
    "range swept, -inf: already at its lowest level)",
    "max_occupancy": "the terminal's occupancy threshold (`thresholds.max_occupancy`)",
    "binding": "which threshold is reached first: wait_service_ratio, occupancy or none",
    "capacity_wait_service_ratio": "annual throughput at which W/S reaches its threshold",
    "capacity_occupancy": "annual throughput at which occupancy reaches its threshold",
    "capacity_ci_low": "its 95% interval, low end",
    "capacity_ci_high": "its 95% interval, high end",
    "demand_factor_at_capacity": "demand factor at which the first threshold is reached",
    "headroom": "capacity / throughput_now - 1",
    "ship_id": "call number in the replication, from 0",
    "ship_class": "ship class key",
    "cargo": "cargo kind of the terminal",
    "berth_id": "berth that served it (`group#i`); NaN if none yet",
    "scheduled": "a liner (timetabled) call",
    "arrived_h": "arrival at anchorage, h from the start date",
    "assigned_h": "berth assigned, h",
    "entered_h": "entered the channel, h",
    "berthed_h": "alongside, h",
    "handling_start_h": "handling started, h",
    "handling_end_h": "handling ended, h",
    "departed_h": "left the berth, h",
    "call_size": "cargo moved, terminal's unit",
    "yard_in": "cargo discharged to the yard, terminal's unit",
    "wait_h": "arrival to entering the channel (so far, if still waiting), h",
    "time_h": "time of the change, h from the start date",
    "series": "queue, berths_busy, yard, berths_down or shuttle_backlog",
}


def _note(column: str) -> str:
    if column in COLUMN_NOTES:
        return COLUMN_NOTES[column]
    m = re.fullmatch(r"(wait|delay)_(\w+?)_h", column)
    if m and m.group(1) == "wait":  # the wait split by cause: wait_berth_h, wait_tide_h, ...
        return f"part of `wait_h` spent waiting for {m.group(2).replace('_', ' ')}, h"
    if m:  # time at berth lost: delay_yard_h, delay_outbound_tide_h, ...
        return f"time at berth lost to {m.group(2).replace('_', ' ')}, h"
    raise KeyError(f"column {column!r} has no description in lygsim.api_doc.COLUMN_NOTES")


def _md(text: str) -> str:
    """Docstring markup (reStructuredText roles, double backquotes) as Markdown."""
    text = re.sub(r":(?:func|class|data|mod|meth|attr):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return _md(text).replace("|", "\\|")


def _get(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def _sections(doc: str) -> tuple[str, dict[str, list[str]]]:
    """Split a Google-style docstring into its text and its sections' lines."""
    text: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in doc.splitlines():
        head = re.fullmatch(r"(Args|Returns|Raises|Attributes|Yields):", line.strip())
        if head and not line.startswith(" "):
            current = sections.setdefault(head.group(1), [])
        elif current is not None and (line.startswith(" ") or not line.strip()):
            current.append(line.strip())
        else:
            current = None
            text.append(line)
    return "\n".join(text).strip(), sections


def _items(lines: list[str]) -> list[tuple[str, str]]:
    """``name: text`` entries of an Args or Attributes section (continuations joined)."""
    items: list[tuple[str, str]] = []
    for line in lines:
        m = re.match(r"^(\*{0,2}\w+)(?: \(.*?\))?: (.*)$", line)
        if m:
            items.append((m.group(1), m.group(2)))
        elif items and line:
            items[-1] = (items[-1][0], f"{items[-1][1]} {line}")
    return items


def _signature(f: Callable[..., Any], name: str) -> str:
    sig = str(inspect.signature(f)).replace("'", "")
    return f"{name}{sig}"


def _function(module: str, name: str) -> list[str]:
    f = _get(module, name)
    text, sec = _sections(inspect.getdoc(f) or "")
    where = "lygsim" if module == "lygsim" else module
    out = [f"### `{where}.{name}`", "", "```python", _signature(f, name), "```", "", _md(text), ""]
    if "Args" in sec:
        out += ["| argument | meaning |", "|---|---|"]
        out += [f"| `{a}` | {_cell(d)} |" for a, d in _items(sec["Args"])]
        out.append("")
    for part in ("Returns", "Raises"):
        if part in sec:
            out += [f"**{part}:** " + _md(" ".join(x for x in sec[part] if x)), ""]
    return out


def _result(module: str, name: str) -> list[str]:
    cls = _get(module, name)
    text, sec = _sections(inspect.getdoc(cls) or "")
    out = [f"### `{module}.{name}`", "", _md(text), ""]
    notes = dict(_items(sec.get("Attributes", [])))
    for value in list(notes.values()):  # "a: ...; ``b``: ..." documents two attributes
        for other, said in re.findall(r"``(\w+)``: ([^;.]+)", value):
            notes.setdefault(other, said)
    fields = [f.name for f in dataclasses.fields(cls)]
    props = [n for n, v in vars(cls).items() if isinstance(v, property | cached_property)]
    out += ["| attribute | meaning |", "|---|---|"]
    for n in fields + props:
        doc = notes.get(n) or (inspect.getdoc(vars(cls).get(n)) or "").split("\n")[0]
        out.append(f"| `{n}` | {_cell(doc)} |")
    return [*out, ""]


def _columns_table(title: str, columns: list[str], **own: str) -> list[str]:
    """A table's columns and their meaning; ``own`` overrides the shared notes."""
    out = [f"### {title}", "", "| column | meaning |", "|---|---|"]
    out += [f"| `{c}` | {own.get(c) or _note(c)} |" for c in columns]
    return [*out, ""]


def _sample_run() -> Any:
    """One replication of a one-terminal scenario written by ``lygsim new``: its table shapes."""
    import yaml

    from lygsim.loader import validate_data
    from lygsim.newport import parse_terminals, scenario_text
    from lygsim.simulation import simulate

    data = yaml.safe_load(scenario_text("api_doc", parse_terminals("container:1")))
    scenario = validate_data(data, "api_doc")
    return simulate(scenario, seed=1, replication=0, days=scenario.scenario.warmup_days + 5)


def api_markdown() -> str:
    """The page ``docs/api.md``."""
    from lygsim import __all__ as public
    from lygsim.capacity import CAPACITY_COLUMNS, PRACTICAL_COLUMNS
    from lygsim.comparison import COMPARISON_COLUMNS
    from lygsim.experiment import REPLICATION_COLUMNS, SUMMARY_COLUMNS

    run = _sample_run()
    lines = [
        "# Python API",
        "",
        "<!-- Generated by `python -m lygsim.api_doc`; do not edit by hand. -->",
        "",
        "`import lygsim` exposes " + ", ".join(f"`{n}`" for n in public) + "; each name",
        "loads its module on first use. The analyses after them are imported from their",
        "modules. Every table is a pandas DataFrame; times are hours from the scenario's",
        "`start_date`, and KPIs leave out the warm-up. The [tutorial](tutorial.ipynb) uses",
        "them all.",
        "",
        "## Functions",
        "",
    ]
    for module, name in FUNCTIONS:
        lines += _function(module, name)
    lines += ["## What they return", ""]
    for module, name in RESULTS:
        lines += _result(module, name)
    lines += ["## Tables", ""]
    lines += _columns_table(
        "`RunResult.kpis` (one replication, long format)", list(run.kpis.columns)
    )
    lines += _columns_table(
        "`RunResult.visits` (one row per ship call; `visits.parquet` adds `replication`)",
        list(run.visits.columns),
        terminal="terminal key",
        unit="the terminal's unit: TEU, t or vehicles",
    )
    lines += _columns_table(
        "`RunResult.levels` (changes only)",
        list(run.levels.columns),
        terminal="terminal key",
        value="the level from this time on",
    )
    lines += _columns_table("`ExperimentResult.replications`", REPLICATION_COLUMNS)
    lines += _columns_table("`ExperimentResult.summary` (`summary.csv`)", SUMMARY_COLUMNS)
    lines += _columns_table("`Comparison.table` (`comparison.csv`)", COMPARISON_COLUMNS)
    lines += _columns_table("`CapacityResult.curve` (`capacity.csv`)", CAPACITY_COLUMNS)
    lines += _columns_table(
        "`CapacityResult.practical` (`practical_capacity.csv`)", PRACTICAL_COLUMNS
    )
    k = run.kpis
    per_terminal = list(dict.fromkeys(k.loc[k["scope"] == "terminal", "metric"]))
    port_wide = list(dict.fromkeys(k.loc[k["scope"] == "port", "metric"]))
    lines += [
        "### KPI names",
        "",
        "Each terminal (scope `terminal`) has the metrics "
        + ", ".join(f"`{m}`" for m in per_terminal)
        + "; the port (scope `port`, name `port`) has "
        + ", ".join(f"`{m}`" for m in port_wide)
        + ". They are defined in [model.md](model.md#kpis); a scenario with the shuttle and "
        "the corridor adds their own (scopes `service` and `link`), and one with calibration "
        "targets their figures (scope `calibration`).",
        "",
        "## Errors",
        "",
    ]
    for module, name in ERRORS:
        cls = _get(module, name)
        lines += [f"- `lygsim.{name}`: {(inspect.getdoc(cls) or '').splitlines()[0]}"]
    return "\n".join([*lines, ""])


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(api_markdown())
