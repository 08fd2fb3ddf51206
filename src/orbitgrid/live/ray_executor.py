"""RayExecutor: the Executor contract (orbitgrid.live.executor) with each program job a Ray
task on a cluster: `orbitgrid live ... --executor ray [--address ADDR] [--workers N]`.

The task starts the program exactly as the local executor does (executor.spawn: no shell, a
clean environment, resource limits, a process group of its own), writes its process id beside
it (workdir/pid) and returns its exit status. Pause, resume, stop and kill are signals to that
process group, so the job's working directory and process must be on this machine (a local
cluster, or a node sharing the state folder and pid namespace); a signal asked for before the
task has started its process is sent as soon as it has. Without --address a local cluster of
N CPUs is started (one CPU per task: N programs at once).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field

from orbitgrid.live.executor import Exit, Launch, spawn


def _run(launch: Launch) -> int:
    """The Ray task: the program's process, to its end; its exit status."""
    return spawn(launch).wait()  # spawn writes workdir/pid


@dataclass
class _Task:
    ref: object
    launch: Launch
    started: float
    pid: int | None = None
    asked: bool = False
    frozen: bool = False
    kill_at: float = float("inf")
    queued: list[int] = field(default_factory=list)  # signals waiting for the process


class RayExecutor:
    """Program jobs as Ray tasks (see the module docstring)."""

    def __init__(self, address: str | None = None, workers: int = 4):
        import ray

        if not ray.is_initialized():
            if address:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        self.ray = ray
        self.remote = ray.remote(num_cpus=1, max_retries=0)(_run)
        self.tasks: dict[str, _Task] = {}

    def start(self, launch: Launch) -> None:
        if launch.job_id in self.tasks:
            raise RuntimeError(f"job {launch.job_id}: already started")
        (launch.workdir / "pid").unlink(missing_ok=True)
        self.tasks[launch.job_id] = _Task(self.remote.remote(launch), launch, time.time())

    def _pid(self, task: _Task) -> int | None:
        if task.pid is None:
            try:
                task.pid = int((task.launch.workdir / "pid").read_text())
            except (FileNotFoundError, ValueError):
                return None
        return task.pid

    def _signal(self, job_id: str, sig: int) -> None:
        task = self.tasks.get(job_id)
        if task is None:
            return
        pid = self._pid(task)
        if pid is None:
            task.queued.append(sig)
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass

    def pause(self, job_id: str) -> None:
        if job_id in self.tasks:
            self._signal(job_id, signal.SIGSTOP)
            self.tasks[job_id].frozen = True

    def resume(self, job_id: str) -> None:
        if job_id in self.tasks:
            self._signal(job_id, signal.SIGCONT)
            self.tasks[job_id].frozen = False

    def stop(self, job_id: str, grace_s: float) -> None:
        task = self.tasks.get(job_id)
        if task is None or task.asked:
            return
        task.asked, task.kill_at = True, time.time() + grace_s
        self._signal(job_id, signal.SIGTERM)
        if task.frozen:
            self.resume(job_id)

    def kill(self, job_id: str) -> None:
        task = self.tasks.get(job_id)
        if task is not None:
            task.asked = True
            self._signal(job_id, signal.SIGKILL)
            self._signal(job_id, signal.SIGCONT)

    def poll(self) -> list[Exit]:
        out, now = [], time.time()
        for job_id, task in list(self.tasks.items()):
            if task.queued and self._pid(task) is not None:
                queued, task.queued = task.queued, []
                for sig in queued:
                    self._signal(job_id, sig)
            ready, _ = self.ray.wait([task.ref], timeout=0)
            if not ready:
                if now >= task.kill_at:
                    self._signal(job_id, signal.SIGKILL)
                    self._signal(job_id, signal.SIGCONT)
                    task.kill_at = float("inf")
                continue
            try:
                rc = int(self.ray.get(task.ref))
            except Exception:  # the task itself failed (its worker died): a crash
                rc = -int(signal.SIGKILL)
            if task.pid is not None:
                try:
                    os.killpg(task.pid, signal.SIGKILL)  # what it left behind in its group
                except (ProcessLookupError, PermissionError):
                    pass
            del self.tasks[job_id]
            out.append(Exit(job_id, rc, task.asked, now - task.started))
        return out

    def alive(self, job_id: str) -> bool:
        return job_id in self.tasks

    def close(self) -> None:
        for job_id in list(self.tasks):
            self.kill(job_id)
        deadline = time.time() + 10
        while self.tasks and time.time() < deadline:
            self.poll()
            time.sleep(0.05)
        self.ray.shutdown()
