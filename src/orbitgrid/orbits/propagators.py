"""Propagators: SGP4 for element sets, an analytical J2 model for designed constellations.

Each is a small strategy object over many satellites: `propagate(epoch, t_s)` gives inertial
(TEME) states shaped (time, satellite, 3) in m and m/s, and an error code per (time, satellite),
0 where the state is good (codes as sgp4.api.SGP4_ERRORS; NaN states where not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sgp4.api import SGP4_ERRORS, Satrec, SatrecArray

from orbitgrid.constants import MU_EARTH_M3_S2
from orbitgrid.orbits.elements import Elements, j2_rates
from orbitgrid.orbits.elsets import REFUSAL_MESSAGES, refusal_codes
from orbitgrid.orbits.timescale import julian_date

ERROR_MESSAGES = {0: "", **SGP4_ERRORS, **REFUSAL_MESSAGES}
# satellite-knots per call of the sgp4 package, which holds the GIL for a whole call (2 M
# satellite-knots: seconds): between calls the live twin's clock thread gets its turn
SGP4_CALL_SAT_KNOTS = 20_000


@dataclass(frozen=True)
class States:
    """Inertial positions r (m) and velocities v (m/s) shaped (time, satellite, 3), and errors."""

    r: np.ndarray
    v: np.ndarray
    error: np.ndarray


class SGP4Propagator:
    """SGP4/SDP4 over many element sets at once with the sgp4 package's SatrecArray."""

    def __init__(self, satrecs: list[Satrec]):
        self.satrecs = list(satrecs)
        self._array = SatrecArray(satrecs)
        self._count = len(satrecs)
        # element sets that are no Earth orbit fail from the start (orbitgrid.orbits.elsets)
        self._refused = refusal_codes(self.satrecs)

    def subset(self, start: int, stop: int) -> SGP4Propagator:
        """The propagator of satellites start:stop."""
        return SGP4Propagator(self.satrecs[start:stop])

    def __len__(self) -> int:
        return self._count

    def propagate(self, epoch: np.datetime64, t_s: np.ndarray) -> States:
        jd, fr = julian_date(epoch, t_s)
        error, r, v = self._sgp4(jd, fr)
        refused = self._refused != 0
        if refused.any():
            error[:, refused] = self._refused[refused]
            r[:, refused] = np.nan
            v[:, refused] = np.nan
        r *= 1e3
        v *= 1e3
        return States(r, v, error)

    def _sgp4(self, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, ...]:
        """SatrecArray.sgp4 over all times, in calls of at most SGP4_CALL_SAT_KNOTS
        satellite-knots (at least one time each): error (T, S), r km, v km/s (T, S, 3), each
        contiguous in that order (what the trajectory and the searches read)."""
        per = max(1, SGP4_CALL_SAT_KNOTS // max(self._count, 1))
        shape = (len(jd), self._count)
        error = np.empty(shape, np.uint8)
        r, v = np.empty((*shape, 3)), np.empty((*shape, 3))
        for a in range(0, len(jd), per):
            # sgp4 returns (satellite, time, 3)
            e_a, r_a, v_a = self._array.sgp4(jd[a : a + per], fr[a : a + per])
            error[a : a + per], r[a : a + per] = e_a.T, r_a.transpose(1, 0, 2)
            v[a : a + per] = v_a.transpose(1, 0, 2)
        return error, r, v


class J2Propagator:
    """Kepler motion with the secular J2 drift of node, perigee and mean anomaly."""

    def __init__(self, elements: Elements, elements_t_s: float = 0.0):
        self.elements = elements
        self._t0 = elements_t_s
        self._rates = j2_rates(elements.a_m, elements.e, elements.i)

    def __len__(self) -> int:
        return len(self.elements)

    def subset(self, start: int, stop: int) -> J2Propagator:
        """The propagator of satellites start:stop."""
        return J2Propagator(self.elements.subset(start, stop), self._t0)

    def propagate(self, epoch: np.datetime64, t_s: np.ndarray) -> States:
        el = self.elements
        dt = (np.asarray(t_s, dtype=float) - self._t0)[:, None]
        raan_rate, argp_rate, mean_motion = self._rates
        raan = el.raan + raan_rate * dt
        argp = el.argp + argp_rate * dt
        mean_anomaly = el.mean_anomaly + mean_motion * dt
        r, v = kepler_to_cartesian(el.a_m, el.e, el.i, raan, argp, mean_anomaly)
        return States(r, v, np.zeros(r.shape[:2], dtype=np.int8))


def solve_kepler(mean_anomaly: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Eccentric anomaly (rad) from mean anomaly by Newton's method, to 1e-12 rad for e < 0.99."""
    m = np.mod(mean_anomaly, 2 * np.pi)
    ecc = np.broadcast_to(e, m.shape)
    big_e = np.where(ecc < 0.8, m, np.pi)
    for _ in range(30):
        step = (big_e - ecc * np.sin(big_e) - m) / (1.0 - ecc * np.cos(big_e))
        big_e = big_e - step
        if np.all(np.abs(step) < 1e-12):
            break
    return big_e


def kepler_to_cartesian(a_m, e, i, raan, argp, mean_anomaly):
    """Inertial position (m) and velocity (m/s) (..., 3) from Keplerian elements (broadcast)."""
    big_e = solve_kepler(mean_anomaly, e)
    cos_e, sin_e = np.cos(big_e), np.sin(big_e)
    root = np.sqrt(1.0 - e**2)
    # perifocal coordinates
    x = a_m * (cos_e - e)
    y = a_m * root * sin_e
    edot = np.sqrt(MU_EARTH_M3_S2 / a_m**3) / (1.0 - e * cos_e)
    vx = -a_m * sin_e * edot
    vy = a_m * root * cos_e * edot
    co, so = np.cos(raan), np.sin(raan)
    cw, sw = np.cos(argp), np.sin(argp)
    ci, si = np.cos(i), np.sin(i)
    p = np.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si * np.ones_like(co)], -1)
    q = np.stack([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si * np.ones_like(co)], -1)
    return x[..., None] * p + y[..., None] * q, vx[..., None] * p + vy[..., None] * q
