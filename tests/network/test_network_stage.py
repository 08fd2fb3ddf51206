"""The network stage on random constellations (hypothesis), A* against scipy's Dijkstra, and
the scenario keys end to end through `orbitgrid run` and `orbitgrid route`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.astar import pair_paths
from orbitgrid.network.graph import undirected_csr
from orbitgrid.network.routing import build_graph, shortest_paths
from orbitgrid.network.stage import NetworkStage, RouteSeries, _count_changes, _latency_parts
from orbitgrid.network.topology import edge_lengths, line_of_sight, plus_grid
from orbitgrid.orbits.contacts import Stations
from orbitgrid.orbits.samples import Samples
from orbitgrid.pipeline import RunContext, build_world, stream
from orbitgrid.scenario import validate_scenario

# Geometry is recomputed here with the stage's own formulas; allow for float rounding only.
LENGTH_TOLERANCE_M = 1e-3
ANGLE_TOLERANCE_RAD = 1e-9


class _Tables:
    """A writer that keeps the tables in memory."""

    def __init__(self):
        self.tables: dict = {}

    def append(self, name, table):
        self.tables.setdefault(name, []).append(table)

    def write_table(self, name, table):
        self.tables[name] = [table]


def _run_stage(scenario):
    world = build_world(scenario)
    fleet = world.fleet
    writer = _Tables()
    context = RunContext(world, writer, frozenset(["links"]))
    stage = NetworkStage.create(context)
    t = np.arange(0.0, scenario.duration + 1e-6, scenario.step)
    states = fleet.propagate(scenario.epoch64, t)
    samples = Samples(scenario.epoch64, t, states.r, states.v)
    stage.block(samples)
    summary = stage.finish()["network"]
    return (
        stage,
        samples,
        {k: v[0] if len(v) == 1 else v for k, v in writer.tables.items()},
        summary,
    )


station = st.tuples(st.floats(-60, 60), st.floats(-180, 180), st.floats(0, 30))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    planes=st.integers(3, 8),
    per_plane=st.integers(4, 10),
    altitude_km=st.floats(500, 1500),
    inclination_deg=st.floats(40, 98),
    max_range_km=st.floats(1500, 8000),
    channels=st.integers(1, 4),
    tx_power_w=st.floats(0.05, 5),
    a=station,
    b=station,
)
def test_routes_respect_geometry_on_random_constellations(
    planes, per_plane, altitude_km, inclination_deg, max_range_km, channels, tx_power_w, a, b
):
    terminal = {"channels": channels, "channel_rate_bps": 25e9, "tx_power_w": tx_power_w}
    sc = validate_scenario(
        {
            "name": "prop",
            "epoch": "2026-05-13T00:00:00Z",
            "duration": "20min",
            "step": "5min",
            "constellations": [
                {
                    "name": "w",
                    "walker": {
                        "satellites": planes * per_plane,
                        "planes": planes,
                        "phasing": 1,
                        "altitude_km": altitude_km,
                        "inclination_deg": inclination_deg,
                    },
                    "isl": {
                        "topology": "plus-grid",
                        "max_range_km": max_range_km,
                        "terminal": terminal,
                    },
                }
            ],
            "ground_stations": [
                {"name": "A", "lat_deg": a[0], "lon_deg": a[1], "min_elevation_deg": a[2]},
                {"name": "B", "lat_deg": b[0], "lon_deg": b[1], "min_elevation_deg": b[2]},
            ],
            "routes": [{"from": "A", "to": "B"}],
        }
    )
    stage, samples, tables, summary = _run_stage(sc)
    assert summary["isls_per_satellite_max"] <= 4  # plus-grid: at most 4 ISLs
    ceiling_gbps = channels * 25.0
    assert max(tables["links"]["max_capacity_gbps"].to_pylist(), default=0) <= ceiling_gbps
    geometry = Stations.from_scenario(sc.stations())
    index = {n: k for k, n in enumerate(stage.node_names)}
    routes = tables["routes"]
    assert len(routes) == len(samples.t_s)
    # RTT lower bound: arc between the two stations on a sphere through the lower of them
    ua, ub = geometry.ecef / np.linalg.norm(geometry.ecef, axis=1, keepdims=True)
    arc = np.arccos(np.clip(ua @ ub, -1, 1)) * np.linalg.norm(geometry.ecef, axis=1).min()
    for k, (rtt, path) in enumerate(
        zip(routes["rtt_ms"].to_pylist(), routes["path"].to_pylist(), strict=True)
    ):
        if rtt is None:
            assert path is None
            continue
        assert rtt >= 2 * arc / SPEED_OF_LIGHT_M_S * 1e3
        nodes = np.array([index[n] for n in path])
        pos = np.concatenate([samples.r_ecef[k], geometry.ecef])[nodes]
        for u, v, pu, pv in zip(nodes[:-1], nodes[1:], pos[:-1], pos[1:], strict=True):
            length = np.linalg.norm(pv - pu)
            if u < stage.n_sat and v < stage.n_sat:
                assert length <= max_range_km * 1e3 + LENGTH_TOLERANCE_M
                assert line_of_sight(pu, pv, 80e3)
            else:
                s, sat = (u, pv) if u >= stage.n_sat else (v, pu)
                g = s - stage.n_sat
                d = sat - geometry.ecef[g]
                el = np.arcsin(d @ geometry.up[g] / np.linalg.norm(d))
                assert el >= geometry.mask[g] - ANGLE_TOLERANCE_RAD


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**31 - 1), planes=st.integers(3, 10), per_plane=st.integers(3, 10))
def test_astar_gives_dijkstra_latencies(seed, planes, per_plane, walker):  # walker: a function
    """A* (arc heuristic) against scipy's Dijkstra on the same plus-grid with two stations."""
    rng = np.random.default_rng(seed)
    pos, *_ = walker(planes, per_plane, 800e3, 60.0)
    edges = plus_grid(planes, per_plane)
    keep = line_of_sight(pos[edges[:, 0]], pos[edges[:, 1]], 80e3)
    e = edges[keep]
    lat = edge_lengths(pos, e) / SPEED_OF_LIGHT_M_S + rng.uniform(0, 1e-3, len(e))
    gs = rng.normal(size=(2, 3))
    gs = 6.371e6 * gs / np.linalg.norm(gs, axis=1, keepdims=True)
    # ground links only to satellites above the station's horizon, as the stage makes them
    zenith = gs / np.linalg.norm(gs, axis=1, keepdims=True)
    above = np.einsum("gsi,gi->gs", pos[None, :, :] - gs[:, None, :], zenith)
    gi, si = np.nonzero(above > 0)
    glat = np.linalg.norm(pos[si] - gs[gi], axis=1) / SPEED_OF_LIGHT_M_S
    n = len(pos)
    ref, _ = shortest_paths(build_graph(n, e, lat, 2, gi, si, glat), [n, n])
    graph = undirected_csr(n + 2, np.r_[e[:, 0], si], np.r_[e[:, 1], n + gi], np.r_[lat, glat])
    transit = np.r_[np.ones(n, bool), False, False]
    src, dst = np.array([n, n]), np.array([n + 1, 0])
    dist, flat, n_nodes = pair_paths(graph, np.r_[pos, gs], transit, src, dst)
    np.testing.assert_allclose(dist, ref[0, dst], rtol=1e-12)
    assert n_nodes[0] == 0 or (flat[0] == n and flat[n_nodes[0] - 1] == n + 1)


SCENARIO = """\
name: net-e2e
epoch: 2026-05-13T00:00:00Z
duration: 30min
step: 60s
seed: 3
constellations:
  - name: shell
    walker: {satellites: 120, planes: 10, phasing: 1, altitude_km: 550, inclination_deg: 53}
    isl: {topology: plus-grid, max_range_km: 5016, max_cross_plane_lat_deg: 70}
  - name: cluster
    formation: {satellites: 9, radius_m: 1000, altitude_km: 650, ltan: "18:00"}
    isl: {topology: in-range, max_range_km: 2.5, terminals: 3}
ground_stations:
  - {name: Paris, lat_deg: 48.86, lon_deg: 2.35, min_elevation_deg: 0, max_range_km: 2500}
  - {name: Luanda, lat_deg: -8.84, lon_deg: 13.23, min_elevation_deg: 25,
     link: {band: optical, cloud_probability: 0.3}}
routes:
  - {from: Paris, to: Luanda}
  - {from: Luanda, to: shell-p03-s07}
"""


def _orbitgrid(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_run_writes_routes_and_links_deterministically(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    for out in ("a", "b"):
        done = _orbitgrid("run", "s.yaml", "--out", out, "--save", "links", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    for name in ("routes", "links", "link_steps"):
        a = pq.read_table(tmp_path / "a" / f"{name}.parquet")
        assert a.equals(pq.read_table(tmp_path / "b" / f"{name}.parquet")), name
    routes = pq.read_table(tmp_path / "a" / "routes.parquet")
    assert routes.column_names[:6] == ["time", "src", "dst", "rtt_ms", "hops", "path"]
    assert len(routes) == 2 * 31
    rtt = np.array(routes["rtt_ms"].to_pylist(), dtype=float)
    parts = sum(
        np.array(routes[c].to_pylist(), dtype=float)
        for c in ("up_ms", "isl_ms", "down_ms", "processing_ms")
    )
    np.testing.assert_allclose(rtt, 2 * parts, rtol=1e-9)  # the split adds up (nan: unreachable)
    for row in routes.to_pylist():
        assert (row["rtt_ms"] is None) == (row["path"] is None)
        if row["path"]:
            assert row["path"][0] == row["src"] and row["path"][-1] == row["dst"]
            assert row["hops"] == len(row["path"]) - 1
    links = pq.read_table(tmp_path / "a" / "links.parquet").to_pylist()
    cluster = [x for x in links if x["a"].startswith("cluster")]
    assert cluster and all(x["max_distance_km"] <= 2.5 for x in cluster)
    assert {x["kind"] for x in links} == {"isl", "ground"}
    summary = (tmp_path / "a" / "summary.json").read_text()
    assert '"path_changes_per_hour"' in summary and '"isls_per_satellite_mean"' in summary


def test_unknown_route_endpoint_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("{from: Paris,", "{from: Pariss,"))
    done = _orbitgrid("run", "s.yaml", "--out", "x", cwd=tmp_path)
    assert done.returncode == 2
    assert "routes.0.from" in done.stderr and "Pariss" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_route_command_prints_figures_and_plots(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    done = _orbitgrid(
        "route", "s.yaml", "--from", "Paris", "--to", "Luanda", "--plot", "rtt.html", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for words in ("RTT ms: min", "path changes", "up ", "ISL hops", "down", "fibre"):
        assert words in done.stdout
    assert (tmp_path / "rtt.html").stat().st_size > 1000
    bad = _orbitgrid("route", "s.yaml", "--from", "Paris", "--to", "Nowhere", cwd=tmp_path)
    assert bad.returncode == 2 and "--to: unknown endpoint 'Nowhere'" in bad.stderr


def test_latency_parts_of_hand_made_paths():
    """Up, ISL, down and processing of paths on a line, in light-milliseconds from station A."""
    ms = SPEED_OF_LIGHT_M_S * 1e-3
    # satellites 0 (1 ms from A) and 1 (3 ms); stations A = 2 (0 ms), B = 3 (6 ms, relays)
    node_pos = np.array([[1.0, 0, 0], [3.0, 0, 0], [0.0, 0, 0], [6.0, 0, 0]]) * ms
    hop_delay = np.array([1e-4, 2e-4])
    paths = [[2, 0, 1, 3], [1, 3], [], [2, 0, 3, 1], [2]]
    flat = np.array([v for p in paths for v in p], dtype=np.int64)
    n_nodes = np.array([len(p) for p in paths], dtype=np.int64)
    up, isl, down, proc = _latency_parts(flat, n_nodes, node_pos, 2, hop_delay)
    np.testing.assert_allclose(up * 1e3, [1, 0, 0, 1, 0], rtol=1e-12)
    np.testing.assert_allclose(isl * 1e3, [2, 0, 0, 5 + 3, 0], rtol=1e-12)  # B relays
    np.testing.assert_allclose(down * 1e3, [3, 3, 0, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(proc, [1e-4, 0, 0, 0, 0], rtol=1e-12)  # one ISL hop, from 0


def test_path_changes_of_hand_made_paths():
    """A route's path changes when it differs by a node or a length, or comes or goes."""
    before = [[5, 1, 2, 6], [5, 1, 6], [5, 1, 6], [], [5, 1, 6], []]
    after = [[5, 1, 2, 6], [5, 3, 6], [5, 1, 2, 6], [], [], [5, 6]]
    changes = np.zeros(len(before), dtype=np.int64)

    def flat(paths):
        return (
            np.array([v for p in paths for v in p], dtype=np.int64),
            np.array([len(p) for p in paths], dtype=np.int64),
        )

    _count_changes(*flat(before), *flat(after), changes)
    assert changes.tolist() == [0, 1, 1, 0, 1, 1]
    _count_changes(*flat(after), *flat(after), changes)
    assert changes.tolist() == [0, 1, 1, 0, 1, 1]


def test_routes_only_gives_the_runs_series(tmp_path):
    """The route series' stage (routes_only: no link statistics, rates or capacities) routes
    as the run's stage does, cloud draws included, and hands on no ISL rates."""
    sc = validate_scenario(yaml.safe_load(SCENARIO))
    world = build_world(sc)
    stages = [NetworkStage(RunContext(world, None), routes_only=only) for only in (False, True)]
    blocks = [[], []]
    for block in stream(world, 0.0, world.steps_s[-1]):
        if block.steps:
            for stage, out in zip(stages, blocks, strict=True):
                out.append(stage.block(block.samples))
    full, only = (stage.route_series() for stage in stages)
    assert 0 < np.isfinite(full.rtt_s).mean() < 1  # reachable and not, with clouds
    for name in (*RouteSeries.STEP_FIELDS, "t_s", "path_changes"):
        assert np.array_equal(getattr(full, name), getattr(only, name), equal_nan=True), name
    assert all(b.isl_best_bps is not None for b in blocks[0])
    assert all(b.isl_best_bps is None for b in blocks[1])
    with pytest.raises(ValueError, match="routes_only"):
        NetworkStage(RunContext(world, _Tables()), routes_only=True)


PER_STEP = """\
name: net-per-step
epoch: 2026-05-13T00:00:00Z
duration: 40min
step: 60s
seed: 5
constellations:
  - name: shell
    walker: {satellites: 72, planes: 6, phasing: 1, altitude_km: 550, inclination_deg: 53}
    isl: {topology: plus-grid, max_range_km: 5016, max_cross_plane_lat_deg: 60}
  - name: imagers
    sun_synchronous: {satellites: 12, planes: 2, altitude_km: 500, ltan: "10:30"}
    isl: {topology: nearest, nearest: 2, terminals: 2}
  - name: cluster
    formation: {satellites: 9, radius_m: 1000, altitude_km: 650, ltan: "18:00"}
    isl: {topology: in-range, max_range_km: 2.5, terminals: 3}
ground_stations:
  - {name: Paris, lat_deg: 48.86, lon_deg: 2.35, min_elevation_deg: 0, max_range_km: 2500}
  - {name: Luanda, lat_deg: -8.84, lon_deg: 13.23, min_elevation_deg: 25,
     link: {band: optical, cloud_probability: 0.3}}
  - {name: Svalbard, lat_deg: 78.23, lon_deg: 15.41, min_elevation_deg: 5, link: {band: x}}
routes:
  - {from: Paris, to: Luanda}
"""


def test_a_blocks_links_are_those_found_step_by_step():
    """The stage finds ISLs, ground links, their rates and the cloud draws for a whole block
    at once: its link_steps rows against the per-step path it replaced (isl_edges per layout,
    graph.visible_pairs, ground_link_rate_bps per station and one cloud draw per step), row by
    row and to the bit; the ISLs per satellite from the same per-step links."""
    from orbitgrid.network.graph import visible_pairs
    from orbitgrid.network.isl import isl_edges
    from orbitgrid.network.links import GroundLink, ground_link_rate_bps

    sc = validate_scenario(yaml.safe_load(PER_STEP))
    stage, samples, tables, summary = _run_stage(sc)
    rows = tables["link_steps"]
    world = stage.context.world
    geo, st, n = world.ground, stage.graph_stations, len(world.fleet)
    assert list(st) == [0, 1]  # the route's ends; Svalbard is not looked at
    names = np.array(stage.node_names)
    draws = np.random.default_rng([sc.seed, 4])
    degree_sum, degree_max, kinds, blocked, ground = 0.0, 0, set(), 0, 0
    for k in range(len(samples.t_s)):
        pos = samples.r_ecef[k]
        found = [isl_edges(g, pos) for g in world.isl if g is not None]
        e = np.concatenate([f[0] for f in found])
        si, gk, rng_m, el = visible_pairs(
            pos, geo.ecef[st], geo.up[st], geo.mask[st], geo.max_range[st]
        )
        station = st[gk]
        cap = np.empty(len(si))
        for s in st:
            on = station == s
            cap[on] = ground_link_rate_bps(
                rng_m[on], el[on], sc.ground_stations[s].link or GroundLink()
            )
        keep = ~(draws.random(len(sc.ground_stations)) < stage.cloud)[station]
        got = rows[k].to_pydict()
        assert got["a"] == names[np.r_[e[:, 0], si[keep]]].tolist()
        assert got["b"] == names[np.r_[e[:, 1], n + station[keep]]].tolist()
        assert got["kind"] == ["isl"] * len(e) + ["ground"] * keep.sum()
        distance_m = np.concatenate([f[1] for f in found] + [rng_m[keep]])
        capacity_bps = np.concatenate([f[2] for f in found] + [cap[keep]])
        np.testing.assert_array_equal(got["distance_km"], distance_m / 1e3)
        np.testing.assert_array_equal(got["capacity_gbps"], capacity_bps / 1e9)
        degree_sum += 2 * len(e) / n
        degree_max = max(degree_max, np.bincount(e.ravel(), minlength=n).max())
        kinds |= {names[i][:4] for i in e.ravel()}
        assert keep.all() or (station[~keep] == 1).all()  # only the optical station's clouds
        blocked, ground = blocked + (~keep).sum(), ground + keep.sum()
    assert kinds == {"shel", "imag", "clus"} and blocked and ground
    assert summary["isls_per_satellite_mean"] == round(degree_sum / len(samples.t_s), 4)
    assert summary["isls_per_satellite_max"] == degree_max
