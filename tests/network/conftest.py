"""Shared helpers for the network tests: circular-orbit positions computed from elements."""

import numpy as np
import pytest

from orbitgrid.constants import EARTH_RADIUS_M


def circular_positions(planes, per_plane, altitude_m, inclination_deg, phase_f=0):
    """ECI positions (sat, 3) in metres of a Walker constellation at epoch, with the elements.

    Satellite index = plane * per_plane + slot; RAAN = 360 p / planes, argument of latitude
    u = 360 s / per_plane + 360 F p / (planes * per_plane). Returns (positions, raan, u, inc).
    """
    p, s = np.meshgrid(np.arange(planes), np.arange(per_plane), indexing="ij")
    raan = 2 * np.pi * p.ravel() / planes
    u = 2 * np.pi * s.ravel() / per_plane + 2 * np.pi * phase_f * p.ravel() / (planes * per_plane)
    inc = np.radians(inclination_deg)
    r = EARTH_RADIUS_M + altitude_m
    pos = r * np.stack(
        [
            np.cos(raan) * np.cos(u) - np.sin(raan) * np.sin(u) * np.cos(inc),
            np.sin(raan) * np.cos(u) + np.cos(raan) * np.sin(u) * np.cos(inc),
            np.sin(u) * np.sin(inc),
        ],
        axis=1,
    )
    return pos, raan, u, np.full(raan.shape, inc)


@pytest.fixture
def walker():
    return circular_positions
