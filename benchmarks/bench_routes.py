"""A day at 10 s of RTT series for 100 city pairs over the full Starlink catalogue, against the
path it replaces, measured in the same run.

10,361 satellites (src/orbitgrid/data/starlink-2026-05-12.tle) with plus-grid lasers (planes
inferred from the elements, 5,016 km, 80 km margin), the 50 cities of cities50.csv (25 deg
mask) and 100 seeded random pairs of them. Times orbitgrid's route_series (SGP4 knots every
120 s and Hermite positions, ISL filtering, ground links by grid cells, graphs, the routes'
searches by windows of steps (network/astar.route_window), with the stage in routes_only mode)
over --duration in one process; and over --baseline, a shorter span, the path before: the
run's stage (link statistics, best ISL rates, capacities), one A* per pair and step
(network/astar.pair_paths), every satellite tested at every station, the latency parts and
path changes in numpy and Python. Checks that the two give the same series there, and prints
the ratio of seconds per step.

    python benchmarks/bench_routes.py [--duration 1d] [--baseline 2h]
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from pathlib import Path

import numpy as np
from numba import njit

import orbitgrid.network.routes as routes
import orbitgrid.network.stage as stage
from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.astar import pair_paths
from orbitgrid.network.graph import step_graph
from orbitgrid.network.routes import route_series
from orbitgrid.scenario import validate_scenario

DATA = Path(stage.__file__).resolve().parents[1] / "data"


def scenario(duration: str, n_pairs: int = 100, seed: int = 1):
    with (DATA / "cities50.csv").open() as f:
        cities = [row["name"] for row in csv.DictReader(f)]
    rng = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < n_pairs:
        a, b = (int(x) for x in rng.choice(len(cities), 2, replace=False))
        if (a, b) not in pairs:
            pairs.append((a, b))
    return validate_scenario(
        {
            "name": "bench-routes",
            "epoch": "2026-05-13T00:00:00Z",
            "duration": duration,
            "step": "10s",
            "constellations": [
                {
                    "name": "starlink",
                    "tle_file": str(DATA / "starlink-2026-05-12.tle"),
                    "isl": {"topology": "plus-grid", "max_range_km": 5016},
                }
            ],
            "ground_stations_file": str(DATA / "cities50.csv"),
            "routes": [{"from": cities[a], "to": cities[b]} for a, b in pairs],
        }
    )


# ------------------------------------------------------------------ the path before


_BLOCK: dict = {}  # the block being routed by the run's stage: positions, next window's step


def per_step_route_window(ptr, idx, wt, transit, ends, fixed=None, fixed_weight=None):
    """One A* per pair and step (astar.pair_paths) on each step's whole graph (fixed lasers
    copied in), heuristic scaled from that graph."""
    first = _BLOCK["next"]
    _BLOCK["next"] += len(ptr)
    found = []
    for k in range(len(ptr)):
        graph = step_graph(ptr, idx, wt, k, fixed, fixed_weight)
        pos = np.concatenate([_BLOCK["r"][first + k], _BLOCK["stations"]])
        found.append(pair_paths(graph, pos, transit, ends.src, ends.dst))
    return found


class RunStage(stage.NetworkStage):
    """The run's stage: link statistics, best ISL rates and capacities, thrown away here."""

    def __init__(self, context, routes=None, where="routes.{k}.", routes_only=False):
        super().__init__(context, routes, where, routes_only=False)

    def _route_block(self, samples, isls, ground):
        _BLOCK.update(r=samples.r_ecef, stations=self.geometry.ecef, next=0)
        super()._route_block(samples, isls, ground)


@njit(cache=True)
def _visible_all(sat, gs, up, sin_mask, max_range, floor):  # pragma: no cover - compiled
    """Every satellite tested at every station (graph.visible_pairs before its grid cells)."""
    n_sat, n_st = len(sat), len(gs)
    height = np.empty(n_sat)
    st, si = np.empty(n_sat * n_st, np.int64), np.empty(n_sat * n_st, np.int64)
    rng, hh = np.empty(n_sat * n_st), np.empty(n_sat * n_st)
    m = 0
    for k in range(n_st):
        ux, uy, uz = up[k, 0], up[k, 1], up[k, 2]
        gx, gy, gz = gs[k, 0], gs[k, 1], gs[k, 2]
        base = gx * ux + gy * uy + gz * uz
        for i in range(n_sat):
            height[i] = sat[i, 0] * ux + sat[i, 1] * uy + sat[i, 2] * uz - base
        for i in range(n_sat):
            h = height[i]
            if not h >= floor[k]:
                continue
            dx, dy, dz = sat[i, 0] - gx, sat[i, 1] - gy, sat[i, 2] - gz
            d = np.sqrt(dx * dx + dy * dy + dz * dz)
            if h >= sin_mask[k] * d and d <= max_range[k]:
                st[m], si[m], rng[m], hh[m] = k, i, d, h
                m += 1
    order = np.argsort(si[:m] * n_st + st[:m])
    return si[order], st[order], rng[order], hh[order]


def visible_all(sat_m, station_m, up, mask_rad, max_range_m):
    sat = np.ascontiguousarray(sat_m, dtype=np.float64)
    gs = np.ascontiguousarray(station_m, dtype=np.float64)
    sin_mask = np.broadcast_to(np.sin(np.asarray(mask_rad, dtype=np.float64)), (len(gs),))
    r_sat = np.linalg.norm(sat, axis=1)
    r_sat = r_sat[np.isfinite(r_sat)]
    r_gs = np.linalg.norm(gs, axis=1)
    max_range = np.broadcast_to(np.asarray(max_range_m, dtype=np.float64), (len(gs),))
    reach = np.minimum(max_range, r_sat.max() + r_gs)
    nearest_m = np.maximum(r_sat.min() - r_gs, 0.0)
    floor = np.where(sin_mask >= 0, sin_mask * nearest_m, sin_mask * reach)
    si, gi, rng_m, h = _visible_all(
        sat, gs, np.ascontiguousarray(up), sin_mask.copy(), max_range.copy(), floor
    )
    return si, gi, rng_m, np.arcsin(np.clip(h / rng_m, -1.0, 1.0))


def visible_all_steps(sat_m, station_m, up, mask_rad, max_range_m):
    """visible_all step by step, as graph.visible_pairs_steps returns pairs (heights m)."""
    found = [visible_all(s, station_m, up, mask_rad, max_range_m) for s in sat_m]
    offsets = np.r_[0, np.cumsum([len(f[0]) for f in found])]
    si, gi, rng_m, el = (np.concatenate([f[j] for f in found]) for j in range(4))
    return offsets, si, gi, rng_m, rng_m * np.sin(el)


def numpy_parts(flat, n_nodes, node_pos, n_sat, hop_delay):
    """Latency parts (4, route) s, with numpy over the segments of all paths."""
    n_routes = len(n_nodes)
    route = np.repeat(np.arange(n_routes), n_nodes)
    a, b = flat[:-1], flat[1:]
    same = route[:-1] == route[1:]
    seg = np.linalg.norm(node_pos[b] - node_pos[a], axis=-1) / SPEED_OF_LIGHT_M_S
    r_seg = route[:-1]
    isl = same & (a < n_sat) & (b < n_sat)
    ground_seg = same & ~isl
    start = np.r_[0, np.cumsum(n_nodes)[:-1]]
    first = np.zeros(len(a), dtype=bool)
    first[start[n_nodes > 1]] = True
    last = np.zeros(len(a), dtype=bool)
    last[(start + n_nodes - 2)[n_nodes > 1]] = True
    up = ground_seg & first & (a >= n_sat)
    down = ground_seg & last & (b >= n_sat)
    middle = same & ~up & ~down
    total = np.zeros((4, n_routes))
    for j, m in enumerate((up, middle, down)):
        total[j] = np.bincount(r_seg[m], seg[m], minlength=n_routes)
    hop = np.where(isl, hop_delay[np.minimum(a, n_sat - 1)], 0.0)
    total[3] = np.bincount(r_seg[isl], hop[isl], minlength=n_routes)
    return total


_LAST_PATHS: dict = {}  # id of the last step's flat paths -> their tuples, made once a step


def python_changes(prev_flat, prev_n, flat, n_nodes, changes):
    """Path changes by comparing tuples of nodes."""

    def tuples(paths, lengths):
        ends = np.cumsum(lengths)
        return [tuple(paths[a:b].tolist()) for a, b in zip(ends - lengths, ends, strict=True)]

    before = _LAST_PATHS.get(id(prev_flat)) or tuples(prev_flat, prev_n)
    now = tuples(flat, n_nodes)
    _LAST_PATHS.clear()
    _LAST_PATHS[id(flat)] = now
    for p, (x, y) in enumerate(zip(before, now, strict=True)):
        changes[p] += x != y


BEFORE = {
    (stage, "route_window"): per_step_route_window,
    (stage, "visible_pairs_steps"): visible_all_steps,
    (stage, "_latency_parts"): numpy_parts,
    (stage, "_count_changes"): python_changes,
    (routes, "NetworkStage"): RunStage,
}


def timed_series(sc, before: bool):
    """route_series(sc), its wall and CPU seconds and the CPU seconds spent routing; before:
    by the path before."""
    saved = {key: getattr(*key) for key in BEFORE}
    if before:
        for (module, name), value in BEFORE.items():
            setattr(module, name, value)
    spent = [0.0]

    def timed(routing):
        def run(*args, **kwargs):
            c = time.process_time()
            out = routing(*args, **kwargs)
            spent[0] += time.process_time() - c
            return out

        return run

    stage.route_window = timed(stage.route_window)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        series = route_series(sc)
        return series, time.perf_counter() - t0, time.process_time() - c0, spent[0]
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--baseline", default="2h", help="span timed with the per-step A*")
    args = ap.parse_args()
    for before in (False, True):  # compile both (cached on disk after)
        timed_series(scenario("60s"), before)
    short = scenario(args.baseline)
    old, t_old, c_old, r_old = timed_series(short, before=True)
    new_short, t_new_short, c_new_short, r_new_short = timed_series(short, before=False)
    for name in ("t_s", "rtt_s", "hops", "up_s", "isl_s", "down_s", "processing_s", "path_changes"):
        a, b = getattr(old, name), getattr(new_short, name)
        assert np.array_equal(a, b, equal_nan=True), f"{name} differs from the path before"
    series, t_new, c_new, r_new = timed_series(scenario(args.duration), before=False)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    n, n_short = len(series.t_s), len(old.t_s)
    print(
        f"{len(series.names)} pairs, {n} steps at 10 s, 10,361 satellites;"
        f" reachable {100 * np.isfinite(series.rtt_s).mean():.1f} %,"
        f" median RTT {np.nanmedian(series.rtt_s) * 1e3:.1f} ms"
    )
    print(
        f"route_series, {args.duration}, 1 process: {t_new:.1f} s wall, {c_new:.1f} s CPU"
        f" ({c_new / n * 1e3:.2f} ms/step CPU), peak RSS {peak_gb:.2f} GB"
    )
    print(
        f"{args.baseline}: before {t_old:.1f} s wall, {c_old:.1f} s CPU;"
        f" now {t_new_short:.1f} s wall, {c_new_short:.1f} s CPU: same series"
    )
    print(
        f"ratio now / before ({args.baseline}, same run):"
        f" wall {t_new_short / t_old:.3f}, CPU {c_new_short / c_old:.3f}"
    )
    print(f"{args.duration} at the path before's CPU rate: {c_old / n_short * n:.0f} s")
    print(
        f"routing alone ({args.baseline}, CPU): before {r_old:.1f} s, now"
        f" {r_new_short:.1f} s, ratio {r_new_short / r_old:.3f}; the day's {r_new:.1f} s"
    )


if __name__ == "__main__":
    main()
