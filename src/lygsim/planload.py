"""Reading a plan file: the plan, its base scenario and its options, checked together.

Every mistake is one line naming the file and the field (:class:`~lygsim.errors.Problem`);
paths are relative to the plan file. Two options that set the same field differently
cannot be open together and are refused when a strategy lists both.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lygsim.errors import Problem, ScenarioError
from lygsim.fields import CrossFieldError
from lygsim.loader import deep_merge, load_scenario, read_yaml, resolve
from lygsim.planfile import Plan, observation_year
from lygsim.scenario import Scenario
from lygsim.yamlfile import stat_problem

# --- reading a plan file ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPlan:
    """A plan file with its base scenario and option files read and checked.

    Attributes:
        plan: The plan.
        path: The plan file.
        base_path: The base scenario file.
        base_data: The base scenario as merged data (``extends`` resolved).
        base: The base scenario, validated.
        base_year: The calendar year of the base's observation window.
        option_paths: Each option's file.
        option_content: What each option file itself sets (no ``extends``, no ``scenario``
            section), merged onto the base when the option is open.
    """

    plan: Plan
    path: Path
    base_path: Path
    base_data: dict[str, Any]
    base: Scenario
    base_year: int
    option_paths: dict[str, Path]
    option_content: dict[str, dict[str, Any]]


_OPTION_METADATA = {"name", "description", "sources"}
"""Keys an option's ``scenario`` section may hold: it may not move the dates."""
_YEAR_FORMS = "a year (1900-2200), auto, or {from: YEAR, to: YEAR}"


def load_plan(path: str | Path) -> LoadedPlan:
    """Read and check a plan file, its base scenario and its options.

    Raises:
        ScenarioError: One problem per mistake, each naming its file and field.
    """
    path = Path(path)
    src = str(path)
    data = read_yaml(path)
    if "strategies" not in data:
        if "scenario" in data or "extends" in data:
            what = "a scenario file"
        elif "options" in data and "base" in data:
            what = "a study file (lygsim study)"
        else:
            what = "not a plan file"
        raise ScenarioError(
            [
                Problem(
                    src,
                    "",
                    f"is {what}, not a plan file: a plan names base:, years:, options: and "
                    "strategies:",
                )
            ]
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(src, exc, data)) from None
    base_path = path.parent / plan.base
    option_paths = {k: path.parent / o.file for k, o in plan.options.items()}
    missing = []
    for field, rel, p in [("base", plan.base, base_path)] + [
        (f"options.{k}.file", plan.options[k].file, p) for k, p in option_paths.items()
    ]:
        try:
            os.stat(p)
        except OSError as exc:
            missing.append(Problem(src, field, f"'{rel}': {stat_problem(p, exc)}"))
    if missing:
        raise ScenarioError(missing)
    base = load_scenario(base_path)  # its problems name the base file
    base_data = resolve(base_path)
    content = {
        k: _option_content(src, k, plan.options[k].file, p, base_path)
        for k, p in option_paths.items()
    }
    for p in option_paths.values():
        load_scenario(p)  # each option on its own
    base_year = observation_year(base.scenario.start_date, base.scenario.warmup_days)
    problems = _cross_file(src, plan, base, base_data, content, base_year)
    if problems:
        raise ScenarioError(problems)
    return LoadedPlan(plan, path, base_path, base_data, base, base_year, option_paths, content)


def _option_content(src: str, key: str, rel: str, path: Path, base_path: Path) -> dict[str, Any]:
    """What the option file sets itself; it must extend the base and keep its dates."""
    where = f"options.{key}.file"
    raw = read_yaml(path)
    parent = raw.get("extends")
    if not isinstance(parent, str) or (path.parent / parent).resolve() != base_path.resolve():
        said = f"extends '{parent}'" if isinstance(parent, str) else "extends nothing"
        raise ScenarioError(
            [
                Problem(
                    src,
                    where,
                    f"'{rel}' {said}, not the plan's base; an option must extend the base "
                    "scenario and set only what it changes",
                )
            ]
        )
    meta = raw.get("scenario") or {}
    moved = sorted(set(meta) - _OPTION_METADATA) if isinstance(meta, dict) else ["scenario"]
    if moved:
        raise ScenarioError(
            [
                Problem(
                    src,
                    where,
                    f"'{rel}' sets scenario.{moved[0]}; an option may not change the dates or "
                    "the horizon (the plan moves them to each year)",
                )
            ]
        )
    return {k: v for k, v in raw.items() if k not in ("extends", "scenario")}


def _cross_file(
    src: str,
    plan: Plan,
    base: Scenario,
    base_data: dict[str, Any],
    content: dict[str, dict[str, Any]],
    base_year: int,
) -> list[Problem]:
    """Checks that need the base and the options: names, years and clashing options."""
    problems = []
    if plan.years.first < base_year:
        problems.append(
            Problem(
                src,
                "years.first",
                f"{plan.years.first} is before the base scenario's year {base_year}; the plan "
                "simulates from the base year on",
            )
        )
    classes = set(base.ship_classes)
    terminals = set(base.terminals)
    for c in content.values():
        classes |= set(c.get("ship_classes") or {})
        terminals |= set(c.get("terminals") or {})
    eco = plan.economics
    for name in eco.ship_time.by_class:
        if name not in classes:
            problems.append(
                Problem(
                    src,
                    f"economics.ship_time.by_class.{name}",
                    f"unknown ship class '{name}' (allowed: {', '.join(sorted(classes))})",
                )
            )
    for field, table in (
        ("cargo_time_per_unit_h", eco.cargo_time_per_unit_h),
        ("turned_away_per_unit", eco.turned_away_per_unit),
    ):
        for name in table:
            if name not in terminals:
                problems.append(
                    Problem(
                        src,
                        f"economics.{field}.{name}",
                        f"unknown terminal '{name}' (allowed: {', '.join(sorted(terminals))})",
                    )
                )
    checked: set[tuple[str, str]] = set()
    for sname, entries in plan.strategies.items():
        for i, e in enumerate(entries):
            if e.trigger is not None and e.trigger.terminal not in terminals:
                problems.append(
                    Problem(
                        src,
                        f"strategies.{sname}[{i}].trigger.terminal",
                        f"unknown terminal '{e.trigger.terminal}' "
                        f"(allowed: {', '.join(sorted(terminals))})",
                    )
                )
        names = [e.option for e in entries]
        for a, b in itertools.combinations(names, 2):
            if (a, b) in checked:
                continue
            checked.add((a, b))
            clash = clashing_field(base_data, content[a], content[b])
            if clash is not None:
                problems.append(
                    Problem(
                        src,
                        f"strategies.{sname}",
                        f"options {a} and {b} both set {clash} differently; they cannot both "
                        "be open",
                    )
                )
    return problems


def clashing_field(
    base: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> str | None:
    """A field two options set differently, or None when they can be merged in any order.

    Two options clash when the merged scenario depends on the order they are merged in.
    """
    ab = deep_merge(deep_merge(base, first), second)
    ba = deep_merge(deep_merge(base, second), first)
    return _first_difference(ab, ba, "")


def _first_difference(a: Any, b: Any, where: str) -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            here = f"{where}.{key}" if where else str(key)
            if key not in a or key not in b:
                return here
            found = _first_difference(a[key], b[key], here)
            if found is not None:
                return found
        return None
    return None if a == b else (where or "the scenario")


def _problems(src: str, exc: ValidationError, data: Any) -> list[Problem]:
    """One problem per mistake; the steps pydantic adds for union members are dropped."""
    by_path: dict[str, list[tuple[bool, str]]] = {}
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        path, union = _data_path(err["loc"], data)
        if isinstance(cause, CrossFieldError):
            for sub, message in cause.problems:
                full = f"{path}.{sub}" if path else sub
                by_path.setdefault(full, []).append((False, message))
            continue
        by_path.setdefault(path, []).append((union, _message(err, path)))
    problems = []
    for path, found in by_path.items():
        if any(u for u, _ in found) and len(found) > 1:
            deeper = [p for p in by_path if p.startswith(path + ".")]
            if not deeper:
                problems.append(Problem(src, path, f"must be {_YEAR_FORMS}"))
            continue
        problems += [Problem(src, path, m) for _, m in dict.fromkeys(found)]
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str, bool]:
    """The dotted path of a location in the data; whether a union member's step was dropped."""
    path, node, union = "", data, False
    for step in loc:
        in_dict = isinstance(node, dict) and step in node
        if in_dict or (isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)):
            node = node[step]
        elif isinstance(step, str) and (
            not isinstance(node, dict)
            or "[" in step
            or step[:1].isupper()
            or step.startswith("literal")
        ):
            union = True  # pydantic's name of a union member: not a key of the data
            continue
        else:
            node = None
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else str(step))
    return path, union


def _message(err: ErrorDetails, path: str) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(path)
        allowed = (
            ", ".join(sorted((f.alias or n) for n, f in owner.model_fields.items()))
            if (owner is not None)
            else ""
        )
        return "unknown key" + (f" (allowed: {allowed})" if allowed else "")
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return "must be a name: a letter, then letters, digits, '_' or '-'"
    if kind == "too_short":
        least = (err.get("ctx") or {}).get("min_length", 1)
        return f"must have at least {least} entr{'y' if least == 1 else 'ies'}"
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    got = err.get("input")
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"} and (
        isinstance(got, int | float) and not isinstance(got, bool)
    ):
        msg += f" (got {got:g})"
        hint = _HINTS.get(path.rsplit(".", 1)[-1])
        if hint:
            msg += f"; {hint}"
    return msg


_HINTS = {
    "discount_rate": "a fraction per year: 0.06 means 6%/yr",
    "lead_time_years": "whole years",
}
"""Said after a bound is broken, for fields where a unit slip is the likely cause."""


def _model_at(path: str) -> type[BaseModel] | None:
    """The model owning the last key of a dotted path (for the keys it allows)."""
    steps = [s for s in re.split(r"\.|\[|\]", path) if s][:-1]
    model: type[BaseModel] = Plan
    for step in steps:
        field = next((f for n, f in model.model_fields.items() if step in (n, f.alias)), None)
        if field is None:
            continue  # a key of a mapping (an option's or a strategy's name) or an index
        inner = _submodel(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _submodel(tp: Any) -> type[BaseModel] | None:
    """The model inside a field's type (through Annotated, unions, lists and mappings)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in get_args(tp):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


__all__ = ["LoadedPlan", "clashing_field", "load_plan"]
