"""Placement rules the engine applies around the policy: which free satellites a job's data can
reach, and which ones the first job waiting for several satellites holds.

The first job that waits for several satellites holds the free ones of the cluster where it can
soonest fit: jobs behind it may not take them, so a stream of single-satellite jobs cannot
starve a cluster job (no backfilling onto held satellites).
"""

from __future__ import annotations

import numpy as np

from orbitgrid.ops.job_state import Job


def reachable(j: Job, cand: np.ndarray, has_isl: np.ndarray) -> np.ndarray:
    """The candidates j's data can reach: where its input (or last checkpoint) is, or, when that
    satellite has ISLs, any satellite with ISLs; only satellites with ISLs for a job on several
    (its all-reduce)."""
    if j.min_satellites > 1:
        cand = cand[has_isl[cand]]
    src = j.home if not j.input_done else -1
    if src < 0 and j.done_flop > 0 and j.last_sats is not None and j.checkpoint_bytes > 0:
        src = int(j.last_sats[0])
    if src < 0:
        return cand
    if not has_isl[src]:
        return cand[cand == src]
    ok = has_isl[cand] | (cand == src)
    return cand if ok.all() else cand[ok]


def held(j: Job, pool: np.ndarray, group: np.ndarray | None, has_isl: np.ndarray) -> np.ndarray:
    """Free satellites to keep for j, the first job in the queue that waits for several: those of
    pool in the cluster (group) with the most of them, among clusters with enough satellites
    that can join (ISLs) to ever hold j. Each freed satellite of that cluster is kept until j
    fits."""
    if not len(pool):
        return pool
    group = group if group is not None else np.zeros(len(has_isl), np.int64)
    size = np.bincount(group[has_isl], minlength=group.max() + 1)
    in_pool = np.bincount(group[pool], minlength=len(size))
    in_pool[size < j.min_satellites] = 0
    g = int(np.argmax(in_pool))
    return pool[group[pool] == g] if in_pool[g] else pool[:0]
