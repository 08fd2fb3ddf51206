"""Running a sweep's points on Ray: a local cluster by default, an existing one by address.

Each point is a full run in a Ray task; a failed point is tried again up to `retries` times,
then recorded as failed, and the sweep goes on. Grid and random points are all known at the
start; an Optuna search asks for points in batches as results come in.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orbitgrid.errors import ScenarioError
from orbitgrid.scenario import validate_scenario
from orbitgrid.sweep.spec import OptunaSearch, Range, Sweep, SweepError
from orbitgrid.sweep.store import SWEEP_DB, SweepStore, objective_value

KEEP = ("all", "none")

Progress = Callable[[int, int, int], None]  # (finished, total, failed)


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    address: str | None = None,
    workers: int | None = None,
    retries: int = 0,
    resume: bool = False,
    keep: str = "all",
    progress: Progress | None = None,
) -> Path:
    """Run every point of a sweep on Ray; return the path of its sweep.duckdb.

    A local cluster of `workers` CPUs is started unless address names an existing one (or Ray is
    already initialised). A point that fails is tried again up to `retries` times, then recorded
    as failed with its error. resume=True continues a sweep in out, skipping recorded points.
    keep="none" keeps only the summaries, no run folders.
    """
    if keep not in KEEP:
        raise SweepError(f"--keep: {keep!r} is not one of {', '.join(KEEP)}")
    if retries < 0:
        raise SweepError("--retries: must be 0 or more")
    out = Path(out)
    results = SweepStore.open(out / SWEEP_DB, sweep, resume)
    runner = _Runner(sweep, results, out, keep, retries, address, workers, progress)
    try:
        if isinstance(sweep.spec.search, OptunaSearch):
            _optuna(sweep, runner)
        else:
            runner.run(list(enumerate(sweep.points or [])))
    finally:
        results.close()
        if runner.started:
            import ray

            ray.shutdown()
    return out / SWEEP_DB


@dataclass
class _Runner:
    sweep: Sweep
    results: SweepStore
    out: Path
    keep: str
    retries: int
    address: str | None
    workers: int | None
    progress: Progress | None
    started: bool = False  # whether this sweep started Ray (and so shuts it down)

    def run(self, points: list[tuple[int, dict]]) -> None:
        """Run the points not yet recorded, recording each as it finishes."""
        import ray

        todo = [(pid, params) for pid, params in points if pid not in self.results.rows]
        self._report()
        if not todo:
            return
        # Ray starts only when there is a point to run: a finished sweep resumes at once
        self.started = connect_ray(self.address, self.workers) or self.started
        slots = ray_slots(self.workers)
        remote = ray.remote(num_cpus=1, max_retries=0)(run_point)
        queue = list(reversed(todo))
        running: dict[Any, tuple[int, dict, int, float]] = {}
        while queue or running:
            while queue and len(running) < 2 * slots:
                pid, params = queue.pop()
                self._submit(remote, running, pid, params, 1)
            ready, _ = ray.wait(list(running), num_returns=1)
            ref = ready[0]
            pid, params, attempt, began = running.pop(ref)
            folder = None if self.keep == "none" else self._folder(pid)
            try:
                summary = ray.get(ref)
            except Exception as exc:  # a failed point never stops the sweep
                if attempt <= self.retries:
                    self._submit(remote, running, pid, params, attempt + 1)
                    continue
                outcome = {"status": "failed", "error": _one_line(exc), "attempts": attempt}
            else:
                outcome = {
                    "status": "done",
                    "attempts": attempt,
                    "summary": summary,
                    "run_folder": folder,
                }
                missing = [
                    o.key for o in self.sweep.objectives if objective_value(summary, o.key) is None
                ]
                if missing:
                    outcome |= {"status": "failed", "error": f"no figure {missing[0]!r} in summary"}
            outcome["seconds"] = round(time.perf_counter() - began, 3)
            self.results.record(pid, params, outcome)
            self._report()

    def _folder(self, pid: int) -> str:
        return str((self.out / "runs" / f"p{pid:05d}").resolve())

    def _submit(self, remote, running, pid, params, attempt) -> None:
        began = time.perf_counter()
        try:
            data = self.sweep.scenario(params).resolved()
        except ScenarioError as exc:  # only an Optuna point can get here
            self.results.record(
                pid, params, {"status": "failed", "error": str(exc), "attempts": attempt}
            )
            self._report()
            return
        folder = None if self.keep == "none" else self._folder(pid)
        ref = remote.remote(data, str(self.sweep.base_dir), folder)
        running[ref] = (pid, params, attempt, began)

    def _report(self) -> None:
        if self.progress:
            rows = self.results.rows.values()
            failed = sum(r["status"] == "failed" for r in rows)
            self.progress(len(self.results.rows), self.sweep.total, failed)


def run_point(scenario: dict, base_dir: str, out: str | None) -> dict:
    """Run one point (on a worker) and return its summary; out=None keeps no run folder."""
    sc = validate_scenario(scenario, base_dir=Path(base_dir))
    from orbitgrid.simulation import simulate

    if out is None:
        with tempfile.TemporaryDirectory() as tmp:
            return simulate(sc, out=Path(tmp) / "run").summary
    target = Path(out)
    # left by a sweep killed after the run was written but before it was recorded
    for stale in [target, *target.parent.glob(f".{target.name}.partial*")]:
        shutil.rmtree(stale, ignore_errors=True)
    return simulate(sc, out=target).summary


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc
    text = (
        f"{type(cause).__name__}: {cause}" if not isinstance(cause, ScenarioError) else str(cause)
    )
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(cause).__name__


def _optuna(sweep: Sweep, runner: _Runner) -> None:
    """Ask in batches, run each batch, tell in trial order: the same seed gives the same points,
    and a resumed search replays its recorded trials without running them."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = sweep.spec.search
    assert isinstance(search, OptunaSearch)
    distributions = {}
    for name, values in sweep.spec.parameters.items():
        if isinstance(values, Range):
            kind = (
                optuna.distributions.IntDistribution
                if values.integer
                else optuna.distributions.FloatDistribution
            )
            distributions[name] = kind(*values.range)
        else:
            distributions[name] = optuna.distributions.CategoricalDistribution(values)
    study = optuna.create_study(
        directions=[
            "minimize" if o.direction == "minimise" else "maximize" for o in sweep.objectives
        ],
        sampler=optuna.samplers.TPESampler(seed=search.seed),
    )
    asked = 0
    while asked < search.trials:
        trials = [study.ask(distributions) for _ in range(min(search.batch, search.trials - asked))]
        asked += len(trials)
        runner.run([(t.number, dict(t.params)) for t in trials])
        for t in trials:
            row = runner.results.rows[t.number]
            values = [row[o.key] for o in sweep.objectives]
            if row["status"] == "done":
                study.tell(t, values)
            else:
                study.tell(t, state=optuna.trial.TrialState.FAIL)


def connect_ray(address: str | None, workers: int | None) -> bool:
    """Start or join a Ray cluster unless one is joined already; True if this call did it."""
    import ray

    if ray.is_initialized():
        return False
    options: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False)
    if address is None:
        options["num_cpus"] = workers or None
    ray.init(address=address, **options)
    return True


def ray_slots(workers: int | None) -> int:
    import ray

    return max(1, workers or int(ray.cluster_resources().get("CPU", 1)))
