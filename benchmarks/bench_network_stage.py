"""The network stage in the showcase (issue 17): its CPU seconds in a whole run, and its links
found per block against the per-step path they replaced, on the same states.

1. One showcase run (`simulate`, the default scenario), NetworkStage.block timed with
   time.process_time (CPU seconds: on a shared machine the wall clock moves with the load).
2. The ISLs and ground links of the showcase's blocks found both ways, taken in turn, best of
   --repeat: per step (isl_edges per layout, graph.visible_pairs, ground_link_rate_bps per
   station: the path before this change, the baseline) and per block (isl_edges_block,
   graph.visible_pairs_steps, one ground_link_rate_bps per rate model). Prints both and the
   ratio, and the load average around the runs.

    python benchmarks/bench_network_stage.py
    python benchmarks/bench_network_stage.py --repeat 5 --no-run
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from orbitgrid.network.graph import visible_pairs, visible_pairs_steps
from orbitgrid.network.isl import isl_edges, isl_edges_block
from orbitgrid.network.links import GroundLink, ground_link_rate_bps
from orbitgrid.network.stage import NetworkStage
from orbitgrid.pipeline import build_world, stream
from orbitgrid.scenario import load_scenario
from orbitgrid.simulation import simulate


def stage_seconds(scenario) -> tuple[float, float]:
    """CPU seconds of NetworkStage.block and of the whole simulate in one run."""
    spent = [0.0]
    block = NetworkStage.block

    def timed(self, samples):
        start = time.process_time()
        try:
            return block(self, samples)
        finally:
            spent[0] += time.process_time() - start

    NetworkStage.block = timed
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.process_time()
            simulate(scenario, Path(tmp) / "run")
            return spent[0], time.process_time() - start
    finally:
        NetworkStage.block = block


def per_step(world, layouts, r, links) -> int:
    geo, found = world.ground, 0
    for k in range(len(r)):
        for g in layouts:
            found += len(isl_edges(g, r[k])[0])
        si, gi, rng_m, el = visible_pairs(r[k], geo.ecef, geo.up, geo.mask, geo.max_range)
        for s, link in enumerate(links):
            on = gi == s
            ground_link_rate_bps(rng_m[on], el[on], link)
        found += len(si)
    return found


def per_block(world, layouts, r, links) -> int:
    geo, found = world.ground, 0
    for g in layouts:
        found += len(isl_edges_block(g, r).step)
    _, si, gi, rng_m, height = visible_pairs_steps(r, geo.ecef, geo.up, geo.mask, geo.max_range)
    el = np.arcsin(np.clip(height / rng_m, -1.0, 1.0))
    models = list(dict.fromkeys(links))
    model = np.array([models.index(link) for link in links])[gi]  # each pair's rate model
    for j, link in enumerate(models):
        on = model == j
        ground_link_rate_bps(rng_m[on], el[on], link)
    return found + len(si)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-run", action="store_true", help="skip the whole showcase run")
    args = parser.parse_args()
    scenario = load_scenario("showcase")
    print(f"load before: {os.getloadavg()[0]:.2f}")
    if not args.no_run:
        stage_s, run_s = stage_seconds(scenario)
        print(f"showcase run: network stage {stage_s:.2f} s CPU of simulate's {run_s:.2f} s")
    world = build_world(scenario)
    layouts = [g for g in world.isl if g is not None]
    links = [s.link or GroundLink() for s in world.stations]
    blocks = [b.samples.r_ecef for b in stream(world, 0.0, world.steps_s[-1]) if b.steps]
    best = {"per step": np.inf, "per block": np.inf}
    counts = {}
    for _ in range(args.repeat):
        for name, find in (("per step", per_step), ("per block", per_block)):
            start = time.process_time()
            counts[name] = sum(find(world, layouts, r, links) for r in blocks)
            best[name] = min(best[name], time.process_time() - start)
    assert counts["per step"] == counts["per block"], counts
    steps = sum(len(r) for r in blocks)
    print(
        f"ISLs and ground links of {steps} steps ({counts['per block']} links), best of "
        f"{args.repeat}, CPU s: per step {best['per step']:.3f} (1.00), per block "
        f"{best['per block']:.3f} ({best['per block'] / best['per step']:.3f})"
    )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
