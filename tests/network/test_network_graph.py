"""The compiled per-step graph pieces against plain numpy and scipy, and route_series on knots
against exact SGP4 at every step (the full Starlink catalogue)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import orbitgrid
from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.astar import pair_paths
from orbitgrid.network.graph import edge_geometry, undirected_csr, visible_pairs
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


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_sat=st.integers(0, 300), n_gs=st.integers(1, 6))
def test_visible_pairs_match_numpy(seed, n_sat, n_gs):
    """Satellite x station visibility (mask, slant range) as a dense numpy product would give."""
    rng = np.random.default_rng(seed)
    sat = _sphere(rng, n_sat, 1.0) * rng.uniform(6.6e6, 8e6, (n_sat, 1))
    sat[rng.random(n_sat) < 0.05] = np.nan  # decayed satellites
    lat, lon = rng.uniform(-80, 80, n_gs), rng.uniform(-180, 180, n_gs)
    mask = rng.uniform(-5, 40, n_gs)
    max_range = np.where(rng.random(n_gs) < 0.5, rng.uniform(1e6, 3e6, n_gs), np.inf)
    gs = Stations.from_geodetic(lat, lon, rng.uniform(0, 3000, n_gs), mask, max_range)
    si, gi, rng_m, el = visible_pairs(sat, gs.ecef, gs.up, gs.mask, gs.max_range)

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
    order = si * n_gs + gi
    assert np.all(np.diff(order) > 0)  # by satellite, then station
    np.testing.assert_allclose(rng_m, dist[si, gi], rtol=1e-12)
    np.testing.assert_allclose(np.sin(el), height[si, gi] / dist[si, gi], atol=1e-12)


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
    ours = undirected_csr(n, a, b, w)
    ref = sp.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    ref.sort_indices()
    assert np.array_equal(ours.indptr, ref.indptr)
    assert np.array_equal(ours.indices, ref.indices)
    assert np.array_equal(ours.data, ref.data)


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
