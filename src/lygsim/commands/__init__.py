"""The ``lygsim`` commands, one module each; :mod:`lygsim.cli` parses and dispatches.

``run``, ``compare``, ``calibrate``, ``capacity``, ``horizon``, ``study`` and ``report``
live in the module of their name, ``validate``, ``show``, ``schema`` and ``new`` in
:mod:`lygsim.commands.scenario`. :mod:`lygsim.commands.common` holds what they share (checked
settings, progress, the epilogue that writes the manifest, figures and report) and
:mod:`lygsim.commands.folder` the output folder (its name, creation and lock). Each command
takes the parsed arguments and the command line and returns the exit code.
"""
