"""The twin's clock: twin time = start + speed x wall time elapsed since the service started.

Twin times are seconds after the scenario epoch (float); wall times are Unix seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Clock:
    """start_s: twin time (s after the epoch) at wall time wall0; speed: twin s per wall s."""

    start_s: float
    speed: float = 1.0
    wall0: float = field(default_factory=time.time)

    def now_s(self, wall: float | None = None) -> float:
        """Twin time at wall time wall (default: now)."""
        return self.start_s + self.speed * ((time.time() if wall is None else wall) - self.wall0)

    def wall_at(self, twin_s: float) -> float:
        """Wall time at which the clock reads twin_s."""
        return self.wall0 + (twin_s - self.start_s) / self.speed

    def lag_s(self, reached_s: float) -> float:
        """Wall seconds by which twin time reached_s trails the clock (0 when ahead)."""
        return max(self.now_s() - reached_s, 0.0) / self.speed
