"""Reading scenario files: safe YAML, ``extends:``, ``--set`` overrides, readable errors.

Every problem becomes a :class:`~lygsim.errors.Problem` naming the file, the dotted field
path and what is allowed; all problems of a file are reported together.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from lygsim.errors import Problem, ScenarioError
from lygsim.scenario import CrossFieldError, Scenario

MAX_FILE_BYTES = 5_000_000


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML file as a mapping, with errors that name the file."""
    src = str(path)
    if not path.exists():
        raise ScenarioError([Problem(src, "", "file not found")])
    if path.is_dir():
        raise ScenarioError([Problem(src, "", "is a directory, expected a YAML file")])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(src, "", f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(src, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(src, "", f"not UTF-8 text (bad byte at offset {exc.start})")]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([Problem(src, where, f"malformed YAML: {problem}")]) from None
    if data is None:
        raise ScenarioError([Problem(src, "", "file is empty; expected a scenario mapping")])
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(src, "", f"top level is a {_kind(data)}; expected a mapping of sections")]
        )
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ScenarioError([Problem(src, str(bad[0]), "keys must be strings")])
    loop = _self_reference(data, (), ())
    if loop is not None:
        raise ScenarioError(
            [Problem(src, loop, "a YAML alias refers to itself (recursive anchor); not allowed")]
        )
    return data


def _self_reference(node: Any, loc: tuple[Any, ...], parents: tuple[int, ...]) -> str | None:
    """The dotted path of the first node that contains itself (a recursive YAML alias)."""
    if not isinstance(node, dict | list):
        return None
    if id(node) in parents:
        return _dotted(loc) or "(top level)"
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        found = _self_reference(
            v, (*loc, k if isinstance(k, int | str) else str(k)), (*parents, id(node))
        )
        if found is not None:
            return found
    return None


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``child`` into ``base``: mappings merge key by key, anything else is replaced.

    A key set to ``null`` in the child removes it from the result. A distribution (a
    mapping with ``dist``) is one value and is replaced whole, as is an arrival stream whose
    ``kind`` changes, so no parameter of the old law leaks into the new one.
    """
    out = dict(base)
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        elif (
            isinstance(value, Mapping)
            and isinstance(out.get(key), Mapping)
            and "dist" not in value
            and value.get("kind", out[key].get("kind")) == out[key].get("kind")
        ):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and everything it ``extends``, merged, child winning."""
    path = Path(path)
    real = path.resolve()
    if real in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, real))
        raise ScenarioError([Problem(str(path), "extends", f"extends cycle: {cycle}")])
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Problem(str(path), "extends", "must be a file name (string)")])
    parent_path = path.parent / parent
    if not parent_path.exists():
        raise ScenarioError(
            [Problem(str(path), "extends", f"file '{parent}' not found next to this file")]
        )
    base = resolve(parent_path, (*_chain, real))
    return deep_merge(base, data)


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
            for key in ("dist", "kind"):
                f = member.model_fields.get(key)
                if f is not None and tag in get_args(f.annotation):
                    return member
    return None


def _problems_from(exc: ValidationError, source: str) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, CrossFieldError):
            prefix = _loc_path(loc)
            for path, message in cause.problems:
                problems.append(Problem(source, f"{prefix}.{path}" if prefix else path, message))
            continue
        kind = err["type"]
        if loc[-1:] == ("[key]",):  # pydantic's step for a mapping key; the key is before it
            loc = (*loc[:-2], str(loc[-2]))
        elif kind == "invalid_key":
            loc = (*loc[:-1], str(loc[-1]))
        path = _loc_path(loc)
        if kind == "extra_forbidden":
            owner = _model_at(loc)
            word = str(loc[-1])
            msg = "unknown key" + _suggest(word, _allowed_keys(owner))
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "union_tag_invalid":
            tags = ctx.get("expected_tags", "")
            msg = f"unknown {ctx.get('discriminator', 'tag')} '{ctx.get('tag')}' (allowed: {tags})"
            msg = msg.replace("'dist'", "dist").replace("'kind'", "kind")
        elif kind == "union_tag_not_found":
            msg = f"missing the tag field ({ctx.get('discriminator', '')})"
        elif kind in {"finite_number"}:
            msg = "must be a finite number (not NaN or infinity)"
        elif kind == "string_pattern_mismatch":
            msg = "must be a name: a letter, then letters, digits, '_' or '-'"
        elif kind == "invalid_key" or (kind == "string_type" and err["loc"][-1] == "[key]"):
            msg = f"keys must be strings (got {_kind(err.get('input'))})"
        else:
            msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
            if "input" in err and kind.endswith("_type"):
                msg += f" (got {_kind(err['input'])})"
        problems.append(Problem(source, path, msg))
    return problems


def _loc_path(loc: tuple[Any, ...]) -> str:
    parts: list[str | int] = []
    for part in loc:
        # pydantic adds the union tag (e.g. 'lognormal') as a location step; it is not a key
        if isinstance(part, str) and part in _TAGS:
            continue
        parts.append(part)
    return _dotted(parts)


_TAGS = {
    "constant",
    "exponential",
    "erlang",
    "gamma",
    "lognormal",
    "normal",
    "uniform",
    "triangular",
    "empirical",
    "poisson",
    "renewal",
    "scheduled",
}


def validate_data(data: Mapping[str, Any], source: str) -> Scenario:
    """Validate merged scenario data, raising :class:`ScenarioError` with every problem."""
    bad_numbers = list(_non_finite(data, ()))
    if bad_numbers:
        raise ScenarioError(
            [
                Problem(source, p, "must be a finite number (not NaN or infinity)")
                for p in bad_numbers
            ]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc, source)) from None


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
        ScenarioError: With one problem per mistake, each naming file and field.
    """
    path = Path(path)
    data = resolve(path)
    overrides = list(overrides)
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    return validate_data(data, str(path))


def to_plain(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data (YAML/JSON-ready), with aliases such as ``mean``."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text, loadable again."""
    return yaml.safe_dump(to_plain(scenario), sort_keys=False, allow_unicode=True, width=100)


def scenario_hash(scenario: Scenario) -> str:
    """A short stable hash of the resolved scenario (for caching and manifests)."""
    text = json.dumps(to_plain(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _kind(value: Any) -> str:
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)
