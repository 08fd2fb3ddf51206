"""Compiled event searches over (time, satellite): ground contacts and the Earth's shadow.

The search described in orbitgrid.orbits.events, one candidate knot interval at a time in a
compiled loop: split an interval while its end values and a bound on |df/dt| leave room for a
dip below zero, then refine each sign change by the Illinois method. The functions f:

  CONTACT  the station's mask minus the elevation (rad), or, where the station has a maximum
           range, the larger of that and the relative excess over the range: negative in contact
  SHADOW   Sun-Earth separation minus (Earth + Sun apparent radii): some of the Sun hidden
  UMBRA    separation minus (Earth - Sun apparent radii): all of it hidden
  FALLING  minus the elevation rate (rad/s), whose root is a contact's peak

States are the trajectory's cubic Hermite between knots (trajectory._hermite, same operations).
The sidereal angle gmst (K,) rad and the Sun sun (K, 3) m are given at the knots and taken
linear between them: the sidereal angle is linear in time to 1e-11 over a knot interval, and
the Sun's direction turns 1.4e-4 rad in 120 s, so its chord is off the arc by 3e-9 rad (microseconds
on an edge). A search yields edges: rows (pair, time s, 1 start / 0 end, 1 cut by the window).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from orbitgrid.constants import (
    EARTH_RADIUS_M,
    EARTH_ROTATION_RAD_S,
    MU_EARTH_M3_S2,
    SUN_RADIUS_M,
)
from orbitgrid.orbits.sun import sun_position_m
from orbitgrid.orbits.timescale import days_since_j2000
from orbitgrid.orbits.trajectory import Trajectory

CONTACT, SHADOW, UMBRA, FALLING = 0, 1, 2, 3
# How far the rate bound evaluated at an interval's ends may be exceeded inside it.
RATE_SAFETY = 1.5
EDGE_TOLERANCE_S = 0.01
# The peak's time, refined far below what its table shows: the bracket a peak is refined in
# depends on where a chunk edge cuts the contact, which depends on how many satellites the
# process holds (a split run's blocks); at 0.05 s the elevation moved by ~1e-5 deg and flipped
# the table's rounding (4 decimals) between a run and its split.
PEAK_TOLERANCE_S = 1e-4
# Half a knot interval, the radial speed's allowance for gravity inside the search (s).
_SEARCH_HALF_STEP_S = 30.0
_STACK = 64  # splits halve the interval: 64 levels is far below any resolution
_TWO_PI = 2.0 * math.pi


def search_context(traj: Trajectory) -> tuple[np.ndarray, ...]:
    """What the kernels read of a trajectory: knot states (K, N, 6), knot times (K,) s, the
    sidereal angle (K,) rad and the Sun (K, 3) m at the knots."""
    sun = sun_position_m(days_since_j2000(traj.epoch, traj.t_s))
    return traj.state, traj.t_s, traj.gmst(traj.t_s), np.ascontiguousarray(sun)


def station_rows(ecef: np.ndarray, up: np.ndarray, mask: np.ndarray, max_range: np.ndarray):
    """Stations as the kernels take them: rows (S, 8) of ecef (3) m, up (3), mask rad, range m."""
    return np.ascontiguousarray(np.column_stack([ecef, up, mask, max_range]), dtype=float)


@njit(cache=True)
def _locate(t_knots, t):  # pragma: no cover - compiled
    """Trajectory._locate: the knot interval holding t (the later one at a shared knot)."""
    lo, hi = 0, len(t_knots)
    while lo < hi:  # searchsorted(side="right")
        mid = (lo + hi) // 2
        if t_knots[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return min(max(lo - 1, 0), len(t_knots) - 2)


@njit(cache=True)
def _state(state, t_knots, j, n, t, out):  # pragma: no cover - compiled
    """Hermite position and velocity of satellite n at t (in knot interval j) into out (6,)."""
    h = t_knots[j + 1] - t_knots[j]
    s = (t - t_knots[j]) / h
    s2 = s * s
    s3 = s2 * s
    a, b = state[j, n], state[j + 1, n]
    for k in range(3):
        out[k] = ((2 * s3 - 3 * s2 + 1) * a[k] + (s3 - 2 * s2 + s) * h * a[k + 3]
                  + (3 * s2 - 2 * s3) * b[k] + (s3 - s2) * h * b[k + 3])
        out[k + 3] = ((6 * s2 - 6 * s) / h * (a[k] - b[k]) + (3 * s2 - 4 * s + 1) * a[k + 3]
                      + (3 * s2 - 2 * s) * b[k + 3])


@njit(cache=True)
def _value(kind, ctx, j, n, station, ranged, t, rv):  # pragma: no cover - compiled
    """f of the given kind for satellite n (and station) at t in knot interval j, and a bound on
    |df/dt|; f +inf and the bound 0 where the state is missing (a satellite gone).
    ctx: (state (K, N, 6), knot times (K,), gmst (K,), Sun (K, 3))."""
    state, t_knots, gmst, sun = ctx
    if t == t_knots[j + 1] and j + 2 < len(t_knots):
        j += 1  # a shared knot belongs to the later interval (as Trajectory._locate has it), so
        # the knot before a satellite is lost reads NaN from either side
    _state(state, t_knots, j, n, t, rv)
    s = (t - t_knots[j]) / (t_knots[j + 1] - t_knots[j])
    if kind == SHADOW or kind == UMBRA:
        sx = sun[j, 0] + s * (sun[j + 1, 0] - sun[j, 0])
        sy = sun[j, 1] + s * (sun[j + 1, 1] - sun[j, 1])
        sz = sun[j, 2] + s * (sun[j + 1, 2] - sun[j, 2])
        f, rate = _shadow(rv, sx, sy, sz, kind == UMBRA, _SEARCH_HALF_STEP_S)
    else:
        turned = np.mod(gmst[j + 1] - gmst[j], _TWO_PI)
        f, rate = _contact(rv, gmst[j] + s * turned, station, ranged, kind == FALLING)
    if math.isnan(f):
        return math.inf, 0.0
    return f, 0.0 if math.isnan(rate) else rate


@njit(cache=True)
def _shadow(rv, sx, sy, sz, umbra, half_step_s):  # pragma: no cover - compiled
    """The shadow (or umbra) function for one state and Sun, and a bound on its rate (rad/s).

    Negative inside. The separation of the Earth's and the Sun's centres turns at most at
    |v|/r; the Earth's apparent radius changes at tan(radius) |dr/dt| / r, where |dr/dt| can
    grow by gravity's pull within half_step_s."""
    x, y, z = rv[0], rv[1], rv[2]
    dx, dy, dz = sx - x, sy - y, sz - z
    r_norm = math.sqrt(x * x + y * y + z * z)
    sun_norm = math.sqrt(dx * dx + dy * dy + dz * dz)
    cos_sep = -(x * dx + y * dy + z * dz) / (r_norm * sun_norm)
    separation = math.acos(min(max(cos_sep, -1.0), 1.0))
    earth = math.asin(min(max(EARTH_RADIUS_M / r_norm, -1.0), 1.0))
    sun_radius = math.asin(SUN_RADIUS_M / sun_norm)
    radial = (abs(x * rv[3] + y * rv[4] + z * rv[5]) / r_norm
              + MU_EARTH_M3_S2 / r_norm**2 * half_step_s)
    speed = math.sqrt(rv[3] ** 2 + rv[4] ** 2 + rv[5] ** 2)
    rate = (speed + math.tan(earth) * radial) / r_norm + 1e-6
    return separation - (earth - sun_radius if umbra else earth + sun_radius), rate


@njit(cache=True)
def _contact(rv, gmst, station, ranged, falling):  # pragma: no cover - compiled
    """contacts' evaluate (or falling) for one state and station row."""
    c, s = math.cos(gmst), math.sin(gmst)
    ex, ey, ez = c * rv[0] + s * rv[1], -s * rv[0] + c * rv[1], rv[2]
    w = EARTH_ROTATION_RAD_S
    vx = c * rv[3] + s * rv[4] + w * ey
    vy = -s * rv[3] + c * rv[4] - w * ex
    vz = rv[5]
    dx, dy, dz = ex - station[0], ey - station[1], ez - station[2]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    sin_el = (dx * station[3] + dy * station[4] + dz * station[5]) / rng
    if falling:
        rate_sin = ((vx * station[3] + vy * station[4] + vz * station[5])
                    - sin_el * (dx * vx + dy * vy + dz * vz) / rng) / rng
        return -rate_sin / math.sqrt(max(1 - sin_el**2, 1e-12)), math.asin(sin_el)
    cx, cy, cz = dy * vz - dz * vy, dz * vx - dx * vz, dx * vy - dy * vx
    turn = math.sqrt(cx * cx + cy * cy + cz * cz) / rng**2
    below = station[6] - math.asin(sin_el)
    if not ranged:
        return below, turn
    beyond = rng / station[7] - 1.0
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    return max(below, beyond), max(turn, speed / station[7])


@njit(cache=True)
def _push(edges, count, pair, t, start, cut):  # pragma: no cover - compiled
    if count == len(edges):
        grown = np.empty((2 * len(edges), 4))
        grown[:count] = edges
        edges = grown
    edges[count, 0], edges[count, 1], edges[count, 2], edges[count, 3] = pair, t, start, cut
    return edges


@njit(cache=True)
def _refine(kind, ctx, j, n, station, ranged, ta, tb, fa, fb, tolerance_s,
            rv):  # pragma: no cover - compiled
    """events.refine_root for one bracket: Illinois regula falsi to tolerance_s. j: the knot
    interval holding the bracket, or -1 to look it up at each step."""
    t = ta
    for _ in range(60):
        if math.isfinite(fa) and math.isfinite(fb) and fa != fb:
            c = tb - fb * (tb - ta) / (fb - fa)
        else:
            c = (ta + tb) / 2
        c = min(max(c, min(ta, tb)), max(ta, tb))
        jc = j if j >= 0 else _locate(ctx[1], c)
        fc, _r = _value(kind, ctx, jc, n, station, ranged, c, rv)
        if (fc >= 0) != (fb >= 0):
            ta, fa = tb, fb
        else:
            fa = fa / 2
        tb, fb = c, fc
        moving = abs(c - t) > tolerance_s and abs(tb - ta) > tolerance_s
        t = c
        if not moving:
            break
    return t


@njit(cache=True)
def _search(kind, ctx, j, n, station, ranged, pair, fa, fb, ra, rb, resolution_s, edges, count,
            rv):  # pragma: no cover - compiled
    """events.find_intervals on one candidate knot interval j; appends its edges."""
    t_knots = ctx[1]
    w0, w1 = t_knots[0], t_knots[-1]
    ta, tb = t_knots[j], t_knots[j + 1]
    stack = np.empty((_STACK, 6))
    stack[0] = ta, tb, fa, fb, ra, rb
    depth = 1
    while depth:
        depth -= 1
        ta, tb, fa, fb, ra, rb = stack[depth]
        bound = (fa + fb - RATE_SAFETY * max(ra, rb) * (tb - ta)) / 2
        if fa >= 0 and fb >= 0 and bound < 0 and tb - ta > resolution_s and depth + 2 <= _STACK:
            tm = (ta + tb) / 2
            fm, rm = _value(kind, ctx, j, n, station, ranged, tm, rv)
            stack[depth] = tm, tb, fm, fb, rm, rb
            stack[depth + 1] = ta, tm, fa, fm, ra, rm
            depth += 2
            continue
        if ta == w0 and fa < 0:
            edges = _push(edges, count, pair, ta, 1.0, 1.0)
            count += 1
        if fa >= 0 and fb < 0:
            t = _refine(kind, ctx, j, n, station, ranged, ta, tb, fa, fb, EDGE_TOLERANCE_S, rv)
            edges = _push(edges, count, pair, t, 1.0, 0.0)
            count += 1
        if fa < 0 and fb >= 0:
            t = _refine(kind, ctx, j, n, station, ranged, ta, tb, fa, fb, EDGE_TOLERANCE_S, rv)
            edges = _push(edges, count, pair, t, 0.0, 0.0)
            count += 1
        if tb == w1 and fb < 0:
            edges = _push(edges, count, pair, tb, 0.0, 1.0)
            count += 1
    return edges, count


@njit(cache=True)
def _within(cos_a, cos_b, angle):  # pragma: no cover - compiled
    """Whether arccos(cos_a) + arccos(cos_b) < angle (rad), from the cosines (clipped to 1)."""
    if angle >= 2 * math.pi:
        return True
    if angle <= 0 or not (cos_a == cos_a and cos_b == cos_b):  # NaN: a gone satellite
        return False
    ca, cb = min(max(cos_a, -1.0), 1.0), min(max(cos_b, -1.0), 1.0)
    sin_a, sin_b = math.sqrt(1.0 - ca * ca), math.sqrt(1.0 - cb * cb)
    cos_sum = ca * cb - sin_a * sin_b
    # the sum is below pi exactly when ca > -cb; cos falls on [0, pi] and rises on [pi, 2 pi]
    if angle <= math.pi:
        return ca + cb > 0 and cos_sum > math.cos(angle)
    return ca + cb > 0 or cos_sum < math.cos(angle)


@njit(cache=True)
def contact_edges(ctx, stations, group, radius, el, ranged, resolution_s):  # pragma: no cover
    """Edges of every contact of every satellite with every station; pair = n * S + s.

    Candidates as before the kernels (a bound, not a search): a satellite-station pair's knot
    interval is searched only if the spherical-Earth reach angles at its ends (widened by how
    far the satellite can move in half an interval; per mask group g: station radius
    radius[g], lowered mask el[g]) leave room for the central angle to close. Neighbouring
    intervals share their knot's values.
    """
    state, t_knots, gm = ctx[0], ctx[1], ctx[2]
    n_k, n_sat, n_st = state.shape[0], state.shape[1], stations.shape[0]
    n_g = len(radius)
    h = 0.0
    for k in range(n_k - 1):
        h = max(h, t_knots[k + 1] - t_knots[k])
    st_dir = np.empty((n_st, 3))
    for s in range(n_st):
        norm = math.sqrt(stations[s, 0] ** 2 + stations[s, 1] ** 2 + stations[s, 2] ** 2)
        st_dir[s] = stations[s, 0] / norm, stations[s, 1] / norm, stations[s, 2] / norm
    u = np.empty((n_k, 3))
    reach = np.empty((n_g, n_k))
    cos_reach = np.empty((n_g, n_k))
    cos_psi = np.empty(n_k)
    rv = np.empty(6)
    edges = np.empty((1024, 4))
    count = 0
    w = EARTH_ROTATION_RAD_S
    for n in range(n_sat):
        for k in range(n_k):
            x, y, z = state[k, n, 0], state[k, n, 1], state[k, n, 2]
            c, s_ = math.cos(gm[k]), math.sin(gm[k])
            ex, ey = c * x + s_ * y, -s_ * x + c * y
            vx = c * state[k, n, 3] + s_ * state[k, n, 4] + w * ey
            vy = -s_ * state[k, n, 3] + c * state[k, n, 4] - w * ex
            vz = state[k, n, 5]
            r_norm = math.sqrt(x * x + y * y + z * z)
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            radial = (abs(x * state[k, n, 3] + y * state[k, n, 4] + z * vz) / r_norm
                      + MU_EARTH_M3_S2 / r_norm**2 * h / 2)
            u[k] = ex / r_norm, ey / r_norm, z / r_norm
            for g in range(n_g):
                xg = min(max(radius[g] * math.cos(el[g]) / r_norm, -1.0), 1.0)
                psi_max = math.acos(xg) - el[g]
                dpsi_dr = xg / (r_norm * math.sqrt(max(1.0 - xg**2, 1e-12)))
                reach[g, k] = psi_max + 1.1 * (speed / r_norm + dpsi_dr * radial) * h / 2
                cos_reach[g, k] = math.cos(min(reach[g, k], math.pi))
        for s in range(n_st):
            g = group[s]
            dx, dy, dz = st_dir[s, 0], st_dir[s, 1], st_dir[s, 2]
            for k in range(n_k):
                cos_psi[k] = u[k, 0] * dx + u[k, 1] * dy + u[k, 2] * dz
            pair = n * n_st + s
            known = -1
            f_known = r_known = 0.0
            for j in range(n_k - 1):
                ca, cb = cos_psi[j], cos_psi[j + 1]
                if not (ca > cos_reach[g, j] or cb > cos_reach[g, j + 1]):
                    continue
                # the two-ends bound: psi_a + psi_b < reach_a + reach_b, without arccos
                if not _within(ca, cb, reach[g, j] + reach[g, j + 1]):
                    continue
                if known == j:
                    fa, ra = f_known, r_known
                else:
                    fa, ra = _value(CONTACT, ctx, j, n, stations[s], ranged, t_knots[j], rv)
                fb, rb = _value(CONTACT, ctx, j, n, stations[s], ranged, t_knots[j + 1], rv)
                known, f_known, r_known = j + 1, fb, rb
                edges, count = _search(CONTACT, ctx, j, n, stations[s], ranged, pair, fa, fb, ra,
                                       rb, resolution_s, edges, count, rv)
    return edges[:count]


@njit(cache=True)
def contact_peaks(ctx, stations, pair, start_s, end_s):  # pragma: no cover - compiled
    """Peak elevation (rad) of each contact: where the elevation rate changes sign, else the
    higher end (the elevation is monotonic within the window)."""
    t_knots = ctx[1]
    n_st = stations.shape[0]
    peak = np.empty(len(pair))
    rv = np.empty(6)
    for i in range(len(pair)):
        n, st = pair[i] // n_st, stations[pair[i] % n_st]
        a, b = start_s[i], end_s[i]
        fa, _ea = _value(FALLING, ctx, _locate(t_knots, a), n, st, False, a, rv)
        fb, _eb = _value(FALLING, ctx, _locate(t_knots, b), n, st, False, b, rv)
        if fa < 0 and fb > 0:
            t = _refine(FALLING, ctx, -1, n, st, False, a, b, fa, fb, PEAK_TOLERANCE_S, rv)
        else:
            t = a if fa >= 0 else b
        j = _locate(t_knots, t)
        _state(ctx[0], t_knots, j, n, t, rv)
        turned = np.mod(ctx[2][j + 1] - ctx[2][j], _TWO_PI)
        gmst = ctx[2][j] + (t - t_knots[j]) / (t_knots[j + 1] - t_knots[j]) * turned
        peak[i] = _contact(rv, gmst, st, False, True)[1]
    return peak


@njit(cache=True)
def shadow_edges(kind, ctx, resolution_s):  # pragma: no cover - compiled
    """Edges of the shadow (kind SHADOW) or umbra (UMBRA) of every satellite.

    The function and its rate bound at every knot (the radial speed's allowance for gravity
    over half the longest knot interval); a knot interval is searched where they leave room
    for a crossing, unless it lies inside the shadow at both ends (and not at the window's
    edges), or where the satellite is lost (NaN) after a knot in shadow: it leaves it there.
    """
    state, t_knots, sun = ctx[0], ctx[1], ctx[3]
    n_k, n_sat = state.shape[0], state.shape[1]
    half_step = 0.0
    for k in range(n_k - 1):
        half_step = max(half_step, (t_knots[k + 1] - t_knots[k]) / 2)
    f = np.empty(n_k)
    rate = np.empty(n_k)
    rv = np.empty(6)
    none = np.zeros(8)
    edges = np.empty((1024, 4))
    count = 0
    for n in range(n_sat):
        for k in range(n_k):
            f[k], rate[k] = _shadow(state[k, n], sun[k, 0], sun[k, 1], sun[k, 2], kind == UMBRA,
                                    half_step)
        for j in range(n_k - 1):
            fa, fb = f[j], f[j + 1]
            bound = (fa + fb - RATE_SAFETY * max(rate[j], rate[j + 1])
                     * (t_knots[j + 1] - t_knots[j])) / 2
            inside = fa < 0 and fb < 0 and 0 < j < n_k - 2
            lost = fa < 0 and math.isnan(fb)
            if not ((bound < 0 and not inside) or lost):
                continue
            edges, count = _search(
                kind, ctx, j, n, none, False, n,
                math.inf if math.isnan(fa) else fa, math.inf if math.isnan(fb) else fb,
                0.0 if math.isnan(rate[j]) else rate[j],
                0.0 if math.isnan(rate[j + 1]) else rate[j + 1],
                resolution_s, edges, count, rv)
    return edges[:count]
