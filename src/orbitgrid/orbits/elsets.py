"""Element sets from files: TLE (two- or three-line) and CelesTrak OMM (CSV or JSON)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
from sgp4 import omm
from sgp4.api import Satrec

from orbitgrid.errors import ScenarioError


def tle_checksum(line: str) -> int:
    """The TLE checksum of a line's first 68 characters: digits summed, a minus counts 1."""
    codes = np.frombuffer(line[:68].encode("ascii", "replace"), dtype=np.uint8)
    digits = codes - ord("0")
    return int(digits[digits <= 9].sum() + np.count_nonzero(codes == ord("-"))) % 10


def _check_line(path: Path, number: int, line: str, which: str) -> None:
    where = f"{path}:{number}"
    if not line.startswith(which + " "):
        raise ScenarioError(f"{where}: expected TLE line {which}, got {line[:20]!r}")
    if len(line) != 69:
        raise ScenarioError(f"{where}: TLE line {which} has {len(line)} characters, expected 69")
    if not line[68].isdigit() or int(line[68]) != tle_checksum(line):
        raise ScenarioError(
            f"{where}: TLE line {which} checksum is {line[68]!r}, computed {tle_checksum(line)}"
        )


def read_tle(path: Path) -> list[tuple[str, Satrec]]:
    """(name, Satrec) for each element set in a two- or three-line TLE file.

    Two-line sets are named by catalogue number. Lines are checked for length and checksum.
    """
    text = path.read_text(encoding="ascii", errors="replace")
    lines = [(n, raw.rstrip()) for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()]
    out = []
    k = 0
    while k < len(lines):
        name = None
        if not lines[k][1].startswith("1 "):
            name = lines[k][1].removeprefix("0 ").strip()
            k += 1
        if k + 1 >= len(lines):
            raise ScenarioError(
                f"{path}:{lines[-1][0]}: incomplete element set at the end of the file"
            )
        (n1, l1), (n2, l2) = lines[k], lines[k + 1]
        _check_line(path, n1, l1, "1")
        _check_line(path, n2, l2, "2")
        if l1[2:7] != l2[2:7]:
            raise ScenarioError(
                f"{path}:{n2}: catalogue number {l2[2:7]!r} differs from line 1's {l1[2:7]!r}"
            )
        try:
            sat = Satrec.twoline2rv(l1, l2)
        except ValueError as exc:
            raise ScenarioError(f"{path}:{n1}: cannot parse element set: {exc}") from None
        out.append((name or f"NORAD {sat.satnum}", sat))
        k += 2
    if not out:
        raise ScenarioError(f"{path}: no element sets found")
    return out


def read_omm(path: Path) -> list[tuple[str, Satrec]]:
    """(name, Satrec) for each record of a CelesTrak OMM file in CSV or JSON form."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith(("[", "{")):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        records = [records] if isinstance(records, dict) else records
        first_line = 1
    else:
        records = list(csv.DictReader(io.StringIO(text)))
        first_line = 2
    out = []
    for k, fields in enumerate(records):
        sat = Satrec()
        try:
            omm.initialize(sat, fields)
        except (KeyError, ValueError, TypeError) as exc:
            where = f"{path}:{first_line + k}" if first_line == 2 else f"{path}: record {k + 1}"
            raise ScenarioError(f"{where}: bad OMM record: {type(exc).__name__} {exc}") from None
        out.append((str(fields.get("OBJECT_NAME") or f"NORAD {sat.satnum}").strip(), sat))
    if not out:
        raise ScenarioError(f"{path}: no OMM records found")
    return out
