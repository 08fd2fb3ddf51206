"""Radiators, view factors and the lumped thermal mass against closed forms."""

import numpy as np
import pytest

from orbitgrid.physics.thermal import (
    EARTH_RADIUS_M,
    ThermalState,
    absorbed_environment_w,
    environment_from_geometry,
    environment_w,
    equilibrium_temperature_k,
    heat_limited_power_w,
    integrate_thermal,
    rejected_power_w,
    view_factor_plate_to_sphere,
)

SIGMA = 5.670374419e-8  # CODATA 2018
AU_M = 149_597_870_700.0


# --- view factor of a small plate to a sphere -----------------------------------------------------

def _edge_on_published(h):
    """Plate normal perpendicular to the radius (Howell catalogue; Gilmore 2002 eq. for a
    vertical plate): F = (atan(1/sqrt(H^2-1)) - sqrt(H^2-1)/H^2) / pi."""
    x = np.sqrt(h * h - 1)
    return (np.arctan(1 / x) - x / (h * h)) / np.pi


def _quadrature(h, tilt, n=600):
    """F = (1/pi) * integral of max(0, cos) over the sphere's solid angle, by midpoint rule."""
    half = np.arcsin(1 / h)
    a = (np.arange(n) + 0.5) / n * half
    b = (np.arange(2 * n) + 0.5) / (2 * n) * 2 * np.pi
    a, b = np.meshgrid(a, b, indexing="ij")
    d = np.stack([np.sin(a) * np.cos(b), np.sin(a) * np.sin(b), -np.cos(a)], -1)
    normal = np.array([np.sin(tilt), 0.0, -np.cos(tilt)])
    d_omega = np.sin(a) * (half / n) * (np.pi / n)
    return float((np.maximum(d @ normal, 0.0) * d_omega).sum() / np.pi)


@pytest.mark.parametrize("h", [1.0 + 1e-9, 1.05, 1.0863, 1.5, 4.0, 1e3])
def test_view_factor_facing_sphere_is_inverse_square(h):
    # plate facing the centre: F = (R/r)^2
    assert view_factor_plate_to_sphere(h, 0.0) == pytest.approx(1 / h**2, rel=1e-12)


@pytest.mark.parametrize("h", [1.01, 1.0863, 1.2, 2.0, 6.6])
def test_view_factor_edge_on_matches_published_formula(h):
    f = view_factor_plate_to_sphere(h, np.pi / 2)
    assert f == pytest.approx(_edge_on_published(h), rel=1e-9)


def test_view_factor_limits():
    # at the surface a vertical plate sees half the hemisphere as ground; facing up, nothing;
    # far away, nothing
    assert view_factor_plate_to_sphere(1.0 + 1e-12, np.pi / 2) == pytest.approx(0.5, abs=1e-5)
    assert view_factor_plate_to_sphere(1.2, np.pi) == 0.0
    assert view_factor_plate_to_sphere(100.0, np.pi / 2) < 1e-6  # ~ 2 / (3 pi H^3) = 2e-7
    # 550 km: nadir plate 0.8474, edge-on 0.2565 (published-formula values)
    h = (EARTH_RADIUS_M + 550e3) / EARTH_RADIUS_M
    assert view_factor_plate_to_sphere(h, 0.0) == pytest.approx(0.8474, abs=1e-4)


@pytest.mark.parametrize("h", [1.02, 1.0863, 1.5])
@pytest.mark.parametrize("tilt_deg", [10, 40, 70, 100, 120, 135])
def test_view_factor_tilted_matches_quadrature(h, tilt_deg):
    tilt = np.radians(tilt_deg)
    assert view_factor_plate_to_sphere(h, tilt) == pytest.approx(_quadrature(h, tilt), abs=2e-6)


# --- rejection and equilibrium --------------------------------------------------------------------

def test_two_sided_rejection_in_deep_space():
    # 1 m2 panel, both faces, eps 0.9, 300 K, 0 K sink: 0.9 * sigma * 2 * 300^4 = 826.74 W
    assert rejected_power_w(300.0, 1.0, 2, 0.9, sink_k=0.0) == pytest.approx(826.74, abs=0.01)
    assert rejected_power_w(300.0, 1.0, 1, 0.9, sink_k=0.0) == pytest.approx(413.37, abs=0.01)


def test_equilibrium_temperature_stefan_boltzmann():
    # 1000 W from a 1 m2 two-sided black radiator: T = (1000 / (2 sigma))^(1/4) = 306.44 K
    t_eq = equilibrium_temperature_k(1000.0, 1.0, 2, 1.0, sink_k=0.0)
    assert t_eq == pytest.approx(306.44, abs=0.01)


def test_heat_limited_power_at_limit():
    # 60 m2 two-sided, eps 0.9, 330 K: 0.9 * sigma * 120 * 330^4 = 72.6 kW, less 10 kW absorbed
    p = heat_limited_power_w(330.0, 10_000.0, 60.0, 2, 0.9, sink_k=0.0)
    assert p == pytest.approx(0.9 * SIGMA * 120 * 330.0**4 - 10_000.0, rel=1e-12)
    assert p == pytest.approx(62_622, abs=5)


# --- environmental loads --------------------------------------------------------------------------

ALT_M = 550e3
H = (EARTH_RADIUS_M + ALT_M) / EARTH_RADIUS_M
F_NADIR = 1 / H**2
F_EDGE = _edge_on_published(H)


def _env(orientation, angle_deg, sides=1, illumination=1.0, eps=0.9, alpha=0.2):
    """Satellite at 550 km, `angle_deg` from the sub-solar point, Sun on +x at 1 AU."""
    a = np.radians(angle_deg)
    r = (EARTH_RADIUS_M + ALT_M) * np.array([[[np.cos(a), np.sin(a), 0.0]]])
    sun = np.array([[AU_M, 0.0, 0.0]])
    w = absorbed_environment_w(orientation, r, sun, np.array([[illumination]]), np.array([1.0]),
                               area_m2=1.0, sides=sides, emissivity=eps, absorptivity=alpha)
    return float(w[0, 0])


def test_nadir_panel_under_the_sun():
    # IR and albedo through F = (R/r)^2; no direct sunlight on a face looking down
    expected = 0.9 * F_NADIR * 237 + 0.2 * F_NADIR * 0.30 * 1361
    assert _env("nadir", 0) == pytest.approx(expected, rel=1e-6)


def test_zenith_panel_under_the_sun_sees_only_the_sun():
    assert _env("zenith", 0) == pytest.approx(0.2 * 1361, rel=1e-6)


def test_two_sided_nadir_adds_the_sunlit_top_face():
    assert _env("nadir", 0, sides=2) == pytest.approx(_env("nadir", 0) + 0.2 * 1361, rel=1e-6)


def test_edge_on_at_the_terminator():
    # Sun on the horizon: no albedo, full sun on one face, Earth IR on both faces
    expected = 2 * 0.9 * F_EDGE * 237 + 0.2 * 1361
    assert _env("edge-on", 90, sides=2) == pytest.approx(expected, rel=1e-4)


def test_sun_shaded_in_eclipse_gets_earth_ir_only():
    assert _env("sun-shaded", 180, sides=2, illumination=0.0) == pytest.approx(
        2 * 0.9 * F_EDGE * 237, rel=1e-6)
    assert _env("sun-shaded", 90, sides=2) == pytest.approx(2 * 0.9 * F_EDGE * 237, rel=1e-4)


def test_unknown_orientation():
    with pytest.raises(ValueError, match="orientation"):
        _env("sideways", 0)


# --- the lumped thermal mass ----------------------------------------------------------------------

AREA, SIDES, EPS, HEAT_W, C = 2.0, 2, 0.9, 1500.0, 50_000.0


def _integrate(t0, n, dt, compute=HEAT_W, t_max=1000.0, other=0.0, env=0.0):
    shape = (n, 1)
    return integrate_thermal(np.full(shape, compute), other, env, dt, AREA, SIDES, EPS, C, t_max,
                             ThermalState(np.array([t0])), sink_k=0.0)


def test_lumped_mass_reaches_stefan_boltzmann_equilibrium():
    t_eq = (HEAT_W / (EPS * SIGMA * AREA * SIDES)) ** 0.25
    for dt in (10.0, 5_000.0):  # a step far beyond the time constant (~2,400 s) stays stable
        trace = _integrate(200.0, int(100_000 / dt), dt)
        assert trace.state.temperature_k[0] == pytest.approx(t_eq, abs=1e-6)


def test_linearised_regime_decays_with_analytic_time_constant():
    # small offset: T(t) = T_eq + dT0 exp(-t / tau), tau = C / (4 eps sigma A sides T_eq^3)
    t_eq = (HEAT_W / (EPS * SIGMA * AREA * SIDES)) ** 0.25
    tau = C / (4 * EPS * SIGMA * AREA * SIDES * t_eq**3)
    for dt in (tau / 10, tau):
        n = int(round(5 * tau / dt))
        trace = _integrate(t_eq + 0.5, n, dt)
        t = dt * np.arange(1, n + 1)
        expected = t_eq + 0.5 * np.exp(-t / tau)
        # second-order (nonlinear) error is ~1.5 * dT^2 / T ~ 1e-3 K
        np.testing.assert_allclose(trace.temperature_k[:, 0], expected, atol=3e-3)


def test_throttling_holds_the_limit_and_converges_to_the_heat_limited_power():
    t_max, other, env = 320.0, 200.0, 150.0
    trace = _integrate(250.0, 3000, 10.0, compute=5000.0, t_max=t_max, other=other, env=env)
    assert trace.temperature_k.max() <= t_max + 1e-9
    steady = EPS * SIGMA * AREA * SIDES * t_max**4 - other - env  # closed form at the limit
    assert trace.compute_w[-1, 0] == pytest.approx(steady, rel=1e-6)
    assert trace.throttled_s[-1, 0] == 10.0
    assert trace.throttled_s[0, 0] == 0.0  # starts cold: full power at first


def test_no_throttling_below_the_limit():
    trace = _integrate(250.0, 100, 10.0, compute=500.0, t_max=400.0)
    assert trace.throttled_s.sum() == 0
    np.testing.assert_array_equal(trace.compute_w, 500.0)


def test_two_chunks_continue_like_one_run():
    whole = _integrate(200.0, 50, 30.0)
    first = _integrate(200.0, 20, 30.0)
    second = integrate_thermal(np.full((30, 1), HEAT_W), 0.0, 0.0, 30.0, AREA, SIDES, EPS, C,
                               1000.0, first.state, sink_k=0.0)
    np.testing.assert_array_equal(whole.temperature_k[20:], second.temperature_k)


def test_radiator_block_in_deep_space_shade_absorbs_nothing():
    from orbitgrid.physics.satellite import Radiator

    rad = Radiator(area_m2=10, sides=2, emissivity=0.9, absorptivity=0.2,
                   orientation="sun-shaded", heat_capacity_j_k=1e4)
    r = np.array([[[1e11, 0.0, 0.0]]])  # far from the Earth: no IR, no albedo
    w = absorbed_environment_w(rad.orientation, r, np.array([[AU_M, 1e11, 0.0]]),
                               np.ones((1, 1)), [1.0], rad.area_m2, rad.sides, rad.emissivity,
                               rad.absorptivity)
    assert w[0, 0] == pytest.approx(0.0, abs=1e-6)  # vs ~2,700 W if sunlit


@pytest.mark.parametrize("orientation", ["nadir", "zenith", "edge-on", "sun-shaded"])
@pytest.mark.parametrize("sides", [1, 2])
def test_compiled_environment_equals_numpy(orientation, sides):
    """environment_w (one compiled pass) against environment_from_geometry, every orientation."""
    rng = np.random.default_rng(sides)
    shape = (40, 300)
    r_norm = rng.uniform(6.0e6, 4.3e7, shape)  # below the mean radius (clamped) up to GEO
    mu = rng.uniform(-1.0, 1.0, shape)
    lit = np.clip(rng.uniform(-0.5, 1.5, shape), 0.0, 1.0)
    flux = rng.uniform(1316.0, 1408.0, shape[0])
    r_norm[3, 5] = mu[3, 5] = np.nan
    want = environment_from_geometry(orientation, r_norm, mu, lit, flux[:, None], 12.0, sides,
                                     0.88, 0.2)
    got = environment_w(orientation, r_norm, mu, lit, flux, 12.0, sides, 0.88, 0.2)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-9)
    assert np.isnan(got[3, 5]) and np.isfinite(np.delete(got.ravel(), 3 * 300 + 5)).all()
