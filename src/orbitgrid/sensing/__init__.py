"""Remote sensing: the `sensing:` block (schema), the alert model (alerts), its stage (stage).

The package itself exports the schema alone: the scenario imports it, and the model and the
stage sit above the scenario (tests/test_imports.py).
"""

from orbitgrid.sensing.schema import Event, RandomEvents, SensingSpec

__all__ = ["Event", "RandomEvents", "SensingSpec"]
