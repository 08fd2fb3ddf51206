"""Trade studies on Ray: sweeps, searches, the Pareto front, and one run split by satellites.

A sweep file names a base scenario, parameters to vary by dotted path into it (list indices
included), a search (grid, random with a seed, or Optuna) and objectives: dotted paths into the
summary.json of a run, so that figures added by later stages plug in without change. Each point
is a full run in a Ray task (a local cluster by default, an existing one by address, same code).
Only the driver writes the results database, sweep.duckdb, one row per point, committed as each
point finishes: a killed sweep resumes with resume=True, skipping recorded points, losing none.

Modules: spec (the sweep file and its points), paths (dotted paths), runner (Ray), store
(sweep.duckdb), pareto (the front), split (one run split by satellites), report (HTML).
"""

from orbitgrid.sweep.pareto import pareto_front
from orbitgrid.sweep.paths import flatten, get_path, set_path
from orbitgrid.sweep.report import axis_title, write_sweep_report
from orbitgrid.sweep.runner import KEEP, Progress, run_point, run_sweep
from orbitgrid.sweep.spec import (
    Objective,
    OptunaSearch,
    RandomSearch,
    Range,
    Sweep,
    SweepError,
    SweepSpec,
    load_sweep,
    probe_summary_keys,
)
from orbitgrid.sweep.split import merge_runs, merge_summaries, split_run, whole_fleet_keys
from orbitgrid.sweep.store import SWEEP_DB, read_points

__all__ = [
    "KEEP",
    "SWEEP_DB",
    "Objective",
    "OptunaSearch",
    "Progress",
    "RandomSearch",
    "Range",
    "Sweep",
    "SweepError",
    "SweepSpec",
    "axis_title",
    "flatten",
    "get_path",
    "load_sweep",
    "merge_runs",
    "merge_summaries",
    "pareto_front",
    "probe_summary_keys",
    "read_points",
    "run_point",
    "run_sweep",
    "set_path",
    "split_run",
    "whole_fleet_keys",
    "write_sweep_report",
]
