"""orbitgrid: the open digital twin and operating system for computing in orbit.

import orbitgrid
run = orbitgrid.simulate(orbitgrid.load_scenario("demo"))
run.query("select * from contacts limit 5")

The public names are imported from their modules on first use (PEP 562), so that importing a
part of orbitgrid (the `orbitgrid` command's `--help`, one model) does not load the whole engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from orbitgrid.errors import ScenarioError

if TYPE_CHECKING:
    from orbitgrid.results import Run
    from orbitgrid.scenario import Scenario, load_scenario, preset_names
    from orbitgrid.simulation import simulate

_HOME = {
    "Run": "orbitgrid.results",
    "Scenario": "orbitgrid.scenario",
    "load_scenario": "orbitgrid.scenario",
    "preset_names": "orbitgrid.scenario",
    "simulate": "orbitgrid.simulation",
}

__all__ = ["Run", "Scenario", "ScenarioError", "load_scenario", "preset_names", "simulate"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'orbitgrid' has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
