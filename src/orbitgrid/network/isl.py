"""One constellation's inter-satellite links: set-up for a run, then usable links at each step.

The one place where an `isl:` block becomes links: the network stage (routes, links tables) and
the sensing model (alert relays) both take their ISLs from here. Plus-grid edges are fixed for
the run (from planes x per_plane, or from the elements at the first step); nearest and in-range
edges are found at each step (isl_edges), or for a whole block of steps at once
(isl_edges_block: the same edges, lengths and capacities, step after step). Every edge must
then clear the Earth by margin_m, lie within max_range_m, avoid the cross-plane latitude cut
and close the optical link budget; terminals caps the links per satellite, shortest first.

Indices are rows of the position arrays given (the fleet, or one constellation's members);
positions are metres in any Earth-centred frame (every test is invariant under rotation about z).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitgrid.constants import EARTH_RADIUS_M
from orbitgrid.network.graph import edge_geometry
from orbitgrid.network.links import IslConfig, optical_isl_rate_bps
from orbitgrid.network.topology import (
    in_range,
    in_range_block,
    infer_planes,
    limit_terminals,
    line_of_sight,
    nearest,
    nearest_block,
    plus_grid,
    plus_grid_from_elements,
)

__all__ = [
    "BlockIsls",
    "IslLayout",
    "design_grid",
    "elements_from_state",
    "fixed_isls",
    "isl_edges",
    "isl_edges_block",
    "isl_layout",
]

IntArray = NDArray[np.int64]


def elements_from_state(r: np.ndarray, v: np.ndarray):
    """RAAN, inclination and argument of latitude (rad) from inertial r, v (..., 3)."""
    h = np.cross(r, v)
    raan = np.arctan2(h[..., 0], -h[..., 1])
    inc = np.arctan2(np.hypot(h[..., 0], h[..., 1]), h[..., 2])
    node = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=-1)
    along = np.cross(h / np.linalg.norm(h, axis=-1, keepdims=True), node)
    u = np.arctan2(np.einsum("...i,...i->...", r, along), np.einsum("...i,...i->...", r, node))
    return raan, inc, np.mod(u, 2 * np.pi)


@dataclass(frozen=True)
class IslLayout:
    """A constellation's ISL set-up for a run.

    members: its satellites, as rows of the positions given later (n_nodes rows in all);
    edges: (E, 2) fixed for the run (plus-grid), None when found at each step;
    plane: plane label per row (members only meaningful), None when no rule needs one.
    """

    config: IslConfig
    members: IntArray
    n_nodes: int
    edges: IntArray | None = None
    plane: IntArray | None = None

    @property
    def needs_elements(self) -> bool:
        """Whether plane labels (and plus-grid edges) are still to infer from the elements."""
        cfg = self.config
        return self.plane is None and (
            cfg.topology == "plus-grid" or cfg.max_cross_plane_lat_deg is not None
        )

    def from_elements(self, r_m: np.ndarray, v_m_s: np.ndarray, a_m: np.ndarray) -> IslLayout:
        """This layout with planes (and plus-grid edges, when not yet known) inferred from the
        members' inertial states r_m, v_m_s (members, 3) and semi-major axes a_m (members,)."""
        raan, inc, u = elements_from_state(r_m, v_m_s)
        label = infer_planes(raan, inc, a_m)
        plane = np.zeros(self.n_nodes, dtype=np.int64)
        plane[self.members] = label
        edges = self.edges
        if self.config.topology == "plus-grid" and edges is None:
            edges = self.members[plus_grid_from_elements(label, u)]
        return replace(self, edges=edges, plane=plane)


def design_grid(
    config: IslConfig, design: Any = None, satellites: int | None = None
) -> tuple[int, int] | None:
    """(planes, per_plane) of a plus-grid: the isl block's, else the constellation design's
    (walker or sun_synchronous); None for other topologies, when neither says, or when
    satellites is given and planes x per_plane is not that many (planes then come from the
    elements)."""
    if config.topology != "plus-grid":
        return None
    if config.planes is not None and config.per_plane is not None:
        grid = config.planes, config.per_plane
    elif design is not None:
        grid = design.planes, design.satellites // design.planes
    else:
        return None
    if satellites is not None and grid[0] * grid[1] != satellites:
        return None
    return grid


def isl_layout(
    config: IslConfig, members: IntArray, n_nodes: int, grid: tuple[int, int] | None = None
) -> IslLayout:
    """The set-up known before the run: with grid = (planes, per_plane), planes x per_plane =
    len(members), a plus-grid's edges and planes (satellite = plane * per_plane + slot)."""
    members = np.asarray(members, dtype=np.int64)
    if grid is None or config.topology != "plus-grid":
        return IslLayout(config, members, n_nodes)
    planes, per_plane = grid
    plane = np.zeros(n_nodes, dtype=np.int64)
    plane[members] = np.arange(len(members)) // per_plane
    return IslLayout(config, members, n_nodes, members[plus_grid(planes, per_plane)], plane)


def _usable(layout: IslLayout, r_m, edges, length, clear, step=None) -> np.ndarray:
    """Range, Earth line of sight with margin (clear) and the cross-plane latitude cut; step:
    each edge's row of r_m (steps, n_nodes, 3) when the edges are a block's, flat."""
    cfg = layout.config
    up = clear & np.isfinite(length)
    if cfg.max_range_m is not None:
        up &= length <= cfg.max_range_m
    if cfg.max_cross_plane_lat_deg is not None:
        e0, e1 = edges[:, 0], edges[:, 1]
        cross = layout.plane[e0] != layout.plane[e1]
        sin_lat = np.abs(r_m[..., 2]) / np.linalg.norm(r_m, axis=-1)
        high = sin_lat > np.sin(np.radians(cfg.max_cross_plane_lat_deg))
        if step is None:
            up &= ~(cross & (high[..., e0] | high[..., e1]))
        else:
            up &= ~(cross & (high[step, e0] | high[step, e1]))
    return up


def fixed_isls(layout: IslLayout, r_m: np.ndarray, capacity: bool = True):
    """A fixed layout's edges over a block, r_m (T, n_nodes, 3) m: usable mask, length m and
    capacity bit/s, each (T, E) (length and capacity meaningful where usable). capacity=False:
    capacity None, for the routes alone, which need only whether each link's budget closes."""
    cfg, edges = layout.config, layout.edges
    length, clear = edge_geometry(r_m, edges, EARTH_RADIUS_M + cfg.margin_m)
    up = _usable(layout, r_m, edges, length, clear)
    if capacity or not _budget_closes(np.max(length, where=up, initial=0.0), cfg.terminal):
        rate = optical_isl_rate_bps(length, cfg.terminal)
        up &= rate > 0
    degree = np.bincount(edges.ravel(), minlength=1).max()
    if cfg.terminals is not None and cfg.terminals < degree:  # else no satellite is over
        for k in range(len(up)):
            on = np.flatnonzero(up[k])
            kept = limit_terminals(edges[on], length[k, on], cfg.terminals, layout.n_nodes)
            up[k, on[~kept]] = False
    return up, length, rate if capacity else None


def _budget_closes(longest_m: float, terminal) -> bool:
    """Whether every link up to longest_m m closes the optical budget, from the longest alone:
    the rate falls with range, and one clearing min_rate_bps by a margin far above rounding
    (1 ppm and 1 bit/s) leaves every shorter link's computed rate above it too."""
    rate = float(optical_isl_rate_bps(longest_m, terminal))
    return rate >= terminal.min_rate_bps * (1 + 1e-6) + 1.0


def isl_edges(layout: IslLayout, r_m: np.ndarray) -> tuple[IntArray, np.ndarray, np.ndarray]:
    """Usable ISLs at one step, r_m (n_nodes, 3) m: edges (E, 2), length m, capacity bit/s."""
    if layout.edges is not None:
        up, length, capacity = fixed_isls(layout, r_m[None])
        on = up[0]
        return layout.edges[on], length[0, on], capacity[0, on]
    cfg, m = layout.config, layout.members
    p = r_m[m]
    local = np.flatnonzero(np.isfinite(p).all(axis=1))
    if cfg.topology == "nearest":
        e = nearest(p[local], cfg.nearest)
    else:
        e = in_range(p[local], cfg.max_range_m)
    e = m[local[e]] if len(e) else np.zeros((0, 2), np.int64)
    a, b = r_m[e[:, 0]], r_m[e[:, 1]]
    length = np.linalg.norm(b - a, axis=-1)
    up = _usable(layout, r_m, e, length, line_of_sight(a, b, cfg.margin_m))
    capacity = optical_isl_rate_bps(length, cfg.terminal)
    up &= capacity > 0
    e, length, capacity = e[up], length[up], capacity[up]
    if cfg.terminals is not None:
        kept = limit_terminals(e, length, cfg.terminals, layout.n_nodes)
        e, length, capacity = e[kept], length[kept], capacity[kept]
    return e, length, capacity


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class BlockIsls:
    """One layout's usable ISLs over a block of steps, step after step, each step's as
    isl_edges gives them: step (M,) index in the block, edges (M, 2), length_m (M,) m,
    capacity_bps (M,) bit/s; offsets (steps + 1,): step k's rows are offsets[k]:offsets[k + 1]."""

    step: IntArray
    edges: IntArray
    length_m: np.ndarray
    capacity_bps: np.ndarray
    offsets: IntArray


def isl_edges_block(layout: IslLayout, r_m: np.ndarray) -> BlockIsls:
    """isl_edges at every step of r_m (steps, n_nodes, 3) m, vectorised over the block."""
    n_steps = len(r_m)
    if layout.edges is not None:
        up, length, capacity = fixed_isls(layout, r_m)
        step, j = np.nonzero(up)
        return _block_isls(n_steps, step, layout.edges[j], length[step, j], capacity[step, j])
    cfg, m = layout.config, layout.members
    p = r_m[:, m]
    if cfg.topology == "nearest":
        step, e = nearest_block(p, cfg.nearest)
    else:
        step, e = in_range_block(p, cfg.max_range_m)
    e = m[e]
    a, b = r_m[step, e[:, 0]], r_m[step, e[:, 1]]
    length = np.linalg.norm(b - a, axis=-1)
    up = _usable(layout, r_m, e, length, line_of_sight(a, b, cfg.margin_m), step)
    capacity = optical_isl_rate_bps(length, cfg.terminal)
    up &= capacity > 0
    step, e, length, capacity = step[up], e[up], length[up], capacity[up]
    if cfg.terminals is not None:
        offsets = np.searchsorted(step, np.arange(n_steps + 1))
        kept = np.ones(len(step), dtype=bool)
        for k in range(n_steps):
            s = slice(offsets[k], offsets[k + 1])
            kept[s] = limit_terminals(e[s], length[s], cfg.terminals, layout.n_nodes)
        step, e, length, capacity = step[kept], e[kept], length[kept], capacity[kept]
    return _block_isls(n_steps, step, e, length, capacity)


def _block_isls(n_steps: int, step, edges, length, capacity) -> BlockIsls:
    step = np.asarray(step, dtype=np.int64)
    offsets = np.searchsorted(step, np.arange(n_steps + 1))
    return BlockIsls(step, edges.reshape(-1, 2), length, capacity, offsets)
