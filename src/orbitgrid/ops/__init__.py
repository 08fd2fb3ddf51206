"""The space operating system: jobs, a discrete-event scheduler over the environment's
timelines, placement policies, data movement and faults (the pipeline's Operations stage).

The public names are imported from their modules on first use (PEP 562): the scenario reads the
`workload:` schema (ops.jobs) without loading the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orbitgrid.ops.engine import Engine, JobStatus, OpsResult, Protection, run_ops
    from orbitgrid.ops.job_state import JobFinishedError, JobId, JobState, StateChange
    from orbitgrid.ops.jobs import COLUMNS, JobGenerator, Workload, make_jobs, read_jobs_file
    from orbitgrid.ops.policies import BUILT_IN, Policy, load_policy
    from orbitgrid.ops.timelines import Timelines, ring_allreduce_s, young_daly_s

__all__ = [
    "BUILT_IN",
    "COLUMNS",
    "Engine",
    "JobFinishedError",
    "JobGenerator",
    "JobId",
    "JobState",
    "JobStatus",
    "OpsResult",
    "Policy",
    "Protection",
    "StateChange",
    "Timelines",
    "Workload",
    "load_policy",
    "make_jobs",
    "read_jobs_file",
    "ring_allreduce_s",
    "run_ops",
    "young_daly_s",
]


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module 'orbitgrid.ops' has no attribute {name!r}")
    # a function-level import (tests/test_imports.py reads it as edges), at the first use
    from orbitgrid.ops import engine, job_state, jobs, policies, timelines

    home = next(m for m in (engine, job_state, jobs, policies, timelines) if hasattr(m, name))
    value = globals()[name] = getattr(home, name)  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
