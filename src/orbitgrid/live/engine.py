"""The one engine (orbitgrid.ops.engine.Engine) driven online for the live twin.

The Engine is open-ended: each chunk of environment is appended (extend), jobs are submitted as
they are accepted, advance_to(t) runs it to the clock, and forget_before drops the steps
nothing needs any more. This module only translates: job specs to engine rows, the engine's
StateChange records to the store's Change (with start, end and the result figures once a job
finishes), and its states to the service's (pending is not shown, downlink is shown as
staging: the job's data is moving).
"""

from __future__ import annotations

import math

from orbitgrid.live.store import Change
from orbitgrid.ops.compute import Protection
from orbitgrid.ops.engine import Engine
from orbitgrid.ops.job_state import JobFinishedError, JobState
from orbitgrid.ops.policies import Policy
from orbitgrid.ops.timelines import Timelines

SPEC_COLUMNS = ("kind", "work_flop", "precision", "memory_bytes", "input_bytes", "output_bytes",
                "priority", "checkpoint_bytes", "min_satellites", "max_satellites")
SHOWN = {JobState.DOWNLINK: "staging"}


class LiveEngine:
    """The Engine behind the twin (see the module docstring). Jobs submitted before the first
    chunk of environment wait for it (a restart hands the unfinished jobs over first)."""

    def __init__(self, policy: Policy, protection: Protection, seed: int):
        self.policy, self.protection, self.seed = policy, protection, seed
        self.engine: Engine | None = None
        self.waiting: list[tuple[dict, float]] = []  # (row, resumed_flop)
        self.arrival: dict[str, float] = {}
        self.resumed: dict[str, float] = {}  # job -> work resumed from, told with its next change
        self.checkpointed: dict[str, float] = {}  # job -> checkpointed work last reported

    @property
    def timelines(self) -> Timelines | None:
        return None if self.engine is None else self.engine.env

    @property
    def horizon_s(self) -> float:
        return -math.inf if self.engine is None else self.engine.env.end_s

    @property
    def events(self) -> int:
        return 0 if self.engine is None else self.engine.loop.count

    def extend(self, block: Timelines) -> None:
        if self.engine is None:
            self.engine = Engine(block, self.policy, self.protection, self.seed,
                                 open_ended=True)
            for row, resumed_flop in self.waiting:
                self.engine.submit(row, resumed_flop)
            self.waiting = []
        else:
            self.engine.extend(block)

    def submit(self, job_id: str, spec: dict, arrival_s: float, submitted_s: float | None = None,
               resumed_flop: float = 0.0) -> None:
        """Hand the engine a job arriving at arrival_s (not before its now); its deadline runs
        from submitted_s (default: the arrival); resumed_flop: work it keeps from a checkpoint
        (a job resumed after a restart)."""
        row = {k: spec[k] for k in SPEC_COLUMNS}
        if self.engine is not None:
            arrival_s = max(arrival_s, self.engine.now_s)
        since = arrival_s if submitted_s is None else submitted_s
        row["id"], row["arrival"] = job_id, arrival_s
        row["input_at"] = spec.get("input_at", "")  # generated sensing jobs: the imager
        row["deadline"] = since + spec["deadline"] if spec.get("deadline") else math.inf
        self.arrival[job_id] = arrival_s
        if resumed_flop > 0:
            self.resumed[job_id] = self.checkpointed[job_id] = resumed_flop
        if self.engine is None:
            self.waiting.append((row, resumed_flop))
        else:
            self.engine.submit(row, resumed_flop)

    def checkpoints(self) -> dict[str, float]:
        """The unfinished jobs whose checkpointed work (FLOP) grew since last asked."""
        if self.engine is None:
            return {}
        out = {}
        for job in list(self.arrival):  # the jobs not yet finished
            flop = self.engine.checkpointed_flop(job)
            if flop > self.checkpointed.get(job, 0.0):
                out[job] = self.checkpointed[job] = flop
        return out

    def cancel(self, job_id: str) -> Change | None:
        """Cancel now; the change to record, None when unknown or finished."""
        if self.engine is None:
            return None
        try:
            change = self._change(self.engine.cancel(job_id))
        except (KeyError, JobFinishedError):
            return None
        self.engine.drain()  # the cancel's own record (the rest since the tick: pending only)
        return change

    def advance_to(self, t: float) -> list[Change]:
        if self.engine is None or t <= self.engine.now_s:
            return []
        changes = [self._change(c) for c in self.engine.advance_to(t)]
        return [c for c in changes if c is not None]

    def _change(self, c) -> Change | None:
        if c.state is JobState.PENDING:
            return None
        j = self.engine.by_id[c.job]
        state = SHOWN.get(c.state, c.state.value)
        result = None
        if c.state.finished:
            self.arrival.pop(c.job, None)
            self.checkpointed.pop(c.job, None)
            result = {"energy_j": j.energy, "bytes_moved": j.bytes_moved,
                      "rollbacks": j.rollbacks, "migrations": j.migrations,
                      "lost_flop": j.lost_flop, "done_flop": j.done_flop,
                      "deadline_met": c.state is JobState.DONE and j.end <= j.deadline,
                      "start_s": _finite(j.start), "end_s": _finite(j.end)}
        resumed = self.resumed.pop(c.job, None)
        return Change(c.job, state, c.time_s, start_s=_finite(j.start),
                      end_s=_finite(j.end) if c.state.finished else None,
                      satellites=",".join(c.satellites) or None, result=result,
                      data=None if resumed is None else {"resumed_flop": resumed})

    def running_on(self) -> dict[str, list[str]]:
        """Satellite name -> the jobs it holds now."""
        if self.engine is None:
            return {}
        return {name: [job] for name, job in self.engine.satellite_jobs().items()}

    def forget_before(self, t: float) -> None:
        if self.engine is not None:
            self.engine.forget_before(t)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
