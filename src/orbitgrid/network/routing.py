"""Per-step routing graph, shortest-latency paths, max-min fair sharing, contact plans.

Nodes: satellites 0..n_sat-1, then ground stations n_sat..n_sat+n_station-1. Weights are
one-way latencies in seconds; capacities in bits/s; times in seconds from the scenario epoch.
No I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.isl import IslLayout, isl_edges

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "NO_NODE",
    "NetworkGraph",
    "build_graph",
    "shortest_paths",
    "node_path",
    "route",
    "links_on_paths",
    "max_min_fair",
    "ContactPlan",
    "contacts_from_steps",
    "earliest_arrival",
]

NO_NODE = -9999  # scipy's predecessor value for "none"

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class NetworkGraph:
    """One step's network: directed latency graph plus the arrivals into non-relay stations.

    adjacency holds ISLs both ways, every station's uplinks (station -> satellite) and the
    downlinks of relaying stations. Downlinks into non-relay stations are kept aside
    (down_sat, down_station, down_latency_s) so that no path passes through such a station.
    """

    n_sat: int
    n_station: int
    adjacency: sp.csr_matrix
    down_sat: IntArray
    down_station: IntArray
    down_latency_s: FloatArray

    @property
    def n_nodes(self) -> int:
        return self.n_sat + self.n_station


def build_graph(
    n_sat: int,
    isl_edges: ArrayLike,
    isl_latency_s: ArrayLike,
    n_station: int = 0,
    gs_station: ArrayLike = (),
    gs_sat: ArrayLike = (),
    gs_latency_s: ArrayLike = (),
    relay: ArrayLike | None = None,
) -> NetworkGraph:
    """Build one step's graph from unique ISL edges (i, j) and station-satellite links.

    gs_station are station indices 0..n_station-1 (not node numbers). relay (n_station,) bool:
    True lets a station carry transit traffic; default False for all.
    """
    e = np.asarray(isl_edges, dtype=np.int64).reshape(-1, 2)
    w = np.asarray(isl_latency_s, dtype=float).reshape(-1)
    g = np.asarray(gs_station, dtype=np.int64).reshape(-1)
    s = np.asarray(gs_sat, dtype=np.int64).reshape(-1)
    gw = np.asarray(gs_latency_s, dtype=float).reshape(-1)
    if len(w) != len(e):
        raise ValueError(f"build_graph: {len(e)} isl_edges but {len(w)} isl_latency_s")
    if not (len(g) == len(s) == len(gw)):
        raise ValueError("build_graph: gs_station, gs_sat and gs_latency_s differ in length")
    if len(e) and (e.min() < 0 or e.max() >= n_sat):
        raise ValueError(f"build_graph: isl_edges hold a satellite index outside 0..{n_sat - 1}")
    if len(g) and (g.min() < 0 or g.max() >= n_station):
        raise ValueError(f"build_graph: gs_station outside 0..{n_station - 1}")
    rel = np.zeros(n_station, dtype=bool) if relay is None else np.asarray(relay, dtype=bool)
    if rel.shape != (n_station,):
        raise ValueError(f"build_graph: relay must have shape ({n_station},), got {rel.shape}")
    node_g = g + n_sat
    down_rel = rel[g]
    rows = np.concatenate([e[:, 0], e[:, 1], node_g, s[down_rel]])
    cols = np.concatenate([e[:, 1], e[:, 0], s, node_g[down_rel]])
    data = np.concatenate([w, w, gw, gw[down_rel]])
    n = n_sat + n_station
    import scipy.sparse as sp  # scipy (~0.5 s to import) only where a graph is built

    adj = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    keep = ~down_rel
    return NetworkGraph(n_sat, n_station, adj, s[keep], g[keep], gw[keep])


def shortest_paths(graph: NetworkGraph, sources: ArrayLike) -> tuple[FloatArray, IntArray]:
    """Shortest-latency distances (s) and predecessors from each source node to every node.

    Returns dist (source, node), inf where unreachable, and pred (source, node), NO_NODE where
    none. Non-relay stations are reached only as a final hop.
    """
    from scipy.sparse.csgraph import dijkstra

    src = np.atleast_1d(np.asarray(sources, dtype=np.int64))
    dist, pred = dijkstra(graph.adjacency, directed=True, indices=src, return_predecessors=True)
    pred = pred.astype(np.int64)
    if len(graph.down_sat):
        order = np.argsort(graph.down_station, kind="stable")
        v = graph.down_sat[order]
        t = graph.down_station[order]
        cand = dist[:, v] + graph.down_latency_s[order]  # (source, downlink)
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        best = np.minimum.reduceat(cand, starts, axis=1)  # (source, station with a downlink)
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(t)]))
        k = np.where(cand == best[:, group], np.arange(len(t)), len(t))
        arg = np.minimum.reduceat(k, starts, axis=1)
        cols = t[starts] + graph.n_sat
        better = best < dist[:, cols]
        dist[:, cols] = np.where(better, best, dist[:, cols])
        pred[:, cols] = np.where(better, v[np.minimum(arg, len(t) - 1)], pred[:, cols])
    return dist, pred


def node_path(pred_row: ArrayLike, source: int, target: int) -> list[int]:
    """Node list source..target from one row of predecessors; [] when unreachable."""
    p = np.asarray(pred_row)
    if source == target:
        return [int(source)]
    path = [int(target)]
    node = int(target)
    for _ in range(len(p)):
        node = int(p[node])
        if node == NO_NODE:
            return []
        path.append(node)
        if node == source:
            return path[::-1]
    return []


def route(graph: NetworkGraph, source: int, target: int) -> tuple[float, list[int]]:
    """One-way latency (s) and node path of the shortest route; (inf, []) when unreachable."""
    dist, pred = shortest_paths(graph, [source])
    return float(dist[0, target]), node_path(pred[0], source, target)


@dataclass(frozen=True)
class IslRoute:
    """The shortest-latency path between two satellites over the ISLs at one instant: its
    satellites (fleet indices, source first), one-way delay s (light time plus each hop's
    processing delay), length m and narrowest link bit/s."""

    nodes: list[int]
    delay_s: float
    distance_m: float
    bottleneck_bps: float

    @property
    def hops(self) -> int:
        return len(self.nodes) - 1


def isl_route(
    layouts: Sequence[IslLayout | None], r_m: np.ndarray, source: int, target: int
) -> IslRoute | None:
    """The shortest-latency ISL path from satellite source to target, with r_m (N, 3) m the
    whole fleet's positions at one instant (NaN: gone) and layouts a World's isl; None when
    the lasers link them by no path at that instant."""
    parts = [(*isl_edges(g, r_m), g.config.hop_delay_s) for g in layouts if g is not None]
    if not parts:
        return None
    edges = np.concatenate([e for e, *_ in parts]).reshape(-1, 2)
    length = np.concatenate([x for _, x, _, _ in parts])
    capacity = np.concatenate([c for _, _, c, _ in parts])
    delay = np.concatenate([x / SPEED_OF_LIGHT_M_S + hop for _, x, _, hop in parts])
    seconds, nodes = route(build_graph(len(r_m), edges, delay), source, target)
    if not nodes:
        return None
    link = {(int(a), int(b)): k for k, (a, b) in enumerate(edges)}
    on = [link.get((a, b), link.get((b, a))) for a, b in zip(nodes[:-1], nodes[1:])]
    return IslRoute(nodes, seconds, float(length[on].sum()),
                    float(capacity[on].min()) if on else float("inf"))


# --------------------------------------------------------------------------- capacity sharing


def links_on_paths(
    paths: Sequence[Sequence[int]], edges: ArrayLike, duplex: bool = True
) -> list[IntArray]:
    """Link indices used by each node path. edges (link, 2) over node numbers, unique pairs.

    duplex=True: each direction is its own resource, id = link + n_links for the j -> i direction
    where edges[link] = (i, j); capacities then go as np.concatenate([cap, cap]).
    """
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    n = int(e.max()) + 1 if len(e) else 0
    lo, hi = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    key = lo * n + hi
    order = np.argsort(key)
    out = []
    for k, path in enumerate(paths):
        p = np.asarray(path, dtype=np.int64)
        u, v = p[:-1], p[1:]
        q = np.minimum(u, v) * n + np.maximum(u, v)
        pos = np.searchsorted(key, q, sorter=order)
        pos = np.minimum(pos, len(key) - 1)
        idx = order[pos] if len(key) else pos
        if len(q) and (len(key) == 0 or np.any(key[idx] != q)):
            raise ValueError(f"links_on_paths: path {k} uses a pair of nodes that is not in edges")
        if duplex:
            idx = idx + len(e) * (u != e[idx, 0])
        out.append(idx.astype(np.int64))
    return out


def max_min_fair(
    flow_links: Sequence[ArrayLike], capacity_bps: ArrayLike, demand_bps: ArrayLike | None = None
) -> FloatArray:
    """Max-min fair rates (bits/s) for flows over given links, by progressive filling.

    flow_links[f] lists the link indices flow f crosses; capacity_bps (link,). All unfrozen
    flows grow together until a link fills (its flows freeze) or a flow meets its demand.
    A flow on no link gets its demand (inf without one).
    """
    cap = np.asarray(capacity_bps, dtype=float)
    nf = len(flow_links)
    demand = np.full(nf, np.inf) if demand_bps is None else np.asarray(demand_bps, dtype=float)
    if demand.shape != (nf,):
        raise ValueError(f"max_min_fair: demand_bps must have shape ({nf},), got {demand.shape}")
    if np.any(cap < 0):
        raise ValueError("max_min_fair: capacity_bps must be >= 0")
    lengths = np.array([len(np.atleast_1d(f)) for f in flow_links], dtype=np.int64)
    cols = (
        np.concatenate([np.atleast_1d(np.asarray(f, dtype=np.int64)) for f in flow_links])
        if nf
        else np.zeros(0, dtype=np.int64)
    )
    if len(cols) and (cols.min() < 0 or cols.max() >= len(cap)):
        raise ValueError(f"max_min_fair: a link index is outside 0..{len(cap) - 1}")
    rows = np.repeat(np.arange(nf), lengths)
    import scipy.sparse as sp

    a = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(nf, len(cap)))
    a.sum_duplicates()
    a.data[:] = 1.0  # a flow crossing a link twice still counts once
    rate = np.zeros(nf)
    residual = cap.copy()
    active = lengths > 0
    rate[~active] = demand[~active]
    tol = 1e-12 * max(float(cap.max(initial=0.0)), 1.0)
    for _ in range(len(cap) + nf + 1):
        if not active.any():
            break
        n_on = a.T @ active.astype(float)  # active flows per link
        used = n_on > 0
        step_link = np.min(residual[used] / n_on[used]) if used.any() else np.inf
        step_dem = np.min(demand[active] - rate[active])
        step = max(min(step_link, step_dem), 0.0)
        rate[active] += step
        residual -= step * n_on
        full = used & (residual <= tol)
        hit_link = (a @ full.astype(float)) > 0
        active &= ~hit_link & (rate < demand - tol)
    return rate


# --------------------------------------------------------------------------- contact plans


@dataclass(frozen=True)
class ContactPlan:
    """Directed contacts: from src to dst during [start_s, end_s) at rate_bps with delay_s.

    Sorted by (src, dst, start); contacts of one directed link do not overlap.
    """

    n_nodes: int
    src: IntArray
    dst: IntArray
    start_s: FloatArray
    end_s: FloatArray
    rate_bps: FloatArray
    delay_s: FloatArray

    @classmethod
    def from_arrays(
        cls,
        src: ArrayLike,
        dst: ArrayLike,
        start_s: ArrayLike,
        end_s: ArrayLike,
        rate_bps: ArrayLike,
        delay_s: ArrayLike = 0.0,
        n_nodes: int | None = None,
    ) -> ContactPlan:
        """Validate and sort contacts given as arrays."""
        s = np.asarray(src, dtype=np.int64).reshape(-1)
        d = np.asarray(dst, dtype=np.int64).reshape(-1)
        n = len(s)
        t0, t1, r, dl = (
            np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy()
            for x in (start_s, end_s, rate_bps, delay_s)
        )
        if len(d) != n:
            raise ValueError(f"ContactPlan: {n} src but {len(d)} dst")
        if np.any(t1 < t0):
            raise ValueError(
                f"ContactPlan: end_s before start_s at contact {int(np.argmax(t1 < t0))}"
            )
        if np.any(r < 0) or np.any(dl < 0):
            raise ValueError("ContactPlan: rate_bps and delay_s must be >= 0")
        order = np.lexsort((t0, d, s))
        s, d, t0, t1, r, dl = (x[order] for x in (s, d, t0, t1, r, dl))
        same = (s[1:] == s[:-1]) & (d[1:] == d[:-1])
        if np.any(same & (t0[1:] < t1[:-1])):
            k = int(np.argmax(same & (t0[1:] < t1[:-1])))
            raise ValueError(
                f"ContactPlan: contacts overlap on link {s[k]}->{d[k]} at t={t0[k + 1]} s"
            )
        nn = int(max(s.max(initial=-1), d.max(initial=-1))) + 1 if n_nodes is None else n_nodes
        return cls(nn, s, d, t0, t1, r, dl)


def contacts_from_steps(
    times_s: ArrayLike,
    edges: ArrayLike,
    up: ArrayLike,
    rate_bps: ArrayLike,
    delay_s: ArrayLike,
    step_s: float | None = None,
    n_nodes: int | None = None,
) -> ContactPlan:
    """Contact plan from per-step link state: times (T,), edges (E, 2), up/rate/delay (T, E).

    Each sample stands for [t, t + step_s). A run of up steps on an edge becomes one contact
    each way, with rate = mean rate over the run (so rate x duration is the volume) and
    delay = the largest delay in the run.
    """
    t = np.asarray(times_s, dtype=float)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    u = np.asarray(up, dtype=bool)
    r = np.where(u, np.asarray(rate_bps, dtype=float), 0.0)
    dl = np.where(u, np.asarray(delay_s, dtype=float), 0.0)
    if u.shape != (len(t), len(e)):
        raise ValueError(
            f"contacts_from_steps: up must be (time, edge) = {(len(t), len(e))}, got {u.shape}"
        )
    dt = float(np.median(np.diff(t))) if step_s is None and len(t) > 1 else float(step_s or 0.0)
    pad = np.zeros((1, len(e)), dtype=bool)
    change = np.diff(np.concatenate([pad, u, pad]).astype(np.int8), axis=0).T  # (E, T+1)
    edge_idx, first = np.nonzero(change == 1)  # runs in edge-major order: start step
    _, last = np.nonzero(change == -1)  # matching end step (exclusive)
    csum = np.concatenate([np.zeros((1, len(e))), np.cumsum(r, axis=0)])
    mean_rate = (csum[last, edge_idx] - csum[first, edge_idx]) / (last - first)
    tt = np.r_[t, t[-1] + dt] if len(t) else t
    # largest delay per run: reduceat from each run's start over edge-major delays, down
    # steps masked to -inf so a segment running past its run's end picks up nothing
    masked = np.where(u.T, dl.T, -np.inf).reshape(-1)
    starts = edge_idx * len(t) + first
    max_delay = np.maximum.reduceat(masked, starts) if len(starts) else np.zeros(0)
    a, b = e[edge_idx, 0], e[edge_idx, 1]
    return ContactPlan.from_arrays(
        np.r_[a, b],
        np.r_[b, a],
        np.r_[tt[first], tt[first]],
        np.r_[tt[last], tt[last]],
        np.r_[mean_rate, mean_rate],
        np.r_[max_delay, max_delay],
        n_nodes=n_nodes,
    )


def _link_arrival(
    start: FloatArray, end: FloatArray, rate: FloatArray, delay: FloatArray, t: float, bits: float
) -> float:
    """Time the last bit of `bits` arrives over one link's contacts, sending from time t."""
    eff = np.maximum(start, t)
    live = end > eff
    cap = np.where(live, rate * (end - eff), 0.0)
    cum = np.cumsum(cap)
    ok = live & (cum >= bits * (1 - 1e-12))
    if not ok.any():
        return np.inf
    j = int(np.argmax(ok))
    before = cum[j - 1] if j else 0.0
    finish = eff[j] + (bits - before) / rate[j] if rate[j] > 0 else eff[j]
    # earlier fragments arrive at their contact's end plus its delay
    ends = np.where(live[:j], end[:j] + delay[:j], -np.inf)
    return float(max(finish + delay[j], ends.max(initial=-np.inf)))


def earliest_arrival(
    plan: ContactPlan, source: int, target: int, t0_s: float, size_bytes: float
) -> tuple[float, list[int]]:
    """Earliest time (s) all size_bytes sent from source at t0_s are at target, and the node path.

    Store-and-forward: a node forwards once it holds the whole volume, which may be split over
    successive contacts of one link (waiting for the next pass). Label-setting (Dijkstra) over
    nodes, exact for this model since a later start never arrives earlier. (inf, []) if never.
    """
    bits = 8.0 * float(size_bytes)
    starts = np.flatnonzero(
        np.r_[True, (plan.src[1:] != plan.src[:-1]) | (plan.dst[1:] != plan.dst[:-1])]
    )
    ends = np.r_[starts[1:], len(plan.src)]
    out: dict[int, list[tuple[int, int, int]]] = {}
    for a, b in zip(starts, ends, strict=True):  # one entry per directed link
        out.setdefault(int(plan.src[a]), []).append((int(plan.dst[a]), int(a), int(b)))
    best = {source: float(t0_s)}
    prev: dict[int, int] = {}
    heap = [(float(t0_s), source)]
    done: set[int] = set()
    while heap:
        t, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if u == target:
            break
        for v, a, b in out.get(u, []):
            if v in done:
                continue
            arr = _link_arrival(
                plan.start_s[a:b], plan.end_s[a:b], plan.rate_bps[a:b], plan.delay_s[a:b], t, bits
            )
            if arr < best.get(v, np.inf):
                best[v] = arr
                prev[v] = u
                heapq.heappush(heap, (arr, v))
    if target not in done:
        return np.inf, []
    path = [target]
    while path[-1] != source:
        path.append(prev[path[-1]])
    return best[target], path[::-1]
