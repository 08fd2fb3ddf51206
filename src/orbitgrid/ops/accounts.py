"""Where each satellite's allowed compute went: the engine's share of the delivered-compute
waterfall (ops.report turns it into FLOP and the summary).

Per satellite, capacity-seconds (seconds at full rate, scaled by what power and heat allowed)
spent in each bucket while jobs held it or it was down:
  staging       waiting for data: input or checkpoints moving, a ring waiting for its links
  restore_ckpt  reading checkpoints back and writing them
  lost          work rolled back by upsets and interrupts
  redundancy    the replicas' share of kept work (r - 1 of r)
  comm          kept work's share spent in the ring all-reduce (1 - eta)
  delivered     kept work that went to jobs
  down          satellite down after a functional interrupt
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from orbitgrid.ops.compute import Progress

BUCKETS = ("staging", "restore_ckpt", "lost", "redundancy", "comm", "delivered", "down")


class Accounts:
    """The buckets, each an (N,) array (OpsResult.accounts), summed in plain floats per event
    (numpy scalars cost more; the same additions)."""

    def __init__(self, n: int):
        self.lists = {k: [0.0] * n for k in BUCKETS}

    @property
    def sat_s(self) -> dict[str, np.ndarray]:
        return {k: np.array(v) for k, v in self.lists.items()}

    def waited(self, s: int, amount: float) -> None:
        self.lists["staging"][s] += amount

    def down(self, s: int, amount: float) -> None:
        self.lists["down"][s] += amount

    def computed(self, sats: Iterable[int], p: Progress, redundancy: int) -> None:
        """A closed segment's progress on each of its satellites."""
        a, r = self.lists, redundancy
        for s in sats:
            a["restore_ckpt"][s] += p.checkpoint
            a["lost"][s] += p.lost
            a["redundancy"][s] += p.saved * (r - 1) / r
            a["comm"][s] += p.saved / r * (1 - p.eta)
            a["delivered"][s] += p.saved / r * p.eta
