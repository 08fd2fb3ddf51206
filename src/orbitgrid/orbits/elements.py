"""Mean Keplerian elements and the designed-constellation generators. Metres and radians.

Generators return `Elements` (arrays over satellites) and the satellites' names; angles are
referred to the TEME frame of the scenario epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.constants import EARTH_RADIUS_M, J2, MEAN_SUN_RATE_RAD_S, MU_EARTH_M3_S2

# The orbits simulated: below 100 km (the Karman line) an orbit re-enters within hours; beyond
# 100,000 km the Moon and the Sun, not the Earth's oblateness, shape it.
MIN_PERIGEE_ALTITUDE_M = 100e3
MAX_APOGEE_ALTITUDE_M = 100_000e3


def orbit_range_error(perigee_altitude_m: float, apogee_altitude_m: float) -> str | None:
    """Why an orbit with these altitudes above the equatorial radius (m) is not simulated, or
    None. Altitudes must be finite, perigee at least 100 km, apogee at most 100,000 km."""
    if not (np.isfinite(perigee_altitude_m) and np.isfinite(apogee_altitude_m)):
        return "must be a finite number"
    circular = perigee_altitude_m == apogee_altitude_m
    low, high = ("altitude", "altitude") if circular else ("perigee", "apogee")
    if perigee_altitude_m < 0:
        return f"{low} {perigee_altitude_m / 1e3:,.1f} km is inside the Earth"
    if perigee_altitude_m < MIN_PERIGEE_ALTITUDE_M:
        return (
            f"{low} {perigee_altitude_m / 1e3:,.1f} km is below "
            f"{MIN_PERIGEE_ALTITUDE_M / 1e3:g} km, where an orbit re-enters within hours"
        )
    if apogee_altitude_m > MAX_APOGEE_ALTITUDE_M:
        return (
            f"{high} {apogee_altitude_m / 1e3:,.6g} km is beyond "
            f"{MAX_APOGEE_ALTITUDE_M / 1e3:,.0f} km, outside the Earth orbits simulated"
        )
    return None


@dataclass(frozen=True)
class Elements:
    """Mean elements at the scenario epoch, one entry per satellite (m, -, rad)."""

    a_m: np.ndarray
    e: np.ndarray
    i: np.ndarray
    raan: np.ndarray
    argp: np.ndarray
    mean_anomaly: np.ndarray

    def __post_init__(self):
        for name in ("a_m", "e", "i", "raan", "argp", "mean_anomaly"):
            object.__setattr__(
                self, name, np.atleast_1d(np.asarray(getattr(self, name), dtype=float))
            )

    def __len__(self) -> int:
        return len(self.a_m)

    def subset(self, start: int, stop: int) -> Elements:
        """Elements of satellites start:stop."""
        return Elements(*(getattr(self, f)[start:stop] for f in _FIELDS))

    @staticmethod
    def concatenate(parts: list[Elements]) -> Elements:
        return Elements(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = ("a_m", "e", "i", "raan", "argp", "mean_anomaly")


def j2_rates(a_m, e, i) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Secular J2 rates (rad/s): node, argument of perigee, mean anomaly (mean motion included)."""
    n0 = np.sqrt(MU_EARTH_M3_S2 / a_m**3)
    p = a_m * (1.0 - e**2)
    k = 1.5 * J2 * (EARTH_RADIUS_M / p) ** 2
    sin2 = np.sin(i) ** 2
    raan_rate = -k * n0 * np.cos(i)
    argp_rate = 0.5 * k * n0 * (4.0 - 5.0 * sin2)
    mean_motion = n0 * (1.0 + 0.5 * k * np.sqrt(1.0 - e**2) * (2.0 - 3.0 * sin2))
    return raan_rate, argp_rate, mean_motion


def sun_synchronous_inclination(a_m, e=0.0) -> np.ndarray:
    """Inclination (rad) whose J2 nodal drift follows the mean Sun; NaN if none exists."""
    n0 = np.sqrt(MU_EARTH_M3_S2 / np.asarray(a_m, float) ** 3)
    p = a_m * (1.0 - np.asarray(e, float) ** 2)
    cos_i = -MEAN_SUN_RATE_RAD_S / (1.5 * J2 * (EARTH_RADIUS_M / p) ** 2 * n0)
    return np.arccos(np.where(np.abs(cos_i) <= 1.0, cos_i, np.nan))


def mean_sun_right_ascension(days_since_j2000: float) -> float:
    """Right ascension (rad) of the mean Sun, which sets the local time of the node."""
    return float(np.deg2rad(280.460 + 0.9856474 * days_since_j2000) % (2 * np.pi))


def raan_for_ltan(ltan_hours: float, days_since_j2000: float) -> float:
    """Node (rad) whose local time of ascending node is ltan_hours at the epoch."""
    return (mean_sun_right_ascension(days_since_j2000) + np.deg2rad((ltan_hours - 12.0) * 15.0)) % (
        2 * np.pi
    )


def walker(
    satellites: int,
    planes: int,
    phasing: int,
    a_m: float,
    i: float,
    kind: str = "delta",
    raan0: float = 0.0,
) -> Elements:
    """Walker delta (nodes over 360 deg) or star (over 180 deg) pattern t/p/f, circular orbits."""
    per_plane = satellites // planes
    plane = np.repeat(np.arange(planes), per_plane)
    slot = np.tile(np.arange(per_plane), planes)
    spread = 2 * np.pi if kind == "delta" else np.pi
    raan = raan0 + spread * plane / planes
    anomaly = 2 * np.pi * (slot / per_plane + phasing * plane / satellites)
    n = satellites
    return Elements(
        np.full(n, a_m),
        np.zeros(n),
        np.full(n, i),
        raan % (2 * np.pi),
        np.zeros(n),
        anomaly % (2 * np.pi),
    )


def sun_synchronous(
    satellites: int,
    planes: int,
    a_m: float,
    ltan_hours: float,
    days_since_j2000: float,
    phasing: int = 0,
) -> Elements:
    """Sun-synchronous circular orbits: planes spread in local time around ltan over 12 h."""
    i = float(sun_synchronous_inclination(a_m))
    base = raan_for_ltan(ltan_hours, days_since_j2000)
    elements = walker(satellites, planes, phasing, a_m, i, kind="star", raan0=base)
    if planes == 1:
        return elements
    # spread the planes over 180 deg of node centred on ltan, not starting at it
    shift = np.pi * (planes - 1) / planes / 2
    return Elements(
        elements.a_m,
        elements.e,
        elements.i,
        (elements.raan - shift) % (2 * np.pi),
        elements.argp,
        elements.mean_anomaly,
    )


def formation_lattice(satellites: int) -> np.ndarray:
    """Integer lattice points (satellites, 2) nearest the origin, in a deterministic order."""
    k = int(np.ceil(np.sqrt(satellites))) + 1
    g = np.arange(-k, k + 1)
    pts = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    order = np.lexsort((pts[:, 1], pts[:, 0], np.hypot(pts[:, 0], pts[:, 1])))
    return pts[order[:satellites]]


def formation(
    satellites: int,
    radius_m: float,
    a_m: float,
    i: float,
    raan: float,
    u0: float = 0.0,
) -> Elements:
    """A compact cluster of passive relative orbits around a circular reference orbit.

    Member k has relative motion c1*B1(u) + c2*B2(u) in the local radial / along-track /
    cross-track frame, with B1 = (sin u / 2, cos u, sin u) and B2 = (cos u / 2, -sin u, cos u)
    the two projected-circular orbits. The lattice (c1, c2) therefore rotates as a whole and
    neighbour distances breathe by at most sqrt(5)/2 over an orbit. All members share the
    reference semi-major axis, so nothing drifts along track; the inclination offsets make the
    nodes drift apart under J2 slowly: 81 members within 1 km at 650 km start 178-200 m from
    their nearest neighbours and spread to 153-217 m over a day (tests/orbits).
    """
    lattice = formation_lattice(satellites).astype(float)
    spacing = radius_m / (np.sqrt(1.25) * max(np.hypot(*lattice.T).max(), 1.0))
    rho1, rho2 = lattice[:, 0] * spacing, lattice[:, 1] * spacing
    ex, ey = -rho2 / (2 * a_m), -rho1 / (2 * a_m)
    d_i = rho1 / a_m
    d_raan = -rho2 / (a_m * np.sin(i))
    d_u = -d_raan * np.cos(i)
    e = np.hypot(ex, ey)
    argp = np.arctan2(ey, ex)
    n = satellites
    return Elements(
        np.full(n, a_m),
        e,
        i + d_i,
        (raan + d_raan) % (2 * np.pi),
        argp % (2 * np.pi),
        (u0 + d_u - argp) % (2 * np.pi),
    )
