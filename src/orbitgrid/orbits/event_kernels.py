"""Compiled event searches over (time, satellite): ground contacts and the Earth's shadow.

The search described in orbitgrid.orbits.events, one candidate knot interval at a time in a
compiled loop: split an interval while its end values and a bound on |df/dt| leave room for a
dip below zero, then refine each sign change by the Illinois method to a bracket. Contacts go
further with the sight function g (_sight): a bound on its curvature stops near-misses from
splitting (_sight_clear), and Newton's method on g refines their edges (_refine_sight), on the
elevation rate their peaks (_peak_time). The functions f:

  CONTACT  the station's mask minus the elevation (rad), or, where the station has a maximum
           range, the larger of that and the relative excess over the range: negative in contact
  SHADOW   Sun-Earth separation minus (Earth + Sun apparent radii): some of the Sun hidden
  UMBRA    separation minus (Earth - Sun apparent radii): all of it hidden
  FALLING  minus the elevation rate (rad/s), whose root is a contact's peak
  SIGHT    the sight function g alone (m), what Newton's method on g needs (_refine_sight)

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

CONTACT, SHADOW, UMBRA, FALLING, SIGHT = 0, 1, 2, 3, 4
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
# The sight function's curvature bound (_sight_clear): a margin on the bound itself, and how far
# below zero (m; ~1e-6 of a range) g must stay for an interval to be left unsearched.
CURVATURE_SAFETY = 1.1
SIGHT_MARGIN_M = 1.0
# Newton's last step on the sight function (s): the edge is then ~1e-8 s from the root.
NEWTON_STOP_S = 1e-3
# Knot intervals per block of contact_edges' candidate scan (_block_caps), and the slack on a
# block's cap (rad): far above the rounding of an angle from a dot product (~1e-8 rad near 0).
SCAN_BLOCK_INTERVALS = 4
CAP_SLACK_RAD = 1e-6
_STACK = 64  # splits halve the interval: 64 levels is far below any resolution
_TWO_PI = 2.0 * math.pi


def search_context(traj: Trajectory) -> tuple[np.ndarray, ...]:
    """What the kernels read of a trajectory: knot states (K, N, 6), knot times (K,) s, the
    sidereal angle (K,) rad and the Sun (K, 3) m at the knots."""
    sun = sun_position_m(days_since_j2000(traj.epoch, traj.t_s))
    return traj.state, traj.t_s, traj.gmst(traj.t_s), np.ascontiguousarray(sun)


def station_rows(ecef: np.ndarray, up: np.ndarray, mask: np.ndarray, max_range: np.ndarray):
    """Stations as the kernels take them: rows (S, 9) of ecef (3) m, up (3), mask rad, range m,
    sin(mask)."""
    return np.ascontiguousarray(np.column_stack([ecef, up, mask, max_range, np.sin(mask)]),
                                dtype=float)


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
    ctx: (state (K, N, 6), knot times (K,), gmst (K,), Sun (K, 3)). For CONTACT and SIGHT
    also the sight function g (m), its rate (m/s) and the range (m) (_contact); NaN for the
    other kinds."""
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
        g = g_rate = rng = math.nan
    else:
        turned = np.mod(gmst[j + 1] - gmst[j], _TWO_PI)
        f, rate, g, g_rate, rng = _contact(rv, gmst[j] + s * turned, station, ranged, kind)
    if math.isnan(f):
        return math.inf, 0.0, math.nan, math.nan, math.nan
    return f, 0.0 if math.isnan(rate) else rate, g, g_rate, rng


@njit(cache=True)
def _shadow(rv, sx, sy, sz, umbra, half_step_s):  # pragma: no cover - compiled
    """The shadow (or umbra) function for one state and Sun, and a bound on its rate (rad/s):
    negative inside (_shadow_both)."""
    shadow, umbra_f, rate = _shadow_both(rv, sx, sy, sz, half_step_s)
    return umbra_f if umbra else shadow, rate


@njit(cache=True)
def _shadow_both(rv, sx, sy, sz, half_step_s):  # pragma: no cover - compiled
    """The shadow and the umbra functions for one state and Sun, and a bound on their rate
    (rad/s).

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
    return separation - (earth + sun_radius), separation - (earth - sun_radius), rate


@njit(cache=True)
def _contact(rv, gmst, station, ranged, kind):  # pragma: no cover - compiled
    """contacts' evaluate (or FALLING, SIGHT) for one inertial state and station row
    (_sight)."""
    c, s = math.cos(gmst), math.sin(gmst)
    ex, ey, ez = c * rv[0] + s * rv[1], -s * rv[0] + c * rv[1], rv[2]
    w = EARTH_ROTATION_RAD_S
    vx = c * rv[3] + s * rv[4] + w * ey
    vy = -s * rv[3] + c * rv[4] - w * ex
    return _sight(ex, ey, ez, vx, vy, rv[5], station, ranged, kind)


@njit(cache=True)
def _sight(ex, ey, ez, vx, vy, vz, station, ranged, kind):  # pragma: no cover - compiled
    """contacts' evaluate (kind CONTACT) for one Earth-fixed position (m) and velocity (m/s)
    and station row, with the sight function g = d.up - sin(mask) |d| (m; d the line of sight,
    positive exactly where the elevation is above the mask), its rate (m/s) and the range |d|
    (m). FALLING: (-el rate, el, NaN, NaN, range); SIGHT: (g, 0, g, g rate, range)."""
    dx, dy, dz = ex - station[0], ey - station[1], ez - station[2]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    up = dx * station[3] + dy * station[4] + dz * station[5]
    sin_el = up / rng
    if kind == FALLING:
        rate_sin = ((vx * station[3] + vy * station[4] + vz * station[5])
                    - sin_el * (dx * vx + dy * vy + dz * vz) / rng) / rng
        return (-rate_sin / math.sqrt(max(1 - sin_el**2, 1e-12)), math.asin(sin_el), math.nan,
                math.nan, rng)
    sin_mask = station[8]
    g = up - sin_mask * rng
    g_rate = (vx * station[3] + vy * station[4] + vz * station[5]
              - sin_mask * (dx * vx + dy * vy + dz * vz) / rng)
    if kind == SIGHT:
        return g, 0.0, g, g_rate, rng
    cx, cy, cz = dy * vz - dz * vy, dz * vx - dx * vz, dx * vy - dy * vx
    turn = math.sqrt(cx * cx + cy * cy + cz * cz) / rng**2
    below = station[6] - math.asin(sin_el)
    if not ranged:
        return below, turn, g, g_rate, rng
    beyond = rng / station[7] - 1.0
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    return max(below, beyond), max(turn, speed / station[7]), g, g_rate, rng


@njit(cache=True)
def _knot_value(fixed, k, station, ranged):  # pragma: no cover - compiled
    """_value(CONTACT) at knot k from its Earth-fixed state fixed[k] (6,): at a knot the Hermite
    state is the knot's and the sidereal angle the knot's, so the same numbers, less work."""
    e = fixed[k]
    f, rate, g, g_rate, rng = _sight(e[0], e[1], e[2], e[3], e[4], e[5], station, ranged,
                                     CONTACT)
    if math.isnan(f):
        return math.inf, 0.0, math.nan, math.nan, math.nan
    return f, 0.0 if math.isnan(rate) else rate, g, g_rate, rng


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
    """events.refine_root for one bracket: Illinois regula falsi until the bracket is at most
    tolerance_s wide; its middle, within tolerance_s / 2 of the root. j: the knot interval
    holding the bracket, or -1 to look it up at each step.

    (Until 2026-12-03 it stopped once an estimate moved by less than tolerance_s, counting the
    first from the bracket's end: a chord root beside an end with a tiny value (an edge just
    past a knot) stopped it there, up to 54 s from the root on the catalogue.)"""
    c_before = math.nan
    for _ in range(100):
        if math.isfinite(fa) and math.isfinite(fb) and fa != fb:
            c = tb - fb * (tb - ta) / (fb - fa)
        else:
            c = (ta + tb) / 2
        c = min(max(c, min(ta, tb)), max(ta, tb))
        jc = j if j >= 0 else _locate(ctx[1], c)
        fc = _value(kind, ctx, jc, n, station, ranged, c, rv)[0]
        if (fc >= 0) != (fb >= 0):
            ta, fa = tb, fb
        else:
            fa = fa / 2
        tb, fb = c, fc
        if abs(tb - ta) <= tolerance_s:
            break
        if abs(c - c_before) < tolerance_s / 4:
            # converging from one side, where the far end could take dozens of halvings to
            # move: look half a tolerance beyond the estimate
            p = c + math.copysign(tolerance_s / 2, ta - c)
            jp = j if j >= 0 else _locate(ctx[1], p)
            fp = _value(kind, ctx, jp, n, station, ranged, p, rv)[0]
            if (fp >= 0) != (fb >= 0):
                ta, fa = p, fp
                break
            tb, fb = p, fp
        c_before = c
    return (ta + tb) / 2


@njit(cache=True)
def _cubic_root(ga, gb, da, db):  # pragma: no cover - compiled
    """The root in (0, 1) of the cubic with values ga, gb (opposite signs) and slopes da, db
    at 0 and 1: Newton safeguarded by bisection, on the polynomial alone (no evaluations)."""
    c2 = 3 * (gb - ga) - 2 * da - db
    c3 = 2 * (ga - gb) + da + db
    lo, hi = 0.0, 1.0
    x = ga / (ga - gb)  # the chord's root
    for _ in range(8):
        p = ga + x * (da + x * (c2 + x * c3))
        if (p > 0) == (ga > 0):
            lo = x
        else:
            hi = x
        dp = da + x * (2 * c2 + 3 * x * c3)
        x_new = x - p / dp if dp != 0 else (lo + hi) / 2
        if not lo < x_new < hi:
            x_new = (lo + hi) / 2
        if abs(x_new - x) < 1e-6:
            return x_new
        x = x_new
    return x


@njit(inline="always")
def _newton_in(t, step, ta, tb):  # pragma: no cover - compiled
    """A Newton step from t kept inside the bracket (ta, tb): the midpoint when it leaves it.
    Returns the new time and the step taken."""
    t_new = t + step
    if not (ta < t_new < tb):
        t_new = (ta + tb) / 2
        step = t_new - t
    return t_new, step


@njit(cache=True)
def _refine_sight(ctx, j, n, station, ta, tb, ga, gb, da, db, curvature,
                  rv):  # pragma: no cover - compiled
    """The edge in [ta, tb] (inside knot interval j) where the sight function g changes sign:
    Newton's method on g with its rate, from the root of the cubic through g and its rate at
    the bracket's ends, kept inside the bracket. Stops once a Newton step is below
    NEWTON_STOP_S, or once its error bound, curvature step^2 / (2 |g'|) with curvature a bound
    on |g''| (m/s^2; NaN: none), is below NEWTON_STOP_S^2: the error left is of the order of
    the step squared times g''/g' (~1e-2 /s at a mask), far below EDGE_TOLERANCE_S. Returns NaN
    if g's ends do not bracket a root (rounding at a grazing edge): the caller then refines f
    instead."""
    if not ((ga <= 0 < gb) or (gb <= 0 < ga)):
        return math.nan
    h = tb - ta
    t = ta + h * _cubic_root(ga, gb, da * h, db * h)
    rising = gb > 0
    for _ in range(60):
        g, g_rate = _value(SIGHT, ctx, j, n, station, False, t, rv)[2:4]
        if (g > 0) == rising:
            tb = t
        else:
            ta = t
        t_new, step = _newton_in(t, -g / g_rate if g_rate != 0 else math.inf, ta, tb)
        if (abs(step) < NEWTON_STOP_S or tb - ta < NEWTON_STOP_S
                or curvature * step * step < 2 * abs(g_rate) * NEWTON_STOP_S**2):
            return t_new
        t = t_new
    return t


@njit(cache=True)
def _curvature(h, rho_a, rho_b, sin_mask, accel, speed):  # pragma: no cover - compiled
    """A bound on |g''| (m/s^2) over an interval h (s) long (see _sight_clear); NaN where the
    range could come near zero."""
    rho_min = min(rho_a, rho_b) - speed * h / 2
    if not rho_min > 1e3:
        return math.nan
    m = abs(sin_mask)
    return CURVATURE_SAFETY * (accel * (1 + m) + m * speed * speed / rho_min)


@njit(cache=True)
def _sight_clear(ta, tb, ga, gb, da, db, rho_a, rho_b, sin_mask, accel,
                 speed):  # pragma: no cover - compiled
    """Whether the sight function g stays below zero on [ta, tb] (no contact there), from its
    values ga, gb (m) and rates da, db (m/s) at the ends and a bound on |g''|:

        g'' = d''.up - sin(mask) |d|'',  |d|'' = (|d'|^2 - |d|'^2 + d.d'') / |d|,

    so |g''| <= accel (1 + |sin(mask)|) + |sin(mask)| speed^2 / |d|min, with accel and speed
    bounds on |d''| (m/s^2) and |d'| (m/s) over the knot interval and |d| at least the smaller
    end's range less speed times half the interval. g lies below each end's parabola
    g(end) + g'(end) dt + M dt^2 / 2; their difference is linear, so the lower of the two peaks
    where they cross. False (search on) wherever anything is missing."""
    h = tb - ta
    curvature = _curvature(h, rho_a, rho_b, sin_mask, accel, speed)
    den = da - db + curvature * h
    if not den > 0:
        return False
    x = (gb - ga - db * h + curvature * h * h / 2) / den
    top = max(ga, gb)
    if 0 < x < h:
        top = max(top, ga + x * (da + curvature * x / 2))
    return top < -SIGHT_MARGIN_M


@njit(cache=True)
def _left_whole(ta, tb, a_, b_, resolution_s, sin_mask, accel, speed):  # pragma: no cover
    """Whether _search leaves the contact interval [ta, tb] whole with both ends out of contact
    (a_, b_: _knot_value at its ends): the rate bound does not split it, or the curvature bound
    shows it out of contact throughout. It then has no edge; the caller skips the search."""
    fa, ra, ga, da, rho_a = a_
    fb, rb, gb, db, rho_b = b_
    if not (fa >= 0 and fb >= 0):
        return False
    bound = (fa + fb - RATE_SAFETY * max(ra, rb) * (tb - ta)) / 2
    if not (bound < 0 and tb - ta > resolution_s):
        return True
    return _sight_clear(ta, tb, ga, gb, da, db, rho_a, rho_b, sin_mask, accel, speed)


@njit(cache=True)
def _edge(kind, ctx, j, n, station, ranged, ta, tb, fa, fb, ga, gb, da, db, rho_a, rho_b, accel,
          speed, rv):  # pragma: no cover - compiled
    """The edge in the bracket [ta, tb] (inside knot interval j), where f changes sign: Newton
    on the sight function for a contact with a station without a maximum range
    (_refine_sight), else, or where that declines, Illinois (_refine)."""
    t = math.nan
    if kind == CONTACT and not (ranged and math.isfinite(station[7])):
        t = _refine_sight(ctx, j, n, station, ta, tb, ga, gb, da, db,
                          _curvature(tb - ta, rho_a, rho_b, station[8], accel, speed), rv)
    if math.isnan(t):
        t = _refine(kind, ctx, j, n, station, ranged, ta, tb, fa, fb, EDGE_TOLERANCE_S, rv)
    return t


@njit(cache=True)
def _search(kind, ctx, j, n, station, ranged, pair, fa, fb, ra, rb, resolution_s, edges, count,
            rv, stack, ga=math.nan, gb=math.nan, da=math.nan, db=math.nan, rho_a=math.nan,
            rho_b=math.nan, accel=math.nan, speed=math.nan):  # pragma: no cover - compiled
    """events.find_intervals on one candidate knot interval j; appends its edges. rv (6,) and
    stack (_STACK, 12) are work space, allocated once by the caller.

    For contacts, given the sight function at the ends (g, its rate d, the range rho) and the
    knot interval's bounds on |d''| (accel) and |d'| (speed): an interval the rate bound would
    split is left whole when the sight function's curvature bound (_sight_clear) shows it
    stays out of contact. Only intervals without a contact are left, and the search splits at
    the same midpoints, so it finds what the rate bound alone finds (the same brackets, hence
    the same edges), in fewer evaluations. Edges with a station without a maximum range are
    refined on the sight function (_refine_sight)."""
    t_knots = ctx[1]
    w0, w1 = t_knots[0], t_knots[-1]
    ta, tb = t_knots[j], t_knots[j + 1]
    stack[0] = ta, tb, fa, fb, ra, rb, ga, gb, da, db, rho_a, rho_b
    depth = 1
    while depth:
        depth -= 1
        ta, tb, fa, fb, ra, rb, ga, gb, da, db, rho_a, rho_b = stack[depth]
        bound = (fa + fb - RATE_SAFETY * max(ra, rb) * (tb - ta)) / 2
        if fa >= 0 and fb >= 0 and bound < 0 and tb - ta > resolution_s and depth + 2 <= _STACK:
            if _sight_clear(ta, tb, ga, gb, da, db, rho_a, rho_b, station[8], accel, speed):
                continue
            tm = (ta + tb) / 2
            fm, rm, gm, dm, rho_m = _value(kind, ctx, j, n, station, ranged, tm, rv)
            stack[depth] = tm, tb, fm, fb, rm, rb, gm, gb, dm, db, rho_m, rho_b
            stack[depth + 1] = ta, tm, fa, fm, ra, rm, ga, gm, da, dm, rho_a, rho_m
            depth += 2
            continue
        if ta == w0 and fa < 0:
            edges = _push(edges, count, pair, ta, 1.0, 1.0)
            count += 1
        if (fa >= 0) != (fb >= 0):
            t = _edge(kind, ctx, j, n, station, ranged, ta, tb, fa, fb, ga, gb, da, db, rho_a,
                      rho_b, accel, speed, rv)
            edges = _push(edges, count, pair, t, 1.0 if fa >= 0 else 0.0, 0.0)
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
def _interval_bounds(state, t_knots, n, ecef_speed, accel, speed):  # pragma: no cover - compiled
    """Bounds on satellite n's Earth-fixed acceleration |d''| (m/s^2) and speed |d'| (m/s) over
    each knot interval (what _sight_clear needs), given the Earth-fixed speed at the knots.

    The Hermite acceleration is linear in time, so its largest norm is at an end; inertial
    speed and radius grow at most by acceleration (speed) times half the interval from the
    nearer end; the rotating frame adds 2 w v + w^2 r to the acceleration and w r to the speed
    (w the Earth's rotation, with 0.1% to spare for the sidereal angle's own rate)."""
    w = 1.001 * EARTH_ROTATION_RAD_S
    for j in range(len(t_knots) - 1):
        h = t_knots[j + 1] - t_knots[j]
        a, b = state[j, n], state[j + 1, n]
        acc_a = acc_b = 0.0
        v_a = v_b = r_a = r_b = 0.0
        for k in range(3):
            chord = 6 * (b[k] - a[k])
            acc_a += ((chord - h * (4 * a[k + 3] + 2 * b[k + 3])) / (h * h)) ** 2
            acc_b += ((-chord + h * (2 * a[k + 3] + 4 * b[k + 3])) / (h * h)) ** 2
            v_a += a[k + 3] ** 2
            v_b += b[k + 3] ** 2
            r_a += a[k] ** 2
            r_b += b[k] ** 2
        inertial_accel = math.sqrt(max(acc_a, acc_b))
        v_max = math.sqrt(max(v_a, v_b)) + inertial_accel * h / 2
        r_max = math.sqrt(max(r_a, r_b)) + v_max * h / 2
        accel[j] = inertial_accel + 2 * w * v_max + w * w * r_max
        speed[j] = min(v_max + w * r_max,
                       max(ecef_speed[j], ecef_speed[j + 1]) + accel[j] * h / 2)


@njit(cache=True)
def contact_edges(ctx, stations, group, radius, el, ranged, resolution_s):  # pragma: no cover
    """Edges of every contact of every satellite with every station; pair = n * S + s.

    Candidates as before the kernels (a bound, not a search): a satellite-station pair's knot
    interval is searched only if the spherical-Earth reach angles at its ends (widened by how
    far the satellite can move in half an interval; per mask group g: station radius
    radius[g], lowered mask el[g]) leave room for the central angle to close. Neighbouring
    intervals share their knot's values. The knots come in blocks of SCAN_BLOCK_INTERVALS
    intervals, each within a cap around its middle knot (_block_caps): a station outside a
    block's cap (by the largest reach in it) is out of reach of all its intervals, so only the
    blocks whose cap holds a station are scanned interval by interval (the same candidates).
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
    cos_gm, sin_gm = np.empty(n_k), np.empty(n_k)
    for k in range(n_k):
        cos_gm[k], sin_gm[k] = math.cos(gm[k]), math.sin(gm[k])
    radius_cos = np.empty(n_g)
    for g in range(n_g):
        radius_cos[g] = radius[g] * math.cos(el[g])
    n_b = (n_k - 2) // SCAN_BLOCK_INTERVALS + 1
    centre = np.empty((n_b, 3))
    cos_cap = np.empty((n_g, n_b))
    u = np.empty((n_k, 3))
    reach = np.empty((n_g, n_k))
    cos_reach = np.empty((n_g, n_k))
    cos_psi = np.empty(n_k)
    ecef_speed = np.empty(n_k)
    fixed = np.empty((n_k, 6))
    accel = np.empty(n_k - 1)
    speed_max = np.empty(n_k - 1)
    rv = np.empty(6)
    stack = np.empty((_STACK, 12))
    edges = np.empty((1024, 4))
    count = 0
    w = EARTH_ROTATION_RAD_S
    for n in range(n_sat):
        for k in range(n_k):
            x, y, z = state[k, n, 0], state[k, n, 1], state[k, n, 2]
            c, s_ = cos_gm[k], sin_gm[k]
            ex, ey = c * x + s_ * y, -s_ * x + c * y
            vx = c * state[k, n, 3] + s_ * state[k, n, 4] + w * ey
            vy = -s_ * state[k, n, 3] + c * state[k, n, 4] - w * ex
            vz = state[k, n, 5]
            r_norm = math.sqrt(x * x + y * y + z * z)
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            radial = (abs(x * state[k, n, 3] + y * state[k, n, 4] + z * vz) / r_norm
                      + MU_EARTH_M3_S2 / r_norm**2 * h / 2)
            u[k] = ex / r_norm, ey / r_norm, z / r_norm
            ecef_speed[k] = speed
            fixed[k] = ex, ey, z, vx, vy, vz
            for g in range(n_g):
                xg = min(max(radius_cos[g] / r_norm, -1.0), 1.0)
                psi_max = math.acos(xg) - el[g]
                dpsi_dr = xg / (r_norm * math.sqrt(max(1.0 - xg**2, 1e-12)))
                reach[g, k] = psi_max + 1.1 * (speed / r_norm + dpsi_dr * radial) * h / 2
                cos_reach[g, k] = math.cos(min(reach[g, k], math.pi))
        # as _value reads a knot: from the interval after it (the last from the one before),
        # so a knot beside a missing one is missing too
        for k in range(n_k):
            other = k + 1 if k + 1 < n_k else k - 1
            for c in range(6):
                if other >= 0 and math.isnan(state[other, n, c]):
                    fixed[k] = math.nan
        _interval_bounds(state, t_knots, n, ecef_speed, accel, speed_max)
        _block_caps(u, reach, centre, cos_cap)
        for s in range(n_st):
            g = group[s]
            dx, dy, dz = st_dir[s, 0], st_dir[s, 1], st_dir[s, 2]
            pair = n * n_st + s
            known = -1
            a_ = (0.0, 0.0, 0.0, 0.0, 0.0)
            for b in range(n_b):
                if centre[b, 0] * dx + centre[b, 1] * dy + centre[b, 2] * dz <= cos_cap[g, b]:
                    continue
                j0 = b * SCAN_BLOCK_INTERVALS
                j1 = min(j0 + SCAN_BLOCK_INTERVALS, n_k - 1)
                for k in range(j0, j1 + 1):
                    cos_psi[k] = u[k, 0] * dx + u[k, 1] * dy + u[k, 2] * dz
                for j in range(j0, j1):
                    ca, cb = cos_psi[j], cos_psi[j + 1]
                    if not (ca > cos_reach[g, j] or cb > cos_reach[g, j + 1]):
                        continue
                    # the two-ends bound: psi_a + psi_b < reach_a + reach_b, without arccos
                    if not _within(ca, cb, reach[g, j] + reach[g, j + 1]):
                        continue
                    if known != j:
                        a_ = _knot_value(fixed, j, stations[s], ranged)
                    b_ = _knot_value(fixed, j + 1, stations[s], ranged)
                    if ((a_[0] < 0 and b_[0] < 0 and 0 < j < n_k - 2)
                            or _left_whole(t_knots[j], t_knots[j + 1], a_, b_, resolution_s,
                                           stations[s, 8], accel[j], speed_max[j])):
                        known, a_ = j + 1, b_
                        continue  # no edge: in contact throughout, or out of it (_search)
                    if (a_[0] >= 0) != (b_[0] >= 0) and 0 < j < n_k - 2:
                        # one edge: _search splits only intervals out of contact at both ends
                        t = _edge(CONTACT, ctx, j, n, stations[s], ranged, t_knots[j],
                                  t_knots[j + 1], a_[0], b_[0], a_[2], b_[2], a_[3], b_[3],
                                  a_[4], b_[4], accel[j], speed_max[j], rv)
                        edges = _push(edges, count, pair, t, 1.0 if a_[0] >= 0 else 0.0, 0.0)
                        count += 1
                    else:
                        edges, count = _search(CONTACT, ctx, j, n, stations[s], ranged, pair,
                                               a_[0], b_[0], a_[1], b_[1], resolution_s, edges,
                                               count, rv, stack, a_[2], b_[2], a_[3], b_[3],
                                               a_[4], b_[4], accel[j], speed_max[j])
                    known, a_ = j + 1, b_
    return edges[:count]


@njit(cache=True)
def _block_caps(u, reach, centre, cos_cap):  # pragma: no cover - compiled
    """The caps of contact_edges' scan blocks: per block b of SCAN_BLOCK_INTERVALS knot
    intervals, its middle knot's direction centre[b] (3,) and, per mask group g, the cosine of
    the cap's angle, the largest of (angle from the centre + reach) over the block's knots (the
    angle bounded above from the chord), widened by CAP_SLACK_RAD for rounding. A station is
    within reach at a knot of the block only if it is inside the cap (the triangle
    inequality). -2 (every station inside) where the cap comes near pi or a direction is
    missing (NaN): the block is then scanned whole."""
    n_k = u.shape[0]
    for b in range(centre.shape[0]):
        j0 = b * SCAN_BLOCK_INTERVALS
        k1 = min(j0 + SCAN_BLOCK_INTERVALS, n_k - 1)
        mid = (j0 + k1) // 2
        centre[b] = u[mid]
        for g in range(reach.shape[0]):
            cap = 0.0
            for k in range(j0, k1 + 1):
                chord = math.sqrt((u[k, 0] - u[mid, 0]) ** 2 + (u[k, 1] - u[mid, 1]) ** 2
                                  + (u[k, 2] - u[mid, 2]) ** 2)
                # the angle, 2 asin(chord / 2), is at most chord pi / 3 while chord <= 1
                cap = max(cap, (chord * (math.pi / 3) if chord <= 1.0 else math.pi) + reach[g, k])
                if not (cap == cap):
                    break
            cap += CAP_SLACK_RAD
            cos_cap[g, b] = math.cos(cap) if cap < math.pi - 1e-3 else -2.0


@njit(cache=True)
def _elevation_rates(ctx, n, station, t, rv):  # pragma: no cover - compiled
    """sin(elevation) q of satellite n from a station at t, and its first two time derivatives
    (1/s, 1/s^2), from the Hermite state, velocity and acceleration in the rotating frame.

    q |d| = d.up, so q' = (d'.up - q |d|') / |d| and q'' = (d''.up - |d|'' q - 2 |d|' q') / |d|
    with |d|' = d.d' / |d| and |d|'' = (d'.d' + d.d'' - |d|'^2) / |d|."""
    state, t_knots, gmst = ctx[0], ctx[1], ctx[2]
    j = _locate(t_knots, t)
    _state(state, t_knots, j, n, t, rv)
    h = t_knots[j + 1] - t_knots[j]
    s = (t - t_knots[j]) / h
    a, b = state[j, n], state[j + 1, n]
    acc_x = ((12 * s - 6) * (a[0] - b[0]) / h + (6 * s - 4) * a[3] + (6 * s - 2) * b[3]) / h
    acc_y = ((12 * s - 6) * (a[1] - b[1]) / h + (6 * s - 4) * a[4] + (6 * s - 2) * b[4]) / h
    acc_z = ((12 * s - 6) * (a[2] - b[2]) / h + (6 * s - 4) * a[5] + (6 * s - 2) * b[5]) / h
    theta = gmst[j] + s * np.mod(gmst[j + 1] - gmst[j], _TWO_PI)
    c, sn = math.cos(theta), math.sin(theta)
    w = EARTH_ROTATION_RAD_S
    ex, ey, ez = c * rv[0] + sn * rv[1], -sn * rv[0] + c * rv[1], rv[2]
    vp, vq = c * rv[3] + sn * rv[4], -sn * rv[3] + c * rv[4]
    vx, vy, vz = vp + w * ey, vq - w * ex, rv[5]
    ax = c * acc_x + sn * acc_y + w * vq + w * vy
    ay = -sn * acc_x + c * acc_y - w * vp - w * vx
    az = acc_z
    dx, dy, dz = ex - station[0], ey - station[1], ez - station[2]
    ux, uy, uz = station[3], station[4], station[5]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    q = (dx * ux + dy * uy + dz * uz) / rng
    rng_rate = (dx * vx + dy * vy + dz * vz) / rng
    q1 = ((vx * ux + vy * uy + vz * uz) - q * (dx * vx + dy * vy + dz * vz) / rng) / rng
    rng_acc = (vx * vx + vy * vy + vz * vz + dx * ax + dy * ay + dz * az - rng_rate**2) / rng
    q2 = ((ax * ux + ay * uy + az * uz) - rng_acc * q - 2 * rng_rate * q1) / rng
    return q, q1, q2


@njit(cache=True)
def _peak_time(ctx, n, station, ta, tb, qa, qb, da, db, rv):  # pragma: no cover - compiled
    """Where the rate q' of sin(elevation) changes sign in [ta, tb] (values qa > 0 > qb, slopes
    da, db there): Newton's method on q' with q'', from the root of the cubic through the ends'
    values and slopes, kept inside the bracket, until a step is below PEAK_TOLERANCE_S (the
    error left is of the order of that step squared over a second). Returns the time and q
    there (the last evaluation's Taylor series over the step)."""
    h = tb - ta
    t = ta + h * _cubic_root(qa, qb, da * h, db * h)
    for _ in range(60):
        q, q1, q2 = _elevation_rates(ctx, n, station, t, rv)
        if q1 > 0:
            ta = t
        else:
            tb = t
        t_new, step = _newton_in(t, -q1 / q2 if q2 != 0 else math.inf, ta, tb)
        if abs(step) < PEAK_TOLERANCE_S or tb - ta < PEAK_TOLERANCE_S:
            return t_new, q + step * (q1 + step * q2 / 2)
        t = t_new
    return t, _elevation_rates(ctx, n, station, t, rv)[0]


@njit(cache=True)
def contact_peaks(ctx, stations, pair, start_s, end_s):  # pragma: no cover - compiled
    """Peak elevation (rad) of each contact: where the elevation rate changes sign (_peak_time),
    else the higher end (the elevation is monotonic within the window)."""
    n_st = stations.shape[0]
    peak = np.empty(len(pair))
    rv = np.empty(6)
    for i in range(len(pair)):
        n, st = pair[i] // n_st, stations[pair[i] % n_st]
        a, b = start_s[i], end_s[i]
        qa, qa1, qa2 = _elevation_rates(ctx, n, st, a, rv)
        qb, qb1, qb2 = _elevation_rates(ctx, n, st, b, rv)
        if qa1 > 0 and qb1 < 0:
            q = _peak_time(ctx, n, st, a, b, qa1, qb1, qa2, qb2, rv)[1]
        else:
            q = qa if qa1 <= 0 else qb
        peak[i] = math.asin(q)
    return peak


@njit(cache=True)
def shadow_edges(ctx, resolution_s):  # pragma: no cover - compiled
    """Edges of the shadow (any part of the Sun hidden) and of the umbra of every satellite:
    (shadow edges, umbra edges), pair the satellite.

    Both functions and their rate bound at every knot, in one pass (the radial speed's
    allowance for gravity over half the longest knot interval); a knot interval is searched
    where they leave room for a crossing, unless it lies inside the shadow at both ends (and
    not at the window's edges), or where the satellite is lost (NaN) after a knot in shadow:
    it leaves it there. A cheaper test first (_shadow_side) finds the knots far out of the
    shadow or deep in the umbra: an interval with both ends far out, or both deep in, is one
    that test would leave unsearched, so its knots' functions are not evaluated.
    """
    state, t_knots, sun = ctx[0], ctx[1], ctx[3]
    n_k, n_sat = state.shape[0], state.shape[1]
    half_step = 0.0
    for k in range(n_k - 1):
        half_step = max(half_step, (t_knots[k + 1] - t_knots[k]) / 2)
    f = np.empty((2, n_k))
    rate = np.empty(n_k)
    cheap = np.empty((n_k, 5))
    side = np.empty(n_k, np.int64)
    skip = np.empty(n_k - 1, np.bool_)
    rv = np.empty(6)
    stack = np.empty((_STACK, 12))
    none = np.zeros(9)
    edges = [np.empty((1024, 4)), np.empty((1024, 4))]
    counts = [0, 0]
    for n in range(n_sat):
        for k in range(n_k):
            cheap[k] = _shadow_cheap(state[k, n], sun[k, 0], sun[k, 1], sun[k, 2], half_step)
        for k in range(n_k):
            top = cheap[k, 4]
            if k > 0:
                top = max(top, cheap[k - 1, 4])
            if k + 1 < n_k:
                top = max(top, cheap[k + 1, 4])
            side[k] = _shadow_side(cheap[k], top * RATE_SAFETY * half_step)
        for j in range(n_k - 1):
            skip[j] = side[j] == side[j + 1] and (side[j] == 1 or (side[j] == -1
                                                                   and 0 < j < n_k - 2))
        for k in range(n_k):
            if (k > 0 and not skip[k - 1]) or (k + 1 < n_k and not skip[k]):
                f[0, k], f[1, k], rate[k] = _shadow_both(state[k, n], sun[k, 0], sun[k, 1],
                                                         sun[k, 2], half_step)
        for i, kind in ((0, SHADOW), (1, UMBRA)):
            for j in range(n_k - 1):
                if skip[j]:
                    continue
                fa, fb = f[i, j], f[i, j + 1]
                bound = (fa + fb - RATE_SAFETY * max(rate[j], rate[j + 1])
                         * (t_knots[j + 1] - t_knots[j])) / 2
                inside = fa < 0 and fb < 0 and 0 < j < n_k - 2
                lost = fa < 0 and math.isnan(fb)
                if not ((bound < 0 and not inside) or lost):
                    continue
                fa = math.inf if math.isnan(fa) else fa
                fb = math.inf if math.isnan(fb) else fb
                if (fa >= 0) != (fb >= 0) and 0 < j < n_k - 2:
                    # one edge: _search splits only intervals out of the shadow at both ends
                    t = _edge(kind, ctx, j, n, none, False, t_knots[j], t_knots[j + 1], fa, fb,
                              math.nan, math.nan, math.nan, math.nan, math.nan, math.nan,
                              math.nan, math.nan, rv)
                    edges[i] = _push(edges[i], counts[i], n, t, 1.0 if fa >= 0 else 0.0, 0.0)
                    counts[i] += 1
                    continue
                edges[i], counts[i] = _search(
                    kind, ctx, j, n, none, False, n, fa, fb,
                    0.0 if math.isnan(rate[j]) else rate[j],
                    0.0 if math.isnan(rate[j + 1]) else rate[j + 1],
                    resolution_s, edges[i], counts[i], rv, stack)
    return edges[0][:counts[0]], edges[1][:counts[1]]


@njit(cache=True)
def _shadow_cheap(rv, sx, sy, sz, half_step_s):  # pragma: no cover - compiled
    """What _shadow_side needs of one state and Sun, without inverse trigonometry: the cosine
    of the Sun-Earth separation, the sine and cosine of the Earth's apparent radius, the Sun's
    apparent radius' sine (rad, at most the radius) and a bound above on _shadow_both's rate
    (rad/s; tan from sin and cos, rounded up)."""
    x, y, z = rv[0], rv[1], rv[2]
    dx, dy, dz = sx - x, sy - y, sz - z
    r_norm = math.sqrt(x * x + y * y + z * z)
    sun_norm = math.sqrt(dx * dx + dy * dy + dz * dz)
    cos_sep = -(x * dx + y * dy + z * dz) / (r_norm * sun_norm)
    sin_earth = min(EARTH_RADIUS_M / r_norm, 1.0)
    cos_earth = math.sqrt(max(1.0 - sin_earth * sin_earth, 0.0))
    radial = (abs(x * rv[3] + y * rv[4] + z * rv[5]) / r_norm
              + MU_EARTH_M3_S2 / r_norm**2 * half_step_s)
    speed = math.sqrt(rv[3] ** 2 + rv[4] ** 2 + rv[5] ** 2)
    tan_earth = sin_earth / cos_earth if cos_earth > 0 else math.inf  # inf: inside the Earth
    rate = ((speed + tan_earth * radial) / r_norm + 1e-6) * (1 + 1e-9)
    return cos_sep, sin_earth, cos_earth, SUN_RADIUS_M / sun_norm, rate


@njit(cache=True)
def _shadow_side(cheap, margin):  # pragma: no cover - compiled
    """1 where the shadow function (_shadow_both) is certainly above margin (rad), -1 where the
    umbra function is certainly below zero, else 0 (and where anything is NaN), from
    _shadow_cheap's values: the separation is above earth + a exactly when its cosine is
    below cos(earth + a) >= cos(earth) (1 - a^2 / 2) - sin(earth) a (a < pi / 2), and below
    earth - sun exactly when its cosine is above cos(earth - sun) <= cos(earth) + sin(earth)
    sun. The Sun's radius is asin(x) for x = its sine ~5e-3, within x (1 + 1e-5); 1e-9 rad
    and 1e-12 stand far above the rounding of either side."""
    cos_sep, sin_earth, cos_earth, sun_sin, _ = cheap
    a = sun_sin * (1 + 1e-5) + margin + 1e-9
    if a < math.pi / 2 and cos_sep < cos_earth * (1 - a * a / 2) - sin_earth * a - 1e-12:
        return 1
    if cos_sep > cos_earth + sin_earth * sun_sin + 1e-9:
        return -1
    return 0
