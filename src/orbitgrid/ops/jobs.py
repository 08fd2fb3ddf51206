"""Jobs: the columns of a workload, a jobs file (CSV or Parquet) and the scenario's generators.

A workload is a dict of equal-length numpy columns (``COLUMNS``), one job a row; times are
seconds after the scenario epoch, sizes bytes, work in operations (FLOP or int8 ops).
Generators: Poisson or diurnal arrivals of LLM training (6 N D FLOP), inference requests
(2 N FLOP per token), image tiles from imaging satellites (sensing) and plain batch jobs; and
`arrivals: imaging`, one sensing job per image the scenario's `sensing:` block takes (see
ImagePasses).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orbitgrid.errors import ScenarioError
from orbitgrid.units import Seconds

KINDS = ("training", "inference", "batch", "sensing")
PRECISIONS = ("fp8", "bf16", "fp16", "fp32", "int8")
# column -> (dtype, default; None: required)
COLUMNS: dict[str, tuple[str, Any]] = {
    "id": ("U64", None),
    "kind": ("U16", None),
    "work_flop": ("f8", None),
    "precision": ("U8", "bf16"),
    "memory_bytes": ("f8", 0.0),
    "input_bytes": ("f8", 0.0),
    "input_at": ("U64", ""),
    "output_bytes": ("f8", 0.0),
    "arrival": ("f8", None),
    "deadline": ("f8", np.inf),
    "priority": ("i8", 0),
    "checkpoint_bytes": ("f8", 0.0),
    "min_satellites": ("i8", 1),
    "max_satellites": ("i8", 0),  # 0: same as min_satellites
}
# Training state per parameter: bf16 weights and gradients, fp32 master weights and Adam moments.
CHECKPOINT_BYTES_PER_PARAM = 16.0
GRADIENT_BYTES_PER_PARAM = 2.0

Jobs = dict[str, np.ndarray]



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JobGenerator(_Model):
    """One stream of jobs. Rates are mean arrivals per hour; sizes in bytes, work in FLOP.

    arrivals "imaging" (kind sensing only): one job per image of the scenario's `sensing:` block
    (the first image of each event, from orbitgrid's own imaging passes), arriving when the image
    is taken, its input (sensing image_bytes) on the imaging satellite, its work the sensing
    model's inference_ops at sensing.precision, its output the alert (alert_kb) unless
    output_bytes is given; tile_pixels, flop_per_pixel, bytes_per_pixel, precision and the rate
    keys do not apply.
    """

    kind: Literal["training", "inference", "batch", "sensing"]
    arrivals: Literal["poisson", "diurnal", "once", "imaging"] = "poisson"
    rate_per_h: float = Field(1.0, gt=0)
    count: int = Field(1, ge=1)  # jobs at `start` when arrivals is "once"
    start: Seconds = 0.0
    peak_hour_utc: float = Field(14.0, ge=0, le=24)  # diurnal: busiest hour
    amplitude: float = Field(0.8, ge=0, le=1)  # diurnal: rate x (1 + A cos(...))
    precision: Literal["fp8", "bf16", "fp16", "fp32", "int8"] = "bf16"
    parameters: float | None = Field(None, gt=0)  # model size N (training, inference)
    tokens: float | None = Field(None, gt=0)  # training: dataset D; inference: per request
    work_flop: float | None = Field(None, gt=0)  # batch
    tile_pixels: float = Field(1e8, gt=0)  # sensing
    flop_per_pixel: float = Field(1e5, gt=0)
    bytes_per_pixel: float = Field(2.0, gt=0)
    input_bytes: float = Field(0.0, ge=0)
    output_bytes: float = Field(0.0, ge=0)
    input_at: str = ""
    deadline: Seconds | None = None  # after arrival
    priority: int = 0
    satellites: int = Field(1, ge=1)  # training: data-parallel width
    checkpoint_bytes: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _imaging_is_sensing(self) -> JobGenerator:
        if self.arrivals == "imaging" and self.kind != "sensing":
            raise ValueError(f"arrivals imaging makes sensing jobs, not {self.kind}")
        return self


@dataclass(frozen=True)
class ImagePasses:
    """Images taken by imaging satellites: time_s (after the epoch), satellite names; per
    image input_bytes, work_flop (inference), precision and output_bytes (the alert)."""

    time_s: np.ndarray
    satellite: np.ndarray
    input_bytes: float
    work_flop: float
    precision: str
    output_bytes: float


class Workload(_Model):
    """Scenario key `workload:`: generators, the placement policy and fault protection."""

    policy: str = "first-fit"
    generators: list[JobGenerator] = []
    redundancy: Literal[1, 2, 3] = 1
    checkpoint_interval: Seconds | None = None  # None: Young/Daly
    checkpoint_write_bps: float = Field(8e9, gt=0)
    sefi_recovery: Seconds = 300.0
    tokens_per_step: float = Field(4_194_304.0, gt=0)  # global batch of distributed training
    max_jobs: int = Field(1_000_000, ge=1)


def empty_jobs(n: int = 0) -> Jobs:
    return {k: np.full(n, d, dtype=t) if d is not None else np.zeros(n, t)
            for k, (t, d) in COLUMNS.items()}


def concat(parts: list[Jobs]) -> Jobs:
    parts = [p for p in parts if len(p["id"])]
    if not parts:
        return empty_jobs()
    return {k: np.concatenate([p[k] for p in parts]).astype(COLUMNS[k][0]) for k in COLUMNS}


def make_jobs(**columns) -> Jobs:
    """A workload from column values (scalars broadcast); defaults fill the rest."""
    n = max(np.size(v) for v in columns.values())
    jobs = empty_jobs(n)
    for k, v in columns.items():
        if k not in COLUMNS:
            raise ValueError(f"unknown job column {k!r} (known: {', '.join(COLUMNS)})")
        jobs[k] = np.broadcast_to(np.asarray(v, dtype=COLUMNS[k][0]), (n,)).copy()
    if "id" not in columns:
        jobs["id"] = np.array([f"job{i}" for i in range(n)], dtype=COLUMNS["id"][0])
    return _normalise(jobs)


def _normalise(jobs: Jobs) -> Jobs:
    jobs["max_satellites"] = np.maximum(jobs["max_satellites"], jobs["min_satellites"])
    order = np.lexsort((np.arange(len(jobs["id"])), jobs["arrival"]))
    return {k: v[order] for k, v in jobs.items()}


# --- jobs file --------------------------------------------------------------------------------


def read_jobs_file(path: str | Path, epoch: datetime) -> Jobs:
    """Jobs from CSV or Parquet; a bad value raises ScenarioError naming file:line and column."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        header = list(rows[0]) if rows else []
        first = 1  # Parquet rows are numbered from 1
    else:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = list(reader.fieldnames or [])
        first = 2  # line 1 is the header
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ScenarioError(
            f"{path}:1: unknown column {unknown[0]!r} (known: {', '.join(COLUMNS)})"
        )
    missing = [k for k, (_, d) in COLUMNS.items() if d is None and k not in header]
    if missing:
        raise ScenarioError(f"{path}:1: missing column {missing[0]!r}")
    jobs = empty_jobs(len(rows))
    for i, row in enumerate(rows):
        for k, value in row.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                if COLUMNS[k][1] is None:
                    raise ScenarioError(f"{path}:{i + first}: {k}: a value is required")
                continue
            try:
                jobs[k][i] = _parse(k, value, epoch)
            except (TypeError, ValueError) as exc:
                raise ScenarioError(f"{path}:{i + first}: {k}: {exc}") from None
    if len(set(jobs["id"].tolist())) != len(rows):
        raise ScenarioError(f"{path}: job ids must be unique")
    return _normalise(jobs)


def _parse(column: str, value: Any, epoch: datetime) -> Any:
    kind = COLUMNS[column][0]
    if column in ("arrival", "deadline"):
        return _seconds(value, epoch)
    if column == "kind" and value not in KINDS:
        raise ValueError(f"unknown kind {value!r} (choose from {', '.join(KINDS)})")
    if column == "precision" and value not in PRECISIONS:
        raise ValueError(f"unknown precision {value!r} (choose from {', '.join(PRECISIONS)})")
    if kind.startswith("U"):
        return str(value).strip()
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a non-negative number, got {value!r}") from None
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"expected a non-negative number, got {value!r}")
    if kind == "i8":
        if number != int(number):
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(number)
    return number


def _seconds(value: Any, epoch: datetime) -> float:
    if isinstance(value, datetime):
        t = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (t - epoch).total_seconds()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {value!r} as seconds after the epoch or a UTC time"
        ) from None
    return _seconds(t, epoch)


# --- generators -------------------------------------------------------------------------------


def arrival_times(gen: JobGenerator, duration_s: float, epoch: datetime,
                  rng: np.random.Generator) -> np.ndarray:
    """Arrival times (s after epoch) in [start, duration): Poisson, diurnal (thinned) or once."""
    if gen.arrivals == "once":
        return np.full(gen.count, gen.start)
    rate = gen.rate_per_h / 3600.0
    top = rate * (1 + gen.amplitude) if gen.arrivals == "diurnal" else rate
    span = max(duration_s - gen.start, 0.0)
    n = rng.poisson(top * span)
    t = np.sort(gen.start + rng.uniform(0.0, span, n))
    if gen.arrivals == "diurnal":
        hour0 = epoch.hour + epoch.minute / 60 + epoch.second / 3600
        hour = (hour0 + t / 3600.0) % 24
        wave = 1 + gen.amplitude * np.cos(2 * np.pi * (hour - gen.peak_hour_utc) / 24)
        t = t[rng.uniform(0.0, top, n) < rate * wave]
    return t


def image_jobs(gen: JobGenerator, index: int, images: ImagePasses | None) -> Jobs:
    """One sensing job per image (arrivals imaging)."""
    where = f"workload.generators.{index}"
    if images is None:
        raise ScenarioError(f"{where}: arrivals imaging needs a sensing: block (the images)")
    n = len(images.time_s)
    if n == 0:
        return empty_jobs()
    return make_jobs(
        id=np.array([f"g{index}-{i}" for i in range(n)]), kind="sensing",
        arrival=images.time_s, input_at=images.satellite, input_bytes=images.input_bytes,
        work_flop=images.work_flop, precision=images.precision,
        output_bytes=gen.output_bytes or images.output_bytes, priority=gen.priority,
        deadline=images.time_s + gen.deadline if gen.deadline is not None else np.inf,
        checkpoint_bytes=gen.checkpoint_bytes or 0.0,
    )


def generate(gen: JobGenerator, index: int, duration_s: float, epoch: datetime,
             seed: int, satellites: list[str], images: ImagePasses | None = None) -> Jobs:
    """The jobs of one generator, seeded by (seed, index)."""
    if gen.arrivals == "imaging":
        return image_jobs(gen, index, images)
    rng = np.random.default_rng([seed, 5, index])
    t = arrival_times(gen, duration_s, epoch, rng)
    n = len(t)
    where = f"workload.generators.{index}"
    cols: dict[str, Any] = {"arrival": t, "kind": gen.kind, "precision": gen.precision,
                            "input_bytes": gen.input_bytes, "output_bytes": gen.output_bytes,
                            "input_at": gen.input_at, "priority": gen.priority}
    if gen.kind == "training":
        if gen.parameters is None or gen.tokens is None:
            raise ScenarioError(f"{where}: training needs parameters and tokens")
        cols["work_flop"] = 6.0 * gen.parameters * gen.tokens
        cols["checkpoint_bytes"] = (gen.checkpoint_bytes if gen.checkpoint_bytes is not None
                                    else CHECKPOINT_BYTES_PER_PARAM * gen.parameters)
        cols["memory_bytes"] = CHECKPOINT_BYTES_PER_PARAM * gen.parameters
        cols["min_satellites"] = gen.satellites
    elif gen.kind == "inference":
        if gen.parameters is None or gen.tokens is None:
            raise ScenarioError(f"{where}: inference needs parameters and tokens per request")
        cols["work_flop"] = 2.0 * gen.parameters * gen.tokens
        cols["memory_bytes"] = 2.0 * gen.parameters
    elif gen.kind == "sensing":
        cols["work_flop"] = gen.tile_pixels * gen.flop_per_pixel
        cols["input_bytes"] = gen.tile_pixels * gen.bytes_per_pixel
        if not gen.input_at and satellites:
            cols["input_at"] = np.asarray(satellites)[rng.integers(0, len(satellites), n)]
    else:
        if gen.work_flop is None:
            raise ScenarioError(f"{where}: batch needs work_flop")
        cols["work_flop"] = gen.work_flop
    if gen.checkpoint_bytes is not None and gen.kind != "training":
        cols["checkpoint_bytes"] = gen.checkpoint_bytes
    cols["deadline"] = t + gen.deadline if gen.deadline is not None else np.inf
    cols["id"] = np.array([f"g{index}-{i}" for i in range(n)])
    if n == 0:
        return empty_jobs()
    return make_jobs(**cols)


def workload_jobs(workload: Workload | None, jobs_file: Path | None, duration_s: float,
                  epoch: datetime, seed: int, satellites: list[str],
                  images: ImagePasses | None = None) -> Jobs:
    """All jobs of a scenario: the jobs file's, then each generator's, ordered by arrival."""
    parts = []
    if jobs_file is not None:
        parts.append(read_jobs_file(jobs_file, epoch))
    for k, gen in enumerate(workload.generators if workload else []):
        parts.append(generate(gen, k, duration_s, epoch, seed, satellites, images))
    jobs = _normalise(concat(parts))
    limit = workload.max_jobs if workload else Workload().max_jobs
    if len(jobs["id"]) > limit:
        raise ScenarioError(f"workload: {len(jobs['id'])} jobs, more than max_jobs ({limit})")
    return jobs
