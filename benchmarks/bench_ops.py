"""The operations engine on a large synthetic workload: events per second against SimPy.

1,000 satellites for a simulated day at 60 s steps, each lit for 62 % of a 95 min orbit
(phases spread), 30 % compute in eclipse, seeded SEU and SEFI faults; 100,000 batch jobs with
Poisson arrivals and exponential work (mean 10 min at full rate, ~70 % load), energy-aware
placement. Baseline: the same event schedule (every arrival, completion, fault, eclipse edge
the engine processed) replayed through SimPy in the same process, one process per job; if SimPy
is missing, through a bare heapq loop. Prints events, seconds, events/s and the ratio.

    python benchmarks/bench_ops.py [--jobs 100000] [--satellites 1000] [--policy energy-aware]
"""

from __future__ import annotations

import argparse
import heapq
import time

import numpy as np

from orbitgrid.ops import make_jobs, run_ops
from orbitgrid.ops.timelines import FAULT_DTYPE, constant

PEAK = 1e15
DAY = 86_400.0
PERIOD, LIT = 95 * 60.0, 0.62


def environment(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, DAY, 60.0)
    phase = rng.uniform(0, PERIOD, n)
    lit = (((t[:, None] + phase[None, :]) % PERIOD) < LIT * PERIOD).astype(float)
    n_faults = rng.poisson(2 * n)  # ~2 upsets per satellite per day, 1 % interrupts
    faults = np.zeros(n_faults, FAULT_DTYPE)
    faults["time_s"] = np.sort(rng.uniform(0, DAY, n_faults))
    faults["satellite"] = rng.integers(0, n, n_faults)
    faults["kind"] = np.where(rng.random(n_faults) < 0.01, "sefi", "seu")
    return constant(n, DAY, 60.0, peak_flops=PEAK, capacity=np.where(lit > 0, 1.0, 0.3),
                    sunlit=lit, battery=np.clip(lit + 0.5, 0, 1), faults=faults,
                    seu_rate_s=np.full(n, 2 / DAY), isl_bps=np.full(n, 100e9))


def workload(n_jobs: int, seed: int = 0):
    rng = np.random.default_rng(seed + 1)
    return make_jobs(kind="batch", work_flop=rng.exponential(600.0, n_jobs) * PEAK,
                     arrival=np.sort(rng.uniform(0, DAY, n_jobs)), checkpoint_bytes=1e9)


def simpy_replay(result, env) -> tuple[int, float]:
    """The same events through SimPy: a process per job (arrival, end), one per other event."""
    import simpy

    sim = simpy.Environment()
    jobs = result.jobs
    ends = np.where(np.isfinite(jobs["end"]), jobs["end"], env.end_s)
    others = result.events - 2 * len(ends)

    def job(arrival, end):
        yield sim.timeout(arrival)
        yield sim.timeout(end - arrival)

    def other(times):
        for dt in np.diff(np.r_[0.0, times]):
            yield sim.timeout(dt)

    started = time.perf_counter()
    for a, e in zip(jobs["arrival"].tolist(), ends.tolist(), strict=True):
        sim.process(job(a, e))
    sim.process(other(np.sort(np.random.default_rng(2).uniform(0, env.end_s, max(others, 0)))))
    sim.run()
    return result.events, time.perf_counter() - started


def heap_replay(result, env) -> tuple[int, float]:
    """The same number of events through a bare heapq loop (no logic): a lower bound."""
    times = np.r_[result.jobs["arrival"], np.nan_to_num(result.jobs["end"], nan=env.end_s)]
    started = time.perf_counter()
    heap = [(t, k) for k, t in enumerate(times.tolist())]
    heapq.heapify(heap)
    n = 0
    while heap:
        heapq.heappop(heap)
        n += 1
    return n, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--satellites", type=int, default=1_000)
    parser.add_argument("--policy", default="energy-aware")
    args = parser.parse_args()
    env, jobs = environment(args.satellites), workload(args.jobs)
    started = time.perf_counter()
    result = run_ops(jobs, env, args.policy, seed=0)
    seconds = time.perf_counter() - started
    s = result.summary
    rate = result.events / seconds
    print(f"orbitgrid ops: {args.jobs:,} jobs on {args.satellites:,} satellites, 1 day, "
          f"{args.policy}: {result.events:,} events in {seconds:.2f} s = {rate:,.0f} events/s")
    print(f"  completed {s['completed']:,}, utilisation {s['utilisation']:.3f}, "
          f"goodput {s['goodput_fraction']:.3f}, rollbacks {s['rollbacks']:,}, "
          f"p50 {s['completion_p50_s']:.0f} s, p99 {s['completion_p99_s']:.0f} s")
    try:
        n, base = simpy_replay(result, env)
        name = "SimPy replay of the same events"
    except ImportError:
        n, base = heap_replay(result, env)
        name = "bare heapq replay (SimPy not installed)"
    print(f"{name}: {n:,} events in {base:.2f} s = {n / base:,.0f} events/s")
    print(f"ratio (orbitgrid events/s over baseline events/s): {rate / (n / base):.2f}")


if __name__ == "__main__":
    main()
