"""One large run split across Ray workers by contiguous satellite blocks, merged back into one
run folder whose tables and summary equal the single-process run's."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orbitgrid.results import Run, RunWriter
from orbitgrid.scenario import Scenario
from orbitgrid.sweep.paths import is_number
from orbitgrid.sweep.runner import connect_ray, ray_slots

# Summary keys that are the same in every block of a split run (not summed).
_SHARED_KEYS = {"name", "epoch", "duration_s", "step_s", "seed", "ground_stations", "tables"}


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
    started = connect_ray(address, workers)
    try:
        count = max(1, min(blocks or ray_slots(workers), n))
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
        mergeable = all(is_number(v) or isinstance(v, dict | list) for v in values)
        if key in _SHARED_KEYS or not mergeable:
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
