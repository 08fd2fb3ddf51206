"""The Pareto front of a sweep's points."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def pareto_front(values: np.ndarray, directions: Iterable[str]) -> np.ndarray:
    """Mask of the rows of values (points x objectives) that no other row dominates.

    directions holds "minimise" or "maximise" per column; rows with a NaN are never on it.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError("values must be shaped (points, objectives)")
    sign = np.array([1.0 if d == "minimise" else -1.0 for d in directions])
    v = v * sign
    ok = ~np.isnan(v).any(axis=1)
    w = v[ok]
    no_worse = (w[:, None, :] <= w[None, :, :]).all(axis=2)  # [j, i]: j no worse than i
    better = (w[:, None, :] < w[None, :, :]).any(axis=2)
    dominated = (no_worse & better).any(axis=0)
    front = np.zeros(len(v), dtype=bool)
    front[np.flatnonzero(ok)[~dominated]] = True
    return front
