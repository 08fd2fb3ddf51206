"""End-to-end speed of the foundation pipeline on the real Starlink catalogue.

Runs `orbitgrid run starlink-cities` (10,361 satellites, 50 cities at a 25 deg mask, eclipses
and contacts refined to the second) in a child process, and in the same run measures
(a) the raw cost of evaluating every sat-step with sgp4's SatrecArray, and
(b) skyfield, one satellite at a time, on a sample, scaled to the catalogue.
Prints the pipeline's time as a ratio against each, and its peak memory; and the ratio of CPU
seconds (the child's user + system time against SGP4's process time), the figure to read on a
shared, loaded machine where wall time depends on what else runs.

    python benchmarks/bench_pipeline.py                 # 1 day at 10 s (89.5 M sat-steps)
    python benchmarks/bench_pipeline.py --duration 6h   # quicker
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sgp4.api import SatrecArray

from orbitgrid.orbits.elsets import read_tle
from orbitgrid.orbits.timescale import julian_date
from orbitgrid.scenario import load_scenario, parse_duration

PRESET = "starlink-cities"


def pipeline_seconds(duration: str) -> tuple[float, float, float]:
    """Wall time, CPU time and peak RSS (GB) of the whole `orbitgrid run`, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "orbitgrid.cli",
                "run",
                PRESET,
                "--duration",
                duration,
                "--out",
                str(Path(tmp) / "run"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1e6


def raw_sgp4_seconds(satrecs, epoch, t_s, block: int = 64) -> tuple[float, float]:
    """Wall and CPU time to evaluate every sat-step with SatrecArray, in blocks of steps."""
    array = SatrecArray(satrecs)
    start, cpu = time.perf_counter(), time.process_time()
    for b in range(0, len(t_s), block):
        jd, fr = julian_date(epoch, t_s[b : b + block])
        array.sgp4(jd, fr)
    return time.perf_counter() - start, time.process_time() - cpu


def skyfield_seconds(lines, epoch, t_s, sample: int) -> float:
    """Time for skyfield to compute geocentric positions of `sample` satellites at every step."""
    from skyfield.api import EarthSatellite, Loader
    from skyfield_data import get_skyfield_data_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = Loader(get_skyfield_data_path()).timescale()
    day = str(epoch.astype("datetime64[D]"))
    y, m, d = (int(x) for x in day.split("-"))
    times = ts.utc(y, m, d, 0, 0, t_s)
    start = time.perf_counter()
    for line1, line2 in lines[:sample]:
        EarthSatellite(line1, line2, ts=ts).at(times)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="1d")
    parser.add_argument("--skyfield-sample", type=int, default=20)
    args = parser.parse_args()

    scenario = load_scenario(PRESET, {"duration": args.duration})
    path = scenario.constellations[0].tle_file
    sets = read_tle(path)
    text = [ln.rstrip() for ln in path.read_text().splitlines()]
    lines = [(text[k + 1], text[k + 2]) for k in range(0, len(text), 3)]
    t_s = np.arange(0.0, parse_duration(args.duration) + 1e-6, scenario.step)
    sat_steps = len(sets) * len(t_s)
    print(
        f"{len(sets)} satellites x {len(t_s)} steps = {sat_steps / 1e6:.1f} M sat-steps, "
        f"{len(scenario.stations())} stations"
    )

    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    pipe_s, pipe_cpu, peak_gb = pipeline_seconds(args.duration)
    raw_s, raw_cpu = raw_sgp4_seconds([s for _, s in sets], scenario.epoch64, t_s)
    sky_s = (
        skyfield_seconds(lines, scenario.epoch64, t_s, args.skyfield_sample)
        * len(sets)
        / args.skyfield_sample
    )

    print(f"{'what':<58}{'seconds':>10}{'ratio':>8}")
    print(
        f"{'orbitgrid run (propagation, eclipses, contacts, tables)':<58}{pipe_s:>10.1f}{1.0:>8.2f}"
    )
    print(f"{'(a) raw SGP4 SatrecArray at every sat-step':<58}{raw_s:>10.1f}{raw_s / pipe_s:>8.2f}")
    print(
        f"{f'(b) skyfield per satellite, {args.skyfield_sample} sampled, scaled':<58}{sky_s:>10.1f}"
        f"{sky_s / pipe_s:>8.2f}"
    )
    print(
        f"pipeline / raw SGP4 = {pipe_s / raw_s:.2f} (goal <= 0.30); "
        f"pipeline / skyfield = {pipe_s / sky_s:.3f}; peak memory {peak_gb:.2f} GB (goal < 4 GB); "
        f"{sat_steps / pipe_s / 1e6:.2f} M sat-steps/s"
    )
    print(
        f"CPU seconds: pipeline {pipe_cpu:.1f}, raw SGP4 {raw_cpu:.1f}: pipeline / raw SGP4 = "
        f"{pipe_cpu / raw_cpu:.2f}; load average after: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
