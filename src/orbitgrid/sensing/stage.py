"""The sensing stage: the alert model (sensing.alerts) fed with the run's chunks; at the end it
writes alerts.parquet and hands on an Alerts result (the space OS's imaging arrivals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from orbitgrid.sensing.alerts import AlertModel, summarise

if TYPE_CHECKING:
    from orbitgrid.pipeline import Chunk, Gone, RunContext

__all__ = ["Alerts", "SensingStage"]


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class Alerts:
    """The sensing stage's result: the alerts table, its figures for summary.json, and each
    imaged event's first image: its time (s after the epoch) and satellite name."""

    table: pa.Table
    figures: dict[str, Any]
    image_time_s: np.ndarray
    image_satellite: np.ndarray

    @classmethod
    def of(cls, table: pa.Table, epoch: np.datetime64) -> Alerts:
        imaged = np.asarray(table.column("satellite").is_valid())
        ms = table.column("image_time").cast(pa.int64()).to_numpy(zero_copy_only=False)
        epoch_ms = epoch.astype("datetime64[ms]").astype(np.int64)
        names = np.asarray(table.column("satellite").to_pylist(), dtype=object)
        return cls(table, summarise(table), (ms[imaged] - epoch_ms) / 1e3, names[imaged])


class SensingStage:
    """Active when the scenario has a `sensing:` block; takes chunks, not blocks of steps."""

    def __init__(self, run: RunContext):
        self.run = run
        self.model = AlertModel(run.world)

    @classmethod
    def create(cls, run: RunContext) -> SensingStage | None:
        return cls(run) if run.scenario.sensing is not None else None

    def chunk(self, chunk: Chunk) -> None:
        self.model.add(chunk)

    def finish(self, gone: Gone) -> Alerts:
        """Write alerts.parquet; the alerts for the stages after (gone: the run's record)."""
        table = self.model.table(gone.first_error_s)
        self.run.writer.write_table("alerts", table)
        return Alerts.of(table, self.run.world.epoch)
