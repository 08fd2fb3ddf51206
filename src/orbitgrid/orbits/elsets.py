"""Element sets from files: TLE (two- or three-line) and CelesTrak OMM (CSV or JSON).

A bad element set (a wrong checksum, a short line, a record sgp4 cannot parse) stops the read
with its line and reason, or, when the caller passes a `skipped` list, is recorded there and
the rest are read. Element sets are also checked against physics (`refusal_codes`): those that
cannot be a satellite's orbit are propagated as failed from the start, and the run goes on.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sgp4 import omm
from sgp4.api import Satrec

from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.errors import ScenarioError
from orbitgrid.orbits.elements import MAX_APOGEE_ALTITUDE_M, MIN_PERIGEE_ALTITUDE_M
from orbitgrid.userfiles import read_user_text

# orbitgrid's error codes for element sets refused before propagation (sgp4's own are 1-6)
PERIGEE_TOO_LOW, APOGEE_TOO_HIGH, NOT_FINITE = 101, 102, 103
REFUSAL_MESSAGES = {
    PERIGEE_TOO_LOW: f"perigee below {MIN_PERIGEE_ALTITUDE_M / 1e3:g} km altitude: "
    "inside the Earth or re-entering",
    APOGEE_TOO_HIGH: f"apogee beyond {MAX_APOGEE_ALTITUDE_M / 1e3:,.0f} km altitude: "
    "not an Earth orbit SGP4 models",
    NOT_FINITE: "an element is not a finite number",
}


@dataclass(frozen=True)
class BadElementSet:
    """An element set that could not be read: where it is (file:line) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class _Bad(Exception):
    def __init__(self, number: int, reason: str):
        super().__init__(reason)
        self.number, self.reason = number, reason


# byte -> its worth in a TLE checksum: a digit its value, a minus 1, anything else 0
_CHECKSUM_WORTH = bytes(
    (c - ord("0")) if ord("0") <= c <= ord("9") else int(c == ord("-")) for c in range(256)
)


def tle_checksum(line: str) -> int:
    """The TLE checksum of a line's first 68 characters: digits summed, a minus counts 1."""
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_WORTH)) % 10


def _element_line(number: int, line: str, which: str) -> str:
    """The 69 characters of TLE line `which`; text after column 69 (Vallado's test file puts
    its propagation times there) is ignored when a space separates it."""
    if len(line) > 69 and line[69].isspace():
        line = line[:69]
    if len(line) != 69:
        raise _Bad(number, f"TLE line {which} has {len(line)} characters, expected 69")
    if not line[68].isdigit() or int(line[68]) != tle_checksum(line):
        computed = tle_checksum(line)
        raise _Bad(number, f"TLE line {which} checksum is {line[68]!r}, computed {computed}")
    return line


def _tle_set(n1: int, l1: str, n2: int, l2: str) -> Satrec:
    l1, l2 = _element_line(n1, l1, "1"), _element_line(n2, l2, "2")
    if l1[2:7] != l2[2:7]:
        raise _Bad(n2, f"catalogue number {l2[2:7]!r} differs from line 1's {l1[2:7]!r}")
    try:
        return Satrec.twoline2rv(l1, l2)
    except ValueError as exc:
        raise _Bad(n1, f"cannot parse element set: {' '.join(str(exc).split())}") from None


def read_tle(path: Path, skipped: list[BadElementSet] | None = None) -> list[tuple[str, Satrec]]:
    """(name, Satrec) for each element set in a two- or three-line TLE file.

    Two-line sets are named by catalogue number. Lines starting with # are comments. Lines are
    checked for length and checksum, names for repeats. A bad set raises a ScenarioError with
    its line, or, if skipped is a list, is appended to it and the others are read.
    """
    text = read_user_text(path, "ascii", errors="replace")
    lines = [
        (n, raw.rstrip())
        for n, raw in enumerate(text.splitlines(), start=1)
        if raw.strip() and not raw.lstrip().startswith("#")
    ]
    out: list[tuple[str, Satrec]] = []
    first_line: dict[str, int] = {}
    count = len(skipped) if skipped is not None else 0
    k, name = 0, None  # name: (line number, text) of a name line waiting for its set
    while k < len(lines):
        number, line = lines[k]
        if not line.startswith(("1 ", "2 ")):
            if name is not None:
                _report(path, _Bad(name[0], f"no element set follows {name[1]!r}"), skipped)
            name = (number, line.removeprefix("0 ").strip())
            k += 1
            continue
        held, name = name, None
        try:
            if line.startswith("2 "):
                k += 1
                raise _Bad(number, "TLE line 2 without a line 1 before it")
            if k + 1 >= len(lines) or not lines[k + 1][1].startswith("2 "):
                k += 1
                raise _Bad(number, "TLE line 1 without a line 2 after it")
            (n1, l1), (n2, l2) = lines[k], lines[k + 1]
            k += 2
            sat = _tle_set(n1, l1, n2, l2)
            label = held[1] if held and held[1] else f"NORAD {sat.satnum}"
            start = held[0] if held else n1
            if label in first_line:
                raise _Bad(start, f"{label!r} repeats the element set at line {first_line[label]}")
            first_line[label] = start
            out.append((label, sat))
        except _Bad as bad:
            _report(path, bad, skipped)
    if name is not None:
        _report(path, _Bad(name[0], "incomplete element set at the end of the file"), skipped)
    if not out:
        bad = len(skipped) - count if skipped is not None else 0
        raise ScenarioError(f"{path}: no element sets found" + (f" ({bad} bad)" if bad else ""))
    return out


def read_omm(path: Path, skipped: list[BadElementSet] | None = None) -> list[tuple[str, Satrec]]:
    """(name, Satrec) for each record of a CelesTrak OMM file in CSV or JSON form.

    A bad record raises a ScenarioError, or, if skipped is a list, is appended to it.
    """
    text = read_user_text(path)
    if text.lstrip().startswith(("[", "{")):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        records = [records] if isinstance(records, dict) else records
        if not isinstance(records, list):
            raise ScenarioError(f"{path}: expected a JSON list of OMM records")
        first_line = 1
    else:
        lines = [raw for raw in text.splitlines(keepends=True) if not raw.startswith("#")]
        records = list(csv.DictReader(io.StringIO("".join(lines))))
        first_line = 2
    out = []
    first: dict[str, str] = {}
    count = len(skipped) if skipped is not None else 0
    for k, fields in enumerate(records):
        at = f"line {first_line + k}" if first_line == 2 else f"record {k + 1}"
        where = f"{path}:{first_line + k}" if first_line == 2 else f"{path}: {at}"
        sat = Satrec()
        try:
            if not isinstance(fields, dict):
                raise TypeError(f"expected an object of OMM keys, got {type(fields).__name__}")
            omm.initialize(sat, fields)
        except (KeyError, ValueError, TypeError) as exc:
            _report_at(where, f"bad OMM record: {type(exc).__name__} {exc}", skipped)
            continue
        name = str(fields.get("OBJECT_NAME") or f"NORAD {sat.satnum}").strip()
        if name in first:
            _report_at(where, f"{name!r} repeats the record at {first[name]}", skipped)
            continue
        first[name] = at
        out.append((name, sat))
    if not out:
        bad = len(skipped) - count if skipped is not None else 0
        raise ScenarioError(f"{path}: no OMM records found" + (f" ({bad} bad)" if bad else ""))
    return out


def refusal_codes(satrecs: list[Satrec]) -> np.ndarray:
    """Per element set, 0 if it is an Earth orbit SGP4 can model, else the reason's code
    (REFUSAL_MESSAGES): perigee below 100 km, apogee beyond 100,000 km, non-finite elements."""
    codes = np.zeros(len(satrecs), dtype=np.int16)
    for k, s in enumerate(satrecs):
        elements = (s.no_kozai, s.ecco, s.inclo, s.nodeo, s.argpo, s.mo, s.bstar)
        if not all(math.isfinite(x) for x in elements):  # numpy per set: 5x slower here
            codes[k] = NOT_FINITE
            continue
        if s.no_kozai <= 0 or not 0 <= s.ecco < 1:
            continue  # sgp4's own errors (2 and 1) say it best
        a_m = (MU_EARTH_M3_S2 / (s.no_kozai / 60.0) ** 2) ** (1 / 3)
        if a_m * (1 - s.ecco) - EARTH_RADIUS_M < MIN_PERIGEE_ALTITUDE_M:
            codes[k] = PERIGEE_TOO_LOW
        elif a_m * (1 + s.ecco) - EARTH_RADIUS_M > MAX_APOGEE_ALTITUDE_M:
            codes[k] = APOGEE_TOO_HIGH
    return codes


def _report(path: Path, bad: _Bad, skipped: list[BadElementSet] | None) -> None:
    _report_at(f"{path}:{bad.number}", bad.reason, skipped)


def _report_at(where: str, reason: str, skipped: list[BadElementSet] | None) -> None:
    if skipped is None:
        raise ScenarioError(f"{where}: {reason}")
    skipped.append(BadElementSet(where, reason))
