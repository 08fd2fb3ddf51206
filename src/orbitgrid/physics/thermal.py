"""Heat: radiator rejection, environmental loads, a lumped thermal mass, throttling.

Arrays are shaped (time, satellite); SI units (W, K, J, s, m). No I/O.

Model. One radiator panel of area A (one face) radiating from `sides` faces at one temperature T,
coupled to a lumped heat capacity C (J/K) that holds all the satellite's dissipation:

    C dT/dt = P_electrical + Q_env - eps sigma A sides (T^4 - T_sink^4)

Q_env, absorbed from the environment by the radiating faces, sums over faces f:
    eps * F_f * q_IR                         Earth infrared (Kirchhoff: IR absorptivity = eps)
  + alpha * F_f * a * S * max(0, r_hat.s_hat) albedo (cosine of the Sun at the sub-satellite point)
  + alpha * S * illumination * cos_sun_f      direct sunlight on the face
with F_f the view factor from the face to the Earth (a sphere, `view_factor_plate_to_sphere`).

Orientations (faces and their tilt from nadir; sunlight on them):
  nadir:      face 1 looks down (tilt 0), face 2 up (tilt pi); sides=1 keeps the nadir face.
  zenith:     face 1 looks up (tilt pi), face 2 down; sides=1 keeps the zenith face.
  edge-on:    both faces horizontal (tilt pi/2); fixed yaw, worst case: the Sun's horizontal
              component falls square on one face, cos = sqrt(1 - (r_hat.s_hat)^2).
  sun-shaded: both faces horizontal and yawed (or shaded) so no sunlight reaches them.

The integrator linearises the T^4 term at the start of each step and solves the linear ODE
exactly over the step (exponential Euler): stable for any dt, exact near equilibrium.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from orbitgrid.physics.power import solar_flux_w_m2

__all__ = [
    "DEEP_SPACE_K",
    "EARTH_ALBEDO",
    "EARTH_IR_W_M2",
    "EARTH_RADIUS_M",
    "STEFAN_BOLTZMANN_W_M2_K4",
    "ThermalState",
    "ThermalTrace",
    "absorbed_environment_w",
    "environment_from_geometry",
    "environment_w",
    "equilibrium_temperature_k",
    "heat_limited_power_w",
    "integrate_thermal",
    "rejected_power_w",
    "view_factor_plate_to_sphere",
]

STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # CODATA 2018, exact
EARTH_IR_W_M2 = 237.0  # mean outgoing longwave at the top of the atmosphere (Gilmore 2002)
EARTH_ALBEDO = 0.30  # mean Bond albedo (Gilmore 2002)
DEEP_SPACE_K = 2.7
EARTH_RADIUS_M = 6_371_000.0  # mean radius, for view factors (a sphere)

Array = NDArray[np.float64]


def view_factor_plate_to_sphere(distance_ratio: ArrayLike, tilt_rad: ArrayLike) -> Array:
    """View factor from a small flat plate to a sphere.

    distance_ratio H = r / R (centre distance over sphere radius, >= 1); tilt_rad: angle between
    the plate normal and the direction to the sphere's centre (0 = facing it).
    Closed form (J. R. Howell, A Catalog of Radiation Heat Transfer Configuration Factors,
    "differential planar element to sphere, element tilted"; checked against quadrature in tests):
      fully in view (tilt <= acos(1/H)):  F = cos(tilt) / H^2
      out of view (tilt >= pi - acos(1/H)): F = 0
      otherwise: F = 1/2 - asin(x / (H sin t)) / pi
                   + (cos t acos(-x cot t) - x sqrt(1 - H^2 cos^2 t)) / (pi H^2),  x = sqrt(H^2-1)
    """
    h = np.asarray(distance_ratio, dtype=float)
    t = np.asarray(tilt_rad, dtype=float)
    h, t = np.broadcast_arrays(h, t)
    x = np.sqrt(np.maximum(h * h - 1.0, 0.0))
    limit = np.arccos(np.clip(1.0 / h, -1.0, 1.0))
    full = np.cos(t) / (h * h)
    with np.errstate(divide="ignore", invalid="ignore"):
        sin_t = np.sin(t)
        cot_t = np.cos(t) / sin_t
        partial = (
            0.5
            - np.arcsin(np.clip(x / (h * sin_t), -1.0, 1.0)) / np.pi
            + (
                np.cos(t) * np.arccos(np.clip(-x * cot_t, -1.0, 1.0))
                - x * np.sqrt(np.maximum(1.0 - (h * np.cos(t)) ** 2, 0.0))
            )
            / (np.pi * h * h)
        )
    f = np.where(t <= limit, full, np.where(t >= np.pi - limit, 0.0, partial))
    return np.clip(f, 0.0, 1.0)


def rejected_power_w(
    temperature_k: ArrayLike,
    area_m2: ArrayLike,
    sides: ArrayLike,
    emissivity: ArrayLike,
    sink_k: float = DEEP_SPACE_K,
) -> Array:
    """Power radiated W: eps * sigma * A * sides * (T^4 - T_sink^4)."""
    t = np.asarray(temperature_k, dtype=float)
    g = _conductance(area_m2, sides, emissivity)
    return g * (t**4 - sink_k**4)


def equilibrium_temperature_k(
    heat_w: ArrayLike,
    area_m2: ArrayLike,
    sides: ArrayLike,
    emissivity: ArrayLike,
    sink_k: float = DEEP_SPACE_K,
) -> Array:
    """Radiator temperature K at which rejection equals `heat_w` (total absorbed + dissipated)."""
    q = np.asarray(heat_w, dtype=float)
    return (q / _conductance(area_m2, sides, emissivity) + sink_k**4) ** 0.25


def heat_limited_power_w(
    max_temp_k: ArrayLike,
    environment_w: ArrayLike,
    area_m2: ArrayLike,
    sides: ArrayLike,
    emissivity: ArrayLike,
    sink_k: float = DEEP_SPACE_K,
) -> Array:
    """Steady dissipation W the radiator can reject at max_temp_k, after environmental loads."""
    return rejected_power_w(max_temp_k, area_m2, sides, emissivity, sink_k) - np.asarray(
        environment_w, dtype=float
    )


def absorbed_environment_w(
    orientation: str,
    r_eci_m: ArrayLike,
    sun_eci_m: ArrayLike,
    illumination: ArrayLike,
    sun_distance_au: ArrayLike,
    area_m2: ArrayLike,
    sides: int,
    emissivity: ArrayLike,
    absorptivity: ArrayLike,
    earth_ir_w_m2: float = EARTH_IR_W_M2,
    albedo: float = EARTH_ALBEDO,
) -> Array:
    """Earth IR, albedo and direct sunlight absorbed by the radiating faces, W, (time, sat).

    r_eci_m (time, sat, 3), sun_eci_m (time, 3), illumination (time, sat) in [0, 1],
    sun_distance_au (time,). See the module docstring for the orientations.
    """
    r = np.asarray(r_eci_m, dtype=float)
    r_norm = np.sqrt(np.einsum("tsk,tsk->ts", r, r))
    sun = np.asarray(sun_eci_m, dtype=float)
    s_hat = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    # cosine of the Sun's zenith angle; the Sun seen from the Earth's centre (parallax < 5e-5)
    mu = np.einsum("tsk,tk->ts", r, s_hat) / r_norm
    return environment_from_geometry(
        orientation, r_norm, mu, illumination, solar_flux_w_m2(sun_distance_au)[..., None],
        area_m2, sides, emissivity, absorptivity, earth_ir_w_m2, albedo,
    )


def environment_from_geometry(
    orientation: str,
    r_norm_m: ArrayLike,
    cos_sun_zenith: ArrayLike,
    illumination: ArrayLike,
    flux_w_m2: ArrayLike,
    area_m2: ArrayLike,
    sides: int,
    emissivity: ArrayLike,
    absorptivity: ArrayLike,
    earth_ir_w_m2: float = EARTH_IR_W_M2,
    albedo: float = EARTH_ALBEDO,
) -> Array:
    """absorbed_environment_w from geometry already at hand, W (time, sat).

    r_norm_m: distance from the Earth's centre (time, sat) m; cos_sun_zenith: r_hat . s_hat
    (time, sat), the Sun seen from the Earth's centre; flux_w_m2 broadcasting against them.
    """
    mu = np.asarray(cos_sun_zenith, dtype=float)
    flux = np.asarray(flux_w_m2, dtype=float)
    h = np.maximum(np.asarray(r_norm_m, dtype=float) / EARTH_RADIUS_M, 1.0)
    faces = _faces(orientation, sides, mu)
    eps, alpha = np.asarray(emissivity), np.asarray(absorptivity)
    # faces at one tilt share their view factor: sum them, then Earth IR and albedo once
    view = {tilt: _face_view_factor(h, tilt) for tilt in {tilt for tilt, _ in faces}}
    f = sum(view[tilt] for tilt, _ in faces)
    total = f * (eps * earth_ir_w_m2 + alpha * albedo * flux * np.maximum(mu, 0.0))
    lit = [cos_sun for _, cos_sun in faces if cos_sun is not None]
    if lit:
        total += alpha * flux * np.asarray(illumination, dtype=float) * sum(lit)
    return total * np.asarray(area_m2)


def environment_w(
    orientation: str,
    r_norm_m: np.ndarray,
    cos_sun_zenith: np.ndarray,
    illumination: np.ndarray,
    flux_w_m2: np.ndarray,
    area_m2: float,
    sides: int,
    emissivity: float,
    absorptivity: float,
) -> Array:
    """environment_from_geometry in one compiled pass: (time, sat) inputs, flux (time,) W/m2,
    one radiator (scalar properties); Earth IR and albedo at their defaults."""
    counts = np.array(_face_counts(orientation, sides), dtype=float)
    out = np.empty(np.shape(r_norm_m))
    _environment_kernel(np.asarray(r_norm_m, dtype=float), np.asarray(cos_sun_zenith, dtype=float),
                        np.asarray(illumination, dtype=float),
                        np.ascontiguousarray(flux_w_m2, dtype=float), counts, float(area_m2),
                        float(emissivity) * EARTH_IR_W_M2, float(absorptivity), out)
    return out


def _face_counts(orientation: str, sides: int) -> tuple[int, int, int, int, int]:
    """The faces of _faces counted: (looking down, looking sideways, lit from below as
    max(-mu, 0), lit from above as max(mu, 0), lit edge-on as sqrt(1 - mu^2))."""
    if orientation == "nadir":
        return (1, 0, 1, 0, 0) if sides == 1 else (1, 0, 1, 1, 0)
    if orientation == "zenith":
        return (0, 0, 0, 1, 0) if sides == 1 else (1, 0, 1, 1, 0)
    if orientation == "edge-on":
        return (0, sides, 0, 0, 1)
    if orientation == "sun-shaded":
        return (0, sides, 0, 0, 0)
    raise ValueError(
        f"orientation: unknown {orientation!r}; known: edge-on, nadir, zenith, sun-shaded"
    )


@njit(cache=True)
def _environment_kernel(r_norm, mu, lit, flux, counts, area, eps_ir, alpha, out):
    n_down, n_side, lit_down, lit_up, lit_edge = counts[0], counts[1], counts[2], counts[3], \
        counts[4]
    for i in range(r_norm.shape[0]):
        for s in range(r_norm.shape[1]):
            h = r_norm[i, s] / EARTH_RADIUS_M
            if h < 1.0:
                h = 1.0
            m = mu[i, s]
            up, down = _positive(m), _positive(-m)
            f = n_down / (h * h)
            if n_side:
                x = math.sqrt(_positive(h * h - 1.0))
                f += n_side * (math.atan2(1.0, x) - x / (h * h)) / math.pi
            total = f * (eps_ir + alpha * EARTH_ALBEDO * flux[i] * up)
            cos_sun = lit_down * down + lit_up * up + lit_edge * math.sqrt(_positive(1.0 - m * m))
            out[i, s] = (total + alpha * flux[i] * lit[i, s] * cos_sun) * area


@njit(inline="always")
def _positive(x):
    """np.maximum(x, 0): NaN stays NaN."""
    return 0.0 if x < 0.0 else x


def _face_view_factor(h: Array, tilt: float) -> Array:
    """view_factor_plate_to_sphere with cheap closed forms for the three tilts the faces use."""
    if tilt == 0.0:
        return 1.0 / (h * h)
    if tilt == np.pi:
        return np.zeros_like(h)
    if tilt == np.pi / 2:
        x = np.sqrt(np.maximum(h * h - 1.0, 0.0))
        return (np.arctan2(1.0, x) - x / (h * h)) / np.pi
    return view_factor_plate_to_sphere(h, tilt)


def _faces(orientation: str, sides: int, mu: Array) -> list[tuple[float, Array | None]]:
    """(tilt from nadir, cosine of the Sun on the face, None if never lit) for each face."""
    zero = None
    if orientation in ("nadir", "zenith"):
        down = (0.0, np.maximum(-mu, 0.0))
        up = (np.pi, np.maximum(mu, 0.0))
        first, second = (down, up) if orientation == "nadir" else (up, down)
        return [first, second][:sides]
    if orientation == "edge-on":
        lit = (np.pi / 2, np.sqrt(np.maximum(1.0 - mu * mu, 0.0)))
        return [lit, (np.pi / 2, zero)][:sides]
    if orientation == "sun-shaded":
        return [(np.pi / 2, zero)] * sides
    raise ValueError(
        f"orientation: unknown {orientation!r}; known: edge-on, nadir, zenith, sun-shaded"
    )


@dataclass(frozen=True)
class ThermalState:
    """Radiator / lumped-mass temperature per satellite, K, shape (sat,)."""

    temperature_k: Array


@dataclass(frozen=True)
class ThermalTrace:
    """Per step (time, sat): temperature at the step's end K, compute power run W, its ceiling W
    (the most that keeps T <= max_temp_k at the step's end), seconds throttled."""

    temperature_k: Array
    compute_w: Array
    compute_w_allowed: Array
    throttled_s: Array
    state: ThermalState


def integrate_thermal(
    compute_w: ArrayLike,
    other_heat_w: ArrayLike,
    environment_w: ArrayLike,
    dt_s: float | ArrayLike,
    area_m2: ArrayLike,
    sides: ArrayLike,
    emissivity: ArrayLike,
    heat_capacity_j_k: ArrayLike,
    max_temp_k: ArrayLike,
    state: ThermalState,
    sink_k: float = DEEP_SPACE_K,
) -> ThermalTrace:
    """Step the lumped thermal mass, throttling compute so T never passes max_temp_k.

    compute_w: requested accelerator dissipation (time, sat); other_heat_w: housekeeping and
    other dissipation, never throttled; environment_w: absorbed loads (absorbed_environment_w).
    If even zero compute would overheat, compute is 0 and T rises past the limit.
    """
    want = np.asarray(compute_w, dtype=float)
    shape = want.shape
    other = np.broadcast_to(np.asarray(other_heat_w, dtype=float), shape)
    env = np.broadcast_to(np.asarray(environment_w, dtype=float), shape)
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (shape[0],))
    g = _conductance(area_m2, sides, emissivity)
    c = np.asarray(heat_capacity_j_k, dtype=float)
    t_max = np.asarray(max_temp_k, dtype=float)

    temps, run, allowed, throttled = (np.empty(shape) for _ in range(4))
    temp = np.array(state.temperature_k, dtype=float, copy=True)
    for i in range(shape[0]):
        rejected = g * (temp**4 - sink_k**4)
        gain = _step_gain(4.0 * g * temp**3 / c, dt[i]) / c  # K per W of net heat over the step
        ceiling = (t_max - temp) / gain + rejected - other[i] - env[i]
        p = np.clip(want[i], 0.0, np.maximum(ceiling, 0.0))
        temp = temp + gain * (p + other[i] + env[i] - rejected)
        temps[i], run[i], allowed[i] = temp, p, np.maximum(ceiling, 0.0)
        throttled[i] = np.where(p < want[i], dt[i], 0.0)
    return ThermalTrace(temps, run, allowed, throttled, ThermalState(temperature_k=temp))


def _step_gain(rate_per_s: Array, dt_s: float) -> Array:
    """(1 - exp(-b dt)) / b, the exact response of dT/dt = a - b T over dt; dt when b -> 0."""
    b = np.asarray(rate_per_s, dtype=float)
    bdt = b * dt_s
    small = bdt < 1e-8
    safe = np.where(small, 1.0, b)
    return np.where(small, dt_s * (1.0 - 0.5 * bdt), -np.expm1(-bdt) / safe)


def _conductance(area_m2: ArrayLike, sides: ArrayLike, emissivity: ArrayLike) -> Array:
    """eps * sigma * A * sides, W/K^4."""
    return (
        np.asarray(emissivity, dtype=float)
        * STEFAN_BOLTZMANN_W_M2_K4
        * np.asarray(area_m2, dtype=float)
        * np.asarray(sides, dtype=float)
    )
