"""States of every satellite at a block of sample times, and what follows from them.

One Samples object is handed to every stage of the pipeline (physics, network, ops) for each block
of steps; each derived quantity is computed once, when first asked for. Samples carries states
only: what a stage hands to the next is its own typed result (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from orbitgrid.constants import AU_M
from orbitgrid.orbits.frames import ecef_to_geodetic, teme_to_ecef
from orbitgrid.orbits.sun import beta_angle_rad, sun_geometry, sun_position_m
from orbitgrid.orbits.timescale import days_since_j2000, gmst_rad, julian_date

if TYPE_CHECKING:
    from orbitgrid.orbits.trajectory import Trajectory


class Samples:
    """Inertial r (T, N, 3) m and v (T, N, 3) m/s at times t_s (T,) s after epoch.

    v may be given as a function returning it, called only if a stage asks for velocities.
    """

    def __init__(
        self,
        epoch: np.datetime64,
        t_s: np.ndarray,
        r: np.ndarray,
        v: np.ndarray | Callable[[], np.ndarray],
    ):
        self.epoch = epoch
        self.t_s = t_s
        self.r_eci = r
        self._v = v

    @classmethod
    def from_trajectory(cls, traj: Trajectory, t_s: np.ndarray) -> Samples:
        """States interpolated on traj at times t_s; velocities only when first asked for."""
        return cls(traj.epoch, t_s, traj.positions(t_s), lambda: traj.velocities(t_s))

    @cached_property
    def v_eci(self) -> np.ndarray:
        """Inertial velocities (T, N, 3) m/s."""
        return self._v() if callable(self._v) else self._v

    @cached_property
    def gmst(self) -> np.ndarray:
        """Greenwich sidereal angle (T,) rad."""
        return gmst_rad(*julian_date(self.epoch, self.t_s))

    @cached_property
    def r_ecef(self) -> np.ndarray:
        """Earth-fixed positions (T, N, 3) m."""
        return teme_to_ecef(self.r_eci, self.gmst)

    @cached_property
    def geodetic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """WGS84 latitude, longitude (rad) and height (m), each (T, N)."""
        return ecef_to_geodetic(self.r_ecef)

    @cached_property
    def sun_eci(self) -> np.ndarray:
        """Geocentric Sun position (T, 3) m, same frame as r_eci."""
        return sun_position_m(days_since_j2000(self.epoch, self.t_s))

    @cached_property
    def sun_distance_au(self) -> np.ndarray:
        """Earth-Sun distance (T,) in astronomical units."""
        return np.linalg.norm(self.sun_eci, axis=-1) / AU_M

    @cached_property
    def _sun_geometry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return sun_geometry(self.r_eci, self.sun_eci)

    @property
    def illumination(self) -> np.ndarray:
        """Visible fraction of the Sun's disc (T, N): 1 lit, 0 umbra."""
        return self._sun_geometry[0]

    @property
    def r_norm(self) -> np.ndarray:
        """Distance from the Earth's centre (T, N) m."""
        return self._sun_geometry[1]

    @property
    def sun_cos_zenith(self) -> np.ndarray:
        """Cosine of the Sun's zenith angle (T, N) at each sub-satellite direction (r_hat . s_hat,
        the Sun seen from the Earth's centre); negative on the night side."""
        return self._sun_geometry[2]

    @cached_property
    def beta(self) -> np.ndarray:
        """Beta angle (T, N) rad: the Sun's elevation above each orbit plane."""
        return beta_angle_rad(self.r_eci, self.v_eci, self.sun_eci[:, None, :])
