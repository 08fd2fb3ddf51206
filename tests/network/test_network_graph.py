"""The compiled per-step graph pieces against plain numpy and scipy, and route_series on knots
against exact SGP4 at every step (the full Starlink catalogue)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import orbitgrid
from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.astar import pair_paths
from orbitgrid.network.graph import (
    FixedLinks,
    _slant_bound,
    edge_geometry,
    step_graph,
    undirected_csr,
    visible_pairs,
    visible_pairs_steps,
    window_csr,
)
from orbitgrid.network.routes import route_series
from orbitgrid.network.topology import line_of_sight, plus_grid
from orbitgrid.orbits.contacts import Stations
from orbitgrid.scenario import validate_scenario

DATA = Path(orbitgrid.__file__).resolve().parent / "data"
# Knots every 120 s put positions within 10 m of SGP4 (orbits/trajectory.py): a link's length
# moves by at most 20 m, so a best one-way latency over h links moves by at most h x 20 m / c.
INTERPOLATION_M = 10.0
# pairs this close to a visibility edge (m of height, or of range) are left out of the comparison
EDGE_M = 1e-3


def _sphere(rng, n, radius_m):
    x = rng.normal(size=(n, 3))
    return radius_m * x / np.linalg.norm(x, axis=1, keepdims=True)


def _dense_check(sat, gs, found):
    """found (visible_pairs' returns) against the dense numpy product of sat (N, 3) x stations."""
    si, gi, rng_m, el = found
    d = sat[:, None, :] - gs.ecef[None, :, :]
    dist = np.linalg.norm(d, axis=-1)
    with np.errstate(invalid="ignore"):
        height = np.einsum("nsi,si->ns", d, gs.up)
        ok = (height >= np.sin(gs.mask) * dist) & (dist <= gs.max_range)
        near = (np.abs(height - np.sin(gs.mask) * dist) < EDGE_M) | (
            np.abs(dist - gs.max_range) < EDGE_M
        )
    got = np.zeros_like(ok)
    got[si, gi] = True
    assert np.array_equal(got & ~near, ok & ~near)
    order = si * len(gs.ecef) + gi
    assert np.all(np.diff(order) > 0)  # by satellite, then station
    np.testing.assert_allclose(rng_m, dist[si, gi], rtol=1e-12)
    np.testing.assert_allclose(np.sin(el), height[si, gi] / dist[si, gi], atol=1e-12)
    return ok.sum()


def _random_stations(rng, n_gs):
    lat, lon = rng.uniform(-80, 80, n_gs), rng.uniform(-180, 180, n_gs)
    mask = rng.uniform(-5, 40, n_gs)
    max_range = np.where(rng.random(n_gs) < 0.5, rng.uniform(1e6, 3e6, n_gs), np.inf)
    return Stations.from_geodetic(lat, lon, rng.uniform(0, 3000, n_gs), mask, max_range)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_sat=st.integers(0, 300), n_gs=st.integers(1, 6))
def test_visible_pairs_match_numpy(seed, n_sat, n_gs):
    """Satellite x station visibility (mask, slant range) as a dense numpy product would give."""
    rng = np.random.default_rng(seed)
    sat = _sphere(rng, n_sat, 1.0) * rng.uniform(6.6e6, 8e6, (n_sat, 1))
    sat[rng.random(n_sat) < 0.05] = np.nan  # decayed satellites
    gs = _random_stations(rng, n_gs)
    _dense_check(sat, gs, visible_pairs(sat, gs.ecef, gs.up, gs.mask, gs.max_range))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_sat=st.integers(0, 200), n_steps=st.integers(1, 5))
def test_visible_pairs_steps_match_numpy_at_each_step(seed, n_sat, n_steps):
    """A block of steps whose shells differ (550 km at one step, up to 3,000 km at another: the
    block's radii and grid are not any one step's), a step with every satellite gone: each
    step's pairs as the dense product gives them, in visible_pairs' order."""
    rng = np.random.default_rng(seed)
    radius = 6_921e3 + rng.uniform(0, 2_450e3, (n_steps, 1, 1))
    sat = _sphere(rng, n_steps * n_sat, 1.0).reshape(n_steps, n_sat, 3) * radius
    sat[rng.random((n_steps, n_sat)) < 0.05] = np.nan
    if n_steps > 2:
        sat[1] = np.nan
    gs = _random_stations(rng, 5)
    offsets, si, gi, rng_m, height = visible_pairs_steps(sat, gs.ecef, gs.up, gs.mask, gs.max_range)
    assert offsets[0] == 0 and offsets[-1] == len(si) and np.all(np.diff(offsets) >= 0)
    for t in range(n_steps):
        a, b = offsets[t], offsets[t + 1]
        el = np.arcsin(np.clip(height[a:b] / rng_m[a:b], -1, 1))
        assert _dense_check(sat[t], gs, (si[a:b], gi[a:b], rng_m[a:b], el)) == b - a


def _at_elevation(gs, k, elevation_rad, azimuth_rad, radius_m):
    """Points at radius_m seen from station k at the given elevation (geodetic up) and azimuth."""
    g, u = gs.ecef[k], gs.up[k]
    east = np.cross([0.0, 0.0, 1.0], u)
    east /= np.linalg.norm(east)
    north = np.cross(u, east)
    v = (
        np.cos(elevation_rad)
        * (np.cos(azimuth_rad)[:, None] * north + np.sin(azimuth_rad)[:, None] * east)
        + np.sin(elevation_rad) * u
    )
    gv = v @ g
    d = -gv + np.sqrt(gv**2 - g @ g + radius_m**2)
    return g + d[:, None] * v


@pytest.mark.parametrize("mask_deg", [-4.0, 0.0, 25.0, 60.0])
def test_visible_pairs_finds_the_farthest_satellites(mask_deg):
    """Each station looks only at the grid cells near it: satellites at the outermost radius
    just above its mask (the farthest it can see), all round the horizon and at stations from
    pole to pole, are all found; those just below are not; a dense shell gives numpy's pairs."""
    rng = np.random.default_rng(11)
    lat = np.array([-89.0, -60.0, -33.9, 0.0, 1.3, 35.7, 51.5, 71.0, 89.9])
    lon = rng.uniform(-180, 180, len(lat))
    gs = Stations.from_geodetic(lat, lon, rng.uniform(0, 4000, len(lat)), np.full(9, mask_deg))
    outer_m = 6_378_137.0 + 1_200e3
    shell = _sphere(rng, 20_000, 1.0) * rng.uniform(6_378_137.0 + 340e3, outer_m, (20_000, 1))
    azimuth = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    mask = np.radians(mask_deg)
    above = [_at_elevation(gs, k, mask + 1e-7, azimuth, outer_m) for k in range(len(lat))]
    below = [_at_elevation(gs, k, mask - 1e-7, azimuth, outer_m) for k in range(len(lat))]
    sat = np.concatenate([shell, *above, *below])
    si, gi, rng_m, el = visible_pairs(sat, gs.ecef, gs.up, gs.mask, gs.max_range)
    seen = set(zip(si.tolist(), gi.tolist(), strict=True))
    for k in range(len(lat)):
        first = len(shell) + k * len(azimuth)
        assert {(first + j, k) for j in range(len(azimuth))} <= seen
        first += len(lat) * len(azimuth)
        assert not {(first + j, k) for j in range(len(azimuth))} & seen

    d = sat[:, None, :] - gs.ecef[None, :, :]
    dist = np.linalg.norm(d, axis=-1)
    height = np.einsum("nsi,si->ns", d, gs.up)
    ok = height >= np.sin(gs.mask) * dist
    near = np.abs(height - np.sin(gs.mask) * dist) < EDGE_M
    got = np.zeros_like(ok)
    got[si, gi] = True
    assert np.array_equal(got & ~near, ok & ~near)
    assert 0 < ok[: len(shell)].sum() < ok[: len(shell)].size / 4  # the shell is pruned


@pytest.mark.parametrize("mask_deg", [-4.0, 0.0, 25.0, 60.0])
def test_the_slant_range_bound_is_the_farthest_point_above_the_mask(mask_deg):
    """The bound that picks each station's grid cells: the farthest point at the outermost
    radius at the mask elevation, over 360 azimuths, lies under the bound less its 1 m of
    spare, by less than a millionth (the azimuths' sampling)."""
    lat = np.array([-89.0, -60.0, -33.9, 0.0, 1.3, 35.7, 51.5, 71.0, 89.9])
    gs = Stations.from_geodetic(lat, np.linspace(-170, 170, 9), 1000.0, np.full(9, mask_deg))
    outer_m = 6_378_137.0 + 1_200e3
    r_gs = np.linalg.norm(gs.ecef, axis=1)
    bound = _slant_bound(gs.ecef, r_gs, gs.up, np.sin(gs.mask), outer_m, np.full(9, np.inf))
    azimuth = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    mask = np.radians(mask_deg)
    for k in range(len(lat)):
        far = np.linalg.norm(_at_elevation(gs, k, mask, azimuth, outer_m) - gs.ecef[k], axis=1)
        assert (bound[k] - 1.0) * (1 - 1e-6) <= far.max() <= bound[k] - 1.0


def test_visible_pairs_with_no_satellite_left():
    """Every satellite decayed (NaN) or none at all, 0 deg masks: no links, no warnings."""
    gs = Stations.from_geodetic(np.array([10.0, -20.0]), np.array([0.0, 5.0]), 0.0, np.zeros(2))
    for sat in (np.full((4, 3), np.nan), np.zeros((0, 3))):
        si, gi, rng_m, el = visible_pairs(sat, gs.ecef, gs.up, gs.mask, gs.max_range)
        assert len(si) == len(gi) == len(rng_m) == len(el) == 0
    overhead = gs.ecef[:1] + 550e3 * gs.up[:1]
    si, gi, rng_m, el = visible_pairs(overhead, gs.ecef, gs.up, gs.mask, gs.max_range)
    assert si.tolist() == [0] and gi.tolist() == [0]
    np.testing.assert_allclose(rng_m, 550e3, rtol=1e-12)
    np.testing.assert_allclose(el, np.pi / 2, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 60), m=st.integers(0, 200))
def test_undirected_csr_is_scipys(seed, n, m):
    """Same indptr, indices and data as scipy's coo -> csr of both directions of each link."""
    rng = np.random.default_rng(seed)
    pairs = {tuple(sorted(p)) for p in rng.integers(0, n, (m, 2)).tolist() if p[0] != p[1]}
    e = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    a, b = e[:, 0], e[:, 1]
    w = rng.uniform(0.001, 1.0, len(a))
    _assert_scipy_csr(n, a, b, w)


def _assert_scipy_csr(n, a, b, w):
    """undirected_csr's indptr, indices and data equal scipy's coo -> csr of both directions."""
    ours = undirected_csr(n, a, b, w)
    ref = sp.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    ref.sort_indices()
    assert np.array_equal(ours.indptr, ref.indptr)
    assert np.array_equal(ours.indices, ref.indices)
    assert np.array_equal(ours.data, ref.data)


def test_undirected_csr_sorts_a_stations_long_row():
    """A station seeing 300 satellites, listed in random order: its row (sorted apart from the
    short ones) as scipy's."""
    rng = np.random.default_rng(5)
    n = 302
    sat = rng.permutation(300)
    a, b = sat, np.full(300, 301)
    w = rng.uniform(0.001, 1.0, 300)
    _assert_scipy_csr(n, a, b, w)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 40), n_steps=st.integers(1, 6))
def test_window_csr_is_undirected_csr_at_each_step(seed, n, n_steps):
    """Links per step: each step's rows are undirected_csr's of that step's links, entry for
    entry; with fixed links up at some steps (a duplicated one among them) beside them,
    step_graph is the step's whole graph."""
    rng = np.random.default_rng(seed)
    every = np.array([(a, b) for a in range(n) for b in range(a + 1, n)]).reshape(-1, 2)
    every = every[rng.permutation(len(every))]
    n_fixed = rng.integers(0, len(every) + 1)
    fixed = every[:n_fixed]
    if n_fixed:
        fixed = np.r_[fixed, fixed[:1]]  # the same link twice: both entries kept, like scipy
    up = rng.random((n_steps, len(fixed))) < 0.7
    up[:, -1:] = up[:, :1]
    fixed_w = rng.uniform(0.001, 1.0, (n_steps, len(fixed)))
    fixed_w[:, -1:] = fixed_w[:, :1]
    others = every[n_fixed:]
    step = rng.integers(0, n_steps, len(others))
    on = rng.random(len(others)) < 0.5
    others, step = others[on], np.sort(step[on])
    w = rng.uniform(0.001, 1.0, len(others))
    ptr, idx, data = window_csr(n, n_steps, step, others[:, 0], others[:, 1], w)
    assert ptr.shape == (n_steps, n + 1) and ptr[-1, -1] == len(idx) == len(data)
    for k in range(n_steps):
        at = step == k
        ref = undirected_csr(n, others[at, 0], others[at, 1], w[at])
        lo, hi = ptr[k, 0], ptr[k, -1]
        assert np.array_equal(ptr[k] - lo, ref.indptr)
        assert np.array_equal(idx[lo:hi], ref.indices)
        assert np.array_equal(data[lo:hi], ref.data)
        a = np.r_[fixed[up[k], 0], others[at, 0]]
        b = np.r_[fixed[up[k], 1], others[at, 1]]
        whole = undirected_csr(n, a, b, np.r_[fixed_w[k, up[k]], w[at]])
        weight = np.where(up, fixed_w, np.inf)
        got = step_graph(ptr, idx, data, k, FixedLinks.of(n, fixed), weight)
        assert np.array_equal(got.toarray(), whole.toarray())  # duplicates summed in both


def test_window_csr_refuses_what_it_cannot_place():
    one = np.array([0])
    with pytest.raises(ValueError, match="window_csr: a node index outside 0..2"):
        window_csr(3, 1, one, one, np.array([3]), np.array([1.0]))
    with pytest.raises(ValueError, match=r"window_csr: step must give each link a graph in 0..1"):
        window_csr(3, 2, np.array([2]), one, one + 1, np.array([1.0]))


def test_edge_geometry_matches_line_of_sight(walker):
    """Fused lengths and Earth clearance over a block against topology.line_of_sight."""
    rng = np.random.default_rng(7)
    pos, *_ = walker(12, 10, 550e3, 53.0)
    r = pos[None] * rng.uniform(0.99, 1.01, (5, len(pos), 1))
    r[2, 3] = np.nan
    edges = plus_grid(12, 10)
    length, clear = edge_geometry(r, edges, 6_378_137.0 + 80e3)
    a, b = r[:, edges[:, 0]], r[:, edges[:, 1]]
    with np.errstate(invalid="ignore"):
        ref_clear = line_of_sight(a, b, 80e3)
    np.testing.assert_allclose(length, np.linalg.norm(b - a, axis=-1), rtol=1e-12)
    assert np.array_equal(clear, ref_clear & np.isfinite(length))
    assert 0 < clear.sum() < clear.size  # both kinds are exercised


def test_astar_heuristic_holds_on_any_links(walker):
    """The heuristic's radius is taken from the graph: links through the Earth's centre, steep
    hops and a zero-latency link still give Dijkstra's latencies."""
    rng = np.random.default_rng(3)
    pos, *_ = walker(6, 8, 550e3, 60.0)
    n = len(pos)
    a = rng.integers(0, n, 300)
    b = rng.integers(0, n, 300)
    keep = a < b
    a, b = a[keep], b[keep]
    a, b = np.unique(np.stack([a, b], 1), axis=0).T
    lat = np.linalg.norm(pos[a] - pos[b], axis=1) / SPEED_OF_LIGHT_M_S * rng.uniform(1, 3, len(a))
    lat[0] = 0.0
    graph = undirected_csr(n, a, b, lat)
    src, dst = rng.integers(0, n, 40), rng.integers(0, n, 40)
    ref = sp.csgraph.dijkstra(graph, indices=src)[np.arange(40), dst]
    got, *_ = pair_paths(graph, pos, np.ones(n, bool), src, dst)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def _starlink_scenario(pairs):
    with (DATA / "cities50.csv").open() as f:
        cities = [row["name"] for row in csv.DictReader(f)]
    return validate_scenario(
        {
            "name": "knots",
            "epoch": "2026-05-13T00:00:00Z",
            "duration": "3min",
            "step": "10s",
            "constellations": [
                {
                    "name": "starlink",
                    "tle_file": str(DATA / "starlink-2026-05-12.tle"),
                    "isl": {"topology": "plus-grid", "max_range_km": 5016},
                }
            ],
            "ground_stations_file": str(DATA / "cities50.csv"),
            "routes": [{"from": cities[a], "to": cities[b]} for a, b in pairs],
        }
    )


def test_knots_give_exact_sgp4_rtts_within_interpolation_error():
    """route_series on 120 s knots against SGP4 at every step: each RTT within
    2 x hops x 2 x 10 m / c (about 0.13 ns per hop), on the full Starlink catalogue."""
    sc = _starlink_scenario([(0, 7), (3, 40), (12, 25), (30, 2)])
    fast = route_series(sc)
    exact = route_series(sc, exact=True)
    assert np.isfinite(exact.rtt_s).all()
    hops = np.maximum(fast.hops, exact.hops)
    bound_s = 2 * hops * 2 * INTERPOLATION_M / SPEED_OF_LIGHT_M_S
    assert np.all(np.abs(fast.rtt_s - exact.rtt_s) <= bound_s)
    assert np.abs(fast.rtt_s - exact.rtt_s).max() > 0  # interpolated, not the same numbers


def test_two_processes_give_the_same_series():
    """Split over processes: planes from step 0, cloud draws skipped, the path change at the
    seam counted; every array identical to one process."""
    sc = validate_scenario(
        {
            "name": "split",
            "epoch": "2026-05-13T00:00:00Z",
            "duration": "4min",
            "step": "10s",
            "constellations": [
                {
                    "name": "starlink",
                    "tle_file": str(DATA / "starlink-2026-05-12.tle"),
                    "isl": {"topology": "plus-grid", "max_range_km": 5016},
                }
            ],
            "ground_stations": [
                {"name": "Paris", "lat_deg": 48.86, "lon_deg": 2.35, "min_elevation_deg": 25},
                {"name": "Tokyo", "lat_deg": 35.68, "lon_deg": 139.69, "min_elevation_deg": 25},
                {
                    "name": "Luanda",
                    "lat_deg": -8.84,
                    "lon_deg": 13.23,
                    "min_elevation_deg": 25,
                    "link": {"band": "optical", "cloud_probability": 0.5},
                },
            ],
            "routes": [{"from": "Paris", "to": "Luanda"}, {"from": "Tokyo", "to": "Paris"}],
        }
    )
    one = route_series(sc)
    two = route_series(sc, workers=2)
    assert np.isinf(one.rtt_s[0]).any() and np.isfinite(one.rtt_s[0]).any()  # clouds
    assert one.path_changes.sum() > 0
    for name in ("t_s", "rtt_s", "hops", "up_s", "isl_s", "down_s", "processing_s"):
        assert np.array_equal(getattr(one, name), getattr(two, name), equal_nan=True), name
    assert np.array_equal(one.path_changes, two.path_changes)
