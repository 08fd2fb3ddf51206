"""Link models against closed forms (Friis, Gaussian beam, Shannon, Kasten-Young); config errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.links import (
    PLANCK_J_S,
    GroundLink,
    IslConfig,
    OpticalTerminal,
    air_mass,
    cloud_blocked,
    gaussian_beam_coupling,
    ground_link_rate_bps,
    latency_s,
    optical_isl_rate_bps,
    optical_received_power_w,
)

TERM = OpticalTerminal()  # 2 W, 10 cm apertures, 1550 nm, 3 + 3 dB losses, 100 photons/bit


def friis_gaussian_w(d_m, t: OpticalTerminal):
    """Far-field Friis: P_t G_t G_r (lambda / 4 pi d)^2 L with the Gaussian-beam transmit gain
    G_t = 8 / theta^2, theta = lambda / (pi w0), w0 = D_t / 2, receive gain (pi D_r / lambda)^2."""
    lam = t.wavelength_nm * 1e-9
    w0 = t.tx_aperture_m / 2
    g_t = 8 * (np.pi * w0 / lam) ** 2
    g_r = (np.pi * t.rx_aperture_m / lam) ** 2
    loss = 10 ** (-(t.pointing_loss_db + t.other_losses_db) / 10)
    return t.tx_power_w * g_t * g_r * (lam / (4 * np.pi * d_m)) ** 2 * loss


def test_far_field_matches_friis_within_0_1_percent():
    # z_R = pi w0^2 / lambda = 5.07 km; from 500 km on the far-field form holds to (z_R/d)^2 ~ 1e-4
    d = np.array([500e3, 1e6, 5e6, 2e7])
    np.testing.assert_allclose(
        optical_received_power_w(d, TERM), friis_gaussian_w(d, TERM), rtol=1e-3
    )


def test_far_field_received_power_falls_6_02_db_per_doubling():
    d = np.array([1e6, 2e6, 4e6])
    p = optical_received_power_w(d, TERM)
    drop_db = 10 * np.log10(p[:-1] / p[1:])
    np.testing.assert_allclose(drop_db, 20 * np.log10(2), atol=1e-3)  # 6.0206 dB, to 0.001 dB


def test_near_field_coupling_closed_form_and_never_above_one():
    # at the waist, 1 - exp(-2 a^2 / w0^2): equal apertures catch 1 - e^-2 = 86.47 %
    assert gaussian_beam_coupling(0.0, 0.1, 0.1, 1.55e-6) == pytest.approx(
        1 - np.exp(-2), rel=1e-12
    )
    # a receive aperture 3x the beam catches everything but 1 - exp(-18), never more than all
    c = gaussian_beam_coupling(np.array([0.0, 10.0, 100.0]), 0.1, 0.3, 1.55e-6)
    assert np.all(c <= 1.0) and c[0] == pytest.approx(1.0, abs=1e-7)
    # the far-field Friis form would claim more than the transmitted power at 100 m
    assert friis_gaussian_w(100.0, TERM) > TERM.tx_power_w
    assert optical_received_power_w(100.0, TERM) < TERM.tx_power_w


@settings(max_examples=200, deadline=None)
@given(
    d1=st.floats(0.0, 1e8),
    d2=st.floats(0.0, 1e8),
    tx=st.floats(0.01, 1.0),
    rx=st.floats(0.01, 1.0),
    power=st.floats(0.01, 100.0),
)
def test_capacity_monotone_and_capped(d1, d2, tx, rx, power):
    t = OpticalTerminal(tx_aperture_m=tx, rx_aperture_m=rx, tx_power_w=power, channels=4)
    r = optical_isl_rate_bps(np.array([min(d1, d2), max(d1, d2)]), t)
    assert r[0] >= r[1]
    assert np.all(r <= t.ceiling_bps)
    assert np.all(optical_received_power_w(np.array([d1, d2]), t) <= t.tx_power_w)


def test_capacity_budget_regime_closed_form_and_saturation():
    d = 1e7  # 10,000 km: budget-limited with the defaults
    e_bit = 100 * PLANCK_J_S * SPEED_OF_LIGHT_M_S / 1550e-9
    expected = friis_gaussian_w(d, TERM) / e_bit
    assert expected < TERM.ceiling_bps
    assert optical_isl_rate_bps(d, TERM) == pytest.approx(expected, rel=1e-3)
    assert optical_isl_rate_bps(1e6, TERM) == TERM.ceiling_bps == 100e9


def test_sensitivity_in_watts_per_channel():
    # sensitivity_w is the power one channel needs at full rate: at that received power per
    # channel, all channels run at full rate; energy per bit = S / R_channel
    t = OpticalTerminal(sensitivity_w=1e-6, channel_rate_bps=10e9, channels=8)
    d = 1e7
    expected = optical_received_power_w(d, t) / (1e-6 / 10e9)
    assert optical_isl_rate_bps(d, t) == pytest.approx(min(expected, 80e9), rel=1e-12)


def test_min_rate_turns_the_link_off():
    t = OpticalTerminal(min_rate_bps=1e9)
    r = optical_isl_rate_bps(np.array([1e6, 1e9]), t)
    assert r[0] == 100e9 and r[1] == 0.0


def test_air_mass_kasten_young_values():
    # Kasten & Young (1989), Applied Optics 28(22): AM(90) = 1.0, AM(30) ~ 1.994, AM(0) = 37.92
    np.testing.assert_allclose(
        air_mass(np.radians([90.0, 30.0, 0.0])), [1.0, 1.994, 37.92], atol=2e-3
    )


def test_ground_rate_shannon_closed_form_at_zenith():
    link = GroundLink(band="ka", rate_bps=1e12, snr_db=10.0, bandwidth_hz=1e9, zenith_loss_db=0.5)
    r = ground_link_rate_bps(1e6, np.pi / 2, link)
    snr = 10 ** ((10.0 - 0.5 * float(air_mass(np.pi / 2))) / 10)
    assert r == pytest.approx(1e9 * np.log2(1 + snr), rel=1e-12)
    # twice the range: SNR down 6.02 dB
    r2 = ground_link_rate_bps(2e6, np.pi / 2, link)
    snr2 = snr / 4
    assert r2 == pytest.approx(1e9 * np.log2(1 + snr2), rel=1e-12)


def test_ground_rate_falls_with_elevation_and_range():
    link = GroundLink(band="ka")
    el = np.radians([90, 60, 40, 26, 24])
    rate = ground_link_rate_bps(np.full(5, 2.0e6), el, link)  # below the ceiling at 2,000 km
    assert np.all(np.diff(rate) < 0)
    assert ground_link_rate_bps(2.6e6, np.pi / 2, link) < rate[0]  # farther, slower
    assert ground_link_rate_bps(1.0, np.pi / 2, link) == 10e9  # capped at the Ka default


def test_band_defaults_differ():
    ka = ground_link_rate_bps(1e6, np.pi / 2, GroundLink(band="ka"))
    x = ground_link_rate_bps(1e6, np.pi / 2, GroundLink(band="x"))
    assert ka > x > 0


def test_cloud_blocked_fraction():
    p, n = 0.3, 200_000
    frac = cloud_blocked(p, n, np.random.default_rng(1)).mean()
    assert abs(frac - p) < 5 * np.sqrt(p * (1 - p) / n)  # 5 sigma


def test_latency_is_distance_over_c_plus_delay():
    assert latency_s(SPEED_OF_LIGHT_M_S) == pytest.approx(1.0)
    np.testing.assert_allclose(latency_s([0.0, 2 * SPEED_OF_LIGHT_M_S], 1e-3), [1e-3, 2.001])


@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"topology": "nearest"}, "", "nearest: k"),
        ({"topology": "mesh"}, "topology", "plus-grid"),
        ({"topology": "in-range"}, "", "max_range_km"),
        ({"topology": "plus-grid", "planes": 72}, "", "per_plane"),
        ({"topology": "plus-grid", "max_range_km": -5}, "max_range_km", "greater than 0"),
        ({"topology": "plus-grid", "range_km": 5}, "range_km", "Extra inputs"),
        ({"topology": "none", "nearest": 3}, "", "topology nearest"),
        ({"terminal": {"photons_per_bit": 10, "sensitivity_w": 1e-6}}, "terminal", "not both"),
    ],
)
def test_isl_config_errors_name_the_field(kwargs, field, words):
    with pytest.raises(ValidationError) as err:
        IslConfig(**kwargs)
    e = err.value.errors()[0]
    assert field in ".".join(str(x) for x in e["loc"])
    assert words in e["msg"] and "\n" not in e["msg"]


def test_ground_link_errors_name_the_field():
    with pytest.raises(ValidationError, match="cloud_probability applies to band optical"):
        GroundLink(band="ka", cloud_probability=0.2)
    with pytest.raises(ValidationError) as err:
        GroundLink(band="s")
    assert err.value.errors()[0]["loc"] == ("band",)
    with pytest.raises(ValidationError) as err:
        GroundLink(band="optical", cloud_probability=1.5)
    assert err.value.errors()[0]["loc"] == ("cloud_probability",)


def test_public_scenario_keys_parse():
    isl = IslConfig(topology="plus-grid", planes=72, per_plane=22, max_range_km=5016)
    assert isl.margin_km == 80.0 and isl.terminal.ceiling_bps == 100e9
    assert isl.margin_m == 80e3 and isl.max_range_m == 5016e3
    assert GroundLink().band == "ka" and GroundLink(band="x").resolved("rate_bps") == 1.2e9
    with pytest.raises(ValidationError, match="Extra inputs"):
        GroundLink(max_range_km=1090)  # a station key (scenario.GroundStation), not a link key
