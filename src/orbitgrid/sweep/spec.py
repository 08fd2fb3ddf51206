"""The sweep file: its schema, the checks made before anything runs, and its points.

A sweep names a base scenario, parameters to vary by dotted path into it (list indices
included), a search (grid, random with a seed, or Optuna) and objectives: dotted paths into the
summary.json of a run. Every error is a one-line SweepError naming the file and line.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orbitgrid.errors import ScenarioError
from orbitgrid.scenario import (
    Scenario,
    _line_of,
    preset_names,
    preset_path,
    validate_scenario,
)
from orbitgrid.sweep.paths import flatten, get_path, is_number, set_path


class SweepError(ScenarioError):
    """A bad sweep file or sweep request, in one line."""


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


def probe_summary_keys(scenario: Scenario) -> list[str]:
    """Numeric summary keys a run of this scenario produces (from a two-step probe run)."""
    short = scenario.model_copy(update={"duration": 2 * scenario.step})
    from orbitgrid.simulation import simulate

    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(short, out=Path(tmp) / "probe").summary
    return sorted(k for k, v in flatten(summary).items() if is_number(v))


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
