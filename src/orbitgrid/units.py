"""Units and time at the bottom of orbitgrid: durations and times after an epoch.

Everything above reads '90 min' or '2026-05-13T06:00:00Z' through here, so a scenario block
(ops.jobs, sensing, economics) can parse its own fields without importing the scenario.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field

__all__ = ["Duration", "Seconds", "epoch64", "parse_duration", "utc_seconds_after"]

_UNITS_S = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*$")


def parse_duration(value: Any) -> float:
    """Seconds from a number of seconds or a string with ms, s, min, h or d: '90 min', '1d'."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 10s, 5min, 1h or 1d")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"cannot read {value!r} as a duration such as 10s, 5min, 1h or 1d")
    number, unit = match.groups()
    if unit not in _UNITS_S and unit != "":
        raise ValueError(f"unknown unit {unit!r} in {value!r}; use ms, s, min, h or d")
    return float(number) * _UNITS_S.get(unit, 1.0)


# A pydantic field in seconds, written as a number or a duration string: positive, or >= 0.
Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
Seconds = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


def epoch64(when: datetime) -> np.datetime64:
    """A UTC datetime as numpy datetime64[ns] (the form every kernel takes its epoch in)."""
    return np.datetime64(when.replace(tzinfo=None), "ns")


def utc_seconds_after(epoch: np.datetime64, when: str) -> float:
    """Seconds from epoch to an ISO UTC time '2026-05-13T06:00:00Z' (an offset is dropped)."""
    at = np.datetime64(when.replace("Z", "").split("+")[0], "ns")
    return float((at - epoch) / np.timedelta64(1, "s"))
