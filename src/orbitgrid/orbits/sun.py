"""The Sun: analytic position, conical Earth shadow, beta angle. Metres, radians.

Sun position: the Astronomical Almanac's low-precision formula (section C5), quoted at 0.01 deg
from 1950 to 2050, in the equator and equinox of date, which SGP4's TEME frame approximates to
within nutation (< 20 arcsec).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from orbitgrid.constants import AU_M, EARTH_RADIUS_M, SUN_RADIUS_M


def sun_position_m(days_since_j2000: np.ndarray) -> np.ndarray:
    """Geocentric apparent Sun position (time, 3) in m, equator and equinox of date."""
    n = np.asarray(days_since_j2000, dtype=float)
    mean_longitude = np.deg2rad(280.460 + 0.9856474 * n)
    g = np.deg2rad(357.528 + 0.9856003 * n)
    ecliptic_longitude = mean_longitude + np.deg2rad(1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    obliquity = np.deg2rad(23.439 - 4.0e-7 * n)
    distance = AU_M * (1.00014 - 0.01671 * np.cos(g) - 0.00014 * np.cos(2 * g))
    return distance[..., None] * np.stack(
        [
            np.cos(ecliptic_longitude),
            np.cos(obliquity) * np.sin(ecliptic_longitude),
            np.sin(obliquity) * np.sin(ecliptic_longitude),
        ],
        axis=-1,
    )


def shadow_geometry(r: np.ndarray, sun: np.ndarray, earth_radius_m: float = EARTH_RADIUS_M):
    """Angles seen from satellites at r (..., 3) with the Sun at sun (broadcastable), radians.

    Returns (separation between the Earth's and the Sun's centres, Earth's apparent radius,
    Sun's apparent radius).
    """
    to_sun = sun - r
    r_norm = np.linalg.norm(r, axis=-1)
    sun_norm = np.linalg.norm(to_sun, axis=-1)
    cos_sep = -np.einsum("...k,...k->...", r, to_sun) / (r_norm * sun_norm)
    separation = np.arccos(np.clip(cos_sep, -1.0, 1.0))
    earth_radius = np.arcsin(np.clip(earth_radius_m / r_norm, -1.0, 1.0))
    sun_radius = np.arcsin(SUN_RADIUS_M / sun_norm)
    return separation, earth_radius, sun_radius


def illumination_fraction(separation, earth_radius, sun_radius) -> np.ndarray:
    """Fraction of the Sun's disc visible past the Earth's limb: 1 lit, 0 umbra, penumbra between.

    Overlap of two discs in the small-angle plane; an annular eclipse (Sun larger) leaves
    1 - (earth/sun)^2.
    """
    a, b, c = np.broadcast_arrays(earth_radius, sun_radius, separation)
    out = np.ones(c.shape)
    umbra = c <= a - b
    annular = c <= b - a
    partial = (c < a + b) & ~umbra & ~annular
    out[umbra] = 0.0
    out[annular] = 1.0 - (a[annular] / b[annular]) ** 2
    ap, bp, cp = a[partial], b[partial], c[partial]
    overlap = (
        ap**2 * np.arccos(np.clip((cp**2 + ap**2 - bp**2) / (2 * cp * ap), -1, 1))
        + bp**2 * np.arccos(np.clip((cp**2 + bp**2 - ap**2) / (2 * cp * bp), -1, 1))
        - 0.5
        * np.sqrt(np.maximum((-cp + ap + bp) * (cp + ap - bp) * (cp - ap + bp) * (cp + ap + bp), 0))
    )
    out[partial] = 1.0 - overlap / (np.pi * bp**2)
    return out


def sun_geometry(r: np.ndarray, sun: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Illumination fraction, |r| (m) and the cosine of the Sun's zenith angle, each (T, N).

    r (T, N, 3) satellite positions, sun (T, 3) the Sun, same frame. The illumination is
    illumination_fraction(*shadow_geometry(r, sun)); the zenith cosine is r_hat . sun_hat with
    the Sun seen from the Earth's centre. One compiled pass over r for all three.
    """
    r = np.asarray(r, dtype=float)
    sun = np.ascontiguousarray(sun, dtype=float)
    lit, r_norm, cos_zenith = (np.empty(r.shape[:2]) for _ in range(3))
    _sun_geometry(r, sun, EARTH_RADIUS_M, SUN_RADIUS_M, lit, r_norm, cos_zenith)
    return lit, r_norm, cos_zenith


@njit(cache=True)
def _sun_geometry(r, sun, earth_radius_m, sun_radius_m, lit, r_norm, cos_zenith):
    """sun_geometry's kernel: shadow_geometry and illumination_fraction, element by element."""
    day_side_min_m = earth_radius_m * 1.001
    for i in range(r.shape[0]):
        sx, sy, sz = sun[i, 0], sun[i, 1], sun[i, 2]
        sun_dist = math.sqrt(sx * sx + sy * sy + sz * sz)
        ux, uy, uz = sx / sun_dist, sy / sun_dist, sz / sun_dist
        far = sun_dist > 1e11  # m: the Sun's disc under 0.5 deg from within 1e10 m of the Earth
        for n in range(r.shape[1]):
            x, y, z = r[i, n, 0], r[i, n, 1], r[i, n, 2]
            rn = math.sqrt(x * x + y * y + z * z)
            tx, ty, tz = sx - x, sy - y, sz - z
            tn = math.sqrt(tx * tx + ty * ty + tz * tz)
            c = _clip1(-(x * tx + y * ty + z * tz) / (rn * tn))
            if c < 0.0 and rn > day_side_min_m and far:
                # the Sun and the Earth's centre more than 90 deg apart, the Earth's disc under
                # 87.5 deg and the Sun's under 0.5: no overlap, the value below would be 1 too
                lit[i, n] = 1.0
            else:
                lit[i, n] = _visible_fraction(
                    math.acos(c), math.asin(_clip1(earth_radius_m / rn)),
                    math.asin(sun_radius_m / tn),
                )
            r_norm[i, n] = rn
            cos_zenith[i, n] = (x * ux + y * uy + z * uz) / rn


@njit(inline="always")
def _clip1(x):  # pragma: no cover - compiled
    """x clipped to [-1, 1]; NaN stays NaN (as np.clip)."""
    return 1.0 if x > 1.0 else (-1.0 if x < -1.0 else x)


@njit(inline="always")
def _visible_fraction(c, a, b):  # pragma: no cover - compiled
    """illumination_fraction for one separation c, Earth radius a, Sun radius b (NaN: 1)."""
    if c <= b - a:
        return 1.0 - (a / b) ** 2
    if c <= a - b:
        return 0.0
    if not c < a + b:
        return 1.0
    overlap = (
        a * a * math.acos(_clip1((c * c + a * a - b * b) / (2 * c * a)))
        + b * b * math.acos(_clip1((c * c + b * b - a * a) / (2 * c * b)))
        - 0.5 * math.sqrt(max((-c + a + b) * (c + a - b) * (c - a + b) * (c + a + b), 0.0))
    )
    return 1.0 - overlap / (math.pi * b * b)


def beta_angle_rad(r: np.ndarray, v: np.ndarray, sun: np.ndarray) -> np.ndarray:
    """Angle (rad) between the Sun direction and the orbit plane, signed by the orbit normal."""
    h = np.cross(r, v)
    h /= np.linalg.norm(h, axis=-1, keepdims=True)
    s = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    return np.arcsin(np.clip(np.einsum("...k,...k->...", h, s), -1.0, 1.0))
