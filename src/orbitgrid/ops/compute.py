"""Compute on satellites: how fast a job runs where it is placed, its checkpoints, and what a
stretch of compute leaves behind when it ends (work kept, work lost, energy).

A job on k satellites of one cluster, precision p, redundancy r:
  useful rate     = k x peak_p(min member) x capacity(t) x eta / r, with eta = 1 for one
                    satellite and, for data-parallel training, eta = c / (c + a): c the compute
                    time of one step (6 N B FLOP over k satellites), a its ring all-reduce of
                    2 N gradient bytes at the slowest member's ISL rate of each step, eta
                    averaged over the steps from the segment's start to the end of the timelines;
  checkpoints     every tau of compute (Young/Daly sqrt(2 C M) unless set), each costing
                    C = checkpoint_bytes / write rate; a restart first reads one back (C).
Progress needs no event per step: the time a segment's work is done is found by inverting the
running total of its satellites' allowed compute (capacity-seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.ops.job_state import Job
from orbitgrid.ops.jobs import CHECKPOINT_BYTES_PER_PARAM, GRADIENT_BYTES_PER_PARAM
from orbitgrid.ops.timelines import (
    Timelines,
    ring_allreduce_s,
    running_total,
    time_to_reach,
    total_at,
    young_daly_s,
)


@dataclass(frozen=True)
class Protection:
    """Fault protection and training knobs (SI). checkpoint_interval_s None: Young/Daly."""

    redundancy: int = 1
    checkpoint_interval_s: float | None = None
    checkpoint_write_bps: float = 8e9
    sefi_recovery_s: float = 300.0
    upset_detection: float = 1.0
    tokens_per_step: float = 4_194_304.0


@dataclass(slots=True)
class Cluster:
    """What a job's satellites offer it: the slowest member's peak (op/s), their summed upset
    rate (1/s), the running total of their common capacity (T + 1,) (capacity-seconds) and, for
    data-parallel training on several, a step's compute time (s) and the bits a member sends
    per step (0: no ring)."""

    sats: np.ndarray
    peak: float
    seu: float
    cum: np.ndarray
    step_c: float = 0.0
    bit_s: float = 0.0


@dataclass(slots=True)
class Segment:
    """A stretch of compute of one job on fixed satellites, started from a checkpoint."""

    t0: float
    # running total (T + 1,) of the cluster's capacity, capacity-seconds; None on one satellite:
    # its row of the timelines' work_rows (Compute.cum), which a new window replaces
    cum: np.ndarray | None
    c0: float
    rate: float  # useful FLOP per capacity-second
    eta: float  # share of a step spent computing (data-parallel), 1 otherwise
    restore: float  # capacity-seconds spent reading a checkpoint back first
    tau: float  # checkpoint interval, capacity-seconds of useful compute (inf: none)
    cost: float  # one checkpoint, capacity-seconds
    placed: float  # time of placement (staging began)
    target: float = np.inf  # running total at which the work is done
    sat: int = -1  # the one satellite whose work_rows row is cum (-1: a cluster's own cum)
    staging: bool = False  # a placeholder while the job's data moves (no compute yet)


@dataclass(slots=True)
class Progress:
    """What a closed segment did, capacity-seconds on each of its satellites."""

    checkpoint: float  # reading back and writing checkpoints
    lost: float  # rolled back
    saved: float  # kept (replicas included)
    eta: float


def staging_segment(t: float) -> Segment:
    """The placeholder segment of a job placed at t whose data is still moving."""
    return Segment(t, None, 0.0, 0.0, 1.0, 0.0, np.inf, 0.0, t, staging=True)


class Compute:
    """The compute model over a run's timelines (see the module docstring)."""

    def __init__(self, env: Timelines, prot: Protection):
        self.prot = prot
        self.use(env)

    def use(self, env: Timelines) -> None:
        """Read env (the same steps as before, maybe more of them)."""
        old = getattr(self, "env", None)
        self.env = env
        # plain lists for the per-event scalar look-ups (numpy scalars cost more); the
        # per-satellite ones again only when they change (an engine extended step by step)
        self.t_list = env.t_s.tolist()
        self.work_rows = env.work_rows
        if (old is not None and old.peak_flops is env.peak_flops
                and old.seu_rate_s is env.seu_rate_s and old.power_w is env.power_w):
            return
        self.seu = env.seu_rate_s if env.seu_rate_s is not None else np.zeros(env.n)
        self.peak_list = {p: v.tolist() for p, v in env.peak_flops.items()}
        self.seu_list = self.seu.tolist()
        self.power_list = env.power_w.tolist()

    def cluster(self, j: Job, sats: np.ndarray) -> Cluster:
        env, prot, k = self.env, self.prot, len(sats)
        if k == 1:
            s0 = int(sats[0])
            return Cluster(sats, self.peak_list[j.precision][s0], self.seu_list[s0],
                           self.work_rows[s0])
        peak = float(env.peak_flops[j.precision][sats].min())
        cap = env.capacity[:, sats].min(axis=1).astype(float)
        params = j.checkpoint_bytes / CHECKPOINT_BYTES_PER_PARAM
        return Cluster(sats, peak, float(self.seu[sats].sum()), running_total(cap, env.dt),
                       6.0 * params * prot.tokens_per_step / (k * peak),
                       ring_allreduce_s(GRADIENT_BYTES_PER_PARAM * params, k, 1.0))

    def segment(self, j: Job, cl: Cluster, t: float, placed: float) -> Segment:
        """j computing on cl from t (from its last checkpoint), placed at `placed`."""
        prot = self.prot
        eta = self.allreduce_eta(cl.step_c, cl.bit_s, cl.sats, t) if len(cl.sats) > 1 else 1.0
        rate = len(cl.sats) * cl.peak * eta / prot.redundancy
        cost = j.checkpoint_bytes * 8.0 / prot.checkpoint_write_bps
        mtbf = 1.0 / max(cl.seu, 1e-300)
        if j.checkpoint_bytes <= 0 or prot.redundancy == 3:
            tau = np.inf
        elif prot.checkpoint_interval_s is not None:
            tau = prot.checkpoint_interval_s
        else:
            tau = young_daly_s(cost, mtbf) if math.isfinite(mtbf) else np.inf
        restore = cost if j.done_flop > 0 else 0.0
        c0 = total_at(cl.cum, self.t_list, t)
        one = len(cl.sats) == 1
        seg = Segment(t, None if one else cl.cum, c0, rate, eta, restore, tau,
                      cost if math.isfinite(tau) else 0.0, placed,
                      sat=int(cl.sats[0]) if one else -1)
        over = 1.0 + (seg.cost / tau if math.isfinite(tau) and tau > 0 else 0.0)
        need = restore + (j.work - j.done_flop) / rate * over if rate > 0 else np.inf
        seg.target = c0 + need
        return seg

    def continued(self, cum: np.ndarray, sats: np.ndarray, before: int) -> np.ndarray:
        """cum, the running total of sats' common capacity over the first `before` steps,
        continued over the steps after them."""
        cap = self.env.capacity[before:, sats].min(axis=1).astype(float)
        return np.concatenate([cum, running_total(cap, self.env.dt[before:], cum[-1])[1:]])

    def cum(self, seg: Segment) -> np.ndarray:
        """seg's running total (T + 1,) of capacity-seconds over the timelines' steps."""
        return seg.cum if seg.sat < 0 else self.work_rows[seg.sat]

    def finish_s(self, seg: Segment) -> float:
        """When seg's work is done (inf: not within the timelines)."""
        return time_to_reach(self.cum(seg), self.t_list, seg.target)

    def allreduce_eta(self, step_c: float, bit_s: float, sats: np.ndarray, t: float) -> float:
        """Share of a data-parallel step spent computing, c / (c + a(t)), a(t) = bit_s / rate(t)
        the ring all-reduce at the slowest member's ISL rate of each step (bit_s: the bits a
        member sends per step), averaged over the steps from t to the end of the timelines
        (weighted by their length)."""
        if step_c <= 0 or bit_s <= 0:
            return 1.0
        k = self.env.step_at(t)
        c_rate = step_c * self.env.isl_bps[k:, sats].min(axis=1).astype(float)
        return float(np.average(c_rate / (c_rate + bit_s), weights=self.env.dt[k:]))

    def saved_flop(self, j: Job, t: float) -> float:
        """j's work kept by its last checkpoint at t, FLOP: what a crash at t would leave it
        (close's rule without closing the segment)."""
        seg = j.seg
        if seg is None or seg.staging or not np.isfinite(seg.tau):
            return j.done_flop
        e = max(total_at(self.cum(seg), self.t_list, t) - seg.c0, 0.0)
        over = 1.0 + (seg.cost / seg.tau if seg.tau > 0 else 0.0)
        useful = (e - min(e, seg.restore)) / over
        saved = np.floor(useful / seg.tau) * seg.tau if seg.tau > 0 else useful
        return min(j.done_flop + saved * seg.rate, j.work)

    def close(self, j: Job, t: float, finished: bool, checkpoint_now: bool = False) -> Progress:
        """Close j's segment at t: progress kept (finished: all of it; checkpoint_now: all of it,
        written now; else up to the last checkpoint), work lost, energy."""
        seg = j.seg
        e = max(total_at(self.cum(seg), self.t_list, t) - seg.c0, 0.0)
        restore = min(e, seg.restore)
        over = 1.0 + (seg.cost / seg.tau if math.isfinite(seg.tau) and seg.tau > 0 else 0.0)
        useful = (e - restore) / over
        if finished:
            useful = min(useful, (j.work - j.done_flop) / seg.rate)
            saved = useful
        elif checkpoint_now:
            saved = useful
        else:
            saved = np.floor(useful / seg.tau) * seg.tau if math.isfinite(seg.tau) else 0.0
        lost = useful - saved
        j.done_flop = j.work if finished else j.done_flop + saved * seg.rate
        j.lost_flop += lost * seg.rate
        j.energy += (self.power_list[int(j.sats[0])] if len(j.sats) == 1
                     else float(self.env.power_w[j.sats].sum())) * e
        j.seg = None
        return Progress(e - useful, lost, saved, seg.eta)
