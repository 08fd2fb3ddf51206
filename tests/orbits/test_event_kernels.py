"""The compiled event searches against the numpy searches they replaced (tests/orbits/
slow_search.py, the code at 73fb95f): the same intervals, edges within EDGE_TOLERANCE_S, on
real element sets, a satellite lost mid-chunk, stations with a maximum range, and grazing
passes; and every contact edge against the elevation itself."""

from __future__ import annotations

import numpy as np
import pytest
import slow_search as slow

from orbitgrid.fleet import build_fleet
from orbitgrid.orbits.contacts import Stations, contact_intervals
from orbitgrid.orbits.eclipses import shadow_intervals
from orbitgrid.orbits.events import EDGE_TOLERANCE_S
from orbitgrid.orbits.trajectory import Trajectory, knot_times
from orbitgrid.scenario import load_scenario

EPOCH = np.datetime64("2026-05-13T00:00:00")


@pytest.fixture(scope="module")
def trajectory() -> Trajectory:
    """1,200 satellites of the real Starlink catalogue over 3 hours of knots, one satellite
    lost (NaN) a third of the way in and another from the start."""
    fleet = build_fleet(load_scenario("starlink")).subset(slice(2000, 3200))
    t = knot_times(0.0, 3 * 3600.0)
    states = fleet.propagate(EPOCH, t)
    r = states.r.copy()
    r[30:, 11] = np.nan
    r[:, 12] = np.nan
    return Trajectory(EPOCH, t, r, states.v)


@pytest.fixture(scope="module")
def cities():
    return load_scenario("starlink-cities").stations()


def _assert_same(new, old, tolerance_s=EDGE_TOLERANCE_S):
    np.testing.assert_array_equal(new.pair, old.pair)
    np.testing.assert_array_equal(new.open_start, old.open_start)
    np.testing.assert_array_equal(new.open_end, old.open_end)
    assert np.abs(new.start_s - old.start_s).max(initial=0.0) < tolerance_s
    assert np.abs(new.end_s - old.end_s).max(initial=0.0) < tolerance_s


@pytest.mark.parametrize("resolution_s", [10.0, 2.0])
def test_contacts_equal_the_numpy_search(trajectory, cities, resolution_s):
    stations = Stations.from_scenario(cities)
    new, peak = contact_intervals(trajectory, stations, resolution_s)
    old, old_peak = slow.contact_intervals(trajectory, stations, resolution_s)
    assert len(new.pair) > 5000  # 50 cities, 1,200 satellites, 3 h: thousands of passes
    # Newton's edges are within ~1e-8 s of the root, the oracle's within half its bracket
    _assert_same(new, old, slow.ORACLE_TOLERANCE_S / 2 + 1e-5)
    # the peak's time is refined to 1e-4 s here, 0.05 s there: never lower, and near overhead
    # passes (sharp peaks) up to ~2e-4 rad higher
    assert (peak >= old_peak - 1e-9).all()
    assert np.abs(peak - old_peak).max() < 1e-3
    assert np.median(np.abs(peak - old_peak)) < 1e-8
    assert not np.isin(new.pair // len(stations), [12]).any()  # the satellite gone throughout


def test_contacts_with_mixed_masks_and_maximum_ranges(trajectory):
    stations = Stations.from_geodetic(
        np.array([51.5, -33.9, 35.7, 0.0]),
        np.array([-0.1, 18.4, 139.7, 100.0]),
        np.array([20.0, 0.0, 40.0, 3000.0]),
        np.array([25.0, 10.0, 40.0, 5.0]),
        np.array([np.inf, 1.2e6, 900e3, np.inf]),
    )
    new, peak = contact_intervals(trajectory, stations, 10.0)
    old, old_peak = slow.contact_intervals(trajectory, stations, 10.0)
    assert len(new.pair) > 100
    assert set(np.unique(new.pair % 4)) == {0, 1, 2, 3}
    _assert_same(new, old)
    assert (peak >= old_peak - 1e-9).all() and np.abs(peak - old_peak).max() < 1e-3


def test_shadow_and_umbra_equal_the_numpy_search(trajectory):
    shadow, umbra = shadow_intervals(trajectory, 10.0)
    old_shadow, old_umbra = slow.shadow_intervals(trajectory, 10.0)
    assert len(shadow.pair) > 1000 and len(umbra.pair) > 1000
    _assert_same(shadow, old_shadow)
    _assert_same(umbra, old_umbra)
    # the satellite lost in the middle has no interval after its last knot
    assert shadow.end_s[shadow.pair == 11].max(initial=0.0) <= trajectory.t_s[29] + 120.0


def _elevation(trajectory, stations, pair, t):
    """Elevation (rad) of each pair's satellite from its station at t, in numpy: the Hermite
    trajectory, the sidereal rotation and the local up, not the kernels' code."""
    n_st = len(stations)
    ecef, _v = trajectory.ecef_at(pair // n_st, t)
    d = ecef - stations.ecef[pair % n_st]
    return np.arcsin(np.einsum("ij,ij->i", d, stations.up[pair % n_st])
                     / np.linalg.norm(d, axis=-1))


def test_every_contact_edge_is_within_its_tolerance_of_the_mask(trajectory, cities):
    """Above the mask EDGE_TOLERANCE_S inside each closed edge, below it as far outside: the
    promise, checked on the trajectory itself. (Illinois' old stopping rule left edges up to
    54 s from the root on the catalogue, where an edge fell just past a knot.)"""
    stations = Stations.from_scenario(cities)
    found, _peak = contact_intervals(trajectory, stations)
    mask = stations.mask[found.pair % len(stations)]
    tol = EDGE_TOLERANCE_S
    long = found.end_s - found.start_s > 2 * tol
    for t_s, closed, inward in ((found.start_s, ~found.open_start, 1),
                                (found.end_s, ~found.open_end, -1)):
        k = closed & long
        inside = _elevation(trajectory, stations, found.pair[k], t_s[k] + inward * tol)
        outside = _elevation(trajectory, stations, found.pair[k], t_s[k] - inward * tol)
        assert k.sum() > 5000
        assert (inside > mask[k]).all() and (outside < mask[k]).all()


@pytest.fixture(scope="module")
def passes(trajectory, cities):
    """Thirty passes over London at a 10 deg mask, each of a satellite with no other pass in the
    3 h, through the numpy search: (satellite, peak elevation rad)."""
    london = [c for c in cities if c.name == "London"][0]
    low = Stations.from_geodetic(*(np.array([x]) for x in
                                   (london.lat_deg, london.lon_deg, london.alt_m, 10.0)))
    found, peak = slow.contact_intervals(trajectory, low, 2.0)
    sats, count = np.unique(found.pair, return_counts=True)
    once = np.isin(found.pair, sats[count == 1]) & ~found.open_start & ~found.open_end
    return london, found.pair[once][:30], peak[once][:30]


@pytest.mark.parametrize("offset_rad", [-1e-3, -1e-5, -1e-7, 1e-7, 1e-5, 1e-4, 1e-3])
def test_grazing_passes_found_exactly_as_the_numpy_search(trajectory, passes, offset_rad):
    """A mask just below (offset > 0) or above (< 0) each pass's peak: the contact found or not
    exactly as the numpy search (the curvature bound leaves only intervals without a contact,
    so the same brackets remain); 1e-3 rad below the peak is a contact of ~10 s (found), above
    the peak none is."""
    london, sats, peaks = passes
    masks_deg = np.rad2deg(peaks - offset_rad)
    stations = Stations.from_geodetic(*(np.full(len(sats), x) for x in
                                        (london.lat_deg, london.lon_deg, london.alt_m)),
                                      masks_deg)
    sub = Trajectory(trajectory.epoch, trajectory.t_s, trajectory.r[:, sats],
                     trajectory.v[:, sats])
    new, _peak = contact_intervals(sub, stations, 2.0)
    old, _old_peak = slow.contact_intervals(sub, stations, 2.0)
    own = new.pair // len(stations) == new.pair % len(stations)  # pass i at station i
    old_own = old.pair // len(stations) == old.pair % len(stations)
    _assert_same(new, old)
    if offset_rad < 0:
        assert not own.any()
    if offset_rad >= 1e-3:
        assert own.sum() == len(sats) and old_own.sum() == len(sats)


def test_the_curvature_bound_leaves_out_only_intervals_without_contact(trajectory, cities):
    """Where event_kernels._sight_clear lets a search skip an interval (a pass staying under the
    mask), the elevation sampled every 0.1 s (numpy) stays under the mask; and it does skip
    most near-misses (the speed-up), on the dyadic pieces the search visits."""
    from orbitgrid.constants import EARTH_ROTATION_RAD_S
    from orbitgrid.orbits import event_kernels as ek
    from orbitgrid.orbits.frames import teme_to_ecef

    stations = Stations.from_scenario(cities)
    rows = ek.station_rows(stations.ecef, stations.up, stations.mask, stations.max_range)
    ctx = ek.search_context(trajectory)
    t_k, n_st = trajectory.t_s, len(stations)
    sats = np.arange(0, 1200, 7)
    sats = sats[np.isfinite(trajectory.r[:, sats, 0]).all(axis=0)]
    # near-misses: under the mask at both knots, within 10 deg of it at one
    k, n, s = np.meshgrid(np.arange(len(t_k)), sats, np.arange(n_st), indexing="ij")
    el = _elevation(trajectory, stations, (n * n_st + s).ravel(), t_k[k].ravel())
    gap = (stations.mask[s.ravel()] - el).reshape(k.shape)
    j, i, st = np.nonzero((gap[:-1] > 0) & (gap[1:] > 0)
                          & (np.minimum(gap[:-1], gap[1:]) < np.deg2rad(10)))
    j, i, st = j[::6], i[::6], st[::6]
    ecef = teme_to_ecef(trajectory.r, trajectory.gmst(t_k)[:, None])
    v = teme_to_ecef(trajectory.v, trajectory.gmst(t_k)[:, None])
    speed = np.linalg.norm(v - np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], ecef), axis=-1)
    accel, speed_max = np.empty((2, len(sats), len(t_k) - 1))
    for m, n_ in enumerate(sats):
        ek._interval_bounds(trajectory.state, t_k, n_, speed[:, n_], accel[m], speed_max[m])
    rv = np.empty(6)
    clear, skipped = [], 0
    for j_, m, s_ in zip(j, i, st, strict=True):
        n_ = sats[m]
        for parts in (1, 2, 4):
            edges = np.linspace(t_k[j_], t_k[j_ + 1], parts + 1)
            for ta, tb in zip(edges[:-1], edges[1:], strict=True):
                a = ek._value(ek.CONTACT, ctx, j_, n_, rows[s_], False, ta, rv)
                b = ek._value(ek.CONTACT, ctx, j_, n_, rows[s_], False, tb, rv)
                if ek._sight_clear(ta, tb, a[2], b[2], a[3], b[3], a[4], b[4], rows[s_, 8],
                                   accel[m, j_], speed_max[m, j_]):
                    clear.append((n_ * n_st + s_, ta, tb))
                else:
                    skipped += 1
    pair, ta, tb = (np.array(x) for x in zip(*clear, strict=True))
    t = ta[:, None] + (tb - ta)[:, None] * np.linspace(0.0, 1.0, 401)
    p = np.repeat(pair, t.shape[1])
    assert (_elevation(trajectory, stations, p, t.ravel())
            < stations.mask[p % n_st]).all()
    assert len(clear) > 3 * skipped > 0


def test_the_shadow_side_test_is_never_wrong_and_decides_most_knots():
    """event_kernels._shadow_side against the numpy shadow functions (slow_search): where it
    says far out of the shadow, the shadow function is above the margin; where it says deep in
    the umbra, the umbra function is below zero; its rate bound is at least the numpy rate.
    States spread over LEO and packed at the shadow's edge, margins from 0 to a knot interval's
    worth; and most states are decided (what saves the exact functions)."""
    from orbitgrid.orbits import event_kernels as ek
    from orbitgrid.orbits.sun import sun_position_m

    rng = np.random.default_rng(11)
    n = 20000
    sun = sun_position_m(np.full(n, 9628.5))
    s_hat = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    r = u * rng.uniform(6.6e6, 8e6, (n, 1))
    # half behind the Earth, from the axis out across the penumbra and beyond
    across = np.cross(s_hat[: n // 2], u[: n // 2])
    across /= np.linalg.norm(across, axis=-1, keepdims=True)
    r[: n // 2] = (-s_hat[: n // 2] * rng.uniform(0.0, 3e6, (n // 2, 1))
                   + across * rng.uniform(6.0e6, 7.2e6, (n // 2, 1)))
    along = np.cross(r, rng.normal(size=(n, 3)))
    v = along / np.linalg.norm(along, axis=-1, keepdims=True) * rng.uniform(6e3, 8e3, (n, 1))
    v += r / np.linalg.norm(r, axis=-1, keepdims=True) * rng.uniform(-50.0, 50.0, (n, 1))
    keep = np.linalg.norm(r, axis=-1) > 6.5e6  # above ~120 km
    r, v, sun = r[keep], v[keep], sun[keep]
    n = len(r)
    shadow, umbra, rate = slow._shadow_functions(r, v, sun, 60.0)
    margin = rng.uniform(0.0, 0.2, n)
    margin[::4] = 0.0
    side = np.empty(n, int)
    for i in range(n):
        cheap = ek._shadow_cheap(np.concatenate([r[i], v[i]]), *sun[i], 60.0)
        assert cheap[4] >= rate[i]
        side[i] = ek._shadow_side(np.array(cheap), margin[i])
    assert (shadow[side == 1] > margin[side == 1]).all()
    assert (umbra[side == -1] < 0).all()
    assert (side == 1).sum() > n / 4 and (side == -1).sum() > n / 20
    # undecided only near the edge: within the margin and the Sun's radius of it
    near = (shadow < margin + 0.01) & (umbra > -0.01)
    assert (side[~near] != 0).all()
    # a state missing, or inside the Earth (no error raised in the kernel)
    assert ek._shadow_side(np.array(ek._shadow_cheap(np.full(6, np.nan), *sun[0], 60.0)),
                           0.0) == 0
    inside = ek._shadow_cheap(np.array([-6e6, 0, 0, 0, 7e3, 0.0]), *sun[0], 60.0)
    assert inside[4] == np.inf and ek._shadow_side(np.array(inside), 0.0) != 1
