"""The compiled event searches against the numpy searches they replaced (tests/orbits/
slow_search.py, the code at 73fb95f): the same intervals, edges within EDGE_TOLERANCE_S, on
real element sets, a satellite lost mid-chunk, and stations with a maximum range."""

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
    assert np.abs(new.start_s - old.start_s).max() < tolerance_s
    assert np.abs(new.end_s - old.end_s).max() < tolerance_s


@pytest.mark.parametrize("resolution_s", [10.0, 2.0])
def test_contacts_equal_the_numpy_search(trajectory, cities, resolution_s):
    stations = Stations.from_scenario(cities)
    new, peak = contact_intervals(trajectory, stations, resolution_s)
    old, old_peak = slow.contact_intervals(trajectory, stations, resolution_s)
    assert len(new.pair) > 5000  # 50 cities, 1,200 satellites, 3 h: thousands of passes
    _assert_same(new, old)
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
