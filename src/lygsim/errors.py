"""Exceptions raised by lygsim.

Every error a user can cause is a :class:`LygsimError`; the command line turns it into
one line per problem and exit code 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class LygsimError(Exception):
    """Base class of every error lygsim raises on bad input or a failed run."""

    def lines(self) -> list[str]:
        """Return the error as the lines the command line prints."""
        return [str(self)]


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario: where it is and what is wrong.

    Attributes:
        source: The file (or ``--set``) the problem comes from.
        path: Dotted path of the field, e.g. ``terminals.container.berths.psa.count``.
        message: What is wrong and what is allowed.
    """

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.path) if p]
        return ": ".join([*parts, self.message])

    def as_warning(self) -> str:
        """The problem as a warning line: ``FILE: field: warning: message``."""
        parts = [p for p in (self.source, self.path) if p]
        return ": ".join([*parts, f"warning: {self.message}"])


class ScenarioError(LygsimError):
    """A scenario file or override is malformed or inconsistent."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        """Return one line per problem."""
        return [str(p) for p in self.problems]


class UsageError(LygsimError):
    """A command-line argument is invalid."""


class ResultsError(LygsimError):
    """A results folder cannot be read or written: each message names the file."""


class SimulationError(LygsimError):
    """One or more replications failed; each line names the scenario, seed and replication."""

    def lines(self) -> list[str]:
        """One line per failed replication."""
        return str(self).splitlines()
