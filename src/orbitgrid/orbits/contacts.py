"""Ground contacts: when each satellite stands above each station's elevation mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.constants import EARTH_ROTATION_RAD_S, MU_EARTH_M3_S2
from orbitgrid.orbits.events import Intervals, find_intervals, refine_root
from orbitgrid.orbits.frames import geodetic_to_ecef, local_up, teme_to_ecef
from orbitgrid.orbits.trajectory import Trajectory

# Allowance in the spherical-Earth pre-filter for the geodetic vertical (< 0.2 deg off radial).
_MASK_MARGIN_RAD = np.deg2rad(0.5)
_KNOT_BLOCK = 16


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

    A cheap spherical-Earth test on every (knot, satellite, station) keeps only the knot
    intervals where the satellite may be above the mask; the event search does the rest. The
    peak is where the elevation rate changes sign.
    """
    n_st = len(stations)
    if n_st == 0:
        return Intervals.empty(), np.zeros(0)
    j, pair = _candidates(traj, stations)
    ranged = bool(np.isfinite(stations.max_range).any())

    def geometry(p, t):
        ecef, v = traj.ecef_at(p // n_st, t)
        d = ecef - stations.ecef[p % n_st]
        rng = np.linalg.norm(d, axis=-1)
        sin_el = np.einsum("ij,ij->i", d, stations.up[p % n_st]) / rng
        return ecef, v, d, rng, sin_el

    def evaluate(p, t):
        """Negative in contact: mask minus elevation (rad), or the relative excess over the
        maximum range; with a bound on its rate (the line of sight's turn, or range rate)."""
        ecef, v, d, rng, sin_el = geometry(p, t)
        v_ecef = teme_to_ecef(v, traj.gmst(t)) - np.cross(_EARTH_SPIN, ecef)
        turn = np.linalg.norm(np.cross(d, v_ecef), axis=-1) / rng**2
        below = stations.mask[p % n_st] - np.arcsin(sin_el)
        if not ranged:
            return below, turn
        max_range = stations.max_range[p % n_st]
        beyond = rng / max_range - 1.0  # -1 where there is no maximum range
        return np.maximum(below, beyond), np.maximum(
            turn, np.linalg.norm(v_ecef, axis=-1) / max_range
        )

    def falling(p, t):
        """Minus the elevation rate (rad/s): negative while rising, positive after the peak."""
        ecef, v, d, rng, sin_el = geometry(p, t)
        v_ecef = teme_to_ecef(v, traj.gmst(t)) - np.cross(_EARTH_SPIN, ecef)
        up = stations.up[p % n_st]
        rate_sin = (
            np.einsum("ij,ij->i", v_ecef, up) - sin_el * np.einsum("ij,ij->i", d, v_ecef) / rng
        ) / rng
        return -rate_sin / np.sqrt(np.maximum(1 - sin_el**2, 1e-12)), rng

    # evaluate each (pair, knot) once, though neighbouring candidate intervals share knots
    key, inverse = np.unique(
        np.concatenate([pair * len(traj.t_s) + j, pair * len(traj.t_s) + j + 1]),
        return_inverse=True,
    )
    f_knot, rate_knot = evaluate(key // len(traj.t_s), traj.t_s[key % len(traj.t_s)])
    ia, ib = inverse[: len(j)], inverse[len(j) :]
    known = (f_knot[ia], f_knot[ib], rate_knot[ia], rate_knot[ib])
    found = find_intervals(
        pair,
        traj.t_s[j],
        traj.t_s[j + 1],
        evaluate,
        (traj.t_s[0], traj.t_s[-1]),
        resolution_s,
        known,
    )
    a, b = found.start_s, found.end_s
    fa, fb = falling(found.pair, a)[0], falling(found.pair, b)[0]
    rises_then_falls = (fa < 0) & (fb > 0)
    t_peak = np.where(fa >= 0, a, b)  # monotonic within the window: the peak is at an end
    t_peak[rises_then_falls] = refine_root(
        found.pair[rises_then_falls],
        a[rises_then_falls],
        b[rises_then_falls],
        fa[rises_then_falls],
        fb[rises_then_falls],
        falling,
        0.05,
    )
    peak = np.arcsin(geometry(found.pair, t_peak)[4])
    return found, peak


_EARTH_SPIN = np.array([0.0, 0.0, EARTH_ROTATION_RAD_S])


def _candidates(traj: Trajectory, stations: Stations) -> tuple[np.ndarray, np.ndarray]:
    """(knot interval, pair) where the satellite may be above the station's mask."""
    n_knots, n_st = len(traj.t_s), len(stations)
    st_radius = np.linalg.norm(stations.ecef, axis=-1)
    st_dir = stations.ecef / st_radius[:, None]
    h = np.diff(traj.t_s).max(initial=0.0)
    # Stations sharing a mask share one reach angle, taken at the lowest station radius (the
    # widest); the geodetic vertical is allowed for by lowering the mask a little.
    masks, group = np.unique(stations.mask, return_inverse=True)
    el = np.maximum(masks - _MASK_MARGIN_RAD, -np.pi / 2 + 1e-9)
    radius = np.array([st_radius[group == g].min() for g in range(len(masks))])
    out_j, out_p = [], []
    for k0 in range(0, n_knots - 1, _KNOT_BLOCK):
        ks = slice(k0, min(k0 + _KNOT_BLOCK, n_knots - 1) + 1)  # blocks share their last knot
        r, v = traj.r[ks], traj.v[ks]
        r_norm = np.linalg.norm(r, axis=-1)
        ecef = teme_to_ecef(r, traj.gmst(traj.t_s[ks]))
        speed = np.linalg.norm(
            teme_to_ecef(v, traj.gmst(traj.t_s[ks])) - np.cross(_EARTH_SPIN, ecef), axis=-1
        )
        radial = (
            np.abs(np.einsum("...k,...k->...", r, v)) / r_norm + MU_EARTH_M3_S2 / r_norm**2 * h / 2
        )
        cos_psi = (ecef / r_norm[..., None]) @ st_dir.T  # (k, N, S)
        reach = np.empty((len(masks),) + r_norm.shape)
        near = np.empty(cos_psi.shape, bool)
        for g in range(len(masks)):
            # central angle within which a satellite at radius r is above the mask (spherical
            # Earth), widened by how far it and the satellite can move in half an interval
            x = np.clip(radius[g] * np.cos(el[g]) / r_norm, -1.0, 1.0)
            psi_max = np.arccos(x) - el[g]
            dpsi_dr = x / (r_norm * np.sqrt(np.maximum(1.0 - x**2, 1e-12)))
            reach[g] = psi_max + 1.1 * (speed / r_norm + dpsi_dr * radial) * h / 2
            cols = group == g
            near[..., cols] = cos_psi[..., cols] > np.cos(np.minimum(reach[g], np.pi))[..., None]
        # loose test first: within reach at either end; then the two-ends bound on the few left
        kk, sat, st = np.nonzero(near[:-1] | near[1:])
        psi = np.arccos(np.clip(cos_psi[[kk, kk + 1], sat, st], -1.0, 1.0))
        room = reach[group[st], kk, sat] + reach[group[st], kk + 1, sat] - psi[0] - psi[1]
        keep = room > 0
        out_j.append(kk[keep] + k0)
        out_p.append(sat[keep].astype(np.int64) * n_st + st[keep])
    return np.concatenate(out_j), np.concatenate(out_p)
