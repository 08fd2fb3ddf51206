"""A day at 10 s of RTT series for 100 city pairs over the full Starlink catalogue, against the
per-step A* it replaces, measured in the same run.

10,361 satellites (src/orbitgrid/data/starlink-2026-05-12.tle) with plus-grid lasers (planes
inferred from the elements, 5,016 km, 80 km margin), the 50 cities of cities50.csv (25 deg
mask) and 100 seeded random pairs of them. Times orbitgrid's route_series (SGP4 knots every
120 s and Hermite positions, ISL filtering, ground links, graphs, and the routes' searches by
windows of steps: network/astar.window_paths) over --duration in one process, and the same with
one A* per pair and step (network/astar.pair_paths, the path before) over --baseline, a shorter
span; checks that the two give the same series there, and prints the ratio of seconds per step.

    python benchmarks/bench_routes.py [--duration 1d] [--baseline 2h]
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from pathlib import Path

import numpy as np

import orbitgrid.network.stage as stage
from orbitgrid.network.astar import pair_paths
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


def per_step_window_paths(graphs, positions, transit, src, dst):
    """The path before: one A* per pair and step, heuristic scaled from each step's graph."""
    return [pair_paths(g, pos, transit, src, dst) for g, pos in zip(graphs, positions, strict=True)]


def timed_series(sc, per_step: bool):
    """route_series(sc), its wall and CPU seconds and the CPU seconds spent routing; per_step:
    with the per-step A* instead."""
    fast = stage.window_paths
    routing = per_step_window_paths if per_step else fast
    spent = [0.0]

    def timed(*args):
        c = time.process_time()
        out = routing(*args)
        spent[0] += time.process_time() - c
        return out

    stage.window_paths = timed
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        series = route_series(sc)
        return series, time.perf_counter() - t0, time.process_time() - c0, spent[0]
    finally:
        stage.window_paths = fast


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--baseline", default="2h", help="span timed with the per-step A*")
    args = ap.parse_args()
    for per_step in (False, True):  # compile both (cached on disk after)
        timed_series(scenario("60s"), per_step)
    short = scenario(args.baseline)
    old, t_old, c_old, r_old = timed_series(short, per_step=True)
    new_short, t_new_short, c_new_short, r_new_short = timed_series(short, per_step=False)
    for name in ("rtt_s", "hops", "up_s", "isl_s", "down_s", "processing_s", "path_changes"):
        a, b = getattr(old, name), getattr(new_short, name)
        assert np.array_equal(a, b, equal_nan=True), f"{name} differs from the per-step A*"
    series, t_new, c_new, r_new = timed_series(scenario(args.duration), per_step=False)
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
        f"{args.baseline}: per-step A* {t_old:.1f} s wall, {c_old:.1f} s CPU;"
        f" windows {t_new_short:.1f} s wall, {c_new_short:.1f} s CPU: same series"
    )
    print(
        f"ratio windows / per-step A* ({args.baseline}, same run):"
        f" wall {t_new_short / t_old:.3f}, CPU {c_new_short / c_old:.3f}"
    )
    print(f"the day at the per-step A*'s CPU rate: {c_old / n_short * n:.0f} s")
    print(
        f"routing alone ({args.baseline}, CPU): per-step A* {r_old:.1f} s, windows"
        f" {r_new_short:.1f} s, ratio {r_new_short / r_old:.3f}; the day's windows {r_new:.1f} s"
    )


if __name__ == "__main__":
    main()
