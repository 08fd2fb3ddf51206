"""The engine's result tables, built from its jobs and records after the event loop: jobs (one
row per job), schedule (one row per job and satellite interval), transfers (one row per link a
transfer or ring held)."""

from __future__ import annotations

import numpy as np

from orbitgrid.ops.job_state import Job, JobState

# a job's state in the jobs table: finished ones as they ended, the rest unfinished
TABLE_STATE = {JobState.DONE: "done", JobState.FAILED: "corrupted", JobState.PENDING: "pending",
               JobState.CANCELLED: "cancelled"}


def jobs_table(jobs: list[Job], names: list[str]) -> dict[str, np.ndarray]:
    names_arr = np.asarray(names, dtype=object)
    sats = [",".join(names_arr[j.last_sats if j.sats is None else j.sats].tolist())
            if (j.last_sats is not None or j.sats is not None) else "" for j in jobs]
    return {
        "job": np.array([j.id for j in jobs], dtype=object),
        "kind": np.array([j.kind for j in jobs], dtype=object),
        "arrival": np.array([j.arrival for j in jobs]),
        "start": np.array([j.start for j in jobs]),
        "end": np.array([j.end for j in jobs]),
        "satellites": np.array(sats, dtype=object),
        "state": np.array([TABLE_STATE.get(j.state, "unfinished") for j in jobs], dtype=object),
        "energy_j": np.array([j.energy for j in jobs]),
        "bytes_moved": np.array([j.bytes_moved for j in jobs]),
        "rollbacks": np.array([j.rollbacks for j in jobs], dtype=np.int64),
        "migrations": np.array([j.migrations for j in jobs], dtype=np.int64),
        "deadline_met": np.array([j.state is JobState.DONE and j.end <= j.deadline
                                  for j in jobs], dtype=bool),
        "work_flop": np.array([j.work for j in jobs]),
        "lost_flop": np.array([j.lost_flop for j in jobs]),
        "deadline": np.array([j.deadline for j in jobs]),
    }


def schedule_table(rows: list[tuple], jobs: list[Job], names: list[str]) -> dict[str, np.ndarray]:
    """rows: (job index, satellite, start, end), one per satellite a job held."""
    rows = sorted(rows, key=lambda r: (r[0], r[2], r[1]))
    return {
        "job": np.array([jobs[r[0]].id for r in rows], dtype=object),
        "satellite": np.array([names[r[1]] for r in rows], dtype=object),
        "start": np.array([r[2] for r in rows]),
        "end": np.array([r[3] for r in rows]),
    }


def transfers_table(rows: list[tuple], jobs: list[Job],
                    link_names: list[str]) -> dict[str, np.ndarray]:
    """rows: (link index, job index, start, end, bytes, kind), one per transfer and link held
    and per piece of a ring on a terminal."""
    rows = sorted(rows, key=lambda r: (r[0], r[2], r[1]))
    return {
        "link": np.array([link_names[r[0]] for r in rows], dtype=object),
        "job": np.array([jobs[r[1]].id for r in rows], dtype=object),
        "start": np.array([r[2] for r in rows], dtype=float),
        "end": np.array([r[3] for r in rows], dtype=float),
        "bytes": np.array([r[4] for r in rows], dtype=float),
        "kind": np.array([r[5] for r in rows], dtype=object),
    }
