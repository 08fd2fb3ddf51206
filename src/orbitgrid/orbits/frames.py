"""Frames: TEME inertial to Earth-fixed, WGS84 geodetic, topocentric elevation. Metres, radians."""

from __future__ import annotations

import numpy as np

from orbitgrid.constants import (
    EARTH_ECCENTRICITY_SQ,
    EARTH_FLATTENING,
    EARTH_RADIUS_M,
    EARTH_ROTATION_RAD_S,
)


def teme_to_ecef(r: np.ndarray, gmst: np.ndarray) -> np.ndarray:
    """Rotate positions (time, ..., 3) by the sidereal angle gmst (time,) into Earth-fixed axes.

    Polar motion (~10 m) is neglected.
    """
    c = np.cos(gmst).reshape(gmst.shape + (1,) * (r.ndim - 1 - gmst.ndim))
    s = np.sin(gmst).reshape(c.shape)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    return np.stack([c * x + s * y, -s * x + c * y, z], axis=-1)


def teme_to_ecef_velocity(r: np.ndarray, v: np.ndarray, gmst: np.ndarray) -> np.ndarray:
    """Earth-fixed velocity (m/s) from inertial r, v: rotate, then remove the Earth's rotation."""
    v_rot = teme_to_ecef(v, gmst)
    r_rot = teme_to_ecef(r, gmst)
    w = EARTH_ROTATION_RAD_S
    return v_rot + np.stack([w * r_rot[..., 1], -w * r_rot[..., 0], 0.0 * r_rot[..., 2]], axis=-1)


def geodetic_to_ecef(lat_rad, lon_rad, alt_m) -> np.ndarray:
    """WGS84 geodetic latitude, longitude (rad) and height (m) to Earth-fixed xyz (..., 3) in m."""
    lat, lon, alt = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lat_rad, lon_rad, alt_m))
    )
    n = EARTH_RADIUS_M / np.sqrt(1.0 - EARTH_ECCENTRICITY_SQ * np.sin(lat) ** 2)
    return np.stack(
        [
            (n + alt) * np.cos(lat) * np.cos(lon),
            (n + alt) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - EARTH_ECCENTRICITY_SQ) + alt) * np.sin(lat),
        ],
        axis=-1,
    )


def ecef_to_geodetic(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed xyz (..., 3) in m to WGS84 latitude, longitude (rad) and height (m).

    Bowring's method with two refinements: sub-millimetre for any Earth orbit.
    """
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    e2 = EARTH_ECCENTRICITY_SQ
    b = EARTH_RADIUS_M * np.sqrt(1.0 - e2)
    ep2 = e2 / (1.0 - e2)
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    beta = np.arctan2(z * EARTH_RADIUS_M, p * b)
    for _ in range(2):
        lat = np.arctan2(
            z + ep2 * b * np.sin(beta) ** 3, p - e2 * EARTH_RADIUS_M * np.cos(beta) ** 3
        )
        beta = np.arctan2((1.0 - EARTH_FLATTENING) * np.sin(lat), np.cos(lat))
    sin_lat = np.sin(lat)
    n = EARTH_RADIUS_M / np.sqrt(1.0 - e2 * sin_lat**2)
    alt = p * np.cos(lat) + (z + e2 * n * sin_lat) * sin_lat - n
    return lat, lon, alt


def local_up(lat_rad, lon_rad) -> np.ndarray:
    """Unit normal to the WGS84 ellipsoid (..., 3) at geodetic latitude and longitude (rad)."""
    lat, lon = np.broadcast_arrays(np.asarray(lat_rad, float), np.asarray(lon_rad, float))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def elevation_rad(
    sat_ecef: np.ndarray, station_ecef: np.ndarray, station_up: np.ndarray
) -> np.ndarray:
    """Elevation (rad) of satellites above stations' horizons; arrays broadcast over (..., 3)."""
    d = sat_ecef - station_ecef
    return np.arcsin(np.einsum("...k,...k->...", d, station_up) / np.linalg.norm(d, axis=-1))
