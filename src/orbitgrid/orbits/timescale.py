"""Time: scenario epoch plus float seconds, Julian dates for SGP4, sidereal angle.

UT1 is taken equal to UTC (|UT1 - UTC| < 0.9 s, about 400 m at the equator in Earth-fixed
positions at worst; near 0.1 s, 50 m, in 2025-2026).
"""

from __future__ import annotations

import numpy as np

_JD_UNIX_EPOCH = 2_440_587.5
_NS_PER_DAY = 86_400 * 10**9


def julian_date(epoch: np.datetime64, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Julian date of epoch + t_s seconds as (whole, fraction), the split SGP4 wants."""
    ns = int(np.datetime64(epoch, "ns").astype(np.int64))
    days, rem_ns = divmod(ns, _NS_PER_DAY)
    jd0 = _JD_UNIX_EPOCH + days
    fr = rem_ns / _NS_PER_DAY + np.asarray(t_s, dtype=float) / 86_400.0
    whole = np.floor(fr)
    return jd0 + whole, fr - whole


def gmst_rad(jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal angle (IAU 1982, as used with TEME), radians in [0, 2 pi)."""
    t_ut1 = ((jd - 2_451_545.0) + fr) / 36_525.0
    seconds = (
        -6.2e-6 * t_ut1**3
        + 0.093104 * t_ut1**2
        + (876_600.0 * 3600 + 8_640_184.812866) * t_ut1
        + 67_310.54841
    )
    return np.mod(np.deg2rad(seconds / 240.0), 2.0 * np.pi)


def days_since_j2000(epoch: np.datetime64, t_s: np.ndarray) -> np.ndarray:
    """Days since J2000.0 (2000-01-01 12:00 UTC) of epoch + t_s seconds."""
    jd, fr = julian_date(epoch, t_s)
    return (jd - 2_451_545.0) + fr
