"""Per-step graph pieces compiled with numba: ground-link visibility and csr assembly.

Both run once per step on the whole fleet, so they are loops without temporaries: the
(satellite x station) product of the visibility test never exists as an array, and each
station looks only at the satellites of the grid cells near it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

__all__ = ["GRID_CELLS_MAX", "edge_geometry", "undirected_csr", "visible_pairs"]


# cells of the satellites' grid per axis at most: ~1,000-km cubes over a LEO shell
GRID_CELLS_MAX = 64


@njit(cache=True)
def _visible(sat, gs, up, sin_mask, max_range, floor, box, lo, per_m, n_axis):  # pragma: no cover
    """Visible pairs of satellites sat (N, 3) m and stations, looking at each station only among
    the satellites of the grid cells (cubes of 1 / per_m m from lo m, n_axis per axis) that
    meet its box (station +- box[k] m): a visible satellite lies within box[k] of the station
    along each axis."""
    n_sat, n_st = len(sat), len(gs)
    x, y, z = sat[:, 0], sat[:, 1], sat[:, 2]
    # satellites sorted by cell (counting sort); NaN positions are in no cell
    cell = np.full(n_sat, -1, np.int64)
    start = np.zeros(n_axis**3 + 1, np.int64)
    for i in range(n_sat):
        if np.isfinite(x[i]) and np.isfinite(y[i]) and np.isfinite(z[i]):
            cx = min(int((x[i] - lo) * per_m), n_axis - 1)
            cy = min(int((y[i] - lo) * per_m), n_axis - 1)
            cz = min(int((z[i] - lo) * per_m), n_axis - 1)
            cell[i] = (cx * n_axis + cy) * n_axis + cz
            start[cell[i] + 1] += 1
    for c in range(n_axis**3):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    order = np.empty(start[-1], np.int64)
    for i in range(n_sat):
        if cell[i] >= 0:
            order[fill[cell[i]]] = i
            fill[cell[i]] += 1
    m = 0
    st, si = np.empty(n_sat, np.int64), np.empty(n_sat, np.int64)
    rng, hh = np.empty(n_sat), np.empty(n_sat)
    for k in range(n_st):
        if m + n_sat > len(st):  # room for every satellite at this station (not in the loop)
            st, si = _grow(st, 2 * len(st)), _grow(si, 2 * len(si))
            rng, hh = _grow(rng, 2 * len(rng)), _grow(hh, 2 * len(hh))
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
    # by satellite, then station: a counting sort on satellites keeps each one's stations in
    # the order they were looked at
    first = np.zeros(n_sat + 1, np.int64)
    for j in range(m):
        first[si[j] + 1] += 1
    for i in range(n_sat):
        first[i + 1] += first[i]
    out = np.empty(m, np.int64)
    for j in range(m):
        out[first[si[j]]] = j
        first[si[j]] += 1
    return si[out], st[out], rng[out], hh[out]


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
    sat = np.ascontiguousarray(sat_m, dtype=np.float64)
    gs = np.ascontiguousarray(station_m, dtype=np.float64)
    # scalars broadcast; a length other than the stations' is an error, not a stray read
    sin_mask = np.broadcast_to(np.sin(np.asarray(mask_rad, dtype=np.float64)), (len(gs),))
    n_finite, r_min, r_max, lo, hi = _extent(sat.reshape(-1, 3))
    if not n_finite:
        none = np.zeros(0, dtype=np.int64)
        return none, none, np.zeros(0), np.zeros(0)
    r_gs = np.linalg.norm(gs, axis=1)
    max_range = np.broadcast_to(np.asarray(max_range_m, dtype=np.float64), (len(gs),))
    # a visible satellite's height above the station's horizon plane is at least sin(mask) x
    # its slant range, which lies between (lowest satellite radius - |station|) and the reach
    reach = np.minimum(max_range, r_max + r_gs)
    nearest_m = np.maximum(r_min - r_gs, 0.0)
    floor = np.where(sin_mask >= 0, sin_mask * nearest_m, sin_mask * reach)
    up = np.ascontiguousarray(up, dtype=np.float64)
    box = _slant_bound(gs, r_gs, up, sin_mask, r_max, reach)
    side = max(float(box.max()), (hi - lo) / GRID_CELLS_MAX, 1.0)
    if not np.isfinite(side):  # no bound on some station's range: one cell
        side = max(hi - lo, 1.0)
    n_axis = min(int((hi - lo) / side) + 1, GRID_CELLS_MAX)
    si, gi, rng_m, height = _visible(
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
    return si, gi, rng_m, np.arcsin(np.clip(height / rng_m, -1.0, 1.0))


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
def _csr(n, a, b, w):  # pragma: no cover - compiled
    indptr = np.zeros(n + 1, np.int64)
    for e in range(len(a)):
        indptr[a[e] + 1] += 1
        indptr[b[e] + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    indices = np.empty(2 * len(a), np.int64)
    data = np.empty(2 * len(a))
    for e in range(len(a)):
        for u, v in ((a[e], b[e]), (b[e], a[e])):
            indices[fill[u]], data[fill[u]] = v, w[e]
            fill[u] += 1
    for v in range(n):  # rows sorted by column, as scipy builds them (rows hold a few links)
        for j in range(indptr[v] + 1, indptr[v + 1]):
            c, x = indices[j], data[j]
            i = j - 1
            while i >= indptr[v] and indices[i] > c:
                indices[i + 1], data[i + 1] = indices[i], data[i]
                i -= 1
            indices[i + 1], data[i + 1] = c, x
    return indptr, indices, data


def undirected_csr(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> sp.csr_matrix:
    """Symmetric (n, n) csr adjacency holding both directions of every link a-b (no duplicates)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    if not a.shape == b.shape == weight.shape:
        raise ValueError(
            f"undirected_csr: a, b, weight differ in shape: {a.shape}, {b.shape}, {weight.shape}"
        )
    if len(a) and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
        raise ValueError(f"undirected_csr: a node index outside 0..{n - 1}")
    indptr, indices, data = _csr(n, a, b, weight)
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))
