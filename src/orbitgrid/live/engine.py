"""The one engine (orbitgrid.ops.engine.Engine) driven online for the live twin, in a closed
loop with the batteries and radiators it loads.

The engine is a ClosedLoop's (orbitgrid.ops.stage, the scenario's first policy): each chunk of
environment is added ahead of the clock (extend), jobs are submitted as they are accepted, and
advance_to(t) steps the engine and physics' PowerTrack together up to the clock (the loop
forgets the steps behind it). This module only translates: job specs to engine rows, the
engine's StateChange records to the store's Change (with start, end and the result figures
once a job finishes), and its states to the service's (pending is not shown, downlink is shown
as staging: the job's data is moving). Memory stays bounded however long it runs: the engine
forgets each job once its result is translated, and keeps no rows for tables.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from orbitgrid.live.store import Change
from orbitgrid.ops.compute import Protection
from orbitgrid.ops.job_state import JobFinishedError, JobState
from orbitgrid.ops.policies import Policy
from orbitgrid.ops.stage import ClosedLoop, OpsBlock, Payloads

if TYPE_CHECKING:
    from orbitgrid.ops.engine import Engine
    from orbitgrid.ops.timelines import Timelines
    from orbitgrid.physics.stage import PowerTrack

SPEC_COLUMNS = ("kind", "work_flop", "precision", "memory_bytes", "input_bytes", "output_bytes",
                "priority", "checkpoint_bytes", "min_satellites", "max_satellites")
SHOWN = {JobState.DOWNLINK: "staging"}
FINISHED = frozenset(s for s in JobState if s.finished)


class LiveEngine:
    """The closed loop behind the twin (see the module docstring): track, the batteries and
    radiators its engine loads. Jobs submitted before the engine exists wait for the first step
    (a restart hands the unfinished jobs over first)."""

    def __init__(self, track: PowerTrack, policy: Policy, protection: Protection, seed: int):
        self.track, self.policy, self.protection, self.seed = track, policy, protection, seed
        self.loop: ClosedLoop | None = None
        self.start_s = math.inf  # the first step's start
        self.blocks: deque[OpsBlock] = deque()  # the environment added, from the clock's on
        self.waiting: list[tuple[dict, float]] = []  # (row, resumed_flop)
        self.arrival: dict[str, float] = {}
        self.resumed: dict[str, float] = {}  # job -> work resumed from, told with its next change
        self.checkpointed: dict[str, float] = {}  # job -> checkpointed work last reported

    @property
    def engine(self) -> Engine | None:
        return None if self.loop is None else self.loop.engine

    @property
    def timelines(self) -> Timelines | None:
        return None if self.engine is None else self.engine.env

    @property
    def horizon_s(self) -> float:
        return -math.inf if self.loop is None else self.loop.horizon_s

    @property
    def events(self) -> int:
        return 0 if self.engine is None else self.engine.loop.count

    def extend(self, block: OpsBlock, payloads: Payloads) -> None:
        """The environment of the steps after those added so far; payloads: the OS's
        per-satellite figures (the first chunk's are kept)."""
        if self.loop is None:
            self.loop = ClosedLoop(self.track, payloads, self.policy, self.protection,
                                   self.seed, record_changes=True)
            self.start_s = float(block.physics.t_s[0])
        self.loop.add(block)
        self.blocks.append(block)

    def ahead(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The environment added from the step holding t on: step starts (K,) s, sunlit
        (K, N) 0/1, best ground rate (K, N) bit/s; None when t is outside it."""
        blocks = [b for b in self.blocks if _end_s(b) > t]
        if not blocks or blocks[0].physics.t_s[0] > t:
            return None
        times = np.concatenate([b.physics.t_s for b in blocks])
        k = int(np.searchsorted(times, t, side="right")) - 1
        return (times[k:], np.concatenate([b.sunlit for b in blocks])[k:],
                np.concatenate([b.ground_bps for b in blocks])[k:])

    def battery_radiator(self) -> tuple[np.ndarray, np.ndarray]:
        """(N,) stored energy, J, and radiator temperature, K, after the steps the loop has
        marched (NaN: no satellite)."""
        return self.track.state_now()

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

    def _start(self) -> list[Change]:
        """Start the engine at the first step and hand it the jobs waiting."""
        changes = self.loop.advance_to(self.start_s)
        for row, resumed_flop in self.waiting:
            row["arrival"] = max(row["arrival"], self.engine.now_s)
            self.engine.submit(row, resumed_flop)
        self.waiting = []
        return changes

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
        """Step the engine and the batteries and radiators to t (up to horizon_s)."""
        if self.loop is None or t < self.start_s:
            return []
        raw = self._start() if self.engine is None else []
        if t > self.engine.now_s:
            raw += self.loop.advance_to(t)
        rows = self.track.orbit_rows  # physics' per-orbit rows: no run folder to write them to
        if rows.held_bytes or rows.folder is not None:  # clear() costs a list per block
            rows.clear()
        self.engine.forget_rows()  # nor the schedule's and transfers'
        while self.blocks and _end_s(self.blocks[0]) <= t:
            self.blocks.popleft()
        changes = [self._change(c) for c in raw]
        return [c for c in changes if c is not None]

    def _change(self, c) -> Change | None:
        state = c.state
        if state is JobState.PENDING:
            return None
        j = self.engine.by_id[c.job]
        satellites = ",".join(c.satellites) or None
        resumed = self.resumed.pop(c.job, None) if self.resumed else None
        data = None if resumed is None else {"resumed_flop": resumed}
        start = j.start if j.start == j.start and j.start != math.inf else None  # not NaN/inf
        if state not in FINISHED:
            return Change(c.job, SHOWN.get(state, state.value), c.time_s, start, None,
                          satellites, None, data)
        self.arrival.pop(c.job, None)
        self.checkpointed.pop(c.job, None)
        end = _finite(j.end)
        result = {"energy_j": j.energy, "bytes_moved": j.bytes_moved,
                  "rollbacks": j.rollbacks, "migrations": j.migrations,
                  "lost_flop": j.lost_flop, "done_flop": j.done_flop,
                  "deadline_met": state is JobState.DONE and j.end <= j.deadline,
                  "start_s": start, "end_s": end}
        self.engine.forget(c.job)  # the store keeps it: the engine holds only unfinished jobs
        return Change(c.job, state.value, c.time_s, start, end, satellites, result, data)

    def running_on(self) -> dict[str, list[str]]:
        """Satellite name -> the jobs it holds now."""
        if self.engine is None:
            return {}
        return {name: [job] for name, job in self.engine.satellite_jobs().items()}


def _end_s(block: OpsBlock) -> float:
    b = block.physics
    return float(b.t_s[-1] + b.dt_s[-1])


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
