"""Option studies: one file names a base, its options and how to compare them.

``lygsim study scenarios/studies/expansion.yaml`` runs the base (a full results folder),
the paired comparison of every option with the base, a demand sweep of every scenario
(practical capacity and the capacity each option gains), and the year each terminal
reaches its threshold under the scenarios' growth, with or without each option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lygsim.errors import Problem, ScenarioError
from lygsim.loader import read_yaml


class Study(BaseModel):
    """A study file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)]
    description: str = ""
    base: str = Field(description="Base scenario file, relative to the study file.")
    options: Annotated[list[str], Field(min_length=1)] = Field(
        description="Option scenario files, relative to the study file."
    )
    reps: Annotated[int, Field(ge=2, le=1000)] = 10
    seed: Annotated[int, Field(ge=0)] = 1
    days: Annotated[float, Field(gt=0)] | None = None
    demand: str = Field("0.6:1.6:0.1", description="Demand factors START:STOP:STEP.")
    capacity_reps: Annotated[int, Field(ge=2, le=1000)] = 5
    until: Annotated[int, Field(ge=2000, le=2200)] = 2040


def load_study(path: str | Path) -> tuple[Study, Path, list[Path]]:
    """Read and check a study file; returns it with the base and option paths resolved."""
    path = Path(path)
    data = read_yaml(path)
    try:
        study = Study.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            [Problem(str(path), ".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None
    base = path.parent / study.base
    options = [path.parent / o for o in study.options]
    missing = [p for p in (base, *options) if not p.is_file()]
    if missing:
        raise ScenarioError(
            [Problem(str(path), "base/options", f"file not found: {p}") for p in missing]
        )
    return study, base, options


def study_yaml(study: Study) -> str:
    """The study as YAML (for the results folder)."""
    return yaml.safe_dump(study.model_dump(exclude_none=True), sort_keys=False)
