"""The commands that read scenarios without simulating: validate, show, schema, new."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lygsim.errors import UsageError


def validate_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim validate``: one OK line per valid file, one line per problem."""
    from lygsim.errors import ScenarioError
    from lygsim.kinds import check_file

    status = 0
    for f in args.files:
        try:
            checked = check_file(f, args.overrides)
        except ScenarioError as exc:
            for line in exc.lines():
                print(line)
            status = 2
        else:
            for warning in checked.warnings:
                print(warning.as_warning())
            kind = "" if checked.kind == "scenario" else f"{checked.kind} "
            print(f"{f}: OK ({kind}{checked.name})")
    return status


def show_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim show``: the resolved scenario as YAML."""
    from lygsim.loader import load_scenario, show_comments, to_yaml

    scenario = load_scenario(args.file, args.overrides)
    # comments first: the output stays a valid scenario file
    sys.stdout.write("".join(f"{line}\n" for line in show_comments(scenario)))
    sys.stdout.write(to_yaml(scenario))
    return 0


def schema_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim schema``: the JSON Schema or the Markdown reference."""
    from lygsim.schema_doc import json_schema_text, reference_markdown

    sys.stdout.write(reference_markdown() if args.markdown else json_schema_text())
    return 0


def new_command(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """Carry out ``lygsim new``: a small commented scenario for a new port."""
    from lygsim import newport

    if args.list_kinds:
        print(newport.kinds_table())
        return 0
    if args.name is None:
        raise UsageError("lygsim new: NAME is required, e.g. lygsim new my_port (or --list)")
    path, terminals = newport.write_new(args.name, args.terminals, args.out, args.force)
    asked = ", ".join(f"{c.value} ({n} berth{'s' * (n > 1)})" for c, n in terminals)
    print(f"wrote {path}: {asked}")
    print(f"next: lygsim validate {path} && lygsim run {path} --reps 5")
    return 0
