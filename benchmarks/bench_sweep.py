"""Sweeps on Ray: a 200-point sweep on 1 worker against 2, and one large run split in blocks.

    python benchmarks/bench_sweep.py [--points 200] [--large starlink-cities] [--duration 2h]

Prints, for the sweep, the wall time on 1 and 2 workers (Ray start-up excluded, measured apart),
the speed-up and the per-point overhead against the same runs done in a loop in this process;
for the large run, single-process time against the split run on 2 workers, and their ratio.
HOME is pointed at a temporary folder (Ray writes a token file there).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--large", default="starlink-cities")
    parser.add_argument("--duration", default="2h")
    parser.add_argument("--step", default="30s")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    os.environ.update(HOME=str(tmp), RAY_AUTH_MODE="disabled")

    import ray

    from orbitgrid.scenario import load_scenario
    from orbitgrid.simulation import simulate
    from orbitgrid.sweep import load_sweep, read_points, run_sweep, split_run

    spec = {
        "base": "demo",
        "overrides": {"duration": "1h", "step": "60s"},
        "parameters": {
            "constellations.0.walker.altitude_km": {"range": [450, 650], "samples": 20},
            "constellations.1.sun_synchronous.ltan": [f"{h:02d}:30" for h in range(6, 16)],
        },
        "objectives": [{"maximise": "contact_hours"}, {"minimise": "umbra_hours"}],
    }
    (tmp / "sweep.yaml").write_text(yaml.safe_dump(spec))
    sweep = load_sweep(tmp / "sweep.yaml")
    points = sweep.points[: args.points]
    sweep = type(sweep)(sweep.path, sweep.spec, sweep.base_data, sweep.base_dir, points)

    loop_points = points[:40]
    started = time.perf_counter()
    for k, params in enumerate(loop_points):
        simulate(sweep.scenario(params), out=tmp / "loop" / f"p{k}")
    per_point = (time.perf_counter() - started) / len(loop_points)
    print(f"in-process loop: {per_point * 1e3:.1f} ms a point ({len(loop_points)} points)")

    walls = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        init = time.perf_counter() - t0
        t0 = time.perf_counter()
        db = run_sweep(sweep, tmp / f"w{workers}", workers=workers)
        walls[workers] = wall = time.perf_counter() - t0
        ray.shutdown()
        done = sum(r["status"] == "done" for r in read_points(db)[0].to_pylist())
        overhead = wall * workers / len(points) - per_point
        print(
            f"{workers} worker(s): {len(points)} points ({done} done) in {wall:.1f} s "
            f"(ray.init {init:.1f} s apart), {len(points) / wall:.1f} points/s, "
            f"overhead {overhead * 1e3:.0f} ms a point"
        )
    print(f"speed-up 2 workers / 1 worker: {walls[1] / walls[2]:.2f}")

    scenario = load_scenario(args.large, {"duration": args.duration, "step": args.step})
    t0 = time.perf_counter()
    whole = simulate(scenario, out=tmp / "whole")
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    init = time.perf_counter() - t0
    t0 = time.perf_counter()
    split = split_run(scenario, tmp / "split", blocks=2)
    parallel = time.perf_counter() - t0
    ray.shutdown()
    same = all(split.table(n).equals(whole.table(n)) for n in whole.tables)
    print(
        f"large run {args.large} {args.duration} at {args.step} "
        f"({whole.summary['satellites']} satellites): single process {single:.1f} s, "
        f"split in 2 blocks on 2 workers {parallel:.1f} s (ray.init {init:.1f} s apart), "
        f"ratio single/split {single / parallel:.2f}, tables equal: {same}"
    )


if __name__ == "__main__":
    main()
