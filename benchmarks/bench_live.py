"""Live service under load: concurrent clients submit jobs on loopback while the twin runs.

    python benchmarks/bench_live.py [--scenario starlink] [--speed 60] [--clients 50]
                                    [--jobs 10000] [--timeout-s 600]

SCENARIO "starlink": the preset with one H100 per satellite (see starlink_with_h100).
Starts `orbitgrid live` on a free 127.0.0.1 port with a fresh state folder under /tmp, waits
for it, then CLIENTS threads (one keep-alive HTTP connection each, http.client) submit JOBS
jobs in all. Prints the accepted jobs per second, p50/p99 submission latency (wall, per
request), and the clock's worst lag behind wall time (the service's
orbitgrid_clock_lag_worst_seconds); goals: >= 500 jobs/s, p99 < 100 ms, lag < 1 s. Same-run
baseline: the latency of GET /v1/health (no store write, no key) measured on the same
connections before the load, printed as a ratio. On a shared machine the wall figures follow
the load; the CPU seconds the server and the clients spent per job (Linux /proc) do not, and
say what one free core would sustain. The server's CPU, from the load's start until every job
has finished, is split by thread (its orbitgrid_thread_cpu_seconds): the API (event loop,
store commits, other threads) apart from the twin's engine tick and environment. Bounded:
stops after JOBS jobs or TIMEOUT_S, and stops the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from orbitgrid.live.client import wait_up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def starlink_with_h100(folder: Path) -> Path:
    """The starlink preset (the real catalogue, its plus-grid lasers and gateways) with one
    H100 per satellite: the preset's satellites carry no accelerator to run jobs on."""
    from orbitgrid.scenario import preset_path

    preset = preset_path("starlink")
    text = preset.read_text()
    text = text.replace("tle_file: ../data/", f"tle_file: {preset.parent.parent / 'data'}/")
    text = text.replace("satellite: {bus: starlink-v2-mini}",
                        "satellite: {bus: starlink-v2-mini, payload: {accelerator: h100, "
                        "count: 1, housekeeping_w: 8000}}")
    out = folder / "starlink-h100.yaml"
    out.write_text(text)
    return out


IDLE_S = 10.0  # wall seconds the server's CPU is measured before the load


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process pid (Linux /proc), its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_s(url: str) -> dict[str, float]:
    """The server's CPU seconds per thread (its /metrics)."""
    out = {}
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("orbitgrid_thread_cpu_seconds{"):
            out[line.split('"')[1]] = float(line.split()[1])
    return out


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="starlink")
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--timeout-s", type=float, default=600.0)
    # the catalogue's element epoch: SGP4 far from it (months) loses satellites
    ap.add_argument("--start", default="2026-05-13T00:00:00Z")
    args = ap.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-live-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    scenario = (str(starlink_with_h100(state)) if args.scenario == "starlink"
                else args.scenario)
    server = subprocess.Popen(
        [sys.executable, "-m", "orbitgrid.cli", "live", scenario, "--state",
         str(state / "state"), "--speed", str(args.speed), "--port", str(port), "--start",
         args.start], stdout=subprocess.DEVNULL, stderr=open(state / "server.log", "w"))
    started = time.time()
    try:
        if not wait_up(url, server, args.timeout_s):
            sys.exit(f"server did not start: {(state / 'server.log').read_text()[-500:]}")
        print(f"server up in {time.time() - started:.1f} s ({args.scenario}, speed "
              f"{args.speed:g})")
        per = [args.jobs // args.clients + (k < args.jobs % args.clients)
               for k in range(args.clients)]
        lat: list[list[float]] = [[] for _ in per]
        base: list[list[float]] = [[] for _ in per]
        errors = [0]
        deadline = time.time() + args.timeout_s
        barrier = threading.Barrier(len(per) + 1)

        def client(k: int) -> None:
            # the standard library's HTTP client: a fifth of httpx's CPU per request, which
            # would otherwise take the cores the server is measured on
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                for _ in range(20):
                    t0 = time.perf_counter()
                    conn.request("GET", "/v1/health")
                    conn.getresponse().read()
                    base[k].append(time.perf_counter() - t0)
                barrier.wait()
                for i in range(per[k]):
                    if time.time() > deadline:
                        return
                    body = json.dumps({"kind": "inference", "work_flop": 1e12,
                                       "priority": i % 3})
                    t0 = time.perf_counter()
                    conn.request("POST", "/v1/jobs", body,
                                 {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    lat[k].append(time.perf_counter() - t0)
                    if r.status != 201:
                        errors[0] += 1
            finally:
                conn.close()

        idle0 = cpu_s(server.pid)
        time.sleep(IDLE_S)  # the twin alone (clock, environment, engine): its CPU rate
        idle_rate = (cpu_s(server.pid) - idle0) / IDLE_S
        threads = [threading.Thread(target=client, args=(k,)) for k in range(len(per))]
        for th in threads:
            th.start()
        barrier.wait()
        t0, server0, client0 = time.perf_counter(), cpu_s(server.pid), time.process_time()
        threads0 = thread_cpu_s(url)
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        client_cpu = time.process_time() - client0
        # the engine works the accepted jobs in after their answers: the server's CPU is
        # counted until every job has finished (or TIMEOUT_S)
        while time.time() < deadline:
            jobs = httpx.get(f"{url}/v1/health").json()["jobs"]
            if jobs["queued"] + jobs["staging"] + jobs["running"] + jobs["paused"] == 0:
                break
            time.sleep(0.5)
        settle = time.perf_counter() - t0 - wall
        server_cpu = cpu_s(server.pid) - server0
        by_thread = {k: v - threads0[k] for k, v in thread_cpu_s(url).items()}
        all_lat = np.concatenate([np.asarray(x) for x in lat]) * 1e3
        all_base = np.concatenate([np.asarray(x) for x in base]) * 1e3
        time.sleep(2.0)
        text = httpx.get(f"{url}/metrics").text
        ok = len(all_lat) - errors[0]
        p50, p99 = np.percentile(all_lat, [50, 99])
        lag = metric(text, "orbitgrid_clock_lag_worst_seconds")
        print(f"accepted {ok} of {len(all_lat)} jobs in {wall:.2f} s: {ok / wall:.0f} jobs/s "
              f"(goal >= 500)")
        print(f"submission latency p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p99 < 100 ms); "
              f"baseline GET /v1/health p50 {np.median(all_base):.1f} ms: ratio "
              f"{p50 / np.median(all_base):.1f}")
        print(f"clock worst lag {lag:.3f} s (goal < 1 s; longest tick "
              f"{metric(text, 'orbitgrid_tick_worst_seconds'):.3f} s, environment behind the "
              f"clock at worst {metric(text, 'orbitgrid_environment_behind_worst_seconds'):.3f}"
              f" s); twin events {metric(text, 'orbitgrid_engine_events_total'):.0f}")
        api_cpu = by_thread["api"] + by_thread["store"] + by_thread["other"]
        print(f"every job finished {settle:.1f} s after the last answer")
        print(f"CPU per job: server {server_cpu / ok * 1e3:.2f} ms (the twin alone before the "
              f"load: {idle_rate:.2f} CPU s/s); by thread: "
              + ", ".join(f"{k} {v / ok * 1e3:.2f} ms" for k, v in by_thread.items())
              + f"; the API (api, store, other) {api_cpu / ok * 1e3:.2f} ms: one free core for "
              f"it: {ok / api_cpu:.0f} jobs/s; clients {client_cpu / len(all_lat) * 1e3:.2f} ms")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
