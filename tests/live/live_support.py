"""Helpers of the live tests: the real `orbitgrid live` in a subprocess on a free loopback port
(LiveServer), its test scenario, and polling. Imported by name (`from live_support import ...`):
a module named conftest is ambiguous when the whole suite runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orbitgrid.live.client import wait_up

EPOCH = "2026-06-21T00:00:00Z"
# four H100 satellites (catalog bus starcloud-1) in a morning sun-synchronous plane, eclipsed
# every orbit, one polar station; no ISLs, so each chunk of environment is quick to compute
SCENARIO = f"""\
name: live-test
epoch: {EPOCH}
duration: 1d
step: 60s
seed: 7
constellations:
  - name: gpus
    sun_synchronous: {{satellites: 4, altitude_km: 500, ltan: "10:30"}}
    satellite: {{bus: starcloud-1}}
ground_stations:
  - {{name: Svalbard, lat_deg: 78.23, lon_deg: 15.41, min_elevation_deg: 10}}
workload: {{policy: first-fit}}
"""
JOB = {"kind": "batch", "work_flop": 1e17}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orbitgrid(*args: str, **kw) -> subprocess.CompletedProcess:
    """The orbitgrid command, run as this interpreter's module."""
    return subprocess.run([sys.executable, "-m", "orbitgrid.cli", *args], capture_output=True,
                          text=True, timeout=120, **kw)


class LiveServer:
    """`orbitgrid live` as a subprocess; start() waits for /v1/health, kill() is SIGKILL."""

    def __init__(self, scenario: Path, state: Path, *args: str, speed: float = 600.0,
                 start: str | None = EPOCH, port: int | None = None):
        self.scenario, self.state, self.args = scenario, state, list(args)
        self.speed, self.first_start = speed, start
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = state.parent / f"{state.name}-server.log"

    def start(self, start: str | None = None) -> LiveServer:
        cmd = [sys.executable, "-m", "orbitgrid.cli", "live", str(self.scenario), "--state",
               str(self.state), "--speed", str(self.speed), "--port", str(self.port), *self.args]
        if start is not None:
            cmd += ["--start", start]
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        if wait_up(self.url, self.proc, timeout_s=90):
            return self
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited {self.proc.returncode}: "
                               f"{self.log.read_text()[-2000:]}")
        raise RuntimeError(f"server did not answer: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(predicate, timeout_s: float = 30.0, every_s: float = 0.1):
    """predicate()'s first truthy value, polling; fails the test on timeout."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    pytest.fail(f"timed out after {timeout_s} s waiting for {predicate}")


os.environ.setdefault("PYTHONUNBUFFERED", "1")
