"""Vessel kinds beyond ship classes, each one file in this package.

Importing the package imports every module in it, so a kind's file registers the kind
(:func:`lygsim.vessels.base.register`) and the scenario language offers it as a
``services:`` variant at once: adding a vessel kind is adding a file here. The shuttle
service (:class:`lygsim.scenario.Shuttle`) is the built-in kind, with its load list and
data corridor in :mod:`lygsim.model.services`; see docs/model.md, "Adding a vessel kind".
"""

from __future__ import annotations

import importlib
import pkgutil

from lygsim.vessels.base import KINDS, CallPlan, VesselRun, VesselService, register

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["KINDS", "CallPlan", "VesselRun", "VesselService", "register"]
