"""Link configuration (public scenario keys) and link models: capacity and latency.

SI inside: metres, seconds, watts, bits/s, radians. Public names carry the unit when it is not SI.
The models are vectorised numpy functions of distance (and elevation for ground links); no I/O.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orbitgrid.constants import SPEED_OF_LIGHT_M_S

__all__ = [
    "PLANCK_J_S",
    "BAND_DEFAULTS",
    "OpticalTerminal",
    "IslConfig",
    "GroundLink",
    "gaussian_beam_coupling",
    "optical_received_power_w",
    "optical_isl_rate_bps",
    "air_mass",
    "ground_link_rate_bps",
    "cloud_blocked",
    "latency_s",
]

PLANCK_J_S = 6.62607015e-34  # exact, SI 2019 redefinition

Topology = Literal["plus-grid", "nearest", "in-range", "none"]
Band = Literal["ka", "x", "optical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpticalTerminal(_Strict):
    """Optical ISL terminal link budget (both ends identical but for the apertures).

    Capacity = min(channels x channel_rate_bps, received power / energy per bit), zero below
    min_rate_bps. Energy per bit is photons_per_bit x h c / wavelength, or, when sensitivity_w is
    given, sensitivity_w / channel_rate_bps (the power one channel needs at its full rate).
    Defaults: a 1550 nm, 2 W, 10 cm terminal of one 100 Gbit/s channel, saturating below ~4,500 km.
    """

    tx_power_w: float = Field(2.0, gt=0)
    tx_aperture_m: float = Field(0.10, gt=0, description="transmit aperture diameter")
    rx_aperture_m: float = Field(0.10, gt=0, description="receive aperture diameter")
    wavelength_nm: float = Field(1550.0, gt=0)
    pointing_loss_db: float = Field(3.0, ge=0)
    other_losses_db: float = Field(3.0, ge=0, description="optics, coupling, implementation")
    photons_per_bit: float | None = Field(None, gt=0)
    sensitivity_w: float | None = Field(None, gt=0, description="power needed per channel")
    channels: int = Field(1, ge=1)
    channel_rate_bps: float = Field(100e9, gt=0)
    min_rate_bps: float = Field(0.0, ge=0, description="below this the link is down")

    @model_validator(mode="after")
    def _one_sensitivity(self) -> OpticalTerminal:
        if self.photons_per_bit is not None and self.sensitivity_w is not None:
            raise ValueError("give photons_per_bit or sensitivity_w, not both")
        return self

    @property
    def ceiling_bps(self) -> float:
        """Terminal ceiling: channels x channel rate, in bits/s."""
        return self.channels * self.channel_rate_bps

    @property
    def energy_per_bit_j(self) -> float:
        """Received energy needed per bit, in joules."""
        if self.sensitivity_w is not None:
            return self.sensitivity_w / self.channel_rate_bps
        ppb = 100.0 if self.photons_per_bit is None else self.photons_per_bit
        return ppb * PLANCK_J_S * SPEED_OF_LIGHT_M_S / (self.wavelength_nm * 1e-9)


class IslConfig(_Strict):
    """Per-constellation inter-satellite link keys (`isl:` in a scenario)."""

    topology: Topology = "none"
    planes: int | None = Field(None, ge=1)
    per_plane: int | None = Field(None, ge=1)
    nearest: int | None = Field(None, ge=1, description="k for topology nearest")
    max_range_km: float | None = Field(None, gt=0)
    margin_km: float = Field(80.0, ge=0, description="grazing altitude the line of sight clears")
    max_cross_plane_lat_deg: float | None = Field(None, ge=0, le=90)
    terminals: int | None = Field(None, ge=0, description="ISL terminals per satellite")
    hop_delay_s: float = Field(0.0, ge=0, description="processing delay per hop")
    terminal: OpticalTerminal = Field(default_factory=OpticalTerminal)

    @model_validator(mode="after")
    def _topology_fields(self) -> IslConfig:
        if (self.planes is None) != (self.per_plane is None):
            raise ValueError("planes and per_plane go together: give both or neither")
        if self.topology == "nearest" and self.nearest is None:
            raise ValueError("topology nearest needs nearest: k")
        if self.topology != "nearest" and self.nearest is not None:
            raise ValueError(f"nearest: k applies to topology nearest, not {self.topology}")
        if self.topology == "in-range" and self.max_range_km is None:
            raise ValueError("topology in-range needs max_range_km")
        if self.topology != "plus-grid" and self.planes is not None:
            raise ValueError(f"planes/per_plane apply to topology plus-grid, not {self.topology}")
        return self

    @property
    def max_range_m(self) -> float | None:
        """Maximum ISL range in metres, None when unlimited."""
        return None if self.max_range_km is None else self.max_range_km * 1e3

    @property
    def margin_m(self) -> float:
        """Grazing altitude the line of sight must clear, in metres."""
        return self.margin_km * 1e3


# Per-band defaults for ground links: ceiling, bandwidth, vacuum SNR at ref_range_km, zenith
# atmospheric loss. Orders of magnitude for a LEO gateway (Ka), an EO downlink (X) and an optical
# ground terminal; override per station.
BAND_DEFAULTS: dict[str, dict[str, float]] = {
    "ka": {"rate_bps": 10e9, "bandwidth_hz": 2.5e9, "snr_db": 15.0, "zenith_loss_db": 0.5},
    "x": {"rate_bps": 1.2e9, "bandwidth_hz": 400e6, "snr_db": 15.0, "zenith_loss_db": 0.1},
    "optical": {"rate_bps": 100e9, "bandwidth_hz": 25e9, "snr_db": 20.0, "zenith_loss_db": 1.0},
}


class GroundLink(_Strict):
    """Ground-station link rate model (`link:` of a station): band, cloud, rate fields.

    Rate = min(rate_bps, bandwidth_hz x log2(1 + SNR)), SNR falling with range squared from
    snr_db at ref_range_km and with the air mass times zenith_loss_db. Unset rate fields take the
    band's defaults (BAND_DEFAULTS). Optical links are blocked by cloud with cloud_probability.
    """

    band: Band = "ka"
    cloud_probability: float = Field(0.0, ge=0, le=1)
    rate_bps: float | None = Field(None, gt=0, description="ceiling")
    bandwidth_hz: float | None = Field(None, gt=0)
    snr_db: float | None = Field(None, description="SNR at ref_range_km without atmosphere")
    ref_range_km: float = Field(1000.0, gt=0)
    zenith_loss_db: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _cloud_only_optical(self) -> GroundLink:
        if self.cloud_probability > 0 and self.band != "optical":
            raise ValueError(f"cloud_probability applies to band optical, not {self.band}")
        return self

    def resolved(self, name: str) -> float:
        """A rate-model field, or the band default when unset."""
        value = getattr(self, name)
        return BAND_DEFAULTS[self.band][name] if value is None else float(value)


# --------------------------------------------------------------------------- optical ISL


def gaussian_beam_coupling(
    distance_m: ArrayLike, tx_aperture_m: float, rx_aperture_m: float, wavelength_m: float
) -> NDArray[np.float64]:
    """Fraction of a Gaussian beam (waist = tx aperture radius) caught by the receive aperture.

    1 - exp(-2 a^2 / w(d)^2), w(d) = w0 sqrt(1 + (d / z_R)^2), z_R = pi w0^2 / wavelength. Never
    above 1 (near field); far field it tends to Friis with a Gaussian-beam transmit gain.
    """
    d = np.asarray(distance_m, dtype=float)
    w0 = 0.5 * tx_aperture_m
    a = 0.5 * rx_aperture_m
    z_r = np.pi * w0**2 / wavelength_m
    w2 = w0**2 * (1.0 + (d / z_r) ** 2)
    return -np.expm1(-2.0 * a**2 / w2)


def optical_received_power_w(
    distance_m: ArrayLike, terminal: OpticalTerminal
) -> NDArray[np.float64]:
    """Received optical power in watts at each distance (metres), losses included."""
    loss = 10.0 ** (-(terminal.pointing_loss_db + terminal.other_losses_db) / 10.0)
    coupling = gaussian_beam_coupling(
        distance_m, terminal.tx_aperture_m, terminal.rx_aperture_m, terminal.wavelength_nm * 1e-9
    )
    return terminal.tx_power_w * loss * coupling


def optical_isl_rate_bps(distance_m: ArrayLike, terminal: OpticalTerminal) -> NDArray[np.float64]:
    """Optical ISL capacity in bits/s at each distance (metres): budget-limited, capped."""
    rate = optical_received_power_w(distance_m, terminal) / terminal.energy_per_bit_j
    rate = np.minimum(rate, terminal.ceiling_bps)
    return np.where(rate >= terminal.min_rate_bps, rate, 0.0)


# --------------------------------------------------------------------------- ground links


def air_mass(elevation_rad: ArrayLike) -> NDArray[np.float64]:
    """Relative air mass at an elevation (radians), Kasten & Young (1989); 1 at zenith, ~38 at 0.

    Below the horizon the horizon value is used (the mask removes those links anyway).
    """
    el_deg = np.clip(np.degrees(np.asarray(elevation_rad, dtype=float)), 0.0, 90.0)
    return 1.0 / (np.sin(np.radians(el_deg)) + 0.50572 * (el_deg + 6.07995) ** -1.6364)


def ground_link_rate_bps(
    range_m: ArrayLike, elevation_rad: ArrayLike, link: GroundLink
) -> NDArray[np.float64]:
    """Clear-sky ground link rate in bits/s (the station's mask and range are applied apart)."""
    r = np.asarray(range_m, dtype=float)
    el = np.asarray(elevation_rad, dtype=float)
    ref_m = link.ref_range_km * 1e3
    snr_db = (
        link.resolved("snr_db")
        - 20.0 * np.log10(np.maximum(r, 1.0) / ref_m)
        - link.resolved("zenith_loss_db") * air_mass(el)
    )
    rate = link.resolved("bandwidth_hz") * np.log2(1.0 + 10.0 ** (snr_db / 10.0))
    return np.minimum(rate, link.resolved("rate_bps"))


def cloud_blocked(
    cloud_probability: float, shape: int | tuple[int, ...], rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Independent cloud draws: True where an optical ground link is blocked."""
    return rng.random(shape) < cloud_probability


# --------------------------------------------------------------------------- latency


def latency_s(distance_m: ArrayLike, hop_delay_s: float | ArrayLike = 0.0) -> NDArray[np.float64]:
    """One-way latency of a hop in seconds: distance / c plus a processing delay."""
    return np.asarray(distance_m, dtype=float) / SPEED_OF_LIGHT_M_S + np.asarray(hop_delay_s)
