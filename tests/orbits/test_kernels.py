"""Compiled sampling kernels against the numpy code they replace: Hermite positions, the shadow."""

from __future__ import annotations

import numpy as np

from orbitgrid.constants import EARTH_RADIUS_M
from orbitgrid.fleet import build_fleet
from orbitgrid.orbits.samples import Samples
from orbitgrid.orbits.sun import (
    illumination_fraction,
    shadow_geometry,
    sun_geometry,
    sun_position_m,
)
from orbitgrid.orbits.trajectory import Trajectory, _hermite, knot_times
from orbitgrid.scenario import load_scenario

EPOCH = np.datetime64("2026-05-13T00:00:00")


def _trajectory() -> Trajectory:
    """The preset starlink catalogue's first 300 satellites over 20 minutes of knots."""
    fleet = build_fleet(load_scenario("starlink")).subset(slice(0, 300))
    t = knot_times(0.0, 1200.0)
    states = fleet.propagate(EPOCH, t)
    r = states.r.copy()
    r[4:, 7] = np.nan  # a satellite lost half-way
    return Trajectory(EPOCH, t, r, states.v)


def test_positions_and_velocities_equal_the_numpy_hermite():
    traj = _trajectory()
    t = np.arange(0.0, 1200.0 + 1e-6, 10.0)
    j, s, h = traj._locate(t)
    r, v = _hermite(traj._state[j], traj._state[j + 1], s[:, None, None], h[:, None, None])
    # the kernel does _hermite's operations in _hermite's order: the same numbers exactly
    np.testing.assert_array_equal(traj.positions(t), r)
    np.testing.assert_array_equal(traj.velocities(t), v)
    assert np.isnan(r[-1, 7]).all() and np.isfinite(r[:, 8]).all()


def test_samples_compute_velocities_only_when_asked():
    traj = _trajectory()
    t = np.arange(0.0, 600.0, 30.0)
    samples = Samples.from_trajectory(traj, t)
    assert "v_eci" not in samples.__dict__
    assert samples.illumination.shape == (len(t), 300)
    assert "v_eci" not in samples.__dict__
    r, v = traj.grid(t)
    np.testing.assert_array_equal(samples.r_eci, r)
    np.testing.assert_array_equal(samples.v_eci, v)
    np.testing.assert_array_equal(Samples(EPOCH, t, r, v).v_eci, v)


def test_sun_geometry_equals_the_numpy_shadow():
    """Points spread over LEO and packed at the shadow's edge, penumbra and umbra included."""
    rng = np.random.default_rng(7)
    n_t, n = 12, 4000
    sun = sun_position_m(np.linspace(9628.0, 9629.0, n_t))
    s_hat = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    u = rng.normal(size=(n_t, n, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    r = u * rng.uniform(6.6e6, 8e6, (n_t, n, 1))
    # half behind the Earth, at distances from the shadow axis across the penumbra
    across = np.cross(s_hat[:, None, :], u[:, : n // 2])
    across /= np.linalg.norm(across, axis=-1, keepdims=True)
    r[:, : n // 2] = (-s_hat[:, None, :] * rng.uniform(1e6, 3e6, (n_t, n // 2, 1))
                      + across * rng.uniform(6.30e6, 6.45e6, (n_t, n // 2, 1)))
    r[3, 11] = np.nan
    lit, r_norm, cos_zenith = sun_geometry(r, sun)
    want = illumination_fraction(*shadow_geometry(r, sun[:, None, :]))
    partial = (want > 0) & (want < 1)
    assert partial.sum() > 1000 and (want == 0).sum() > 1000
    # the overlap formula is ill-conditioned at the penumbra's inner edge (an arccos near 1):
    # an ulp in the angles moves the fraction by up to ~1e-8 there, and by an ulp elsewhere
    np.testing.assert_allclose(lit, want, rtol=0, atol=1e-7)
    assert np.median(np.abs(lit - want)[partial]) < 1e-12
    np.testing.assert_array_equal(lit == 0, want == 0)
    np.testing.assert_allclose(r_norm, np.linalg.norm(r, axis=-1), rtol=1e-15)
    want_mu = np.einsum("tsk,tk->ts", r, s_hat) / np.linalg.norm(r, axis=-1)
    np.testing.assert_allclose(cos_zenith, want_mu, rtol=0, atol=1e-15)
    assert lit[3, 11] == want[3, 11] == 1.0 and np.isnan(r_norm[3, 11])
    assert (r_norm[np.isfinite(r_norm)] > EARTH_RADIUS_M).all()
