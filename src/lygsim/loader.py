"""Reading scenario files: safe YAML, ``extends:``, ``--set`` overrides, readable errors.

Every problem becomes a :class:`~lygsim.errors.Problem` naming the file, the dotted field
path and what is allowed; all problems of a file are reported together.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeGuard, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from lygsim.errors import Problem, ScenarioError
from lygsim.rules import RULES
from lygsim.scenario import CrossFieldError, Nautical, Scenario, Terminal
from lygsim.yamlfile import MAX_FILE_BYTES, kind_name, not_regular, read_yaml, stat_problem

__all__ = [
    "MAX_FILE_BYTES",
    "apply_overrides",
    "deep_merge",
    "load_scenario",
    "plausibility_warnings",
    "read_yaml",
    "resolve",
    "scenario_hash",
    "show_comments",
    "to_plain",
    "to_yaml",
    "validate_data",
]


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``child`` into ``base``: mappings merge key by key, anything else is replaced.

    A key set to ``null`` in the child removes it from the result. A distribution (a
    mapping with ``dist``) is one value and is replaced whole, as is an arrival stream whose
    ``kind`` changes or a dispatch rule whose ``rule`` changes, so no parameter of the old
    law or rule leaks into the new one.
    """
    out = dict(base)
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        elif _merges(out.get(key), value):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve(path: Path) -> dict[str, Any]:
    """Read ``path`` and everything it ``extends``, merged, child winning."""
    return _resolve(Path(path), ())[0]


class Origins:
    """Which file set each part of merged scenario data (a tree keyed like the data).

    A node's ``source`` covers everything below it unless a deeper node says otherwise; a
    value a child file replaces gets a fresh node, a mapping it merges into keeps the
    parent's nodes beside the child's.
    """

    __slots__ = ("kids", "source")

    def __init__(self, source: str | None = None):
        self.source = source
        self.kids: dict[Any, Origins] = {}

    def record(self, loc: Iterable[Any], source: str) -> None:
        """Record that ``source`` set the whole value at ``loc``."""
        *parents, last = list(loc)
        node = self
        for step in parents:
            node = node.kids.setdefault(step, Origins())
        node.kids[last] = Origins(source)

    def drop(self, loc: Iterable[Any]) -> None:
        """Forget the value at ``loc`` (a child file removed it with ``null``)."""
        *parents, last = list(loc)
        node: Origins | None = self
        for step in parents:
            node = node.kids.get(step) if node is not None else None
        if node is not None:
            node.kids.pop(last, None)

    def source_of(self, loc: Iterable[Any], default: str) -> str:
        """The file that set the value at ``loc``; ``default`` if several files did."""
        node, covering = self, self.source
        for step in loc:
            nxt = node.kids.get(step)
            if nxt is None:  # below here, one file set everything
                return covering or default
            node = nxt
            covering = node.source or covering
        found = node._sources(set())
        if covering is not None:
            found.add(covering)
        return next(iter(found)) if len(found) == 1 else default

    def _sources(self, acc: set[str]) -> set[str]:
        for kid in self.kids.values():
            if kid.source is not None:
                acc.add(kid.source)
            if len(acc) > 1:
                break
            kid._sources(acc)
        return acc


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], Origins]:
    src = str(path)
    data = read_yaml(path)
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # a link loop that appeared after the read
        raise ScenarioError([Problem(src, "", f"cannot resolve the path: {exc}")]) from None
    if real in chain:
        cycle = " -> ".join(p.name for p in (*chain, real))
        raise ScenarioError([Problem(src, "extends", f"extends cycle: {cycle}")])
    parent = data.pop("extends", None)
    if parent is None:
        return data, Origins(src)
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Problem(src, "extends", "must be a file name (string)")])
    parent_path = path.parent / parent
    try:
        why = not_regular(os.stat(parent_path).st_mode)
    except OSError as exc:
        why = stat_problem(parent_path, exc)
    if why is not None:
        why = (
            f"file '{parent}' not found next to this file"
            if why == "file not found"
            else f"'{parent}': {why}"
        )
        raise ScenarioError([Problem(src, "extends", why)]) from None
    base, origins = _resolve(parent_path, (*chain, real))
    _track(base, data, (), origins, src)
    return deep_merge(base, data), origins


def _track(
    base: Mapping[str, Any], child: Mapping[str, Any], loc: tuple[Any, ...], org: Origins, src: str
) -> None:
    """Record in ``org`` what ``child`` sets when merged into ``base`` (as :func:`deep_merge`)."""
    for key, value in child.items():
        here = (*loc, key)
        old = base.get(key)
        if value is None:
            org.drop(here)
        elif _merges(old, value):
            _track(old, value, here, org, src)
        else:
            org.record(here, src)


def _merges(old: Any, value: Any) -> TypeGuard[Mapping[str, Any]]:
    """Whether :func:`deep_merge` merges ``value`` into ``old`` key by key (or replaces it)."""
    return (
        isinstance(value, Mapping)
        and isinstance(old, Mapping)
        and "dist" not in value
        and all(value.get(tag, old.get(tag)) == old.get(tag) for tag in ("kind", "rule"))
    )


def _parse_path(dotted: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in dotted.split("."):
        if not piece:
            raise ValueError("empty path segment")
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        while rest:
            idx, _, rest = rest.partition("]")
            if not idx.isdigit():
                raise ValueError(f"bad index '[{idx}]'")
            parts.append(int(idx))
            rest = rest.removeprefix("[")
    return parts


def apply_overrides(data: dict[str, Any], overrides: Iterable[str], source: str) -> dict[str, Any]:
    """Apply ``dotted.path=value`` overrides (values parsed as YAML).

    Every intermediate key must already exist; the last key may be new (the schema then
    decides whether it is allowed).
    """
    out = json.loads(json.dumps(data, default=str))  # deep copy of plain data
    problems: list[Problem] = []
    for item in overrides:
        where = f"--set {item}"
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(Problem(source, where, "expected dotted.path=value"))
            continue
        try:
            parts = _parse_path(key)
            value = yaml.safe_load(text) if text.strip() else None
        except (ValueError, yaml.YAMLError) as exc:
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            problems.append(Problem(source, where, f"cannot parse: {reason}"))
            continue
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            so_far = _dotted(parts[: i + 1])
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    problems.append(Problem(source, where, f"no item {so_far}"))
                    break
                node = node[part]
            else:
                if not isinstance(node, dict) or part not in node:
                    known = sorted(node) if isinstance(node, dict) else []
                    msg = f"unknown path {so_far}" + _suggest(str(part), known, "keys present")
                    if "did you mean" not in msg:
                        msg += "; to add a section that is not in the file, set it whole"
                    problems.append(Problem(source, where, msg))
                    break
                node = node[part]
        else:
            last = parts[-1]
            if isinstance(last, int):
                if not isinstance(node, list) or last >= len(node):
                    problems.append(Problem(source, where, f"no item {key}"))
                    continue
                node[last] = value
            elif not isinstance(node, dict):
                problems.append(Problem(source, where, f"{_dotted(parts[:-1])} is not a mapping"))
            else:
                node[last] = value
    if problems:
        raise ScenarioError(problems)
    return out


def _dotted(parts: Iterable[str | int]) -> str:
    s = ""
    for p in parts:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else p)
    return s


def _suggest(word: str, known: list[str], label: str = "allowed") -> str:
    if not known:
        return ""
    close = difflib.get_close_matches(word, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f" ({label}: {', '.join(known)}){hint}"


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return sorted((f.alias or n) for n, f in model.model_fields.items())


def _strip(tp: Any) -> Any:
    """Remove ``Annotated`` and ``None`` from a type; a union of models stays a tuple."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
            else:
                return tuple(members)
        else:
            return tp


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``loc`` (to list its allowed keys)."""
    cur: Any = Scenario
    for part in loc[:-1]:
        cur = _strip(cur)
        if isinstance(cur, tuple):
            cur = _union_member(cur, part)
        elif get_origin(cur) in (dict, list):
            cur = get_args(cur)[-1]
        elif isinstance(cur, type) and issubclass(cur, BaseModel):
            field = next((f for n, f in cur.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            cur = field.annotation
        else:
            return None
        if cur is None:
            return None
    cur = _strip(cur)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _union_member(members: tuple[Any, ...], tag: Any) -> Any:
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            for key in TAGS:
                f = member.model_fields.get(key)
                if f is not None and tag in get_args(f.annotation):
                    return member
    return None


_REMOVED: dict[tuple[type[BaseModel], str], str] = {
    (Nautical, "tide_bound_classes"): (
        "removed: a class is tide-bound when its draft + ukc_m exceeds channel_depth_m; "
        "to force one, set ship_classes.NAME.tide_bound: true (or false)"
    ),
    (Scenario, "shuttle"): (
        "removed: write 'services: {{shuttle: {{name: Lianshen Express, corridor: corridor, "
        "...}}}}' with the shuttle's fields under the service's key"
    ),
    (Scenario, "corridor"): (
        "removed: write 'corridors: {{corridor: {{name: Shanghai data corridor, ...}}}}' with "
        "the corridor's fields, and name it in each service's 'corridor:'"
    ),
    (Terminal, "allocation"): (
        "removed: write dispatch: {{rule: {value}}} instead (rules: " + ", ".join(RULES) + ")"
    ),
}
"""Keys that existed once, by the model that had them, with what to write instead
(``{value}``: the value given)."""

TAGS = ("dist", "kind", "rule")
"""The keys that name the variant of a tagged mapping (a discriminated union)."""

_HINTS = {
    "growth_per_year": "a fraction per year: 0.08 means +8%/yr",
    "horizon_days": "in days: 8760 hours is 365 days",
    "warmup_days": "in days",
    "calls_per_year": "calls per year of this stream",
    "first_high_water_h": "the phase of the tide, in hours",
}
"""Said after a bound is broken, for fields where a unit slip is the likely cause."""

_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _problems_from(exc: ValidationError, source: str, data: Any) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, CrossFieldError):
            prefix = _loc_path(loc, data)
            for path, message in cause.problems:
                problems.append(Problem(source, f"{prefix}.{path}" if prefix else path, message))
            continue
        kind = err["type"]
        if loc[-1:] == ("[key]",):  # pydantic's step for a mapping key; the key is before it
            loc = (*loc[:-2], str(loc[-2]))
        elif kind == "invalid_key":
            loc = (*loc[:-1], str(loc[-1]))
        path = _loc_path(loc, data)
        if kind == "extra_forbidden":
            owner = _model_at(loc)
            removed = _REMOVED.get((owner, str(loc[-1]))) if owner is not None else None
            if removed is not None:
                given = err.get("input")
                msg = removed.format(value=given if isinstance(given, str) else "fcfs")
            else:
                msg = "unknown key" + _suggest(str(loc[-1]), _allowed_keys(owner))
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "union_tag_invalid":
            tags = ctx.get("expected_tags", "")
            msg = f"unknown {ctx.get('discriminator', 'tag')} '{ctx.get('tag')}' (allowed: {tags})"
            for key in TAGS:
                msg = msg.replace(f"'{key}'", key)
        elif kind == "union_tag_not_found":
            msg = f"missing the tag field ({ctx.get('discriminator', '')})"
        elif kind in {"int_parsing_size", "float_parsing_size"}:
            msg = f"must be a whole number{_bounds_text(loc)} (got a number far too large)"
        elif kind in {"finite_number"}:
            msg = "must be a finite number (not NaN or infinity)"
        elif kind == "string_pattern_mismatch":
            msg = "must be a name: a letter, then letters, digits, '_' or '-'"
        elif kind == "invalid_key" or (kind == "string_type" and err["loc"][-1] == "[key]"):
            msg = f"keys must be strings (got {kind_name(err.get('input'))})"
        else:
            msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
            if "input" in err and kind.endswith("_type"):
                msg += f" (got {kind_name(err['input'])})"
            if kind in _BOUND_ERRORS:
                got = err.get("input")
                if isinstance(got, int | float) and not isinstance(got, bool):
                    msg += f" (got {got:g})"
                hint = _HINTS.get(str(loc[-1]))
                if hint:
                    msg += f"; {hint}"
        problems.append(Problem(source, path, msg))
    return problems


def _bounds_text(loc: tuple[Any, ...]) -> str:
    """`` between LOW and HIGH`` for the field at ``loc``, from its schema (or "")."""
    owner = _model_at(loc)
    field = None if owner is None else owner.model_fields.get(str(loc[-1]))
    if field is None:
        return ""
    low = high = None
    for m in field.metadata:
        for c in getattr(m, "metadata", [m]):
            low = getattr(c, "ge", None) if getattr(c, "ge", None) is not None else low
            high = getattr(c, "le", None) if getattr(c, "le", None) is not None else high
    return f" between {low:g} and {high:g}" if low is not None and high is not None else ""


def _loc_path(loc: tuple[Any, ...], data: Any) -> str:
    """The dotted path of a pydantic location, without the steps pydantic inserted.

    A discriminated union adds its tag (``lognormal``, ``poisson``, ...) as a step. Such a
    step is dropped only where the data at that point has no key of that name and its
    ``dist``/``kind``/``rule`` is the tag, so user keys spelt like tags (an arrival stream called
    ``poisson``) stay in the path.
    """
    parts: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, Mapping):
            if part in node:
                node = node[part]
            elif isinstance(part, str) and any(part == node.get(tag) for tag in TAGS):
                continue  # the union tag: not a key
            else:
                node = None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        parts.append(part)
    return _dotted(parts)


def validate_data(data: Mapping[str, Any], source: str, origins: Origins | None = None) -> Scenario:
    """Validate merged scenario data, raising :class:`ScenarioError` with every problem.

    Args:
        data: The merged scenario data.
        source: The file named in the messages.
        origins: Which file set which field (from ``extends``); each problem then names
            the file that set the field, ``source`` where several did.
    """
    bad_numbers = list(_non_finite(data, ()))
    if bad_numbers:
        problems = [
            Problem(source, p, "must be a finite number (not NaN or infinity)") for p in bad_numbers
        ]
        raise ScenarioError(attribute(problems, origins))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(attribute(_problems_from(exc, source, data), origins)) from None


def attribute(problems: list[Problem], origins: Origins | None) -> list[Problem]:
    """The problems, each naming the file that set its field (see :class:`Origins`)."""
    if origins is None:
        return problems
    out = []
    for p in problems:
        try:
            loc = _parse_path(p.path) if p.path else []
        except ValueError:
            loc = []
        out.append(Problem(origins.source_of(loc, p.source), p.path, p.message))
    return out


def _non_finite(node: Any, loc: tuple[Any, ...]) -> Iterable[str]:
    if isinstance(node, float) and not math.isfinite(node):
        yield _dotted(loc)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _non_finite(v, (*loc, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _non_finite(v, (*loc, i))


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: The scenario YAML file.
        overrides: ``dotted.path=value`` strings, applied after ``extends``.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: With one problem per mistake, each naming the file that set the
            field (the file itself, or one it extends) and the field.
    """
    return load_with_origins(path, overrides)[0]


def load_with_origins(path: str | Path, overrides: Iterable[str] = ()) -> tuple[Scenario, Origins]:
    """As :func:`load_scenario`, also returning which file set which field."""
    path = Path(path)
    data, origins = _resolve(path, ())
    overrides = list(overrides)
    if overrides:
        data = apply_overrides(data, overrides, str(path))
        for item in overrides:  # a value given with --set is the top file's
            origins.record(_parse_path(item.partition("=")[0].strip()), str(path))
    return validate_data(data, str(path), origins), origins


def plausibility_warnings(scenario: Scenario, source: str = "") -> list[Problem]:
    """Values that validate but are far outside the plausible range for their unit.

    See :func:`lygsim.plausibility.plausibility_warnings`.
    """
    from lygsim.plausibility import plausibility_warnings as warnings

    return warnings(scenario, source)


def to_plain(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data (YAML/JSON-ready), with aliases such as ``mean``."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text, loadable again."""
    return yaml.safe_dump(to_plain(scenario), sort_keys=False, allow_unicode=True, width=100)


def show_comments(scenario: Scenario) -> list[str]:
    """YAML comment lines for ``lygsim show``: which classes are tide-bound, and why."""
    n = scenario.nautical
    if n is None:
        return ["# tide-bound: none (no nautical section)"]
    by_draft = [c for c in scenario.ship_classes if scenario.tide_bound_reason(c) == "draft"]
    forced = [c for c in scenario.ship_classes if scenario.tide_bound_reason(c) == "forced"]
    freed = [
        c
        for c, sc in scenario.ship_classes.items()
        if sc.tide_bound is False and sc.draft_m + n.ukc_m > n.channel_depth_m
    ]
    rule = f"draft + ukc {n.ukc_m:g} m > channel depth {n.channel_depth_m:g} m"
    lines = [f"# tide-bound by draft ({rule}): {', '.join(by_draft) or 'none'}"]
    if forced:
        lines.append(
            f"# forced tide-bound (ship_classes.NAME.tide_bound: true): {', '.join(forced)}"
        )
    if freed:
        lines.append(
            f"# forced free of the tide although deep (tide_bound: false): {', '.join(freed)}"
        )
    return lines


def scenario_hash(scenario: Scenario) -> str:
    """A short stable hash of the resolved scenario (for caching and manifests)."""
    text = json.dumps(to_plain(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
