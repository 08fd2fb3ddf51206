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
