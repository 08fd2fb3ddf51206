"""Ground contacts: when each satellite stands above each station's elevation mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.orbits.event_kernels import (
    contact_edges,
    contact_peaks,
    search_context,
    station_rows,
)
from orbitgrid.orbits.events import Intervals
from orbitgrid.orbits.frames import geodetic_to_ecef, local_up
from orbitgrid.orbits.trajectory import Trajectory

# Allowance in the spherical-Earth pre-filter for the geodetic vertical (< 0.2 deg off radial).
_MASK_MARGIN_RAD = np.deg2rad(0.5)


@dataclass(frozen=True)
class Stations:
    """Ground stations: WGS84 position (S, 3) m, local up (S, 3), elevation mask (S,) rad,
    and maximum slant range (S,) m, infinite where there is none."""

    ecef: np.ndarray
    up: np.ndarray
    mask: np.ndarray
    max_range: np.ndarray

    @classmethod
    def from_geodetic(
        cls, lat_deg, lon_deg, alt_m, min_elevation_deg, max_range_m=None
    ) -> Stations:
        lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
        mask = np.atleast_1d(np.deg2rad(min_elevation_deg))
        max_range = np.full(mask.shape, np.inf) if max_range_m is None else np.asarray(max_range_m)
        return cls(geodetic_to_ecef(lat, lon, alt_m), local_up(lat, lon), mask, max_range)

    @classmethod
    def from_scenario(cls, stations) -> Stations:
        """Geometry of scenario ground stations (with lat_deg, lon_deg, alt_m, ...)."""
        columns = ("lat_deg", "lon_deg", "alt_m", "min_elevation_deg")
        max_range = [np.inf if s.max_range_km is None else s.max_range_km * 1e3 for s in stations]
        return cls.from_geodetic(
            *(np.array([getattr(s, f) for s in stations], float) for f in columns),
            np.array(max_range, float),
        )

    def __len__(self) -> int:
        return len(self.mask)


def contact_intervals(traj: Trajectory, stations: Stations, resolution_s: float = 2.0):
    """Contact intervals with pair = satellite * len(stations) + station, and peak elevations.

    One compiled pass (event_kernels.contact_edges): a cheap spherical-Earth bound on every
    (knot interval, satellite, station) keeps only the intervals where the satellite may rise
    above the mask, and the event search refines the edges there. The peak is where the
    elevation rate changes sign.
    """
    if len(stations) == 0:
        return Intervals.empty(), np.zeros(0)
    rows = station_rows(stations.ecef, stations.up, stations.mask, stations.max_range)
    # Stations sharing a mask share one reach angle, taken at the lowest station radius (the
    # widest); the geodetic vertical is allowed for by lowering the mask a little.
    masks, group = np.unique(stations.mask, return_inverse=True)
    st_radius = np.linalg.norm(stations.ecef, axis=-1)
    radius = np.array([st_radius[group == g].min() for g in range(len(masks))])
    el = np.maximum(masks - _MASK_MARGIN_RAD, -np.pi / 2 + 1e-9)
    ctx = search_context(traj)
    edges = contact_edges(ctx, rows, group.astype(np.int64), radius, el,
                          bool(np.isfinite(stations.max_range).any()), float(resolution_s))
    found = Intervals.from_edges(edges)
    peak = contact_peaks(ctx, rows, found.pair, found.start_s, found.end_s)
    return found, peak
