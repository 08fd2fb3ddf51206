"""The live twin: the clock, the environment ahead of it, the engine driven to it, the store.

Two threads. The environment thread keeps the environment computed LOOKAHEAD_WALL_S ahead of
the clock (Environment.next_chunk) and adds each chunk to the engine's closed loop. The tick
thread, every tick_s of wall time, hands the engine the jobs accepted since the last tick
(ADMIT_PER_TICK at most: a burst waits a few ticks rather than hold the clock), advances it to
the clock's time (never past the environment computed), stepping the batteries and radiators
with the load it runs (LiveEngine), and commits the engine's state changes and the satellite
events the clock has passed in one transaction, then wakes the event streams.
The API never waits for the engine: a submission is committed, queued for the next tick and
answered.

Resuming: with the same state folder the clock starts from the twin time reached before (not
from wall time) unless a start is given, and the environment is computed from there. The jobs
still unfinished are handed to the engine again, arriving then, with the work their last
checkpoint kept (the tick records each job's checkpointed work every CHECKPOINT_POLL_S of wall
time): a running job continues from its last checkpoint, as after an interrupt, not from zero;
its deadline still runs from its submission.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from orbitgrid.live.clock import Clock
from orbitgrid.live.engine import SPEC_COLUMNS, LiveEngine
from orbitgrid.live.environment import Environment
from orbitgrid.live.store import Change, JobRecord, SatelliteEvent, Store
from orbitgrid.ops.jobs import KINDS, Workload, generate
from orbitgrid.ops.stage import protection_of
from orbitgrid.physics.stage import J_PER_WH
from orbitgrid.scenario import Scenario

# wall seconds of environment kept computed ahead of the clock: more than a new chunk of the
# stream's knots (~3 h of twin time for the Starlink catalogue) takes on a loaded machine, so
# the clock never waits for one
LOOKAHEAD_WALL_S = 30.0
CHUNK_WALL_S = 5.0  # wall seconds of clock per chunk of environment
CHECKPOINT_POLL_S = 0.5  # wall seconds between records of the jobs' checkpointed work
# accepted jobs handed to the engine per tick, at most: a burst of submissions waits a few ticks
# (queued, committed) rather than hold one tick, and the clock, for seconds (the engine works
# a job in for ~0.3-0.6 ms of CPU: benchmarks/bench_live.py)
ADMIT_PER_TICK = 50


class Twin:
    """The running twin (see the module docstring). start: twin start time (UTC) or None to
    resume from the store (or start now when the store is new)."""

    def __init__(self, scenario: Scenario, store: Store, speed: float = 1.0,
                 start: datetime | None = None, tick_s: float = 0.05,
                 generated_tenant: str = "scenario"):
        self.scenario, self.store, self.speed, self.tick_s = scenario, store, speed, tick_s
        self.epoch = scenario.epoch
        reached = store.meta("reached_s")
        if start is not None:
            resume_s = (start - self.epoch).total_seconds()
        elif reached is not None:
            resume_s = float(reached)
        else:
            resume_s = (datetime.now(UTC) - self.epoch).total_seconds()
        self.resume_s = resume_s
        self.seen_s = float(reached) if reached is not None else -math.inf
        window = resume_s
        self.env = Environment(scenario, window, chunk_s=speed * CHUNK_WALL_S)
        workload = scenario.workload or Workload()
        self.engine = LiveEngine(self.env.track, self.env.ops.policies[0],
                                 protection_of(workload), scenario.seed)
        for j in store.unfinished():
            self.engine.submit(j.id, j.spec, max(j.submitted_s, resume_s), j.submitted_s,
                               j.checkpoint_flop)
        self.checkpoint_wall = time.monotonic()
        self.names = self.env.names
        self.n = len(self.names)
        self.precisions = {p for p, v in self.env.peak.items() if v.any()}
        self.lock = threading.Lock()  # the engine and the pending satellite events
        self.inbox: deque[JobRecord] = deque()
        self.pending: list[tuple[float, int, str]] = []  # satellite events ahead of the clock
        self.clock = Clock(resume_s, speed)
        self.generators = [(k, g) for k, g in enumerate(workload.generators)
                           if g.arrivals != "imaging"]
        self.generated_tenant = generated_tenant
        self.generated: list[tuple[float, str, dict]] = []  # (arrival, key, spec) ahead
        self.reached_s = window
        self.worst_lag_s = 0.0
        self.worst_tick_s = 0.0  # wall seconds of the longest tick
        self.starved_s = 0.0  # most wall seconds the clock was ahead of the environment
        self.queue_time_s = [0.0, 0]  # sum of twin seconds from submission to start, count
        self.listeners: list[Callable[[int], None]] = []
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.error: BaseException | None = None
        self.supervisor = None  # set by the server when the scenario has programs
        self.lookahead_s = max(speed * LOOKAHEAD_WALL_S, self.env.chunk_s)  # twin seconds

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Compute the environment up to the resume point (catching the engine up to it) and
        its lookahead, then start the clock and the threads."""
        while self.env.t <= self.resume_s + self.lookahead_s:
            self._add_chunk()
        self._tick(self.resume_s)
        self.clock = Clock(self.resume_s, self.speed)
        for target in (self._environment_loop, self._tick_loop):
            th = threading.Thread(target=self._guard(target), daemon=True,
                                  name=f"orbitgrid-live-{target.__name__}")
            th.start()
            self.threads.append(th)

    def stop(self) -> None:
        self.stopping.set()
        for th in self.threads:
            th.join(timeout=10)
        if self.supervisor is not None:
            self.supervisor.close()
        self.env.close()

    def _guard(self, target):
        def run():
            try:
                target()
            except BaseException as exc:  # a dead twin must be seen: health reports it
                self.error = exc
                raise
        return run

    def _environment_loop(self) -> None:
        while not self.stopping.is_set():
            ahead = self.clock.now_s() + self.lookahead_s
            if self.env.t < ahead:
                self._add_chunk()
            else:
                self.stopping.wait(0.05)

    def _add_chunk(self) -> None:
        chunk = self.env.next_chunk()
        rows = self._generate(chunk.t0, chunk.t1)
        with self.lock:
            self.generated = sorted(self.generated + rows, key=lambda r: (r[0], r[1]))
            self.engine.extend(chunk.block, chunk.payloads)
            for e in chunk.events:
                if e.twin_s > self.seen_s:
                    bisect.insort(self.pending, (e.twin_s, e.satellite, e.type))

    def _tick_loop(self) -> None:
        while not self.stopping.is_set():
            t0 = time.perf_counter()
            target = self.clock.now_s()
            self._tick(target)
            self.worst_tick_s = max(self.worst_tick_s, time.perf_counter() - t0)
            if self.engine.horizon_s < target:  # the environment is not computed that far
                self.starved_s = max(self.starved_s, (target - self.engine.horizon_s) / self.speed)
            self.worst_lag_s = max(self.worst_lag_s, self.clock.lag_s(self.reached_s))
            self.stopping.wait(self.tick_s)

    def _tick(self, target: float) -> None:
        with self.lock:
            t = min(target, self.engine.horizon_s)
            if t < self.reached_s:
                return
            self._submit_generated(t)
            self._drain(ADMIT_PER_TICK)
            time.sleep(0)  # the GIL to the event loop if it waits: a tick is not one long hold
            if self.supervisor is not None:  # real programs (orbitgrid.live.supervisor)
                self.supervisor.before(t)
            changes = self.engine.advance_to(t)
            if self.supervisor is not None:
                changes = self.supervisor.after(t, changes)
            for c in changes:
                if c.state in ("staging", "running") and c.start_s == c.twin_s:
                    self.queue_time_s[0] += c.start_s - self.engine.arrival.get(c.job, c.start_s)
                    self.queue_time_s[1] += 1
            k = bisect.bisect_right(self.pending, (t, math.inf, ""))
            events = [SatelliteEvent(kind, s, self.names[i]) for s, i, kind in self.pending[:k]]
            del self.pending[:k]
            checkpoints = {}
            if time.monotonic() - self.checkpoint_wall >= CHECKPOINT_POLL_S:
                checkpoints = self.engine.checkpoints()
                self.checkpoint_wall = time.monotonic()
            time.sleep(0)
            last = self.store.record(changes, events, t, checkpoints)
            if self.supervisor is not None:
                self.supervisor.commit()
            self.reached_s = t
        if changes or events:
            for notify in list(self.listeners):
                notify(last)

    def _generate(self, t0: float, t1: float) -> list[tuple[float, str, dict]]:
        """The workload generators' jobs arriving in [t0, t1): (arrival, idempotency key,
        spec). Poisson and diurnal streams are drawn per chunk, seeded by (seed, step index
        of t0); a `once` generator fires in the chunk that holds its start."""
        out = []
        sc, k = self.scenario, int(round(t0 / self.scenario.step))
        for index, gen in self.generators:
            if gen.arrivals == "once":
                if not t0 <= gen.start < t1:
                    continue
                jobs = generate(gen, index, t1, sc.epoch, sc.seed, self.names)
            else:
                jobs = generate(gen.model_copy(update={"start": max(gen.start, t0)}), index,
                                t1, sc.epoch, sc.seed * 1_000_003 + k, self.names)
            for i in range(len(jobs["id"])):
                arrival = float(jobs["arrival"][i])
                spec = {c: _plain(jobs[c][i]) for c in SPEC_COLUMNS}
                deadline = float(jobs["deadline"][i]) - arrival
                spec["deadline"] = deadline if math.isfinite(deadline) else None
                if jobs["input_at"][i]:
                    spec["input_at"] = str(jobs["input_at"][i])
                out.append((arrival, f"generated:g{index}@{k}-{i}", spec))
        return out

    def _submit_generated(self, t: float) -> None:
        """Accept the generated jobs whose arrival the clock has passed (idempotent: a restart
        that draws them again finds them)."""
        k = bisect.bisect_right([r[0] for r in self.generated], t)
        for arrival, key, spec in self.generated[:k]:
            record, created = self.store.submit(self.generated_tenant, spec, arrival, key)
            if created:
                self.inbox.append(record)
        del self.generated[:k]

    def _drain(self, most: float = math.inf) -> None:
        """Hand the engine the accepted jobs waiting (the first `most` of them)."""
        while self.inbox and most > 0:
            most -= 1
            job = self.inbox.popleft()
            # arrival: the submission's twin time, as a jobs_file row would give it (or the
            # engine's now when a tick has passed it since)
            self.engine.submit(job.id, job.spec, job.submitted_s)

    # --- what the API asks ------------------------------------------------------------------------

    def now_s(self) -> float:
        return self.clock.now_s()

    def iso(self, twin_s: float | None) -> str | None:
        if twin_s is None or not math.isfinite(twin_s):
            return None
        t = self.epoch + timedelta(seconds=twin_s)
        return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def check(self, spec: dict) -> tuple[str, str] | None:
        """(field, reason) when the engine cannot take the job; None when it can."""
        if spec["kind"] not in KINDS:
            return "kind", f"unknown kind {spec['kind']!r} (choose from {', '.join(KINDS)})"
        if spec["precision"] not in self.precisions:
            return "precision", (f"no accelerator here runs {spec['precision']} "
                                 f"(have {', '.join(sorted(self.precisions))})")
        if spec["min_satellites"] > self.n:
            return "min_satellites", f"the fleet has {self.n} satellites"
        if spec["max_satellites"] and spec["max_satellites"] < spec["min_satellites"]:
            return "max_satellites", "less than min_satellites"
        return None

    def submit(self, tenant: str, spec: dict, idem_key: str | None) -> tuple[JobRecord, bool]:
        """Commit the job, then queue it for the engine's next tick."""
        return self.submit_later(tenant, spec, idem_key).result()

    def submit_later(self, tenant: str, spec: dict, idem_key: str | None) -> Future:
        """submit, answered by a Future of (record, created): committed (the store's group
        commit) and queued for the engine by the time it is done."""
        return self.store.submit_later(tenant, spec, self.now_s(), idem_key, self.inbox.append)

    def submit_async(self, tenant: str, spec: dict, idem_key: str | None) -> asyncio.Future:
        """submit_later, answered on the running event loop (the API's)."""
        return self.store.submit_async(tenant, spec, self.now_s(), idem_key, self.inbox.append)

    def submit_program(self, tenant: str, spec: dict, idem_key: str | None,
                       inputs: list[tuple[str, bytes]] | None) -> tuple[JobRecord, bool]:
        """submit for a job that runs a program: its working directory and input files are
        written before the supervisor follows it and the engine gets it."""
        record, created = self.store.submit(tenant, spec, self.now_s(), idem_key)
        if created:
            folder = self.supervisor.prepare(record.id, spec.get("args") or {})
            for name, data in inputs or []:
                (folder / "input" / name).write_bytes(data)
            with self.lock:
                self.supervisor.adopt(record)
            self.inbox.append(record)
        return record, created

    def job_dir(self, job_id: str) -> Path:
        """A program job's working directory (input/, checkpoint/, output/)."""
        return self.store.path.parent / "jobs" / job_id

    def cancel(self, job: JobRecord) -> Change | None:
        """Cancel now; the committed change, None when the job has finished."""
        with self.lock:
            self._drain()
            change = self.engine.cancel(job.id)
            if change is None:
                return None
            last = self.store.record([change], [], self.reached_s)
        for notify in list(self.listeners):
            notify(last)
        return change

    def satellites(self) -> list[dict]:
        """Each satellite's state at the twin time reached."""
        t = self.reached_s
        with self.lock:
            env = self.engine.timelines
            chunk = env if env is not None and env.t_s[0] <= t < env.end_s else None
            on = self.engine.running_on()
            energy_j, temp_k = self.engine.battery_radiator()
        lat, lon, alt, lit = self.env.position(t)
        fleet = self.env.fleet
        cap = chunk.capacity[chunk.step_at(t)].astype(float) if chunk else np.zeros(self.n)
        # the closed loop's batteries and radiators at the start of the step t is in
        wh, temp = energy_j / J_PER_WH, temp_k
        out = []
        for i, name in enumerate(self.names):
            out.append({
                "name": name,
                "constellation": fleet.constellation_names[int(fleet.constellation[i])],
                "lat_deg": _num(lat[i]), "lon_deg": _num(lon[i]), "alt_km": _num(alt[i]),
                "illumination": _num(lit[i]),
                "battery_wh": _num(wh[i]),
                "radiator_temp_k": _num(temp[i]),
                "compute_w_allowed": _num(cap[i] * self.env.power_w[i]),
                "jobs": on.get(name, []),
            })
        return out


def _plain(x):
    return x.item() if hasattr(x, "item") else x


def _num(x) -> float | None:
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None
