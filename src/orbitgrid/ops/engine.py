"""The discrete-event engine of the space operating system, over the environment's timelines.

    result = run_ops(jobs, timelines, policy, protection, seed)

or online, jobs fed while it runs (a service advancing it to its clock):

    engine = Engine(timelines, policy, protection, seed, listener=publish)
    job_id = engine.submit({"kind": "batch", "work_flop": 1e18})   # arrives now
    changes = engine.advance_to(t_s)        # every event before t_s; StateChange records
    engine.cancel(job_id)                   # JobFinishedError once it has finished
    engine.status(job_id).state             # JobState

A service that runs without an end makes it open_ended and keeps the timelines a window ahead
of its clock: engine.extend(block) appends steps (what lay beyond the old end, a compute done,
a transfer's last bits, a ring's start, gets its event then, as over all the steps at once) and
engine.forget_before(t_s) drops the steps behind that nothing needs (Timelines.append,
forget_before). One approximation: a data-parallel job's all-reduce share (eta, see compute)
is averaged over the steps known when its segment starts.

A batch run is the same engine fed every arrival up front, then closed (no second scheduler).
The engine is made of parts, each in its module: the clock (event_loop: a heap keyed on
(time, priority, sequence), so ties resolve the same way every run), jobs and their states
(job_state), the compute model (compute: rates, checkpoints, segments), links as resources that
own their FIFO queues and the training rings on ISL terminals (links), the placement rules
around the policy (placement), the waterfall's accounts (accounts) and the result tables
(tables). This module wires them: event handlers, the scheduling pass, placement and data
movement. An exception raised by a policy propagates (it is never swallowed).

Events: arrivals, staging done (input uploaded through contacts or moved over ISLs, checkpoints
moved), compute finished, results downlinked (store-and-forward through contacts), radiation
upsets and functional interrupts, satellites back up, eclipse entries and exits. Compute
progress between events needs no event of its own (see compute).

Faults: an upset (seu) rolls the job back to its last checkpoint (r = 3: masked by the vote;
r = 1: detected with probability upset_detection, else the result is corrupted); an interrupt
(sefi) takes the satellite down for sefi_recovery_s; its job is rolled back and placed again.
Energy: payload power x capacity-seconds the job's satellites ran.

Data movement (input up through contacts or over ISLs from the satellite holding it, checkpoints
migrated over ISLs, results down through contacts, store-and-forward) goes through links that
transfers share (see links). A satellite has ISLs (can relay, receive migrations, join a
cluster) when its ISL rate is > 0 at some step; at a step where the Earth blocks all its links,
its transfers wait. A queue rather than max-min fair sharing: completion times are known when a
transfer is asked for (no re-planning of the others when one starts or ends), and both move the
same bytes while the link is busy (for transfers asked for together, FIFO's mean completion is
the shorter). The bytes on a link therefore never exceed its capacity x time. Not booked: the
ground station side (one station per contact assumed free).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.ops.accounts import Accounts
from orbitgrid.ops.compute import Compute, Protection, staging_segment
from orbitgrid.ops.event_loop import EventLoop, Priority
from orbitgrid.ops.job_state import Job, JobFinishedError, JobId, JobState, StateChange
from orbitgrid.ops.jobs import COLUMNS, KINDS, Jobs
from orbitgrid.ops.links import Leg, Links, Ring
from orbitgrid.ops.placement import held, reachable
from orbitgrid.ops.policies import Policy, load_policy
from orbitgrid.ops.tables import jobs_table, schedule_table, transfers_table
from orbitgrid.ops.timelines import Timelines, accrued, default_names, total_at, totals_at

__all__ = ["Engine", "JobStatus", "OpsResult", "Protection", "default_names", "run_ops"]

# satellites freed or taken since the last scheduling pass beyond which a pass cuts the ranking
# afresh rather than update the last cut
CUT_CHANGES = 16


@dataclass
class OpsResult:
    """Tables as numpy columns and the summary figures."""

    jobs: dict[str, np.ndarray]
    schedule: dict[str, np.ndarray]
    summary: dict
    events: int
    accounts: dict[str, np.ndarray] = field(default_factory=dict)
    transfers: dict[str, np.ndarray] = field(default_factory=dict)


def run_ops(jobs: Jobs, env: Timelines, policy: Policy | str = "first-fit",
            protection: Protection | None = None, seed: int = 0) -> OpsResult:
    """Schedule jobs over the timelines; deterministic for given inputs and seed. The engine fed
    every arrival up front, then run to the end of the timelines."""
    engine = Engine(env, policy, protection, seed, record_changes=False)
    columns = {k: v.tolist() for k, v in jobs.items()}  # Python scalars: cheaper per row
    for values in zip(*columns.values(), strict=True):
        engine.add(dict(zip(columns, values, strict=True)))
    return engine.close()


@dataclass(frozen=True)
class Forgotten:
    """The run-wide figures of the steps forget_before dropped: per satellite, full-rate seconds
    lost to power and to heat (report.losses_sat_s), and their length, s."""

    power_s: np.ndarray
    heat_s: np.ndarray
    span_s: float

    def plus(self, env: Timelines, steps: int) -> Forgotten:
        """These and env's first `steps` steps."""
        from orbitgrid.ops.report import power_heat_lost_s

        power, heat = power_heat_lost_s(env, steps)
        return Forgotten(self.power_s + power, self.heat_s + heat,
                         self.span_s + float(env.dt[:steps].sum()))


@dataclass(frozen=True)
class JobStatus:
    """A job as it stands (times in s after the epoch, nan: not yet; satellites by name: those it
    holds, or last ran on once it has finished or is downlinking)."""

    id: JobId
    state: JobState
    satellites: tuple[str, ...]
    arrival_s: float
    start_s: float
    end_s: float
    work_flop: float
    done_flop: float
    rollbacks: int
    migrations: int


class Engine:
    """The space operating system's scheduler over env (see the module docstring).

    listener: called with each StateChange as it happens (persist, publish); record_changes:
    also keep them for advance_to to return (a batch run keeps none). open_ended: the
    timelines will grow (extend): what lies beyond their end (a compute done, a transfer's
    last bits, a ring's start) waits for more steps instead of never happening.
    """

    def __init__(self, env: Timelines, policy: Policy | str = "first-fit",
                 protection: Protection | None = None, seed: int = 0,
                 listener: Callable[[StateChange], None] | None = None,
                 record_changes: bool = True, open_ended: bool = False):
        self.env = env
        self.policy = load_policy(policy)
        self.prot = protection or Protection()
        self.rng = np.random.default_rng([seed, 6])
        n = env.n
        self.names = env.satellite_names
        self.index = {name: k for k, name in enumerate(self.names)}
        self.jobs: list[Job] = []
        self.by_id: dict[JobId, Job] = {}
        self.has_isl = env.has_isl
        self.has_isl_list = self.has_isl.tolist()
        self.compute = Compute(env, self.prot)
        self.open_ended = open_ended
        self.links = Links(env, self.has_isl_list, open_ended)
        # open_ended: what waits for extend (reserved sequence numbers keep tie order)
        self.waiting: list[tuple] = []  # (seq, priority, job, version, asked, legs) of moves
        self.finishing: list[tuple] = []  # (seq, job, version): compute done beyond the end
        # ... of the jobs computing alone, per satellite: waits, the running total it waits
        # for, (seq, job, version)
        self.beyond = np.zeros(n, dtype=bool)
        self.beyond_target = np.zeros(n)
        self.beyond_item: list[tuple] = [()] * n
        self.ring_waiting: dict[int, tuple] = {}  # job -> (version, seq, placed, asked)
        self.down_beyond: list[tuple[int, float]] = []  # (satellite, down until) past the end
        self.accounts = Accounts(n)
        # compute energy drawn per satellite by closed segments, J (compute_drawn_j adds the
        # open ones); what forget_before dropped of the run-wide figures (report.losses_sat_s)
        self.drawn_j = np.zeros(n)
        # the compute segments running now: per satellite computing a job alone, where its
        # running total began (capacity-seconds); the jobs computing on several, by index
        self.alone = np.zeros(n, dtype=bool)
        self.alone_c0 = np.zeros(n)
        self.clustered: dict[int, Job] = {}
        self.power_w = np.asarray(env.power_w, dtype=float)
        self.forgotten = Forgotten(np.zeros(n), np.zeros(n), 0.0)
        self.loop = EventLoop(float(env.t_s[0]))
        self.idle = np.ones(n, dtype=bool)
        self.down_until = np.full(n, -np.inf)
        self.sat_job = np.full(n, -1, dtype=np.int64)
        self.queue: list = []
        self.sched: list[tuple] = []
        # (timelines, step, the policy's ranking there, each satellite's place in it or -1);
        # the last pass's cut of it: (free satellites (N,) bool, their places in the ranking,
        # those satellites in its order)
        self.ranking: tuple = (None, -1, None, None)
        self.cut: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.closed = False
        self.listener = listener
        self.changes: list[StateChange] | None = [] if record_changes else None
        self.handlers = (self.on_finish, self.on_staged, self.on_downlinked, self.on_up,
                         self.on_fault, self.on_eclipse_in, self.on_eclipse_out, self.on_arrival,
                         self.on_wake)
        self.push_environment(env.faults, *env.edges)

    @property
    def now_s(self) -> float:
        return self.loop.now_s

    def push_environment(self, faults: np.ndarray, entries: np.ndarray, exits: np.ndarray):
        """Schedule the environment's own events: faults, eclipse entries and exits."""
        push = self.loop.push
        for f in faults:
            push(float(f["time_s"]), Priority.FAULT, int(f["satellite"]),
                 0 if f["kind"] == "seu" else 1)
        for t, s in entries:
            push(float(t), Priority.ECLIPSE_IN, int(s))
        for t, s in exits:
            push(float(t), Priority.ECLIPSE_OUT, int(s))

    # --- feeding and running ----------------------------------------------------------------

    def submit(self, row: Mapping[str, Any], resumed_flop: float = 0.0) -> JobId:
        """Add a job: a row of ops.jobs.COLUMNS (missing ones take their defaults; arrival: now,
        id: job<N>), arriving at row["arrival"] s (>= now). resumed_flop: work it already has
        in a checkpoint (a job a restarted service resumes). Returns its id; ValueError naming
        the column on a bad row."""
        row = job_row(row, self.now_s, f"job{len(self.jobs)}")
        if row["id"] in self.by_id:
            raise ValueError(f"job {row['id']}: id: already submitted")
        if not row["arrival"] >= self.now_s:
            raise ValueError(f"job {row['id']}: arrival: {row['arrival']} s is before now "
                             f"({self.now_s} s)")
        job_id = self.add(row)
        self.by_id[job_id].done_flop = min(max(resumed_flop, 0.0), self.by_id[job_id].work)
        return job_id

    def checkpointed_flop(self, job_id: JobId) -> float:
        """The job's work kept by its last checkpoint now, FLOP (KeyError: unknown id)."""
        return self.compute.saved_flop(self.by_id[job_id], self.now_s)

    def add(self, row: Mapping[str, Any]) -> JobId:
        """submit for a row already checked (every column, of its type, as in a Jobs table):
        a batch run's jobs, which may arrive before the timelines start."""
        if self.closed:
            raise RuntimeError("the engine is closed")
        j = Job(len(self.jobs), row, self.index.get(row["input_at"], -1))
        if j.precision not in self.env.peak_flops:
            raise ValueError(f"job {j.id}: no {j.precision} peak in the timelines")
        if j.min_satellites > self.env.n:
            raise ValueError(
                f"job {j.id}: needs {j.min_satellites} satellites, fleet has {self.env.n}")
        self.jobs.append(j)
        self.by_id[j.id] = j
        self.loop.push(j.arrival, Priority.ARRIVAL, j.index)
        self.changed(j, JobState.PENDING, self.now_s)
        return j.id

    def advance_to(self, t_s: float) -> list[StateChange]:
        """Process every event before t_s (those at t_s wait for the next call, with the jobs
        submitted at t_s); now becomes t_s. Returns the state changes since the last call or
        drain, submit's and cancel's included (empty without record_changes). t_s may not pass
        the end of the timelines (extend first). Not thread-safe: one caller at a time."""
        if self.closed:
            raise RuntimeError("the engine is closed")
        if not self.now_s <= t_s <= self.env.end_s:
            raise ValueError(f"advance_to: {t_s} s is outside [now {self.now_s} s, end of the "
                             f"timelines {self.env.end_s} s]")
        self.run_until(t_s)
        return self.drain()

    def drain(self) -> list[StateChange]:
        """The state changes recorded since the last drain, oldest first."""
        if self.changes is None:
            return []
        out, self.changes = self.changes, []
        return out

    def cancel(self, job_id: JobId) -> StateChange:
        """Cancel a job now: taken off its satellites (its work so far counted as delivered,
        data already in flight left to land), never run again. KeyError: unknown id;
        JobFinishedError: done, failed or cancelled already."""
        j = self.by_id[job_id]
        if j.state.finished:
            raise JobFinishedError(f"job {job_id}: already {j.state}")
        t = self.now_s
        if j.state is JobState.RUNNING:
            self.end_segment(j, t, finished=False, checkpoint_now=True)
        if j.sats is not None:
            self.release(j, t)
            self.loop.push(t, Priority.WAKE, 0)  # a scheduling pass for the freed satellites
        elif j.state in (JobState.QUEUED, JobState.PAUSED):
            self.queue = [item for item in self.queue if item[1] != j.index]
            heapq.heapify(self.queue)
        j.version += 1
        j.end = t
        return self.changed(j, JobState.CANCELLED, t)

    def forget(self, job_id: JobId) -> None:
        """Drop a finished job: its id is unknown from now on and the run's tables leave it
        out. A service that keeps its results elsewhere (orbitgrid.live) stays bounded in
        memory however many jobs it runs. KeyError: unknown id; ValueError: not finished."""
        j = self.by_id[job_id]
        if not j.state.finished:
            raise ValueError(f"job {job_id}: still {j.state}")
        del self.by_id[job_id]
        self.jobs[j.index] = FORGOTTEN

    def forget_rows(self) -> None:
        """Drop the schedule and transfer rows kept so far for the run's tables (a service
        writes none)."""
        self.sched.clear()
        self.links.rows.clear()

    def status(self, job_id: JobId) -> JobStatus:
        """A job as it stands now (KeyError: unknown id)."""
        j = self.by_id[job_id]
        return JobStatus(j.id, j.state, self.satellites_of(j), j.arrival, j.start, j.end, j.work,
                         j.done_flop, j.rollbacks, j.migrations)

    def satellite_jobs(self) -> dict[str, JobId]:
        """The job each busy satellite holds now, by satellite name."""
        busy = np.flatnonzero(self.sat_job >= 0).tolist()
        return {self.names[s]: self.jobs[self.sat_job[s]].id for s in busy}

    def counts(self) -> dict[JobState, int]:
        """Jobs in each state."""
        out = dict.fromkeys(JobState, 0)
        for j in self.jobs:
            out[j.state] += 1
        return out

    def changed(self, j: Job, state: JobState, t: float) -> StateChange | None:
        """j enters state at t: recorded and told to the listener."""
        j.state = state
        if self.changes is None and self.listener is None:
            return None
        change = StateChange(j.id, state, t, self.satellites_of(j))
        if self.changes is not None:
            self.changes.append(change)
        if self.listener is not None:
            self.listener(change)
        return change

    def satellites_of(self, j: Job) -> tuple[str, ...]:
        sats = j.sats
        if sats is None and j.state in (JobState.DOWNLINK, JobState.DONE, JobState.FAILED,
                                        JobState.CANCELLED):
            sats = j.last_sats
        return () if sats is None else tuple(self.names[s] for s in sats.tolist())

    def run_until(self, t_s: float, inclusive: bool = False) -> None:
        """Process the events before t_s (inclusive: at t_s too); now becomes t_s. A scheduling
        pass runs once all the events of a time are processed."""
        heap, loop, handlers = self.loop.heap, self.loop, self.handlers
        dirty = False
        while heap and (heap[0][0] < t_s or (inclusive and heap[0][0] == t_s)):
            t, prio, _, a, b = heapq.heappop(heap)
            loop.now_s = t
            loop.count += 1
            dirty |= handlers[prio](t, a, b)
            if dirty and (not heap or heap[0][0] > t):
                self.schedule(t)
                dirty = False
        loop.now_s = t_s

    def close(self) -> OpsResult:
        """Run to the end of the timelines (its events included), account the work in progress
        and build the result tables; the engine takes no more jobs."""
        t = self.env.end_s
        self.run_until(t, inclusive=True)
        self.closed = True
        self.links.close()
        for j in self.jobs:
            if j.sats is not None:
                if j.state is JobState.RUNNING:
                    self.end_segment(j, t, finished=False, checkpoint_now=True)
                self.release(j, t)
                j.sats = j.last_sats
        return self.result()

    # --- timelines that grow ------------------------------------------------------------------

    def extend(self, block: Timelines) -> None:
        """Append block's steps to the timelines (Timelines.append; open_ended engines only).
        What waited beyond the old end gets its event now (compute done, moves settled, rings
        started), in the place among ties it would have had over all the steps at once; the
        block's faults and sunlight transitions are scheduled."""
        if not self.open_ended or self.closed:
            raise RuntimeError("extend: the engine is closed or was not made open_ended")
        old = self.env
        before = len(old.t_s) - 1  # steps known so far
        self.use(old.append(block))
        for j in self.computing_clusters():
            j.seg.cum = self.compute.continued(j.seg.cum, j.sats, before)
        t_list, rows, beyond = self.compute.t_list, self.compute.work_rows, self.down_beyond
        self.down_beyond = [(s, until) for s, until in beyond if until > self.env.end_s]
        for s, until in beyond:
            self.accounts.down(s, accrued(rows[s], t_list, old.end_s, min(until, self.env.end_s)))
        for ring in self.links.retry():
            j = self.jobs[ring.job]
            parked = self.ring_waiting.pop(ring.job, None)
            if parked is None or j.ring is not ring or parked[0] != j.version:
                continue
            _, seq, placed, t = parked
            j.seg = self.compute.segment(j, self.compute.cluster(j, j.sats), max(t, ring.t0),
                                         placed)
            self.computing(j)
            self.push_finish(j, seq)
        waiting, self.waiting = self.waiting, []
        for item in waiting:
            seq, priority, i, version, asked, legs = item
            if self.jobs[i].version != version:
                continue
            ready = ready_s(asked, legs)
            if ready is None:
                self.waiting.append(item)
            else:
                self.loop.push(ready, priority, i, version, seq)
        finishing, self.finishing = self.finishing, []
        # the satellites whose job's total is now reached (not: still beyond, push_finish's
        # answer without asking it; a NaN target is asked, as push_finish would be)
        due = self.beyond & ~(self.beyond_target > self.compute.work_rows[:, -1])
        for s in due.nonzero()[0].tolist():
            self.beyond[s] = False
            finishing.append(self.beyond_item[s])
        for seq, i, version in finishing:
            j = self.jobs[i]
            if j.version == version and j.seg is not None:
                self.push_finish(j, seq)
        self.push_environment(block.faults, *self.env.edges_from(old.end_s))

    def forget_before(self, t_s: float) -> None:
        """Drop the steps before t_s that nothing needs any more: never after now, the start of
        a job's staging or of a ring that has not started, or the time an open move was asked
        for (memory stays bounded in a service that runs without an end). A started ring keeps
        what it needs of the dropped steps (what it waited for, accounted; its bits so far).
        Results read after this cover what is kept."""
        keep = min(t_s, self.now_s)
        rings = []
        for j in self.active():
            if j.seg is not None and j.seg.staging:
                keep = min(keep, j.seg.placed)
            if j.ring is not None:
                if j.ring.t0 <= self.now_s:
                    rings.append(j.ring)
                else:
                    keep = min(keep, j.ring.asked)
        for item in self.links.open:
            asked = item.asked if isinstance(item, Ring) else item.asked_s()
            keep = min(keep, asked if asked is not None else keep)
        env = self.env.forget_before(keep)
        if env is self.env:
            return
        for ring in rings:
            if not ring.waited_done:
                self.waited(ring.sats.tolist(), ring.asked, ring.t0)
                ring.waited_done = True
            self.links.carry_ring(ring, float(env.t_s[0]))
        dropped = len(self.env.t_s) - len(env.t_s)
        self.forgotten = self.forgotten.plus(self.env, dropped)
        for j in self.computing_clusters():
            j.seg.cum = j.seg.cum[dropped:]
        self.use(env)

    def use(self, env: Timelines) -> None:
        """Read env from now on (the same steps as before, more or fewer of them)."""
        self.env = env
        self.compute.use(env)
        self.links.use(env)
        self.has_isl = env.has_isl
        self.has_isl_list = self.links.has_isl = self.has_isl.tolist()

    def active(self) -> list[Job]:
        """The jobs on satellites now."""
        held = self.sat_job[self.sat_job >= 0].tolist()
        return [self.jobs[i] for i in sorted(set(held))]  # np.unique costs more on a few

    def computing_clusters(self) -> list[Job]:
        """The jobs computing on several satellites now (their segments keep their own running
        totals; one satellite's is its row of the timelines')."""
        return [self.clustered[i] for i in sorted(self.clustered)]

    # --- handlers: each returns True when a scheduling pass may place something ---------------

    def on_arrival(self, t, i, _):
        j = self.jobs[i]
        if j.state is not JobState.PENDING:  # cancelled before it arrived
            return False
        self.changed(j, JobState.QUEUED, t)
        heapq.heappush(self.queue, (self.policy.key(j), i))
        return True

    def on_staged(self, t, i, version):
        j = self.jobs[i]
        if version != j.version:
            return False
        j.input_done = True
        self.changed(j, JobState.RUNNING, t)
        self.begin(j, t)
        return False

    def on_finish(self, t, i, version):
        j = self.jobs[i]
        if version != j.version:
            return False
        self.end_segment(j, t, finished=True)
        j.compute_end = t
        self.release(j, t)
        legs = self.downlink(j, t)
        done = ready_s(t, legs)
        if done is not None and done <= t:
            self.complete(j, t)
        else:
            self.changed(j, JobState.DOWNLINK, t)
            j.version += 1
            self.when_ready(done, Priority.DOWNLINKED, j, t, legs)
        return True

    def on_downlinked(self, t, i, version):
        j = self.jobs[i]
        if version == j.version:
            self.complete(j, t)
        return False

    def on_up(self, t, s, _):
        return bool(self.down_until[s] <= t)

    def on_wake(self, t, _a, _b):
        return True

    def on_fault(self, t, s, sefi):
        i = self.sat_job[s]
        prot = self.prot
        if sefi:
            self.down_until[s] = max(self.down_until[s], t + prot.sefi_recovery_s)
            until = t + prot.sefi_recovery_s
            self.accounts.down(s, accrued(self.compute.work_rows[s], self.compute.t_list, t,
                                          min(until, self.env.end_s)))
            if until > self.env.end_s and self.open_ended:
                self.down_beyond.append((s, until))
            self.loop.push(t + prot.sefi_recovery_s, Priority.UP, s)
            if i >= 0:
                j = self.jobs[i]
                if j.state is JobState.RUNNING:
                    self.end_segment(j, t, finished=False)
                    j.rollbacks += 1
                self.release(j, t)
                self.requeue(j, t)
            return True
        if i < 0 or self.jobs[i].state is not JobState.RUNNING or prot.redundancy == 3:
            return False
        j = self.jobs[i]
        if prot.redundancy == 1 and self.rng.random() >= prot.upset_detection:
            j.corrupted = True
            return False
        self.end_segment(j, t, finished=False)
        j.rollbacks += 1
        self.begin(j, t)
        return False

    def on_eclipse_in(self, t, s, _):
        i = self.sat_job[s]
        if i < 0 or not self.has_isl_list[s]:
            return False
        j = self.jobs[i]
        if j.state is not JobState.RUNNING or j.max_satellites != 1:
            return False
        if not self.policy.migrate_on_eclipse(j, t, self.env):
            return False
        free = np.flatnonzero(self.idle & (self.down_until <= t))
        k = self.env.step_at(t)
        if not (self.env.sunlit[k, free] >= 0.5).any():
            return False
        self.end_segment(j, t, finished=False, checkpoint_now=True)
        self.release(j, t)
        self.requeue(j, t)
        return True

    def on_eclipse_out(self, t, s, _):
        return bool(self.queue) and bool(self.idle[s])

    def requeue(self, j: Job, t: float) -> None:
        """j, taken off its satellites at t, waits to be placed again."""
        j.version += 1
        self.changed(j, JobState.PAUSED, t)
        heapq.heappush(self.queue, (self.policy.key(j), j.index))

    # --- scheduling ---------------------------------------------------------------------------

    def schedule(self, now: float) -> None:
        if not self.queue:
            return
        free = self.idle & (self.down_until <= now)
        if self.ranked(now) is not None:
            cand = self.free_ranked(free)
        else:
            free = free.nonzero()[0]
            if not len(free):
                return
            cand = np.asarray(self.policy.eligible(free, now, self.env), dtype=np.int64)
        skipped, holding = [], False
        while self.queue and len(cand):
            key, i = heapq.heappop(self.queue)
            j = self.jobs[i]
            pool = reachable(j, cand, self.has_isl)
            chosen = self.policy.select(j, pool, now, self.env)
            if chosen is None:
                skipped.append((key, i))
                if j.min_satellites > 1 and not holding:
                    keep = held(j, pool, self.env.group, self.has_isl)
                    cand, holding = cand[~np.isin(cand, keep)], len(keep) > 0
                continue
            chosen = np.asarray(chosen, dtype=np.int64)
            if len(chosen) == 1 and chosen[0] == cand[0]:  # first-fit's choice: no pass over all
                rest = cand[1:]
            else:
                rest = cand[cand != chosen[0] if len(chosen) == 1 else ~np.isin(cand, chosen)]
            if (len(cand) - len(rest) != len(chosen)
                    or not j.min_satellites <= len(chosen) <= j.max_satellites):
                raise RuntimeError(
                    f"policy {self.policy.name!r} chose satellites {chosen.tolist()} for job "
                    f"{j.id}: need {j.min_satellites}..{j.max_satellites} distinct candidates"
                )
            self.place(j, chosen, now)
            cand = rest
        for item in skipped:
            heapq.heappush(self.queue, item)

    def ranked(self, now: float) -> np.ndarray | None:
        """The policy's ranking of now's step (Policy.ranking), worked out once a step."""
        k = self.env.step_at(now)
        env, step, ranked, _ = self.ranking
        if env is not self.env or step != k:
            ranked = self.policy.ranking(now, self.env)
            rank_of = None
            if ranked is not None:
                ranked = np.asarray(ranked, dtype=np.int64)
                rank_of = np.full(self.env.n, -1, dtype=np.int64)
                rank_of[ranked] = np.arange(len(ranked))
            self.ranking = (self.env, k, ranked, rank_of)
            self.cut = None
        return ranked

    def free_ranked(self, free: np.ndarray) -> np.ndarray:
        """The step's ranking cut to the free satellites (free: (N,) bool), in its order: the
        last pass's cut, with the few satellites freed or taken since (between two arrivals)
        put in or out, rather than a pass over the fleet."""
        _, _, ranked, rank_of = self.ranking
        if self.cut is not None:
            last, at, cand = self.cut
            changed = np.flatnonzero(free != last)
            changed = changed[rank_of[changed] >= 0]
            if not len(changed):
                return cand
        if self.cut is None or len(changed) > CUT_CHANGES:
            at = np.flatnonzero(free[ranked])  # places in the ranking, ascending
        else:
            for r, on in zip(rank_of[changed].tolist(), free[changed].tolist(), strict=True):
                i = int(at.searchsorted(r))
                at = np.concatenate((at[:i], [r], at[i:]) if on else (at[:i], at[i + 1:]))
        cand = ranked[at]
        self.cut = (free, at, cand)
        return cand

    def place(self, j: Job, sats: np.ndarray, now: float) -> None:
        j.sats = sats
        self.idle[sats] = False
        self.sat_job[sats] = j.index
        if math.isnan(j.start):
            j.start = now
        j.seg = None
        j.placed = now
        legs = self.staging(j, sats, now)
        ready = ready_s(now, legs)
        j.version += 1
        if ready is not None and ready <= now:
            j.input_done = True
            self.changed(j, JobState.RUNNING, now)
            self.begin(j, now, placed=now)
        else:
            self.changed(j, JobState.STAGING, now)
            j.seg = staging_segment(now)
            self.when_ready(ready, Priority.STAGED, j, now, legs)

    def staging(self, j: Job, sats: np.ndarray, now: float) -> list[Leg]:
        """The moves that bring j's last checkpoint and input to sats (store-and-forward)."""
        links, s0, i = self.links, int(sats[0]), j.index
        legs = []
        if j.last_sats is not None and j.done_flop > 0 and not np.array_equal(j.last_sats, sats):
            legs.append(links.over_isl(i, s0, int(j.last_sats[0]), now, j.checkpoint_bytes))
            j.bytes_moved += j.checkpoint_bytes
            j.migrations += 1
        if not j.input_done:
            if j.home >= 0 and j.home not in sats:
                legs.append(links.over_isl(i, s0, j.home, now, j.input_bytes))
                j.bytes_moved += j.input_bytes
            elif j.from_ground and self.env.ground_bps is not None:
                if self.has_isl_list[s0]:  # up through the relay, then over ISLs
                    up = links.over_ground(i, -1, now, j.input_bytes, up=True)
                    legs.append(links.over_isl(i, s0, -1, up, j.input_bytes))
                else:
                    legs.append(links.over_ground(i, s0, now, j.input_bytes, up=True))
                j.bytes_moved += j.input_bytes
        return legs

    def downlink(self, j: Job, t: float) -> list[Leg]:
        """The moves that bring j's results to the ground: over ISLs to the relay then down, or
        down through its own satellite's contacts."""
        if j.output_bytes <= 0 or self.env.ground_bps is None:
            return []
        s0 = int(j.last_sats[0])
        j.bytes_moved += j.output_bytes
        if self.has_isl_list[s0]:
            across = self.links.over_isl(j.index, s0, -1, t, j.output_bytes)
            return [self.links.over_ground(j.index, -1, across, j.output_bytes)]
        return [self.links.over_ground(j.index, s0, t, j.output_bytes)]

    def when_ready(self, ready: float | None, priority: int, j: Job, t: float,
                   legs: list[Leg]) -> None:
        """The event for j's moves: at ready, or (ready None: a move beyond the timelines) once
        extend has settled them all, in the place among ties it has now."""
        if ready is not None:
            self.loop.push(ready, priority, j.index, j.version)
        else:
            self.waiting.append((self.loop.reserve(), priority, j.index, j.version, t, legs))

    # --- compute segments ---------------------------------------------------------------------

    def begin(self, j: Job, t: float, placed: float | None = None) -> None:
        """Start (or restart after a rollback) computing j on j.sats from its last checkpoint."""
        if placed is None:
            placed = j.seg.placed if j.seg is not None else t
            if j.seg is not None and j.seg.staging:  # staging just ended
                self.waited(j.sats, placed, t)
                placed = t
        cluster = self.compute.cluster(j, j.sats)
        if j.ring is None and len(j.sats) > 1:  # kept across rollbacks on the same satellites
            j.ring = self.links.book_ring(j.index, j.sats, t, cluster.step_c, cluster.bit_s)
        j.version += 1
        seq = self.loop.reserve()
        if j.ring is not None and j.ring.t0 == np.inf and self.open_ended:
            # its terminals wait for moves beyond the timelines: computes once extend starts it
            j.seg = None
            self.ring_waiting[j.index] = (j.version, seq, placed, t)
            return
        if j.ring is not None:
            t = max(t, j.ring.t0)
        j.seg = self.compute.segment(j, cluster, t, placed)
        self.computing(j)
        self.push_finish(j, seq)

    def computing(self, j: Job) -> None:
        """j's compute segment has begun: noted per satellite (alone) or per job (cluster)."""
        seg = j.seg
        if seg.sat >= 0:
            self.alone[seg.sat] = True
            self.alone_c0[seg.sat] = seg.c0
        else:
            self.clustered[j.index] = j

    def push_finish(self, j: Job, seq: int) -> None:
        """j's compute-done event (kept for extend when beyond the timelines)."""
        t = self.compute.finish_s(j.seg)
        if t == np.inf and self.open_ended:
            s = j.seg.sat
            if s >= 0:
                self.beyond[s] = True
                self.beyond_target[s] = j.seg.target
                self.beyond_item[s] = (seq, j.index, j.version)
            else:
                self.finishing.append((seq, j.index, j.version))
            return  # no event at inf: the heap of an engine extended step by step stays small
        self.loop.push(t, Priority.FINISH, j.index, j.version, seq)

    def end_segment(self, j: Job, t: float, finished: bool, checkpoint_now: bool = False) -> None:
        """Close j's segment at t: progress kept, work lost, accounts per satellite."""
        if j.seg is None or j.seg.staging:
            return
        sats = j.sats
        if j.seg.sat >= 0:
            self.alone[j.seg.sat] = self.beyond[j.seg.sat] = False
        else:
            del self.clustered[j.index]
        progress = self.compute.close(j, t, finished, checkpoint_now)
        e = progress.checkpoint + progress.lost + progress.saved
        if len(sats) == 1:  # plain floats: the common case, per event
            s = int(sats[0])
            self.drawn_j[s] += self.compute.power_list[s] * e
        else:
            self.drawn_j[sats] += self.power_w[sats] * e
        self.accounts.computed(sats, progress, self.prot.redundancy)

    def compute_drawn_j(self, t_s: float) -> np.ndarray:
        """(N,) compute energy each satellite has drawn from the start to t_s (now or before it,
        within the timelines), J: payload power x capacity-seconds of its compute segments
        (staging, waiting and down time draw nothing). The closed loop's load: the difference
        over a step, divided by its length."""
        out = self.drawn_j.copy()
        t_list = self.compute.t_list
        for j in self.computing_clusters():
            e = max(total_at(j.seg.cum, t_list, t_s) - j.seg.c0, 0.0)
            out[j.sats] += self.power_w[j.sats] * e
        one = np.flatnonzero(self.alone)
        if len(one):
            totals = totals_at(self.compute.work_rows, t_list, t_s, one)
            e = np.maximum(totals - self.alone_c0[one], 0.0)
            out[one] += self.power_w[one] * e
        return out

    def waited(self, sats, t0: float, t1: float) -> None:
        """sats waited for data from t0 to t1."""
        rows, t_list = self.compute.work_rows, self.compute.t_list
        for s in sats:
            self.accounts.waited(s, accrued(rows[s], t_list, t0, t1))

    def release(self, j: Job, t: float) -> None:
        if j.sats is None:
            return
        self.ring_waiting.pop(j.index, None)
        if j.ring is not None:
            ring, j.ring = j.ring, None
            if not ring.waited_done:
                self.waited(ring.sats.tolist(), ring.asked, min(t, ring.t0))
            j.bytes_moved += self.links.close_ring(ring, t)  # the all-reduce's bytes
        if j.seg is not None and j.seg.staging:  # interrupted while staging
            self.waited(j.sats, j.seg.placed, t)
            j.seg = None
        for s in j.sats.tolist():
            self.sched.append((j.index, s, j.placed, t))
        self.idle[j.sats] = True
        self.sat_job[j.sats] = -1
        j.last_sats = j.sats
        j.sats = None

    def complete(self, j: Job, t: float) -> None:
        j.end = t
        j.version += 1
        self.changed(j, JobState.FAILED if j.corrupted else JobState.DONE, t)

    # --- results ------------------------------------------------------------------------------

    def result(self) -> OpsResult:
        from orbitgrid.ops.report import summarise

        table = jobs_table(self.jobs, self.names)
        schedule = schedule_table(self.sched, self.jobs, self.names)
        acc = self.accounts.sat_s
        summary = summarise(table, schedule, self.env, acc, self.policy.name, self.loop.count,
                            self.forgotten)
        transfers = transfers_table(self.links.rows, self.jobs,
                                    [x.name for x in self.links.all])
        return OpsResult(table, schedule, summary, self.loop.count, acc, transfers)


class Forgot:
    """A forgotten job's place in Engine.jobs: finished, with a version no event carries (a
    stale event for it is dropped as for any job that moved on)."""

    __slots__ = ()
    state = JobState.CANCELLED
    version = -1
    seg = None


FORGOTTEN = Forgot()


def job_row(row: Mapping[str, Any], now_s: float, default_id: str) -> dict[str, Any]:
    """A submitted row checked and converted column by column (ops.jobs.COLUMNS); ValueError
    naming the column."""
    given = row.get("id")
    out: dict[str, Any] = {"id": default_id if given is None else str(given)}
    for k in row:
        if k not in COLUMNS:
            raise ValueError(f"job {out['id']}: {k}: unknown column (known: {', '.join(COLUMNS)})")
    for k, kind in KIND_OF_COLUMN.items():
        value = row.get(k, now_s if k == "arrival" else DEFAULTS[k])
        if value is None:
            raise ValueError(f"job {out['id']}: {k}: a value is required")
        if kind is str:
            out[k] = str(value)
            continue
        try:
            number = kind(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"job {out['id']}: {k}: not a number: {value!r}") from None
        if not (0 <= number < math.inf or (number == math.inf and k == "deadline")
                or (k in ("priority", "arrival") and -math.inf < number < 0)):
            raise ValueError(f"job {out['id']}: {k}: expected a finite, non-negative number, "
                             f"got {value!r}")
        if kind is int and number != value and float(number) != float(value):
            raise ValueError(f"job {out['id']}: {k}: expected a whole number, got {value!r}")
        out[k] = number
    if out["kind"] not in KINDS:
        raise ValueError(f"job {out['id']}: kind: {out['kind']!r} is not one of {KINDS}")
    if out["min_satellites"] < 1:
        raise ValueError(f"job {out['id']}: min_satellites: at least 1")
    out["max_satellites"] = max(out["max_satellites"], out["min_satellites"])
    return out


DEFAULTS = {k: d for k, (_, d) in COLUMNS.items()}
KIND_OF_COLUMN = {k: str if t.startswith("U") else (int if t == "i8" else float)
                  for k, (t, _) in COLUMNS.items() if k != "id"}


def ready_s(t: float, legs: list[Leg]) -> float | None:
    """When all legs asked for at t have ended (None: one is still open)."""
    ends = [leg.end for leg in legs]
    return None if None in ends else max([t, *ends])
