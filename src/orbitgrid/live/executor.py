"""Executors: where a job's real program runs as a process, and how the twin governs it.

The contract (Executor): start(launch) runs a program in its job's working directory;
pause/resume freeze and thaw it (SIGSTOP/SIGCONT); stop(job, grace_s) asks it to checkpoint
and exit (SIGTERM, then SIGKILL after grace_s wall seconds); kill(job) ends it at once
(SIGKILL: an upset); poll() returns the processes that have ended since the last call. No
call blocks: a stop's grace is watched by poll().

LocalExecutor runs processes on this machine, at most `workers` at once (more wait their
turn), each with no shell, in a session (process group) of its own, a clean environment (the
ORBITGRID_* variables and a minimal PATH, HOME, LANG: none of the service's variables or
keys) and resource limits set between fork and exec (RLIMIT_CPU, RLIMIT_AS, RLIMIT_NOFILE,
RLIMIT_NPROC). RayExecutor runs each job as a Ray task (orbitgrid.live.ray_executor).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from orbitgrid.live.programs import Limits, Program

BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Launch:
    """One start of a job's program: on satellite, in workdir (input/, checkpoint/, output/,
    args.json), with env (the ORBITGRID_* variables)."""

    job_id: str
    satellite: str
    program: Program
    workdir: Path
    env: dict[str, str]


@dataclass(frozen=True)
class Exit:
    """A process that ended: its exit status (negative: the signal that killed it), whether
    the twin asked for it (stop or kill), wall seconds it ran."""

    job_id: str
    returncode: int
    asked: bool
    wall_s: float


class Executor(Protocol):
    def start(self, launch: Launch) -> None: ...
    def pause(self, job_id: str) -> None: ...
    def resume(self, job_id: str) -> None: ...
    def stop(self, job_id: str, grace_s: float) -> None: ...
    def kill(self, job_id: str) -> None: ...
    def poll(self) -> list[Exit]: ...
    def alive(self, job_id: str) -> bool: ...
    def close(self) -> None: ...


def clean_env(variables: dict[str, str], home: Path) -> dict[str, str]:
    """A program's whole environment: its ORBITGRID_* variables and a minimal PATH/HOME/LANG."""
    env = {"PATH": BASE_PATH, "HOME": str(home), "LANG": "C.UTF-8"}
    env.update({k: v for k, v in variables.items() if k.startswith("ORBITGRID_")})
    return env


def limiter(limits: Limits):
    """The function run in the child between fork and exec: its resource limits."""
    cpu = int(limits.cpu_s)
    table = ((resource.RLIMIT_CPU, (cpu, cpu + 1)),
             (resource.RLIMIT_AS, (int(limits.memory_bytes),) * 2),
             (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
             (resource.RLIMIT_NPROC, (limits.processes,) * 2))

    def apply() -> None:
        for which, (soft, hard) in table:
            _, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, old_hard), min(hard, old_hard)
            resource.setrlimit(which, (soft, hard))

    return apply


def spawn(launch: Launch) -> subprocess.Popen:
    """The program's process (see the module docstring); output to workdir/log.txt, its
    process id to workdir/pid."""
    with open(launch.workdir / "log.txt", "ab") as log:
        process = subprocess.Popen(
            launch.program.argv(), cwd=launch.workdir, env=clean_env(launch.env, launch.workdir),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True,
            start_new_session=True, preexec_fn=limiter(launch.program.limits))
    tmp = launch.workdir / "pid.tmp"
    tmp.write_text(str(process.pid))
    os.replace(tmp, launch.workdir / "pid")
    return process


def end_stale(workdir: Path) -> bool:
    """Kill the process group a killed service left running in workdir (its pid file names
    it, and it still runs there); True when there was one."""
    try:
        pid = int((workdir / "pid").read_text())
        if Path(f"/proc/{pid}/cwd").resolve() != workdir.resolve():
            return False  # gone, or the number is another process's now
        os.killpg(pid, signal.SIGKILL)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError, OSError):
        return False
    return True


@dataclass
class _Proc:
    popen: subprocess.Popen
    started: float
    asked: bool = False
    frozen: bool = False
    kill_at: float = float("inf")  # wall time a stop's grace ends


@dataclass
class LocalExecutor:
    """Processes on this machine, at most `workers` at once (see the module docstring)."""

    workers: int = 4
    procs: dict[str, _Proc] = field(default_factory=dict)
    waiting: deque = field(default_factory=deque)  # Launches waiting for a worker

    def start(self, launch: Launch) -> None:
        if launch.job_id in self.procs or any(w.job_id == launch.job_id for w in self.waiting):
            raise RuntimeError(f"job {launch.job_id}: already started")
        self.waiting.append(launch)
        self._fill()

    def _fill(self) -> None:
        while self.waiting and len(self.procs) < self.workers:
            launch = self.waiting.popleft()
            self.procs[launch.job_id] = _Proc(spawn(launch), time.time())

    def _signal(self, job_id: str, sig: int) -> None:
        p = self.procs.get(job_id)
        if p is not None:
            try:
                os.killpg(p.popen.pid, sig)
            except ProcessLookupError:  # already gone: poll() reports it
                pass

    def pause(self, job_id: str) -> None:
        if job_id in self.procs:
            self._signal(job_id, signal.SIGSTOP)
            self.procs[job_id].frozen = True

    def resume(self, job_id: str) -> None:
        if job_id in self.procs:
            self._signal(job_id, signal.SIGCONT)
            self.procs[job_id].frozen = False

    def stop(self, job_id: str, grace_s: float) -> None:
        self.waiting = deque(w for w in self.waiting if w.job_id != job_id)
        p = self.procs.get(job_id)
        if p is None or p.asked:
            return
        p.asked, p.kill_at = True, time.time() + grace_s
        self._signal(job_id, signal.SIGTERM)
        if p.frozen:  # a frozen process must run to see its SIGTERM
            self.resume(job_id)

    def kill(self, job_id: str) -> None:
        self.waiting = deque(w for w in self.waiting if w.job_id != job_id)
        p = self.procs.get(job_id)
        if p is not None:
            p.asked = True
            self._signal(job_id, signal.SIGKILL)
            self._signal(job_id, signal.SIGCONT)

    def poll(self) -> list[Exit]:
        out, now = [], time.time()
        for job_id, p in list(self.procs.items()):
            rc = p.popen.poll()
            if rc is None:
                if now >= p.kill_at:
                    self._signal(job_id, signal.SIGKILL)
                    self._signal(job_id, signal.SIGCONT)
                    p.kill_at = float("inf")
                continue
            self._signal(job_id, signal.SIGKILL)  # what it left behind in its group
            del self.procs[job_id]
            out.append(Exit(job_id, rc, p.asked, now - p.started))
        self._fill()
        return out

    def alive(self, job_id: str) -> bool:
        return job_id in self.procs or any(w.job_id == job_id for w in self.waiting)

    def close(self) -> None:
        self.waiting.clear()
        for job_id in list(self.procs):
            self.kill(job_id)
        for p in self.procs.values():
            try:
                p.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()
