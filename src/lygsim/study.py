"""Option studies: one file names a base, its options and how to compare them.

``lygsim study scenarios/studies/expansion.yaml`` runs the base (a full results folder),
the paired comparison of every option with the base, a demand sweep of every scenario
(practical capacity and the capacity each option gains), and the year each terminal
reaches its threshold under the scenarios' growth, with or without each option.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from lygsim.dists import Integer, Number
from lygsim.errors import Problem, ScenarioError
from lygsim.fields import MAX_HORIZON_DAYS, each_once
from lygsim.loader import read_yaml
from lygsim.yamlfile import stat_problem


class Study(BaseModel):
    """A study file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)] = Field(
        description="Name of the study; names its results folder."
    )
    description: str = ""
    base: str = Field(description="Base scenario file, relative to the study file.")
    options: Annotated[
        list[str], Field(min_length=1, max_length=100), AfterValidator(each_once)
    ] = Field(description="Option scenario files, relative to the study file; each once.")
    reps: Annotated[Integer, Field(ge=2, le=1000)] = Field(
        10, description="Replications per scenario for the paired comparison (2-1000)."
    )
    seed: Annotated[Integer, Field(ge=0, le=2**63 - 1)] = Field(1, description="Random seed.")
    days: Annotated[Number, Field(gt=0, le=MAX_HORIZON_DAYS)] | None = Field(
        None, description="Horizon in days for every scenario; unset: each scenario's own."
    )
    demand: str = Field("0.6:1.6:0.1", description="Demand factors START:STOP:STEP.")
    capacity_reps: Annotated[Integer, Field(ge=2, le=1000)] = Field(
        5, description="Replications per demand level (2-1000)."
    )
    until: Annotated[Integer, Field(ge=2000, le=2200)] = Field(
        2040, description="Last year for the growth horizon (2000-2200)."
    )


def load_study(path: str | Path) -> tuple[Study, Path, list[Path]]:
    """Read and check a study file; returns it with the base and option paths resolved.

    Raises:
        ScenarioError: One problem per mistake, naming the study file and the field.
    """
    path = Path(path)
    src = str(path)
    data = read_yaml(path)
    if "base" not in data and ("scenario" in data or "extends" in data):
        raise ScenarioError(
            [
                Problem(
                    src,
                    "",
                    "is a scenario file, not a study file (a study names base: and options:); "
                    "run a scenario with lygsim run",
                )
            ]
        )
    try:
        study = Study.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_problem(src, e) for e in exc.errors()]) from None
    base = path.parent / study.base
    options = [path.parent / o for o in study.options]
    problems = []
    for field, rel, p in [("base", study.base, base)] + [
        (f"options[{i}]", o, p) for i, (o, p) in enumerate(zip(study.options, options, strict=True))
    ]:
        try:
            os.stat(p)
        except OSError as exc:
            problems.append(Problem(src, field, f"'{rel}': {stat_problem(p, exc)}"))
    if problems:
        raise ScenarioError(problems)
    return study, base, options


def _problem(src: str, err: ErrorDetails) -> Problem:
    path = ""
    for step in err["loc"]:
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else str(step))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(sorted(Study.model_fields))
        return Problem(src, path, f"unknown key (allowed: {allowed})")
    if kind == "missing":
        return Problem(src, path, "required field is missing")
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    return Problem(src, path, msg)


def study_yaml(study: Study) -> str:
    """The study as YAML (for the results folder)."""
    return yaml.safe_dump(study.model_dump(exclude_none=True), sort_keys=False)
