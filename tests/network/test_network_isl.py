"""network.isl: the ISL set-up and per-step links the network stage and sensing share, checked
against closed-form Walker geometry and the topology module's separate filters."""

import numpy as np
import pytest

from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.network.isl import (
    IslLayout,
    design_grid,
    fixed_isls,
    isl_edges,
    isl_edges_block,
    isl_layout,
)
from orbitgrid.network.links import IslConfig, OpticalTerminal, optical_isl_rate_bps
from orbitgrid.network.topology import edge_lengths, filter_edges, nearest, plus_grid
from orbitgrid.scenario import Walker

H = 550e3
PLANES, PER_PLANE = 12, 12


def _velocities(raan, u, inc):
    """Circular-orbit ECI velocities (m/s) at the same elements as conftest's walker."""
    speed = np.sqrt(MU_EARTH_M3_S2 / (EARTH_RADIUS_M + H))
    return speed * np.stack(
        [
            -np.cos(raan) * np.sin(u) - np.sin(raan) * np.cos(u) * np.cos(inc),
            -np.sin(raan) * np.sin(u) + np.cos(raan) * np.cos(u) * np.cos(inc),
            np.cos(u) * np.sin(inc),
        ],
        axis=1,
    )


def _rotated(pos, angle_rad):
    """Positions turned by angle_rad about z: a new step for the block test, every coordinate
    changed while the ISL rules (all invariant under that turn) keep their answers checkable."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return pos @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def test_plus_grid_links_match_the_separate_filters_and_the_chord(walker):
    pos, *_ = walker(PLANES, PER_PLANE, H, 53.0)
    n = len(pos)
    cfg = IslConfig(topology="plus-grid", max_range_km=5016, max_cross_plane_lat_deg=40)
    grid = design_grid(cfg)
    assert grid is None  # neither the isl block nor a design gives the grid here
    layout = isl_layout(cfg, np.arange(n), n, (PLANES, PER_PLANE))
    e, length, capacity = isl_edges(layout, pos)
    all_edges = plus_grid(PLANES, PER_PLANE)
    plane = np.arange(n) // PER_PLANE
    keep = filter_edges(pos, all_edges, 5016e3, 80e3, 40, plane)
    keep &= optical_isl_rate_bps(edge_lengths(pos, all_edges), cfg.terminal) > 0
    np.testing.assert_array_equal(e, all_edges[keep])
    np.testing.assert_allclose(length, edge_lengths(pos, e), rtol=1e-12)
    np.testing.assert_allclose(capacity, optical_isl_rate_bps(length, cfg.terminal), rtol=1e-12)
    # in-plane neighbours are a chord 2 r sin(pi / per_plane) apart, and none is ever cut
    in_plane = plane[e[:, 0]] == plane[e[:, 1]]
    assert in_plane.sum() == n
    chord = 2 * (EARTH_RADIUS_M + H) * np.sin(np.pi / PER_PLANE)
    np.testing.assert_allclose(length[in_plane], chord, rtol=1e-9)
    assert 0 < (~in_plane).sum() < n  # the latitude cut removed some cross-plane links


def test_a_block_gives_the_links_of_its_steps(walker):
    pos, *_ = walker(PLANES, PER_PLANE, H, 53.0, phase_f=1)
    n = len(pos)
    pos[5] = np.nan  # a satellite lost to an SGP4 error: none of its links is usable
    cfg = IslConfig(topology="plus-grid", max_range_km=3000, terminals=3)
    layout = isl_layout(cfg, np.arange(n), n, (PLANES, PER_PLANE))
    block = np.stack([_rotated(pos, a) for a in (0.0, 0.7, 2.1)])
    up, length, capacity = fixed_isls(layout, block)
    for k in range(len(block)):
        e, ln, cp = isl_edges(layout, block[k])
        np.testing.assert_array_equal(e, layout.edges[up[k]])
        np.testing.assert_array_equal(ln, length[k, up[k]])
        np.testing.assert_array_equal(cp, capacity[k, up[k]])
        assert 5 not in e
        assert np.bincount(e.ravel(), minlength=n).max() <= 3


def test_the_routes_budget_check_keeps_the_links_of_the_full_budget(walker):
    """fixed_isls(capacity=False) checks the budget at the longest usable link alone: the same
    usable links as rate > 0 at every link, whether every link closes (the default terminal) or
    min_rate_bps drops the longer ones (then every link is evaluated)."""
    pos, *_ = walker(PLANES, PER_PLANE, H, 53.0, phase_f=1)
    n = len(pos)
    block = np.stack([_rotated(pos, a) for a in (0.0, 0.7, 2.1)])
    in_plane = 2 * (EARTH_RADIUS_M + H) * np.sin(np.pi / PER_PLANE)  # cross-plane: shorter
    unsaturated = {"channel_rate_bps": 1e15}  # the rate falls with range at every length here
    cut = float(optical_isl_rate_bps(0.9 * in_plane, OpticalTerminal(**unsaturated)))
    for terminal, dropped in (
        (OpticalTerminal(), False),
        (OpticalTerminal(**unsaturated, min_rate_bps=cut), True),
    ):
        cfg = IslConfig(topology="plus-grid", max_range_km=5016, terminal=terminal)
        layout = isl_layout(cfg, np.arange(n), n, (PLANES, PER_PLANE))
        up, length, capacity = fixed_isls(layout, block)
        fast, fast_length, none = fixed_isls(layout, block, capacity=False)
        assert none is None
        np.testing.assert_array_equal(fast, up)
        np.testing.assert_array_equal(fast_length, length)
        assert (length[up] <= 0.9 * in_plane).all() if dropped else up.all()
        assert up.any() and (not dropped or not up.all())


def test_planes_and_plus_grid_from_the_elements_recover_the_design(walker):
    pos, raan, u, inc = walker(PLANES, PER_PLANE, H, 53.0)
    n = len(pos)
    cfg = IslConfig(topology="plus-grid")
    layout = isl_layout(cfg, np.arange(n), n)
    assert layout.needs_elements and layout.edges is None
    found = layout.from_elements(pos, _velocities(raan, u, inc), np.full(n, EARTH_RADIUS_M + H))
    assert not found.needs_elements
    np.testing.assert_array_equal(found.plane, np.arange(n) // PER_PLANE)
    np.testing.assert_array_equal(found.edges, plus_grid(PLANES, PER_PLANE))


def test_indices_are_rows_of_the_positions_given(walker):
    """A constellation that is rows 6..29 of a larger array: edges name those rows only."""
    pos, raan, u, inc = walker(8, 12, H, 53.0)
    members = np.arange(6, 30)
    cfg = IslConfig(topology="nearest", nearest=3, max_cross_plane_lat_deg=30)
    layout = isl_layout(cfg, members, len(pos))
    layout = layout.from_elements(
        pos[members], _velocities(raan, u, inc)[members], np.full(len(members), EARTH_RADIUS_M + H)
    )
    np.testing.assert_array_equal(layout.plane[members], np.arange(6, 30) // 12)
    e, length, _ = isl_edges(layout, pos)
    assert len(e) and set(e.ravel()) <= set(members)
    expected = members[nearest(pos[members], 3)]
    assert {tuple(x) for x in e} <= {tuple(x) for x in expected}
    np.testing.assert_allclose(length, edge_lengths(pos, e), rtol=1e-12)
    cross = layout.plane[e[:, 0]] != layout.plane[e[:, 1]]
    lat_deg = np.degrees(np.arcsin(np.abs(pos[:, 2]) / np.linalg.norm(pos, axis=1)))
    assert cross.any() and (lat_deg[e[cross]] <= 30).all()


def test_terminals_cap_a_fixed_satellite_with_more_than_four_links():
    """Plus-grids inferred from the elements can give a satellite five links or more: with four
    terminals the longest goes, shortest first (the greedy rule of limit_terminals)."""
    r = EARTH_RADIUS_M + H
    offsets_m = np.array([100e3, 200e3, 300e3, 400e3, 500e3])
    hub = np.array([r, 0.0, 0.0])
    spokes = np.array([[r, d, 0.0] if k % 2 else [r, 0.0, d] for k, d in enumerate(offsets_m)])
    pos = np.vstack([hub, spokes])
    edges = np.array([[0, k] for k in range(1, 6)])
    for terminals, kept in ((4, [1, 2, 3, 4]), (5, [1, 2, 3, 4, 5]), (None, [1, 2, 3, 4, 5])):
        cfg = IslConfig(topology="plus-grid", terminals=terminals)
        layout = IslLayout(cfg, np.arange(6), 6, edges, np.zeros(6, np.int64))
        e, _, _ = isl_edges(layout, pos)
        np.testing.assert_array_equal(e[:, 1], kept)


WALKER = Walker(satellites=72, planes=6, phasing=1, altitude_km=550, inclination_deg=53)


@pytest.mark.parametrize(
    ("cfg", "design", "grid"),
    [
        (IslConfig(topology="plus-grid", planes=4, per_plane=3), None, (4, 3)),
        (IslConfig(topology="plus-grid", planes=4, per_plane=3), WALKER, (4, 3)),
        (IslConfig(topology="plus-grid"), WALKER, (6, 12)),
        (IslConfig(topology="plus-grid"), None, None),
        (IslConfig(topology="nearest", nearest=2), WALKER, None),
    ],
)
def test_design_grid_prefers_the_isl_block(cfg, design, grid):
    assert design_grid(cfg, design) == grid


def test_design_grid_that_does_not_hold_the_satellites_is_none():
    cfg = IslConfig(topology="plus-grid")
    assert design_grid(cfg, WALKER, 72) == (6, 12)
    assert design_grid(cfg, WALKER, 70) is None  # planes then come from the elements


BLOCK_SCENARIO = """
name: isl-block
epoch: 2026-05-13T00:00:00Z
duration: 3h
step: 60s
constellations:
  - name: shell
    walker: {satellites: 72, planes: 6, phasing: 1, altitude_km: 550, inclination_deg: 53}
    isl: {topology: plus-grid, max_range_km: 5016, max_cross_plane_lat_deg: 50, terminals: 3}
  - name: imagers
    sun_synchronous: {satellites: 12, planes: 1, altitude_km: 500, ltan: "10:30"}
    isl: {topology: nearest, nearest: 2}
  - name: mesh
    walker: {satellites: 40, planes: 5, phasing: 1, altitude_km: 700, inclination_deg: 70}
    isl: {topology: nearest, nearest: 4, terminals: 3, max_cross_plane_lat_deg: 60}
  - name: cluster
    formation: {satellites: 9, radius_m: 300, altitude_km: 650, ltan: "18:00"}
    isl: {topology: in-range, max_range_km: 0.5}
  - name: ring
    walker: {satellites: 30, planes: 3, phasing: 1, altitude_km: 1200, inclination_deg: 80}
    isl: {topology: in-range, max_range_km: 4000, margin_km: 300}
"""


def test_a_blocks_links_are_those_of_each_step_on_sgp4_states():
    """isl_edges_block over a block of real SGP4 states (satellites lost to SGP4 errors at
    some steps) against isl_edges, the per-step path it replaced, step by step: the same
    edges in the same order, lengths and capacities to the bit."""
    import yaml

    from orbitgrid.pipeline import build_world
    from orbitgrid.scenario import validate_scenario

    sc = validate_scenario(yaml.safe_load(BLOCK_SCENARIO))
    world = build_world(sc)
    t = np.arange(0.0, sc.duration + 1.0, sc.step)
    r = world.fleet.propagate(sc.epoch64, t).r
    rng = np.random.default_rng(7)
    r[rng.random(r.shape[:2]) < 0.03] = np.nan  # gone satellites
    seen = {}
    for layout in world.isl:
        block = isl_edges_block(layout, r)
        assert np.array_equal(block.offsets, np.searchsorted(block.step, np.arange(len(t) + 1)))
        for k in range(len(t)):
            e, length, capacity = isl_edges(layout, r[k])
            at = slice(block.offsets[k], block.offsets[k + 1])
            np.testing.assert_array_equal(block.edges[at], e)
            np.testing.assert_array_equal(block.length_m[at], length)
            np.testing.assert_array_equal(block.capacity_bps[at], capacity)
        seen[layout.config.topology, layout.config.terminals] = len(block.step)
    assert min(seen.values()) > 0 and len(seen) == 4  # every kind of layout found links
