"""The space operating system: jobs, a discrete-event scheduler over the environment's
timelines, placement policies, data movement and faults (the pipeline's Operations stage)."""

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
