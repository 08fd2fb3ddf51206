"""Routes by windows of steps (network/astar.route_window) against scipy's Dijkstra, an
independent oracle, at every step: on moving Walker shells with links that come and go, and on
the per-step graphs of the full Starlink catalogue with 50 cities."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

import orbitgrid
import orbitgrid.network.stage as stage
from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.astar import SharedEnds, route_window, shared_ends
from orbitgrid.network.graph import FixedLinks, step_graph, undirected_csr, window_csr
from orbitgrid.network.routes import route_series
from orbitgrid.network.topology import plus_grid
from orbitgrid.scenario import validate_scenario

DATA = Path(orbitgrid.__file__).resolve().parent / "data"


def oracle(graph, transit, src, dst):
    """One-way latencies by scipy's Dijkstra, one search per pair: the rows of nodes that do
    not relay are emptied, except the source's, so that they only end paths."""
    out = np.empty(len(src))
    for p, (s, t) in enumerate(zip(src, dst, strict=True)):
        keep = transit.copy()
        keep[s] = True
        directed = sp.diags(keep.astype(float)) @ graph  # rows of non-relaying nodes zeroed
        directed.eliminate_zeros()
        out[p] = dijkstra(directed, indices=[s])[0, t]
    return out


def check_step(graph, transit, src, dst, found):
    """Latencies equal to the oracle's (1e-9 relative), same reachability, and each path a chain
    of the step's links from src to dst whose latencies add up to the one reported."""
    dist, flat, n_nodes = found
    ref = oracle(graph, transit, src, dst)
    assert np.array_equal(np.isfinite(dist), np.isfinite(ref))
    np.testing.assert_allclose(dist[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-9)
    assert np.array_equal(n_nodes > 0, np.isfinite(ref))
    ends = np.cumsum(n_nodes)
    dense = graph.toarray()
    for p, (a, b) in enumerate(zip(ends - n_nodes, ends, strict=True)):
        if not n_nodes[p]:
            continue
        path = flat[a:b]
        assert path[0] == src[p] and path[-1] == dst[p]
        assert transit[path[1:-1]].all()
        hops = dense[path[:-1], path[1:]]
        assert (hops > 0).all() or len(path) == 1
        assert np.isclose(hops.sum(), dist[p], rtol=1e-12, atol=0)


def moving_shell(walker, steps, seed):
    """Per-step graphs of a 12 x 10 Walker shell turning by 3 deg a step, with 8 stations
    (one relaying) seeing the satellites within 1,700 km, and 10 % of the lasers down at random
    each step: links come, go and change length between steps. Returns the graphs, each step's
    links (a, b, latency s), and apart: each step's ground links, the lasers (E, 2) and their
    latencies (step, E) s, inf where down."""
    rng = np.random.default_rng(seed)
    pos0, *_ = walker(12, 10, 550e3, 53.0)
    n_sat, n_st = len(pos0), 8
    stations = rng.normal(size=(n_st, 3))
    stations *= 6_371e3 / np.linalg.norm(stations, axis=1, keepdims=True)
    edges = plus_grid(12, 10)
    graphs, links, ground, laser_s = [], [], [], np.full((steps, len(edges)), np.inf)
    for k in range(steps):
        turn = np.radians(3.0 * k)
        c, s = np.cos(turn), np.sin(turn)
        pos = pos0 @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T
        on = rng.random(len(edges)) > 0.1
        up = edges[on]
        gs = np.linalg.norm(pos[None] - stations[:, None], axis=-1)  # (station, sat)
        gi, si = np.nonzero(gs < 1_700e3)
        a = np.r_[up[:, 0], si]
        b = np.r_[up[:, 1], n_sat + gi]
        length = np.linalg.norm(np.r_[pos, stations][a] - np.r_[pos, stations][b], axis=1)
        links.append((a, b, length / SPEED_OF_LIGHT_M_S + 1e-4))
        ground.append(tuple(x[len(up) :] for x in links[-1]))
        laser_s[k, on] = links[-1][2][: len(up)]
        graphs.append(undirected_csr(n_sat + n_st, *links[-1]))
    transit = np.r_[np.ones(n_sat, bool), np.zeros(n_st, bool)]
    transit[n_sat] = True  # the first station relays
    return graphs, links, transit, n_sat, n_st, (ground, edges, laser_s)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_windows_give_dijkstras_latencies_as_links_come_and_go(walker, seed):
    """Pairs between stations (shared ends, both orders, a pair with itself, stations out of
    sight at some steps) and satellites, over a window of 12 steps and windows of 1 and 5: every
    link in the stacked csr, or the lasers as links fixed for the run beside the ground links."""
    graphs, links, transit, n_sat, n_st, (ground, edges, laser_s) = moving_shell(walker, 12, seed)
    st = n_sat + np.arange(n_st)
    src = np.array([st[1], st[2], st[3], st[2], st[4], 7, st[5], st[6], st[1], st[7], 40, st[3]])
    dst = np.array([st[2], st[1], st[2], st[2], st[2], st[1], st[0], 99, st[6], st[4], 3, st[7]])
    fixed = FixedLinks.of(n_sat + n_st, edges)
    for size, apart in ((12, False), (5, False), (1, False), (12, True), (5, True)):
        for a in range(0, len(graphs), size):
            window, window_links = graphs[a : a + size], links[a : a + size]
            if apart:  # the ground links alone in the csr
                window_links = ground[a : a + size]
            step = np.concatenate([np.full(len(x[0]), k) for k, x in enumerate(window_links)])
            a_b_w = (np.concatenate(x) for x in zip(*window_links, strict=True))
            stacked = window_csr(n_sat + n_st, len(window), step, *a_b_w)
            beside = (fixed, laser_s[a : a + size]) if apart else ()
            found = route_window(*stacked, transit, SharedEnds.of(src, dst), *beside)
            for graph, step in zip(window, found, strict=True):
                check_step(graph, transit, src, dst, step)
    reach = np.array([np.isfinite(oracle(g, transit, src, dst)) for g in graphs])
    assert reach.any(axis=0).all() and not reach.all()  # every pair reached, not always


def test_shared_ends_cover_every_pair_with_few_roots():
    """A star of pairs around one city and a chain: the centre serves the star, and each pair's
    root is one of its ends."""
    src = np.array([5, 1, 5, 5, 7, 8])
    dst = np.array([1, 5, 2, 3, 8, 9])
    root, flip = shared_ends(src, dst)
    assert np.array_equal(root, [5, 5, 5, 5, 8, 8])
    assert np.array_equal(flip, [True, False, True, True, False, True])


def test_catalogue_steps_match_dijkstra():
    """The per-step graphs of the full Starlink catalogue (10,361 satellites, plus-grid lasers,
    50 cities at 25 deg) over 4 minutes: every route latency at every step equals scipy's."""
    with (DATA / "cities50.csv").open() as f:
        cities = [row["name"] for row in csv.DictReader(f)]
    pairs = [(0, 7), (7, 3), (12, 25), (30, 2), (7, 30), (41, 7), (49, 11), (18, 33)]
    sc = validate_scenario(
        {
            "name": "windows",
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
            "ground_stations_file": str(DATA / "cities50.csv"),
            "routes": [{"from": cities[a], "to": cities[b]} for a, b in pairs],
        }
    )
    seen = []

    def recording(ptr, idx, wt, transit, ends, fixed=None, fixed_weight=None):
        found = route_window(ptr, idx, wt, transit, ends, fixed, fixed_weight)
        for k, f in enumerate(found):
            graph = step_graph(ptr, idx, wt, k, fixed, fixed_weight)
            seen.append((graph, transit, ends.src, ends.dst, f))
        return found

    original = stage.route_window
    stage.route_window = recording
    try:
        series = route_series(sc)
    finally:
        stage.route_window = original
    assert len(seen) == len(series.t_s) == 25
    for graph, transit, src, dst, found in seen[::3]:  # every third step: scipy takes seconds
        check_step(graph, transit, src, dst, found)
    assert np.isfinite(series.rtt_s).mean() > 0.9
