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

# the module that defines each public name (under the same name)
_LAZY = {
    "load_scenario": "lygsim.loader",
    "simulate": "lygsim.simulation",
    "run_experiment": "lygsim.experiment",
    "compare": "lygsim.comparison",
    "LygsimError": "lygsim.errors",
    "ScenarioError": "lygsim.errors",
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

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lygsim' has no attribute '{name}'")
