"""The event searches as they were before the compiled kernels (numpy over all candidates at
once), kept callable as the slower path the compiled searches must equal (within
EDGE_TOLERANCE_S). Copied from orbitgrid.orbits.{events,contacts,eclipses} at 73fb95f, with one
fix since: refine_root refines to a bracket (at 73fb95f its stopping rule could leave an edge
seconds from the root). The edges are refined to ORACLE_TOLERANCE_S, a tenth of what the
compiled searches promise, so that their difference measures the compiled searches' error."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from orbitgrid.constants import EARTH_RADIUS_M, EARTH_ROTATION_RAD_S, MU_EARTH_M3_S2
from orbitgrid.orbits.contacts import Stations
from orbitgrid.orbits.events import EDGE_TOLERANCE_S, RATE_SAFETY, Intervals
from orbitgrid.orbits.frames import teme_to_ecef
from orbitgrid.orbits.sun import shadow_geometry, sun_position_m
from orbitgrid.orbits.timescale import days_since_j2000
from orbitgrid.orbits.trajectory import Trajectory

_MASK_MARGIN_RAD = np.deg2rad(0.5)
ORACLE_TOLERANCE_S = EDGE_TOLERANCE_S / 10
_KNOT_BLOCK = 16

Evaluate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _shadow_functions(r, v, sun, half_step_s: float = 30.0):
    """(shadow, umbra) functions, negative inside, and a bound on their rate (rad/s).

    The separation turns at most at |v|/r; the Earth's apparent radius changes at
    tan(radius) * |dr/dt| / r, where |dr/dt| can grow by gravity's pull within half a step.
    """
    separation, earth, sun_radius = shadow_geometry(r, sun, EARTH_RADIUS_M)
    r_norm = np.linalg.norm(r, axis=-1)
    radial_speed = (
        np.abs(np.einsum("...k,...k->...", r, v)) / r_norm
        + MU_EARTH_M3_S2 / r_norm**2 * half_step_s
    )
    rate = (np.linalg.norm(v, axis=-1) + np.tan(earth) * radial_speed) / r_norm + 1e-6
    return separation - (earth + sun_radius), separation - (earth - sun_radius), rate


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
        ORACLE_TOLERANCE_S,
    )
    t_leave = refine_root(
        pair[leaving],
        ta[leaving],
        tb[leaving],
        fa[leaving],
        fb[leaving],
        evaluate,
        ORACLE_TOLERANCE_S,
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
    """Time of the sign change of f in [ta, tb] by the Illinois method: the middle of a bracket
    at most tolerance_s wide.

    Regula falsi that halves the stale end's value when one end is kept twice: superlinear
    on smooth functions, and never leaves the bracket. (At 73fb95f it stopped once an estimate
    moved by less than tolerance_s, the first counted from ta: edges seconds from the root
    where f(ta) was tiny. Fixed here and in event_kernels._refine alike.)
    """
    ta, tb, fa, fb = (np.array(x, dtype=float) for x in (ta, tb, fa, fb))
    active = np.abs(tb - ta) > tolerance_s
    c_before = np.full(len(ta), np.nan)
    for _ in range(100):
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
        # converging from one side: look half a tolerance beyond the estimate
        probe = (np.abs(tb[k] - ta[k]) > tolerance_s) & (np.abs(c - c_before[k]) < tolerance_s / 4)
        q = k[probe]
        if len(q):
            p = tb[q] + np.copysign(tolerance_s / 2, ta[q] - tb[q])
            f_p, _ = _evaluate(evaluate, pair[q], p)
            inside = (f_p >= 0) != (fb[q] >= 0)
            ta[q], fa[q] = np.where(inside, p, ta[q]), np.where(inside, f_p, fa[q])
            tb[q], fb[q] = np.where(inside, tb[q], p), np.where(inside, fb[q], f_p)
        c_before[k] = c
        active[k] = np.abs(tb[k] - ta[k]) > tolerance_s
    return (ta + tb) / 2


def contact_intervals(traj: Trajectory, stations: Stations, resolution_s: float = 2.0):
    """Contact intervals with pair = satellite * len(stations) + station, and peak elevations.

    A cheap spherical-Earth test on every (knot, satellite, station) keeps only the knot
    intervals where the satellite may be above the mask; the event search does the rest. The
    peak is where the elevation rate changes sign.
    """
    n_st = len(stations)
    if n_st == 0:
        return Intervals.empty(), np.zeros(0)
    j, pair = _candidates(traj, stations)
    ranged = bool(np.isfinite(stations.max_range).any())

    def geometry(p, t):
        ecef, v = traj.ecef_at(p // n_st, t)
        d = ecef - stations.ecef[p % n_st]
        rng = np.linalg.norm(d, axis=-1)
        sin_el = np.einsum("ij,ij->i", d, stations.up[p % n_st]) / rng
        return ecef, v, d, rng, sin_el

    def evaluate(p, t):
        """Negative in contact: mask minus elevation (rad), or the relative excess over the
        maximum range; with a bound on its rate (the line of sight's turn, or range rate)."""
        ecef, v, d, rng, sin_el = geometry(p, t)
        v_ecef = teme_to_ecef(v, traj.gmst(t)) - np.cross(_EARTH_SPIN, ecef)
        turn = np.linalg.norm(np.cross(d, v_ecef), axis=-1) / rng**2
        below = stations.mask[p % n_st] - np.arcsin(sin_el)
        if not ranged:
            return below, turn
        max_range = stations.max_range[p % n_st]
        beyond = rng / max_range - 1.0  # -1 where there is no maximum range
        return np.maximum(below, beyond), np.maximum(
            turn, np.linalg.norm(v_ecef, axis=-1) / max_range
        )

    def falling(p, t):
        """Minus the elevation rate (rad/s): negative while rising, positive after the peak."""
        ecef, v, d, rng, sin_el = geometry(p, t)
        v_ecef = teme_to_ecef(v, traj.gmst(t)) - np.cross(_EARTH_SPIN, ecef)
        up = stations.up[p % n_st]
        rate_sin = (
            np.einsum("ij,ij->i", v_ecef, up) - sin_el * np.einsum("ij,ij->i", d, v_ecef) / rng
        ) / rng
        return -rate_sin / np.sqrt(np.maximum(1 - sin_el**2, 1e-12)), rng

    # evaluate each (pair, knot) once, though neighbouring candidate intervals share knots
    key, inverse = np.unique(
        np.concatenate([pair * len(traj.t_s) + j, pair * len(traj.t_s) + j + 1]),
        return_inverse=True,
    )
    f_knot, rate_knot = evaluate(key // len(traj.t_s), traj.t_s[key % len(traj.t_s)])
    ia, ib = inverse[: len(j)], inverse[len(j) :]
    known = (f_knot[ia], f_knot[ib], rate_knot[ia], rate_knot[ib])
    found = find_intervals(
        pair,
        traj.t_s[j],
        traj.t_s[j + 1],
        evaluate,
        (traj.t_s[0], traj.t_s[-1]),
        resolution_s,
        known,
    )
    a, b = found.start_s, found.end_s
    fa, fb = falling(found.pair, a)[0], falling(found.pair, b)[0]
    rises_then_falls = (fa < 0) & (fb > 0)
    t_peak = np.where(fa >= 0, a, b)  # monotonic within the window: the peak is at an end
    t_peak[rises_then_falls] = refine_root(
        found.pair[rises_then_falls],
        a[rises_then_falls],
        b[rises_then_falls],
        fa[rises_then_falls],
        fb[rises_then_falls],
        falling,
        0.05,
    )
    peak = np.arcsin(geometry(found.pair, t_peak)[4])
    return found, peak


_EARTH_SPIN = np.array([0.0, 0.0, EARTH_ROTATION_RAD_S])


def _candidates(traj: Trajectory, stations: Stations) -> tuple[np.ndarray, np.ndarray]:
    """(knot interval, pair) where the satellite may be above the station's mask."""
    n_knots, n_st = len(traj.t_s), len(stations)
    st_radius = np.linalg.norm(stations.ecef, axis=-1)
    st_dir = stations.ecef / st_radius[:, None]
    h = np.diff(traj.t_s).max(initial=0.0)
    # Stations sharing a mask share one reach angle, taken at the lowest station radius (the
    # widest); the geodetic vertical is allowed for by lowering the mask a little.
    masks, group = np.unique(stations.mask, return_inverse=True)
    el = np.maximum(masks - _MASK_MARGIN_RAD, -np.pi / 2 + 1e-9)
    radius = np.array([st_radius[group == g].min() for g in range(len(masks))])
    out_j, out_p = [], []
    for k0 in range(0, n_knots - 1, _KNOT_BLOCK):
        ks = slice(k0, min(k0 + _KNOT_BLOCK, n_knots - 1) + 1)  # blocks share their last knot
        r, v = traj.r[ks], traj.v[ks]
        r_norm = np.linalg.norm(r, axis=-1)
        ecef = teme_to_ecef(r, traj.gmst(traj.t_s[ks]))
        speed = np.linalg.norm(
            teme_to_ecef(v, traj.gmst(traj.t_s[ks])) - np.cross(_EARTH_SPIN, ecef), axis=-1
        )
        radial = (
            np.abs(np.einsum("...k,...k->...", r, v)) / r_norm + MU_EARTH_M3_S2 / r_norm**2 * h / 2
        )
        cos_psi = (ecef / r_norm[..., None]) @ st_dir.T  # (k, N, S)
        reach = np.empty((len(masks),) + r_norm.shape)
        near = np.empty(cos_psi.shape, bool)
        for g in range(len(masks)):
            # central angle within which a satellite at radius r is above the mask (spherical
            # Earth), widened by how far it and the satellite can move in half an interval
            x = np.clip(radius[g] * np.cos(el[g]) / r_norm, -1.0, 1.0)
            psi_max = np.arccos(x) - el[g]
            dpsi_dr = x / (r_norm * np.sqrt(np.maximum(1.0 - x**2, 1e-12)))
            reach[g] = psi_max + 1.1 * (speed / r_norm + dpsi_dr * radial) * h / 2
            cols = group == g
            near[..., cols] = cos_psi[..., cols] > np.cos(np.minimum(reach[g], np.pi))[..., None]
        # loose test first: within reach at either end; then the two-ends bound on the few left
        kk, sat, st = np.nonzero(near[:-1] | near[1:])
        psi = np.arccos(np.clip(cos_psi[[kk, kk + 1], sat, st], -1.0, 1.0))
        room = reach[group[st], kk, sat] + reach[group[st], kk + 1, sat] - psi[0] - psi[1]
        keep = room > 0
        out_j.append(kk[keep] + k0)
        out_p.append(sat[keep].astype(np.int64) * n_st + st[keep])
    return np.concatenate(out_j), np.concatenate(out_p)


def shadow_intervals(traj: Trajectory, resolution_s: float = 2.0) -> tuple[Intervals, Intervals]:
    """Intervals in the shadow (any part of the Sun hidden) and in umbra, per satellite index."""
    sun_knots = sun_position_m(days_since_j2000(traj.epoch, traj.t_s))
    h = np.diff(traj.t_s)[:, None]
    shadow_k, umbra_k, rate_k = _shadow_functions(
        traj.r, traj.v, sun_knots[:, None, :], h.max() / 2
    )
    window = (traj.t_s[0], traj.t_s[-1])
    edge = np.zeros((len(h), 1), bool)
    edge[[0, -1]] = True
    results = []
    for which, f in ((0, shadow_k), (1, umbra_k)):
        rate = np.maximum(rate_k[:-1], rate_k[1:])
        bound = (f[:-1] + f[1:] - RATE_SAFETY * rate * h) / 2
        # intervals inside the shadow at both ends need no search, but at the window's edges
        inside = (f[:-1] < 0) & (f[1:] < 0) & ~edge
        # a satellite lost while in shadow (NaN after) leaves it there
        lost = (f[:-1] < 0) & np.isnan(f[1:])
        j, sat = np.nonzero(((bound < 0) & ~inside) | lost)
        known = (f[j, sat], f[j + 1, sat], rate_k[j, sat], rate_k[j + 1, sat])

        def evaluate(pair, t, which=which):
            r, v = traj.at(pair, t)
            sun = sun_position_m(days_since_j2000(traj.epoch, t))
            values = _shadow_functions(r, v, sun)
            return values[which], values[2]

        results.append(
            find_intervals(sat, traj.t_s[j], traj.t_s[j + 1], evaluate, window, resolution_s, known)
        )
    return results[0], results[1]
