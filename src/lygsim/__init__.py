"""lygsim: a discrete-event logistics simulation of Lianyungang Port.

The public API is loaded lazily so that ``import lygsim`` stays light (no SimPy, pandas or
matplotlib until they are needed)::

    import lygsim
    scenario = lygsim.load_scenario("scenarios/lianyungang_2023.yaml", overrides=["..."])
    result = lygsim.simulate(scenario, seed=1, replication=0)
    result.kpis  # scope, name, metric, unit, value (see lygsim.scopes)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load_scenario",
    "simulate",
    "run_experiment",
    "compare",
    "LygsimError",
    "ScenarioError",
]

_LAZY = {
    "load_scenario": ("lygsim.loader", "load_scenario"),
    "simulate": ("lygsim.simulation", "simulate"),
    "run_experiment": ("lygsim.experiment", "run_experiment"),
    "compare": ("lygsim.comparison", "compare"),
    "LygsimError": ("lygsim.errors", "LygsimError"),
    "ScenarioError": ("lygsim.errors", "ScenarioError"),
}

if TYPE_CHECKING:  # pragma: no cover
    from lygsim.comparison import compare
    from lygsim.errors import LygsimError, ScenarioError
    from lygsim.experiment import run_experiment
    from lygsim.loader import load_scenario
    from lygsim.simulation import simulate


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lygsim' has no attribute '{name}'")
