"""Inter-satellite link topologies and per-step link filtering, vectorised.

Edges are int arrays shaped (edge, 2) with i < j, sorted, no duplicates. Positions are metres,
shaped (satellite, 3) for one step (any Earth-centred frame). The *_block functions take a
block of steps (step, satellite, 3) at once and give each step's edges, step after step, as
the per-step functions give them (a block's ground links: graph.visible_pairs_steps). No I/O.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from orbitgrid.constants import EARTH_RADIUS_M

__all__ = [
    "plus_grid",
    "infer_planes",
    "plus_grid_from_elements",
    "nearest",
    "nearest_block",
    "in_range",
    "in_range_block",
    "edge_lengths",
    "line_of_sight",
    "filter_edges",
    "limit_terminals",
    "ground_links",
]

IntArray = NDArray[np.int64]


def _canonical(edges: ArrayLike) -> IntArray:
    """Edges as (edge, 2) int64 with i < j, self-loops dropped, unique and sorted."""
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    e = np.sort(e, axis=1)
    e = e[e[:, 0] != e[:, 1]]
    if not len(e):
        return e
    base = e[:, 1].max() + 1  # one int64 key per edge: a 1-d unique, not np.unique(axis=0)
    key = np.unique(e[:, 0] * base + e[:, 1])
    return np.stack([key // base, key % base], axis=1)


def plus_grid(planes: int, per_plane: int, wrap_planes: bool = True) -> IntArray:
    """Plus-grid ISLs: two in-plane neighbours, two in the adjacent planes (same slot).

    Satellite index = plane * per_plane + slot. With wrap_planes the last plane links to the
    first (Walker delta, as in Hypatia's isls_plus_grid); without, the seam is left open.
    """
    if planes < 1 or per_plane < 1:
        raise ValueError(f"plus_grid: planes and per_plane must be >= 1, got {planes}, {per_plane}")
    idx = np.arange(planes * per_plane).reshape(planes, per_plane)
    in_plane = np.stack([idx, np.roll(idx, -1, axis=1)], axis=-1).reshape(-1, 2)
    nxt = np.roll(idx, -1, axis=0)
    cross = np.stack([idx, nxt], axis=-1)
    if not wrap_planes:
        cross = cross[:-1]
    return _canonical(np.concatenate([in_plane, cross.reshape(-1, 2)]))


def _gap_groups(x: NDArray[np.float64], gap: float) -> IntArray:
    """Group label per value: a new group where sorted values jump by more than gap."""
    order = np.argsort(x, kind="stable")
    out = np.empty(x.size, dtype=np.int64)
    out[order] = np.cumsum(np.r_[0, np.diff(x[order]) > gap])
    return out


def infer_planes(
    raan_rad: ArrayLike,
    inclination_rad: ArrayLike,
    semi_major_axis_m: ArrayLike | None = None,
    raan_gap_deg: float = 1.0,
    inclination_gap_deg: float = 0.5,
    sma_gap_m: float = 10e3,
) -> IntArray:
    """Plane label per satellite from its elements (catalogue input).

    Satellites are grouped into shells by inclination (a new group where sorted inclinations
    jump by more than inclination_gap_deg) and, when given, semi-major axis (gap sma_gap_m);
    then within a shell by RAAN, circularly, where sorted RAANs jump by more than raan_gap_deg.
    Labels are 0..P-1, ordered by (shell, RAAN). Satellites still being raised or drifting
    make their own small planes; filter them out first when that matters.
    """
    raan = np.mod(np.asarray(raan_rad, dtype=float), 2 * np.pi)
    inc = np.asarray(inclination_rad, dtype=float)
    n = raan.size
    if inc.shape != raan.shape:
        raise ValueError(
            f"infer_planes: raan_rad {raan.shape} and inclination_rad {inc.shape} differ"
        )
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    inc_group = _gap_groups(inc, np.radians(inclination_gap_deg))
    if semi_major_axis_m is not None:
        sma = np.asarray(semi_major_axis_m, dtype=float)
        if sma.shape != raan.shape:
            raise ValueError(
                f"infer_planes: semi_major_axis_m {sma.shape} and raan_rad {raan.shape} differ"
            )
        inc_group = inc_group * n + _gap_groups(sma, sma_gap_m)
    # Within each inclination group, sort by RAAN and cut at gaps; rotate so the largest gap
    # (circular) is the seam, so a plane straddling 0/360 stays whole.
    gap = np.radians(raan_gap_deg)
    order = np.lexsort((raan, inc_group))
    g_sorted = inc_group[order]
    r_sorted = raan[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    ends = np.r_[starts[1:], n]
    labels_sorted = np.empty(n, dtype=np.int64)
    next_label = 0
    for s, e in zip(starts, ends, strict=True):  # loop over inclination groups, not satellites
        r = r_sorted[s:e]
        wrap_gap = r[0] + 2 * np.pi - r[-1]
        cuts = np.diff(r) > gap
        if wrap_gap <= gap and cuts.any():
            # the first and last clusters are one plane across 0/360
            lab = np.cumsum(np.r_[0, cuts])
            lab[lab == lab[-1]] = 0
        else:
            lab = np.cumsum(np.r_[0, cuts])
        # relabel compactly in order of first appearance
        _, inv = np.unique(lab, return_inverse=True)
        labels_sorted[s:e] = inv + next_label
        next_label += inv.max() + 1
    labels = np.empty(n, dtype=np.int64)
    labels[order] = labels_sorted
    return labels


def plus_grid_from_elements(
    plane: ArrayLike, arg_latitude_rad: ArrayLike, wrap_planes: bool = True
) -> IntArray:
    """Plus-grid from a plane label and argument of latitude per satellite (catalogue input).

    In-plane: a ring ordered by argument of latitude. Cross-plane: each satellite links to the
    satellite of the next plane (label + 1) closest in argument of latitude; planes of unequal
    size are allowed. Plane labels must be ordered around the equator (as infer_planes gives
    within one shell); with wrap_planes the last label links to the first.
    """
    plane = np.asarray(plane, dtype=np.int64)
    u = np.mod(np.asarray(arg_latitude_rad, dtype=float), 2 * np.pi)
    if plane.shape != u.shape:
        raise ValueError(
            f"plus_grid_from_elements: plane {plane.shape} and arg_latitude {u.shape} differ"
        )
    order = np.lexsort((u, plane))
    p_sorted = plane[order]
    starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
    ends = np.r_[starts[1:], len(order)]
    edges = []
    for k, (s, e) in enumerate(zip(starts, ends, strict=True)):  # loop over planes
        members = order[s:e]
        edges.append(np.stack([members, np.roll(members, -1)], axis=1))
        k_next = k + 1
        if k_next == len(starts):
            if not wrap_planes or len(starts) < 2:
                continue
            k_next = 0
        nxt = order[starts[k_next] : ends[k_next]]
        u_next = u[nxt]
        # nearest in argument of latitude, circularly: searchsorted then compare neighbours
        pos = np.searchsorted(u_next, u[members])
        cand = np.stack([(pos - 1) % len(nxt), pos % len(nxt)], axis=1)
        du = np.abs(u[members][:, None] - u_next[cand])
        du = np.minimum(du, 2 * np.pi - du)
        pick = cand[np.arange(len(members)), np.argmin(du, axis=1)]
        edges.append(np.stack([members, nxt[pick]], axis=1))
    return _canonical(np.concatenate(edges)) if edges else np.zeros((0, 2), dtype=np.int64)


def nearest(positions: ArrayLike, k: int) -> IntArray:
    """Each satellite linked to its k nearest others (union of both directions); of others
    tied at the k-th distance (a symmetric ring makes exact ties), the lower indices. Up to
    DENSE_SATELLITES_MAX satellites, every distance (nearest_block); past that a k-d tree,
    which sees one satellite past the k-th, enough for the pairs of ties a ring makes."""
    pos = np.asarray(positions, dtype=float)
    n = len(pos)
    if k < 1:
        raise ValueError(f"nearest: k must be >= 1, got {k}")
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if n <= DENSE_SATELLITES_MAX:
        return nearest_block(pos[None], k)[1]
    kk = min(k + 2, n)
    from scipy.spatial import cKDTree  # scipy (~0.5 s to import) only for these topologies

    dist, idx = cKDTree(pos).query(pos, k=kk)
    src, dst, dist = np.repeat(np.arange(n), kk), idx.reshape(-1), dist.reshape(-1)
    # by source, then distance, then index; self dropped wherever it lands (duplicate positions)
    order = np.lexsort((dst, dist, src))
    pairs = np.stack([src[order], dst[order]], axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    first = np.r_[0, np.flatnonzero(np.diff(pairs[:, 0])) + 1]
    rank = np.arange(len(pairs)) - np.repeat(first, np.diff(np.r_[first, len(pairs)]))
    return _canonical(pairs[rank < k])


def in_range(positions: ArrayLike, max_range_m: float) -> IntArray:
    """Every pair of satellites within max_range_m metres of each other."""
    pos = np.asarray(positions, dtype=float)
    from scipy.spatial import cKDTree

    pairs = cKDTree(pos).query_pairs(max_range_m, output_type="ndarray")
    return _canonical(pairs)


# The *_block ISL topologies use every (step, satellite, satellite) distance for a group of at
# most DENSE_SATELLITES_MAX (past that, the k-d tree per step is faster: measured at ~100 on
# random shells), in slices of at most PAIRS_HELD distances (32 MB).
DENSE_SATELLITES_MAX = 96
PAIRS_HELD = 1 << 22


def _block_pairs(positions: ArrayLike, pick) -> tuple[IntArray, IntArray] | None:
    """(step, edge) of the pairs pick(d2) marks in the squared distances d2 (steps, n, n) m^2
    (inf on the diagonal and for non-finite positions), over slices of at most PAIRS_HELD
    distances; each step's edges canonical (i < j, sorted). None past DENSE_SATELLITES_MAX."""
    pos = np.asarray(positions, dtype=float)
    n_steps, n = pos.shape[:2]
    if n > DENSE_SATELLITES_MAX:
        return None
    steps, edges = [np.zeros(0, np.int64)], [np.zeros((0, 2), np.int64)]
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    per_slice = max(PAIRS_HELD // max(n * n, 1), 1)
    for t0 in range(0, n_steps, per_slice):
        p = pos[t0 : t0 + per_slice]
        d2 = np.zeros((len(p), n, n))
        for axis in range(3):  # summed as the k-d tree sums them: x, then y, then z
            d = p[:, :, None, axis] - p[:, None, :, axis]
            d2 += d * d
        d2[~np.isfinite(d2)] = np.inf
        d2[:, np.arange(n), np.arange(n)] = np.inf
        linked = pick(d2)
        t, i, j = np.nonzero((linked | linked.transpose(0, 2, 1)) & upper)
        steps.append(t + t0)
        edges.append(np.stack([i, j], axis=1))
    return np.concatenate(steps), np.concatenate(edges)


def nearest_block(positions: ArrayLike, k: int) -> tuple[IntArray, IntArray]:
    """nearest at each step of positions (step, satellite, 3) m, where satellites with NaN
    positions are left out: (step,) and (edge, 2), step after step. Ties at the k-th distance
    go to the lower indices."""
    if k < 1:
        raise ValueError(f"nearest_block: k must be >= 1, got {k}")
    pos = np.asarray(positions, dtype=float)

    def pick(d2):
        n = d2.shape[-1]
        linked = np.zeros(d2.shape, dtype=bool)
        if n < 2:
            return linked
        # ties at the k-th distance: the lower indices, as a stable sort keeps them
        np.put_along_axis(linked, np.argsort(d2, axis=-1, kind="stable")[..., :k], True, -1)
        return linked & np.isfinite(d2)

    found = _block_pairs(pos, pick)
    return found if found is not None else _per_step(pos, lambda p: nearest(p, k))


def in_range_block(positions: ArrayLike, max_range_m: float) -> tuple[IntArray, IntArray]:
    """in_range at each step of positions (step, satellite, 3) m, where satellites with NaN
    positions are left out: (step,) and (edge, 2), step after step."""
    pos = np.asarray(positions, dtype=float)
    found = _block_pairs(pos, lambda d2: d2 <= max_range_m * max_range_m)
    return found if found is not None else _per_step(pos, lambda p: in_range(p, max_range_m))


def _per_step(pos: np.ndarray, edges_of) -> tuple[IntArray, IntArray]:
    """The per-step topology edges_of(finite positions) at each step (large groups, where the
    k-d tree's work dwarfs a Python call per step)."""
    steps, edges = [np.zeros(0, np.int64)], [np.zeros((0, 2), np.int64)]
    for t in range(len(pos)):
        local = np.flatnonzero(np.isfinite(pos[t]).all(axis=1))
        e = local[edges_of(pos[t, local])] if len(local) else np.zeros((0, 2), np.int64)
        steps.append(np.full(len(e), t, dtype=np.int64))
        edges.append(e.reshape(-1, 2))
    return np.concatenate(steps), np.concatenate(edges)


def edge_lengths(positions: ArrayLike, edges: ArrayLike) -> NDArray[np.float64]:
    """Edge lengths in metres: positions (sat, 3) -> (edge,); (time, sat, 3) -> (time, edge)."""
    pos = np.asarray(positions, dtype=float)
    e = np.asarray(edges, dtype=np.int64)
    return np.linalg.norm(pos[..., e[:, 1], :] - pos[..., e[:, 0], :], axis=-1)


def line_of_sight(
    a_m: ArrayLike, b_m: ArrayLike, margin_m: float = 80e3, radius_m: float = EARTH_RADIUS_M
) -> NDArray[np.bool_]:
    """True where the segment a-b clears a sphere of radius_m + margin_m at the origin.

    a_m, b_m: (..., 3) metres. Closest point of the segment to the centre, vectorised.
    """
    a = np.asarray(a_m, dtype=float)
    b = np.asarray(b_m, dtype=float)
    d = b - a
    dd = np.einsum("...i,...i->...", d, d)
    t = np.where(dd > 0, -np.einsum("...i,...i->...", a, d) / np.where(dd > 0, dd, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    closest = a + t[..., None] * d
    r2 = np.einsum("...i,...i->...", closest, closest)
    return r2 > (radius_m + margin_m) ** 2


def filter_edges(
    positions: ArrayLike,
    edges: ArrayLike,
    max_range_m: float | None = None,
    margin_m: float | None = 80e3,
    max_cross_plane_lat_deg: float | None = None,
    plane: ArrayLike | None = None,
) -> NDArray[np.bool_]:
    """Mask of edges usable at one step: range, Earth line of sight, cross-plane latitude cut.

    positions (sat, 3) metres; margin_m None skips the line-of-sight test. A cross-plane edge
    (plane labels differ) is off when either end is above max_cross_plane_lat_deg in
    geocentric latitude (|z| / r).
    """
    pos = np.asarray(positions, dtype=float)
    e = np.asarray(edges, dtype=np.int64)
    a = pos[e[:, 0]]
    b = pos[e[:, 1]]
    keep = np.ones(len(e), dtype=bool)
    if max_range_m is not None:
        diff = b - a
        keep &= np.einsum("ij,ij->i", diff, diff) <= max_range_m**2
    if margin_m is not None:
        keep &= line_of_sight(a, b, margin_m)
    if max_cross_plane_lat_deg is not None:
        if plane is None:
            raise ValueError("filter_edges: max_cross_plane_lat_deg needs plane labels")
        lab = np.asarray(plane)
        sin_lat = np.abs(pos[:, 2]) / np.linalg.norm(pos, axis=1)
        high = sin_lat > np.sin(np.radians(max_cross_plane_lat_deg))
        cross = lab[e[:, 0]] != lab[e[:, 1]]
        keep &= ~(cross & (high[e[:, 0]] | high[e[:, 1]]))
    return keep


def limit_terminals(
    edges: ArrayLike, length_m: ArrayLike, terminals: int | ArrayLike, n_nodes: int | None = None
) -> NDArray[np.bool_]:
    """Mask of edges kept when each satellite has at most `terminals` links, shortest first.

    Same result as the greedy rule (take edges by increasing length, ties by edge order, while
    both ends have a free terminal), computed in vectorised rounds: an edge is taken when it is
    among the `free` shortest remaining candidates at both of its ends.
    """
    e = np.asarray(edges, dtype=np.int64)
    length = np.asarray(length_m, dtype=float)
    m = len(e)
    n = int(e.max()) + 1 if n_nodes is None and m else (n_nodes or 0)
    free = np.broadcast_to(np.asarray(terminals, dtype=np.int64), (n,)).copy()
    kept = np.zeros(m, dtype=bool)
    # global priority: length, then edge index (deterministic ties)
    prio = np.empty(m, dtype=np.int64)
    prio[np.lexsort((np.arange(m), length))] = np.arange(m)
    cand = np.flatnonzero((free[e[:, 0]] > 0) & (free[e[:, 1]] > 0))
    while len(cand):
        node = e[cand].T.reshape(-1)  # half-edges: ends 0 then ends 1
        half_edge = np.tile(np.arange(len(cand)), 2)
        order = np.lexsort((prio[cand][half_edge], node))
        node_s = node[order]
        first = np.r_[0, np.flatnonzero(np.diff(node_s)) + 1]
        rank_s = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        ok_half = np.empty(len(order), dtype=bool)
        ok_half[order] = rank_s < free[node_s]
        take = ok_half[: len(cand)] & ok_half[len(cand) :]
        taken = cand[take]
        kept[taken] = True
        np.subtract.at(free, e[taken].reshape(-1), 1)
        rest = cand[~take]
        cand = rest[(free[e[rest, 0]] > 0) & (free[e[rest, 1]] > 0)]
        if not take.any():  # cannot happen (the best candidate is first at both ends); guard
            break
    return kept


def ground_links(
    station_m: ArrayLike,
    satellite_m: ArrayLike,
    min_elevation_rad: float | ArrayLike = 0.0,
    max_range_m: float | ArrayLike | None = None,
) -> tuple[IntArray, IntArray, NDArray[np.float64], NDArray[np.float64]]:
    """Station-satellite pairs above the mask and within range at one step.

    station_m (station, 3), satellite_m (sat, 3) metres in the same Earth-centred frame;
    elevation is measured from the geocentric zenith of the station. Per-station mask and range
    may be arrays. Returns (station index, satellite index, range_m, elevation_rad).
    """
    gs = np.asarray(station_m, dtype=float).reshape(-1, 3)
    sat = np.asarray(satellite_m, dtype=float).reshape(-1, 3)
    zen = gs / np.linalg.norm(gs, axis=1, keepdims=True)
    los = sat[None, :, :] - gs[:, None, :]  # (station, sat, 3)
    rng = np.linalg.norm(los, axis=-1)
    sin_el = np.einsum("gsi,gi->gs", los, zen) / np.maximum(rng, 1e-9)
    min_el = np.broadcast_to(np.asarray(min_elevation_rad, dtype=float), (len(gs),))
    ok = sin_el >= np.sin(min_el)[:, None]
    if max_range_m is not None:
        rmax = np.broadcast_to(np.asarray(max_range_m, dtype=float), (len(gs),))
        ok &= rng <= rmax[:, None]
    g_idx, s_idx = np.nonzero(ok)
    return g_idx, s_idx, rng[g_idx, s_idx], np.arcsin(np.clip(sin_el[g_idx, s_idx], -1, 1))
