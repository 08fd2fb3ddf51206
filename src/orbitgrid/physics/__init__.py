"""Satellite physics (the Environment stage): power, heat and radiation kernels over
(time, satellite) arrays in SI units, and the scenario's `satellite:` block. No I/O."""

from orbitgrid.physics.satellite import (
    Satellite,
    SatelliteError,
    SatelliteSpec,
    resolve_satellite,
)

__all__ = ["Satellite", "SatelliteError", "SatelliteSpec", "resolve_satellite"]
