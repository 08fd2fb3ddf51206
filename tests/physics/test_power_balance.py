"""Solar array output and battery state of charge against closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitgrid.physics.power import (
    BatteryState,
    degradation_factor,
    generated_power_w,
    incidence_cosine,
    integrate_battery,
    solar_flux_w_m2,
)

AU_M = 149_597_870_700.0
APHELION_AU = 1.01671  # Earth's aphelion distance (e = 0.0167)
PERIHELION_AU = 0.98329


def test_solar_flux_at_1au_and_aphelion():
    # inverse-square law on TSI 1361 W/m2 (Kopp & Lean 2011): 1361 / 1.01671^2 = 1316.6 W/m2
    flux = solar_flux_w_m2([1.0, APHELION_AU, PERIHELION_AU])
    assert flux[0] == pytest.approx(1361.0, abs=1e-9)
    assert flux[1] == pytest.approx(1316.6, abs=0.1)
    assert flux[2] == pytest.approx(1407.7, abs=0.1)


def test_array_power_sun_tracking():
    # 100 m2, 30% cells, packing 0.9, full sun: 1361 * 100 * 0.30 * 0.9 = 36,747 W at 1 AU
    flux = solar_flux_w_m2([1.0, APHELION_AU])
    ones = np.ones((2, 3))
    p = generated_power_w(flux, ones, ones, 100.0, 0.30, 0.9)
    assert p.shape == (2, 3)
    np.testing.assert_allclose(p[0], 36_747.0, atol=0.5)
    np.testing.assert_allclose(p[1], 36_747.0 / APHELION_AU**2, atol=0.5)  # 35,549 W


def test_starlink_v2_mini_class_array():
    # Suncatcher paper: ~105 m2 of 22% cells; 1361 * 105 * 0.22 = 31.4 kW before packing
    p = generated_power_w(solar_flux_w_m2([1.0]), np.ones((1, 1)), np.ones((1, 1)), 105, 0.22, 1.0)
    assert p[0, 0] == pytest.approx(31_440, rel=1e-3)


def test_illumination_and_per_satellite_parameters_scale_linearly():
    flux = solar_flux_w_m2([1.0])
    illum = np.array([[1.0, 0.5, 0.0]])
    area = np.array([10.0, 20.0, 30.0])
    p = generated_power_w(flux, np.ones((1, 3)), illum, area, 0.3, 1.0)
    np.testing.assert_allclose(p[0], [4083.0, 4083.0, 0.0], atol=1e-9)


def test_degradation_ten_years():
    # 0.5%/year compounded for 10 years: 0.995^10 = 0.95111
    ten_years_s = 10 * 365.25 * 86_400
    assert degradation_factor([0.0, ten_years_s], 0.005)[1] == pytest.approx(0.95111, abs=1e-5)
    assert degradation_factor([0.0], 0.01, age_years_at_epoch=1.0)[0] == pytest.approx(0.99)


def _geometry(angle_deg):
    """Sun on +x at 1 AU; satellites at 7000 km at the given angles from the Sun line."""
    a = np.radians(np.asarray(angle_deg, dtype=float))
    r = 7.0e6 * np.stack([np.cos(a), np.sin(a), np.zeros_like(a)], axis=-1)[None]
    sun = np.array([[AU_M, 0.0, 0.0]])
    return r, sun


@pytest.mark.parametrize("pointing, expected", [
    # angle from the sub-solar direction: 0 (Sun overhead), 60, 90 (terminator), 180 (midnight)
    ("sun-tracking", [1.0, 1.0, 1.0, 1.0]),
    ("body-fixed", [1.0, 0.5, 0.0, 0.0]),
    ("nadir", [0.0, 0.0, 0.0, 1.0]),
])
def test_incidence_cosine(pointing, expected):
    r, sun = _geometry([0, 60, 90, 180])
    # parallax of a 7000 km offset seen from 1 AU is < 5e-5 rad
    np.testing.assert_allclose(incidence_cosine(pointing, r, sun)[0], expected, atol=1e-4)


def test_incidence_unknown_mode():
    r, sun = _geometry([0])
    with pytest.raises(ValueError, match="pointing"):
        incidence_cosine("spinning", r, sun)


def _run(gen, load, dt, cap, floor, eff, e0):
    return integrate_battery(gen, load, dt, cap, floor, eff, BatteryState(np.asarray(e0, float)))


def test_eclipse_discharge_closed_form():
    # 1 kWh battery, 100 W load, no sun for 1 h: ideal cell ends at 900 Wh;
    # round trip 0.81 -> discharge efficiency 0.9 -> draws 100/0.9 = 111.1 Wh
    wh = 3600.0
    gen = np.zeros((60, 2))
    trace = _run(gen, 100.0, 60.0, 1000 * wh, 0.0, np.array([1.0, 0.81]), [1000 * wh] * 2)
    np.testing.assert_allclose(trace.state.energy_j / wh, [900.0, 1000 - 100 / 0.9], rtol=1e-12)
    assert trace.unmet_j.sum() == 0


def test_battery_sized_for_eclipse_exactly_carries_the_load():
    # Sizing closed form: capacity = P * t_eclipse / (DoD * eta_discharge)
    load_w, eclipse_s, dod, round_trip = 5000.0, 2150.0, 0.3, 0.9
    cap = load_w * eclipse_s / (dod * np.sqrt(round_trip))
    caps = np.array([cap, 0.99 * cap])
    floor = caps * (1 - dod)
    gen = np.zeros((int(eclipse_s / 10), 2))
    trace = _run(gen, load_w, 10.0, caps, floor, round_trip, caps)
    assert trace.unmet_j[:, 0].sum() == pytest.approx(0.0, abs=1e-6 * load_w * eclipse_s)
    np.testing.assert_allclose(trace.state.energy_j, floor, rtol=1e-9)
    # 1% short: about 1% of the eclipse energy is unmet
    assert trace.unmet_j[:, 1].sum() == pytest.approx(0.01 * load_w * eclipse_s, rel=1e-6)


def test_full_battery_curtails_surplus():
    trace = _run(np.full((10, 1), 300.0), 100.0, 1.0, 1000.0, 0.0, 0.95, [1000.0])
    np.testing.assert_allclose(trace.curtailed_j, 200.0)
    np.testing.assert_allclose(trace.energy_j, 1000.0)


def _check_conservation(gen, load, dt, cap, floor, eff, e0):
    trace = _run(gen, load, dt, cap, floor, eff, e0)
    harvested = (gen * dt).sum(axis=0)
    stored = trace.state.energy_j - np.asarray(e0)
    accounted = trace.served_j.sum(0) + stored + trace.curtailed_j.sum(0) + trace.loss_j.sum(0)
    scale = np.maximum(harvested, (load * dt).sum(axis=0))
    np.testing.assert_allclose(accounted, harvested, rtol=0, atol=1e-9 * scale.max() + 1e-6)
    served_plus_unmet = trace.served_j + trace.unmet_j
    np.testing.assert_allclose(served_plus_unmet, np.broadcast_to(load * dt, gen.shape))
    assert np.all(trace.energy_j <= cap * (1 + 1e-12))
    assert np.all(trace.energy_j >= np.minimum(floor, e0) - 1e-6)
    assert np.all(trace.curtailed_j >= 0) and np.all(trace.unmet_j >= 0)
    return trace


def test_energy_conserved_for_every_satellite_orbit_like():
    rng = np.random.default_rng(1)
    n_t, n_s = 2000, 50
    t = np.arange(n_t) * 10.0
    sunlit = (np.sin(2 * np.pi * t / 5700.0)[:, None] + rng.uniform(-0.5, 0.5, n_s)) > -0.3
    gen = np.where(sunlit, rng.uniform(500, 3000, n_s), 0.0)
    load = rng.uniform(200, 1500, (n_t, n_s))
    cap = rng.uniform(1e5, 5e6, n_s)
    _check_conservation(gen, load, 10.0, cap, 0.3 * cap, rng.uniform(0.8, 1.0, n_s), 0.8 * cap)


@settings(max_examples=60, deadline=None, database=None)
@given(
    gen=st.lists(st.floats(0, 5000), min_size=1, max_size=40),
    load=st.floats(0, 5000),
    cap=st.floats(1.0, 1e7),
    dod=st.floats(0.01, 1.0),
    eff=st.floats(0.5, 1.0),
    soc=st.floats(0.0, 1.0),
)
def test_energy_conserved_property(gen, load, cap, dod, eff, soc):
    g = np.array(gen)[:, None]
    _check_conservation(g, np.full_like(g, load), 7.0, cap, cap * (1 - dod), eff, [soc * cap])


def test_two_chunks_continue_like_one_run():
    rng = np.random.default_rng(2)
    gen = rng.uniform(0, 2000, (100, 4))
    args = (1000.0, 10.0, 1e6, 2e5, 0.9)
    whole = _run(gen, *args, [5e5] * 4)
    first = _run(gen[:37], *args, [5e5] * 4)
    second = integrate_battery(gen[37:], *args, first.state)
    np.testing.assert_array_equal(np.vstack([first.energy_j, second.energy_j]), whole.energy_j)


def test_array_power_from_a_resolved_satellite():
    from orbitgrid.physics.power import array_power_w
    from orbitgrid.physics.satellite import Solar

    solar = Solar(area_m2=100, efficiency=0.30, packing=0.9, pointing="sun-tracking",
                  degradation_per_year=0.005)
    r, sun = _geometry([0, 90])
    one_year_s = 365.25 * 86_400
    p = array_power_w(solar, [one_year_s], r, sun, np.array([[1.0, 0.25]]), [1.0])
    # 36,747 W at 1 AU, one year of 0.5% degradation, a quarter in penumbra
    np.testing.assert_allclose(p[0], [36_747 * 0.995, 36_747 * 0.995 * 0.25], atol=0.5)
