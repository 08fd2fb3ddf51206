"""Ground contacts: when each satellite stands above each station's elevation mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.constants import EARTH_ROTATION_RAD_S
from orbitgrid.orbits.events import Intervals, find_intervals, maximise
from orbitgrid.orbits.frames import geodetic_to_ecef, local_up, teme_to_ecef
from orbitgrid.orbits.trajectory import Trajectory

# Allowance in the spherical-Earth pre-filter for the geodetic vertical (< 0.2 deg off radial).
_MASK_MARGIN_RAD = np.deg2rad(0.5)
_KNOT_BLOCK = 16


@dataclass(frozen=True)
class Stations:
    """Ground stations: WGS84 position (S, 3) m, local up (S, 3), elevation mask (S,) rad."""

    ecef: np.ndarray
    up: np.ndarray
    mask: np.ndarray

    @classmethod
    def from_geodetic(cls, lat_deg, lon_deg, alt_m, min_elevation_deg) -> Stations:
        lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
        return cls(geodetic_to_ecef(lat, lon, alt_m), local_up(lat, lon), np.deg2rad(min_elevation_deg))

    def __len__(self) -> int:
        return len(self.mask)


def contact_intervals(traj: Trajectory, stations: Stations, resolution_s: float = 0.5):
    """Contact intervals with pair = satellite * len(stations) + station, and peak elevations.

    A cheap spherical-Earth test on every (knot, satellite, station) keeps only the knot
    intervals where the satellite may be above the mask; the event search does the rest.
    """
    n_st = len(stations)
    if n_st == 0:
        return Intervals.empty(), np.zeros(0)
    j, pair = _candidates(traj, stations)

    def evaluate(p, t):
        ecef, v = traj.ecef_at(p // n_st, t)
        d = ecef - stations.ecef[p % n_st]
        rng = np.linalg.norm(d, axis=-1)
        el = np.arcsin(np.einsum("ij,ij->i", d, stations.up[p % n_st]) / rng)
        speed = np.linalg.norm(v, axis=-1) + EARTH_ROTATION_RAD_S * np.linalg.norm(ecef, axis=-1)
        return stations.mask[p % n_st] - el, speed / rng

    found = find_intervals(
        pair, traj.t_s[j], traj.t_s[j + 1], evaluate, (traj.t_s[0], traj.t_s[-1]), resolution_s
    )
    _, peak = maximise(found.pair, found.start_s, found.end_s, lambda p, t: -evaluate(p, t)[0])
    peak = peak + stations.mask[found.pair % n_st]
    return found, peak


def _candidates(traj: Trajectory, stations: Stations) -> tuple[np.ndarray, np.ndarray]:
    """(knot interval, pair) where the satellite may be above the station's mask."""
    n_knots = len(traj.t_s)
    st_radius = np.linalg.norm(stations.ecef, axis=-1)
    st_dir = stations.ecef / st_radius[:, None]
    el = np.maximum(stations.mask - _MASK_MARGIN_RAD, -np.pi / 2 + 1e-9)
    h = np.diff(traj.t_s).max(initial=0.0)
    near_j, near_p = [], []
    for k0 in range(0, n_knots, _KNOT_BLOCK):
        ks = slice(k0, min(k0 + _KNOT_BLOCK, n_knots))
        r_norm = np.linalg.norm(traj.r[ks], axis=-1)[..., None]               # (k, N, 1)
        speed = np.linalg.norm(traj.v[ks], axis=-1)[..., None] + EARTH_ROTATION_RAD_S * r_norm
        # Central angle within which a satellite at radius r is above the mask (spherical
        # Earth), widened by how far the satellite and that angle can move in half an interval.
        x = np.clip(st_radius * np.cos(el) / r_norm, -1.0, 1.0)                 # (k, N, S)
        psi_max = np.arccos(x) - el
        dpsi_dr = x / (r_norm * np.sqrt(np.maximum(1.0 - x**2, 1e-12)))
        reach = psi_max + 1.5 * speed * (1.0 / r_norm + dpsi_dr) * h / 2
        ecef = teme_to_ecef(traj.r[ks], traj.gmst(traj.t_s[ks]))
        cos_psi = (ecef / r_norm) @ st_dir.T                                   # (k, N, S)
        kk, sat, st = np.nonzero(cos_psi > np.cos(np.minimum(reach, np.pi)))
        near_j.append(kk + k0)
        near_p.append(sat.astype(np.int64) * len(stations) + st)
    near_j, near_p = np.concatenate(near_j), np.concatenate(near_p)
    # A knot near the station makes both knot intervals beside it candidates.
    j = np.concatenate([near_j - 1, near_j])
    p = np.concatenate([near_p, near_p])
    keep = (j >= 0) & (j < n_knots - 1)
    key = np.unique(p[keep].astype(np.int64) * n_knots + j[keep])
    return key % n_knots, key // n_knots
