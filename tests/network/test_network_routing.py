"""Routing, non-relay stations, max-min fair sharing and contact plans, against hand results
and an independent pure-Python Dijkstra."""

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitgrid.constants import EARTH_RADIUS_M, SPEED_OF_LIGHT_M_S
from orbitgrid.network.links import latency_s
from orbitgrid.network.routing import (
    NO_NODE,
    ContactPlan,
    build_graph,
    contacts_from_steps,
    earliest_arrival,
    links_on_paths,
    max_min_fair,
    node_path,
    route,
    shortest_paths,
)
from orbitgrid.network.topology import edge_lengths, filter_edges, ground_links, in_range, plus_grid


def test_hand_checked_four_node_graph():
    #   0 --1ms-- 1
    #   |         |
    #  5ms       1ms       0 -> 3: via 1, 2 = 3 ms; direct 0-3 = 5 ms
    #   |         |
    #   3 --1ms-- 2
    e = [[0, 1], [1, 2], [2, 3], [0, 3]]
    g = build_graph(4, e, [1e-3, 1e-3, 1e-3, 5e-3])
    lat, path = route(g, 0, 3)
    assert lat == pytest.approx(3e-3, abs=1e-15) and path == [0, 1, 2, 3]
    # the 1-2 link goes: the path changes to the direct edge
    g2 = build_graph(4, [[0, 1], [2, 3], [0, 3]], [1e-3, 1e-3, 5e-3])
    assert route(g2, 0, 3) == (pytest.approx(5e-3), [0, 3])
    assert route(g2, 1, 2) == (pytest.approx(7e-3), [1, 0, 3, 2])
    # disconnected: inf and no path
    g3 = build_graph(4, [[0, 1], [2, 3]], [1e-3, 1e-3])
    assert route(g3, 0, 3) == (np.inf, [])


def test_stations_do_not_relay_unless_asked():
    # sats 0, 1 have no ISL; stations A (2) sees sat 0, B (3) sees 0 and 1, C (4) sees 1.
    sta, sat, w = [0, 1, 1, 2], [0, 0, 1, 1], [1e-3, 2e-3, 3e-3, 4e-3]
    g = build_graph(2, np.zeros((0, 2)), [], 3, sta, sat, w)
    assert route(g, 2, 4) == (np.inf, [])  # only through B, which does not relay
    assert route(g, 2, 3) == (pytest.approx(3e-3), [2, 0, 3])  # B as a destination is fine
    lat, path = route(g, 0, 4)
    assert lat == np.inf and path == []  # satellite 0 to C also needs B to relay
    g_relay = build_graph(2, np.zeros((0, 2)), [], 3, sta, sat, w, relay=[False, True, False])
    lat, path = route(g_relay, 2, 4)
    assert path == [2, 0, 3, 1, 4] and lat == pytest.approx(1e-3 + 2e-3 + 3e-3 + 4e-3)
    # a station is its own source at 0 s even when it has downlinks
    d, _ = shortest_paths(g, [3])
    assert d[0, 3] == 0.0


def reference_dijkstra(n, arcs, src, no_transit):
    """Pure-Python Dijkstra; nodes in no_transit are never expanded unless they are the source."""
    adj = {i: [] for i in range(n)}
    for a, b, w in arcs:
        adj[a].append((b, w))
    dist = [np.inf] * n
    dist[src] = 0.0
    heap = [(0.0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u] or (u in no_transit and u != src):
            continue
        for v, w in adj[u]:
            if d + w < dist[v]:
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return np.array(dist)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n_sat=st.integers(5, 60), n_gs=st.integers(1, 6))
def test_shortest_paths_match_reference_and_paths_are_valid(seed, n_sat, n_gs):
    rng = np.random.default_rng(seed)
    # satellites on a 1,200 km shell, stations on the surface
    r = EARTH_RADIUS_M + 1.2e6
    v = rng.normal(size=(n_sat, 3))
    sats = r * v / np.linalg.norm(v, axis=1, keepdims=True)
    w = rng.normal(size=(n_gs, 3))
    gs = EARTH_RADIUS_M * w / np.linalg.norm(w, axis=1, keepdims=True)
    e = in_range(sats, 5e6)
    e = e[filter_edges(sats, e, margin_m=80e3)]
    elat = latency_s(edge_lengths(sats, e), 1e-4)
    gi, si, rng_m, _ = ground_links(gs, sats, np.radians(10.0))
    glat = latency_s(rng_m)
    relay = rng.random(n_gs) < 0.5
    g = build_graph(n_sat, e, elat, n_gs, gi, si, glat, relay)
    n = n_sat + n_gs
    arcs = [(a, b, x) for (a, b), x in zip(e.tolist(), elat, strict=True)]
    arcs += [(b, a, x) for (a, b), x in zip(e.tolist(), elat, strict=True)]
    arcs += [(n_sat + a, b, x) for a, b, x in zip(gi, si, glat, strict=True)]
    arcs += [(b, n_sat + a, x) for a, b, x in zip(gi, si, glat, strict=True)]
    no_transit = {n_sat + k for k in range(n_gs) if not relay[k]}
    sources = np.r_[np.arange(n_sat, n), rng.integers(0, n_sat, 3)]
    dist, pred = shortest_paths(g, sources)
    weight = {(a, b): x for a, b, x in arcs}
    for row, s in enumerate(sources):
        ref = reference_dijkstra(n, arcs, int(s), no_transit)
        np.testing.assert_allclose(dist[row], ref, rtol=1e-12, atol=0)
        for t in range(n):
            path = node_path(pred[row], int(s), t)
            if not np.isfinite(ref[t]):
                assert path == [] and pred[row, t] == NO_NODE
                continue
            assert path[0] == s and path[-1] == t
            assert not (set(path[1:-1]) & no_transit)  # no transit through non-relay stations
            total = sum(weight[(a, b)] for a, b in zip(path[:-1], path[1:], strict=True))
            assert total == pytest.approx(dist[row, t], rel=1e-12)
            # never faster than light along the straight line between the endpoints
            pos = np.r_[sats, gs]
            assert dist[row, t] >= np.linalg.norm(pos[t] - pos[s]) / SPEED_OF_LIGHT_M_S * (
                1 - 1e-12
            )
            if s >= n_sat and t >= n_sat and s != t:
                # station to station: a path outside the Earth is no shorter than the great circle
                cos_g = np.dot(pos[s], pos[t]) / EARTH_RADIUS_M**2
                arc_m = EARTH_RADIUS_M * np.arccos(np.clip(cos_g, -1, 1))
                assert dist[row, t] >= arc_m / SPEED_OF_LIGHT_M_S * (1 - 1e-12)


def test_plus_grid_route_between_stations_on_real_geometry(walker):
    # 12 planes x 12 at 1,200 km, 53 deg: all plus-grid links clear the Earth + 80 km
    pos, *_ = walker(12, 12, 1.2e6, 53.0)
    e = plus_grid(12, 12)
    assert filter_edges(pos, e).all()
    gs = EARTH_RADIUS_M * np.array([[1.0, 0, 0], [-1.0, 0, 0]])  # antipodal on the equator
    gi, si, rng_m, _ = ground_links(gs, pos, np.radians(20.0))
    g = build_graph(144, e, latency_s(edge_lengths(pos, e)), 2, gi, si, latency_s(rng_m))
    lat, path = route(g, 144, 145)
    # lower bound: half a great circle at the surface is pi R; the path rides higher, so longer
    assert np.isfinite(lat) and lat > np.pi * EARTH_RADIUS_M / SPEED_OF_LIGHT_M_S
    assert all(p < 144 for p in path[1:-1]) and 2 < len(path) < 20


def test_max_min_fair_hand_example():
    # links: 0 = A-B (10), 1 = B-C (4). Flows: A->C on both, B->C on 1, A->B on 0.
    # B-C fills first at 2 + 2; A->B then takes the rest of A-B: 10 - 2 = 8.
    rates = max_min_fair([[0, 1], [1], [0]], [10.0, 4.0])
    np.testing.assert_allclose(rates, [2.0, 2.0, 8.0], rtol=1e-12)
    # with a demand of 1 on B->C, A->C gets 3 on B-C; A->B then 7
    rates = max_min_fair([[0, 1], [1], [0]], [10.0, 4.0], demand_bps=[np.inf, 1.0, np.inf])
    np.testing.assert_allclose(rates, [3.0, 1.0, 7.0], rtol=1e-12)
    # a flow on no link gets its demand
    np.testing.assert_allclose(max_min_fair([[], [0]], [5.0], [2.0, 9.0]), [2.0, 5.0])


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**31), nf=st.integers(1, 12), nl=st.integers(1, 8))
def test_max_min_fair_is_feasible_and_every_flow_has_a_bottleneck(seed, nf, nl):
    rng = np.random.default_rng(seed)
    cap = rng.uniform(1, 10, nl)
    flows = [rng.choice(nl, size=rng.integers(1, nl + 1), replace=False) for _ in range(nf)]
    demand = np.where(rng.random(nf) < 0.3, rng.uniform(0.1, 3, nf), np.inf)
    rate = max_min_fair(flows, cap, demand)
    load = np.zeros(nl)
    for f, links in enumerate(flows):
        load[links] += rate[f]
    assert np.all(load <= cap * (1 + 1e-9))
    # max-min optimality: each flow meets its demand or crosses a full link where it is the largest
    for f, links in enumerate(flows):
        if rate[f] >= demand[f] * (1 - 1e-9):
            continue
        ok = False
        for link in links:
            on = [g for g, ls in enumerate(flows) if link in ls]
            if load[link] >= cap[link] * (1 - 1e-9) and rate[f] >= max(rate[on]) * (1 - 1e-9):
                ok = True
        assert ok, f"flow {f} has no bottleneck"


def test_links_on_paths_duplex_ids():
    e = np.array([[0, 1], [1, 2], [2, 3]])
    ids = links_on_paths([[0, 1, 2], [3, 2, 1], [2]], e)
    assert [x.tolist() for x in ids] == [[0, 1], [5, 4], []]
    assert [x.tolist() for x in links_on_paths([[3, 2, 1]], e, duplex=False)] == [[2, 1]]
    with pytest.raises(ValueError, match="path 0 uses a pair of nodes that is not in edges"):
        links_on_paths([[0, 2]], e)


WEEK = 7 * 86400.0


@pytest.mark.parametrize("volume_contacts", [0.5, 1.0, 2.5, 7.25])
def test_weekly_contact_transfer_takes_volume_over_rate_times_contact(volume_contacts):
    # one 10-minute pass a week at 100 Mbit/s, starting 1 h into each week; the transfer needs
    # V / (rate x contact) passes: full passes, then the remainder in the next one
    rate, contact, offset = 100e6, 600.0, 3600.0
    n = 10
    k = np.arange(n)
    plan = ContactPlan.from_arrays(
        np.zeros(n), np.ones(n), k * WEEK + offset, k * WEEK + offset + contact, rate, 0.02
    )
    volume_bits = volume_contacts * rate * contact
    t, path = earliest_arrival(plan, 0, 1, 0.0, volume_bits / 8)
    full = np.ceil(volume_contacts) - 1
    expected = full * WEEK + offset + (volume_bits - full * rate * contact) / rate + 0.02
    assert path == [0, 1] and t == pytest.approx(expected, abs=1e-6)
    # more than ten passes' worth never arrives
    assert earliest_arrival(plan, 0, 1, 0.0, 10.5 * rate * contact / 8) == (np.inf, [])


def test_store_and_forward_two_hops_and_the_better_route():
    # A(0) -> B(1) during [0, 10) at 1 Mbit/s, B -> C(2) during [100, 110) at 1 Mbit/s: 1 Mbit
    # reaches B at 1.001 s, waits for the pass, reaches C at 101 s + 1 ms. A -> D(3) -> C is
    # later but faster for a big volume: [0, 1000) at 10 Mbit/s and D -> C [200, 1000) at 10 Mbit/s.
    plan = ContactPlan.from_arrays(
        [0, 1, 0, 3],
        [1, 2, 3, 2],
        [0, 100, 0, 200],
        [10, 110, 1000, 1000],
        [1e6, 1e6, 1e7, 1e7],
        1e-3,
    )
    t, path = earliest_arrival(plan, 0, 2, 0.0, 1e6 / 8)
    assert path == [0, 1, 2] and t == pytest.approx(101.001, abs=1e-9)
    # 20 Mbit does not fit the 10 Mbit passes of the first route: via D, at 2.001 s, then 202.001 s
    t, path = earliest_arrival(plan, 0, 2, 0.0, 20e6 / 8)
    assert path == [0, 3, 2] and t == pytest.approx(202.001, abs=1e-9)
    # starting inside a contact uses what is left of it
    t, _ = earliest_arrival(plan, 0, 1, 5.0, 1e6 / 8)
    assert t == pytest.approx(6.001, abs=1e-9)
    assert earliest_arrival(plan, 2, 0, 0.0, 1.0) == (np.inf, [])


def test_split_volume_arrives_when_its_slowest_fragment_does():
    # 15 bits over two passes: 10 bits in [0, 10) with a 100 s delay arrive at 110 s; the last
    # 5 bits leave at 25 s with 1 ms delay. All 15 bits are there at 110 s.
    plan = ContactPlan.from_arrays([0, 0], [1, 1], [0, 20], [10, 30], 1.0, [100.0, 1e-3])
    assert earliest_arrival(plan, 0, 1, 0.0, 15 / 8)[0] == pytest.approx(110.0)
    assert earliest_arrival(plan, 0, 1, 0.0, 5 / 8)[0] == pytest.approx(105.0)


def test_contact_plan_from_a_static_graph_matches_dijkstra():
    # a link that is always up: the earliest arrival of ~0 bytes is the shortest latency
    e = np.array([[0, 1], [1, 2], [2, 3], [0, 3]])
    lat = np.array([1e-3, 1e-3, 1e-3, 5e-3])
    t = np.arange(5) * 10.0
    plan = contacts_from_steps(
        t, e, np.ones((5, 4), bool), np.full((5, 4), 1e9), np.tile(lat, (5, 1))
    )
    arr, path = earliest_arrival(plan, 0, 3, 0.0, 1e-9)
    assert path == [0, 1, 2, 3] and arr == pytest.approx(3e-3, abs=1e-9)


def test_contacts_from_steps_runs_rates_and_delays():
    up = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], bool)
    rate = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], float)
    delay = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])
    cp = contacts_from_steps([0, 10, 20, 30], [[0, 1], [1, 2]], up, rate, delay)
    got = sorted(zip(cp.src, cp.dst, cp.start_s, cp.end_s, cp.rate_bps, cp.delay_s, strict=True))
    assert got == sorted(
        [
            (0, 1, 0, 20, 2, 0.3),
            (1, 0, 0, 20, 2, 0.3),  # edge 0, steps 0-1: mean of 1, 3
            (0, 1, 30, 40, 7, 0.7),
            (1, 0, 30, 40, 7, 0.7),  # edge 0, step 3
            (1, 2, 10, 40, 6, 0.8),
            (2, 1, 10, 40, 6, 0.8),  # edge 1, steps 1-3: mean 4, 6, 8
        ]
    )


def test_bad_inputs_give_one_line_errors():
    with pytest.raises(
        ValueError, match=r"^ContactPlan: contacts overlap on link 0->1 at t=5.0 s$"
    ):
        ContactPlan.from_arrays([0, 0], [1, 1], [0, 5], [10, 20], 1.0)
    with pytest.raises(ValueError, match="end_s before start_s at contact 0"):
        ContactPlan.from_arrays([0], [1], [10], [5], 1.0)
    with pytest.raises(ValueError, match=r"isl_edges hold a satellite index outside 0\.\.2"):
        build_graph(3, [[0, 3]], [1.0])
    with pytest.raises(ValueError, match="relay must have shape"):
        build_graph(3, [[0, 1]], [1.0], 2, [0], [1], [1.0], relay=[True])
    with pytest.raises(ValueError, match="demand_bps must have shape"):
        max_min_fair([[0]], [1.0], [1.0, 2.0])


RING = {  # twelve satellites in one plane, 30 deg apart: each laser reaches its neighbours only
    "name": "ring", "epoch": "2026-06-21T00:00:00Z", "duration": "10min", "step": "60s",
    "constellations": [{
        "name": "ring",
        "walker": {"satellites": 12, "planes": 1, "altitude_km": 500, "inclination_deg": 97.4},
        "isl": {"topology": "nearest", "nearest": 2, "max_range_km": 5016},
    }],
}


def test_isl_route_goes_round_the_ring_hop_by_hop():
    from orbitgrid.network.routing import isl_route
    from orbitgrid.pipeline import build_world
    from orbitgrid.scenario import validate_scenario

    world = build_world(validate_scenario(RING))
    r = world.exact_states(np.array([0.0]))[0][0]
    way = isl_route(world.isl, r, 0, 3)
    assert way.nodes == [0, 1, 2, 3] and way.hops == 3
    # the oracle: the three chords measured directly, crossed at c
    chords = np.linalg.norm(np.diff(r[[0, 1, 2, 3]], axis=0), axis=1)
    assert way.distance_m == pytest.approx(chords.sum(), rel=1e-9)
    assert way.delay_s == pytest.approx(chords.sum() / SPEED_OF_LIGHT_M_S, rel=1e-9)
    # 2 r sin(15 deg) on a 6,878 km circle: 3,560 km a hop, within the orbit's eccentricity
    assert chords == pytest.approx(2 * 6_878_137.0 * np.sin(np.radians(15)), rel=0.01)
    assert 0 < way.bottleneck_bps < np.inf
    assert isl_route(world.isl, r, 0, 6).hops == 6  # either way round: six hops
    gone = r.copy()
    gone[[1, 11]] = np.nan  # both neighbours of satellite 0 gone: nothing reaches it
    assert isl_route(world.isl, gone, 0, 3) is None
