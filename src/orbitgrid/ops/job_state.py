"""A job inside the engine: its description, its state (JobState) and the records of its state
changes (StateChange) that a service persists and publishes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from orbitgrid.ops.compute import Segment
    from orbitgrid.ops.links import Ring

JobId = str


class JobState(StrEnum):
    """Where a job is in its life. Values are the names a service shows."""

    PENDING = "pending"  # submitted, its arrival still ahead
    QUEUED = "queued"  # arrived, waiting for satellites
    STAGING = "staging"  # placed: its input or checkpoint on the way to its satellites
    RUNNING = "running"  # computing
    PAUSED = "paused"  # taken off its satellites (interrupt, migration), waiting to be placed again
    DOWNLINK = "downlink"  # computed: its results on the way to the ground
    DONE = "done"
    FAILED = "failed"  # finished with a corrupted result (an upset nothing detected)
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobFinishedError(ValueError):
    """A request (cancel) on a job that has already finished."""


@dataclass(frozen=True, slots=True)
class StateChange:
    """One job's change of state at time_s (s after the epoch), on satellites (names: the ones
    it holds, or for downlink, done, failed and cancelled the ones it last ran on)."""

    job: JobId
    state: JobState
    time_s: float
    satellites: tuple[str, ...]


class Job:
    """One job's static description and its state in the engine."""

    __slots__ = ("index", "id", "kind", "precision", "work", "arrival", "deadline", "priority",
                 "min_satellites", "max_satellites", "input_bytes", "output_bytes",
                 "checkpoint_bytes", "home", "from_ground", "state", "sats", "last_sats",
                 "version", "done_flop", "input_done", "start", "end", "compute_end", "energy",
                 "bytes_moved", "rollbacks", "migrations", "lost_flop", "corrupted", "seg",
                 "placed", "ring")

    def __init__(self, index: int, row: Mapping[str, Any], home: int):
        self.index = index
        self.id: JobId = str(row["id"])
        self.kind = str(row["kind"])
        self.precision = str(row["precision"])
        self.work = float(row["work_flop"])
        self.arrival = float(row["arrival"])
        self.deadline = float(row["deadline"])
        self.priority = int(row["priority"])
        self.min_satellites = int(row["min_satellites"])
        self.max_satellites = int(row["max_satellites"])
        self.input_bytes = float(row["input_bytes"])
        self.output_bytes = float(row["output_bytes"])
        self.checkpoint_bytes = float(row["checkpoint_bytes"])
        self.home = home
        self.from_ground = home < 0 and self.input_bytes > 0
        self.state = JobState.PENDING
        self.sats: np.ndarray | None = None
        self.last_sats: np.ndarray | None = None
        self.version = 0
        self.done_flop = 0.0
        self.input_done = self.input_bytes == 0
        self.start = np.nan
        self.end = np.nan
        self.compute_end = np.nan
        self.energy = 0.0
        self.bytes_moved = 0.0
        self.rollbacks = 0
        self.migrations = 0
        self.lost_flop = 0.0
        self.corrupted = False
        self.seg: Segment | None = None
        self.placed = np.nan
        self.ring: Ring | None = None
