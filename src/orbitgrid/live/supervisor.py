"""The twin governs real programs: the engine decides when and where a job runs, as for a
modelled job; the Supervisor applies it to the job's process through an Executor.

A program job enters the engine as a modelled job of endless work (PROGRAM_WORK_FLOP): the
engine places it, stages its input up through contacts, pauses, migrates and rolls it back as
it would any job; its process decides when it is done. Each tick, after the engine has
advanced to twin time t, for each program job:
  - its process runs only while the engine has it RUNNING on a satellite that may compute now
    (allowed capacity > 0 at t: not an eclipse with a flat battery, not a heat limit; not down
    after an interrupt). Where compute stops, a checkpoint program is asked to checkpoint and
    exit (SIGTERM, SIGKILL after its grace) and is started again later from its checkpoint;
    any other is frozen (SIGSTOP) and thawed (SIGCONT) on the same satellite;
  - a rollback in the engine (a radiation upset, an interrupt) kills the process (SIGKILL): it
    restarts from its last checkpoint; the wall seconds since that checkpoint are work lost;
  - placed on another satellite (a migration), it starts there once the engine's transfer of
    its checkpoint directory (its real bytes, at the ISL path's rates) has ended, plus the
    ISL path's length / c (network.routing.isl_route);
  - when its process exits 0 the engine finishes the job: its output directory's bytes go down
    through the next contacts (the job is "staging" meanwhile) and it is done once they land;
    another exit status fails the job (the service goes on).
Each of these is a history entry (twin and wall times); the seconds spent running, paused,
moving data and restarting are counted per job.
"""

from __future__ import annotations

import json
import math
import secrets
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.live.executor import Executor, Launch, end_stale
from orbitgrid.live.programs import Program
from orbitgrid.live.store import FINAL, Change, JobRecord, Store
from orbitgrid.network.routing import isl_route
from orbitgrid.ops.event_loop import Priority
from orbitgrid.ops.job_state import JobState

PROGRAM_WORK_FLOP = 1e30  # the engine's work for a program job: never done on its own
PHASES = ("running", "paused", "moving", "restarting")
SIZE_EVERY_S = 1.0  # wall seconds between measurements of a checkpoint directory


@dataclass
class Run:
    """One program job's execution (see the module docstring)."""

    job_id: str
    tenant: str
    program: Program
    args: dict
    workdir: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    process: str = "none"  # none | running | frozen | stopping
    satellite: str | None = None  # where its process runs (or last ran)
    phase: str = "paused"
    wall: dict = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    twin: dict = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    lost_wall_s: float = 0.0
    starts: int = 0
    upsets: int = 0
    interrupts: int = 0
    migrations: int = 0
    rollbacks_seen: int = 0
    started_wall: float = 0.0
    exited_ok: bool = False
    finish_pushed: bool = False
    exit_code: int | None = None
    ready_s: float = -math.inf  # twin time before which a migrated checkpoint has not arrived
    sized_wall: float = 0.0

    def stats(self, speed: float) -> dict:
        """Seconds per phase (wall and twin), work lost, starts, upsets, interrupts, moves."""
        return {**{f"{p}_wall_s": round(self.wall[p], 6) for p in PHASES},
                **{f"{p}_twin_s": round(self.twin[p], 6) for p in PHASES},
                "lost_wall_s": round(self.lost_wall_s, 6),
            "lost_twin_s": round(self.lost_wall_s * speed, 6),
                "starts": self.starts, "upsets": self.upsets, "interrupts": self.interrupts,
                "migrations": self.migrations, "exit_code": self.exit_code}


class Supervisor:
    """Applies the engine's decisions to program jobs' processes (see the module docstring).
    Called by the twin's tick with the engine lock held: before(t) ahead of advancing the
    engine, after(t, changes) once advanced; both return quickly (no call waits)."""

    def __init__(self, twin, programs: dict[str, Program], executor: Executor, state: Path,
                 info_url: str = ""):
        self.twin, self.programs, self.executor = twin, programs, executor
        self.store: Store = twin.store
        self.jobs_dir = Path(state) / "jobs"
        self.info_url = info_url.rstrip("/")
        self.runs: dict[str, Run] = {}
        self.by_token: dict[str, Run] = {}
        self.last_wall: float | None = None
        self.last_twin: float | None = None
        self.notes: list[tuple[Run, str, dict, float, float]] = []  # history ahead of commit
        for record in self.store.unfinished():
            if record.spec.get("program"):
                self.adopt(record)

    # --- jobs -----------------------------------------------------------------------------------

    def workdir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def prepare(self, job_id: str, args: dict) -> Path:
        """The job's working directory with input/, checkpoint/, output/ and args.json."""
        d = self.workdir(job_id)
        for sub in ("input", "checkpoint", "output"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "args.json").write_text(json.dumps(args, sort_keys=True))
        return d

    def adopt(self, record: JobRecord) -> None:
        """Follow a committed program job (a new submission, or unfinished at a restart)."""
        spec = record.spec
        program = self.programs.get(spec["program"])
        if program is None or record.id in self.runs:
            return
        args = spec.get("args") or {}
        run = Run(record.id, record.tenant, program, args, self.prepare(record.id, args))
        end_stale(run.workdir)  # a process a killed service left behind: restarted here
        self.runs[record.id] = run
        self.by_token[run.token] = run

    def stats(self, job_id: str) -> dict | None:
        run = self.runs.get(job_id)
        return None if run is None else run.stats(self.twin.speed)

    # --- the tick -------------------------------------------------------------------------------

    def before(self, t: float) -> None:
        """Tell the engine the real size of each checkpoint directory (what a migration moves)."""
        eng = self.twin.engine.engine
        if eng is None:
            return
        now = time.time()
        for run in self.runs.values():
            j = eng.by_id.get(run.job_id)
            if j is None or not run.program.checkpoint or now - run.sized_wall < SIZE_EVERY_S:
                continue
            run.sized_wall = now
            j.checkpoint_bytes = float(dir_bytes(run.workdir / "checkpoint"))

    def after(self, t: float, changes: list[Change]) -> list[Change]:
        """Apply the engine's state at t to the processes; returns `changes` with the program
        jobs' own (failed) and the execution figures added to their final results."""
        eng = self.twin.engine.engine
        wall = time.time()
        notes: list[tuple[Run, str, dict]] = []
        killed_wall: dict[int, float] = {}  # note index -> when its process was killed
        if self.last_wall is not None:
            dw, dt = wall - self.last_wall, max(t - self.last_twin, 0.0)
            for run in self.runs.values():
                run.wall[run.phase] += dw
                run.twin[run.phase] += dt
        self.last_wall, self.last_twin = wall, t
        if eng is None:
            return changes
        exits = {e.job_id: e for e in self.executor.poll()}
        tl = eng.env
        k = tl.step_at(t) if tl.t_s[0] <= t < tl.end_s else None
        extra: list[Change] = []
        gone: list[str] = []
        for run in list(self.runs.values()):
            j = eng.by_id.get(run.job_id)
            if j is None:
                continue
            ended = exits.get(run.job_id)
            if ended is not None:
                if not ended.asked and ended.returncode == 0:
                    run.exited_ok, run.exit_code = True, 0
                    notes.append((run, "exited", {"exit_code": 0, "satellite": run.satellite,
                                                  "ran_wall_s": round(ended.wall_s, 6)}))
                elif not ended.asked:
                    run.exit_code = ended.returncode
                    notes.append((run, "exited", {"exit_code": ended.returncode}))
                    extra.append(self._fail(run, t))
                    continue
            if run.process != "none" and not self.executor.alive(run.job_id):
                run.process = "none"
            state = j.state
            if state.finished or state is JobState.DOWNLINK:
                if run.process != "none":
                    self.executor.kill(run.job_id)
                    run.process = "stopping"
                if state.finished:
                    gone.append(run.job_id)
                run.phase = "moving" if state is JobState.DOWNLINK else "paused"
                continue
            if j.rollbacks > run.rollbacks_seen:  # an upset or an interrupt rolled it back
                run.rollbacks_seen = j.rollbacks
                # an interrupt takes the satellite down: the job is off it, or already placed
                # on another within the same tick
                was = self.twin.names.index(run.satellite) if run.satellite else None
                interrupt = state is not JobState.RUNNING or (
                    was is not None and bool(eng.down_until[was] > t))
                run.interrupts += interrupt
                run.upsets += not interrupt
                info = {"satellite": run.satellite}
                if run.process in ("running", "frozen"):
                    self.executor.kill(run.job_id)
                    lost = wall - max(run.started_wall, newest_mtime(run.workdir / "checkpoint"))
                    run.lost_wall_s += max(lost, 0.0)
                    info["lost_wall_s"] = round(max(lost, 0.0), 6)
                    run.process = "stopping"
                    # its history entry is dated after the kill: every step the old process
                    # logged comes before it, however late in the tick the kill came
                    killed_wall[len(notes)] = time.time()
                notes.append((run, "interrupt" if interrupt else "upset", info))
                run.phase = "restarting"
            sat = None
            if state is JobState.RUNNING and j.sats is not None:
                sat = self.twin.names[int(j.sats[0])]
            if run.exited_ok:
                if sat is not None and not run.finish_pushed:
                    j.output_bytes = float(dir_bytes(run.workdir / "output"))
                    eng.loop.push(eng.now_s, Priority.FINISH, j.index, j.version)
                    run.finish_pushed = True
                run.phase = "moving"
                continue
            allowed = sat is not None and k is not None and \
                tl.capacity[k, int(j.sats[0])] > 0 and eng.down_until[int(j.sats[0])] <= t
            if allowed and run.satellite is not None and sat != run.satellite \
                    and run.process == "none" and run.ready_s == -math.inf and run.starts:
                run.ready_s = t + self._distance_m(run.satellite, sat, t) / SPEED_OF_LIGHT_M_S
            if allowed and t < run.ready_s:
                allowed = False  # the checkpoint's last bits still on their way at c
            if allowed:
                self._run_on(run, sat, t, notes)
            else:
                self._hold(run, j, state, k, t, notes)
        self.notes += [(run, action, info, t, killed_wall.get(k, wall))
                       for k, (run, action, info) in enumerate(notes)]
        out = []
        for c in changes:
            run = self.runs.get(c.job)
            if run is not None and c.state in FINAL:
                c = replace(c, result={**(c.result or {}), "execution": run.stats(self.twin.speed)})
            out.append(c)
        out += extra
        for job_id in gone + [c.job for c in out if c.state in FINAL]:
            self._forget(job_id)
        return out

    def _run_on(self, run: Run, sat: str, t: float, notes) -> None:
        if run.process == "frozen" and run.satellite == sat:
            self.executor.resume(run.job_id)
            run.process = "running"
            notes.append((run, "resume", {"satellite": sat}))
        elif run.process in ("running", "frozen") and run.satellite != sat:
            # placed elsewhere while its process lives: a checkpoint program checkpoints and
            # moves; a frozen one cannot migrate: it starts over there
            if run.program.checkpoint:
                self.executor.stop(run.job_id, run.program.grace_s)
                notes.append((run, "pause", {"satellite": run.satellite, "reason": "migration"}))
            else:
                self.executor.kill(run.job_id)
                notes.append((run, "pause", {"satellite": run.satellite,
                                             "reason": "placed elsewhere: starts over"}))
                run.phase = "restarting"
            run.process = "stopping"
        elif run.process == "none":
            if run.satellite is not None and sat != run.satellite and run.starts:
                run.migrations += 1
                notes.append((run, "migrate", {
                    "from": run.satellite, "to": sat,
                    "bytes": dir_bytes(run.workdir / "checkpoint"),
                    "light_s": round(self._distance_m(run.satellite, sat, t)
                                     / SPEED_OF_LIGHT_M_S, 9)}))
            action = "start" if not run.starts else (
                "restart" if run.phase == "restarting" else "resume")
            self.executor.start(Launch(run.job_id, sat, run.program, run.workdir,
                                       self._variables(run, sat)))
            run.starts += 1
            run.started_wall = time.time()
            run.process, run.satellite, run.ready_s = "running", sat, -math.inf
            notes.append((run, action, {"satellite": sat}))
        if run.process == "running":
            run.phase = "running"

    def _hold(self, run: Run, j, state: JobState, k: int | None, t: float, notes) -> None:
        if run.process == "running":
            reason = self._reason(j, state, k, t)
            if run.program.checkpoint:
                self.executor.stop(run.job_id, run.program.grace_s)
                run.process = "stopping"
            else:
                self.executor.pause(run.job_id)
                run.process = "frozen"
            notes.append((run, "pause", {"satellite": run.satellite, "reason": reason}))
        if run.phase != "restarting" or state is JobState.STAGING:
            run.phase = "moving" if state is JobState.STAGING else "paused"

    def _reason(self, j, state: JobState, k: int | None, t: float) -> str:
        eng = self.twin.engine.engine
        if state is JobState.STAGING:
            return "moving data"
        if state is not JobState.RUNNING:
            return "taken off its satellite"
        s = int(j.sats[0])
        if eng.down_until[s] > t:
            return "interrupt"
        if k is not None and eng.env.sunlit[k, s] < 0.5:
            return "eclipse, battery at its floor"
        return "power or heat limit"

    def _variables(self, run: Run, sat: str) -> dict[str, str]:
        d = run.workdir
        return {"ORBITGRID_JOB_ID": run.job_id, "ORBITGRID_SATELLITE": sat,
                "ORBITGRID_ARGS": json.dumps(run.args, sort_keys=True),
                "ORBITGRID_INPUT_DIR": str(d / "input"),
                "ORBITGRID_CHECKPOINT_DIR": str(d / "checkpoint"),
                "ORBITGRID_OUTPUT_DIR": str(d / "output"),
                "ORBITGRID_INFO_URL": f"{self.info_url}/{run.token}" if self.info_url else ""}

    def _fail(self, run: Run, t: float) -> Change:
        """The engine lets go of a job whose program failed; its failed change."""
        eng = self.twin.engine.engine
        try:
            eng.cancel(run.job_id)  # its cancelled change is ignored: the job has failed
        except (KeyError, ValueError):
            pass
        run.process = "none"
        return Change(run.job_id, "failed", t, end_s=t,
                      result={"exit_code": run.exit_code,
                              "execution": run.stats(self.twin.speed)})

    def _forget(self, job_id: str) -> None:
        run = self.runs.pop(job_id, None)
        if run is not None:
            self.by_token.pop(run.token, None)
            if self.executor.alive(job_id):
                self.executor.kill(job_id)

    def _distance_m(self, a: str, b: str, t: float) -> float:
        """The length m of the ISL path a checkpoint takes from a to b at twin time t (the
        straight line where the lasers link them by no path at t)."""
        pos = positions_m(self.twin.env, t)
        ia, ib = self.twin.names.index(a), self.twin.names.index(b)
        way = isl_route(self.twin.env.world.isl, pos, ia, ib)
        d = way.distance_m if way is not None else float(np.linalg.norm(pos[ia] - pos[ib]))
        return d if math.isfinite(d) else 0.0

    def commit(self) -> None:
        """Commit the history entries of the last tick, after its state changes (one
        transaction)."""
        notes, self.notes = self.notes, []
        if not notes:
            return
        store = self.store
        with store.lock:
            store.db.execute("BEGIN IMMEDIATE")
            try:
                for run, action, info, t, wall in notes:
                    row = store.db.execute("SELECT state FROM jobs WHERE id = ?",
                                           (run.job_id,)).fetchone()
                    data = {"state": row[0] if row else "running", "action": action, **info}
                    store.last_event = store.db.execute(
                        "INSERT INTO events (twin_s, wall, type, tenant, job, data) "
                        "VALUES (?, ?, 'program', ?, ?, ?)",
                        (t, wall, run.tenant, run.job_id, json.dumps(data))).lastrowid
                store.db.execute("COMMIT")
            except BaseException:
                store.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.executor.close()


def positions_m(env, t: float) -> np.ndarray:
    """(N, 3) inertial positions of the satellites at twin time t, m (gone ones NaN)."""
    r, _ = env.world.exact_states(np.array([t]), gone_from_s=env.gone_from_s())
    return r[0]


def dir_bytes(folder: Path) -> int:
    """Bytes of the files under folder (0 when missing)."""
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def newest_mtime(folder: Path) -> float:
    """Wall time of the newest file under folder (0 when none)."""
    times = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()] if folder.is_dir() \
        else []
    return max(times, default=0.0)


def remove_workdir(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
