"""Radiation: the trapped belts (NASA AP8/AE8), galactic cosmic rays, event rates, dose, events.

Arrays are shaped (time, satellite); SI units except where the name says (cm2, MeV, rad, mm).

1. Trapped protons and electrons: NASA's AP8/AE8 (IRBEM, through the `aep8` package), at solar
   minimum or maximum (a scenario's `radiation: {solar: min | max}`, default min: AP8-MIN has the
   higher LEO proton fluxes, so it is the usual design case). IRBEM costs ~0.3 ms a point, so
   tools/build_ap8_grid.py evaluated it once on a WGS84 grid (3 deg latitude x 5 deg longitude x
   50 km to 2,000 km, 250 km to 6,000 km altitude; outside that altitudes are clamped), stored in
   data/ae8ap8_grid.npz as log10 integral fluxes (to 0.001); per step the fields below are
   interpolated (trilinear in log10(flux + floor)). The South Atlantic Anomaly and the high-latitude horns
   come out of the model.
2. Shielding (a slab of shielding_mm_al aluminium, straight-ahead, normal incidence): a proton of
   energy E outside reaches the device with E' where R(E') = R(E) - t, R the CSDA range in
   aluminium, R = 2.89e-3 g/cm2 * (E/MeV)^1.77 (a power law through NIST PSTAR's 0.17 g/cm2 at
   10 MeV and 9.98 g/cm2 at 100 MeV, within ~5 % from 10 to 400 MeV).
   Electrons: range R = 0.530 E - 0.106 g/cm2 above 2.5 MeV (Katz & Penfold 1952); those that
   get through deposit ~1.66 MeV cm2/g (minimum ionising in silicon, PDG); bremsstrahlung is left
   out.
3. Galactic cosmic rays: a centred dipole (geomagnetic north pole 80.7 N, 72.7 W, IGRF-13 2020)
   gives the geomagnetic latitude lm; the Stormer vertical cutoff rigidity is
   Rc = 14.9 GV cos^4(lm) / (r / R_E)^2 (Smart & Shea); above it the integral flux follows the
   Particle Data Group's primary spectrum I(>E) = 1.8e4 / 1.7 (E / GeV)^-1.7 /(m2 s sr)
   (PDG Review of Particle Physics, "Cosmic rays", E ~ R for protons above a few GV), capped at
   the free-space flux, ~4 /(cm2 s) at solar minimum and ~2 at maximum (estimates of the usual
   textbook figures), over the sky not hidden by the Earth.
4. Single events: a device's cross-section curve is a threshold at proton_threshold_mev at the
   device (saturated above): rate = sigma * (trapped flux above the energy that still has the
   threshold behind the shielding + GCR flux). Kinds, as the sources separate them:
   bit_flip (raw, corrected by ECC: counted, never drawn), sdc (silent data corruption), uecc
   (detected uncorrectable), sefi (functional interrupt). The ops engine sees two kinds
   (ENGINE_KIND): sdc and uecc reach a job and roll it back ("seu"); sefi stops the device.
5. Dose in silicon behind the slab: the trapped proton spectrum binned on the table's energies,
   each bin depositing S_Si(E') = 34.5 MeV cm2/g (E'/10 MeV)^-0.774 (a power law through NIST
   PSTAR silicon, 10-100 MeV), plus electrons and GCR (protons at ~2 MeV cm2/g).
   1 rad = 100 erg/g = 6.2415e7 MeV/g, so a 67 MeV proton beam gives 1 rad per ~7.9e6 /cm2.
Not for hardness assurance (AP9/AE9, CREME96, SHIELDOSE-2 and SPENVIS are).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_SOLAR",
    "DEFAULT_THRESHOLD_MEV",
    "ENGINE_KIND",
    "EVENT_DTYPE",
    "EVENT_KINDS",
    "RECORD_DTYPE",
    "Environment",
    "EnvironmentGrid",
    "Solar",
    "TrappedTable",
    "annual_dose_rad",
    "cross_section_from_dose_cm2",
    "draw_events",
    "environment",
    "environment_ecef",
    "environment_grid",
    "event_rate_per_s",
    "fluence_per_rad_cm2",
    "gcr_flux_cm2_s",
    "geomagnetic_latitude_rad",
    "proton_energy_behind_mev",
    "proton_energy_outside_mev",
    "silicon_stopping_power_mev_cm2_g",
    "to_engine_events",
    "trapped_table",
]

Solar = Literal["min", "max"]
DEFAULT_SOLAR: Solar = "min"
DEFAULT_THRESHOLD_MEV = 20.0  # estimate: proton upset thresholds of deep-submicron SRAM/logic
EVENT_KINDS = ("bit_flip", "sdc", "uecc", "sefi")
DRAWN_KINDS = ("sdc", "sefi", "uecc")  # bit flips are corrected by ECC: counted, never drawn
ENGINE_KIND = {"sdc": "seu", "uecc": "seu", "sefi": "sefi"}

MEV_PER_G_PER_RAD = 6.241509074e7  # 1 rad = 1e-2 J/kg = 6.2415e7 MeV/g
GY_PER_MEV_PER_G = 1.602176634e-10
RAD_PER_GY = 100.0
SECONDS_PER_YEAR = 365.25 * 86_400.0
AL_G_CM3 = 2.699
RANGE_AL_G_CM2_AT_1MEV, RANGE_AL_EXPONENT = 2.89e-3, 1.77  # R = a E^b (PSTAR fit, docstring)
SI_STOPPING_AT_10MEV, SI_STOPPING_EXPONENT = 34.5, -0.774  # S = S10 (E/10)^b (PSTAR fit)
ELECTRON_SI_STOPPING = 1.66  # MeV cm2/g, minimum ionising in silicon (PDG)
GCR_SI_STOPPING = 2.0  # MeV cm2/g, relativistic protons in silicon (PDG)
GCR_POLE_LAT_DEG, GCR_POLE_LON_DEG = 80.7, -72.7  # IGRF-13 dipole pole, 2020
STORMER_GV = 14.9
PDG_INTEGRAL_CM2_S_SR = 1.8e4 / 1.7 * 1e-4  # integral of 1.8e4 E^-2.7 /(m2 s sr GeV), per cm2
GCR_FREE_SPACE_CM2_S = {"min": 4.0, "max": 2.0}  # estimates, see the module docstring
EARTH_RADIUS_M = 6_371_200.0  # IRBEM's and the geomagnetic reference radius
ALT_LUT_KM = 10.0  # the table's altitudes are multiples of this above the lowest
FLOOR = {"proton": 1e-3, "electron": 1e-3, "device": 1e-3, "dose": 1e-3 / SECONDS_PER_YEAR / 100}

# Published events keep this dtype (the ops engine reads it): kind "seu" or "sefi".
EVENT_DTYPE = np.dtype([("time_s", "f8"), ("satellite", "i8"), ("kind", "U8")])
# Events as recorded (radiation.parquet): the source kind and where the satellite was.
RECORD_DTYPE = np.dtype([("time_s", "f8"), ("satellite", "i8"), ("kind", "U8"),
                         ("lat_deg", "f4"), ("lon_deg", "f4"), ("alt_km", "f4")])

Array = NDArray[np.float64]


# --- physics of the slab and of silicon ---------------------------------------------------------

def proton_energy_behind_mev(energy_mev: ArrayLike, shielding_mm_al: float) -> Array:
    """Energy MeV left after shielding_mm_al of aluminium (0 where the proton stops)."""
    e = np.asarray(energy_mev, dtype=float)
    left = RANGE_AL_G_CM2_AT_1MEV * e**RANGE_AL_EXPONENT - shielding_mm_al * 0.1 * AL_G_CM3
    return np.where(left > 0, (np.maximum(left, 0) / RANGE_AL_G_CM2_AT_1MEV)
                    ** (1 / RANGE_AL_EXPONENT), 0.0)


def proton_energy_outside_mev(energy_at_device_mev: float, shielding_mm_al: float) -> float:
    """Energy MeV a proton needs outside to reach the device with energy_at_device_mev."""
    r = (RANGE_AL_G_CM2_AT_1MEV * energy_at_device_mev**RANGE_AL_EXPONENT
         + shielding_mm_al * 0.1 * AL_G_CM3)
    return float((r / RANGE_AL_G_CM2_AT_1MEV) ** (1 / RANGE_AL_EXPONENT))


def silicon_stopping_power_mev_cm2_g(energy_mev: ArrayLike) -> Array:
    """Electronic mass stopping power of silicon for protons, MeV cm2/g (PSTAR fit)."""
    e = np.asarray(energy_mev, dtype=float)
    return SI_STOPPING_AT_10MEV * (e / 10.0) ** SI_STOPPING_EXPONENT


def fluence_per_rad_cm2(energy_mev: float) -> float:
    """Protons per cm2 of a beam of energy_mev that deposit 1 rad(Si)."""
    return MEV_PER_G_PER_RAD / float(silicon_stopping_power_mev_cm2_g(energy_mev))


def cross_section_from_dose_cm2(rad_per_event: float, beam_mev: float) -> float:
    """A device cross-section cm2 from a beam test's dose per event (rad(Si) per event)."""
    return 1.0 / (rad_per_event * fluence_per_rad_cm2(beam_mev))


# --- galactic cosmic rays -----------------------------------------------------------------------

def geomagnetic_latitude_rad(lat_rad: ArrayLike, lon_rad: ArrayLike) -> Array:
    """Latitude from the centred-dipole geomagnetic equator (IGRF-13 2020 pole), rad."""
    p_lat, p_lon = np.radians(GCR_POLE_LAT_DEG), np.radians(GCR_POLE_LON_DEG)
    lat, lon = np.asarray(lat_rad, dtype=float), np.asarray(lon_rad, dtype=float)
    s = np.sin(lat) * np.sin(p_lat) + np.cos(lat) * np.cos(p_lat) * np.cos(lon - p_lon)
    return np.arcsin(np.clip(s, -1.0, 1.0))


def gcr_flux_cm2_s(lat_rad: ArrayLike, lon_rad: ArrayLike, altitude_m: ArrayLike,
                   solar: Solar = DEFAULT_SOLAR) -> Array:
    """Omnidirectional GCR flux above the Stormer cutoff, /(cm2 s) (module docstring, 3)."""
    r = (EARTH_RADIUS_M + np.asarray(altitude_m, dtype=float)) / EARTH_RADIUS_M
    return _gcr(np.cos(geomagnetic_latitude_rad(lat_rad, lon_rad)), r,
                GCR_FREE_SPACE_CM2_S[solar])


def _gcr(cos_lm, r, free_space):
    cutoff_gv = STORMER_GV * cos_lm**4 / r**2
    with np.errstate(divide="ignore"):
        above = 4 * np.pi * PDG_INTEGRAL_CM2_S_SR * cutoff_gv**-1.7
    unblocked = 0.5 * (1.0 + np.sqrt(np.maximum(1.0 - 1.0 / r**2, 0.0)))
    return unblocked * np.minimum(above, free_space)


# --- trapped belts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrappedTable:
    """AP8/AE8 log10 integral fluxes /(cm2 s) on the stored grid (tools/build_ap8_grid.py)."""

    solar: Solar
    lat_deg: Array
    lon_deg: Array
    alt_km: Array
    proton_mev: Array
    electron_mev: Array
    log_proton: NDArray[np.float32]  # (energy, lat, lon, alt)
    log_electron: NDArray[np.float32]
    aep8_version: str


@functools.cache
def trapped_table(solar: Solar = DEFAULT_SOLAR) -> TrappedTable:
    """The stored AP8/AE8 table of one solar phase."""
    if solar not in ("min", "max"):
        raise ValueError(f"radiation.solar: {solar!r} is not 'min' or 'max'")
    with (resources.files("orbitgrid") / "data" / "ae8ap8_grid.npz").open("rb") as f:
        z = np.load(f)
        return TrappedTable(solar, z["lat_deg"], z["lon_deg"], z["alt_km"], z["proton_mev"],
                            z["electron_mev"], (z[f"p_{solar}"] / 1000.0).astype(np.float32),
                            (z[f"e_{solar}"] / 1000.0).astype(np.float32),
                            str(z["aep8_version"]))


def _integral_at(log_flux: NDArray[np.float32], energies: Array, energy_mev: float) -> Array:
    """Integral flux above energy_mev, log-log between the table's energies (0 above them)."""
    flux = 10.0 ** log_flux.astype(float)
    flux[log_flux <= -8.5] = 0.0
    if energy_mev >= energies[-1]:
        return flux[-1] * (energy_mev == energies[-1])
    k = max(int(np.searchsorted(energies, energy_mev, side="right")) - 1, 0)
    f0, f1 = flux[k], flux[k + 1]
    w = np.log(energy_mev / energies[k]) / np.log(energies[k + 1] / energies[k])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((f0 > 0) & (f1 > 0), f0 * (f1 / np.where(f0 > 0, f0, 1.0)) ** w, 0.0)
    return out


def _trapped_dose_rad_s(table: TrappedTable, shielding_mm_al: float) -> Array:
    """Dose rate rad(Si)/s behind the slab from trapped protons and electrons, on the grid."""
    e = table.proton_mev
    flux = 10.0 ** table.log_proton.astype(float)
    flux[table.log_proton <= -8.5] = 0.0
    mev_per_g_s = np.zeros(flux.shape[1:])
    for k in range(len(e)):
        upper = flux[k + 1] if k + 1 < len(e) else 0.0
        in_bin = np.maximum(flux[k] - upper, 0.0)
        mid = np.sqrt(e[k] * e[k + 1]) if k + 1 < len(e) else e[k] * 1.25
        left = proton_energy_behind_mev(mid, shielding_mm_al)
        if left > 0:
            mev_per_g_s += in_bin * silicon_stopping_power_mev_cm2_g(left)
    t_g_cm2 = shielding_mm_al * 0.1 * AL_G_CM3
    e_cut = (t_g_cm2 + 0.106) / 0.530  # Katz-Penfold above 2.5 MeV
    if e_cut < table.electron_mev[-1]:
        mev_per_g_s += _integral_at(table.log_electron, table.electron_mev,
                                    max(e_cut, table.electron_mev[0])) * ELECTRON_SI_STOPPING
    return mev_per_g_s / MEV_PER_G_PER_RAD


@dataclass(frozen=True)
class EnvironmentGrid:
    """The fields interpolated per step, log10(field + FLOOR) on the table's grid, for one solar
    phase, shielding and device threshold: (lat, lon, alt, 4) in FIELDS order."""

    solar: Solar
    shielding_mm_al: float
    threshold_mev: float
    lat_deg: Array
    lon_deg: Array
    alt_km: Array
    log_fields: NDArray[np.float32]
    floors: Array
    gcr_free_space_cm2_s: float
    alt_lut: NDArray[np.int64]  # altitude cell of each ALT_LUT_KM bin above alt_km[0]

    FIELDS = ("proton", "electron", "device", "dose")


@functools.cache
def environment_grid(solar: Solar = DEFAULT_SOLAR, shielding_mm_al: float = 10.0,
                     threshold_mev: float = DEFAULT_THRESHOLD_MEV) -> EnvironmentGrid:
    """Grid of: trapped protons >10 MeV and electrons >1 MeV at the satellite; protons that
    reach a device behind shielding_mm_al with more than threshold_mev; dose rate (Gy/s)."""
    table = trapped_table(solar)
    outside = proton_energy_outside_mev(threshold_mev, shielding_mm_al)
    fields = {
        "proton": _integral_at(table.log_proton, table.proton_mev, 10.0),
        "electron": _integral_at(table.log_electron, table.electron_mev, 1.0),
        "device": _integral_at(table.log_proton, table.proton_mev,
                               min(outside, float(table.proton_mev[-1]))),
        "dose": _trapped_dose_rad_s(table, shielding_mm_al) / RAD_PER_GY,
    }
    names = EnvironmentGrid.FIELDS
    floors = np.array([FLOOR[k] for k in names])
    logs = np.stack([np.log10(fields[k] + FLOOR[k]) for k in names], axis=-1)
    alt = table.alt_km
    bins = alt[0] + ALT_LUT_KM * np.arange(int(round((alt[-1] - alt[0]) / ALT_LUT_KM)) + 1)
    lut = np.minimum(np.searchsorted(alt, bins + 1e-9, side="right") - 1, len(alt) - 2)
    return EnvironmentGrid(solar, shielding_mm_al, threshold_mev, table.lat_deg, table.lon_deg,
                           alt, np.ascontiguousarray(logs, dtype=np.float32), floors,
                           GCR_FREE_SPACE_CM2_S[solar], lut.astype(np.int64))


@dataclass(frozen=True)
class Environment:
    """Per (time, satellite): trapped protons >10 MeV and electrons >1 MeV at the satellite,
    protons reaching the device above its threshold, GCR, all /(cm2 s); dose rate Gy/s."""

    proton_flux_cm2_s: Array
    electron_flux_cm2_s: Array
    device_proton_flux_cm2_s: Array
    gcr_flux_cm2_s: Array
    dose_rate_gy_s: Array

    @property
    def upset_flux_cm2_s(self) -> Array:
        """The flux a device's cross-section multiplies: trapped protons reaching it + GCR."""
        return self.device_proton_flux_cm2_s + self.gcr_flux_cm2_s


def environment(lat_rad: ArrayLike, lon_rad: ArrayLike, altitude_m: ArrayLike,
                grid: EnvironmentGrid) -> Environment:
    """The radiation environment at WGS84 positions (any matching shapes)."""
    from orbitgrid.orbits.frames import geodetic_to_ecef

    lat = np.asarray(lat_rad, dtype=float)
    shape = np.broadcast_shapes(lat.shape, np.shape(lon_rad), np.shape(altitude_m))
    r = geodetic_to_ecef(np.broadcast_to(lat, shape), np.broadcast_to(lon_rad, shape),
                         np.broadcast_to(altitude_m, shape))
    return environment_ecef(r, grid)


def environment_ecef(r_ecef_m: ArrayLike, grid: EnvironmentGrid) -> Environment:
    """The radiation environment at Earth-fixed positions (..., 3) m, e.g. (time, sat, 3)."""
    r = np.ascontiguousarray(r_ecef_m, dtype=float)
    shape = r.shape[:-1]
    out = np.empty((5, int(np.prod(shape))))
    _interpolate(r.reshape(-1, 3), grid.log_fields, grid.floors, float(grid.lat_deg[0]),
                 float(grid.lat_deg[1] - grid.lat_deg[0]), float(grid.lon_deg[0]),
                 float(grid.lon_deg[1] - grid.lon_deg[0]), grid.alt_km, grid.alt_lut,
                 grid.gcr_free_space_cm2_s, out)
    p, e, d, dose, gcr = (x.reshape(shape) for x in out)
    # GCR protons' dose (relativistic, ~2 MeV cm2/g); the trapped dose comes from the grid
    dose = dose + gcr * GCR_SI_STOPPING * GY_PER_MEV_PER_G
    return Environment(p, e, d, gcr, dose)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _interpolate(r, logs, floors, lat0, dlat, lon0, dlon, alt_km, alt_lut, gcr_free, out):
    """Per position: WGS84 latitude and height (closed form, ~0.001 deg and metres), trilinear
    interpolation of the log10 fields (lat, lon, alt, field; periodic in longitude) and the GCR
    flux (dipole latitude, Stormer cutoff, PDG spectrum, Earth's shadow)."""
    n_lat, n_lon, n_alt, n_f = logs.shape
    a_e, f = 6_378_137.0, 1.0 / 298.257223563
    e2 = f * (2.0 - f)
    p_lat, p_lon = np.radians(80.7), np.radians(-72.7)
    sp, cp = np.sin(p_lat), np.cos(p_lat)
    cpl, spl = np.cos(p_lon), np.sin(p_lon)
    pole = (cp * cpl, cp * spl, sp)  # the dipole axis, Earth-fixed
    pdg = 4 * np.pi * (1.8e4 / 1.7 * 1e-4)
    inv_dlat, inv_dlon = 1.0 / dlat, 1.0 / dlon
    v = np.empty(n_f)
    for j in range(r.shape[0]):
        x, y, z = r[j, 0], r[j, 1], r[j, 2]
        p = np.sqrt(x * x + y * y)
        rr = np.sqrt(p * p + z * z)
        # geodetic latitude: tan(lat) = z / (p (1 - e2 N / (N + h))), N + h ~ r (1e-5 rad here)
        t = z / max(p * (1.0 - e2 * a_e / rr), 1e-9)
        cl = 1.0 / np.sqrt(1.0 + t * t)
        sl = t * cl
        lat_deg = np.degrees(np.arctan(t))
        h_km = (p * cl + z * sl - a_e * np.sqrt(1.0 - e2 * sl * sl)) / 1e3
        lon = np.degrees(np.arctan2(y, x))
        xi = min(max((lat_deg - lat0) * inv_dlat, 0.0), n_lat - 1.000001)
        i0 = int(xi)
        wx = xi - i0
        yi = ((lon - lon0) % 360.0) * inv_dlon
        k0 = int(yi)
        wy = yi - k0
        k0 = k0 % n_lon
        k1 = (k0 + 1) % n_lon
        h = min(max(h_km, alt_km[0]), alt_km[n_alt - 1])
        m0 = alt_lut[int((h - alt_km[0]) * (1.0 / ALT_LUT_KM))]
        wz = (h - alt_km[m0]) / (alt_km[m0 + 1] - alt_km[m0])
        w00, w01 = (1 - wx) * (1 - wy), (1 - wx) * wy
        w10, w11 = wx * (1 - wy), wx * wy
        for q in range(n_f):
            v[q] = 0.0
        for a, b, w in ((i0, k0, w00), (i0, k1, w01), (i0 + 1, k0, w10), (i0 + 1, k1, w11)):
            if w > 0.0:
                for q in range(n_f):
                    v[q] += w * ((1 - wz) * logs[a, b, m0, q] + wz * logs[a, b, m0 + 1, q])
        for q in range(n_f):
            out[q, j] = max(10.0 ** v[q] - floors[q], 0.0)
        s = (x * pole[0] + y * pole[1] + z * pole[2]) / rr  # sin of the dipole latitude
        cos2 = max(1.0 - s * s, 0.0)
        ratio = rr / 6_371_200.0
        cutoff = 14.9 * cos2 * cos2 / (ratio * ratio)
        above = gcr_free if cutoff <= 0.0 else min(pdg * cutoff**-1.7, gcr_free)
        out[4, j] = 0.5 * (1.0 + np.sqrt(max(1.0 - 1.0 / (ratio * ratio), 0.0))) * above


# --- events -------------------------------------------------------------------------------------

def event_rate_per_s(
    flux_cm2_s: ArrayLike, cross_section_cm2: ArrayLike, count: ArrayLike = 1
) -> Array:
    """Events per second on `count` devices of a cross-section: sigma * count * flux."""
    return np.asarray(flux_cm2_s, dtype=float) * np.asarray(cross_section_cm2) * np.asarray(count)


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


def to_engine_events(records: NDArray[np.void]) -> NDArray[np.void]:
    """Events the ops engine reads (EVENT_DTYPE, kind "seu" or "sefi") from recorded ones;
    kinds that never reach a job (bit flips) are dropped."""
    keep = np.isin(records["kind"], list(ENGINE_KIND))
    out = np.empty(int(keep.sum()), dtype=EVENT_DTYPE)
    out["time_s"] = records["time_s"][keep]
    out["satellite"] = records["satellite"][keep]
    kinds = records["kind"][keep]
    out["kind"] = "seu"
    out["kind"][kinds == "sefi"] = "sefi"
    return out
