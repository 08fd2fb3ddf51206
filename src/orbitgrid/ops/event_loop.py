"""The engine's clock: a heap of events keyed on (time, priority, sequence).

Ties resolve the same way every run: at equal times the lower priority goes first, then the
event scheduled first. An event is a small tuple (time_s, priority, sequence, a, b) whose
handler the engine picks by priority; a and b are its arguments (a job or satellite index, a
version or flag). As in SimPy's Environment.run(until), running to a time processes the events
strictly before it, so an event scheduled for that very time (a job submitted now) is processed
with the others of its time on the next run.
"""

from __future__ import annotations

import heapq
import math
from enum import IntEnum


class Priority(IntEnum):
    """Kinds of events, in the order they are processed at equal times."""

    FINISH = 0  # a job's compute is done
    STAGED = 1  # a job's input and checkpoint are at its satellites
    DOWNLINKED = 2  # a job's results are on the ground
    UP = 3  # a satellite is back after a functional interrupt
    FAULT = 4  # a radiation upset or functional interrupt
    ECLIPSE_IN = 5
    ECLIPSE_OUT = 6
    ARRIVAL = 7  # a job arrives
    WAKE = 8  # a scheduling pass at this time (satellites freed from outside, e.g. a cancel)


class EventLoop:
    """The heap, the time of the event being processed (now_s) and the count of events popped."""

    __slots__ = ("heap", "seq", "now_s", "count")

    def __init__(self, start_s: float):
        self.heap: list[tuple[float, int, int, int, int]] = []
        self.seq = 0
        self.now_s = float(start_s)
        self.count = 0

    def reserve(self) -> int:
        """A sequence number for an event whose time is not known yet: pushed later with it,
        it keeps its place among ties as if it had been pushed now."""
        self.seq += 1
        return self.seq - 1

    def push(self, t_s: float, priority: int, a: int, b: int = 0, seq: int | None = None) -> None:
        """Schedule an event at t_s (an infinite time is never reached and is dropped)."""
        if t_s == math.inf:
            return
        heapq.heappush(self.heap, (t_s, priority, self.reserve() if seq is None else seq, a, b))

    def next_s(self) -> float:
        """Time of the next event (inf: none)."""
        return self.heap[0][0] if self.heap else math.inf
