"""Per-step graph pieces compiled with numba: ground-link visibility and csr assembly.

Both run once per step on the whole fleet, so they are loops without temporaries: the
(satellite x station) product of the visibility test never exists as an array, and each
station looks only at the satellites of the grid cells near it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "GRID_CELLS_MAX",
    "FixedLinks",
    "edge_geometry",
    "step_graph",
    "undirected_csr",
    "visible_pairs",
    "visible_pairs_steps",
    "window_csr",
]


# cells of the satellites' grid per axis at most: ~1,000-km cubes over a LEO shell
GRID_CELLS_MAX = 64


@njit(cache=True)
def _visible(sat, gs, up, sin_mask, max_range, floor, box, lo, per_m, n_axis):  # pragma: no cover
    """Visible pairs of satellites sat (T, N, 3) m and stations at each step, looking at each
    station only among the satellites of the grid cells (cubes of 1 / per_m m from lo m, n_axis
    per axis) that meet its box (station +- box[k] m): a visible satellite lies within box[k] of
    the station along each axis. Returns step offsets (T + 1,) into satellite, station, range m
    and height m above the station's horizon plane."""
    n_steps, n_sat, n_st = sat.shape[0], sat.shape[1], len(gs)
    cell = np.empty(n_sat, np.int64)
    start = np.empty(n_axis**3 + 1, np.int64)
    order = np.empty(n_sat, np.int64)
    first = np.empty(n_sat + 1, np.int64)
    offsets = np.zeros(n_steps + 1, np.int64)
    size = max(n_sat, 16)
    st, si = np.empty(size, np.int64), np.empty(size, np.int64)
    rng, hh = np.empty(size), np.empty(size)
    s_st, s_si = np.empty(size, np.int64), np.empty(size, np.int64)
    s_rng, s_hh = np.empty(size), np.empty(size)
    done = 0  # pairs of the steps before
    for t in range(n_steps):
        x, y, z = sat[t, :, 0], sat[t, :, 1], sat[t, :, 2]
        # satellites sorted by cell (counting sort); NaN positions are in no cell
        start[:] = 0
        for i in range(n_sat):
            cell[i] = -1
            if np.isfinite(x[i]) and np.isfinite(y[i]) and np.isfinite(z[i]):
                cx = min(int((x[i] - lo) * per_m), n_axis - 1)
                cy = min(int((y[i] - lo) * per_m), n_axis - 1)
                cz = min(int((z[i] - lo) * per_m), n_axis - 1)
                cell[i] = (cx * n_axis + cy) * n_axis + cz
                start[cell[i] + 1] += 1
        for c in range(n_axis**3):
            start[c + 1] += start[c]
        fill = start[:-1].copy()
        for i in range(n_sat):
            if cell[i] >= 0:
                order[fill[cell[i]]] = i
                fill[cell[i]] += 1
        m = 0
        for k in range(n_st):
            if m + n_sat > len(st):  # room for every satellite at this station
                st, si = _grow(st, 2 * (m + n_sat)), _grow(si, 2 * (m + n_sat))
                rng, hh = _grow(rng, 2 * (m + n_sat)), _grow(hh, 2 * (m + n_sat))
            ux, uy, uz = up[k, 0], up[k, 1], up[k, 2]
            gx, gy, gz = gs[k, 0], gs[k, 1], gs[k, 2]
            base = gx * ux + gy * uy + gz * uz
            b = box[k]
            x0, x1 = _cell_span(gx, b, lo, per_m, n_axis)
            y0, y1 = _cell_span(gy, b, lo, per_m, n_axis)
            z0, z1 = _cell_span(gz, b, lo, per_m, n_axis)
            for cx in range(x0, x1 + 1):
                for cy in range(y0, y1 + 1):
                    for cz in range(z0, z1 + 1):
                        c = (cx * n_axis + cy) * n_axis + cz
                        for j in range(start[c], start[c + 1]):
                            i = order[j]
                            h = x[i] * ux + y[i] * uy + z[i] * uz - base
                            if not h >= floor[k]:
                                continue
                            dx, dy, dz = x[i] - gx, y[i] - gy, z[i] - gz
                            d = np.sqrt(dx * dx + dy * dy + dz * dz)
                            if h >= sin_mask[k] * d and d <= max_range[k]:
                                st[m], si[m], rng[m], hh[m] = k, i, d, h
                                m += 1
        # by satellite, then station: a counting sort on satellites keeps each one's stations
        # in the order they were looked at
        if done + m > len(s_st):
            grow = 2 * (done + m)
            s_st, s_si = _grow(s_st, grow), _grow(s_si, grow)
            s_rng, s_hh = _grow(s_rng, grow), _grow(s_hh, grow)
        first[:] = 0
        for j in range(m):
            first[si[j] + 1] += 1
        for i in range(n_sat):
            first[i + 1] += first[i]
        for j in range(m):
            o = done + first[si[j]]
            s_st[o], s_si[o], s_rng[o], s_hh[o] = st[j], si[j], rng[j], hh[j]
            first[si[j]] += 1
        done += m
        offsets[t + 1] = done
    return offsets, s_si[:done], s_st[:done], s_rng[:done], s_hh[:done]


@njit(cache=True)
def _cell_span(g, half, lo, per_m, n_axis):  # pragma: no cover - compiled
    """First and last cell along one axis that meet [g - half, g + half] (half may be inf),
    each clamped into the grid: at worst a cell too many, never one too few."""
    top = n_axis - 1.0
    a = min(max(np.floor((g - half - lo) * per_m), 0.0), top)
    b = min(max(np.floor((g + half - lo) * per_m), 0.0), top)
    return int(a), int(b)


@njit(cache=True)
def _grow(a, size):  # pragma: no cover - compiled
    out = np.empty(size, a.dtype)
    out[: len(a)] = a
    return out


def visible_pairs(sat_m, station_m, up, mask_rad, max_range_m):
    """Satellites above each station's elevation mask and within its maximum slant range.

    sat_m (N, 3) and station_m (S, 3) Earth-fixed metres (NaN satellites are never visible),
    up (S, 3) local unit verticals, mask_rad (S,), max_range_m (S,), inf where none. Returns
    satellite index, station index (into the S given), slant range m and elevation rad per
    visible pair, ordered by satellite then station.
    """
    sat = np.asarray(sat_m, dtype=np.float64).reshape(1, -1, 3)
    _, si, gi, rng_m, height = visible_pairs_steps(sat, station_m, up, mask_rad, max_range_m)
    return si, gi, rng_m, np.arcsin(np.clip(height / rng_m, -1.0, 1.0))


def visible_pairs_steps(sat_m, station_m, up, mask_rad, max_range_m):
    """visible_pairs at each step of a block, sat_m (T, N, 3) m, in one compiled pass.

    Returns step offsets (T + 1,) and, step after step, satellite index, station index, slant
    range m and height m above the station's horizon plane (sin elevation = height / range):
    the pairs of step t are [offsets[t], offsets[t + 1]), ordered as visible_pairs orders them.
    """
    sat = np.ascontiguousarray(sat_m, dtype=np.float64)
    gs = np.ascontiguousarray(station_m, dtype=np.float64)
    # scalars broadcast; a length other than the stations' is an error, not a stray read
    sin_mask = np.broadcast_to(np.sin(np.asarray(mask_rad, dtype=np.float64)), (len(gs),))
    n_finite, r_min, r_max, lo, hi = _extent(sat.reshape(-1, 3))
    if not n_finite:
        none = np.zeros(0, dtype=np.int64)
        return np.zeros(len(sat) + 1, np.int64), none, none, np.zeros(0), np.zeros(0)
    r_gs = np.linalg.norm(gs, axis=1)
    max_range = np.broadcast_to(np.asarray(max_range_m, dtype=np.float64), (len(gs),))
    # a visible satellite's height above the station's horizon plane is at least sin(mask) x
    # its slant range, which lies between (lowest satellite radius - |station|) and the reach;
    # radii and the grid are the block's: looser bounds at a step find the same pairs
    reach = np.minimum(max_range, r_max + r_gs)
    nearest_m = np.maximum(r_min - r_gs, 0.0)
    floor = np.where(sin_mask >= 0, sin_mask * nearest_m, sin_mask * reach)
    up = np.ascontiguousarray(up, dtype=np.float64)
    box = _slant_bound(gs, r_gs, up, sin_mask, r_max, reach)
    # cells half the widest box: a station scans fewer satellites in more cells (Starlink, 50
    # cities: 0.44 against 0.53 ms/step with cells a box wide; a third of it, 0.54)
    side = max(float(box.max()) / 2, (hi - lo) / GRID_CELLS_MAX, 1.0)
    if not np.isfinite(side):  # no bound on some station's range: one cell
        side = max(hi - lo, 1.0)
    n_axis = min(int((hi - lo) / side) + 1, GRID_CELLS_MAX)
    return _visible(
        sat,
        gs,
        up,
        np.ascontiguousarray(sin_mask),
        np.ascontiguousarray(max_range),
        floor,
        box,
        lo,
        1.0 / side,
        n_axis,
    )


@njit(cache=True)
def _extent(sat):  # pragma: no cover - compiled
    """Satellites with finite positions (N, 3) m: how many, their smallest and largest radius
    and their smallest and largest coordinate (m)."""
    n, r_min, r_max, lo, hi = 0, np.inf, -np.inf, np.inf, -np.inf
    for i in range(len(sat)):
        x, y, z = sat[i, 0], sat[i, 1], sat[i, 2]
        if np.isfinite(x) and np.isfinite(y) and np.isfinite(z):
            n += 1
            r = np.sqrt(x * x + y * y + z * z)
            r_min, r_max = min(r_min, r), max(r_max, r)
            lo, hi = min(lo, x, y, z), max(hi, x, y, z)
    return n, r_min, r_max, lo, hi


def _slant_bound(gs, r_gs, up, sin_mask, r_max, reach):
    """Largest slant range m from each station to a point within r_max of the Earth's centre
    above its mask, with 1 m to spare for rounding: at most reach.

    Seen from the station, the direction u to a visible point is within acos(sin_mask) of up,
    and up is delta from the station's own direction, so gs . u >= |gs| cos(acos(sin_mask) +
    delta) = |gs| c; |gs + d u| <= r_max then gives d^2 + 2 d |gs| c + |gs|^2 - r_max^2 <= 0.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.arccos(np.clip(np.einsum("si,si->s", gs, up) / r_gs, -1.0, 1.0))
        c = np.cos(np.minimum(np.arccos(np.clip(sin_mask, -1.0, 1.0)) + delta, np.pi))
        c = np.where(r_gs > 0, c, -1.0)  # a station at the centre: no help from the direction
        d = -r_gs * c + np.sqrt((r_gs * c) ** 2 + r_max**2 - r_gs**2)
    d = np.where(np.isfinite(d), d * (1 + 1e-9) + 1.0, np.inf)
    return np.minimum(d, reach)


@njit(cache=True)
def _edge_geometry(r, edges, clear_r2, length, clear):  # pragma: no cover - compiled
    for k in range(r.shape[0]):
        for j in range(len(edges)):
            a, b = r[k, edges[j, 0]], r[k, edges[j, 1]]
            dx, dy, dz = b[0] - a[0], b[1] - a[1], b[2] - a[2]
            dd = dx * dx + dy * dy + dz * dz
            length[k, j] = np.sqrt(dd)
            # closest point of the segment to the Earth's centre (topology.line_of_sight)
            t = -(a[0] * dx + a[1] * dy + a[2] * dz) / dd if dd > 0 else 0.0
            t = min(max(t, 0.0), 1.0)
            cx, cy, cz = a[0] + t * dx, a[1] + t * dy, a[2] + t * dz
            clear[k, j] = cx * cx + cy * cy + cz * cz > clear_r2  # False for NaN positions


def edge_geometry(r_m: np.ndarray, edges: np.ndarray, clear_radius_m: float):
    """Lengths (T, E) m of edges (E, 2) at positions r_m (T, N, 3) m, and whether each segment
    clears a sphere of clear_radius_m (topology.line_of_sight, fused over a block of steps)."""
    r = np.ascontiguousarray(r_m, dtype=np.float64)
    length = np.empty((r.shape[0], len(edges)))
    clear = np.empty((r.shape[0], len(edges)), dtype=bool)
    _edge_geometry(r, np.asarray(edges, dtype=np.int64), clear_radius_m**2, length, clear)
    return length, clear


@njit(cache=True)
def _csr(n, n_steps, step, a, b, w):  # pragma: no cover - compiled
    """Stacked csr of n_steps graphs on n nodes from links a-b (weight w) at steps step, each
    link both ways: ptr (n_steps, n + 1) into indices, data; each row sorted by column (stable:
    links in the order given), as scipy builds them."""
    ptr = np.zeros(n_steps * (n + 1) + 1, np.int64)  # flat: row u of step k at k * (n + 1) + u
    for e in range(len(a)):
        base = step[e] * (n + 1) + 1
        ptr[base + a[e]] += 1
        ptr[base + b[e]] += 1
    for j in range(len(ptr) - 1):
        ptr[j + 1] += ptr[j]
    fill = ptr.copy()
    indices = np.empty(2 * len(a), np.int64)
    data = np.empty(2 * len(a))
    for e in range(len(a)):
        base = step[e] * (n + 1)
        for u, v in ((a[e], b[e]), (b[e], a[e])):
            f = fill[base + u]
            indices[f], data[f] = v, w[e]
            fill[base + u] = f + 1
    for r in range(len(ptr) - 1):
        lo, hi = ptr[r], ptr[r + 1]
        if hi - lo > 32:  # a station's row: merge sort (stable, as the insertion sort)
            if _ascending(indices, lo, hi):  # as links by satellite give it: nothing to do
                continue
            order = np.argsort(indices[lo:hi], kind="mergesort")
            indices[lo:hi], data[lo:hi] = indices[lo:hi][order], data[lo:hi][order]
            continue
        for j in range(lo + 1, hi):  # a satellite's row holds a few links: insertion sort
            c, x = indices[j], data[j]
            i = j - 1
            while i >= lo and indices[i] > c:
                indices[i + 1], data[i + 1] = indices[i], data[i]
                i -= 1
            indices[i + 1], data[i + 1] = c, x
    return ptr[:-1].reshape(n_steps, n + 1).copy(), indices, data


@njit(cache=True)
def _ascending(a, lo, hi):  # pragma: no cover - compiled
    """Whether a[lo:hi] never decreases."""
    for j in range(lo + 1, hi):
        if a[j] < a[j - 1]:
            return False
    return True


def _links(n, a, b, weight):
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    if not a.shape == b.shape == weight.shape:
        raise ValueError(f"a, b, weight differ in shape: {a.shape}, {b.shape}, {weight.shape}")
    if len(a) and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
        raise ValueError(f"a node index outside 0..{n - 1}")
    return a, b, weight


def undirected_csr(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> sp.csr_matrix:
    """Symmetric (n, n) csr adjacency holding both directions of every link a-b (no duplicates)."""
    try:
        a, b, weight = _links(n, a, b, weight)
    except ValueError as e:
        raise ValueError(f"undirected_csr: {e}") from None
    ptr, indices, data = _csr(n, 1, np.zeros(len(a), np.int64), a, b, weight)
    import scipy.sparse as sp  # scipy (~0.5 s to import) only where a csr is asked for

    return sp.csr_matrix((data, indices, ptr[0]), shape=(n, n))


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class FixedLinks:
    """Links fixed for a run (plus-grid lasers, edges (E, 2)) as csr rows on n nodes, both
    directions, rows sorted by column: row u is col[ptr[u]:ptr[u + 1]], edge[...] each entry's
    row in edges."""

    n: int
    ptr: np.ndarray
    col: np.ndarray
    edge: np.ndarray

    @classmethod
    def of(cls, n: int, edges) -> FixedLinks:
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        row, col = np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]]
        order = np.lexsort((col, row))
        ptr = np.r_[0, np.cumsum(np.bincount(row, minlength=n))].astype(np.int64)
        return cls(n, ptr, col[order], np.r_[np.arange(len(edges)), np.arange(len(edges))][order])


def window_csr(n: int, n_steps: int, step, a, b, weight):
    """undirected_csr of each of n_steps graphs on n nodes, stacked, in one compiled pass: the
    links a-b (weight) of graph k are those with step == k. Returns ptr (n_steps, n + 1) int64,
    indices and data: row u of graph k is indices[ptr[k, u]:ptr[k, u + 1]], as undirected_csr
    of graph k alone has it. (Links fixed for the run stay apart, FixedLinks: the searches of
    network/astar read them in place.)"""
    try:
        a, b, weight = _links(n, a, b, weight)
    except ValueError as e:
        raise ValueError(f"window_csr: {e}") from None
    step = np.asarray(step, dtype=np.int64)
    if step.shape != a.shape or (len(step) and (step.min() < 0 or step.max() >= n_steps)):
        raise ValueError(f"window_csr: step must give each link a graph in 0..{n_steps - 1}")
    return _csr(n, n_steps, step, a, b, weight)


def step_graph(ptr, idx, wt, k: int, fixed: FixedLinks | None = None, fixed_weight=None):
    """Graph k of a window as one scipy csr (n, n): window_csr's rows of step k and the fixed
    links at fixed_weight[k] (E,) where finite (the searches' arguments, for checks with
    scipy)."""
    n = ptr.shape[1] - 1
    lo, hi = ptr[k, 0], ptr[k, n]
    row = [np.repeat(np.arange(n), np.diff(ptr[k]))]
    col, data = [idx[lo:hi]], [wt[lo:hi]]
    if fixed is not None:
        w = np.asarray(fixed_weight)[k][fixed.edge]
        on = np.isfinite(w)
        row.append(np.repeat(np.arange(n), np.diff(fixed.ptr))[on])
        col.append(fixed.col[on])
        data.append(w[on])
    row, col, data = (np.concatenate(x) for x in (row, col, data))
    import scipy.sparse as sp

    return sp.csr_matrix((data, (row, col)), shape=(n, n))
