"""Intervals when a smooth function of time is negative, found without missing short ones.

Every event finder here reduces to f(pair, t) < 0 for some smooth f: elevation below the mask
is f > 0, the Sun's disc behind the Earth's limb is f < 0. The search starts from candidate
intervals that a cheap bound could not rule out, splits an interval while its end values and
a bound on |df/dt| leave room for a dip below zero, then refines every sign change to
a few milliseconds by the Illinois method. An event shorter than `resolution_s` may be
missed; nothing longer is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# How far the rate bound evaluated at an interval's ends may be exceeded inside it.
RATE_SAFETY = 1.5
EDGE_TOLERANCE_S = 0.01

Evaluate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


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


def _evaluate(evaluate: Evaluate, pair, t):
    """f and its rate bound; f is +inf where the state is missing (a failed satellite)."""
    f, rate = evaluate(pair, t)
    return np.where(np.isnan(f), np.inf, f), np.nan_to_num(rate, nan=0.0)


def find_intervals(
    pair: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    evaluate: Evaluate,
    window: tuple[float, float],
    resolution_s: float = 2.0,
    known: tuple[np.ndarray, ...] | None = None,
) -> Intervals:
    """Where evaluate(pair, t)[0] < 0 inside the candidate intervals [ta, tb] of each pair.

    evaluate returns f and a bound on |df/dt| near t. Outside the candidates f must be known
    positive. Candidates of one pair must not overlap; window is the span searched. known
    gives (fa, fb, ra, rb) at the interval ends when the caller has them already.
    """
    if len(pair) == 0:
        return Intervals.empty()
    if known is None:
        fa, ra = _evaluate(evaluate, pair, ta)
        fb, rb = _evaluate(evaluate, pair, tb)
    else:
        fa, fb = (np.where(np.isnan(f), np.inf, f) for f in known[:2])
        ra, rb = (np.nan_to_num(r, nan=0.0) for r in known[2:])
    leaves = []
    while len(pair):
        bound = (fa + fb - RATE_SAFETY * np.maximum(ra, rb) * (tb - ta)) / 2
        split = (fa >= 0) & (fb >= 0) & (bound < 0) & (tb - ta > resolution_s)
        leaves.append((pair[~split], ta[~split], tb[~split], fa[~split], fb[~split]))
        pair, ta, tb, fa, fb, ra, rb = (x[split] for x in (pair, ta, tb, fa, fb, ra, rb))
        tm = (ta + tb) / 2
        fm, rm = _evaluate(evaluate, pair, tm)
        pair = np.concatenate([pair, pair])
        ta, tb = np.concatenate([ta, tm]), np.concatenate([tm, tb])
        fa, fb = np.concatenate([fa, fm]), np.concatenate([fm, fb])
        ra, rb = np.concatenate([ra, rm]), np.concatenate([rm, rb])
    pair, ta, tb, fa, fb = (np.concatenate(x) for x in zip(*leaves, strict=True))

    entering = (fa >= 0) & (fb < 0)
    leaving = (fa < 0) & (fb >= 0)
    start_here = (ta == window[0]) & (fa < 0)
    end_here = (tb == window[1]) & (fb < 0)
    t_enter = refine_root(
        pair[entering],
        ta[entering],
        tb[entering],
        fa[entering],
        fb[entering],
        evaluate,
        EDGE_TOLERANCE_S,
    )
    t_leave = refine_root(
        pair[leaving],
        ta[leaving],
        tb[leaving],
        fa[leaving],
        fb[leaving],
        evaluate,
        EDGE_TOLERANCE_S,
    )
    starts_pair = np.concatenate([pair[entering], pair[start_here]])
    starts = np.concatenate([t_enter, ta[start_here]])
    starts_open = np.concatenate([np.zeros(len(t_enter), bool), np.ones(start_here.sum(), bool)])
    ends_pair = np.concatenate([pair[leaving], pair[end_here]])
    ends = np.concatenate([t_leave, tb[end_here]])
    ends_open = np.concatenate([np.zeros(len(t_leave), bool), np.ones(end_here.sum(), bool)])
    s_order = np.lexsort((starts, starts_pair))
    e_order = np.lexsort((ends, ends_pair))
    if len(s_order) != len(e_order) or np.any(starts_pair[s_order] != ends_pair[e_order]):
        raise RuntimeError("event search found unpaired interval edges")
    return Intervals(
        starts_pair[s_order],
        starts[s_order],
        ends[e_order],
        starts_open[s_order],
        ends_open[e_order],
    )


def refine_root(pair, ta, tb, fa, fb, evaluate, tolerance_s):
    """Time of the sign change of f in [ta, tb] by the Illinois method, to tolerance_s.

    Regula falsi that halves the stale end's value when one end is kept twice: superlinear
    on smooth functions, and never leaves the bracket.
    """
    ta, tb, fa, fb = (np.array(x, dtype=float) for x in (ta, tb, fa, fb))
    t = ta.copy()
    active = np.ones(len(ta), bool)
    for _ in range(60):
        if not active.any():
            break
        k = np.flatnonzero(active)
        a, b, f_a, f_b = ta[k], tb[k], fa[k], fb[k]
        finite = np.isfinite(f_a) & np.isfinite(f_b) & (f_a != f_b)
        c = np.where(finite, b - f_b * (b - a) / np.where(finite, f_b - f_a, 1.0), (a + b) / 2)
        c = np.clip(c, np.minimum(a, b), np.maximum(a, b))
        f_c, _ = _evaluate(evaluate, pair[k], c)
        flip = (f_c >= 0) != (f_b >= 0)
        # flip: the root lies between b and c, b becomes the other end; else keep a, halve it
        ta[k] = np.where(flip, b, a)
        fa[k] = np.where(flip, f_b, f_a / 2)
        tb[k], fb[k] = c, f_c
        active[k] = (np.abs(c - t[k]) > tolerance_s) & (np.abs(tb[k] - ta[k]) > tolerance_s)
        t[k] = c
    return t


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
