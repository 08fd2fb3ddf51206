"""Radiation: the trapped belts (NASA AP8/AE8), galactic cosmic rays, event rates, dose, events.

Arrays are shaped (time, satellite); SI units except where the name says (cm2, MeV, rad, mm).

1. Trapped protons and electrons: NASA's AP8/AE8 (IRBEM, through the `aep8` package), at solar
   minimum or maximum (a scenario's `radiation: {solar: min | max}`, default min: AP8-MIN has the
   higher LEO proton fluxes, so it is the usual design case). IRBEM costs ~0.3 ms a point, so
   tools/build_ap8_grid.py evaluated it once on a WGS84 grid (3 deg latitude x 5 deg longitude x
   50 km to 2,000 km, 250 km to 6,000 km altitude; outside that altitudes are clamped), stored in
   data/ae8ap8_grid.npz as log10 integral fluxes (to 0.001); per step the fields below are
   interpolated (trilinear in log10(flux + floor)). The South Atlantic Anomaly and the
   high-latitude horns come out of the model.
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
4. Single events: a device's proton cross-section against the energy E reaching it is a
   threshold at proton_threshold_mev (saturated above; the default, DEFAULT_THRESHOLD_MEV) or,
   where the catalogue gives one, a Weibull curve sigma(E) = sigma_sat (1 - exp(-((E - E0) /
   W)^s)) above its onset E0 (ProtonCurve). The rate is sigma_sat x the device flux: the trapped
   proton spectrum behind the shielding folded with the curve's fraction of saturation, plus
   the GCR flux (GeV protons, saturated). A catalogue cross-section is the saturated one.
   Kinds, as the sources separate them: bit_flip (raw, corrected by ECC: counted, never drawn),
   sdc (silent data corruption), uecc (detected uncorrectable), sefi (the device's functional
   interrupt), host_cpu and host_ram (functional interrupts of the host's CPU and memory;
   Suncatcher counts them as SEFIs). The ops engine sees two kinds (ENGINE_KIND): sdc and uecc
   reach a job and roll it back ("seu"); sefi, host_cpu and host_ram stop the satellite's compute
   for the recovery time, which rolls its job back too ("sefi").
   Draws are keyed, not streamed: the count of kind q on satellite j in step k comes from a
   uniform number hashed from (seed, q, k, j) (splitmix64), so the same scenario and seed give
   the same events however the run is split into blocks, chunks or satellite ranges.
5. Dose in silicon behind the slab: the trapped proton spectrum binned on the table's energies,
   each bin depositing S_Si(E') = 34.5 MeV cm2/g (E'/10 MeV)^-0.774 (a power law through NIST
   PSTAR silicon, 10-100 MeV), plus electrons and GCR (protons at ~2 MeV cm2/g).
   1 rad = 100 erg/g = 6.2415e7 MeV/g, so a 67 MeV proton beam gives 1 rad per ~7.9e6 /cm2.
Not for hardness assurance (AP9/AE9, CREME96, SHIELDOSE-2 and SPENVIS are).
"""

from __future__ import annotations

import functools
import zlib
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
    "ProtonCurve",
    "Solar",
    "TrappedTable",
    "annual_dose_rad",
    "cross_section_from_dose_cm2",
    "cross_sections_cm2",
    "draw_events",
    "environment",
    "environment_ecef",
    "environment_grid",
    "event_rate_per_s",
    "fluence_per_rad_cm2",
    "gcr_flux_cm2_s",
    "geomagnetic_latitude_rad",
    "proton_energy_behind_mev",
    "proton_curve",
    "proton_energy_outside_mev",
    "silicon_stopping_power_mev_cm2_g",
    "to_engine_events",
    "trapped_table",
]

Solar = Literal["min", "max"]
DEFAULT_SOLAR: Solar = "min"
DEFAULT_THRESHOLD_MEV = 20.0  # estimate: proton upset thresholds of deep-submicron SRAM/logic
EVENT_KINDS = ("bit_flip", "sdc", "uecc", "sefi", "host_cpu", "host_ram")
# bit flips are corrected by ECC: counted, never drawn
DRAWN_KINDS = ("host_cpu", "host_ram", "sdc", "sefi", "uecc")
ENGINE_KIND = {"sdc": "seu", "uecc": "seu", "sefi": "sefi", "host_cpu": "sefi",
               "host_ram": "sefi"}

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
class ProtonCurve:
    """A device's proton cross-section as a fraction of saturation against the energy MeV that
    reaches it: a step at threshold_mev, or with width_mev a Weibull curve
    1 - exp(-((E - threshold_mev) / width_mev)^shape) above its onset threshold_mev."""

    threshold_mev: float = DEFAULT_THRESHOLD_MEV
    width_mev: float | None = None
    shape: float = 1.0

    def fraction(self, energy_mev: ArrayLike) -> Array:
        """sigma(E) / sigma_sat at the device, 0 below the threshold (onset)."""
        e = np.asarray(energy_mev, dtype=float)
        if self.width_mev is None:
            return (e >= self.threshold_mev).astype(float)
        return -np.expm1(-((np.maximum(e - self.threshold_mev, 0.0) / self.width_mev)
                           ** self.shape))


FOLD_ENERGIES = 64  # log-spaced outside energies the spectrum is folded on (Weibull curves)


def _device_flux(table: TrappedTable, shielding_mm_al: float, curve: ProtonCurve) -> Array:
    """Trapped protons reaching the device, weighted by the curve's fraction of saturation,
    /(cm2 s) on the grid: the integral above the outside threshold for a step; for a Weibull,
    the spectrum binned on FOLD_ENERGIES log-spaced outside energies from the onset's to the
    table's last, each bin weighted at its geometric middle, the flux above the last at 1.25x."""
    e_top = float(table.proton_mev[-1])
    outside = min(proton_energy_outside_mev(curve.threshold_mev, shielding_mm_al), e_top)
    if curve.width_mev is None:
        return _integral_at(table.log_proton, table.proton_mev, outside)
    edges = np.geomspace(outside, e_top, FOLD_ENERGIES) if outside < e_top else np.array([e_top])
    above = [_integral_at(table.log_proton, table.proton_mev, float(e)) for e in edges]
    weight = curve.fraction(proton_energy_behind_mev(
        np.append(np.sqrt(edges[:-1] * edges[1:]), e_top * 1.25), shielding_mm_al))
    flux = above[-1] * weight[-1]
    for k in range(len(edges) - 1):
        flux = flux + np.maximum(above[k] - above[k + 1], 0.0) * weight[k]
    return flux


@dataclass(frozen=True)
class EnvironmentGrid:
    """The fields interpolated per step, log10(field + FLOOR) on the table's grid, for one solar
    phase, shielding and device curve: (lat, lon, alt, 4) in FIELDS order."""

    solar: Solar
    shielding_mm_al: float
    curve: ProtonCurve
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
                     curve: ProtonCurve = ProtonCurve()) -> EnvironmentGrid:
    """Grid of: trapped protons >10 MeV and electrons >1 MeV at the satellite; protons reaching
    a device behind shielding_mm_al weighted by its curve (_device_flux); dose rate (Gy/s)."""
    table = trapped_table(solar)
    fields = {
        "proton": _integral_at(table.log_proton, table.proton_mev, 10.0),
        "electron": _integral_at(table.log_electron, table.electron_mev, 1.0),
        "device": _device_flux(table, shielding_mm_al, curve),
        "dose": _trapped_dose_rad_s(table, shielding_mm_al) / RAD_PER_GY,
    }
    names = EnvironmentGrid.FIELDS
    floors = np.array([FLOOR[k] for k in names])
    logs = np.stack([np.log10(fields[k] + FLOOR[k]) for k in names], axis=-1)
    alt = table.alt_km
    bins = alt[0] + ALT_LUT_KM * np.arange(int(round((alt[-1] - alt[0]) / ALT_LUT_KM)) + 1)
    lut = np.minimum(np.searchsorted(alt, bins + 1e-9, side="right") - 1, len(alt) - 2)
    return EnvironmentGrid(solar, shielding_mm_al, curve, table.lat_deg, table.lon_deg,
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
    """The radiation environment at Earth-fixed positions (..., 3) m, e.g. (time, sat, 3). A
    position that is not finite (a satellite gone after its SGP4 error) sees no particles."""
    r = np.ascontiguousarray(r_ecef_m, dtype=float)
    shape = r.shape[:-1]
    out = np.empty((5, int(np.prod(shape))))
    flat = r.reshape(-1, 3)
    gone = ~np.isfinite(flat).all(axis=1)
    if gone.any():  # the kernel is compiled with fastmath: it must never see a NaN
        flat = np.where(gone[:, None], (EARTH_RADIUS_M, 0.0, 0.0), flat)
    _interpolate(flat, grid.log_fields, grid.floors, float(grid.lat_deg[0]),
                 float(grid.lat_deg[1] - grid.lat_deg[0]), float(grid.lon_deg[0]),
                 float(grid.lon_deg[1] - grid.lon_deg[0]), grid.alt_km, grid.alt_lut,
                 grid.gcr_free_space_cm2_s, out)
    out[:, gone] = 0.0
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


def proton_curve(accelerator) -> ProtonCurve:
    """The curve of a catalogue accelerator (None: the default threshold): its proton_weibull
    where it has one, else a step at its proton_threshold_mev."""
    weibull = getattr(accelerator, "proton_weibull", None)
    if weibull is not None:
        return ProtonCurve(weibull.onset_mev, weibull.width_mev, weibull.shape)
    threshold = getattr(accelerator, "proton_threshold_mev", None)
    return ProtonCurve(float(threshold or DEFAULT_THRESHOLD_MEV))


def cross_sections_cm2(accelerator, count: int) -> dict[str, float]:
    """Saturated cross-sections cm2 of `count` devices by kind (EVENT_KINDS; 0 where the
    catalogue has none or there is no accelerator)."""
    return {kind: float(getattr(accelerator, kind + "_cross_section_cm2", None) or 0.0) * count
            for kind in EVENT_KINDS}


_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
_POISSON_PIECE = 16.0  # a mean above this is drawn as a sum of pieces (exp(-mean) stays normal)


def _splitmix(x: int) -> int:
    x &= _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _stream_key(seed: int, kind: str) -> np.uint64:
    """One 64-bit key per (seed, kind): any integer seed, the kind by its CRC-32."""
    s = seed % (1 << 128)
    h = _splitmix(_splitmix(s & _MASK64) ^ (s >> 64))
    return np.uint64(_splitmix(h + _GOLDEN * zlib.crc32(kind.encode())))


def draw_events(
    t_s: ArrayLike,
    dt_s: ArrayLike,
    rates_per_s: dict[str, ArrayLike],
    seed: int,
    step: ArrayLike,
    satellite: ArrayLike,
) -> NDArray[np.void]:
    """Random events (time_s, satellite, kind), Poisson per step, sorted by time, satellite, kind.

    t_s (time,): step starts; dt_s (time,) or scalar: their lengths s. rates_per_s: kind ->
    (time, sat) rate /s. Each (kind, step[i], satellite[j]) draws from its own uniform numbers,
    hashed from (seed, kind, step, satellite): the events of a step and satellite do not depend
    on what else is drawn with them. Events' satellite is the column j.
    """
    t = np.asarray(t_s, dtype=float)
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), t.shape)
    steps = np.asarray(step, dtype=np.int64).astype(np.uint64)
    sats = np.asarray(satellite, dtype=np.int64).astype(np.uint64)
    parts = []
    for kind in sorted(rates_per_s):
        lam = np.ascontiguousarray(np.broadcast_to(rates_per_s[kind], (t.size, sats.size))
                                   * dt[:, None], dtype=float)
        key = _stream_key(seed, kind)
        counts = _poisson_counts(lam, key, steps, sats)
        step_i, sat_i = np.nonzero(counts)
        if not step_i.size:
            continue
        n = counts[step_i, sat_i]
        u = _event_uniforms(key, steps[step_i], sats[sat_i], n)
        events = np.empty(u.size, dtype=EVENT_DTYPE)
        row = np.repeat(step_i, n)
        events["time_s"] = t[row] + u * dt[row]
        events["satellite"] = np.repeat(sat_i, n)
        events["kind"] = kind
        parts.append(events)
    if not parts:
        return np.empty(0, dtype=EVENT_DTYPE)
    out = np.concatenate(parts)
    return out[np.lexsort((out["kind"], out["satellite"], out["time_s"]))]


@numba.njit(cache=True, nogil=True)
def _mix(x):
    """splitmix64's finaliser on a uint64 (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True, nogil=True)
def _cell(key, step, sat):
    return _mix(_mix(key ^ step) + np.uint64(0x9E3779B97F4A7C15) * (sat + np.uint64(1)))


@numba.njit(cache=True, nogil=True)
def _uniform(h, j):
    """The j-th uniform number in [0, 1) of the cell hashed to h."""
    z = _mix(h + np.uint64(0x9E3779B97F4A7C15) * (np.uint64(j) + np.uint64(1)))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, nogil=True)
def _poisson_counts(lam, key, steps, sats):
    """Poisson counts (T, S) by inversion, the mean split in pieces of at most _POISSON_PIECE,
    piece p drawn with the cell's uniform number 2p (the odd ones are for event times)."""
    n_t, n_s = lam.shape
    out = np.zeros((n_t, n_s), dtype=np.int64)
    for i in range(n_t):
        for j in range(n_s):
            mean = lam[i, j]
            if not mean > 0.0:
                continue
            pieces = int(np.ceil(mean / _POISSON_PIECE))
            m = mean / pieces
            h = _cell(key, steps[i], sats[j])
            total = 0
            for p in range(pieces):
                u = _uniform(h, 2 * p)
                term = np.exp(-m)
                cdf = term
                k = 0
                while u >= cdf and k < 1000:
                    k += 1
                    term *= m / k
                    cdf += term
                total += k
            out[i, j] = total
    return out


@numba.njit(cache=True, nogil=True)
def _event_uniforms(key, steps, sats, counts):
    """For each drawn cell, its events' times as fractions of the step (its uniform numbers
    1, 3, 5, ...)."""
    out = np.empty(counts.sum())
    n = 0
    for c in range(counts.size):
        h = _cell(key, steps[c], sats[c])
        for e in range(counts[c]):
            out[n] = _uniform(h, 2 * e + 1)
            n += 1
    return out


def to_engine_events(records: NDArray[np.void]) -> NDArray[np.void]:
    """Events the ops engine reads (EVENT_DTYPE, kind "seu" or "sefi") from recorded ones;
    kinds that never reach a job (bit flips) are dropped."""
    keep = np.isin(records["kind"], list(ENGINE_KIND))
    out = np.empty(int(keep.sum()), dtype=EVENT_DTYPE)
    out["time_s"] = records["time_s"][keep]
    out["satellite"] = records["satellite"][keep]
    kinds = records["kind"][keep]
    for source, engine in ENGINE_KIND.items():
        out["kind"][kinds == source] = engine
    return out
