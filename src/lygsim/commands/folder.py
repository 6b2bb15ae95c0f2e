"""The output folder of a command: its name, its creation and its lock.

A command checks its folder before anything runs (so a refused command leaves nothing
behind), removes a folder it created if it fails before writing a file, and writes its
results under the folder's lock, one command after the other.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lygsim.errors import UsageError


def overrides_tag(overrides: Sequence[str]) -> str:
    """A short hash of a set of ``--set`` overrides (8 hex digits), independent of order."""
    text = "\n".join(sorted(overrides))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def default_folder(name: str, overrides: Sequence[str]) -> str:
    """The default results folder name: ``name``, or ``name-<hash>`` with overrides.

    A run with ``--set`` and no ``--out`` must not overwrite the results of the scenario as
    written (often committed): the overrides get their own folder.
    """
    return f"{name}-{overrides_tag(overrides)}" if overrides else name


def _why(exc: OSError, path: Path) -> str:
    """What an OSError on ``path`` means, in words."""
    import errno

    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        for parent in [path, *path.parents]:
            try:
                if parent.is_symlink() and not parent.exists():
                    return f"{parent} is a link to nothing"
                if os.path.lexists(parent) and not parent.is_dir():
                    return f"{parent} is a file, not a folder"
            except OSError:
                continue
    if exc.errno == errno.ENAMETOOLONG:
        return "a name in the path is longer than the file system allows"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return (exc.strerror or str(exc)).lower()


def out_path(out: Path | str | None, default: str, overrides: Sequence[str], quiet: bool) -> Path:
    """The folder a command writes to: ``out``, else ``results/<default>``."""
    if out:
        return Path(out)
    path = Path("results") / default
    if overrides and not quiet:
        print(
            f"no --out: writing to {path}/ (a folder of its own for these --set overrides)",
            file=sys.stderr,
        )
    return path


def prepare_folder(out: Path, label: str) -> list[Path]:
    """Create the output folder if needed and check that files can be written in it.

    Writability is tested by writing a probe file, not by permission bits, which do not
    bind every user (root) nor describe every file system.

    Args:
        out: The folder.
        label: What the folder is, for messages (e.g. ``lygsim run: --out DIR``).

    Returns:
        The folders created, outermost first.

    Raises:
        UsageError: One line naming the folder and what is wrong.
    """
    created: list[Path] = []
    try:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{label}: exists and is not a folder")
        created = [p for p in (out, *out.parents) if not os.path.lexists(p)][::-1]
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_created(created)
        raise UsageError(f"{label}: cannot create the folder: {_why(exc, out)}") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".lygsim-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        _remove_created(created)
        raise UsageError(f"{label}: cannot write in the folder: {_why(exc, out)}") from None
    return created


def _remove_created(created: Sequence[Path]) -> None:
    """Remove the folders a failed command created, if nothing was written in them."""
    if not created:
        return
    top = created[0]
    if not top.is_dir():
        return
    if any(not p.is_dir() for p in top.rglob("*")):
        return  # finished replications are kept for the next run to reuse
    shutil.rmtree(top, ignore_errors=True)


@contextmanager
def output_folder(out: Path, label: str) -> Iterator[Path]:
    """The command's output folder: checked before anything runs, removed on failure.

    Call it once the arguments and scenarios are valid, so a refused command leaves no
    folder behind; a folder this command created is removed again if the command fails
    before writing any file in it.

    Args:
        out: The folder.
        label: What it is, for messages (e.g. ``lygsim run: --out DIR``).
    """
    created = prepare_folder(out, label)
    try:
        yield out
    except BaseException:
        _remove_created(created)
        raise


# report.atomic_path's temporary names: "." + the file's name + "." + 8 random characters
_ATOMIC_TMP = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")
LOCK_FILE = "runs/.lock"  # beside the replications, so a results folder lists no extra file


@contextmanager
def writing(out: Path, started: float) -> Iterator[None]:
    """Hold the folder's lock while the results files are merged and written.

    Commands writing into one folder at once then write their tables, figures and report
    one after the other. Stale temporary files (``.NAME.XXXX.tmp``, left by a killed
    command) older than ``started`` are removed first: under the lock no live command is
    writing any.
    """
    from filelock import FileLock

    lock = out / LOCK_FILE
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock):
        remove_stale_temporaries(out, started)
        yield


def remove_stale_temporaries(out: Path, before: float) -> list[Path]:
    """Remove atomic-write leftovers in ``out`` and ``out/figures`` older than ``before``.

    Only names of the form the atomic writer uses (``.NAME.XXXXXXXX.tmp``) are touched.

    Returns:
        The files removed.
    """
    removed = []
    for folder in (out, out / "figures"):
        for path in folder.glob(".*.tmp"):
            try:
                if (
                    _ATOMIC_TMP.fullmatch(path.name)
                    and path.is_file()
                    and path.stat().st_mtime < before
                ):
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue
    return removed
