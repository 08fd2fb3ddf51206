"""Electrical power: solar array generation and battery state of charge.

Arrays are shaped (time, satellite); SI units (W, J, s). No I/O. The battery integrator loops over
time only and returns its final state, so the next time chunk continues from it.

Energy bookkeeping per step of length dt (all J), exact for every satellite:

    generated = served + stored_change + curtailed + loss
    served    = load - unmet

Charge and discharge each lose sqrt(round-trip efficiency).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from orbitgrid.physics.satellite import Solar

__all__ = [
    "BatteryState",
    "BatteryTrace",
    "array_power_w",
    "SECONDS_PER_YEAR",
    "SOLAR_CONSTANT_W_M2",
    "degradation_factor",
    "generated_power_w",
    "incidence_cosine",
    "integrate_battery",
    "solar_flux_w_m2",
]

# Total solar irradiance at 1 AU, solar minimum (Kopp & Lean 2011, GRL 38, L01706)
SOLAR_CONSTANT_W_M2 = 1361.0
SECONDS_PER_YEAR = 365.25 * 86_400.0

Array = NDArray[np.float64]


def solar_flux_w_m2(sun_distance_au: ArrayLike) -> Array:
    """Solar irradiance W/m2 at a distance from the Sun in AU (inverse square)."""
    d = np.asarray(sun_distance_au, dtype=float)
    return SOLAR_CONSTANT_W_M2 / (d * d)


def incidence_cosine(pointing: str, r_eci_m: ArrayLike, sun_eci_m: ArrayLike) -> Array:
    """Cosine of the Sun's angle to the array normal, (time, sat), clipped at 0.

    r_eci_m (time, sat, 3) satellite positions; sun_eci_m (time, 3) Sun position, same frame.
    Modes:
      sun-tracking: two-axis tracking, normal on the Sun: 1.
      body-fixed:   array on the zenith face of a nadir-pointing bus (normal +r_hat):
                    max(0, r_hat . s_hat). Lit fully when the Sun is overhead, not at all
                    behind the Earth's limb.
      nadir:        array facing the Earth (normal -r_hat): max(0, -r_hat . s_hat).
    s_hat points from the satellite to the Sun (parallax included).
    """
    r = np.asarray(r_eci_m, dtype=float)
    if pointing == "sun-tracking":
        return np.ones(r.shape[:-1])
    sun = np.asarray(sun_eci_m, dtype=float)[..., None, :]
    c = np.einsum("tsk,tsk->ts", _unit(r), _unit(sun - r))
    if pointing == "body-fixed":
        return np.maximum(c, 0.0)
    if pointing == "nadir":
        return np.maximum(-c, 0.0)
    raise ValueError(f"pointing: unknown mode {pointing!r}; known: sun-tracking, body-fixed, nadir")


def degradation_factor(
    t_s: ArrayLike, degradation_per_year: float, age_years_at_epoch: float = 0.0
) -> Array:
    """Remaining array output fraction (1 - rate)**years at times t_s (s from the epoch)."""
    years = age_years_at_epoch + np.asarray(t_s, dtype=float) / SECONDS_PER_YEAR
    return (1.0 - degradation_per_year) ** years


def generated_power_w(
    flux_w_m2: ArrayLike,
    cosine: ArrayLike,
    illumination: ArrayLike,
    area_m2: ArrayLike,
    efficiency: ArrayLike,
    packing: ArrayLike,
    degradation: ArrayLike = 1.0,
) -> Array:
    """Array output W, (time, sat): flux * area * efficiency * packing * cos * illumination * degr.

    flux_w_m2 and degradation are (time,); cosine and illumination (time, sat); area_m2,
    efficiency and packing scalars or (sat,).
    """
    flux = np.asarray(flux_w_m2, dtype=float)
    degr = np.asarray(degradation, dtype=float)
    per_time = (flux * degr)[..., None] if flux.ndim or degr.ndim else flux * degr
    geometry = np.asarray(cosine, dtype=float) * np.asarray(illumination, dtype=float)
    array = np.asarray(area_m2) * np.asarray(efficiency) * np.asarray(packing)
    return per_time * geometry * array


def array_power_w(
    solar: Solar,
    t_s: ArrayLike,
    r_eci_m: ArrayLike,
    sun_eci_m: ArrayLike,
    illumination: ArrayLike,
    sun_distance_au: ArrayLike,
    age_years_at_epoch: float = 0.0,
) -> Array:
    """Output W (time, sat) of a resolved `satellite.solar` block over one time chunk."""
    return generated_power_w(
        solar_flux_w_m2(sun_distance_au),
        incidence_cosine(solar.pointing, r_eci_m, sun_eci_m),
        illumination,
        solar.area_m2,
        solar.efficiency,
        solar.packing,
        degradation_factor(t_s, solar.degradation_per_year, age_years_at_epoch),
    )


@dataclass(frozen=True)
class BatteryState:
    """Stored energy per satellite, J, shape (sat,)."""

    energy_j: Array


@dataclass(frozen=True)
class BatteryTrace:
    """Per step (time, sat), J: stored energy at the step's end and where the energy went."""

    energy_j: Array
    served_j: Array
    unmet_j: Array
    curtailed_j: Array
    loss_j: Array
    state: BatteryState


def integrate_battery(
    generated_w: ArrayLike,
    load_w: ArrayLike,
    dt_s: float | ArrayLike,
    capacity_j: ArrayLike,
    floor_j: ArrayLike,
    efficiency: ArrayLike,
    state: BatteryState,
) -> BatteryTrace:
    """Step the battery through (time, sat) power arrays held constant over each step.

    dt_s: step length, scalar or (time,). capacity_j, floor_j (lowest allowed energy, J, i.e.
    capacity * (1 - max_dod)) and round-trip efficiency: scalars or (sat,). Surplus beyond a full
    battery is curtailed; a deficit the battery cannot cover above its floor is unmet.
    """
    gen = np.asarray(generated_w, dtype=float)
    load = np.broadcast_to(np.asarray(load_w, dtype=float), gen.shape)
    n_t = gen.shape[0]
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (n_t,))
    cap = np.asarray(capacity_j, dtype=float)
    floor = np.asarray(floor_j, dtype=float)
    eta = np.sqrt(np.asarray(efficiency, dtype=float))

    out = {k: np.empty(gen.shape) for k in ("energy", "served", "unmet", "curtailed", "loss")}
    energy = np.array(state.energy_j, dtype=float, copy=True)
    for i in range(n_t):
        net_j = (gen[i] - load[i]) * dt[i]
        surplus = np.maximum(net_j, 0.0)
        deficit = np.maximum(-net_j, 0.0)
        charge_in = np.minimum(surplus, np.maximum(cap - energy, 0.0) / eta)
        drawn = np.minimum(deficit / eta, np.maximum(energy - floor, 0.0))
        energy = energy + eta * charge_in - drawn
        out["energy"][i] = energy
        out["curtailed"][i] = surplus - charge_in
        out["unmet"][i] = np.maximum(deficit - eta * drawn, 0.0)  # rounding
        out["served"][i] = load[i] * dt[i] - out["unmet"][i]
        out["loss"][i] = (1.0 - eta) * (charge_in + drawn)
    return BatteryTrace(
        energy_j=out["energy"],
        served_j=out["served"],
        unmet_j=out["unmet"],
        curtailed_j=out["curtailed"],
        loss_j=out["loss"],
        state=BatteryState(energy_j=energy),
    )


def _unit(v: Array) -> Array:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)
