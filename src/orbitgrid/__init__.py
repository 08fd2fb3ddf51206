"""orbitgrid: the open digital twin and operating system for computing in orbit.

import orbitgrid
run = orbitgrid.simulate(orbitgrid.load_scenario("demo"))
run.query("select * from contacts limit 5")
"""

from orbitgrid.errors import ScenarioError
from orbitgrid.results import Run
from orbitgrid.scenario import Scenario, load_scenario, preset_names
from orbitgrid.simulation import simulate

__all__ = ["Run", "Scenario", "ScenarioError", "load_scenario", "preset_names", "simulate"]
__version__ = "0.1.0"
