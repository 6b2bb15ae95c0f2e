"""What kind of lygsim file a YAML file is, and checking one whatever its kind.

``lygsim validate scenarios/**/*.yaml`` meets scenarios, studies and plans side by side; each kind
is recognised by its top-level keys. A later kind (a plan file, say) adds one entry to
:data:`KINDS` and one branch in :func:`check_file`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lygsim.errors import Problem, ScenarioError
from lygsim.loader import attribute, load_with_origins, plausibility_warnings, read_yaml
from lygsim.scenario import Scenario

KINDS: dict[str, tuple[str, ...]] = {
    # a child scenario may hold only ``extends:`` and what it changes
    "scenario": ("scenario", "extends", *Scenario.model_fields),
    # before studies: a plan also names a base and options
    "plan": ("strategies",),
    "study": ("base", "options"),
}
"""Each kind with the top-level keys that mark it (any one of them)."""


@dataclass(frozen=True)
class Checked:
    """A file that passed its checks.

    Attributes:
        kind: ``scenario``, ``study`` or ``plan``.
        name: The scenario's, the study's or the plan's name.
        warnings: Plausibility warnings (values that validate but look like slips).
    """

    kind: str
    name: str
    warnings: list[Problem] = field(default_factory=list)


def file_kind(data: Mapping[str, Any]) -> str | None:
    """The kind of a file from its top-level keys, or None if it is of no known kind."""
    for kind, keys in KINDS.items():
        if any(k in data for k in keys):
            return kind
    return None


def check_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Checked:
    """Load and validate a scenario file; its warnings name the file that set each field."""
    scenario, origins = load_with_origins(path, overrides)
    warnings = attribute(plausibility_warnings(scenario, str(path)), origins)
    return Checked("scenario", scenario.scenario.name, warnings)


def check_file(path: str | Path, overrides: Iterable[str] = ()) -> Checked:
    """Check a file of any known kind.

    A study is checked with its base and option scenarios (``overrides`` apply to each of
    them, as in ``lygsim study``); a plan with its base, its options and its triggers
    (``overrides`` do not apply: a plan names its files).

    Raises:
        ScenarioError: Every problem found, each naming its file and field.
    """
    from lygsim.study import load_study

    overrides = list(overrides)
    data = read_yaml(Path(path))
    kind = file_kind(data)
    if kind == "scenario":
        return check_scenario(path, overrides)
    if kind == "plan":
        if overrides:
            raise ScenarioError(
                [Problem(str(path), "", "--set does not apply to a plan file (it names its files)")]
            )
        return check_plan_file(path)
    if kind == "study":
        study, base, options = load_study(path)
        problems: list[Problem] = []
        warnings: list[Problem] = []
        for scenario_path in (base, *options):
            try:
                warnings += check_scenario(scenario_path, overrides).warnings
            except ScenarioError as exc:
                problems += exc.problems
        if problems:
            raise ScenarioError(problems)
        return Checked("study", study.name, warnings)
    known = "; ".join(
        f"a {k} has {' or '.join(repr(x) for x in keys[:2])}" for k, keys in KINDS.items()
    )
    raise ScenarioError(
        [Problem(str(path), "", f"not a lygsim file of a known kind ({known} at the top level)")]
    )


def check_plan_file(path: str | Path) -> Checked:
    """Check a plan file with its base scenario, its options and its triggers' metrics."""
    from lygsim.planload import load_plan
    from lygsim.planrun import check_plan

    loaded = load_plan(path)
    check_plan(loaded)
    warnings = plausibility_warnings(loaded.base, str(loaded.base_path))
    return Checked("plan", loaded.plan.name, warnings)
