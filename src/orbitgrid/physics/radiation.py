"""Radiation: particle flux, single-event rates, ionising dose, a seeded event stream.

Arrays are shaped (time, satellite); SI units except where the name says (cm2, rad, mm).

The model is deliberately simple, for trade studies, not for hardness assurance (use AP-9/AE-9,
CREME96 or SPENVIS for that). Two particle populations reach a device:

1. Trapped protons in the South Atlantic Anomaly (SAA), taken as a latitude/longitude box
   (lat -50..0 deg, lon -90..+40 deg, the usual mission-planning box), with a flux that grows
   with altitude as exp((h - h_ref) / H) and falls with shielding as exp(-(t - t_ref) / L):
       phi_saa = saa_flux_cm2_s * exp((h - h_ref)/H) * exp(-(t - t_ref)/L)   inside the box, else 0
   saa_flux_cm2_s is calibrated so that a 650 km dawn-dusk sun-synchronous orbit behind 10 mm Al
   (which spends ~10% of its time in the box) gets ~150 rad(Si) per year: Google's Suncatcher
   paper (2025) gives 750 rad(Si) for a five-year mission there.
2. Galactic cosmic rays, let in by the geomagnetic field as the Stormer cutoff (~cos^4 latitude)
   falls towards the poles; geographic latitude stands in for geomagnetic:
       phi_gcr = gcr_polar_flux + (gcr_equator_flux - gcr_polar_flux) * cos^4(lat)
   Orbits of higher inclination reach higher latitudes, so their mean flux rises.

Rates per device: rate = cross_section_cm2 * (phi_saa + phi_gcr), for single-event upsets (SEU,
corrected by ECC or a restart) and single-event functional interrupts (SEFI, the device hangs).
Dose: D = phi * S * 1.602e-10 Gy per (MeV/g), S the mass stopping power of silicon for the
penetrating protons (~8 MeV cm2/g near 70 MeV, NIST PSTAR). Every parameter here is an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_MODEL",
    "EVENT_DTYPE",
    "RadiationModel",
    "annual_dose_rad",
    "dose_rate_gy_s",
    "draw_events",
    "event_rate_per_s",
    "in_saa",
    "particle_flux_cm2_s",
]

GY_PER_MEV_PER_G = 1.602176634e-10  # 1 MeV/g = 1.602e-13 J / 1e-3 kg
RAD_PER_GY = 100.0
SECONDS_PER_YEAR = 365.25 * 86_400.0

Array = NDArray[np.float64]


@dataclass(frozen=True)
class RadiationModel:
    """Parameters of the flux model in the module docstring (all estimates; see there)."""

    saa_lat_deg: tuple[float, float] = (-50.0, 0.0)
    saa_lon_deg: tuple[float, float] = (-90.0, 40.0)
    saa_flux_cm2_s: float = 370.0  # penetrating protons in the box at h_ref behind t_ref
    reference_altitude_m: float = 650e3
    saa_scale_height_m: float = 150e3
    reference_shielding_mm_al: float = 10.0
    shielding_length_mm_al: float = 5.0
    gcr_equator_flux_cm2_s: float = 0.3
    gcr_polar_flux_cm2_s: float = 2.0
    stopping_power_mev_cm2_g: float = 8.0


DEFAULT_MODEL = RadiationModel()

EVENT_DTYPE = np.dtype([("time_s", "f8"), ("satellite", "i8"), ("kind", "U8")])


def in_saa(
    lat_rad: ArrayLike, lon_rad: ArrayLike, model: RadiationModel = DEFAULT_MODEL
) -> NDArray[np.bool_]:
    """True where (lat, lon) lies in the model's SAA box; longitude wrapped to [-180, 180)."""
    lat = np.degrees(np.asarray(lat_rad, dtype=float))
    lon = (np.degrees(np.asarray(lon_rad, dtype=float)) + 180.0) % 360.0 - 180.0
    (lat0, lat1), (lon0, lon1) = model.saa_lat_deg, model.saa_lon_deg
    return (lat >= lat0) & (lat <= lat1) & (lon >= lon0) & (lon <= lon1)


def particle_flux_cm2_s(
    lat_rad: ArrayLike,
    lon_rad: ArrayLike,
    altitude_m: ArrayLike,
    shielding_mm_al: float = 10.0,
    model: RadiationModel = DEFAULT_MODEL,
) -> Array:
    """Flux of upset-capable particles at a device, per cm2 per s, (time, sat) (geodetic inputs)."""
    lat = np.asarray(lat_rad, dtype=float)
    h = np.asarray(altitude_m, dtype=float)
    saa = model.saa_flux_cm2_s * np.exp(
        (h - model.reference_altitude_m) / model.saa_scale_height_m
        - (shielding_mm_al - model.reference_shielding_mm_al) / model.shielding_length_mm_al
    )
    saa = np.where(in_saa(lat, lon_rad, model), saa, 0.0)
    gcr = model.gcr_polar_flux_cm2_s + (
        model.gcr_equator_flux_cm2_s - model.gcr_polar_flux_cm2_s
    ) * np.cos(lat) ** 4
    return saa + gcr


def event_rate_per_s(
    flux_cm2_s: ArrayLike, cross_section_cm2: ArrayLike, count: ArrayLike = 1
) -> Array:
    """Events per second on `count` devices of a cross-section: sigma * count * flux."""
    return np.asarray(flux_cm2_s, dtype=float) * np.asarray(cross_section_cm2) * np.asarray(count)


def dose_rate_gy_s(flux_cm2_s: ArrayLike, model: RadiationModel = DEFAULT_MODEL) -> Array:
    """Ionising dose rate in silicon, Gy/s: flux * stopping power * 1.602e-10."""
    return np.asarray(flux_cm2_s, dtype=float) * model.stopping_power_mev_cm2_g * GY_PER_MEV_PER_G


def annual_dose_rad(dose_rate_gy_s_: ArrayLike) -> Array:
    """Dose per year in rad(Si) from a (time, sat) dose-rate series sampled evenly: (sat,)."""
    return np.mean(np.asarray(dose_rate_gy_s_, dtype=float), axis=0) * SECONDS_PER_YEAR * RAD_PER_GY


def draw_events(
    t_s: ArrayLike,
    dt_s: float,
    rates_per_s: dict[str, ArrayLike],
    rng: np.random.Generator,
    satellite_offset: int = 0,
) -> NDArray[np.void]:
    """Random events (time_s, satellite, kind), Poisson per step, sorted by time then satellite.

    t_s (time,): step starts; each step lasts dt_s. rates_per_s: kind -> (time, sat) rate.
    Kinds are drawn in sorted order, counts then times uniform within the step, so the same rng
    state and the same chunking give the same events. satellite_offset is added to the index.
    """
    t = np.asarray(t_s, dtype=float)
    parts = []
    for kind in sorted(rates_per_s):
        lam = np.asarray(rates_per_s[kind], dtype=float) * dt_s
        counts = rng.poisson(lam)
        step, sat = np.nonzero(counts)
        reps = counts[step, sat]
        step, sat = np.repeat(step, reps), np.repeat(sat, reps)
        events = np.empty(step.size, dtype=EVENT_DTYPE)
        events["time_s"] = t[step] + rng.random(step.size) * dt_s
        events["satellite"] = sat + satellite_offset
        events["kind"] = kind
        parts.append(events)
    if not parts:
        return np.empty(0, dtype=EVENT_DTYPE)
    out = np.concatenate(parts)
    return out[np.lexsort((out["kind"], out["satellite"], out["time_s"]))]
