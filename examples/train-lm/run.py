"""The train-lm example end to end, by one command:

    python examples/train-lm/run.py --out /tmp/train-lm

starts `orbitgrid live` on this folder's scenario (a free loopback port, its state under OUT),
adds a tenant that may execute programs, submits train_lm.py, waits for it (at most
--timeout-s wall seconds), fetches its loss.csv, weights.npz, history and the satellites'
events, stops the service, then runs the simulator's prediction of the same job and writes
into OUT: loss.svg (the loss against twin time, eclipses and restarts marked),
comparison.json and comparison.md (simulated against real), job.json, events.json and the
program's outputs. Exit status 1 if the job did not finish in time or failed.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

from orbitgrid.live.client import wait_up
from orbitgrid.live.replay import compare, comparison_markdown, predict, program_run
from orbitgrid.live.tenants import add_tenant
from orbitgrid.report.loss import loss_svg

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenario.yaml"
START = "2026-06-21T00:00:00Z"  # the scenario's epoch: the solstice, in the eclipse season


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(out: Path, speed: float, port: int) -> subprocess.Popen:
    """`orbitgrid live` on 127.0.0.1:port, its log in OUT/service.log; returns once healthy."""
    log = open(out / "service.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "orbitgrid.cli", "live", str(SCENARIO), "--state",
         str(out / "state"), "--keys", str(out / "keys.json"), "--speed", str(speed),
         "--port", str(port), "--start", START, "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT)
    if wait_up(f"http://127.0.0.1:{port}", proc, timeout_s=120):
        return proc
    if proc.poll() is not None:
        raise SystemExit(f"error: the service exited {proc.returncode}: see "
                         f"{out / 'service.log'}")
    stop(proc)
    raise SystemExit(f"error: the service did not answer in 120 s: see {out / 'service.log'}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def events_of(url: str, key: str, until: str) -> list[dict]:
    """The events the tenant may see (the environment's and its jobs') up to twin time until
    (ISO 8601 UTC); the stream goes on while the twin runs, so it stops there."""
    from orbitgrid.live import Client

    end = datetime.fromisoformat(until.replace("Z", "+00:00"))
    out = []
    with Client(url, key) as client:
        for event in client.events(after=0, reconnect=False, idle_timeout_s=10.0):
            if datetime.fromisoformat(event["twin_time"].replace("Z", "+00:00")) > end:
                break
            out.append(event)
    return out


def run_job(out: Path, args: dict, speed: float, timeout_s: float) -> tuple[dict, str, list]:
    """Submit train-lm on a fresh service; its job body, loss.csv text and the events."""
    key = add_tenant(out / "keys.json", "trainer", execute=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve(out, speed, port)
    try:
        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            answer = http.post("/v1/jobs", json={"program": "train-lm", "args": args})
            answer.raise_for_status()
            job_id = answer.json()["id"]
            deadline = time.time() + timeout_s
            job = {"state": "unknown"}
            while time.time() < deadline and proc.poll() is None:
                try:  # a busy service may answer late: ask again
                    got = http.get(f"/v1/jobs/{job_id}")
                except httpx.TransportError:
                    got = None
                if got is not None and got.status_code == 200:
                    job = got.json()
                    if job["state"] in ("done", "failed", "cancelled"):
                        break
                time.sleep(0.5)
            if job["state"] != "done":
                raise SystemExit(f"error: job {job_id} is {job['state']} (waited at most "
                                 f"{timeout_s:.0f} s): see {out / 'service.log'}")
            (out / "output").mkdir(exist_ok=True)
            for name in ("loss.csv", "weights.npz"):
                got = http.get(f"/v1/jobs/{job_id}/output/{name}")
                got.raise_for_status()
                (out / "output" / name).write_bytes(got.content)
        events = events_of(url, key, until=job["end"])
    finally:
        stop(proc)
    return job, (out / "output" / "loss.csv").read_text(), events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for everything")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--every", type=int, default=100, help="steps between checkpoints")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus-bytes", type=int, default=1_000_000)
    parser.add_argument("--speed", type=float, default=1500.0, help="twin s per wall s")
    parser.add_argument("--timeout-s", type=float, default=900.0,
                        help="wall seconds to wait for the job")
    a = parser.parse_args(argv)
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        print(f"error: --out: {out} is not empty", file=sys.stderr)
        return 2
    args = {"steps": a.steps, "every": a.every, "seed": a.seed, "corpus_bytes": a.corpus_bytes}
    job, loss_csv, events = run_job(out, args, a.speed, a.timeout_s)
    (out / "job.json").write_text(json.dumps(job, indent=1))
    (out / "events.json").write_text(json.dumps(events, indent=1))
    run = program_run(job, loss_csv, events, epoch=datetime.fromisoformat(START), speed=a.speed)
    workdir = out / "state" / "jobs" / job["id"]
    checkpoint = workdir / "checkpoint" / "state.npz"
    prediction = predict(SCENARIO, run, every_steps=a.every,
                         checkpoint_bytes=checkpoint.stat().st_size if checkpoint.exists() else 0,
                         output_bytes=sum(f.stat().st_size for f in (workdir / "output").iterdir()),
                         out=out / "sim")
    rows = compare(run, prediction)
    (out / "comparison.json").write_text(json.dumps(
        {"prediction": prediction.as_dict(), "rows": rows}, indent=1))
    table = comparison_markdown(rows)
    (out / "comparison.md").write_text(table)
    (out / "loss.svg").write_text(loss_svg(run))
    print(table)
    print(f"wrote {out}: loss.svg, comparison.md, comparison.json, job.json, events.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
