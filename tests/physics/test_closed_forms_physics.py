"""Closed forms and published figures against the code, each with its formula or source.

The sun-synchronous inclination is checked in tests/orbits/test_closed_forms.py, the two-sided
radiator in deep space and the radiator equilibrium temperature in test_thermal_balance.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.constants import AU_M, EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.orbits.sun import illumination_fraction, shadow_geometry
from orbitgrid.physics.power import generated_power_w, solar_flux_w_m2
from orbitgrid.physics.thermal import rejected_power_w
from orbitgrid.scenario import validate_scenario
from orbitgrid.simulation import simulate
from orbitgrid.sizing import orbit_environment

R = EARTH_RADIUS_M  # the shadow code's spherical Earth


def kepler_period_s(a_m):
    """T = 2 pi sqrt(a^3 / mu) (Vallado, Fundamentals of Astrodynamics, eq. 1-26)."""
    return 2 * math.pi * math.sqrt(a_m**3 / MU_EARTH_M3_S2)


def cylindrical_eclipse_fraction(r_m, beta_rad):
    """Fraction of a circular orbit in a cylindrical shadow (Vallado 5.3; Wertz, SMAD eq. 8-3):
    (1/pi) acos(sqrt(r^2 - R^2) / (r cos beta)), 0 when |beta| >= asin(R / r)."""
    c = math.sqrt(r_m**2 - R**2) / (r_m * math.cos(beta_rad))
    return math.acos(c) / math.pi if c < 1 else 0.0


def test_period_of_a_550km_orbit_and_eclipse_spacing(tmp_path):
    # 550 km: a = 6928.137 km, T = 5739.0 s (95.65 min). The pipeline's eclipses recur at the
    # draconic period, within 0.2% of Kepler's under J2 at 53 deg; tolerance 0.3%.
    a = R + 550e3
    assert kepler_period_s(a) == pytest.approx(5739.0, abs=0.5)
    sc = validate_scenario({
        "name": "period", "epoch": "2026-03-20T00:00:00Z", "duration": "1d", "step": "60s",
        "constellations": [{"name": "one", "walker": {
            "satellites": 1, "planes": 1, "altitude_km": 550, "inclination_deg": 53}}],
    })
    ecl = simulate(sc, out=tmp_path / "run").table("eclipses").to_pylist()
    starts = np.array([e["start_time"].timestamp() for e in ecl if e["kind"] == "umbra"])
    assert len(starts) >= 14
    assert np.median(np.diff(starts)) == pytest.approx(kepler_period_s(a), rel=3e-3)


def _shadow_fraction_at_beta(altitude_m, beta_deg, n=7200):
    """Umbra and any-shadow fractions of one circular orbit with the Sun fixed at beta."""
    r_m = R + altitude_m
    b = math.radians(beta_deg)
    u = (np.arange(n) + 0.5) / n * 2 * np.pi
    # orbit plane tilted so the Sun (on +x) is beta above it: normal (sin b, 0, cos b)... rotate
    p = np.stack([np.cos(u), np.sin(u), np.zeros(n)], -1)
    rot = np.array([[math.cos(b), 0, -math.sin(b)], [0, 1, 0], [math.sin(b), 0, math.cos(b)]])
    r = r_m * p @ rot.T
    sun = np.array([AU_M, 0.0, 0.0])
    sep, earth, sun_r = shadow_geometry(r, sun)
    lit = illumination_fraction(sep, earth, sun_r)
    return float(np.mean(lit == 0)), float(np.mean(lit < 1))


@pytest.mark.parametrize("beta_deg", [0.0, 30.0, 50.0, 60.0])
def test_eclipse_fraction_against_the_cylindrical_shadow(beta_deg):
    # the conical shadow's umbra is inside the cylinder and its penumbra outside: the closed
    # form lies between them (plus 1e-3 of an orbit of sampling); at beta = 0, 550 km, the
    # worst case: 35.6 min of a 95.65 min orbit
    umbra, shadow = _shadow_fraction_at_beta(550e3, beta_deg)
    f = cylindrical_eclipse_fraction(R + 550e3, math.radians(beta_deg))
    assert umbra - 1e-3 <= f <= shadow + 1e-3
    if beta_deg == 0.0:
        assert f * kepler_period_s(R + 550e3) / 60 == pytest.approx(35.6, abs=0.1)
        assert shadow - umbra < 0.01  # penumbrae under 1% of the orbit


def test_no_eclipse_above_the_critical_beta():
    # beta* = asin(R / r) = 67.02 deg at 550 km; the penumbra reaches the Sun's angular radius
    # (0.27 deg) further: shadow 0.3 deg below beta*, none 0.3 deg above
    beta_star = math.degrees(math.asin(R / (R + 550e3)))
    assert beta_star == pytest.approx(67.02, abs=0.01)
    assert _shadow_fraction_at_beta(550e3, beta_star - 0.3)[1] > 0
    assert _shadow_fraction_at_beta(550e3, beta_star + 0.3)[1] == 0


def test_dawn_dusk_650km_has_an_eclipse_season():
    # The pipeline's shadow search over 2026 for one dawn-dusk (LTAN 18:00) orbit at 650 km.
    # Closed form for the longest eclipse: the smallest beta is about 90 - 23.44 - (i - 90) =
    # 58.6 deg (i = 97.99 deg), and the cylindrical shadow gives 0.2016 x 97.7 min = 19.7 min;
    # the search counts penumbrae too. Measured: 4.18% of the year in shadow, longest 20.2 min,
    # 1,360 eclipses, all around the June solstice. Tolerances: 1 min, and 2-7% of the year.
    env = orbit_environment("dawn-dusk:650km")
    r_m = R + 650e3
    i = math.acos(-((r_m / 12352e3) ** 3.5))  # SSO inclination (Vallado eq. 9-43), 97.99 deg
    beta_min = math.radians(90 - 23.44) - (i - math.pi / 2)
    closed = cylindrical_eclipse_fraction(r_m, beta_min) * kepler_period_s(r_m)
    assert closed / 60 == pytest.approx(19.7, abs=0.2)
    assert env.longest_eclipse_s == pytest.approx(closed, abs=60)
    assert 0.02 < env.eclipse_fraction < 0.07
    assert 1000 < env.eclipses < 2000  # 15 orbits a day for ~3 months


# --- published figures, reproduced from their own inputs ---------------------------------------


def test_starcloud_radiator_net_rejection():
    # Starcloud, "Why we should train AI in space" (white paper, 2024-25,
    # starcloudinc.github.io/wp.pdf), as summarised at clarityreader.xyz: a two-sided radiator at
    # 20 C emits 770 W/m2, absorbs ~137 W/m2 (sunlight, albedo, Earth IR) and nets 633.08 W/m2,
    # with sigma = 5.67e-8. The emissivity is not in the text we found: 0.92 is back-solved from
    # 770 W/m2, and the absorbed 137 W/m2 is taken as published (their absorptivity and view
    # factor were not found). Tolerance 0.5%.
    emitted = rejected_power_w(293.15, 1.0, 2, 0.92, sink_k=0.0)
    assert emitted == pytest.approx(770.0, rel=5e-3)
    assert emitted - 137.0 == pytest.approx(633.08, rel=5e-3)


def test_starcloud_5gw_array_area():
    # Starcloud white paper: a 5 GW data centre with 4 km x 4 km of solar arrays. At 1361 W/m2
    # (1 AU, sun-tracking, no eclipse in dawn-dusk) that implies an array efficiency
    # (cell x packing) of 5e9 / (1361 x 16e6) = 0.230, between the catalogue's silicon (0.22)
    # and triple-junction (0.30) cells; the paper's cell efficiency was not found.
    one = np.ones((1, 1))
    p = generated_power_w(solar_flux_w_m2([1.0]), one, one, 16e6, 0.23, 1.0)[0, 0]
    assert p == pytest.approx(5e9, rel=0.01)
    side_km = math.sqrt(5e9 / generated_power_w(solar_flux_w_m2([1.0]), one, one, 1.0, 0.22,
                                                 1.0)[0, 0]) / 1e3
    assert side_km == pytest.approx(4.0, rel=0.03)  # 22% silicon: 4.09 km


def test_suncatcher_starlink_v2_mini_class_power():
    # Google, "Towards a future space-based, highly scalable AI infrastructure system design"
    # (2025), as summarised at vuink.com/post/natnqu-d-dpbz/space-data-centers-2: each satellite
    # has roughly 28 kW of solar power (Starlink V2 mini: ~105 m2 of 22% cells), 2.26 MW for the
    # 81-satellite cluster. Kernel: 1361 x 105 x 0.22 x packing 0.9 = 28.3 kW. Tolerance 2%.
    one = np.ones((1, 1))
    p = generated_power_w(solar_flux_w_m2([1.0]), one, one, 105.0, 0.22, 0.9)[0, 0]
    assert p == pytest.approx(28e3, rel=0.02)
    assert 81 * p == pytest.approx(2.26e6, rel=0.02)
