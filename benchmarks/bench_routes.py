"""A day at 10 s of RTT series for 100 station pairs over the full Starlink catalogue.

10,361 satellites (src/orbitgrid/data/starlink-2026-05-12.tle) with plus-grid lasers (planes
inferred from the elements, 5,016 km, 80 km margin), the 50 cities of cities50.csv (25 deg
mask) and 100 seeded random pairs of them. Times orbitgrid's route_series (SGP4 knots every
120 s and Hermite positions, ISL filtering, ground links, graph and A* per step) over the whole
day in one process, then split over --workers processes (checked identical); baseline: networkx
Dijkstra on the same per-step graphs for all 100 pairs on a sample of steps, in the same run,
scaled to the day (graph conversion included). Also checks that the two agree (rtol 1e-9).

    python benchmarks/bench_routes.py [--duration 1d] [--sample 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

import orbitgrid.network.routes as stage
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--sample", type=int, default=5, help="steps timed with networkx")
    ap.add_argument("--workers", type=int, default=2, help="processes for the split run")
    args = ap.parse_args()
    import networkx as nx

    sc = scenario(args.duration)
    n_steps = int(round(sc.duration / sc.step)) + 1
    every = max(1, n_steps // args.sample)
    captured = []
    t_route = [0.0]
    original = stage.pair_paths

    def timed(graph, pos, transit, src, dst):
        t0 = time.perf_counter()
        out = original(graph, pos, transit, src, dst)
        t_route[0] += time.perf_counter() - t0
        if len(captured) < args.sample and timed.calls % every == 0:
            captured.append((graph, transit, src, dst, out[0]))
        timed.calls += 1
        return out

    timed.calls = 0
    stage.pair_paths = timed
    stage.route_series(scenario("60s"))  # compile the A* kernel (cached on disk after)
    timed.calls, captured.clear(), t_route.__setitem__(0, 0.0)
    t0, c0 = time.perf_counter(), time.process_time()
    series = stage.route_series(sc)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    stage.pair_paths = original
    t0 = time.perf_counter()
    split = stage.route_series(sc, workers=args.workers)
    total_split = time.perf_counter() - t0
    for name in ("rtt_s", "hops", "up_s", "isl_s", "down_s", "processing_s", "path_changes"):
        assert np.array_equal(getattr(series, name), getattr(split, name), equal_nan=True), name

    t_nx = 0.0
    for graph, transit, src, dst, ours in captured:
        tb = time.perf_counter()
        g = nx.from_scipy_sparse_array(graph)
        for k, (s, d) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):

            def weight(u, v, e, s=s, transit=transit):
                return None if not transit[u] and u != s else e["weight"]

            try:
                ref = nx.dijkstra_path_length(g, s, d, weight=weight)
            except nx.NetworkXNoPath:
                ref = np.inf
            assert np.isclose(ref, ours[k], rtol=1e-9) or ref == ours[k] == np.inf
        t_nx += time.perf_counter() - tb
    per_step_nx = t_nx / max(len(captured), 1)
    n = len(series.t_s)
    print(
        f"{len(series.names)} pairs, {n} steps at {sc.step:g} s, 10,361 satellites;"
        f" reachable {100 * np.isfinite(series.rtt_s).mean():.1f} %,"
        f" median RTT {np.nanmedian(series.rtt_s) * 1e3:.1f} ms"
    )
    print(
        f"orbitgrid route_series, 1 process:     {total:.1f} s ({total / n * 1e3:.1f} ms/step),"
        f" CPU {cpu:.1f} s"
    )
    print(f"  of which A* for the 100 pairs:         {t_route[0]:.1f} s")
    print(
        f"orbitgrid route_series, {args.workers} processes:   {total_split:.1f} s"
        f" ({total_split / n * 1e3:.1f} ms/step), same series"
    )
    print(
        f"networkx, {len(captured)} sampled steps:        {per_step_nx:.3f} s/step,"
        f" scaled to {n} steps: {per_step_nx * n:.0f} s"
    )
    print(f"ratio networkx routing / orbitgrid end to end: {per_step_nx * n / total:.1f}x")
    print(
        f"ratio networkx routing / orbitgrid, {args.workers} processes:"
        f" {per_step_nx * n / total_split:.1f}x"
    )
    print(f"ratio networkx routing / orbitgrid A*:         {per_step_nx * n / t_route[0]:.1f}x")


if __name__ == "__main__":
    main()
