"""``lygsim report DIR``: the figures and the HTML report of any results folder."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from lygsim.commands.common import draw
from lygsim.commands.folder import prepare_folder, remove_stale_temporaries, writing
from lygsim.errors import UsageError
from lygsim.html_report import REPORT_FILE
from lygsim.results import MARKERS, ResultsFolder


def report_into(folder: Path) -> Path:
    """(Re)write the figures and the report of a results folder; returns the report's path.

    A folder with a run cache may be written by a command running now: the two take turns
    under the folder's lock.

    Raises:
        UsageError: If the folder cannot be written.
        ResultsError: If a file of the folder is damaged (the message names it).
    """
    started_at = time.time()
    prepare_folder(folder, f"lygsim report: {folder}")
    if (folder / "runs").is_dir():
        with writing(folder, started_at):
            draw(folder)
    else:
        remove_stale_temporaries(folder, started_at)
        draw(folder)
    return folder / REPORT_FILE


def report_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim report DIR``; returns the exit code."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"lygsim report: {folder} is not a folder")
    if ResultsFolder.detect(folder) is None:
        raise UsageError(
            f"lygsim report: {folder} holds no lygsim results "
            f"({', '.join(sorted(set(MARKERS.values())))})"
        )
    print(report_into(folder))
    return 0
