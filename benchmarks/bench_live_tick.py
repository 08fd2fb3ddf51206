"""The live twin's tick alone, in one process: no server, no clients, no other thread.

    python benchmarks/bench_live_tick.py [--ticks 100] [--jobs-per-tick 50]

The bench_live.py scenario (the real Starlink catalogue, one H100 per satellite, 10,361
satellites) at speed 60: a Twin on a fresh store, its environment computed 10 min of twin time
ahead, then ticks of 3 s of twin time (the 50 ms tick at speed 60), each handed JOBS_PER_TICK
committed inference jobs (their arrivals 50 ms of twin time apart), then as many ticks with
none. Prints the tick thread's CPU per tick (median, mean, worst), which the machine's load
barely moves, unlike wall time; run it on two checkouts back to back for a ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_live import starlink_with_h100  # noqa: E402

from orbitgrid.live.store import Store  # noqa: E402
from orbitgrid.live.twin import Twin  # noqa: E402
from orbitgrid.scenario import load_scenario  # noqa: E402

SPEC = {"kind": "inference", "work_flop": 1e12, "precision": "fp8", "memory_bytes": 0,
        "input_bytes": 0, "output_bytes": 0, "checkpoint_bytes": 0, "min_satellites": 1,
        "max_satellites": 1, "deadline": None}
TICK_TWIN_S = 3.0  # 50 ms at speed 60


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=100)
    ap.add_argument("--jobs-per-tick", type=int, default=50)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-tick-"))
    try:
        scenario = load_scenario(starlink_with_h100(folder))
        store = Store(folder / "state")
        twin = Twin(scenario, store, speed=60.0,
                    start=datetime.fromisoformat("2026-05-13T00:00:00+00:00"))
        while twin.env.t <= twin.resume_s + 600.0:
            twin._add_chunk()
        t = twin.resume_s
        twin._tick(t)

        def ticks(n: int, jobs: int) -> np.ndarray:
            nonlocal t
            cpu = []
            for _ in range(n):
                for k in range(jobs):
                    record, _ = store.submit("bench", dict(SPEC, priority=k % 3), t + k * 0.05,
                                             None)
                    twin.inbox.append(record)
                t += TICK_TWIN_S
                c0 = time.thread_time()
                twin._tick(t)
                cpu.append(time.thread_time() - c0)
            return np.array(cpu) * 1e3

        ticks(30, args.jobs_per_tick)  # warm: the first steps, the engine's first jobs
        for jobs in (args.jobs_per_tick, 0):
            ms = ticks(args.ticks, jobs)
            print(f"{jobs} jobs a tick, {args.ticks} ticks: tick CPU median {np.median(ms):.2f} "
                  f"ms, mean {ms.mean():.2f} ms, worst {ms.max():.1f} ms")
        twin.stop()
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
