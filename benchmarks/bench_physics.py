"""What the physics stage adds to a run of the real Starlink catalogue.

Runs `orbitgrid run` twice in child processes on the preset starlink-cities (10,361 satellites,
50 cities): as shipped (no `satellite:`, so no physics), then the same scenario with every
satellite a Starlink V2-mini-class bus (`satellite: {bus: starlink-v2-mini}`: power, battery,
radiator, per-orbit power.parquet; no accelerator, so no radiation events). Prints both times and
their ratio (goal: physics adds at most 50%, ratio <= 1.5), and the load average around them. A
10-minute physics run first compiles the numba kernels into their cache, as a user's first run
does once.

    python benchmarks/bench_physics.py                 # 1 day at 10 s (89.5 M sat-steps)
    python benchmarks/bench_physics.py --duration 2h   # quicker
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from orbitgrid.scenario import preset_path

PRESET = "starlink-cities"


def with_physics(folder: Path) -> Path:
    """The preset with a Starlink V2-mini `satellite:` block, file paths made absolute."""
    source = preset_path(PRESET)
    data = yaml.safe_load(source.read_text())
    data["name"] = f"{PRESET}-physics"
    data["ground_stations_file"] = str((source.parent / data["ground_stations_file"]).resolve())
    for c in data["constellations"]:
        c["tle_file"] = str((source.parent / c["tle_file"]).resolve())
        c["satellite"] = {"bus": "starlink-v2-mini"}
    path = folder / "starlink-physics.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_seconds(scenario: str, duration: str, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "run", scenario, "--duration", duration,
         "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="1d")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        physics_yaml = with_physics(folder)
        run_seconds(str(physics_yaml), "10min", folder / "warm-up")
        load_before = os.getloadavg()[0]
        base = run_seconds(PRESET, args.duration, folder / "base")
        phys = run_seconds(str(physics_yaml), args.duration, folder / "physics")
        orbits = pq.read_metadata(folder / "physics" / "power.parquet").num_rows
        load_after = os.getloadavg()[0]
    print(f"{PRESET} for {args.duration}:")
    print(f"  without physics  {base:8.1f} s")
    print(f"  with physics     {phys:8.1f} s   ({orbits:,} per-orbit power rows)")
    print(f"  ratio            {phys / base:8.2f}   (goal <= 1.5)")
    print(f"  load average     {load_before:8.2f} before, {load_after:.2f} after (1 min, "
          f"{os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
