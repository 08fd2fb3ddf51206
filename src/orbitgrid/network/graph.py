"""Per-step graph pieces compiled with numba: ground-link visibility and csr assembly.

Both run once per step on the whole fleet, so they are loops without temporaries: the
(satellite x station) product of the visibility test never exists as an array.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

__all__ = ["edge_geometry", "undirected_csr", "visible_pairs"]


@njit(cache=True)
def _visible(sat, gs, up, sin_mask, max_range, floor):  # pragma: no cover - compiled
    n_sat, n_st = sat.shape[1], len(gs)
    x, y, z = sat[0], sat[1], sat[2]
    height = np.empty(n_sat)
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
        for i in range(n_sat):  # a plain loop that LLVM vectorises
            height[i] = x[i] * ux + y[i] * uy + z[i] * uz - base
        for i in range(n_sat):
            h = height[i]
            if not h >= floor[k]:  # NaN positions fail here too
                continue
            dx, dy, dz = x[i] - gx, y[i] - gy, z[i] - gz
            d = np.sqrt(dx * dx + dy * dy + dz * dz)
            if h >= sin_mask[k] * d and d <= max_range[k]:
                st[m], si[m], rng[m], hh[m] = k, i, d, h
                m += 1
    order = np.argsort(si[:m] * n_st + st[:m])  # by satellite, then station
    return si[order], st[order], rng[order], hh[order]


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
    sat = np.asarray(sat_m, dtype=np.float64)
    gs = np.asarray(station_m, dtype=np.float64)
    # scalars broadcast; a length other than the stations' is an error, not a stray read
    sin_mask = np.broadcast_to(np.sin(np.asarray(mask_rad, dtype=np.float64)), (len(gs),))
    r_sat = np.linalg.norm(sat, axis=1)
    r_sat = r_sat[np.isfinite(r_sat)]
    if not len(r_sat):
        none = np.zeros(0, dtype=np.int64)
        return none, none, np.zeros(0), np.zeros(0)
    r_gs = np.linalg.norm(gs, axis=1)
    max_range = np.broadcast_to(np.asarray(max_range_m, dtype=np.float64), (len(gs),))
    # a visible satellite's height above the station's horizon plane is at least sin(mask) x
    # its slant range, which lies between (lowest satellite radius - |station|) and the reach
    reach = np.minimum(max_range, r_sat.max() + r_gs)
    nearest_m = np.maximum(r_sat.min() - r_gs, 0.0)
    floor = np.where(sin_mask >= 0, sin_mask * nearest_m, sin_mask * reach)
    si, gi, rng_m, height = _visible(
        np.ascontiguousarray(sat.T),
        np.ascontiguousarray(gs),
        np.ascontiguousarray(up, dtype=np.float64),
        np.ascontiguousarray(sin_mask),
        np.ascontiguousarray(max_range),
        floor,
    )
    return si, gi, rng_m, np.arcsin(np.clip(height / rng_m, -1.0, 1.0))


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
