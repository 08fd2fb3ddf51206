"""The next scale: the filed Starlink Gen2 shells beside today's catalogue (preset starlink-gen2,
40,349 satellites, a Starlink V2-mini `satellite:` on every one, 50 cities at 25 deg, 10 s steps).

Runs `orbitgrid run starlink-gen2` in a child process (wall time, CPU time and peak memory of
the child), then, unless --no-split, the same run split into contiguous satellite blocks on a
local Ray cluster (`orbitgrid.sweep.split_run`, --workers processes) in another child, checks
that the two runs' tables are identical (every Parquet file, read back) and that every figure
of their summaries is equal, and prints the split run's speed-up. The load average (`uptime`)
is printed around each run: on a shared machine the ratio is the figure to read.

    python benchmarks/bench_nextgen.py --duration 3h
    python benchmarks/bench_nextgen.py --duration 1d --workers 2
    nice python benchmarks/bench_nextgen.py --duration 7d --no-split   # the week, alone
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from orbitgrid.sweep.paths import flatten

PRESET = "starlink-gen2"
SPLIT = """
import sys
from orbitgrid.scenario import load_scenario
from orbitgrid.sweep import split_run
split_run(load_scenario(sys.argv[1], {"duration": sys.argv[2]}), sys.argv[3],
          blocks=int(sys.argv[4]), workers=int(sys.argv[4]))
"""


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def child(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak memory (GB) of a child process running args."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, cpu, after.ru_maxrss / 1e6  # maxrss: the largest child so far, in kB


def same_runs(a: Path, b: Path) -> list[str]:
    """What differs between two run folders: tables (read back, compared whole) and summary
    figures, equal to the precision summary.json keeps (each block of a split run rounds its
    own figures, as tests/test_sweep.py allows). Empty: the same run."""
    differs = []
    tables = sorted(p.name for p in a.glob("*.parquet"))
    if tables != sorted(p.name for p in b.glob("*.parquet")):
        differs.append("the set of tables")
    for name in tables:
        if not pq.read_table(a / name).equals(pq.read_table(b / name)):
            differs.append(name)
    sa, sb = (flatten(json.loads((p / "summary.json").read_text())) for p in (a, b))
    for key in sorted(set(sa) | set(sb)):
        x, y = sa.get(key), sb.get(key)
        if isinstance(x, float) and isinstance(y, float):
            if abs(x - y) > max(3e-6 * abs(x), 3e-4):
                differs.append(f"summary {key}: {x} vs {y}")
        elif x != y:
            differs.append(f"summary {key}: {x} vs {y}")
    return differs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="3h")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-split", action="store_true", help="the single run alone")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        single, split = Path(tmp) / "single", Path(tmp) / "split"
        print(f"{PRESET} for {args.duration}; {load()}", flush=True)
        run_s, cpu_s, peak_gb = child(["-m", "orbitgrid.cli", "run", PRESET, "--duration",
                                       args.duration, "--out", str(single)])
        summary = json.loads((single / "summary.json").read_text())
        sat_steps = summary["satellites"] * (summary["duration_s"] / summary["step_s"] + 1)
        print(f"one process: {run_s:.1f} s wall, {cpu_s:.1f} s CPU, peak {peak_gb:.2f} GB "
              f"(goal < 4 GB); {summary['satellites']} satellites, {sat_steps / 1e9:.3f} G "
              f"sat-steps, {sat_steps / run_s / 1e6:.2f} M sat-steps/s; "
              f"{summary['contacts']} contacts, {summary['eclipses']} eclipses; {load()}",
              flush=True)
        if args.no_split:
            return
        split_s, _, _ = child(["-c", SPLIT, PRESET, args.duration, str(split),
                               str(args.workers)])
        differs = same_runs(single, split)
        print(f"split over {args.workers} Ray workers: {split_s:.1f} s wall, speed-up "
              f"{run_s / split_s:.2f}; tables and summary "
              f"{'identical' if not differs else 'DIFFER: ' + ', '.join(differs)}; {load()}")


if __name__ == "__main__":
    main()
