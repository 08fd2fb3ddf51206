"""Eclipses: umbra and penumbra intervals of every satellite from a conical Earth shadow."""

from __future__ import annotations

import numpy as np

from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.orbits.event_kernels import SHADOW, search_context, shadow_edges
from orbitgrid.orbits.event_kernels import UMBRA as UMBRA_KIND
from orbitgrid.orbits.events import RATE_SAFETY, Intervals, stitch
from orbitgrid.orbits.sun import shadow_geometry, sun_position_m
from orbitgrid.orbits.timescale import days_since_j2000
from orbitgrid.orbits.trajectory import Trajectory

UMBRA, PENUMBRA = "umbra", "penumbra"


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


def shadow_intervals(traj: Trajectory, resolution_s: float = 2.0) -> tuple[Intervals, Intervals]:
    """Intervals in the shadow (any part of the Sun hidden) and in umbra, per satellite index."""
    sun_knots = sun_position_m(days_since_j2000(traj.epoch, traj.t_s))
    h = np.diff(traj.t_s)[:, None]
    shadow_k, umbra_k, rate_k = _shadow_functions(
        traj.r, traj.v, sun_knots[:, None, :], h.max() / 2
    )
    edge = np.zeros((len(h), 1), bool)
    edge[[0, -1]] = True
    ctx = search_context(traj)
    results = []
    for kind, f in ((SHADOW, shadow_k), (UMBRA_KIND, umbra_k)):
        rate = np.maximum(rate_k[:-1], rate_k[1:])
        bound = (f[:-1] + f[1:] - RATE_SAFETY * rate * h) / 2
        # intervals inside the shadow at both ends need no search, but at the window's edges
        inside = (f[:-1] < 0) & (f[1:] < 0) & ~edge
        # a satellite lost while in shadow (NaN after) leaves it there
        lost = (f[:-1] < 0) & np.isnan(f[1:])
        j, sat = np.nonzero(((bound < 0) & ~inside) | lost)
        edges = shadow_edges(kind, ctx, sat.astype(np.int64), j, f[j, sat], f[j + 1, sat],
                             rate_k[j, sat], rate_k[j + 1, sat], float(resolution_s))
        results.append(Intervals.from_edges(edges))
    return results[0], results[1]


def eclipse_table(shadow: list[Intervals], umbra: list[Intervals]) -> dict[str, np.ndarray]:
    """Stitch per-chunk intervals and split the shadow into umbra and penumbra pieces.

    Returns columns satellite (index), kind, start_s, end_s, sorted by satellite then start.
    """
    s_sat, s_start, s_end, _ = stitch(shadow)
    u_sat, u_start, u_end, _ = stitch(umbra)
    # Sweep the boundaries of both sets in time order; penumbra is "in shadow, not in umbra".
    sat = np.concatenate([s_sat, s_sat, u_sat, u_sat])
    t = np.concatenate([s_start, s_end, u_start, u_end])
    d_shadow = np.concatenate([np.ones_like(s_start), -np.ones_like(s_end), 0 * u_start, 0 * u_end])
    d_umbra = np.concatenate([0 * s_start, 0 * s_end, np.ones_like(u_start), -np.ones_like(u_end)])
    order = np.lexsort((t, sat))
    sat, t = sat[order], t[order]
    in_shadow = np.cumsum(d_shadow[order])
    in_umbra = np.cumsum(d_umbra[order])
    nxt = np.arange(1, len(t))
    penumbra = (
        (sat[:-1] == sat[1:]) & (in_shadow[:-1] > 0) & (in_umbra[:-1] == 0) & (t[1:] > t[:-1])
    )
    p_idx = nxt[penumbra] - 1
    kinds = np.array([UMBRA] * len(u_sat) + [PENUMBRA] * len(p_idx), dtype=object)
    out_sat = np.concatenate([u_sat, sat[p_idx]])
    start = np.concatenate([u_start, t[p_idx]])
    end = np.concatenate([u_end, t[p_idx + 1]])
    order = np.lexsort((start, out_sat))
    return {
        "satellite": out_sat[order],
        "kind": kinds[order],
        "start_s": start[order],
        "end_s": end[order],
    }

