"""The network stage: per step ISLs, ground links, a sparse graph and the routes' shortest paths.

Nodes are the fleet's satellites (0..N-1) then the ground stations (N..N+S-1). Each block of
steps is worked out at once, not step by step: ISLs from network/isl.py (fixed ones, plus-grid,
measured and filtered in one compiled pass; nearest and in-range ones by isl_edges_block),
ground links (graph.visible_pairs_steps), their rates and the cloud draws. Ground links are
computed only for the stations the routes need (route endpoints and relays, every station when
there are no routes). Then, by windows of steps, the route graphs (graph.window_csr, for the
links other than the fixed lasers, which the searches read in place) and A*
(astar.route_window) for the routes' pairs only. Writes routes.parquet, links.parquet
and, with save=links, link_steps.parquet. With routes_only (the route series,
network/routes.py) it works out the routes alone: no link statistics, best ISL rates or
capacities, which only the run's tables and the ops stage use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pyarrow as pa
from numba import njit

from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.errors import ScenarioError
from orbitgrid.network.astar import WINDOW_STEPS, SharedEnds, route_window
from orbitgrid.network.graph import FixedLinks, visible_pairs_steps, window_csr
from orbitgrid.network.isl import BlockIsls, elements_from_state, fixed_isls, isl_edges_block
from orbitgrid.network.links import GroundLink, ground_link_rate_bps
from orbitgrid.results import utc_timestamps

if TYPE_CHECKING:
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.pipeline import RunContext
    from orbitgrid.scenario import Route

# elements_from_state: network.isl's, kept here for old imports
__all__ = ["NetworkBlock", "NetworkStage", "RouteSeries", "elements_from_state"]


@dataclass
class _Stats:
    """Per-link running statistics keyed by an int64 link key."""

    key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cols: dict = field(default_factory=dict)

    _NAMES = ("n", "d_sum", "d_min", "d_max", "c_sum", "c_min", "c_max")

    def add(self, key: np.ndarray, distance: np.ndarray, capacity: np.ndarray) -> None:
        """Merge one block of (key, distance, capacity) observations."""
        if not len(key) and len(self.key):
            return
        one = np.ones(len(key))
        parts = {
            "n": one,
            "d_sum": distance,
            "d_min": distance,
            "d_max": distance,
            "c_sum": capacity,
            "c_min": capacity,
            "c_max": capacity,
        }
        keys = np.concatenate([self.key, key])
        uniq, inv = np.unique(keys, return_inverse=True)
        out = {}
        for name in self._NAMES:
            x = np.concatenate([self.cols.get(name, np.zeros(0)), parts[name]])
            if name.endswith("_min"):
                acc = np.full(len(uniq), np.inf)
                np.minimum.at(acc, inv, x)
            elif name.endswith("_max"):
                acc = np.full(len(uniq), -np.inf)
                np.maximum.at(acc, inv, x)
            else:
                acc = np.bincount(inv, x, minlength=len(uniq))
            out[name] = acc
        self.key, self.cols = uniq, out


class _DenseStats:
    """Per-link statistics for a fixed edge list, accumulated over (time, edge) blocks."""

    def __init__(self, n: int):
        self.n = np.zeros(n)
        self.d_sum, self.c_sum = np.zeros(n), np.zeros(n)
        self.d_min, self.c_min = np.full(n, np.inf), np.full(n, np.inf)
        self.d_max, self.c_max = np.full(n, -np.inf), np.full(n, -np.inf)

    def add(self, up: np.ndarray, distance: np.ndarray, capacity: np.ndarray) -> None:
        self.n += up.sum(axis=0)
        self.d_sum += np.where(up, distance, 0).sum(axis=0)
        self.c_sum += np.where(up, capacity, 0).sum(axis=0)
        self.d_min = np.minimum(self.d_min, np.where(up, distance, np.inf).min(axis=0))
        self.c_min = np.minimum(self.c_min, np.where(up, capacity, np.inf).min(axis=0))
        self.d_max = np.maximum(self.d_max, np.where(up, distance, -np.inf).max(axis=0))
        self.c_max = np.maximum(self.c_max, np.where(up, capacity, -np.inf).max(axis=0))


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class NetworkBlock:
    """What the network stage hands on for one block: each satellite's best usable ISL rate at
    each step, (T, N) float32 bit/s (0: no link at that step; a transfer uses one link at a
    time), under the optical link budget at the links' lengths; None without ISLs."""

    isl_best_bps: np.ndarray | None


@dataclass
class RouteSeries:
    """Per route and step (route, T): one-way latency parts in seconds, hops, path changes."""

    names: list[tuple[str, str]]
    t_s: np.ndarray
    rtt_s: np.ndarray
    hops: np.ndarray
    up_s: np.ndarray
    isl_s: np.ndarray
    down_s: np.ndarray
    processing_s: np.ndarray
    path_changes: np.ndarray

    STEP_FIELDS: ClassVar = ("rtt_s", "hops", "up_s", "isl_s", "down_s", "processing_s")


class NetworkStage:
    """ISLs, ground links and shortest-latency routes at every step of a run.

    routes_only: the routes' series alone (route_series), with no run folder: no link
    statistics, no capacities, and blocks hand on no best ISL rates (isl_best_bps None). The
    routes, their series and the random draws are those of a full run.
    """

    def __init__(
        self,
        context: RunContext,
        routes: list[Route] | None = None,
        where: str = "routes.{k}.",
        routes_only: bool = False,
    ):
        if routes_only and context.writer is not None:
            raise ValueError("NetworkStage: routes_only writes no tables; give no writer")
        self.routes_only = routes_only
        world = context.world
        scenario, fleet = world.scenario, world.fleet
        self.context = context
        self.writer = context.writer
        self.step_s = scenario.step
        self.n_sat = n_sat = len(fleet)
        stations = world.stations
        self.n_station = len(stations)
        self.node_names = list(fleet.names) + [s.name for s in stations]
        self.names_arrow = pa.array(self.node_names, type=pa.string())
        routes = scenario.routes if routes is None else routes
        station_index = {s.name: k for k, s in enumerate(stations)}
        self.route_nodes = self._resolve(routes, fleet.index, station_index, where)
        self.geometry = world.ground
        relay = np.array([s.relay for s in stations], dtype=bool)
        self.relay = relay
        self.transit = np.r_[np.ones(n_sat, dtype=bool), relay]
        needed = np.zeros(self.n_station, dtype=bool) | relay
        if len(self.route_nodes):
            ends = self.route_nodes[self.route_nodes >= n_sat] - n_sat
            needed[ends] = True
        else:
            needed[:] = True
        self.graph_stations = np.flatnonzero(needed)
        self.links = [s.link or GroundLink() for s in stations]
        self.link_groups = [
            (link, np.array([x == link for x in self.links], dtype=bool))
            for link in dict.fromkeys(self.links)
        ]
        self.cloud = np.array([lk.cloud_probability for lk in self.links])
        self.rng = np.random.default_rng([scenario.seed, 4])
        self.hop_delay = np.zeros(n_sat)
        self.groups = [g for g in world.isl if g is not None]
        for g in self.groups:
            self.hop_delay[g.members] = g.config.hop_delay_s
        self.isl_fixed = [_DenseStats(0 if g.edges is None else len(g.edges)) for g in self.groups]
        self.isl_dynamic = _Stats()
        self.ground = _Stats()
        self.t: list[np.ndarray] = []
        self.series: list[dict] = []
        self.prev_paths: tuple[np.ndarray, np.ndarray] | None = None  # (flat, nodes per route)
        self.changes = np.zeros(len(self.route_nodes) // 2, dtype=np.int64)
        self.isl_degree_sum = 0.0
        self.isl_degree_max = 0
        self.steps = 0
        self.per_step_links = "links" in context.save

    @classmethod
    def create(cls, context: RunContext) -> NetworkStage | None:
        """The stage when a constellation has ISLs or the scenario has routes, else None."""
        sc = context.scenario
        has_isl = any(c.isl is not None and c.isl.topology != "none" for c in sc.constellations)
        return cls(context) if has_isl or sc.routes else None

    # ------------------------------------------------------------------ set-up

    def _resolve(self, routes, satellites: dict, stations: dict, where: str) -> np.ndarray:
        """Node pairs (route, 2) flattened; ScenarioError naming routes.N.from/to."""
        nodes = []
        for k, r in enumerate(routes):
            for key, name in (("from", r.source), ("to", r.target)):
                if name in stations:
                    nodes.append(self.n_sat + stations[name])
                elif name in satellites:
                    nodes.append(satellites[name])
                else:
                    raise ScenarioError(
                        f"{where.format(k=k)}{key}: unknown endpoint {name!r}"
                        " (give a ground station or satellite name)"
                    )
        return np.array(nodes, dtype=np.int64)

    def skip(self, steps: int) -> None:
        """Pass over the first `steps` steps of a run without routing them: their random draws
        (cloud cover) are drawn, so the steps after get what a whole run gives them."""
        self.rng.random(steps * self.n_station)

    # ------------------------------------------------------------------ per block

    def block(self, samples: Samples) -> NetworkBlock:
        """Links and routes at each step of the block (routes_only: the routes alone)."""
        r = samples.r_ecef
        n_steps = len(samples.t_s)
        self.steps += n_steps
        blocked = self.rng.random((n_steps, self.n_station)) < self.cloud  # one draw per step
        if self.routes_only and not len(self.route_nodes):
            return NetworkBlock(None)
        # each group's usable ISLs: a fixed layout's (up, length m, capacity bit/s), each
        # (T, E); the others' BlockIsls
        isls = [fixed_isls(g, r, capacity=not self.routes_only) if g.edges is not None
                else isl_edges_block(g, r) for g in self.groups]  # fmt: skip
        ground = self._ground_links(r, blocked)
        best = None if self.routes_only else self._statistics(samples, isls, ground)
        if len(self.route_nodes):
            self._route_block(samples, isls, ground)
        return NetworkBlock(best)

    def _ground_links(self, r: np.ndarray, blocked: np.ndarray):
        """Visible (station, satellite) pairs for the graph stations at each step of r (T, N, 3)
        m, less those blocked (T, station) by cloud: step, station, satellite, range m and
        capacity bit/s (None when routes_only), step after step."""
        st, geo = self.graph_stations, self.geometry
        offsets, si, k, rng_m, height = visible_pairs_steps(
            r, geo.ecef[st], geo.up[st], geo.mask[st], geo.max_range[st]
        )
        step = np.repeat(np.arange(len(r)), np.diff(offsets))
        station = st[k]
        keep = ~blocked[step, station]
        if self.routes_only:
            return step[keep], station[keep], si[keep], rng_m[keep], None
        el = np.arcsin(np.clip(height / rng_m, -1.0, 1.0))
        cap = np.empty(len(si))
        for link, members in self.link_groups:  # stations sharing one rate model
            on = members[station]
            cap[on] = ground_link_rate_bps(rng_m[on], el[on], link)
        return step[keep], station[keep], si[keep], rng_m[keep], cap[keep]

    def _statistics(self, samples: Samples, isls, ground) -> np.ndarray | None:
        """The block's link statistics, ISL degrees and link_steps rows; each satellite's best
        usable ISL rate (T, N) float32 bit/s, None without ISLs."""
        n_steps, n_sat = len(samples.t_s), self.n_sat
        best = np.zeros((n_sat, n_steps)) if self.groups else None  # np.maximum.at along (N,)
        parts, dyn = [], []  # every group's ISLs as BlockIsls; the dynamic ones
        for g, stats, found in zip(self.groups, self.isl_fixed, isls, strict=True):
            if g.edges is not None:
                up, length, capacity = found
                stats.add(up, length, capacity)
                rate = np.where(up, np.nan_to_num(capacity), 0.0).T  # (E, T)
                for end in (0, 1):
                    np.maximum.at(best, g.edges[:, end], rate)
                step, j = np.nonzero(up)
                found = BlockIsls(step, g.edges[j], length[step, j], capacity[step, j], None)
            else:
                for end in (0, 1):
                    np.maximum.at(best, (found.edges[:, end], found.step), found.capacity_bps)
                dyn.append(found)
            parts.append(found)
        self.isl_dynamic.add(
            *_cat(
                [b.edges[:, 0] * n_sat + b.edges[:, 1] for b in dyn],
                [b.length_m for b in dyn],
                [b.capacity_bps for b in dyn],
            )
        )
        g_step, gi, si, g_rng, g_cap = ground
        self.ground.add(gi * n_sat + si, g_rng, g_cap)

        def cat(name, empty):
            return np.concatenate([getattr(b, name) for b in parts] or [empty])

        step, edges = cat("step", np.zeros(0, np.int64)), cat("edges", np.zeros((0, 2), np.int64))
        degree = np.bincount(np.repeat(step, 2) * n_sat + edges.ravel(), minlength=n_steps * n_sat)
        self.isl_degree_max = max(self.isl_degree_max, int(degree.max(initial=0)))
        if n_sat:
            for mean in 2 * np.bincount(step, minlength=n_steps) / n_sat:  # each step's, in turn
                self.isl_degree_sum += mean
        if self.per_step_links:  # step after step, groups in order within one
            order = np.argsort(step, kind="stable")
            length = cat("length_m", np.zeros(0))[order]
            capacity = cat("capacity_bps", np.zeros(0))[order]
            edges, at = edges[order], np.searchsorted(step[order], np.arange(n_steps + 1))
            g_at = np.searchsorted(g_step, np.arange(n_steps + 1))
            for k in range(n_steps):
                i, g = slice(at[k], at[k + 1]), slice(g_at[k], g_at[k + 1])
                self._write_link_step(
                    samples, k, edges[i], length[i], capacity[i], gi[g], si[g], g_rng[g], g_cap[g]
                )
        return None if best is None else best.T.astype(np.float32)

    @cached_property
    def _ends(self) -> SharedEnds:
        """The routes' ends grouped for the windows' searches, once per stage."""
        return SharedEnds.of(self.route_nodes[0::2], self.route_nodes[1::2])

    @cached_property
    def _fixed(self) -> FixedLinks:
        """Every fixed ISL layout's edges as csr rows, once per stage."""
        edges = [g.edges for g in self.groups if g.edges is not None]
        n_nodes = self.n_sat + self.n_station
        return FixedLinks.of(n_nodes, np.concatenate(edges) if edges else np.zeros((0, 2)))

    def _route_block(self, samples: Samples, isls, ground) -> None:
        """The routes at each step of the block, by windows of WINDOW_STEPS steps: each
        window's graphs of the links other than the fixed lasers in a compiled pass
        (graph.window_csr), its searches by astar.route_window (the fixed lasers at their
        latencies, inf where down)."""
        r = samples.r_ecef
        n_steps = len(r)
        latencies, links = [], []  # fixed ISLs (T, E) s, inf where down; the others (step, a, b, s)
        for g, found in zip(self.groups, isls, strict=True):
            hop_s = g.config.hop_delay_s
            if g.edges is not None:
                up, length, _ = found
                latencies.append(np.where(up, length / SPEED_OF_LIGHT_M_S + hop_s, np.inf))
            else:
                e, lat = found.edges, found.length_m / SPEED_OF_LIGHT_M_S + hop_s
                links.append((found.step, e[:, 0], e[:, 1], lat))
        if len(latencies) == 1:
            latency = latencies[0]
        else:
            latency = np.concatenate(latencies, axis=1) if latencies else np.zeros((n_steps, 0))
        step, station, si, rng_m, _ = ground
        links.append((step, si, self.n_sat + station, rng_m / SPEED_OF_LIGHT_M_S))
        links = [np.concatenate(part) for part in zip(*links, strict=True)]
        if len(self.groups) > len(latencies):  # parts one after the other: by step, stable
            links = [x[np.argsort(links[0], kind="stable")] for x in links]
        rows = {name: [] for name in ("rtt", "hops", "up", "isl", "down", "proc")}
        flat_paths, path_lengths, step_rows = [], [], []
        n_nodes = self.n_sat + self.n_station
        for a in range(0, n_steps, WINDOW_STEPS):  # links are by step: a window is a slice
            b = min(a + WINDOW_STEPS, n_steps)
            i, j = np.searchsorted(links[0], (a, b))
            step, *link = (x[i:j] for x in links)
            graphs = window_csr(n_nodes, b - a, step - a, *link)
            found = route_window(
                *graphs, self.transit, self._ends, fixed=self._fixed, fixed_weight=latency[a:b]
            )
            steps = [(k, np.concatenate([r[k], self.geometry.ecef])) for k in range(a, b)]
            self._take_paths(steps, found, rows, flat_paths, path_lengths, step_rows)
        self._write_routes(samples, step_rows, rows, flat_paths, path_lengths)

    def _take_paths(self, steps, found, block_rows, flat_paths, path_lengths, step_rows) -> None:
        """The routes' rows at steps [(step in block, node positions m)] from their paths."""
        for (k, node_pos), (one_way, flat, n_nodes) in zip(steps, found, strict=True):
            parts = _latency_parts(flat, n_nodes, node_pos, self.n_sat, self.hop_delay)
            block_rows["rtt"].append(2 * one_way)
            block_rows["hops"].append(np.where(n_nodes > 0, n_nodes - 1, -1))
            for name, value in zip(("up", "isl", "down", "proc"), parts, strict=True):
                block_rows[name].append(np.where(np.isfinite(one_way), value, np.nan))
            flat_paths.append(flat)
            path_lengths.append(n_nodes)
            step_rows.append(k)
            if self.prev_paths is not None:
                _count_changes(*self.prev_paths, flat, n_nodes, self.changes)
            self.prev_paths = flat, n_nodes

    # ------------------------------------------------------------------ output

    def _write_routes(self, samples, step_rows, rows, flat_paths, path_lengths) -> None:
        n_routes = len(self.route_nodes) // 2
        t = samples.t_s[step_rows]
        rtt = np.concatenate(rows["rtt"])
        reach = np.isfinite(rtt)
        hops = np.concatenate(rows["hops"])
        parts = {k: np.concatenate(rows[k]) for k in ("up", "isl", "down", "proc")}
        self.t.append(t)
        self.series.append({"rtt": rtt, "hops": hops, **parts})
        if self.writer is None:
            return
        lengths = np.concatenate(path_lengths)
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int32)
        values = self.names_arrow.take(pa.array(np.concatenate(flat_paths)))
        path = pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~reach))
        src = np.tile(self.route_nodes[0::2], len(t))
        dst = np.tile(self.route_nodes[1::2], len(t))

        def ms(x):
            return pa.array(np.round(x * 1e3, 9), mask=~reach)

        self.writer.append(
            "routes",
            pa.table(
                {
                    "time": utc_timestamps(samples.epoch, np.repeat(t, n_routes)),
                    "src": self.names_arrow.take(pa.array(src)),
                    "dst": self.names_arrow.take(pa.array(dst)),
                    "rtt_ms": ms(rtt),
                    "hops": pa.array(hops.astype(np.int32), mask=~reach),
                    "path": path,
                    "up_ms": ms(parts["up"]),
                    "isl_ms": ms(parts["isl"]),
                    "down_ms": ms(parts["down"]),
                    "processing_ms": ms(parts["proc"]),
                }
            ),
        )

    def _write_link_step(self, samples, k, e, ln, cp, gi, si, g_rng, g_cap) -> None:
        n_isl = len(e)
        a = np.concatenate([e[:, 0], si])
        b = np.concatenate([e[:, 1], self.n_sat + gi])
        self.writer.append(
            "link_steps",
            pa.table(
                {
                    "time": utc_timestamps(samples.epoch, np.full(len(a), samples.t_s[k])),
                    "a": self.names_arrow.take(pa.array(a)),
                    "b": self.names_arrow.take(pa.array(b)),
                    "kind": pa.array(["isl"] * n_isl + ["ground"] * len(si), type=pa.string()),
                    "distance_km": np.concatenate([ln, g_rng]) / 1e3,
                    "capacity_gbps": np.concatenate([cp, g_cap]) / 1e9,
                }
            ),
        )

    def route_series(self) -> RouteSeries:
        """The routes' series so far, in memory: (route, step) arrays."""
        n = len(self.route_nodes) // 2
        t = np.concatenate(self.t) if self.t else np.zeros(0)

        def grab(name):
            if not self.series:
                return np.zeros((n, 0))
            return np.concatenate([s[name] for s in self.series]).reshape(-1, n).T

        names = [
            (self.node_names[a], self.node_names[b])
            for a, b in zip(self.route_nodes[0::2], self.route_nodes[1::2], strict=True)
        ]
        return RouteSeries(
            names,
            t,
            grab("rtt"),
            grab("hops"),
            grab("up"),
            grab("isl"),
            grab("down"),
            grab("proc"),
            self.changes.copy(),
        )

    def finish(self) -> dict:
        """Write links.parquet; figures: ISLs per satellite, RTT percentiles, path changes."""
        self._write_links()
        hours = max(self.steps * self.step_s, self.step_s) / 3600
        series = self.route_series()
        routes = []
        for j, (a, b) in enumerate(series.names):
            rtt = series.rtt_s[j][np.isfinite(series.rtt_s[j])] * 1e3
            hops = series.hops[j][series.hops[j] >= 0]
            entry = {
                "from": a,
                "to": b,
                "reachable_fraction": round(float(len(rtt) / max(series.rtt_s.shape[1], 1)), 6),
                "path_changes": int(series.path_changes[j]),
                "path_changes_per_hour": round(float(series.path_changes[j]) / hours, 4),
            }
            if len(rtt):
                p = np.percentile(rtt, [0, 5, 50, 95, 100])
                keys = ("min", "p5", "median", "p95", "max")
                entry["rtt_ms"] = {k: round(float(v), 4) for k, v in zip(keys, p, strict=True)}
                entry["hops"] = {"min": int(hops.min()), "max": int(hops.max())}
            routes.append(entry)
        return {
            "network": {
                "isls_per_satellite_mean": round(self.isl_degree_sum / max(self.steps, 1), 4),
                "isls_per_satellite_max": self.isl_degree_max,
                "routes": routes,
            }
        }

    def _write_links(self) -> None:
        if self.writer is None:
            return
        keys, kinds, cols = [], [], []
        for g, stats in zip(self.groups, self.isl_fixed, strict=True):
            if g.edges is None:
                continue
            seen = stats.n > 0
            keys.append((g.edges[seen, 0], g.edges[seen, 1]))
            kinds.append(np.zeros(seen.sum(), dtype=np.int8))
            cols.append({k: getattr(stats, k)[seen] for k in _Stats._NAMES})
        dyn = self.isl_dynamic
        keys.append((dyn.key // max(self.n_sat, 1), dyn.key % max(self.n_sat, 1)))
        kinds.append(np.zeros(len(dyn.key), dtype=np.int8))
        cols.append(dyn.cols)
        gr = self.ground
        keys.append((gr.key % max(self.n_sat, 1), self.n_sat + gr.key // max(self.n_sat, 1)))
        kinds.append(np.ones(len(gr.key), dtype=np.int8))
        cols.append(gr.cols)
        a = np.concatenate([k[0] for k in keys]).astype(np.int64)
        b = np.concatenate([k[1] for k in keys]).astype(np.int64)
        kind = np.concatenate(kinds)

        def col(name):
            return np.concatenate([c.get(name, np.zeros(0)) for c in cols] or [np.zeros(0)])

        n = col("n")
        self.writer.write_table(
            "links",
            pa.table(
                {
                    "a": self.names_arrow.take(pa.array(a)),
                    "b": self.names_arrow.take(pa.array(b)),
                    "kind": pa.array(np.where(kind == 0, "isl", "ground").tolist(), pa.string()),
                    "up_s": n * self.step_s,
                    "mean_distance_km": col("d_sum") / np.maximum(n, 1) / 1e3,
                    "min_distance_km": col("d_min") / 1e3,
                    "max_distance_km": col("d_max") / 1e3,
                    "mean_capacity_gbps": col("c_sum") / np.maximum(n, 1) / 1e9,
                    "min_capacity_gbps": col("c_min") / 1e9,
                    "max_capacity_gbps": col("c_max") / 1e9,
                }
            ),
        )


def _cat(keys, lengths, caps):
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    return np.concatenate(keys), np.concatenate(lengths), np.concatenate(caps)


@njit(cache=True)
def _latency_parts(flat, n_nodes, node_pos, n_sat, hop_delay):  # pragma: no cover - compiled
    """One-way latency parts (4, route) s: up, ISL (and hops through relaying stations), down,
    processing, of the flat paths (nodes per route n_nodes) at node positions node_pos m."""
    total = np.zeros((4, len(n_nodes)))
    start = 0
    for p in range(len(n_nodes)):
        m = n_nodes[p]
        for j in range(m - 1):
            a, b = flat[start + j], flat[start + j + 1]
            dx = node_pos[b, 0] - node_pos[a, 0]
            dy = node_pos[b, 1] - node_pos[a, 1]
            dz = node_pos[b, 2] - node_pos[a, 2]
            seg = np.sqrt(dx * dx + dy * dy + dz * dz) / SPEED_OF_LIGHT_M_S
            isl = a < n_sat and b < n_sat
            up = not isl and j == 0 and a >= n_sat
            down = not isl and j == m - 2 and b >= n_sat
            if up:
                total[0, p] += seg
            if down:
                total[2, p] += seg
            if not up and not down:
                total[1, p] += seg
            if isl:
                total[3, p] += hop_delay[a]
        start += m
    return total


@njit(cache=True)
def _count_changes(prev_flat, prev_n, flat, n_nodes, changes):  # pragma: no cover - compiled
    """changes[p] += 1 for each route whose path (flat, n_nodes per route) is not its last."""
    i = j = 0
    for p in range(len(n_nodes)):
        m = n_nodes[p]
        if m != prev_n[p]:
            changes[p] += 1
        else:
            for q in range(m):
                if flat[i + q] != prev_flat[j + q]:
                    changes[p] += 1
                    break
        i += m
        j += prev_n[p]
