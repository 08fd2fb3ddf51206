"""Shortest-latency paths for many (source, target) pairs by A*, compiled with numba.

The heuristic is rho x (arc between the node's and the target's directions from the Earth's
centre) / c, with rho the largest radius for which every link of this graph has a latency of
at least rho x its own arc / c (computed per graph: ~6,640 km on Starlink with 25 deg masks,
where links run at 6,900 km). By the triangle inequality on the sphere the heuristic is then
consistent whatever the links are, and A* returns Dijkstra's latencies while settling only the
nodes near the way between the two ends (pair_paths, one step).

route_window routes consecutive steps together, with a tighter bound shared by the steps and by
the pairs with a common end (below): what the network stage uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from orbitgrid.network.graph import FixedLinks

__all__ = [
    "WINDOW_STEPS",
    "SharedEnds",
    "pair_paths",
    "route_window",
    "shared_ends",
]

# rho is shrunk by this much so that rounding in the arcs never makes the heuristic overshoot
RHO_SAFETY = 1e-9


@njit(cache=True)
def _arc(unit, u, v):  # pragma: no cover - compiled
    """Angle (rad) between unit vectors u and v, as atan2(|u x v|, u . v): exact 0 for u = v
    and accurate near 0 and pi, where arccos(u . v) errs by ~1e-8 rad (0.5 ns at LEO)."""
    ax, ay, az = unit[u, 0], unit[u, 1], unit[u, 2]
    bx, by, bz = unit[v, 0], unit[v, 1], unit[v, 2]
    cx, cy, cz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
    return np.arctan2(np.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz)


@njit(cache=True)
def _rho(indptr, indices, weights, unit):  # pragma: no cover - compiled
    """min over links of latency / arc (s per rad): the heuristic's scale."""
    best = np.inf
    for u in range(len(indptr) - 1):
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            if v > u:
                a = _arc(unit, u, v)
                if a > 0 and weights[k] < best * a:
                    best = weights[k] / a
    return 0.0 if best == np.inf else best * (1.0 - RHO_SAFETY)


# The searches' queue: a 4-ary min-heap on two arrays (keys, values), lazy deletion. Four
# children per node halve the levels a pop sifts through: a third off the bounded Dijkstra.


@njit(cache=True, inline="always")
def _push(key, val, n, k, v):  # pragma: no cover - compiled
    """Insert (k, v) into the heap's first n entries; the new size."""
    i = n
    while i > 0:
        parent = (i - 1) >> 2
        if key[parent] <= k:
            break
        key[i], val[i] = key[parent], val[parent]
        i = parent
    key[i], val[i] = k, v
    return n + 1


@njit(cache=True, inline="always")
def _pop(key, val, n):  # pragma: no cover - compiled
    """Remove the smallest entry; its value and the new size."""
    top = val[0]
    n -= 1
    k, v = key[n], val[n]
    i = 0
    while True:
        c = 4 * i + 1
        if c >= n:
            break
        best, smallest = c, key[c]
        for j in range(c + 1, min(c + 4, n)):
            if key[j] < smallest:
                best, smallest = j, key[j]
        if k <= smallest:
            break
        key[i], val[i] = smallest, val[best]
        i = best
    key[i], val[i] = k, v
    return top, n


@njit(cache=True)
def _pairs(indptr, indices, weights, unit, transit, src, dst):  # pragma: no cover
    n = len(indptr) - 1
    n_pairs = len(src)
    scale = _rho(indptr, indices, weights, unit)
    dist = np.full(n_pairs, np.inf)
    g = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int64)
    h = np.empty(n)  # heuristic of each touched node, computed on first touch
    # each push follows a strict improvement along a link: at most one per link and the source
    heap_key = np.empty(len(indices) + 1)
    heap_val = np.empty(len(indices) + 1, dtype=np.int64)
    n_nodes = np.zeros(n_pairs, dtype=np.int64)
    out = []
    for p in range(n_pairs):
        s, t = src[p], dst[p]
        g[s] = 0.0
        touched[0] = s
        n_touched = 1
        n_heap = _push(heap_key, heap_val, 0, 0.0, s)
        while n_heap:
            u, n_heap = _pop(heap_key, heap_val, n_heap)
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
                        h[v] = _arc(unit, v, t) * scale
                    g[v] = nd
                    pred[v] = u
                    n_heap = _push(heap_key, heap_val, n_heap, nd + h[v], v)
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
    return dist, _flat(out), n_nodes


@njit(cache=True)
def _flat(paths):  # pragma: no cover - compiled
    """The paths (a list of node arrays) end to end, as one array."""
    total = 0
    for a in paths:
        total += len(a)
    flat = np.empty(total, dtype=np.int64)
    k = 0
    for a in paths:
        flat[k : k + len(a)] = a
        k += len(a)
    return flat


def pair_paths(adjacency, positions_m, transit, src, dst):
    """One-way latencies (s), flat node paths and nodes per pair (0 when unreachable).

    adjacency: csr (node, node) of latencies in seconds, both directions of every link;
    positions_m (node, 3); transit (node,) bool: False for nodes that end paths but never
    carry them (stations that do not relay).
    """
    pos = np.asarray(positions_m, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = pos / np.linalg.norm(pos, axis=1, keepdims=True)
    return _pairs(
        np.asarray(adjacency.indptr, dtype=np.int64),
        np.asarray(adjacency.indices, dtype=np.int64),
        np.asarray(adjacency.data, dtype=np.float64),
        np.ascontiguousarray(np.nan_to_num(unit)),
        np.asarray(transit, dtype=np.bool_),
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
    )


# --------------------------------------------------------------------------- windows of steps
#
# Over a window of consecutive steps the graph barely changes: satellites move ~75 km per 10 s
# step and links come and go at the edges of range and masks. The window's lower graph holds
# every link present at any of its steps, at its smallest latency there; each step's graph is
# then a subgraph with latencies at least as long, so distances to an end on the lower graph are
# a consistent lower bound at every step of the window. One Dijkstra per distinct end ("root")
# on the lower graph, stopped once the root's partners are settled at radius R, serves every
# pair with that end and every step of the window: min(lower distance, R) is the heuristic.
# (A geometric bound over a window is not consistent: satellites of crossing planes close from
# 220 to 70 km within a minute, so distances on the sphere at one step do not bound the links
# of the others.)

# steps routed together: the lower graph's bound loosens as the window grows while its searches
# are shared by more steps; 12-20 measured best for 100 pairs on the Starlink catalogue at 10 s
WINDOW_STEPS = 16


@njit(cache=True)
def _lower_graph(ptr, idx, wt, n):  # pragma: no cover - compiled
    """Union of the window's graphs (stacked csr: ptr (K, n+1) into idx, wt), each link once at
    its smallest latency over the window: csr (indptr, indices, weights), each row's links in
    the order they first come (a Dijkstra's distances do not depend on it)."""
    n_steps = ptr.shape[0]
    row = np.full(n, -1, np.int64)  # the row that last took node v, and where
    at = np.empty(n, np.int64)
    indices, weights = np.empty(len(idx), np.int64), np.empty(len(idx))
    indptr = np.zeros(n + 1, np.int64)
    out = 0
    for u in range(n):
        for k in range(n_steps):
            for j in range(ptr[k, u], ptr[k, u + 1]):
                v = idx[j]
                if row[v] != u:
                    row[v], at[v] = u, out
                    indices[out], weights[out] = v, wt[j]
                    out += 1
                elif wt[j] < weights[at[v]]:
                    weights[at[v]] = wt[j]
        indptr[u + 1] = out
    return indptr, indices[:out], weights[:out]


@njit(cache=True)
def _fixed_rows(weight, edge):  # pragma: no cover - compiled
    """Each step's weights (K, E) in the order of the fixed links' csr entries (entry j is link
    edge[j]), read beside their columns, and each entry's smallest over the steps."""
    n_steps = weight.shape[0]
    fw = np.empty((n_steps, len(edge)))
    lowest = np.full(len(edge), np.inf)
    for k in range(n_steps):
        for j in range(len(edge)):
            w = weight[k, edge[j]]
            fw[k, j] = w
            lowest[j] = min(lowest[j], w)
    return fw, lowest


@njit(cache=True)
def _weight(fptr, fcol, fw, xptr, xidx, xw, u, v):  # pragma: no cover - compiled
    """Latency of the link u-v up in a graph of two csr (fixed links, others); inf if none."""
    for j in range(fptr[u], fptr[u + 1]):
        if fcol[j] == v and fw[j] < np.inf:
            return fw[j]
    for j in range(xptr[u], xptr[u + 1]):
        if xidx[j] == v:
            return xw[j]
    return np.inf


@njit(cache=True)
def _root_bounds(
    fptr, fcol, fw, xptr, xidx, xw, transit, root, partners, bound
):  # pragma: no cover - compiled
    """Dijkstra on the lower graph (two csr on the same nodes: the fixed links fptr, fcol, fw,
    inf where never up, and the others xptr, xidx, xw) from root until every partner is settled
    (or nothing is left): bound[v] = min(distance from v to root, R), R the last settled
    distance; inf for nodes out of reach when the search ran out. Paths pass only through
    transit nodes."""
    n = len(xptr) - 1
    g = np.full(n, np.inf)
    closed = np.zeros(n, dtype=np.bool_)
    want = np.zeros(n, dtype=np.bool_)
    left = 0
    for x in partners:
        if not want[x] and x != root:
            want[x] = True
            left += 1
    if left == 0:  # no partner but the root itself
        bound[:] = 0.0
        return
    heap_key = np.empty(len(fcol) + len(xidx) + 1)
    heap_val = np.empty(len(fcol) + len(xidx) + 1, dtype=np.int64)
    g[root] = 0.0
    n_heap = _push(heap_key, heap_val, 0, 0.0, root)
    radius = np.inf
    while n_heap:
        u, n_heap = _pop(heap_key, heap_val, n_heap)
        if closed[u]:
            continue
        closed[u] = True
        if want[u]:
            left -= 1
            if left == 0:
                radius = g[u]
                break
        if u != root and not transit[u]:
            continue
        for j in range(fptr[u], fptr[u + 1]):
            v, nd = fcol[j], g[u] + fw[j]
            if nd < g[v]:
                g[v] = nd
                n_heap = _push(heap_key, heap_val, n_heap, nd, v)
        for j in range(xptr[u], xptr[u + 1]):
            v, nd = xidx[j], g[u] + xw[j]
            if nd < g[v]:
                g[v] = nd
                n_heap = _push(heap_key, heap_val, n_heap, nd, v)
    for v in range(n):
        bound[v] = g[v] if closed[v] else radius


@njit(cache=True)
def _step_pairs(
    fptr, fcol, fw, xptr, xidx, xw, transit, src, dst, flip, root_of, bounds
):  # pragma: no cover - compiled
    """A* on one step's graph (two csr on the same nodes: the fixed links fptr, fcol, fw, inf
    where down, and the others xptr into xidx, xw) for each pair, toward its root (dst[p], or
    src[p] where flip[p]: the search then runs from dst and its path is turned round), with
    bounds[root_of[p]] as heuristic (distances to the root on the window's lower graph,
    capped). Latencies are summed along each path from src, as Dijkstra from src sums them.
    Same returns as _pairs."""
    n = len(xptr) - 1
    n_pairs = len(src)
    dist = np.full(n_pairs, np.inf)
    g = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int64)
    heap_key = np.empty(len(fcol) + xptr[n] - xptr[0] + 1)
    heap_val = np.empty(len(fcol) + xptr[n] - xptr[0] + 1, dtype=np.int64)
    n_nodes = np.zeros(n_pairs, dtype=np.int64)
    out = []
    for p in range(n_pairs):
        s, t = (dst[p], src[p]) if flip[p] else (src[p], dst[p])
        h = bounds[root_of[p]]
        if h[s] == np.inf:  # out of reach on the lower graph, so at every step
            continue
        g[s] = 0.0
        touched[0] = s
        n_touched = 1
        n_heap = _push(heap_key, heap_val, 0, 0.0, s)
        while n_heap:
            u, n_heap = _pop(heap_key, heap_val, n_heap)
            if closed[u]:
                continue
            closed[u] = True
            if u == t:
                break
            if u != s and not transit[u]:
                continue
            # the fixed links, then the others: two plain loops (measured: one loop with a branch
            # per link, 2.4 ms/step, and a shared inlined helper returning a tuple, 3.9, are slower)
            for j in range(fptr[u], fptr[u + 1]):
                v, nd = fcol[j], g[u] + fw[j]
                if nd < g[v]:
                    if g[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    g[v] = nd
                    pred[v] = u
                    n_heap = _push(heap_key, heap_val, n_heap, nd + h[v], v)
            for j in range(xptr[u], xptr[u + 1]):
                v, nd = xidx[j], g[u] + xw[j]
                if nd < g[v]:
                    if g[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    g[v] = nd
                    pred[v] = u
                    n_heap = _push(heap_key, heap_val, n_heap, nd + h[v], v)
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
                path[j if not flip[p] else m - 1 - j] = v
                if j:
                    v = pred[v]
            if flip[p]:  # the latency as summed from src
                total = 0.0
                for i in range(m - 1):
                    total += _weight(fptr, fcol, fw, xptr, xidx, xw, path[i], path[i + 1])
                dist[p] = total
            out.append(path)
            n_nodes[p] = m
        for j in range(n_touched):
            v = touched[j]
            g[v] = np.inf
            pred[v] = -1
            closed[v] = False
    return dist, _flat(out), n_nodes


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class SharedEnds:
    """The pairs (src, dst) grouped by root (shared_ends), worked out once for every window:
    flip (pair,) True where the search runs from dst to its root src; root_of (pair,) index into
    roots; partners[r]: the other ends of root r's pairs."""

    src: np.ndarray
    dst: np.ndarray
    flip: np.ndarray
    roots: np.ndarray
    root_of: np.ndarray
    partners: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, src, dst) -> SharedEnds:
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        root, flip = shared_ends(src, dst)
        roots, root_of = np.unique(root, return_inverse=True)
        partner = np.where(flip, dst, src)
        partners = tuple(partner[root_of == r] for r in range(len(roots)))
        return cls(src, dst, flip, roots, root_of.astype(np.int64), partners)


def route_window(
    ptr, idx, wt, transit, ends: SharedEnds, fixed: FixedLinks | None = None, fixed_weight=None
):
    """pair_paths at each step of a window of consecutive steps, from one bounded Dijkstra per
    distinct end on the window's lower graph: Dijkstra's latencies at each step. The window's
    links are a stacked csr (graph.window_csr: ptr (K, n + 1) into idx, wt) and, when given,
    links fixed for the run (graph.FixedLinks) at fixed_weight (K, E) s, inf where down: the
    steps share their rows, never copied into each step's. The pairs' ends are worked out once
    (SharedEnds). Returns [(one-way latencies s, flat paths, nodes per pair)], one per step."""
    n_steps, n = ptr.shape[0], ptr.shape[1] - 1
    transit = np.asarray(transit, dtype=np.bool_)
    if fixed is None:
        fixed, fixed_weight = FixedLinks.of(n, np.zeros((0, 2))), np.zeros((n_steps, 0))
    fw, lowest = _fixed_rows(np.ascontiguousarray(fixed_weight, dtype=np.float64), fixed.edge)
    lower = _lower_graph(ptr, idx, wt, n)
    bounds = np.empty((len(ends.roots), n))
    for r, end in enumerate(ends.roots):
        _root_bounds(
            fixed.ptr, fixed.col, lowest, *lower, transit, end, ends.partners[r], bounds[r]
        )
    pairs = transit, ends.src, ends.dst, ends.flip, ends.root_of, bounds
    return [
        _step_pairs(fixed.ptr, fixed.col, fw[k], ptr[k], idx, wt, *pairs) for k in range(n_steps)
    ]


def shared_ends(src, dst):
    """A root (an end) for each pair so that few roots serve all pairs: latencies are the same
    both ways, so a search may run toward either end. Greedy cover: the end in most uncovered
    pairs first (ties to the lowest node). Returns root (pair,) and flip (pair,) bool, True
    where the root is src."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    root = dst.copy()
    left = np.ones(len(src), dtype=bool)
    while left.any():
        ends, count = np.unique(np.r_[src[left], dst[left]], return_counts=True)
        end = ends[np.argmax(count)]
        mine = left & ((src == end) | (dst == end))
        root[mine] = end
        left &= ~mine
    return root, root != dst
