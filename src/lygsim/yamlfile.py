"""Reading one YAML file safely, whatever it is: every problem is one line naming the file.

Scenario and study files may come from anyone, so reading refuses what is not a regular
file (a named pipe would block, ``/dev/zero`` never ends), files over a size limit (checked
from ``stat`` before opening, so a huge sparse file costs nothing), nesting past a depth
limit (the YAML composer recurses), aliases that expand past a size limit ("billion
laughs"), recursive aliases and duplicate keys (the last one would silently win).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lygsim.errors import Problem, ScenarioError

MAX_FILE_BYTES = 5_000_000
"""Largest YAML file read; the 2023 baseline is about 50 kB."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists; a scenario needs about 7 levels."""
MAX_VALUES = 1_000_000
"""Most values (scalars, lists and mappings) a document may hold once its aliases are expanded."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(yaml.YAMLError):
    """A limit of :class:`_Loader` was passed; ``where`` is a dotted path or a line."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where
        self.message = message


class _Loader(yaml.SafeLoader):
    """The safe loader with limits on depth and alias expansion, and no duplicate keys.

    It tracks the path of the node being composed, for the messages.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._path: list[str | int | None] = []
        self._depth = 0
        # the expanded size of every node composed so far, aliased nodes counted once each
        self._sizes: dict[Node, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # noqa: D102
        if parent is not None:
            self._path.append(_step(index))
        try:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                target = self.anchors.get(event.anchor)
                # a node still being composed has no end mark yet: the alias is inside it
                if target is not None and target.end_mark is None:
                    raise _Refused(
                        self._dotted() or "(top level)",
                        "a YAML alias refers to itself (recursive anchor); not allowed",
                    )
                return super().compose_node(parent, index)
            event = self.peek_event()
            nested = isinstance(event, yaml.CollectionStartEvent)
            if nested:
                if self._depth >= MAX_DEPTH:
                    mark = event.start_mark
                    raise _Refused(
                        f"line {mark.line + 1}, column {mark.column + 1}",
                        f"nested deeper than {MAX_DEPTH} levels (the limit); "
                        "a scenario needs fewer than 10",
                    )
                self._depth += 1
            try:
                node = super().compose_node(parent, index)
            finally:
                if nested:
                    self._depth -= 1
            if node is None:  # the stubs allow it; PyYAML returns a node or raises
                return None
            size = self._sizes[node] = self._size(node)
            if size > MAX_VALUES:
                mark = node.start_mark
                raise _Refused(
                    f"line {mark.line + 1}, column {mark.column + 1}",
                    f"YAML aliases expand this to more than {MAX_VALUES:,} values (the limit); "
                    "an alias may be repeated, but not to build a huge document",
                )
            return node
        finally:
            if parent is not None:
                self._path.pop()

    # ``anchor`` is the anchor's name (str | None); the PyYAML stubs call it a dict
    def compose_mapping_node(self, anchor: Any) -> MappingNode:  # noqa: D102
        node: MappingNode = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode):
                continue
            ident = (key.tag, key.value)
            line = key.start_mark.line + 1
            if ident in seen:
                where = self._dotted(key.value if key.tag != _MERGE_TAG else "<<")
                raise _Refused(
                    where,
                    f"duplicate key (line {line}; first at line {seen[ident]}): list each key "
                    "once (YAML would silently keep the last)",
                )
            seen[ident] = line
        return node

    def _size(self, node: Node) -> int:
        # every child already has its size, shared (aliased) children included, so this
        # counts the expanded document without ever expanding it
        sizes = self._sizes
        if isinstance(node, SequenceNode):
            return 1 + sum(sizes.get(c, 1) for c in node.value)
        if isinstance(node, MappingNode):
            return 1 + sum(sizes.get(k, 1) + sizes.get(v, 1) for k, v in node.value)
        return 1

    def _dotted(self, last: str | None = None) -> str:
        parts = [p for p in self._path if p is not None]
        if last is not None:
            parts.append(last)
        text = ""
        for p in parts:
            text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
        return text


def _step(index: Any) -> str | int | None:
    """The path step of a child: its key, its list index, or None while composing a key."""
    if isinstance(index, int):
        return index
    if isinstance(index, ScalarNode):
        return str(index.value)
    return None


def read_bytes(path: Path, src: str | None = None) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`, refusing anything else.

    Raises:
        ScenarioError: One problem naming the file: missing, a symbolic link loop, not a
            regular file (directory, named pipe, device, socket), too large or unreadable.
    """
    src = str(path) if src is None else src

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(src, "", message)])

    try:
        info = os.stat(path)
    except OSError as exc:
        raise refuse(stat_problem(path, exc)) from None
    what = not_regular(info.st_mode)
    if what:
        raise refuse(what)
    if info.st_size > MAX_FILE_BYTES:
        raise refuse(
            f"file is larger than {MAX_FILE_BYTES:,} bytes (the limit): {info.st_size:,} bytes"
        )
    # O_NONBLOCK: should the file be swapped for a named pipe after the stat, opening it
    # must not wait for a writer
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise refuse(stat_problem(path, exc)) from None
    try:
        what = not_regular(os.fstat(fd).st_mode)
        if what:
            raise refuse(what)
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1  # the file may have grown since the stat
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"file is larger than {MAX_FILE_BYTES:,} bytes (the limit)")
    return raw


def stat_problem(path: Path, exc: OSError) -> str:
    """What an ``OSError`` from ``stat`` or ``open`` means for the user, in a few words."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return (
            "broken symbolic link (its target does not exist)"
            if os.path.islink(path)
            else "file not found"
        )
    if exc.errno == errno.ENOTDIR:
        return "file not found (a folder in its path is a file)"
    if exc.errno == errno.EACCES:
        return "cannot read: permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return f"cannot read: {exc.strerror or exc}"


def not_regular(mode: int) -> str | None:
    """Why a file of this ``st_mode`` cannot be read as YAML, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, expected a YAML file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; expected a YAML file"
    if stat.S_ISCHR(mode):
        return "is a character device (such as /dev/zero), not a regular file"
    if stat.S_ISBLK(mode):
        return "is a block device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML file as a mapping with string keys, with errors that name the file.

    Raises:
        ScenarioError: One problem naming the file and, where it applies, the line or the
            dotted path: see the module's description for what is refused.
    """
    path = Path(path)
    src = str(path)
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(src, "", f"not UTF-8 text (bad byte at offset {exc.start})")]
        ) from None
    try:
        loader = _Loader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise ScenarioError([Problem(src, exc.where, exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([Problem(src, where, f"malformed YAML: {problem}")]) from None
    except RecursionError:  # a safety net: the depth limit should stop this first
        raise ScenarioError(
            [Problem(src, "", f"nested too deeply (the limit is {MAX_DEPTH} levels)")]
        ) from None
    if data is None:
        raise ScenarioError([Problem(src, "", "file is empty; expected a mapping of sections")])
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(src, "", f"top level is a {kind_name(data)}; expected a mapping of sections")]
        )
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ScenarioError([Problem(src, str(bad[0]), "keys must be strings")])
    return data


def kind_name(value: Any) -> str:
    """A YAML-ish name of a value's type for messages: mapping, list, string, ..."""
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)
