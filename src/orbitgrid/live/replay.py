"""The engine driven online, until the engine's own online API lands: replay over a window.

orbitgrid.ops.engine.run_ops is a pure, causal function of (jobs, timelines): what it decides
at time t depends only on the arrivals up to t and the environment. So the live twin can drive
the one engine online without a second scheduler: after every change (a job submitted or
cancelled, a chunk of environment appended) it runs run_ops again over the chunks it keeps and
the jobs in them, and reads each job's state at the clock's time from the result tables
(schedule segments, transfers, start and end). Between changes, advancing is a look-up.

The window: chunks are kept from the last quiescent boundary, a chunk edge b behind the clock
before which every job in the engine has either finished or not arrived; chunks and finished
jobs behind b are dropped (forget_before), so a replay costs the jobs and steps still in play.
A running job that is cancelled is replayed with the work it had done by then, so its
satellites free up at the cancel; a queued one is removed.

Limits of the stand-in (gone with the engine's online API): a job that never fits keeps the
window from moving on; after a restart, the jobs still unfinished are replayed from the start
of their window with the environment recomputed from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.ops.engine import Protection, run_ops
from orbitgrid.ops.jobs import make_jobs
from orbitgrid.ops.policies import Policy
from orbitgrid.ops.timelines import FAULT_DTYPE, Timelines

from orbitgrid.live.store import FINAL, Change

SPEC_COLUMNS = ("kind", "work_flop", "precision", "memory_bytes", "input_bytes", "output_bytes",
                "priority", "checkpoint_bytes", "min_satellites", "max_satellites")


@dataclass
class _Plan:
    """One job in the last replay: its placements [(placed, released, satellites)], the
    transfers it held [(start, end)], first start, end (NaN: not yet), final table state."""

    start: float
    end: float
    state: str
    satellites: str
    segments: list[tuple[float, float, tuple[int, ...]]]
    transfers: list[tuple[float, float]]
    row: dict


class ReplayEngine:
    """OnlineEngine over run_ops (see the module docstring).

    extend(timelines): append the next chunk of environment (contiguous).
    submit(job_id, spec, arrival_s): a job (jobs_file columns; deadline a duration in s).
    cancel(job_id, t): the job is cancelled at twin time t.
    advance_to(t) -> [Change]: the jobs whose state changed since the last call.
    forget_before(t): drop the chunks and finished jobs no longer in play.
    """

    def __init__(self, policy: Policy, protection: Protection, seed: int):
        self.policy, self.protection, self.seed = policy, protection, seed
        self.chunks: list[Timelines] = []
        self.specs: dict[str, dict] = {}  # job id -> spec with arrival_s
        self.state: dict[str, str] = {}  # last state reported
        self.final_end: dict[str, float] = {}  # finished jobs: their end
        self.cancel_at: dict[str, float] = {}
        self.plans: dict[str, _Plan] = {}
        self.dirty = False
        self.env: Timelines | None = None
        self.replays = 0

    # --- input ---------------------------------------------------------------------------------

    def extend(self, timelines: Timelines) -> None:
        self.chunks.append(timelines)
        self.env = None
        self.dirty = True

    def submit(self, job_id: str, spec: dict, arrival_s: float, state: str = "queued") -> None:
        self.specs[job_id] = {**spec, "arrival_s": arrival_s}
        self.state[job_id] = state
        self.dirty = True

    def cancel(self, job_id: str, t: float) -> Change | None:
        """Cancel at t; the change to record, None when unknown or already finished."""
        if job_id not in self.specs or self.state.get(job_id) in FINAL:
            return None
        if self.state[job_id] == "queued":
            del self.specs[job_id]
            self.state.pop(job_id)
        else:
            self.cancel_at[job_id] = t
            self.state[job_id] = "cancelled"
            self.final_end[job_id] = t
        self.dirty = True
        return Change(job_id, "cancelled", t, end_s=t)

    @property
    def horizon_s(self) -> float:
        return self.chunks[-1].end_s if self.chunks else -math.inf

    @property
    def window_s(self) -> float:
        return float(self.chunks[0].t_s[0]) if self.chunks else math.inf

    # --- replay ---------------------------------------------------------------------------------

    def _timelines(self) -> Timelines:
        if self.env is None:
            self.env = join(self.chunks)
        return self.env

    def _replay(self) -> None:
        env = self._timelines()
        ids = list(self.specs)
        rows = [self._row(i) for i in ids]  # before the plans go: cancels read them
        self.plans = {}
        self.dirty = False
        if not ids:
            return
        cols = {k: np.array([r[k] for r in rows]) for k in rows[0]}
        result = run_ops(make_jobs(**cols), env, self.policy, self.protection, self.seed)
        self.replays += 1
        table, names = result.jobs, env.names
        index = {name: k for k, name in enumerate(names)}
        segments: dict[str, list] = {}
        for job, sat, a, b in zip(result.schedule["job"].tolist(),
                                  result.schedule["satellite"].tolist(),
                                  result.schedule["start"].tolist(),
                                  result.schedule["end"].tolist(), strict=True):
            segs = segments.setdefault(job, [])
            if segs and segs[-1][0] == a and segs[-1][1] == b:
                segs[-1] = (a, b, (*segs[-1][2], index[sat]))
            else:
                segs.append((a, b, (index[sat],)))
        transfers: dict[str, list] = {}
        t = result.transfers
        for job, a, b, kind in zip(t["job"].tolist(), t["start"].tolist(), t["end"].tolist(),
                                   t["kind"].tolist(), strict=True):
            if kind == "transfer":
                transfers.setdefault(job, []).append((a, b))
        figures = ("energy_j", "bytes_moved", "rollbacks", "migrations", "deadline_met",
                   "lost_flop")
        for k, job in enumerate(table["job"].tolist()):
            row = {f: _plain(table[f][k]) for f in figures}
            self.plans[job] = _Plan(float(table["start"][k]), float(table["end"][k]),
                                    str(table["state"][k]), str(table["satellites"][k]),
                                    segments.get(job, []), transfers.get(job, []), row)

    def _row(self, job_id: str) -> dict:
        s = self.specs[job_id]
        row = {k: s[k] for k in SPEC_COLUMNS}
        row["id"], row["arrival"] = job_id, s["arrival_s"]
        row["deadline"] = s["arrival_s"] + s["deadline"] if s.get("deadline") else np.inf
        cut = self.cancel_at.get(job_id)
        plan = self.plans.get(job_id)
        if cut is not None and plan is not None:
            # replayed with the work it had done by the cancel, so its satellites free then
            row["work_flop"] = max(min(self._work_by(plan, s["precision"], cut),
                                       s["work_flop"]), 1.0)
            row["output_bytes"] = 0.0
        return row

    def _work_by(self, plan: _Plan, precision: str, t: float) -> float:
        """FLOP done by t over the job's placements: peak x capacity-seconds of the slowest
        member (checkpoints, staging and all-reduce not taken off: an upper bound)."""
        env = self._timelines()
        done = 0.0
        for a, b, sats in plan.segments:
            if a >= t:
                break
            first = sats[0]
            cs = (np.interp(min(b, t), env.t_s, env.work_rows[first])
                  - np.interp(a, env.t_s, env.work_rows[first]))
            done += len(sats) * float(env.peak_flops[precision][list(sats)].min()) * cs
        return done

    def state_at(self, job_id: str, t: float) -> str:
        """The job's state at t in the last replay."""
        plan = self.plans.get(job_id)
        if plan is None or not math.isfinite(plan.start) or t < plan.start:
            return "queued"
        if plan.state in ("done", "corrupted") and t >= plan.end:
            return "done" if plan.state == "done" else "failed"
        if any(a <= t < b for a, b in plan.transfers):
            return "staging"
        if any(a <= t < b for a, b, _ in plan.segments):
            return "running"
        if plan.segments and t >= plan.segments[-1][1] and plan.state in ("done", "corrupted"):
            return "staging"  # results on their way down
        return "paused"  # placed before, waiting again (rolled back or migrating)

    def advance_to(self, t: float) -> list[Change]:
        """Changes of state up to twin time t (<= horizon_s)."""
        if self.dirty:
            self._replay()
        changes = []
        for job_id in list(self.specs):
            old = self.state[job_id]
            if old in FINAL:
                continue
            new = self.state_at(job_id, t)
            if new == old:
                continue
            plan = self.plans[job_id]
            self.state[job_id] = new
            at = t
            if new in ("done", "failed"):
                at = plan.end
                self.final_end[job_id] = plan.end
            elif new in ("running", "staging") and old == "queued":
                at = plan.start
            result = {**plan.row, "start_s": plan.start, "end_s": plan.end} \
                if new in ("done", "failed") else None
            changes.append(Change(job_id, new, at, start_s=_finite(plan.start),
                                  end_s=_finite(plan.end) if new in FINAL else None,
                                  satellites=plan.satellites or None, result=result))
        return changes

    def running_on(self, t: float) -> dict[int, list[str]]:
        """Satellite index -> jobs placed on it at t."""
        out: dict[int, list[str]] = {}
        for job_id, plan in self.plans.items():
            if self.state.get(job_id) in FINAL:
                continue
            for a, b, sats in plan.segments:
                if a <= t < b:
                    for s in sats:
                        out.setdefault(s, []).append(job_id)
        return out

    def _quiet(self, b: float) -> bool:
        """Every job has finished by b or arrives from b on."""
        for job_id, spec in self.specs.items():
            end = self.final_end.get(job_id)
            if spec["arrival_s"] < b and (end is None or end > b):
                return False
        return True

    def forget_before(self, t: float) -> None:
        """Drop the chunks wholly behind the last quiescent chunk edge <= t, and the jobs that
        finished before it."""
        if len(self.chunks) < 2:
            return
        edges = [float(c.t_s[0]) for c in self.chunks[1:] if float(c.t_s[0]) <= t]
        if not edges:
            return
        for b in reversed(edges):
            if self._quiet(b):
                break
        else:
            return
        keep = [c for c in self.chunks if c.end_s > b]
        if len(keep) == len(self.chunks):
            return
        self.chunks = keep
        for i in [i for i, e in self.final_end.items() if e <= b]:
            self.specs.pop(i, None)
            self.state.pop(i, None)
            self.final_end.pop(i)
            self.cancel_at.pop(i, None)
            self.plans.pop(i, None)
        self.env = None
        self.dirty = True


def join(chunks: list[Timelines]) -> Timelines:
    """Consecutive chunks as one Timelines."""
    first = chunks[0]
    if len(chunks) == 1:
        return first

    def cat(name):
        parts = [getattr(c, name) for c in chunks]
        return None if parts[0] is None else np.concatenate(parts)

    t_s = np.concatenate([c.t_s[:-1] for c in chunks] + [chunks[-1].t_s[-1:]])
    faults = np.concatenate([c.faults for c in chunks]) if chunks else np.empty(0, FAULT_DTYPE)
    span = t_s[-1] - t_s[0]
    seu = sum(c.seu_rate_s * (c.end_s - float(c.t_s[0])) for c in chunks) / span
    return Timelines(t_s=t_s, capacity=cat("capacity"), sunlit=cat("sunlit"),
                     peak_flops=first.peak_flops, power_w=first.power_w, battery=cat("battery"),
                     ground_bps=cat("ground_bps"), isl_bps=cat("isl_bps"), group=first.group,
                     faults=faults, seu_rate_s=seu, names=first.names,
                     power_capacity=cat("power_capacity"), group_names=first.group_names)


def _plain(x):
    return x.item() if hasattr(x, "item") else x


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
