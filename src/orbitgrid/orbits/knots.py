"""The knot grid: the times at which the fleet is propagated (SGP4), Hermite in between.

Apart from trajectory.py (compiled kernels) so that the run's budget can count knots without
loading numba.
"""

from __future__ import annotations

import numpy as np

# Knots every 120 s keep interpolation within 10 m of SGP4 in LEO (trajectory.py).
MAX_KNOT_STEP_S = 120.0


def knot_times(start_s: float, end_s: float, max_step_s: float = MAX_KNOT_STEP_S) -> np.ndarray:
    """Evenly spaced knot times covering [start, end], spacing at most max_step_s."""
    count = max(int(np.ceil((end_s - start_s) / max_step_s - 1e-9)), 1)
    return np.linspace(start_s, end_s, count + 1)
