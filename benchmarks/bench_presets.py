"""Every preset on its full horizon: wall time, sat-steps and the cost of the stages above orbits.

Each preset (`orbitgrid scenarios` lists them) runs with `orbitgrid run` in a child process, and
so does its baseline, measured in the same run: the same scenario with the foundation stages only
(propagation, eclipses, contacts and their tables; no satellite hardware, lasers, routes,
sensing, workload or economics). The ratio full / foundation is what physics, network, sensing
and the space OS add. Both times include the child's start-up and imports (about 1.5 s here).
`starlink` (10,361 satellites with a laser mesh) is skipped unless --all. With --repeat N each
time is the least of N runs (the machine may be shared).

    python benchmarks/bench_presets.py               # every preset but starlink
    python benchmarks/bench_presets.py --all         # and starlink
    python benchmarks/bench_presets.py demo showcase # some presets
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from orbitgrid.fleet import build_fleet
from orbitgrid.scenario import load_scenario, preset_names

LONG = {"starlink"}
# what the foundation baseline leaves out: per constellation, then at the top level
HIGHER_CONSTELLATION_KEYS = ("satellite", "isl")
HIGHER_KEYS = ("routes", "sensing", "workload", "jobs_file", "economics")


def run_seconds(scenario: str | Path, out: Path, repeat: int = 1) -> float:
    """Least wall time of `orbitgrid run scenario` in a child process over `repeat` runs."""
    best = float("inf")
    for k in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "orbitgrid.cli", "run", str(scenario), "--out",
                        str(out.with_name(f"{out.name}-{k}"))], check=True,
                       stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def foundation(name: str) -> dict | None:
    """The preset resolved, with only what the foundation stages read; None without orbits."""
    data = load_scenario(name).resolved()
    if not data.get("constellations"):
        return None
    for key in HIGHER_KEYS:
        data.pop(key, None)
    for c in data["constellations"]:
        for key in HIGHER_CONSTELLATION_KEYS:
            c.pop(key, None)
    data["name"] = f"{name}-foundation"
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("presets", nargs="*", help="presets to run (default: all)")
    parser.add_argument("--all", action="store_true", help="include starlink (long)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per time (least kept)")
    args = parser.parse_args()
    names = args.presets or [n for n in preset_names() if args.all or n not in LONG]
    head = (f"{'preset':<18}{'sats':>7}{'steps':>7}{'M sat-steps':>12}{'wall s':>9}"
            f"{'k sat-steps/s':>14}{'foundation s':>14}{'full/found.':>12}")
    print(head)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in names:
            sc = load_scenario(name)
            sats = len(build_fleet(sc)) if sc.constellations else 0
            steps = int(sc.duration // sc.step) + 1
            wall = run_seconds(name, root / name, args.repeat)
            base = foundation(name)
            base_s = None
            if base is not None:
                path = root / f"{name}-foundation.yaml"
                path.write_text(yaml.safe_dump(base, sort_keys=False))
                base_s = run_seconds(path, root / f"{name}-foundation", args.repeat)
            sat_steps = sats * steps
            rate = f"{sat_steps / wall / 1e3:>14,.1f}" if sats else f"{'-':>14}"
            found = (f"{base_s:>14.1f}{wall / base_s:>12.2f}" if base_s is not None
                     else f"{'-':>14}{'-':>12}")
            print(f"{name:<18}{sats:>7}{steps:>7}{sat_steps / 1e6:>12.2f}{wall:>9.1f}{rate}{found}",
                  flush=True)


if __name__ == "__main__":
    main()
