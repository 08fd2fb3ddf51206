"""ISL topologies and per-step filters on real circular-orbit geometry, checked in closed form."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orbitgrid.network.topology as topology
from orbitgrid.constants import EARTH_RADIUS_M
from orbitgrid.network.topology import (
    _canonical,
    edge_lengths,
    filter_edges,
    ground_links,
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

R = EARTH_RADIUS_M
H = 550e3


def central_angle(raan1, u1, raan2, u2, inc):
    """Angle between two circular-orbit satellites of equal inclination, from their elements."""

    def unit(raan, u):
        return np.stack(
            [
                np.cos(raan) * np.cos(u) - np.sin(raan) * np.sin(u) * np.cos(inc),
                np.sin(raan) * np.cos(u) + np.cos(raan) * np.sin(u) * np.cos(inc),
                np.sin(u) * np.sin(inc),
            ],
            axis=-1,
        )

    return np.arccos(np.clip(np.sum(unit(raan1, u1) * unit(raan2, u2), axis=-1), -1, 1))


def test_plus_grid_6x6_neighbours():
    e = plus_grid(6, 6)
    assert e.shape == (72, 2)
    deg = np.bincount(e.ravel(), minlength=36)
    assert np.all(deg == 4)
    pairs = {tuple(x) for x in e.tolist()}
    for p in range(6):
        for s in range(6):
            i = p * 6 + s
            expect = {
                p * 6 + (s + 1) % 6,
                p * 6 + (s - 1) % 6,
                ((p + 1) % 6) * 6 + s,
                ((p - 1) % 6) * 6 + s,
            }
            got = {b if a == i else a for a, b in pairs if i in (a, b)}
            assert got == expect


def test_plus_grid_open_seam_and_small_rings():
    e = plus_grid(6, 6, wrap_planes=False)
    deg = np.bincount(e.ravel(), minlength=36)
    assert np.all(deg[:6] == 3) and np.all(deg[-6:] == 3) and np.all(deg[6:-6] == 4)
    assert len(plus_grid(2, 2)) == 4  # duplicates removed: a 2x2 torus is a 4-cycle
    with pytest.raises(ValueError, match="planes and per_plane"):
        plus_grid(0, 5)


def test_plus_grid_lengths_from_positions_match_chords(walker):
    # 6x6, 550 km, 53 deg, F=0: in-plane chord = 2 r sin(30 deg) = r; cross-plane chord from the
    # spherical law for equal-u satellites, RAAN 60 deg apart
    pos, raan, u, inc = walker(6, 6, H, 53.0)
    e = plus_grid(6, 6)
    length = edge_lengths(pos, e)
    r = R + H
    same_plane = e[:, 0] // 6 == e[:, 1] // 6
    np.testing.assert_allclose(length[same_plane], r, rtol=0, atol=1e-6)
    gamma = central_angle(raan[e[:, 0]], u[e[:, 0]], raan[e[:, 1]], u[e[:, 1]], inc[0])
    np.testing.assert_allclose(length, 2 * r * np.sin(gamma / 2), rtol=0, atol=1e-6)
    # (time, sat, 3) input gives (time, edge)
    assert edge_lengths(np.stack([pos, pos]), e).shape == (2, 72)


def test_line_of_sight_grazing_closed_form():
    # two satellites at altitude h, central angle g: the chord's closest approach to the centre
    # is r cos(g / 2); it clears R + margin iff g < 2 acos((R + margin) / r)
    r = R + H
    g_max = 2 * np.arccos((R + 80e3) / r)
    g = np.array([g_max - 1e-6, g_max + 1e-6, 0.1, np.pi])
    a = np.stack([np.full(4, r), np.zeros(4), np.zeros(4)], axis=1)
    b = r * np.stack([np.cos(g), np.sin(g), np.zeros(4)], axis=1)
    np.testing.assert_array_equal(line_of_sight(a, b, 80e3), [True, False, True, False])
    # both ends on one radial line: the closest point is an endpoint, never blocked
    assert line_of_sight([r, 0, 0], [2 * r, 0, 0], 80e3)
    # margin 0 against the bare Earth
    assert line_of_sight(
        a[:1], (r * np.array([np.cos(g_max + 1e-3), np.sin(g_max + 1e-3), 0]))[None], 0.0
    )[0]


def test_filter_edges_on_6x6_matches_element_geometry(walker):
    pos, raan, u, inc = walker(6, 6, H, 53.0)
    e = plus_grid(6, 6)
    plane = np.repeat(np.arange(6), 6)
    gamma = central_angle(raan[e[:, 0]], u[e[:, 0]], raan[e[:, 1]], u[e[:, 1]], inc[0])
    r = R + H
    clear = gamma < 2 * np.arccos((R + 80e3) / r)
    keep = filter_edges(pos, e, margin_m=80e3)
    np.testing.assert_array_equal(keep, clear)
    # in-plane neighbours are 60 deg apart: the Earth blocks every one at 550 km
    assert not keep[plane[e[:, 0]] == plane[e[:, 1]]].any() and keep.any()
    # range: chord <= max range
    chord = 2 * r * np.sin(gamma / 2)
    np.testing.assert_array_equal(
        filter_edges(pos, e, max_range_m=5.5e6, margin_m=None), chord <= 5.5e6
    )
    # latitude cut: sin(lat) = sin(u) sin(i) at either end
    lat = np.degrees(np.arcsin(np.abs(np.sin(u) * np.sin(inc))))
    high = (lat[e[:, 0]] > 40) | (lat[e[:, 1]] > 40)
    cross = plane[e[:, 0]] != plane[e[:, 1]]
    got = filter_edges(pos, e, margin_m=None, max_cross_plane_lat_deg=40, plane=plane)
    np.testing.assert_array_equal(got, ~(cross & high))
    assert (cross & high).any() and (cross & ~high).any()
    with pytest.raises(ValueError, match="needs plane labels"):
        filter_edges(pos, e, max_cross_plane_lat_deg=40)


def brute_pairs(pos):
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return d


@settings(max_examples=50, deadline=None)
@given(n=st.integers(2, 60), k=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_nearest_matches_brute_force(n, k, seed):
    pos = np.random.default_rng(seed).normal(size=(n, 3)) * 7e6
    d = brute_pairs(pos)
    kk = min(k, n - 1)
    nn = np.argsort(d, axis=1)[:, :kk]
    expect = {tuple(sorted((i, int(j)))) for i in range(n) for j in nn[i]}
    assert {tuple(x) for x in nearest(pos, k).tolist()} == expect


@settings(max_examples=50, deadline=None)
@given(n=st.integers(2, 60), rng_m=st.floats(1e5, 2e7), seed=st.integers(0, 2**31))
def test_in_range_matches_brute_force(n, rng_m, seed):
    pos = np.random.default_rng(seed).normal(size=(n, 3)) * 7e6
    i, j = np.nonzero(np.triu(brute_pairs(pos) <= rng_m, 1))
    got = in_range(pos, rng_m)
    np.testing.assert_array_equal(got, np.stack([i, j], axis=1).reshape(-1, 2))


def greedy_terminals(edges, length, t, n):
    """Reference: take edges by increasing length (ties by index) while both ends are free."""
    free = [t] * n
    kept = [False] * len(edges)
    for k in sorted(range(len(edges)), key=lambda k: (length[k], k)):
        a, b = edges[k]
        if free[a] > 0 and free[b] > 0:
            kept[k] = True
            free[a] -= 1
            free[b] -= 1
    return np.array(kept, dtype=bool)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 40), t=st.integers(0, 5), seed=st.integers(0, 2**31), ties=st.booleans())
def test_limit_terminals_equals_greedy(n, t, seed, ties):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n, 3))
    e = in_range(pos, 2.0)
    length = edge_lengths(pos, e)
    if ties:
        length = np.round(length, 1)
    kept = limit_terminals(e, length, t, n_nodes=n)
    np.testing.assert_array_equal(kept, greedy_terminals(e.tolist(), length.tolist(), t, n))
    assert np.all(np.bincount(e[kept].ravel(), minlength=n) <= t)


def shell_elements(planes, per_plane, inc_deg, raan0_deg, rng, jitter_deg=0.2):
    raan = np.radians(raan0_deg + 360.0 * np.repeat(np.arange(planes), per_plane) / planes)
    raan = raan + np.radians(rng.uniform(-jitter_deg, jitter_deg, raan.size))
    u = 2 * np.pi * np.tile(np.arange(per_plane), planes) / per_plane
    u = u + np.radians(rng.uniform(-1, 1, u.size))
    inc = np.radians(inc_deg + rng.uniform(-0.05, 0.05, raan.size))
    return raan, u, inc, np.repeat(np.arange(planes), per_plane)


def same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_infer_planes_two_shells_and_the_0_360_seam():
    rng = np.random.default_rng(3)
    # shell 1: 72 planes from RAAN -0.1 deg (plane 0 straddles 0/360); shell 2: 36 planes, 70 deg
    r1, u1, i1, p1 = shell_elements(72, 22, 53.0, -0.1, rng)
    r2, u2, i2, p2 = shell_elements(36, 20, 70.0, 2.0, rng)
    raan = np.r_[r1, r2]
    inc = np.r_[i1, i2]
    truth = np.r_[p1, p2 + 72]
    perm = rng.permutation(raan.size)
    labels = infer_planes(raan[perm], inc[perm])
    assert labels.max() + 1 == 108
    assert same_partition(labels, truth[perm])


def test_plus_grid_from_elements_equals_plus_grid_on_shuffled_6x6(walker):
    _, raan, u, inc = walker(6, 6, H, 53.0)
    perm = np.random.default_rng(0).permutation(36)
    plane = infer_planes(raan[perm], inc[perm])
    e = plus_grid_from_elements(plane, u[perm])
    # map back to the original indices and compare with the index-based plus grid
    back = np.sort(perm[e], axis=1)
    expect = plus_grid(6, 6)
    np.testing.assert_array_equal(np.unique(back, axis=0), expect)
    assert np.all(np.bincount(e.ravel(), minlength=36) == 4)


def test_ground_links_elevation_closed_form():
    # station on the x axis; satellites at altitude H at central angles g in the x-y plane:
    # elevation = atan2(cos g - R / r, sin g), range from the law of cosines
    r = R + H
    g = np.radians([0.0, 5.0, 10.0, 20.0, 25.0])
    sats = r * np.stack([np.cos(g), np.sin(g), np.zeros_like(g)], axis=1)
    gs, sat, rng_m, el = ground_links([[R, 0, 0]], sats, np.radians(10.0))
    el_true = np.arctan2(np.cos(g) - R / r, np.sin(g))
    rng_true = np.sqrt(R**2 + r**2 - 2 * R * r * np.cos(g))
    vis = el_true >= np.radians(10.0)
    np.testing.assert_array_equal(sat, np.flatnonzero(vis))
    np.testing.assert_allclose(el, el_true[vis], atol=1e-12)
    np.testing.assert_allclose(rng_m, rng_true[vis], rtol=1e-12)
    # a maximum slant range cuts further, per station
    _, sat2, _, _ = ground_links([[R, 0, 0], [0, R, 0]], sats, 0.0, [1.0e6, 1.0e6])
    np.testing.assert_array_equal(sat2, np.flatnonzero((rng_true <= 1.0e6) & (el_true >= 0)))


# ---------------------------------------------------------------- block topologies


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_canonical_keys_give_the_unique_sorted_rows(seed):
    """_canonical's one int64 key per edge against np.unique over rows (what it replaced)."""
    rng = np.random.default_rng(seed)
    e = rng.integers(0, 30, (400, 2))  # duplicates, both directions and self-loops
    s = np.sort(e, axis=1)
    expected = np.unique(s[s[:, 0] != s[:, 1]], axis=0)
    got = _canonical(e)
    assert got.dtype == np.int64 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert _canonical(np.zeros((0, 2))).shape == (0, 2)
    assert _canonical([[3, 3]]).shape == (0, 2)


def _shell_block(rng, n_steps, n, radius_m=EARTH_RADIUS_M + 550e3):
    """Random positions (step, satellite, 3) on a shell, a few NaN (gone) at some steps."""
    x = rng.normal(size=(n_steps, n, 3))
    pos = radius_m * x / np.linalg.norm(x, axis=-1, keepdims=True)
    pos[rng.random((n_steps, n)) < 0.1] = np.nan
    return pos


def _brute_nearest(p, k):
    """Each finite satellite to its k nearest finite others (a full sort, ties to the lower
    index), both directions."""
    ok = np.flatnonzero(np.isfinite(p).all(axis=1))
    pairs = set()
    for i in ok:
        others = ok[ok != i]
        d = np.linalg.norm(p[others] - p[i], axis=1)
        for j in others[np.argsort(d, kind="stable")[:k]]:
            pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def _brute_in_range(p, r_m):
    ok = np.flatnonzero(np.isfinite(p).all(axis=1))
    return [(i, j) for i in ok for j in ok if i < j and np.linalg.norm(p[i] - p[j]) <= r_m]


def _steps(step, edges, n_steps):
    """Each step's edges as a list of (i, j) tuples, in the order given."""
    assert np.all(np.diff(step) >= 0)  # step after step
    return [[tuple(e) for e in edges[step == t].tolist()] for t in range(n_steps)]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("k", [1, 2, 5, 60])
def test_nearest_block_is_each_steps_brute_force_and_nearest(seed, k):
    rng = np.random.default_rng(seed)
    pos = _shell_block(rng, 5, 40)
    step, e = nearest_block(pos, k)
    for t, got in enumerate(_steps(step, e, len(pos))):
        assert got == _brute_nearest(pos[t], k)  # canonical: the brute force's sorted order
        local = np.flatnonzero(np.isfinite(pos[t]).all(axis=1))
        assert got == [tuple(x) for x in local[nearest(pos[t, local], k)].tolist()]


@pytest.mark.parametrize("seed", [0, 1])
def test_in_range_block_is_each_steps_brute_force_and_in_range(seed):
    rng = np.random.default_rng(seed)
    pos = _shell_block(rng, 5, 40)
    r_m = 3000e3
    step, e = in_range_block(pos, r_m)
    for t, got in enumerate(_steps(step, e, len(pos))):
        assert got and got == _brute_in_range(pos[t], r_m)
        local = np.flatnonzero(np.isfinite(pos[t]).all(axis=1))
        assert got == [tuple(x) for x in local[in_range(pos[t, local], r_m)].tolist()]


def test_block_topologies_hold_bounded_slices_and_hand_large_fleets_to_the_tree(monkeypatch):
    """The same edges whether steps come in slices of one or more, or step by step from the
    k-d tree (a group of more than DENSE_SATELLITES_MAX)."""
    rng = np.random.default_rng(3)
    pos = _shell_block(rng, 7, 30)
    whole = nearest_block(pos, 3), in_range_block(pos, 2500e3)
    for held, dense in ((30 * 30 * 2, 30), (30 * 30, 30), (30 * 30, 29)):  # 2 steps, 1, tree
        monkeypatch.setattr(topology, "PAIRS_HELD", held)
        monkeypatch.setattr(topology, "DENSE_SATELLITES_MAX", dense)
        again = nearest_block(pos, 3), in_range_block(pos, 2500e3)
        for got, expected in zip(again, whole, strict=True):
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("dense", [topology.DENSE_SATELLITES_MAX, 4])  # distances, or the tree
def test_nearest_breaks_a_tie_at_the_kth_distance_by_the_lower_index(dense, monkeypatch):
    """Satellite 0 midway between 1 and 2 (2,000 km each way, exact in binary): its one
    nearest is 1; 3 and 4 are 1,000 km beyond 1 and 2, each the other's nearest."""
    monkeypatch.setattr(topology, "DENSE_SATELLITES_MAX", dense)
    x_km = np.array([0.0, -2000.0, 2000.0, -3000.0, 3000.0])
    pos = np.stack([x_km * 1e3, np.zeros(5), np.zeros(5)], axis=1)
    expected = [[0, 1], [1, 3], [2, 4]]
    np.testing.assert_array_equal(nearest(pos, 1), expected)
    step, e = nearest_block(np.stack([pos, pos[::-1]]), 1)  # reversed: 0 is then row 4
    np.testing.assert_array_equal(step, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(e, expected + [[0, 2], [1, 3], [2, 4]])  # centre to 2, not 3


def test_block_topologies_of_no_steps_or_no_satellites():
    for found in (nearest_block(np.zeros((0, 5, 3)), 2), in_range_block(np.zeros((3, 0, 3)), 1e6)):
        assert found[0].shape == (0,) and found[1].shape == (0, 2)
    with pytest.raises(ValueError, match="k must be >= 1"):
        nearest_block(np.zeros((1, 3, 3)), 0)
