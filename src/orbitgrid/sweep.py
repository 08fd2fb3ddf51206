"""Trade studies on Ray: sweeps, searches, the Pareto front, and one run split by satellites.

A sweep file names a base scenario, parameters to vary by dotted path into it (list indices
included), a search (grid, random with a seed, or Optuna) and objectives: dotted paths into the
summary.json of a run, so that figures added by later stages plug in without change. Each point
is a full run in a Ray task (a local cluster by default, an existing one by address, same code).
Only the driver writes the results database, sweep.duckdb, one row per point, committed as each
point finishes: a killed sweep resumes with resume=True, skipping recorded points, losing none.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orbitgrid.errors import ScenarioError
from orbitgrid.results import Run, RunWriter
from orbitgrid.scenario import (
    Scenario,
    _line_of,
    preset_names,
    preset_path,
    validate_scenario,
)

SWEEP_DB = "sweep.duckdb"
KEEP = ("all", "none")
# Summary keys that are the same in every block of a split run (not summed).
_SHARED_KEYS = {"name", "epoch", "duration_s", "step_s", "seed", "ground_stations", "tables"}

Progress = Callable[[int, int, int], None]  # (finished, total, failed)


class SweepError(ScenarioError):
    """A bad sweep file or sweep request, in one line."""


# ---------------------------------------------------------------------------------------------
# The sweep file


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Model):
    """A numeric interval: `samples` evenly spaced values in a grid, uniform draws otherwise."""

    range: tuple[int | float, int | float]
    samples: int = Field(5, ge=1)

    @field_validator("range")
    @classmethod
    def _not_empty(cls, value):
        if not value[0] < value[1]:
            raise ValueError(f"empty range [{value[0]}, {value[1]}]: the first bound must be lower")
        return value

    @property
    def integer(self) -> bool:
        return all(isinstance(v, int) for v in self.range)

    def grid(self) -> list:
        values = np.linspace(*self.range, self.samples).tolist()
        return [round(v) for v in values] if self.integer else values


class RandomSearch(_Model):
    samples: int = Field(gt=0)
    seed: int = 0


class OptunaSearch(_Model):
    trials: int = Field(gt=0)
    seed: int = 0
    batch: int = Field(8, ge=1)  # trials asked at once and run in parallel


class Objective(_Model):
    """One of minimise or maximise, naming a dotted summary key."""

    minimise: str | None = None
    maximise: str | None = None

    @property
    def key(self) -> str:
        return self.minimise or self.maximise or ""

    @property
    def direction(self) -> Literal["minimise", "maximise"]:
        return "minimise" if self.minimise else "maximise"


class SweepSpec(_Model):
    """The sweep file, as validated data."""

    base: str = Field(min_length=1)
    overrides: dict[str, Any] = {}
    parameters: dict[str, list[Any] | Range] = Field(min_length=1)
    search: Literal["grid"] | RandomSearch | OptunaSearch = "grid"
    objectives: list[Objective] = Field(min_length=1)

    @field_validator("parameters", mode="before")
    @classmethod
    def _values(cls, value):
        if not isinstance(value, dict):
            return value
        for path, values in value.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"{path}: empty list of values")
            if isinstance(values, dict):
                try:
                    value = {**value, path: Range.model_validate(values)}
                except ValidationError as exc:
                    error = exc.errors()[0]
                    where = ".".join([path, *(str(p) for p in error["loc"])])
                    message = error["msg"].removeprefix("Value error, ")
                    raise ValueError(f"{where}: {message}") from None
            elif not isinstance(values, list):
                raise ValueError(
                    f"{path}: give a list of values or {{range: [low, high], samples: n}}"
                )
        return value

    @field_validator("search", mode="before")
    @classmethod
    def _search(cls, value):
        if value == "grid":
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((kind, options),) = value.items()
            model = {"random": RandomSearch, "optuna": OptunaSearch}.get(kind)
            if model is not None:
                try:
                    return model.model_validate(options or {})
                except ValidationError as exc:
                    error = exc.errors()[0]
                    where = ".".join([kind, *(str(p) for p in error["loc"])])
                    raise ValueError(f"{where}: {error['msg']}") from None
        raise ValueError("use grid, {random: {samples: n, seed: s}} or {optuna: {trials: n}}")

    @field_validator("objectives", mode="before")
    @classmethod
    def _objectives(cls, value):
        for k, item in enumerate(value if isinstance(value, list) else []):
            if not (
                isinstance(item, dict) and len(item) == 1 and set(item) <= {"minimise", "maximise"}
            ):
                raise ValueError(f"item {k}: write {{minimise: key}} or {{maximise: key}}")
        return value


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its spec, base scenario data and (for grid and random) every point."""

    path: Path
    spec: SweepSpec
    base_data: dict
    base_dir: Path
    points: list[dict] | None  # None for an Optuna search: points are asked as it goes
    summary_keys: list[str] = field(default_factory=list)

    @property
    def objectives(self) -> list[Objective]:
        return self.spec.objectives

    @property
    def total(self) -> int:
        search = self.spec.search
        return search.trials if isinstance(search, OptunaSearch) else len(self.points or [])

    def scenario(self, params: dict) -> Scenario:
        """The scenario of one point: the base with its parameter values set."""
        data = copy.deepcopy(self.base_data)
        for path, value in params.items():
            set_path(data, path, value)
        return validate_scenario(data, base_dir=self.base_dir)

    def fingerprint(self) -> str:
        """What must not change between a sweep and its resumption."""
        return json.dumps(
            {"spec": self.spec.model_dump(mode="json"), "base": self.base_data},
            sort_keys=True,
            default=str,
        )


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file; every error is a one-line SweepError naming file and line.

    Checks, before anything runs: the file's keys, each parameter path against the base
    scenario, each grid or random point's scenario, and each objective against the summary keys
    of a short probe run of the base scenario.
    """
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SweepError(f"{path}: YAML syntax error: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise SweepError(f"{path}: expected a mapping with base, parameters and objectives")

    def where(loc) -> str:
        line = _line_of(text, loc)
        return f"{path}:{line}" if line else str(path)

    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [p for p in error["loc"] if not str(p).startswith(("list[", "Range", "literal["))]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), list(SweepSpec.model_fields), n=1)
            message = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
        return _raise(f"{where(loc)}: {'.'.join(map(str, loc)) or 'sweep'}: {message}")

    base_file, base_data = _read_base(spec.base, path.parent)
    for key, value in spec.overrides.items():
        set_path(base_data, key, value)
    try:
        base = validate_scenario(base_data, base_dir=base_file.parent)
    except ScenarioError as exc:
        return _raise(f"{where(['base'])}: base scenario with overrides: {exc}")
    resolved = base.resolved()
    for name, values in spec.parameters.items():
        problem = _path_problem(resolved, name)
        if problem is None and _is_new_key(resolved, name):
            first = values.range[0] if isinstance(values, Range) else values[0]
            trial = copy.deepcopy(base_data)
            set_path(trial, name, first)
            try:
                validate_scenario(trial, base_dir=base_file.parent)
            except ScenarioError as exc:
                if "unknown key" in str(exc):
                    hint = str(exc).rsplit("unknown key", 1)[1]
                    problem = f"unknown path {name!r}: no such key in the scenario{hint}"
        if problem:
            return _raise(f"{where(['parameters', name])}: parameters: {problem}")

    sweep = Sweep(path, spec, base_data, base_file.parent, _points(spec))
    for k, params in enumerate(sweep.points or _corners(spec)):
        try:
            sweep.scenario(params)
        except ScenarioError as exc:
            reason = str(exc).removeprefix("scenario: ")
            return _raise(f"{where(['parameters'])}: point {k} {_short(params)}: {reason}")
    keys = probe_summary_keys(base)
    for k, objective in enumerate(spec.objectives):
        if objective.key not in keys:
            close = difflib.get_close_matches(objective.key, keys, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return _raise(
                f"{where(['objectives', k])}: objectives.{k}: {objective.key!r} is not a numeric "
                f"summary figure of the base scenario{hint}"
            )
    clash = set(spec.parameters) & {o.key for o in spec.objectives}
    if clash:
        return _raise(f"{path}: {sorted(clash)[0]!r} is both a parameter and an objective")
    return Sweep(path, spec, base_data, base_file.parent, sweep.points, keys)


def _raise(message: str):
    raise SweepError(message)


def _short(params: dict) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


def _read_base(base: str, folder: Path) -> tuple[Path, dict]:
    candidate = (folder / base).expanduser()
    if candidate.is_file():
        file = candidate.resolve()
    elif base in preset_names():
        file = preset_path(base)
    else:
        raise SweepError(
            f"base: {base}: no such file (beside the sweep file) or preset "
            f"(presets: {', '.join(preset_names())})"
        )
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SweepError(f"{file}: expected a mapping of scenario keys at the top level")
    return file, data


def _path_problem(resolved: dict, path: str) -> str | None:
    """Why path names nothing in the resolved base scenario, or None.

    Every step but the last must exist; the last may be a key left at its default, which the
    point's validation then checks.
    """
    node: Any = resolved
    parts = path.split(".")
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the scenario"
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"unknown path {path!r}: {here} is a list of {len(node)}; use an index"
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                if last:
                    return None
                close = difflib.get_close_matches(part, list(node), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"keys: {', '.join(node)}"
                return f"unknown path {path!r}: no {part!r} in {here}; {hint}"
            node = node[part]
        else:
            return f"unknown path {path!r}: {here} is a value, not a mapping or list"
    if isinstance(node, dict | list):
        return f"{path!r} is a whole mapping or list; vary one of its values"
    return None


def _is_new_key(resolved: dict, path: str) -> bool:
    try:
        get_path(resolved, path)
    except KeyError:
        return True
    return False


def set_path(data: dict, path: str, value: Any) -> None:
    """Set a dotted path (list indices as numbers) in nested data, adding missing mappings."""
    parts = path.split(".")
    node: Any = data
    for part, following in zip(parts[:-1], parts[1:], strict=True):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if node.get(part) is None:
                node[part] = [] if following.isdigit() else {}
            node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path; KeyError if there is none."""
    node = data
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(path)
    return node


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to every leaf of nested data."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def probe_summary_keys(scenario: Scenario) -> list[str]:
    """Numeric summary keys a run of this scenario produces (from a two-step probe run)."""
    short = scenario.model_copy(update={"duration": 2 * scenario.step})
    from orbitgrid.simulation import simulate

    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(short, out=Path(tmp) / "probe").summary
    return sorted(k for k, v in flatten(summary).items() if _number(v))


def _points(spec: SweepSpec) -> list[dict] | None:
    names = list(spec.parameters)
    search = spec.search
    if search == "grid":
        axes = [v.grid() if isinstance(v, Range) else list(v) for v in spec.parameters.values()]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]
    if isinstance(search, RandomSearch):
        rng = np.random.default_rng(search.seed)
        return [
            {name: _draw(rng, v) for name, v in spec.parameters.items()}
            for _ in range(search.samples)
        ]
    return None


def _draw(rng: np.random.Generator, values: list | Range) -> Any:
    if isinstance(values, list):
        return values[int(rng.integers(len(values)))]
    low, high = values.range
    if values.integer:
        return int(rng.integers(low, high + 1))
    return float(rng.uniform(low, high))


def _corners(spec: SweepSpec) -> list[dict]:
    """Points at the ends of every parameter's values: the checks made before a search."""
    ends = []
    for values in spec.parameters.values():
        v = values.range if isinstance(values, Range) else values
        ends.append([v[0], v[-1]])
    return [dict(zip(spec.parameters, ends_, strict=True)) for ends_ in zip(*ends, strict=True)]


# ---------------------------------------------------------------------------------------------
# Running on Ray


def _connect(address: str | None, workers: int | None) -> bool:
    """Start or join a Ray cluster unless one is joined already; True if this call did it."""
    import ray

    if ray.is_initialized():
        return False
    options: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False)
    if address is None:
        options["num_cpus"] = workers or None
    ray.init(address=address, **options)
    return True


def _slots(workers: int | None) -> int:
    import ray

    return max(1, workers or int(ray.cluster_resources().get("CPU", 1)))


def run_point(scenario: dict, base_dir: str, out: str | None) -> dict:
    """Run one point (on a worker) and return its summary; out=None keeps no run folder."""
    sc = validate_scenario(scenario, base_dir=Path(base_dir))
    from orbitgrid.simulation import simulate

    if out is None:
        with tempfile.TemporaryDirectory() as tmp:
            return simulate(sc, out=Path(tmp) / "run").summary
    target = Path(out)
    # left by a sweep killed after the run was written but before it was recorded
    for stale in [target, *target.parent.glob(f".{target.name}.partial-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    return simulate(sc, out=target).summary


@dataclass
class _Results:
    """The driver's side of sweep.duckdb: one row per point, committed as each finishes."""

    con: duckdb.DuckDBPyConnection
    sweep: Sweep
    rows: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, sweep: Sweep, resume: bool) -> _Results:
        exists = path.exists()
        if exists and not resume:
            raise SweepError(
                f"{path} exists: pass --resume to continue that sweep, or another --out"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        results = cls(con, sweep)
        if exists:
            try:
                stored = con.execute("select value from sweep where key = 'fingerprint'").fetchall()
            except duckdb.Error:
                stored = []
            if not stored or stored[0][0] != sweep.fingerprint():
                con.close()
                raise SweepError(
                    f"{path}: made by a different sweep file or base; use another --out"
                )
            for row in con.sql("select * from points").to_arrow_table().to_pylist():
                results.rows[row["point_id"]] = row
            return results
        columns = [
            "point_id INTEGER PRIMARY KEY",
            *(f"{_quote(p)} {_sql_type(v)}" for p, v in sweep.spec.parameters.items()),
            "status VARCHAR NOT NULL",
            "error VARCHAR",
            "attempts INTEGER NOT NULL",
            *(f"{_quote(o.key)} DOUBLE" for o in sweep.objectives),
            "seconds DOUBLE",
            "run_folder VARCHAR",
            "parameters VARCHAR NOT NULL",
            "summary VARCHAR",
        ]
        con.execute("begin")
        con.execute("create table sweep (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany(
            "insert into sweep values (?, ?)",
            [
                ["fingerprint", sweep.fingerprint()],
                ["file", str(sweep.path)],
                [
                    "objectives",
                    json.dumps([o.model_dump(exclude_none=True) for o in sweep.objectives]),
                ],
                ["parameters", json.dumps(list(sweep.spec.parameters))],
            ],
        )
        con.execute(f"create table points ({', '.join(columns)})")
        con.execute("commit")
        return results

    def record(self, point_id: int, params: dict, outcome: dict) -> dict:
        figures = outcome.get("summary") or {}
        row = {
            "point_id": point_id,
            **{p: _sql_value(params[p]) for p in self.sweep.spec.parameters},
            "status": outcome["status"],
            "error": outcome.get("error"),
            "attempts": outcome["attempts"],
            **{o.key: _objective(figures, o.key) for o in self.sweep.objectives},
            "seconds": outcome.get("seconds"),
            "run_folder": outcome.get("run_folder"),
            "parameters": json.dumps(params, sort_keys=True),
            "summary": json.dumps(figures, sort_keys=True) if figures else None,
        }
        marks = ", ".join("?" * len(row))
        self.con.execute(f"insert or replace into points values ({marks})", list(row.values()))
        self.rows[point_id] = row
        return row

    def close(self) -> None:
        self.con.execute("checkpoint")
        self.con.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(values: list | Range) -> str:
    sample = list(values.range) if isinstance(values, Range) else values
    if all(isinstance(v, bool) for v in sample):
        return "BOOLEAN"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in sample):
        return "BIGINT"
    if all(_number(v) for v in sample):
        return "DOUBLE"
    return "VARCHAR"


def _sql_value(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str) else json.dumps(value)


def _objective(summary: dict, key: str) -> float | None:
    try:
        value = get_path(summary, key)
    except KeyError:
        return None
    return float(value) if _number(value) else None


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
    results = _Results.open(out / SWEEP_DB, sweep, resume)
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
    results: _Results
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
        self.started = _connect(self.address, self.workers) or self.started
        slots = _slots(self.workers)
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
                    o.key for o in self.sweep.objectives if _objective(summary, o.key) is None
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


# ---------------------------------------------------------------------------------------------
# Results: the table, the Pareto front


def read_points(db: str | Path) -> tuple[pa.Table, list[dict], list[str]]:
    """The points table of a sweep database, its objectives and its parameter names."""
    db = Path(db)
    if not db.is_file():
        raise SweepError(f"{db}: file not found")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            meta = dict(con.execute("select key, value from sweep").fetchall())
            table = con.sql("select * from points order by point_id").to_arrow_table()
    except duckdb.Error as exc:
        raise SweepError(f"{db}: not a sweep database ({str(exc).splitlines()[0]})") from None
    return table, json.loads(meta["objectives"]), json.loads(meta["parameters"])


def pareto_front(values: np.ndarray, directions: Iterable[str]) -> np.ndarray:
    """Mask of the rows of values (points x objectives) that no other row dominates.

    directions holds "minimise" or "maximise" per column; rows with a NaN are never on it.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError("values must be shaped (points, objectives)")
    sign = np.array([1.0 if d == "minimise" else -1.0 for d in directions])
    v = v * sign
    ok = ~np.isnan(v).any(axis=1)
    w = v[ok]
    no_worse = (w[:, None, :] <= w[None, :, :]).all(axis=2)  # [j, i]: j no worse than i
    better = (w[:, None, :] < w[None, :, :]).any(axis=2)
    dominated = (no_worse & better).any(axis=0)
    front = np.zeros(len(v), dtype=bool)
    front[np.flatnonzero(ok)[~dominated]] = True
    return front


# ---------------------------------------------------------------------------------------------
# One large run split across workers by satellite blocks


def split_run(
    scenario: Scenario,
    out: str | Path,
    blocks: int | None = None,
    save: Iterable[str] = (),
    address: str | None = None,
    workers: int | None = None,
) -> Run:
    """Run a scenario as contiguous satellite blocks on Ray and merge them into one run folder.

    Per-satellite tables are concatenated in satellite order; tables with a `time` column (one
    row per step and satellite) are stably sorted by time, which restores the single-process
    row order. Summary figures are summed over blocks, except shared scenario keys and
    `*_fraction` / `*_mean` figures (weighted by satellites) and `max_*` / `min_*` figures.
    Stages that need every satellite at once (inter-satellite links) do not split this way.
    """
    import ray

    from orbitgrid.fleet import build_fleet

    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out}: already exists")
    n = len(build_fleet(scenario))
    started = _connect(address, workers)
    try:
        count = max(1, min(blocks or _slots(workers), n))
        edges = np.linspace(0, n, count + 1).round().astype(int)
        with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
            remote = ray.remote(num_cpus=1, max_retries=0)(_run_block)
            refs = [
                remote.remote(scenario, str(Path(tmp) / f"b{k:04d}"), list(save), int(a), int(b))
                for k, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True))
            ]
            parts = [Run(p) for p in ray.get(refs)]
            return merge_runs(parts, scenario, out)
    finally:
        if started:
            ray.shutdown()


def _run_block(scenario: Scenario, out: str, save: list[str], start: int, stop: int) -> str:
    from orbitgrid.simulation import simulate

    return str(simulate(scenario, out=out, save=save, satellites=slice(start, stop)).path)


def merge_runs(parts: list[Run], scenario: Scenario, out: str | Path) -> Run:
    """One run folder from the runs of consecutive satellite blocks (see split_run)."""
    names = sorted({t for p in parts for t in p.tables})
    with RunWriter(out) as writer:
        for name in names:
            tables = [p.table(name) for p in parts if name in p.tables]
            table = pa.concat_tables(tables).unify_dictionaries().combine_chunks()
            if "time" in table.column_names:
                order = pc.sort_indices(table, sort_keys=[("time", "ascending")])
                table = table.take(order)
            pq.write_table(table, writer._tmp / f"{name}.parquet")
        writer.write_yaml("scenario.yaml", scenario.resolved())
        summary = merge_summaries([p.summary for p in parts])
        summary["tables"] = writer.tables
        writer.write_json("summary.json", summary)
    return Run(writer.path)


def merge_summaries(parts: list[dict], weights: list[float] | None = None) -> dict:
    """The summary of a whole fleet from those of its satellite blocks (see split_run)."""
    weights = weights or [float(p.get("satellites", 1)) for p in parts]
    out: dict = {}
    for key, first in parts[0].items():
        values = [p.get(key) for p in parts]
        if key in _SHARED_KEYS or not all(_number(v) or isinstance(v, dict | list) for v in values):
            out[key] = first
        elif isinstance(first, list) and all(isinstance(x, dict) and "name" in x for x in first):
            out[key] = [
                merge_summaries([next(x for x in v if x["name"] == item["name"]) for v in values])
                for item in first
            ]
        elif isinstance(first, dict):
            out[key] = merge_summaries(values, weights)
        elif key.endswith(("_fraction", "_mean")):
            total = sum(weights)
            mean = sum(v * w for v, w in zip(values, weights, strict=True)) / total if total else 0
            out[key] = round(mean, 6)
        elif key.startswith("max_"):
            out[key] = max(values)
        elif key.startswith("min_"):
            out[key] = min(values)
        elif all(isinstance(v, int) for v in values):
            out[key] = sum(values)
        else:
            out[key] = round(math.fsum(values), 6)
    return out


# ---------------------------------------------------------------------------------------------
# The report: objectives against parameters, and the Pareto front

_UNITS = {
    "_km": "km",
    "_m": "m",
    "_m2": "m²",
    "_deg": "deg",
    "_hours": "h",
    "_s": "s",
    "_w": "W",
    "_kw": "kW",
    "_wh": "Wh",
    "_kg": "kg",
    "_bps": "bit/s",
    "_fraction": "fraction, 0-1",
    "_usd": "USD",
}


def axis_title(name: str) -> str:
    """A figure's name with its unit, read from the name's suffix: 'altitude_km [km]'."""
    last = name.rsplit(".", 1)[-1].lower()
    unit = next((u for suffix, u in _UNITS.items() if last.endswith(suffix)), None)
    if unit is None:
        unit = (
            "count" if last in {"satellites", "contacts", "eclipses"} or last.endswith("s") else "-"
        )
    return f"{name} [{unit}]"


def write_sweep_report(db: str | Path, out: str | Path | None = None) -> Path:
    """Write a self-contained HTML page: each objective against each parameter, and the Pareto
    front of the objectives (the best point when there is one objective). Returns its path."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    db = Path(db)
    table, objectives, parameters = read_points(db)
    out = Path(out) if out else db.with_name("sweep-report.html")
    keys = [next(iter(o.values())) for o in objectives]
    directions = [next(iter(o)) for o in objectives]
    rows = table.to_pylist()
    done = [r for r in rows if r["status"] == "done"]
    values = np.array([[np.nan if r[k] is None else r[k] for k in keys] for r in done], float)
    front = pareto_front(values.reshape(len(done), len(keys)), directions)
    labels = [f"point {r['point_id']}" for r in done]
    colours = ["crimson" if f else "steelblue" for f in front]

    grid = make_subplots(
        rows=len(keys),
        cols=len(parameters),
        subplot_titles=[f"{k} against {p}" for k in keys for p in parameters],
    )
    for i, key in enumerate(keys, start=1):
        for j, name in enumerate(parameters, start=1):
            grid.add_trace(
                go.Scatter(
                    x=[r[name] for r in done],
                    y=values[:, i - 1],
                    mode="markers",
                    text=labels,
                    marker={"color": colours, "size": 8},
                    showlegend=False,
                ),
                row=i,
                col=j,
            )
            grid.update_xaxes(title_text=axis_title(name), row=i, col=j)
            grid.update_yaxes(title_text=axis_title(key), row=i, col=j)
    grid.update_layout(
        title=f"Objectives against parameters ({len(done)} points; Pareto front in red)",
        height=350 * len(keys),
    )

    pareto = go.Figure()
    if len(keys) >= 2:
        order = np.argsort(values[front, 0])
        for on, colour, name in ((False, "steelblue", "dominated"), (True, "crimson", "front")):
            mask = front == on
            pareto.add_trace(
                go.Scatter(
                    x=values[mask, 0],
                    y=values[mask, 1],
                    mode="markers",
                    name=name,
                    text=[t for t, m in zip(labels, mask, strict=True) if m],
                    marker={"color": colour, "size": 9},
                )
            )
        pareto.add_trace(
            go.Scatter(
                x=values[front, 0][order],
                y=values[front, 1][order],
                mode="lines",
                line={"color": "crimson", "dash": "dot"},
                showlegend=False,
            )
        )
        title = f"Pareto front: {directions[0]} {keys[0]}, {directions[1]} {keys[1]}"
        pareto.update_layout(
            title=title, xaxis_title=axis_title(keys[0]), yaxis_title=axis_title(keys[1])
        )
    else:
        pareto.add_trace(
            go.Scatter(
                x=[r["point_id"] for r in done],
                y=values[:, 0],
                mode="markers",
                text=labels,
                marker={"color": colours, "size": 9},
            )
        )
        pareto.update_layout(
            title=f"{directions[0]} {keys[0]}: the best point in red",
            xaxis_title="point id [-]",
            yaxis_title=axis_title(keys[0]),
        )
    failed = [r for r in rows if r["status"] != "done"]
    best = "".join(
        f"<tr><td>{r['point_id']}</td>"
        + "".join(f"<td>{r[p]}</td>" for p in parameters)
        + "".join(f"<td>{r[k]:.6g}</td>" for k in keys)
        + "</tr>"
        for r, f in zip(done, front, strict=True)
        if f
    )
    head = "".join(f"<th>{h}</th>" for h in ["point", *parameters, *map(axis_title, keys)])
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Sweep report: {db}</title></head><body style='font-family:sans-serif'>"
        f"<h1>Sweep report</h1><p>{db}: {len(rows)} points, {len(done)} done, "
        f"{len(failed)} failed.</p>"
        + grid.to_html(full_html=False, include_plotlyjs=True, div_id="objectives")
        + pareto.to_html(full_html=False, include_plotlyjs=False, div_id="pareto")
        + f"<h2>Pareto front</h2><table border='1'><tr>{head}</tr>{best}</table>"
        + "</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
