"""The radiation model: SAA box, flux trends, dose conversion, a published dose, seeded events."""

import numpy as np
import pytest

from orbitgrid.physics.radiation import (
    EVENT_DTYPE,
    annual_dose_rad,
    dose_rate_gy_s,
    draw_events,
    event_rate_per_s,
    in_saa,
    particle_flux_cm2_s,
)

deg = np.radians


def _ground_track(inclination_deg, n=1000):
    """Latitude and longitude sampled evenly over a long time: argument of latitude u and
    longitude independent and uniform (a non-repeating circular orbit); lat = asin(sin i sin u)."""
    u = (np.arange(n) + 0.5) / n * 2 * np.pi
    lon = (np.arange(n) + 0.5) / n * 2 * np.pi - np.pi
    u, lon = np.meshgrid(u, lon, indexing="ij")
    return np.arcsin(np.sin(deg(inclination_deg)) * np.sin(u)), lon


def test_saa_box():
    lat = deg(np.array([-30.0, 30.0, -30.0, -30.0, -60.0]))
    lon = deg(np.array([-45.0, -45.0, 100.0, 315.0, -45.0]))  # 315 deg east = 45 deg west
    np.testing.assert_array_equal(in_saa(lat, lon), [True, False, False, True, False])


def test_flux_rises_with_altitude_and_in_the_saa():
    alt = np.array([400e3, 550e3, 650e3, 800e3, 1200e3])
    inside = particle_flux_cm2_s(np.full(5, deg(-30)), np.full(5, deg(-45)), alt)
    outside = particle_flux_cm2_s(np.full(5, deg(30)), np.full(5, deg(-45)), alt)
    assert np.all(np.diff(inside) > 0)
    assert np.all(inside[1:] > 10 * outside[1:])


def test_flux_outside_the_saa_rises_with_latitude_and_so_with_inclination():
    lat = deg(np.array([0.0, 20.0, 40.0, 60.0, 80.0]))
    flux = particle_flux_cm2_s(lat, np.full(5, deg(120)), np.full(5, 550e3))
    assert np.all(np.diff(flux) > 0)
    means = []
    for inc in (30.0, 53.0, 97.6):
        lat, lon = _ground_track(inc, 400)
        gcr = np.where(in_saa(lat, lon), np.nan, particle_flux_cm2_s(lat, lon, 550e3))
        means.append(np.nanmean(gcr))
    assert means[0] < means[1] < means[2]


def test_shielding_lowers_the_saa_flux():
    lat, lon = np.array([deg(-30)]), np.array([deg(-45)])
    thin, thick = (particle_flux_cm2_s(lat, lon, 650e3, shielding_mm_al=t) for t in (2.0, 20.0))
    assert thin[0] > 5 * thick[0]


def test_dose_conversion():
    # D[rad] = 1.602e-8 * S[MeV cm2/g] * fluence[cm^-2]: 1e9 protons/cm2 at 8 MeV cm2/g = 128.2 rad
    one_year_s = 365.25 * 86_400
    rate = dose_rate_gy_s(np.full((1, 1), 1e9 / one_year_s))
    assert annual_dose_rad(rate)[0] == pytest.approx(128.2, abs=0.1)


def test_suncatcher_shielded_dose_reproduced():
    # Google, "Towards a future space-based, highly scalable AI infrastructure system design"
    # (2025): 750 rad(Si) over a five-year mission at ~650 km dawn-dusk SSO behind 10 mm Al,
    # i.e. 150 rad(Si)/year. The model is calibrated to this; hold it within 30%.
    lat, lon = _ground_track(97.9)
    flux = particle_flux_cm2_s(lat, lon, 650e3, shielding_mm_al=10.0).reshape(-1, 1)
    assert annual_dose_rad(dose_rate_gy_s(flux))[0] == pytest.approx(150.0, rel=0.3)


def test_event_rate_is_cross_section_times_flux_times_count():
    assert event_rate_per_s(100.0, 1e-5, 8) == pytest.approx(8e-3)


def _rates(n_t=500, n_s=20, value=2e-3):
    return {"seu": np.full((n_t, n_s), value), "sefi": np.full((n_t, n_s), value / 10)}


def test_events_are_deterministic_for_a_seed():
    t = np.arange(500) * 10.0
    a = draw_events(t, 10.0, _rates(), np.random.default_rng(42))
    b = draw_events(t, 10.0, _rates(), np.random.default_rng(42))
    c = draw_events(t, 10.0, _rates(), np.random.default_rng(43))
    assert a.dtype == EVENT_DTYPE
    np.testing.assert_array_equal(a, b)
    assert a.size != c.size or not np.array_equal(a, c)


def test_event_counts_match_poisson_mean_and_fall_inside_their_steps():
    n_t, n_s, rate, dt = 500, 20, 2e-3, 10.0
    t = 1000.0 + np.arange(n_t) * dt
    rng = np.random.default_rng(7)
    events = draw_events(t, dt, _rates(n_t, n_s, rate), rng, satellite_offset=100)
    expected = rate * dt * n_t * n_s  # 200 SEUs; Poisson sd = sqrt(200) = 14
    n_seu = np.count_nonzero(events["kind"] == "seu")
    assert abs(n_seu - expected) < 5 * np.sqrt(expected)
    n_sefi = np.count_nonzero(events["kind"] == "sefi")
    assert abs(n_sefi - expected / 10) < 5 * np.sqrt(expected / 10)
    assert np.all(np.diff(events["time_s"]) >= 0)
    assert events["time_s"].min() >= t[0] and events["time_s"].max() < t[-1] + dt
    assert events["satellite"].min() >= 100 and events["satellite"].max() < 100 + n_s


def test_no_rate_no_events():
    events = draw_events(np.arange(10.0), 1.0, {"seu": np.zeros((10, 3))}, np.random.default_rng(0))
    assert events.size == 0 and events.dtype == EVENT_DTYPE
    assert draw_events(np.arange(10.0), 1.0, {}, np.random.default_rng(0)).size == 0
