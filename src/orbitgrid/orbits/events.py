"""Intervals when a smooth function of time is negative, found without missing short ones.

Every event finder here reduces to f(pair, t) < 0 for some smooth f: elevation below the mask
is f > 0, the Sun's disc behind the Earth's limb is f < 0. The search (compiled, in
event_kernels) starts from candidate intervals that a cheap bound could not rule out, splits an
interval while its end values and a bound on |df/dt| leave room for a dip below zero, then
refines every sign change to within EDGE_TOLERANCE_S (Newton's method where the kernels have
the rate, else the Illinois method to a bracket). An event shorter than `resolution_s` may be
missed; nothing longer is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.orbits.event_kernels import EDGE_TOLERANCE_S, RATE_SAFETY

__all__ = ["EDGE_TOLERANCE_S", "RATE_SAFETY", "Intervals", "stitch"]


@dataclass(frozen=True)
class Intervals:
    """Intervals [start_s, end_s] per pair; open_* mark ends cut by the search window."""

    pair: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    open_start: np.ndarray
    open_end: np.ndarray

    @staticmethod
    def empty() -> Intervals:
        z = np.zeros(0)
        return Intervals(z.astype(np.int64), z, z, z.astype(bool), z.astype(bool))

    @staticmethod
    def from_edges(edges: np.ndarray) -> Intervals:
        """Pair a search's edges, rows (pair, time s, 1 start / 0 end, 1 cut by the window):
        the k-th start of a pair with its k-th end."""
        pair, t = edges[:, 0].astype(np.int64), edges[:, 1]
        start, cut = edges[:, 2] > 0, edges[:, 3] > 0
        s_order, e_order = _order(pair[start], t[start]), _order(pair[~start], t[~start])
        s_pair, e_pair = pair[start][s_order], pair[~start][e_order]
        if len(s_pair) != len(e_pair) or np.any(s_pair != e_pair):
            raise RuntimeError("event search found unpaired interval edges")
        return Intervals(s_pair, t[start][s_order], t[~start][e_order], cut[start][s_order],
                         cut[~start][e_order])


def _order(pair: np.ndarray, t: np.ndarray) -> np.ndarray:
    """np.lexsort((t, pair)); the compiled searches emit their edges in that order already
    (pairs ascending, each pair's in time), which one pass confirms."""
    if np.all((pair[1:] > pair[:-1]) | ((pair[1:] == pair[:-1]) & (t[1:] >= t[:-1]))):
        return np.arange(len(pair))
    return np.lexsort((t, pair))


def stitch(parts: list[Intervals], peaks: list[np.ndarray] | None = None):
    """Join intervals of one pair cut at a shared window edge, over the chunks' results.

    peaks (one array per part) are merged by the larger. Returns (pair, start_s, end_s, peak)
    sorted by pair then start; peak is None without peaks.
    """
    key, start, end, open_start, open_end = (
        np.concatenate([getattr(p, f) for p in parts])
        for f in ("pair", "start_s", "end_s", "open_start", "open_end")
    )
    order = np.lexsort((start, key))
    key, start, end, open_start, open_end = (
        x[order] for x in (key, start, end, open_start, open_end)
    )
    joins = np.zeros(len(key), bool)
    joins[1:] = (key[1:] == key[:-1]) & open_end[:-1] & open_start[1:] & (start[1:] == end[:-1])
    first = np.flatnonzero(~joins)
    last = np.r_[first[1:] - 1, len(key) - 1] if len(key) else first
    merged_peak = None
    if peaks is not None:
        merged_peak = np.full(len(first), -np.inf)
        np.maximum.at(merged_peak, np.cumsum(~joins) - 1, np.concatenate(peaks)[order])
    return key[first], start[first], end[last], merged_peak
