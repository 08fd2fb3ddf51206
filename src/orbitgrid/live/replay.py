"""A finished program job of the live twin, read back: its loss per step against twin time, its
history and the eclipses it met (ProgramRun), and the simulator's prediction of the same job
(Prediction) side by side with what really happened (compare).

How the real job becomes a simulated one: the engine models work as FLOP done at the
satellite's peak rate (ops.compute: useful rate = peak x capacity). The program's work is what
it really spent running and kept: the supervisor's running twin seconds (its steps and its
process starts) less the twin seconds lost to upsets, both from the job's `execution` body;
work_flop = that x the satellite's bf16 peak. The simulated job arrives when the real one was
submitted, checkpoints every `every` steps of the measured step time (the program's own
interval, not Young/Daly), has the real checkpoint's bytes to migrate and the real outputs'
bytes to send down, and runs on the same scenario by the batch engine (`simulate`: the same
environment, closed loop and policy). What the simulator does not model is where the two
differ: the wall-clock jitter of the real process, and the tick (tick_s x speed twin seconds)
by which the supervisor follows the engine's decisions.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

PRECISION = "bf16"  # a program job's precision in the twin (the API's default)


@dataclass(frozen=True)
class Action:
    """A history entry of a program (start, pause, resume, migrate, upset, interrupt,
    restart, exited) at twin_s, s after the epoch."""

    action: str
    twin_s: float
    satellite: str | None
    detail: dict


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class ProgramRun:
    """A finished program job as the live twin ran it. Times are s after the scenario epoch.

    step, loss (nats per byte), twin_s, satellite: loss.csv's rows in the order written (a
    step redone after an upset appears twice); actions: the job's history; eclipses: the
    merged (start, end) intervals in which a satellite it ran on was in the Earth's shadow;
    faults: (twin_s, 'upset' | 'interrupt', satellite) of those satellites."""

    job_id: str
    epoch: datetime
    speed: float
    submitted_s: float
    end_s: float
    step: np.ndarray
    loss: np.ndarray
    twin_s: np.ndarray
    satellite: np.ndarray
    actions: tuple[Action, ...]
    eclipses: tuple[tuple[float, float], ...]
    faults: tuple[tuple[float, str, str], ...]
    execution: dict

    @property
    def steps(self) -> int:
        return int(self.step.max()) if len(self.step) else 0

    def when(self, action: str) -> list[float]:
        """Twin times of the history entries with this action."""
        return [a.twin_s for a in self.actions if a.action == action]


def _seconds(iso: str, epoch: datetime) -> float:
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - epoch).total_seconds()


def program_run(job: dict, loss_csv: str, events: list[dict], epoch: datetime,
                speed: float) -> ProgramRun:
    """Read back a done program job: job is GET /v1/jobs/{id}'s body (with history and
    execution), loss_csv the program's loss.csv, events those of GET /v1/events (their
    twin_time ISO 8601), epoch the scenario's, speed the twin's (twin s per wall s)."""
    history = job.get("history") or []
    actions = tuple(Action(h["action"], _seconds(h["twin_time"], epoch),
                           (h.get("detail") or {}).get("satellite"), h.get("detail") or {})
                    for h in history if h.get("action"))
    # the clock is twin = offset + speed x wall: its offset from every history entry (median:
    # an entry written after a kill is dated a little later than its tick)
    pairs = [(h["wall_time"], _seconds(h["twin_time"], epoch)) for h in history]
    if not pairs:
        raise ValueError("job: no history (GET /v1/jobs/{id} gives it)")
    offset = float(np.median([t - speed * w for w, t in pairs]))
    rows = list(csv.DictReader(io.StringIO(loss_csv)))
    if not rows:
        raise ValueError("loss.csv: no rows")
    step = np.array([int(r["step"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    twin = offset + speed * np.array([float(r["wall_time"]) for r in rows])
    ran_on = {a.satellite for a in actions if a.satellite} | set(r["satellite"] for r in rows)
    edges: dict[str, list[tuple[float, str]]] = {}
    faults = []
    for e in events:
        sat = e.get("satellite")
        if sat not in ran_on:
            continue
        t = _seconds(e["twin_time"], epoch)
        if e["type"] in ("eclipse_in", "eclipse_out"):
            edges.setdefault(sat, []).append((t, e["type"]))
        elif e["type"] in ("upset", "interrupt"):
            faults.append((t, e["type"], sat))
    submitted = _seconds(job["submitted"], epoch)
    end = _seconds(job["end"], epoch) if job.get("end") else math.nan
    return ProgramRun(job["id"], epoch, speed, submitted, end, step, loss, twin,
                      np.array([r["satellite"] for r in rows]), actions,
                      _merged(edges, submitted, end), tuple(sorted(faults)),
                      job.get("execution") or {})


def _merged(edges: dict[str, list[tuple[float, str]]], t0: float,
            t1: float) -> tuple[tuple[float, float], ...]:
    """The union of each satellite's shadow intervals (an entry without its exit ends at t1,
    an exit without its entry starts at t0)."""
    spans = []
    for marks in edges.values():
        start = None
        for t, kind in sorted(marks):
            if kind == "eclipse_in":
                start = t
            else:
                spans.append((t0 if start is None else start, t))
                start = None
        if start is not None:
            spans.append((start, t1))
    out: list[list[float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def step_twin_s(run: ProgramRun) -> float:
    """Mean twin seconds of one training step while the process runs: the intervals between
    consecutive steps of one process (no history entry between them), averaged."""
    marks = np.sort(np.array([a.twin_s for a in run.actions]))
    t, k = run.twin_s, run.step
    dt = np.diff(t)
    follows = np.diff(k) == 1
    between = np.searchsorted(marks, t[1:], side="left") > np.searchsorted(marks, t[:-1],
                                                                           side="right")
    keep = follows & ~between & (dt > 0)
    if not keep.any():
        raise ValueError("loss.csv: no two consecutive steps of one process")
    return float(dt[keep].mean())


@dataclass(frozen=True)
class Prediction:
    """The batch engine's run of the job (times s after the epoch; nan: never)."""

    work_flop: float
    peak_flops: float
    step_twin_s: float
    checkpoint_interval_s: float
    arrival_s: float
    start_s: float
    compute_end_s: float
    end_s: float
    state: str
    lost_s: float  # work lost to upsets, s at peak
    rollbacks: int
    migrations: int
    running_s: float  # time it held a satellite

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}


def peak_flops(scenario) -> float:
    """The bf16 peak of the scenario's fastest payload, op/s (the twin's rate of a program)."""
    from orbitgrid.pipeline import build_world

    world = build_world(scenario)
    return max(s.accelerator.peak_ops_per_s(PRECISION) * s.payload.count
               for s in world.satellites if s is not None and s.accelerator is not None)


def predict(scenario_path: str | Path, run: ProgramRun, every_steps: int,
            checkpoint_bytes: float, output_bytes: float, out: Path) -> Prediction:
    """Simulate the job on the scenario with the batch engine (a run folder at out; see the
    module docstring for the mapping), long enough to finish it."""
    import pyarrow.parquet as pq

    from orbitgrid.scenario import load_scenario
    from orbitgrid.simulation import simulate

    ex = run.execution
    useful_twin_s = ex["running_twin_s"] - ex["lost_twin_s"]
    scenario = load_scenario(scenario_path)
    peak = peak_flops(scenario)
    per_step = step_twin_s(run)
    interval = every_steps * per_step
    out.parent.mkdir(parents=True, exist_ok=True)
    jobs = out.parent / f"{out.name}-jobs.csv"
    work = useful_twin_s * peak
    jobs.write_text("id,kind,work_flop,precision,arrival,checkpoint_bytes,output_bytes\n"
                    f"{run.job_id},batch,{work!r},{PRECISION},{run.submitted_s!r},"
                    f"{float(checkpoint_bytes)!r},{float(output_bytes)!r}\n")
    # long enough for the real run twice over, on the knot grid (a whole number of 120 s)
    span = max(2 * (run.end_s - run.submitted_s), 6 * 3600.0) + run.submitted_s
    duration = 120.0 * math.ceil(span / 120.0)
    workload = {"policy": scenario.workload.policy if scenario.workload else "first-fit",
                "checkpoint_interval": interval}
    sim = load_scenario(scenario_path, overrides={
        "duration": duration, "jobs_file": str(jobs), "workload": workload})
    folder = simulate(sim, out=out)
    row = pq.read_table(Path(folder.path) / "jobs.parquet").to_pylist()[0]
    lost_flop = json.loads((Path(folder.path) / "summary.json").read_text())["ops"][
        "work_lost_to_faults_flop"]
    sched = pq.read_table(Path(folder.path) / "schedule.parquet").to_pylist()
    epoch = run.epoch

    def s(t) -> float:
        return math.nan if t is None else (t - epoch).total_seconds()

    held = [(s(r["start_time"]), s(r["end_time"])) for r in sched if r["job"] == run.job_id]
    return Prediction(
        work_flop=work, peak_flops=peak, step_twin_s=per_step,
        checkpoint_interval_s=interval, arrival_s=run.submitted_s,
        start_s=s(row["start_time"]), compute_end_s=max((b for _, b in held), default=math.nan),
        end_s=s(row["end_time"]) if row["state"] == "done" else math.nan, state=row["state"],
        lost_s=float(lost_flop) / peak, rollbacks=int(row["rollbacks"]),
        migrations=int(row["migrations"]), running_s=float(sum(b - a for a, b in held)))


def compare(run: ProgramRun, p: Prediction) -> list[dict]:
    """Rows of (quantity, unit, real, simulated): the figures both give."""
    ex = run.execution
    exited = run.when("exited")
    starts = run.when("start")

    def after(t: float) -> float | None:
        return None if not math.isfinite(t) else round(t - run.submitted_s, 1)

    return [
        {"quantity": "started, after submission", "unit": "s",
         "real": after(starts[0] if starts else math.nan), "simulated": after(p.start_s)},
        {"quantity": "compute ended, after submission", "unit": "s",
         "real": after(exited[-1] if exited else math.nan), "simulated": after(p.compute_end_s)},
        {"quantity": "completion (done: outputs on the ground)", "unit": "s",
         "real": after(run.end_s), "simulated": after(p.end_s)},
        {"quantity": "work lost to upsets", "unit": "s",
         "real": round(ex.get("lost_twin_s", math.nan), 1), "simulated": round(p.lost_s, 1)},
        {"quantity": "rollbacks (upsets + interrupts)", "unit": "",
         "real": ex.get("upsets", 0) + ex.get("interrupts", 0), "simulated": p.rollbacks},
        {"quantity": "migrations", "unit": "", "real": ex.get("migrations"),
         "simulated": p.migrations},
        {"quantity": "paused (eclipse, interrupt, power)", "unit": "s",
         "real": round(ex.get("paused_twin_s", math.nan), 1), "simulated": None},
        {"quantity": "running (real) / holding a satellite (simulated)", "unit": "s",
         "real": round(ex.get("running_twin_s", math.nan), 1),
         "simulated": round(p.running_s, 1)},
    ]


def comparison_markdown(rows: list[dict]) -> str:
    """The rows as a Markdown table (twin seconds)."""
    def cell(v) -> str:
        if v is None:
            return "-"
        return f"{v:,.0f}" if isinstance(v, float) else str(v)

    lines = ["| twin time and work | real (live twin) | simulated (batch engine) |",
             "|---|---:|---:|"]
    for r in rows:
        unit = f" ({r['unit']})" if r["unit"] else ""
        lines.append(f"| {r['quantity']}{unit} | {cell(r['real'])} | {cell(r['simulated'])} |")
    return "\n".join(lines) + "\n"
