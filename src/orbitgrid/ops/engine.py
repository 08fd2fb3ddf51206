"""The discrete-event engine of the space operating system: a pure function of the timelines.

    result = run_ops(jobs, timelines, policy, protection, seed)

Events sit on one heap keyed on (time, priority, sequence), so ties resolve the same way every
run; an exception raised by a policy propagates (it is never swallowed). Events: arrivals,
staging done (input uploaded through contacts or moved over ISLs, checkpoints moved), compute
finished, results downlinked (store-and-forward through contacts), radiation upsets and
functional interrupts, satellites back up, eclipse entries and exits. Compute progress between
events needs no event of its own: the time at which a job's work is done is found by inverting
the satellite's running total of allowed compute (Timelines.work_cum), so power and heat limits
changing every step cost nothing per step.

Placement: at each scheduling point the policy picks satellites for the queued jobs in its key
order. The first job that waits for several satellites holds the free ones of the cluster
where it can soonest fit (_Engine.hold): jobs behind it may not take them, so a stream of
single-satellite jobs cannot starve a cluster job (no backfilling onto held satellites).

Model (a job on k satellites of one cluster, precision p, redundancy r):
  useful rate     = k x peak_p(min member) x capacity(t) x eta / r, with eta = 1 for one
                    satellite and, for data-parallel training, eta = c / (c + a): c the compute
                    time of one step (6 N B FLOP over k satellites), a its ring all-reduce of
                    2 N gradient bytes at the slowest member's ISL rate of each step, eta
                    averaged over the steps from the segment's start to the end of the run;
  checkpoints     every tau of compute (Young/Daly sqrt(2 C M) unless set), each costing
                    C = checkpoint_bytes / write rate; a restart first reads one back (C);
  an upset (seu)  rolls the job back to its last checkpoint (r = 3: masked by the vote; r = 1:
                    detected with probability upset_detection, else the result is corrupted);
  an interrupt    (sefi) takes the satellite down for sefi_recovery_s; its job is rolled back
                    and queued again;
  energy          payload power x capacity-seconds the job's satellites ran.

Data movement (input up through contacts or over ISLs from the satellite holding it, checkpoints
migrated over ISLs, results down through contacts, store-and-forward) goes through links that
transfers share: the ISL terminal of each satellite, the ground link of each satellite without
ISLs, and one relay ground segment for the satellites with ISLs (the best contact among them,
Timelines.relay_bps; data reaches it over ISLs). Ground links are full duplex: each (a
satellite's, the relay's) is two links, up and down, each with its own queue, so an upload and a
downlink do not wait for each other; both directions run at the timelines' one ground rate (the
link model, network.links.GroundLink, has one rate for both). Each link serialises its transfers
in a FIFO queue: a transfer starts when it is asked for and every link it uses is free, then
takes the bits at the link's rate integrated over time (ISL and ground rates change every step);
an ISL transfer between two known satellites holds both terminals at the slower of their two
rates at each step.
A satellite has ISLs (can relay, receive migrations, join a cluster) when its ISL rate is > 0 at
some step; at a step where the Earth blocks all its links, its transfers wait. A queue rather
than max-min fair sharing: completion times are known when a transfer is asked for (no
re-planning of the others when one starts or ends), and both move the same bytes while the link
is busy (for transfers asked for together, FIFO's mean completion is the shorter). The bytes on
a link therefore never exceed its capacity x time; every transfer is recorded (link, job, start,
end, bytes) in OpsResult.transfers, one row per link it held (isl:NAME, up:NAME, down:NAME,
up:relay, down:relay), kind "transfer". Not booked: the ground station side (one station per
contact assumed free).

The data-parallel all-reduce shares its members' ISL terminals with transfers. A training
cluster's ring starts when every member's terminal has finished the transfers queued on it (the
job's compute waits too, counted as waiting for links) and holds until the job leaves them
(rollbacks after upsets keep it). Meanwhile each member's terminal carries the ring's bits per
step over the step's length, load(t) = capacity(t) x b / (c + b / r(t)) bit/s (b the bits a
member sends per step, 2 (k - 1) / k x 8 x gradient bytes; r the slowest member's ISL rate; steps
slow with capacity, so the ring does); an upper bound, as checkpoint writes and reads pause it.
The ring has priority: the job's eta stays as above, and a transfer that uses a member's
terminal gets its rate minus the load, for as long as it lasts (the ring may end earlier; the
transfer is not re-planned). The ring is recorded as kind "allreduce" rows on isl:NAME, cut at
the starts and ends of the transfers beside it, so that per terminal the ring's bytes plus each
transfer's bytes fit in capacity x time over the transfer.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass, field

import numpy as np

from orbitgrid.ops.jobs import CHECKPOINT_BYTES_PER_PARAM, GRADIENT_BYTES_PER_PARAM, Jobs
from orbitgrid.ops.policies import Policy, load_policy
from orbitgrid.ops.timelines import Timelines, ring_allreduce_s, running_total, young_daly_s

# event priorities at equal times: lower first
FINISH, STAGED, DOWNLINKED, UP, FAULT, ECLIPSE_IN, ECLIPSE_OUT, ARRIVAL = range(8)
TRANSFER, ALLREDUCE = "transfer", "allreduce"  # kinds of rows in OpsResult.transfers
SECONDS_PER_DAY = 86_400.0
BUCKETS = ("power", "heat", "idle", "data_and_links", "faults_and_recovery", "redundancy",
           "delivered")


@dataclass(frozen=True)
class Protection:
    """Fault protection and training knobs (SI). checkpoint_interval_s None: Young/Daly."""

    redundancy: int = 1
    checkpoint_interval_s: float | None = None
    checkpoint_write_bps: float = 8e9
    sefi_recovery_s: float = 300.0
    upset_detection: float = 1.0
    tokens_per_step: float = 4_194_304.0


class Job:
    """One job's static description and its state in the engine."""

    __slots__ = ("index", "id", "kind", "precision", "work", "arrival", "deadline", "priority",
                 "min_satellites", "max_satellites", "input_bytes", "output_bytes",
                 "checkpoint_bytes", "home", "from_ground", "state", "sats", "last_sats",
                 "version", "done_flop", "input_done", "start", "end", "compute_end", "energy",
                 "bytes_moved", "rollbacks", "migrations", "lost_flop", "corrupted", "seg",
                 "placed", "ring")

    def __init__(self, index: int, row: dict, home: int):
        self.index = index
        self.id = str(row["id"])
        self.kind = str(row["kind"])
        self.precision = str(row["precision"])
        self.work = float(row["work_flop"])
        self.arrival = float(row["arrival"])
        self.deadline = float(row["deadline"])
        self.priority = int(row["priority"])
        self.min_satellites = int(row["min_satellites"])
        self.max_satellites = int(row["max_satellites"])
        self.input_bytes = float(row["input_bytes"])
        self.output_bytes = float(row["output_bytes"])
        self.checkpoint_bytes = float(row["checkpoint_bytes"])
        self.home = home
        self.from_ground = home < 0 and self.input_bytes > 0
        self.state = "pending"
        self.sats: np.ndarray | None = None
        self.last_sats: np.ndarray | None = None
        self.version = 0
        self.done_flop = 0.0
        self.input_done = self.input_bytes == 0
        self.start = np.nan
        self.end = np.nan
        self.compute_end = np.nan
        self.energy = 0.0
        self.bytes_moved = 0.0
        self.rollbacks = 0
        self.migrations = 0
        self.lost_flop = 0.0
        self.corrupted = False
        self.seg: _Segment | None = None
        self.placed = np.nan
        self.ring: _Ring | None = None


@dataclass
class _Segment:
    """A stretch of compute of one job on fixed satellites, started from a checkpoint."""

    t0: float
    cum: np.ndarray  # running total (T + 1,) of the cluster's capacity, capacity-seconds
    c0: float
    rate: float  # useful FLOP per capacity-second
    eta: float  # share of a step spent computing (data-parallel), 1 otherwise
    restore: float  # capacity-seconds spent reading a checkpoint back first
    tau: float  # checkpoint interval, capacity-seconds of useful compute (inf: none)
    cost: float  # one checkpoint, capacity-seconds
    placed: float  # time of placement (staging began)


@dataclass
class _Ring:
    """A training cluster's all-reduce on its members' ISL terminals, from t0 until the job
    leaves them (see the module docstring)."""

    sats: np.ndarray
    asked: float  # when the cluster was ready to compute; it waited until t0 for its terminals
    t0: float
    load_bps: np.ndarray  # (T,) bit/s the ring takes on each member's terminal at each step
    cuts: dict[int, list[float]]  # member -> starts and ends of the transfers booked beside it


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
    """Schedule jobs over the timelines; deterministic for given inputs and seed."""
    return _Engine(jobs, env, load_policy(policy), protection or Protection(), seed).run()


class _Engine:
    def __init__(self, jobs: Jobs, env: Timelines, policy: Policy, prot: Protection, seed: int):
        self.env, self.policy, self.prot = env, policy, prot
        self.rng = np.random.default_rng([seed, 6])
        n = env.n
        index = {name: k for k, name in enumerate(env.names or default_names(n))}
        rows = [dict(zip(jobs, vals, strict=True)) for vals in zip(*jobs.values(), strict=True)]
        self.jobs = [Job(i, r, index.get(str(r["input_at"]), -1)) for i, r in enumerate(rows)]
        for j in self.jobs:
            if j.precision not in env.peak_flops:
                raise ValueError(f"job {j.id}: no {j.precision} peak in the timelines")
            if j.min_satellites > n:
                raise ValueError(f"job {j.id}: needs {j.min_satellites} satellites, fleet has {n}")
        self.work_rows = env.work_rows
        self.has_isl = env.has_isl
        self.has_isl_list = self.has_isl.tolist()
        # links: ISL terminal of satellite s is link s, its ground downlink n + s and uplink
        # 2 n + s, the relay's downlink 3 n and uplink 3 n + 1
        self.link_free = [-np.inf] * (3 * n + 2)
        self.ring_of: list[_Ring | None] = [None] * n  # the ring on each ISL terminal
        self.transfers: list[tuple] = []
        self.seu = env.seu_rate_s if env.seu_rate_s is not None else np.zeros(n)
        # plain lists for the per-event scalar look-ups (numpy scalars cost more)
        self.t_list = env.t_s.tolist()
        self.peak_list = {p: v.tolist() for p, v in env.peak_flops.items()}
        self.seu_list = self.seu.tolist()
        self.power_list = env.power_w.tolist()
        self.idle = np.ones(n, dtype=bool)
        self.down_until = np.full(n, -np.inf)
        self.sat_job = np.full(n, -1, dtype=np.int64)
        self.heap: list = []
        self.seq = 0
        self.queue: list = []
        self.sched: list[tuple] = []
        self.acc = {k: np.zeros(n) for k in ("staging", "restore_ckpt", "lost", "redundancy",
                                            "comm", "delivered", "down")}
        self.events = 0

    # --- event heap ---------------------------------------------------------------------------

    def push(self, t: float, prio: int, a: int, b: int = 0) -> None:
        if t <= self.env.end_s:
            heapq.heappush(self.heap, (t, prio, self.seq, a, b))
            self.seq += 1

    def run(self) -> OpsResult:
        env = self.env
        for j in self.jobs:
            self.push(j.arrival, ARRIVAL, j.index)
        for f in env.faults:
            sefi = 0 if f["kind"] == "seu" else 1
            self.push(float(f["time_s"]), FAULT, int(f["satellite"]), sefi)
        entries, exits = env.edges
        for t, s in entries:
            self.push(float(t), ECLIPSE_IN, int(s))
        for t, s in exits:
            self.push(float(t), ECLIPSE_OUT, int(s))
        handlers = (self.on_finish, self.on_staged, self.on_downlinked, self.on_up, self.on_fault,
                    self.on_eclipse_in, self.on_eclipse_out, self.on_arrival)
        heap = self.heap
        dirty = False
        while heap:
            t, prio, _, a, b = heapq.heappop(heap)
            self.events += 1
            dirty |= handlers[prio](t, a, b)
            if dirty and (not heap or heap[0][0] > t):
                self.schedule(t)
                dirty = False
        self.close(env.end_s)
        return self.result()

    # --- handlers: each returns True when a scheduling pass may place something ---------------

    def on_arrival(self, t, i, _):
        j = self.jobs[i]
        j.state = "queued"
        heapq.heappush(self.queue, (self.policy.key(j), i))
        return True

    def on_staged(self, t, i, version):
        j = self.jobs[i]
        if version != j.version:
            return False
        j.input_done = True
        j.state = "running"
        self.begin(j, t)
        return False

    def on_finish(self, t, i, version):
        j = self.jobs[i]
        if version != j.version:
            return False
        self.end_segment(j, t, finished=True)
        j.compute_end = t
        self.release(j, t)
        j.state = "downlink"
        done = self.downlink_time(j, t)
        if done <= t:
            self.complete(j, t)
        else:
            j.version += 1
            self.push(done, DOWNLINKED, i, j.version)
        return True

    def on_downlinked(self, t, i, version):
        j = self.jobs[i]
        if version == j.version:
            self.complete(j, t)
        return False

    def on_up(self, t, s, _):
        return bool(self.down_until[s] <= t)

    def on_fault(self, t, s, sefi):
        i = self.sat_job[s]
        if sefi:
            self.down_until[s] = max(self.down_until[s], t + self.prot.sefi_recovery_s)
            self.acc["down"][s] += _cs(self.work_rows[s], self.t_list, t,
                                       min(t + self.prot.sefi_recovery_s, self.env.end_s))
            self.push(t + self.prot.sefi_recovery_s, UP, s)
            if i >= 0:
                j = self.jobs[i]
                if j.state == "running":
                    self.end_segment(j, t, finished=False)
                    j.rollbacks += 1
                self.release(j, t)
                j.version += 1
                j.state = "queued"
                heapq.heappush(self.queue, (self.policy.key(j), i))
            return True
        if i < 0 or self.jobs[i].state != "running" or self.prot.redundancy == 3:
            return False
        j = self.jobs[i]
        if self.prot.redundancy == 1 and self.rng.random() >= self.prot.upset_detection:
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
        if j.state != "running" or j.max_satellites != 1:
            return False
        if not self.policy.migrate_on_eclipse(j, t, self.env):
            return False
        free = np.flatnonzero(self.idle & (self.down_until <= t))
        k = self.env.step_at(t)
        if not (self.env.sunlit[k, free] >= 0.5).any():
            return False
        self.end_segment(j, t, finished=False, checkpoint_now=True)
        self.release(j, t)
        j.version += 1
        j.state = "queued"
        heapq.heappush(self.queue, (self.policy.key(j), i))
        return True

    def on_eclipse_out(self, t, s, _):
        return bool(self.queue) and bool(self.idle[s])

    # --- scheduling ---------------------------------------------------------------------------

    def schedule(self, now: float) -> None:
        if not self.queue:
            return
        free = np.flatnonzero(self.idle & (self.down_until <= now))
        if not len(free):
            return
        cand = np.asarray(self.policy.eligible(free, now, self.env), dtype=np.int64)
        skipped, holding = [], False
        while self.queue and len(cand):
            key, i = heapq.heappop(self.queue)
            j = self.jobs[i]
            pool = self.reachable(j, cand)
            chosen = self.policy.select(j, pool, now, self.env)
            if chosen is None:
                skipped.append((key, i))
                if j.min_satellites > 1 and not holding:
                    held = self.hold(j, pool)
                    cand, holding = cand[~np.isin(cand, held)], len(held) > 0
                continue
            chosen = np.asarray(chosen, dtype=np.int64)
            keep = cand != chosen[0] if len(chosen) == 1 else ~np.isin(cand, chosen)
            if (len(cand) - keep.sum() != len(chosen)
                    or not j.min_satellites <= len(chosen) <= j.max_satellites):
                raise RuntimeError(
                    f"policy {self.policy.name!r} chose satellites {chosen.tolist()} for job "
                    f"{j.id}: need {j.min_satellites}..{j.max_satellites} distinct candidates"
                )
            self.place(j, chosen, now)
            cand = cand[keep]
        for item in skipped:
            heapq.heappush(self.queue, item)

    def hold(self, j: Job, pool: np.ndarray) -> np.ndarray:
        """Free satellites to keep for j, the first job in the queue that waits for several: those
        of pool in the cluster (env.group) with the most of them, among clusters with enough
        satellites that can join (ISLs) to ever hold j. Jobs behind j may not take them, so a
        stream of single-satellite jobs cannot starve it: each freed satellite of that cluster
        is kept until j fits."""
        if not len(pool):
            return pool
        group = self.env.group if self.env.group is not None else np.zeros(self.env.n, np.int64)
        size = np.bincount(group[self.has_isl], minlength=group.max() + 1)
        in_pool = np.bincount(group[pool], minlength=len(size))
        in_pool[size < j.min_satellites] = 0
        g = int(np.argmax(in_pool))
        return pool[group[pool] == g] if in_pool[g] else pool[:0]

    def reachable(self, j: Job, cand: np.ndarray) -> np.ndarray:
        """The candidates j's data can reach: where its input (or last checkpoint) is, or, when
        that satellite has ISLs, any satellite with ISLs; only satellites with ISLs for a job
        on several (its all-reduce)."""
        if j.min_satellites > 1:
            cand = cand[self.has_isl[cand]]
        src = j.home if not j.input_done else -1
        if src < 0 and j.done_flop > 0 and j.last_sats is not None and j.checkpoint_bytes > 0:
            src = int(j.last_sats[0])
        if src < 0:
            return cand
        if not self.has_isl_list[src]:
            return cand[cand == src]
        ok = self.has_isl[cand] | (cand == src)
        return cand if ok.all() else cand[ok]

    def place(self, j: Job, sats: np.ndarray, now: float) -> None:
        j.sats = sats
        self.idle[sats] = False
        self.sat_job[sats] = j.index
        if np.isnan(j.start):
            j.start = now
        j.state = "staging"
        j.seg = None
        j.placed = now
        ready = self.staging_end(j, sats, now)
        j.version += 1
        if ready <= now:
            j.input_done = True
            j.state = "running"
            self.begin(j, now, placed=now)
        else:
            j.seg = _Segment(now, np.empty(0), 0.0, 0.0, 1.0, 0.0, np.inf, 0.0, now)
            self.push(ready, STAGED, j.index, j.version)

    def staging_end(self, j: Job, sats: np.ndarray, now: float) -> float:
        """When the last checkpoint and the input are at sats (store-and-forward)."""
        s0 = int(sats[0])
        ready = now
        if j.last_sats is not None and j.done_flop > 0 and not np.array_equal(j.last_sats, sats):
            ready = max(ready, self.over_isl(j, s0, int(j.last_sats[0]), now,
                                             j.checkpoint_bytes))
            j.bytes_moved += j.checkpoint_bytes
            j.migrations += 1
        if not j.input_done:
            if j.home >= 0 and j.home not in sats:
                ready = max(ready, self.over_isl(j, s0, j.home, now, j.input_bytes))
                j.bytes_moved += j.input_bytes
            elif j.from_ground and self.env.ground_bps is not None:
                if self.has_isl_list[s0]:  # up through the relay, then over ISLs
                    up = self.over_ground(j, -1, now, j.input_bytes, up=True)
                    ready = max(ready, self.over_isl(j, s0, -1, up, j.input_bytes))
                else:
                    ready = max(ready, self.over_ground(j, s0, now, j.input_bytes, up=True))
                j.bytes_moved += j.input_bytes
        return ready

    def downlink_time(self, j: Job, t: float) -> float:
        """When j's results are on the ground: over ISLs to the relay then down, or down
        through its own satellite's contacts."""
        if j.output_bytes <= 0 or self.env.ground_bps is None:
            return t
        s0 = int(j.last_sats[0])
        j.bytes_moved += j.output_bytes
        if self.has_isl_list[s0]:
            across = self.over_isl(j, s0, -1, t, j.output_bytes)
            return self.over_ground(j, -1, across, j.output_bytes)
        return self.over_ground(j, s0, t, j.output_bytes)

    # --- links --------------------------------------------------------------------------------

    def over_isl(self, j: Job, a: int, b: int, t: float, nbytes: float) -> float:
        """nbytes between satellites a and b over ISLs (b = -1: the relay, whose terminal is not
        booked), asked for at t; returns the time they have arrived (inf: never)."""
        if nbytes <= 0 or a == b:
            return t
        if not (self.has_isl_list[a] and (b < 0 or self.has_isl_list[b])):
            return np.inf
        links = (a,) if b < 0 else (a, b)
        start = max(t, *[self.link_free[k] for k in links])
        if start == np.inf:  # a transfer ahead never finishes
            return np.inf
        end = self.isl_end(a, b, start, nbytes * 8.0)
        for k in links:
            self.book(k, j, start, end, nbytes)
        return end

    def isl_end(self, a: int, b: int, t: float, bits: float) -> float:
        """Time at which bits sent from t at the per-step rate of a's ISL (the slower of a's and
        b's when b >= 0) have arrived; inf: not within the run. Integrates the rate a window of
        steps at a time, growing, so a transfer costs the steps it spans, not the run's."""
        t_s, steps = self.env.t_s, len(self.t_list) - 1
        k = self.env.step_at(t)
        width = 4
        while k < steps and t < self.t_list[-1]:
            hi = min(k + width, steps)
            rate = self.free_bps(a, k, hi)
            if b >= 0:
                rate = np.minimum(rate, self.free_bps(b, k, hi))
            edges = t_s[k:hi + 1].copy()
            edges[0] = t
            cum = np.cumsum(rate * np.diff(edges))
            j = int(np.searchsorted(cum, bits))
            if j < len(cum):
                before = float(cum[j - 1]) if j else 0.0
                return float(edges[j]) + (bits - before) / float(rate[j])
            bits -= float(cum[-1])
            k, t, width = hi, self.t_list[hi], width * 4
        return np.inf

    def free_bps(self, s: int, k: int, hi: int) -> np.ndarray:
        """ISL rate of s's terminal at steps k..hi - 1 less its ring's load (bit/s)."""
        rate = self.env.isl_bps[k:hi, s]
        ring = self.ring_of[s]
        return rate if ring is None else np.maximum(rate - ring.load_bps[k:hi], 0.0)

    def over_ground(self, j: Job, s: int, t: float, nbytes: float, up: bool = False) -> float:
        """nbytes down (up: up) through satellite s's contacts (s = -1: the relay segment),
        asked for at t; returns the time they have arrived (inf: never)."""
        n = self.env.n
        link = 3 * n + up if s < 0 else (2 if up else 1) * n + s
        start = max(t, self.link_free[link])
        if nbytes <= 0:
            return t
        if start == np.inf:
            return np.inf
        cum = self.env.relay_cum if s < 0 else self.env.ground_rows[s]
        end = _advance(cum, self.t_list, start, nbytes * 8.0)
        self.book(link, j, start, end, nbytes)
        return end

    def book(self, link: int, j: Job, start: float, end: float, nbytes: float) -> None:
        self.link_free[link] = end
        self.transfers.append((link, j.index, start, end, nbytes, TRANSFER))
        ring = self.ring_of[link] if link < self.env.n else None
        if ring is not None:
            ring.cuts.setdefault(link, []).extend((start, end))

    def book_ring(self, sats: np.ndarray, t: float, cap: np.ndarray, step_c: float,
                  bit_s: float) -> _Ring | None:
        """Book a cluster's ring on its members' terminals from when they are all free (>= t):
        per step, capacity x bit_s / (step_c + bit_s / slowest rate) bit/s; None: no ring."""
        if step_c <= 0 or bit_s <= 0:
            return None
        members = sats.tolist()
        r = self.env.isl_bps[:, sats].min(axis=1).astype(float)
        load = cap * (bit_s * r / (step_c * r + bit_s))
        ring = _Ring(sats, t, max(t, *[self.link_free[s] for s in members]), load, {})
        for s in members:
            self.link_free[s] = ring.t0
            self.ring_of[s] = ring
        return ring

    def close_ring(self, j: Job, t: float) -> None:
        """End j's ring at t: its waiting accounted, its bytes recorded per member."""
        ring, j.ring = j.ring, None
        env = self.env
        if t > ring.t0:
            k0, k1 = env.step_at(ring.t0), env.step_at(t) + 1
            edges = env.t_s[k0:k1 + 1]
            cum = np.r_[0.0, np.cumsum(ring.load_bps[k0:k1] * np.diff(edges))]
        for s in ring.sats.tolist():
            self.acc["staging"][s] += _cs(self.work_rows[s], self.t_list, ring.asked,
                                          min(t, ring.t0))
            self.ring_of[s] = None
            if t <= ring.t0:
                continue
            at = [ring.t0, *sorted({c for c in ring.cuts.get(s, ()) if ring.t0 < c < t}), t]
            bits = np.diff(np.interp(at, edges, cum))
            for a, b, nbits in zip(at[:-1], at[1:], bits.tolist(), strict=True):
                self.transfers.append((s, j.index, a, b, nbits / 8.0, ALLREDUCE))

    # --- compute segments ---------------------------------------------------------------------

    def begin(self, j: Job, t: float, placed: float | None = None) -> None:
        """Start (or restart after a rollback) computing j on j.sats from its last checkpoint."""
        env, sats, prot = self.env, j.sats, self.prot
        if placed is None:
            placed = j.seg.placed if j.seg is not None else t
            if j.seg is not None and j.seg.cum.size == 0:  # staging just ended
                for s in sats:
                    self.acc["staging"][s] += _cs(self.work_rows[s], self.t_list, placed, t)
                placed = t
        k = len(sats)
        if k == 1:
            s0 = int(sats[0])
            peak, seu = self.peak_list[j.precision][s0], self.seu_list[s0]
            cum = self.work_rows[s0]
            eta = 1.0
        else:
            peak = float(env.peak_flops[j.precision][sats].min())
            seu = float(self.seu[sats].sum())
            cap = env.capacity[:, sats].min(axis=1).astype(float)
            cum = running_total(cap, env.dt)
            params = j.checkpoint_bytes / CHECKPOINT_BYTES_PER_PARAM
            step_c = 6.0 * params * prot.tokens_per_step / (k * peak)
            bit_s = ring_allreduce_s(GRADIENT_BYTES_PER_PARAM * params, k, 1.0)
            if j.ring is None:  # kept across rollbacks on the same satellites
                j.ring = self.book_ring(sats, t, cap, step_c, bit_s)
            if j.ring is not None:
                t = max(t, j.ring.t0)
            eta = self.allreduce_eta(step_c, bit_s, sats, t)
        rate = k * peak * eta / prot.redundancy
        cost = j.checkpoint_bytes * 8.0 / prot.checkpoint_write_bps
        mtbf = 1.0 / max(seu, 1e-300)
        if j.checkpoint_bytes <= 0 or prot.redundancy == 3:
            tau = np.inf
        elif prot.checkpoint_interval_s is not None:
            tau = prot.checkpoint_interval_s
        else:
            tau = young_daly_s(cost, mtbf) if np.isfinite(mtbf) else np.inf
        restore = cost if j.done_flop > 0 else 0.0
        c0 = _at(cum, self.t_list, t)
        j.seg = _Segment(t, cum, c0, rate, eta, restore, tau, cost if np.isfinite(tau) else 0.0,
                         placed)
        over = 1.0 + (j.seg.cost / tau if np.isfinite(tau) and tau > 0 else 0.0)
        need = restore + (j.work - j.done_flop) / rate * over if rate > 0 else np.inf
        j.version += 1
        self.push(_reach(cum, self.t_list, c0 + need), FINISH, j.index, j.version)

    def allreduce_eta(self, step_c: float, bit_s: float, sats: np.ndarray, t: float) -> float:
        """Share of a data-parallel step spent computing, c / (c + a(t)), a(t) = bit_s / rate(t)
        the ring all-reduce at the slowest member's ISL rate of each step (bit_s: the bits a
        member sends per step), averaged over the steps from t to the end of the run (weighted
        by their length)."""
        if step_c <= 0 or bit_s <= 0:
            return 1.0
        k = self.env.step_at(t)
        c_rate = step_c * self.env.isl_bps[k:, sats].min(axis=1).astype(float)
        return float(np.average(c_rate / (c_rate + bit_s), weights=self.env.dt[k:]))

    def end_segment(self, j: Job, t: float, finished: bool, checkpoint_now: bool = False) -> None:
        """Close j's segment at t: progress kept, work lost, accounts per satellite."""
        seg, env, r = j.seg, self.env, self.prot.redundancy
        if seg is None or seg.cum.size == 0:
            return
        e = max(_at(seg.cum, self.t_list, t) - seg.c0, 0.0)
        restore = min(e, seg.restore)
        over = 1.0 + (seg.cost / seg.tau if np.isfinite(seg.tau) and seg.tau > 0 else 0.0)
        useful = (e - restore) / over
        if finished:
            useful = min(useful, (j.work - j.done_flop) / seg.rate)
            saved = useful
        elif checkpoint_now:
            saved = useful
        else:
            saved = np.floor(useful / seg.tau) * seg.tau if np.isfinite(seg.tau) else 0.0
        lost = useful - saved
        j.done_flop = j.work if finished else j.done_flop + saved * seg.rate
        j.lost_flop += lost * seg.rate
        j.energy += (self.power_list[int(j.sats[0])] if len(j.sats) == 1
                     else float(env.power_w[j.sats].sum())) * e
        ckpt = e - useful  # reading back, writing checkpoints
        for s in j.sats:
            a = self.acc
            a["restore_ckpt"][s] += ckpt
            a["lost"][s] += lost
            a["redundancy"][s] += saved * (r - 1) / r
            a["comm"][s] += saved / r * (1 - seg.eta)
            a["delivered"][s] += saved / r * seg.eta
        j.seg = None

    def release(self, j: Job, t: float) -> None:
        if j.sats is None:
            return
        if j.ring is not None:
            self.close_ring(j, t)
        if j.seg is not None and j.seg.cum.size == 0:  # interrupted while staging
            for s in j.sats:
                self.acc["staging"][s] += _cs(self.work_rows[s], self.t_list, j.seg.placed, t)
            j.seg = None
        for s in j.sats:
            self.sched.append((j.index, int(s), j.placed, t))
        self.idle[j.sats] = True
        self.sat_job[j.sats] = -1
        j.last_sats = j.sats
        j.sats = None

    def complete(self, j: Job, t: float) -> None:
        j.end = t
        j.state = "corrupted" if j.corrupted else "done"
        j.version += 1

    def close(self, t: float) -> None:
        """End of the run: account the work in progress."""
        for j in self.jobs:
            if j.sats is not None:
                if j.state == "running":
                    self.end_segment(j, t, finished=False, checkpoint_now=True)
                self.release(j, t)
                j.sats = j.last_sats

    # --- results ------------------------------------------------------------------------------

    def result(self) -> OpsResult:
        from orbitgrid.ops.report import summarise

        env, jobs = self.env, self.jobs
        names = np.asarray(env.names or default_names(env.n), dtype=object)
        sats = [",".join(names[j.last_sats if j.sats is None else j.sats].tolist())
                if (j.last_sats is not None or j.sats is not None) else "" for j in jobs]
        table = {
            "job": np.array([j.id for j in jobs], dtype=object),
            "kind": np.array([j.kind for j in jobs], dtype=object),
            "arrival": np.array([j.arrival for j in jobs]),
            "start": np.array([j.start for j in jobs]),
            "end": np.array([j.end for j in jobs]),
            "satellites": np.array(sats, dtype=object),
            "state": np.array([j.state if j.state in ("done", "corrupted") else
                               ("unfinished" if j.state != "pending" else "pending")
                               for j in jobs], dtype=object),
            "energy_j": np.array([j.energy for j in jobs]),
            "bytes_moved": np.array([j.bytes_moved for j in jobs]),
            "rollbacks": np.array([j.rollbacks for j in jobs], dtype=np.int64),
            "migrations": np.array([j.migrations for j in jobs], dtype=np.int64),
            "deadline_met": np.array([j.state == "done" and j.end <= j.deadline for j in jobs]),
            "work_flop": np.array([j.work for j in jobs]),
            "lost_flop": np.array([j.lost_flop for j in jobs]),
            "deadline": np.array([j.deadline for j in jobs]),
        }
        rows = sorted(self.sched, key=lambda r: (r[0], r[2], r[1]))
        schedule = {
            "job": np.array([jobs[r[0]].id for r in rows], dtype=object),
            "satellite": np.array([names[r[1]] for r in rows], dtype=object),
            "start": np.array([r[2] for r in rows]),
            "end": np.array([r[3] for r in rows]),
        }
        summary = summarise(table, schedule, env, self.acc, self.policy.name, self.events)
        return OpsResult(table, schedule, summary, self.events, self.acc, self.transfer_table())

    def transfer_table(self) -> dict[str, np.ndarray]:
        """One row per transfer and link held, and per piece of a ring on a terminal: link name,
        job id, start, end (s), bytes, kind (transfer, allreduce)."""
        names = list(self.env.names or default_names(self.env.n))
        links = ([f"isl:{x}" for x in names] + [f"down:{x}" for x in names]
                 + [f"up:{x}" for x in names] + ["down:relay", "up:relay"])
        rows = sorted(self.transfers, key=lambda r: (r[0], r[2], r[1]))
        return {
            "link": np.array([links[r[0]] for r in rows], dtype=object),
            "job": np.array([self.jobs[r[1]].id for r in rows], dtype=object),
            "start": np.array([r[2] for r in rows], dtype=float),
            "end": np.array([r[3] for r in rows], dtype=float),
            "bytes": np.array([r[4] for r in rows], dtype=float),
            "kind": np.array([r[5] for r in rows], dtype=object),
        }


def default_names(n: int) -> list[str]:
    """Satellite names when the timelines carry none: sat0, sat1, ..."""
    return [f"sat{k}" for k in range(n)]


def _at(cum: np.ndarray, t_s: list, t: float) -> float:
    """Running total at time t (linear within a step); t_s the step edges as a list."""
    k = bisect.bisect_right(t_s, t) - 1
    if k >= len(t_s) - 1:
        return float(cum[-1])
    k = max(k, 0)
    c0, c1 = float(cum[k]), float(cum[k + 1])
    return c0 + (c1 - c0) * (t - t_s[k]) / (t_s[k + 1] - t_s[k])


def _reach(cum: np.ndarray, t_s: list, target: float) -> float:
    """Earliest time the running total reaches target; inf if not within the run."""
    k = int(np.searchsorted(cum, target, side="left"))
    if k == 0:
        return float(t_s[0])
    if k >= len(cum):
        return np.inf
    c0, c1 = float(cum[k - 1]), float(cum[k])
    return t_s[k - 1] + (target - c0) / (c1 - c0) * (t_s[k] - t_s[k - 1])


def _advance(cum: np.ndarray, t_s: list, t: float, amount: float) -> float:
    return _reach(cum, t_s, _at(cum, t_s, t) + amount)


def _cs(cum: np.ndarray, t_s: list, t0: float, t1: float) -> float:
    return max(_at(cum, t_s, t1) - _at(cum, t_s, t0), 0.0)
