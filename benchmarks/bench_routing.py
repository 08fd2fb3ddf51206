"""Per-step routing on a 10,000-satellite plus-grid: scipy csgraph against networkx.

Builds a 100 x 100 Walker shell (550 km, 53 deg) from circular orbits, 100 ground stations
(seeded, uniform on the sphere, 25 deg mask), and per step: positions, ISL lengths, range and
Earth line-of-sight filter, ground links, the graph, Dijkstra from all 100 stations. Baseline:
networkx Dijkstra on the same graph from a sample of stations (pure-Python Dijkstra if networkx
is missing), scaled to 100 sources. Prints seconds per step and the ratio.

    python benchmarks/bench_routing.py [--steps 5] [--sample 5]
"""

from __future__ import annotations

import argparse
import heapq
import time

import numpy as np

from orbitgrid.constants import EARTH_RADIUS_M, EARTH_ROTATION_RAD_S, MU_EARTH_M3_S2
from orbitgrid.network.links import latency_s
from orbitgrid.network.routing import build_graph, shortest_paths
from orbitgrid.network.topology import edge_lengths, filter_edges, ground_links, plus_grid

PLANES, PER_PLANE, ALT_M, INC_DEG = 100, 100, 550e3, 53.0
N_STATIONS = 100


def walker_positions(t_s: float) -> np.ndarray:
    """ECI positions (sat, 3) in metres of the benchmark shell at time t_s (circular, F = 1)."""
    r = EARTH_RADIUS_M + ALT_M
    n = np.sqrt(MU_EARTH_M3_S2 / r**3)
    p, s = np.meshgrid(np.arange(PLANES), np.arange(PER_PLANE), indexing="ij")
    raan = 2 * np.pi * p.ravel() / PLANES
    u = 2 * np.pi * (s.ravel() / PER_PLANE + p.ravel() / (PLANES * PER_PLANE)) + n * t_s
    i = np.radians(INC_DEG)
    return r * np.stack(
        [
            np.cos(raan) * np.cos(u) - np.sin(raan) * np.sin(u) * np.cos(i),
            np.sin(raan) * np.cos(u) + np.cos(raan) * np.sin(u) * np.cos(i),
            np.sin(u) * np.sin(i),
        ],
        axis=1,
    )


def station_positions(t_s: float, seed: int = 0) -> np.ndarray:
    """ECI positions (station, 3) of seeded surface stations, rotating with the Earth."""
    v = np.random.default_rng(seed).normal(size=(N_STATIONS, 3))
    v = EARTH_RADIUS_M * v / np.linalg.norm(v, axis=1, keepdims=True)
    a = EARTH_ROTATION_RAD_S * t_s
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return v @ rot.T


def step_graph(t_s: float, edges: np.ndarray):
    sats = walker_positions(t_s)
    keep = filter_edges(sats, edges, max_range_m=5016e3, margin_m=80e3)
    e = edges[keep]
    gi, si, rng_m, _ = ground_links(station_positions(t_s), sats, np.radians(25.0))
    return build_graph(
        len(sats), e, latency_s(edge_lengths(sats, e)), N_STATIONS, gi, si, latency_s(rng_m)
    )


def python_dijkstra(csr, source: int) -> np.ndarray:
    """Pure-Python binary-heap Dijkstra over a csr matrix (baseline when networkx is absent)."""
    dist = np.full(csr.shape[0], np.inf)
    dist[source] = 0.0
    heap = [(0.0, source)]
    indptr, indices, data = csr.indptr, csr.indices, csr.data
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            v, nd = indices[k], d + data[k]
            if nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--sample", type=int, default=5, help="baseline sources per step")
    ap.add_argument("--baseline", choices=["networkx", "python"], default="networkx")
    args = ap.parse_args()

    edges = plus_grid(PLANES, PER_PLANE)
    n_sat = PLANES * PER_PLANE
    sources = np.arange(n_sat, n_sat + N_STATIONS)
    nx = None
    if args.baseline == "networkx":
        try:
            import networkx as nx
        except ImportError:
            nx = None
    baseline_name = f"networkx {nx.__version__}" if nx else "pure-Python Dijkstra"

    t_build = t_route = t_base = t_base_build = 0.0
    n_base = n_isl = 0
    reach = []
    for k in range(args.steps):
        t_s = 10.0 * k
        t0 = time.perf_counter()
        graph = step_graph(t_s, edges)
        t1 = time.perf_counter()
        dist, _ = shortest_paths(graph, sources)
        t2 = time.perf_counter()
        t_build += t1 - t0
        t_route += t2 - t1
        n_isl += graph.adjacency[:n_sat, :n_sat].nnz // 2
        reach.append(np.isfinite(dist[:, sources]).mean())
        # baseline on the same directed graph (downlinks into non-relay stations left out)
        sample = sources[: args.sample]
        adj = graph.adjacency
        if nx is not None:
            tb = time.perf_counter()
            g = nx.from_scipy_sparse_array(adj, create_using=nx.DiGraph)
            t_base_build += time.perf_counter() - tb
            tb = time.perf_counter()
            ref = [nx.single_source_dijkstra_path_length(g, int(s)) for s in sample]
        else:
            tb = time.perf_counter()
            ref = [python_dijkstra(adj, int(s)) for s in sample]
        t_base += time.perf_counter() - tb
        n_base += len(sample)
        # check the two agree on the satellites
        for row, r in enumerate(ref):
            got = dist[row, :n_sat]
            want = np.array([r.get(i, np.inf) for i in range(n_sat)]) if nx else r[:n_sat]
            assert np.allclose(got, want, rtol=1e-12, equal_nan=False), "baseline disagrees"

    per_step_route = t_route / args.steps
    per_step_base = t_base / n_base * N_STATIONS + t_base_build / args.steps
    print(
        f"{n_sat} satellites, {len(edges)} plus-grid ISLs, {N_STATIONS} stations,"
        f" {args.steps} steps"
    )
    print(
        f"ISLs up after range and line of sight: {n_isl / args.steps:.0f} per step;"
        f" station pairs connected: {100 * np.mean(reach):.0f} %"
    )
    print(f"graph build per step (positions, filters, ground links): {t_build / args.steps:.3f} s")
    print(f"scipy dijkstra from {N_STATIONS} stations per step:        {per_step_route:.3f} s")
    print(
        f"{baseline_name} from {N_STATIONS} stations per step:      {per_step_base:.3f} s"
        f" (Dijkstra measured on {n_base} sources and scaled; graph conversion"
        f" {t_base_build / args.steps:.3f} s per step included)"
    )
    print(f"ratio baseline / scipy: {per_step_base / per_step_route:.1f}x")


if __name__ == "__main__":
    main()
