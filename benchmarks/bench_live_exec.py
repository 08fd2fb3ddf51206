"""Real programs on the live twin: the executor's overhead per job against a bare launch.

    python benchmarks/bench_live_exec.py [--jobs 200] [--satellites 72] [--speed 600]
                                         [--workers 1] [--timeout-s 600]

Starts `orbitgrid live` (local executor) on a fleet of SATELLITES Starcloud-1-class satellites
(one H100 each) in a noon-midnight sun-synchronous shell at SPEED, submits JOBS short real
jobs (a Python program that checkpoints once and exits) through the API, and waits for them.
Same-run baseline: the same program launched JOBS times with subprocess.run, no shell (a bare
launch, one at a time). Prints per job, in wall seconds: the bare launch, spawn-to-reaped under
the executor (WORKERS at once; its overhead is the difference: clean environment, limits,
process group, the tick that sees it end), submission-to-start (the twin's placement, its
clock tick, input uplink), and the
restart cost of a checkpoint program that is stopped (SIGTERM) and started again (a migration
or an eclipse) from the jobs that met one. Bounded: stops after the jobs or TIMEOUT_S.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

PROGRAM = """\
import json, os, pathlib, time
c = pathlib.Path(os.environ["ORBITGRID_CHECKPOINT_DIR"], "state.json")
n = json.loads(c.read_text())["n"] if c.exists() else 0
c.write_text(json.dumps({"n": n + 1}))
pathlib.Path(os.environ["ORBITGRID_OUTPUT_DIR"], "out.txt").write_text(str(n))
"""


def scenario(satellites: int) -> str:
    planes = max(1, satellites // 12)
    return f"""\
name: bench-live-exec
epoch: 2026-06-21T00:00:00Z
duration: 1d
step: 60s
seed: 1
constellations:
  - name: h100s
    walker: {{satellites: {satellites}, planes: {planes}, altitude_km: 500,
              inclination_deg: 97.4, raan0_deg: 90}}
    satellite: {{bus: starcloud-1}}
ground_stations:
  - {{name: Svalbard, lat_deg: 78.23, lon_deg: 15.41, min_elevation_deg: 10}}
  - {{name: Troll, lat_deg: -72.01, lon_deg: 2.53, min_elevation_deg: 10}}
workload: {{policy: energy-aware}}
programs:
  short: {{command: [python, short.py], checkpoint: true, grace: 5s}}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--satellites", type=int, default=72)
    ap.add_argument("--speed", type=float, default=600.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--timeout-s", type=float, default=600.0)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "live"))
    from conftest import LiveServer  # the tests' server wrapper: a subprocess on a free port

    from orbitgrid.live.tenants import add_tenant

    folder = Path(tempfile.mkdtemp(prefix="bench-live-exec-"))
    try:
        (folder / "short.py").write_text(PROGRAM)
        (folder / "s.yaml").write_text(scenario(args.satellites))
        # baseline: the same program, bare, in the same run
        env = {"PATH": os.environ.get("PATH", ""), "ORBITGRID_CHECKPOINT_DIR": str(folder),
               "ORBITGRID_OUTPUT_DIR": str(folder)}
        bare = []
        for _ in range(args.jobs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(folder / "short.py")], env=env, check=True)
            bare.append(time.perf_counter() - t0)
        key = add_tenant(folder / "keys.json", "bench", execute=True)
        server = LiveServer(folder / "s.yaml", folder / "state", "--keys",
                            str(folder / "keys.json"), "--workers", str(args.workers),
                            speed=args.speed)
        started = time.time()
        server.start("2026-06-21T00:00:00Z")
        print(f"server up in {time.time() - started:.1f} s ({args.satellites} satellites, speed "
              f"{args.speed:g}, {args.workers} workers)")
        deadline = time.time() + args.timeout_s
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            ids = [http.post("/v1/jobs", json={"program": "short", "args": {"k": k}}).json()["id"]
                   for k in range(args.jobs)]
            jobs = {}
            while len(jobs) < len(ids) and time.time() < deadline:
                for job_id in ids:
                    if job_id not in jobs:
                        j = http.get(f"/v1/jobs/{job_id}").json()
                        if j["state"] in ("done", "failed", "cancelled"):
                            jobs[job_id] = j
                time.sleep(0.5)
        server.stop()
        run, wait, restart = [], [], []
        for j in jobs.values():
            h = j["history"]
            submitted = h[0]["wall_time"]
            starts = [x for x in h if x["action"] in ("start", "resume", "restart")]
            ends = [x for x in h if x["action"] == "exited"]
            if not starts or not ends:
                continue
            wait.append(starts[0]["wall_time"] - submitted)
            run.append(ends[-1]["detail"]["ran_wall_s"])  # spawn to reaped, the executor's
            pauses = [x for x in h if x["action"] == "pause"]
            if pauses and len(starts) > 1:
                restart.append(starts[-1]["wall_time"] - pauses[-1]["wall_time"])
        done = sum(j["state"] == "done" for j in jobs.values())
        b = float(np.mean(bare))
        r = float(np.mean(run)) if run else float("nan")
        print(f"{done} of {args.jobs} jobs done; bare launch {b * 1e3:.1f} ms per job "
              f"(p50 {np.median(bare) * 1e3:.1f} ms)")
        print(f"spawn to reaped under the executor {r * 1e3:.1f} ms per job: overhead "
              f"{(r - b) * 1e3:.1f} ms, ratio {r / b:.2f} against the bare launch")
        if wait:
            print(f"submission to start {np.mean(wait) * 1e3:.1f} ms mean, p99 "
                  f"{np.percentile(wait, 99) * 1e3:.1f} ms")
        if restart:
            print(f"stop-and-restart (checkpoint) {np.mean(restart) * 1e3:.1f} ms mean over "
                  f"{len(restart)} jobs")
        print(json.dumps({"bare_ms": b * 1e3, "run_ms": r * 1e3, "jobs_done": done}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
