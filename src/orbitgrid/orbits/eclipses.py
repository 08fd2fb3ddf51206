"""Eclipses: umbra and penumbra intervals of every satellite from a conical Earth shadow."""

from __future__ import annotations

import numpy as np

from orbitgrid.orbits.event_kernels import search_context, shadow_edges
from orbitgrid.orbits.events import Intervals, stitch
from orbitgrid.orbits.trajectory import Trajectory

UMBRA, PENUMBRA = "umbra", "penumbra"


def shadow_intervals(traj: Trajectory, resolution_s: float = 2.0) -> tuple[Intervals, Intervals]:
    """Intervals in the shadow (any part of the Sun hidden) and in umbra, per satellite index.

    One compiled pass (event_kernels.shadow_edges): both functions and their rate bound at
    every knot, the knot intervals where they leave room for a crossing, and the search.
    """
    shadow, umbra = shadow_edges(search_context(traj), float(resolution_s))
    return Intervals.from_edges(shadow), Intervals.from_edges(umbra)


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

