"""One large run split across Ray workers by contiguous satellite blocks, merged back into one
run folder whose tables and summary equal the single-process run's."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from enum import Enum
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orbitgrid.results import Run, RunWriter
from orbitgrid.scenario import Scenario
from orbitgrid.sweep.runner import connect_ray, ray_slots
from orbitgrid.sweep.spec import SweepError


class Merge(Enum):
    """How one summary figure of a whole fleet follows from those of its satellite blocks."""

    SAME = "the same in every block"
    SUM = "summed"
    MEAN = "mean weighted by the block's satellites"
    MAX = "largest"


# Every figure a split run may merge, by its path in summary.json (`*` is an entry of a list of
# named items, matched by name). A figure missing here stops the merge rather than being
# guessed from its name. Figures of stages that need every satellite at once (network,
# sensing, ops) are absent: scenarios with them are not split (see whole_fleet_keys).
MERGE_RULES: dict[str, Merge] = {
    **dict.fromkeys(
        ("name", "epoch", "duration_s", "step_s", "seed", "ground_stations", "tables"), Merge.SAME
    ),
    **dict.fromkeys(
        ("satellites", "propagation_errors", "eclipses", "umbra_hours", "penumbra_hours",
         "contacts", "contact_hours"), Merge.SUM
    ),
    "constellations.*.name": Merge.SAME,
    "constellations.*.satellites": Merge.SUM,
    "constellations.*.shadow_fraction": Merge.MEAN,
    "constellations.*.contacts": Merge.SUM,
    "constellations.*.contact_hours": Merge.SUM,
    "physics.power_rows": Merge.SAME,
    "physics.constellations.*.name": Merge.SAME,
    **{
        f"physics.constellations.*.{figure}": Merge.SUM
        for figure in (
            "satellites", "energy_harvested_kwh", "energy_consumed_kwh", "energy_curtailed_kwh",
            "energy_stored_kwh", "energy_unmet_kwh", "throttled_hours",
            "radiation_events.seu", "radiation_events.sefi",
        )
    },
    "physics.constellations.*.energy_balance_error": Merge.MAX,
    **{
        f"physics.constellations.*.{figure}": Merge.MEAN  # per satellite
        for figure in (
            "sunlit_fraction", "mean_compute_w", "mean_compute_w_allowed", "upsets_per_day",
            "sefi_per_day", "host_sefi_per_day", "dose_rad_per_year", "sdc_per_day", "uecc_per_day",
            "bit_flips_per_day", "proton_flux_cm2_s", "electron_flux_cm2_s", "gcr_flux_cm2_s",
        )
    },
}


def whole_fleet_keys(scenario: Scenario) -> list[str]:
    """The scenario's keys whose stages need every satellite at once (links, routes, the space
    OS, sensing): a run with any of them is not split by satellites."""
    keys = [f"constellations.{k}.isl" for k, c in enumerate(scenario.constellations) if c.isl]
    return keys + [key for key in ("routes", "workload", "jobs_file", "sensing")
                   if getattr(scenario, key)]


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
    row order. Summary figures are merged by their rules in MERGE_RULES, so that every figure
    equals the single run's (to the precision summary.json keeps). A scenario with stages that
    need every satellite at once (whole_fleet_keys: links, routes, a workload, sensing) runs as
    one block: splitting it would cut its links and jobs at the block edges.
    """
    import ray

    from orbitgrid.fleet import build_fleet

    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out}: already exists")
    n = len(build_fleet(scenario))
    started = connect_ray(address, workers)
    try:
        count = 1 if whole_fleet_keys(scenario) else max(1, min(blocks or ray_slots(workers), n))
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
            writer.write_table(name, table)
        writer.write_yaml("scenario.yaml", scenario.resolved())
        summary = merge_summaries([p.summary for p in parts])
        summary["tables"] = writer.tables
        writer.write_json("summary.json", summary)
    return Run(writer.path)


def merge_summaries(parts: list[dict]) -> dict:
    """The summary of a whole fleet from those of its consecutive satellite blocks (split_run).

    Each figure is merged by its rule in MERGE_RULES; a figure without one is a SweepError
    naming it, never a guess. One block is the whole fleet: its summary is returned as is.
    """
    if len(parts) == 1:
        return dict(parts[0])
    return _merge(parts, "", [float(p.get("satellites", 0)) for p in parts])


def _merge(parts: list[dict], path: str, weights: list[float]) -> dict:
    out: dict = {}
    for key, first in parts[0].items():
        where = f"{path}.{key}" if path else key
        values = [p.get(key) for p in parts]
        rule = MERGE_RULES.get(where)
        if rule is not None:
            out[key] = _apply(rule, values, weights)
        elif isinstance(first, dict):
            out[key] = _merge(values, where, weights)
        elif isinstance(first, list) and all(isinstance(x, dict) and "name" in x for x in first):
            # a block lists the groups it has satellites in; blocks are in satellite order
            items = [x for v in values for x in v]
            names = list(dict.fromkeys(x["name"] for x in items))
            out[key] = []
            for name in names:
                same = [x for x in items if x["name"] == name]
                sats = [float(x.get("satellites", 0)) for x in same]
                out[key].append(_merge(same, f"{where}.*", sats))
        else:
            raise SweepError(
                f"split run: no rule to merge the blocks' figure {where!r} "
                "(add it to orbitgrid.sweep.split.MERGE_RULES)"
            )
    return out


def _apply(rule: Merge, values: list, weights: list[float]):
    if rule is Merge.SAME:
        return values[0]
    if rule is Merge.SUM:
        return sum(values) if all(isinstance(v, int) for v in values) else round(
            math.fsum(values), 6)
    if rule is Merge.MAX:
        return max(values)
    # a block without satellites of a group has no mean for it (NaN or None): weight 0
    pairs = [(v, w) for v, w in zip(values, weights, strict=True) if w > 0 and v is not None]
    total = sum(w for _, w in pairs)
    if not total:
        return values[0]
    return round(math.fsum(v * w for v, w in pairs) / total, 6)
