"""The run-size estimate (orbitgrid.budget) against the peak memory of real runs.

Each case runs simulate() in a child process and reads its peak resident memory (ru_maxrss)
and CPU seconds; prints the estimate, the measurement and their ratio. The starlink-gen2 cases
(physics on 40,349 satellites, 50 cities) show memory flat in the horizon (orbitgrid.spill).
The coefficients of orbitgrid.budget come from these measurements; a ratio far from 1 means
they need measuring again.

    python benchmarks/calibrate_budget.py            # about 3 min on one core
    python benchmarks/calibrate_budget.py --large    # adds 10^6 satellites (another minute)
    python benchmarks/calibrate_budget.py --only gen2  # the cases whose label has "gen2"
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from orbitgrid.budget import estimate_run
from orbitgrid.scenario import load_scenario, validate_scenario

CHILD = """
import json, resource, sys, tempfile
from pathlib import Path
from orbitgrid.simulation import simulate
from orbitgrid.scenario import load_scenario, validate_scenario
case = json.loads(sys.argv[1])
sc = (load_scenario(case["preset"], {"duration": case["duration"]}) if "preset" in case
      else validate_scenario(case["scenario"]))
with tempfile.TemporaryDirectory() as tmp:
    simulate(sc, out=Path(tmp) / "run", save=case.get("save", []))
use = resource.getrusage(resource.RUSAGE_SELF)
print(use.ru_maxrss * 1024, use.ru_utime + use.ru_stime)
"""


def walker(satellites: int, planes: int, duration: str, step: str = "30s", stations: int = 0,
           save: tuple[str, ...] = ()) -> dict:
    ground = [
        {"name": f"s{k}", "lat_deg": -60 + 120 * k / max(stations, 1), "lon_deg": 37.0 * k % 360,
         "min_elevation_deg": 10}
        for k in range(stations)
    ]
    return {
        "label": f"walker {satellites:,} x {duration} at {step}, {stations} stations"
        + (f", save {'+'.join(save)}" if save else ""),
        "scenario": {
            "name": "calibrate", "epoch": "2026-05-13T00:00:00Z", "duration": duration,
            "step": step, "ground_stations": ground,
            "constellations": [{"name": "w", "walker": {
                "satellites": satellites, "planes": planes, "altitude_km": 550,
                "inclination_deg": 53}}],
        },
        "save": list(save),
    }


CASES = [
    walker(100, 10, "1h"),
    walker(10_000, 100, "1h"),
    walker(10_000, 100, "6h"),
    walker(10_000, 100, "24h"),
    walker(100_000, 200, "1h"),
    walker(10_000, 100, "1h", stations=20),
    walker(10_000, 100, "1h", stations=5, save=("ephemeris",)),
    walker(20_000, 100, "2d", step="10min"),
    {"label": "preset starlink-cities, 6 h", "preset": "starlink-cities", "duration": "6h"},
    {"label": "preset showcase, 1 h", "preset": "showcase", "duration": "1h"},
    {"label": "preset starlink-gen2, 3 h", "preset": "starlink-gen2", "duration": "3h"},
    {"label": "preset starlink-gen2, 6 h", "preset": "starlink-gen2", "duration": "6h"},
    {"label": "preset starlink-gen2, 1 d", "preset": "starlink-gen2", "duration": "1d"},
]
LARGE = [walker(1_000_000, 1000, "10min", step="60s")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add a 10^6-satellite case")
    parser.add_argument("--only", help="run only the cases whose label contains this")
    args = parser.parse_args()
    print(f"{'case':<58} {'estimate':>9} {'measured':>9} {'ratio':>6} {'CPU':>7}")
    for case in CASES + (LARGE if args.large else []):
        if args.only and args.only not in case["label"]:
            continue
        sc = (load_scenario(case["preset"], {"duration": case["duration"]}) if "preset" in case
              else validate_scenario(case["scenario"]))
        estimate = estimate_run(sc, case.get("save", ())).peak_memory_bytes
        done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)],
                              capture_output=True, text=True, check=True)
        measured, cpu_s = (float(x) for x in done.stdout.split()[-2:])
        print(f"{case['label']:<58} {estimate / 1e6:>7.0f}MB {measured / 1e6:>7.0f}MB "
              f"{estimate / measured:>6.2f} {cpu_s:>6.1f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
