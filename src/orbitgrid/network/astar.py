"""Shortest-latency paths for many (source, target) pairs by A*, compiled with numba.

The heuristic is the arc to the target on a sphere of radius HEURISTIC_RADIUS_M, over c: every
link is a straight segment that stays above that sphere (ISLs clear the Earth, ground links leave
the surface above -5 deg of elevation), radial projection onto it shortens lengths, and every
weight is at least its length over c; so the heuristic is consistent and A* returns Dijkstra's
latencies while settling only the nodes near the way between the two ends.
"""

from __future__ import annotations

import heapq

import numpy as np
from numba import njit

from orbitgrid.constants import SPEED_OF_LIGHT_M_S

__all__ = ["HEURISTIC_RADIUS_M", "pair_paths"]

# WGS84 polar radius, less 500 m (lowest station) and 25 km (a -5 deg mask dips that far).
HEURISTIC_RADIUS_M = 6_356_752.0 - 25_500.0


@njit(cache=True)
def _h(unit, v, t, scale):  # pragma: no cover
    c = unit[v, 0] * unit[t, 0] + unit[v, 1] * unit[t, 1] + unit[v, 2] * unit[t, 2]
    return np.arccos(min(1.0, max(-1.0, c))) * scale


@njit(cache=True)
def _pairs(indptr, indices, weights, pos, transit, src, dst, inv_c):  # pragma: no cover
    n = len(indptr) - 1
    n_pairs = len(src)
    dist = np.full(n_pairs, np.inf)
    g = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int64)
    paths = np.empty(0, dtype=np.int64)
    n_nodes = np.zeros(n_pairs, dtype=np.int64)
    out = []
    for p in range(n_pairs):
        s, t = src[p], dst[p]
        n_touched = 0
        g[s] = 0.0
        touched[n_touched] = s
        n_touched += 1
        heap = [(_h(pos, s, t, inv_c), s)]
        while len(heap):
            _, u = heapq.heappop(heap)
            if closed[u]:
                continue
            closed[u] = True
            if u == t:
                break
            if u != s and not transit[u]:
                continue
            for k in range(indptr[u], indptr[u + 1]):
                v = indices[k]
                nd = g[u] + weights[k]
                if nd < g[v]:
                    if g[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    g[v] = nd
                    pred[v] = u
                    heapq.heappush(heap, (nd + _h(pos, v, t, inv_c), v))
        if closed[t]:
            dist[p] = g[t]
            m = 1
            v = t
            while v != s:
                v = pred[v]
                m += 1
            path = np.empty(m, dtype=np.int64)
            v = t
            for j in range(m - 1, -1, -1):
                path[j] = v
                if j:
                    v = pred[v]
            out.append(path)
            n_nodes[p] = m
        for j in range(n_touched):
            v = touched[j]
            g[v] = np.inf
            pred[v] = -1
            closed[v] = False
    total = 0
    for a in out:
        total += len(a)
    paths = np.empty(total, dtype=np.int64)
    k = 0
    for a in out:
        paths[k : k + len(a)] = a
        k += len(a)
    return dist, paths, n_nodes


def pair_paths(adjacency, positions_m, transit, src, dst):
    """One-way latencies (s), flat node paths and nodes per pair (0 when unreachable).

    adjacency: csr (node, node) of latencies in seconds, both directions of every link;
    positions_m (node, 3); transit (node,) bool: False for nodes that end paths but never
    carry them (stations that do not relay).
    """
    pos = np.asarray(positions_m, dtype=np.float64)
    unit = np.ascontiguousarray(pos / np.linalg.norm(pos, axis=1, keepdims=True))
    return _pairs(
        adjacency.indptr.astype(np.int64),
        adjacency.indices.astype(np.int64),
        adjacency.data.astype(np.float64),
        np.nan_to_num(unit),
        np.asarray(transit, dtype=np.bool_),
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        HEURISTIC_RADIUS_M / SPEED_OF_LIGHT_M_S,
    )
