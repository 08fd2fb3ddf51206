"""The size of a run before it runs: its work and its peak memory, from the scenario's counts
alone (no fleet is built), and the guard that refuses a run the machine's memory cannot hold.

The memory model follows the pipeline (orbitgrid.simulation): a fleet held whole, one time
chunk of propagated states at a time (at most CHUNK_SAT_KNOTS satellite-knots, but never
fewer than three knots of every satellite), one block of sampled states for the stages and
saved tables, the eclipse and contact intervals and per-orbit power rows held up to the spill
threshold (orbitgrid.spill), and one block of them written at the end. Its coefficients are
peak resident memory measured here (benchmarks/calibrate_budget.py prints estimate/measured for
walker shells of 10^2-10^5 satellites and for presets: 0.77-1.72 at the 2026-12-03
calibration, mostly over; BENCHMARKS.md "Next scale").
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.errors import ScenarioError
from orbitgrid.orbits.knots import MAX_KNOT_STEP_S
from orbitgrid.spill import SPILL_BYTES
from orbitgrid.userfiles import read_user_text

# The pipeline's memory knobs, here so that a run's budget is known without loading the engine:
# satellite-knots per time chunk (about 100 MB of states), and satellite-steps per block of
# sampled states handed to the stages.
CHUNK_SAT_KNOTS = 2_000_000
SAMPLE_BLOCK = 1_000_000
# Satellites per block of the event and per-orbit tables read back and written at once
# (orbitgrid.spill): at most TABLE_BLOCK_SATELLITES, and few enough that a block holds about
# TABLE_BLOCK_ROWS rows whatever the horizon (table_block_satellites).
TABLE_BLOCK_SATELLITES = 4096
TABLE_BLOCK_ROWS = 500_000
# Peak resident memory (bytes), fitted to benchmarks/calibrate_budget.py here (2026-12-03)
BASE_BYTES = 200e6  # Python, numpy, pyarrow, duckdb, pydantic imported
DESIGNED_SATELLITE_BYTES = 420.0  # elements, name and fleet arrays of a designed satellite
ELEMENT_SET_BYTES = 2000.0  # the same for an element set: its sgp4 Satrec besides
SAT_KNOT_BYTES = 220.0  # states and their event searches, per satellite-knot of a chunk
HELD_CHUNK_FRACTION = 0.5  # the previous chunk's trajectory, alive while the next is made
SAT_STEP_BYTES = 100.0  # sampled states handed to the stages, per satellite-step of a block
STAGES_BYTES = 70e6  # the stages' modules and fixed tables (physics, network, ops, sensing)
EPHEMERIS_SAT_STEP_BYTES = 200.0  # the ephemeris table's exact states and columns, same
LINK_STEP_BYTES = 100.0  # inter-satellite link geometry and capacity, per link-step of a block
EVENT_BYTES = 50.0  # an eclipse or contact interval, held until spilled (orbitgrid.spill)
EVENT_STORES = 3  # shadows, umbras, contacts: each holds up to SPILL_BYTES before it spills
EVENT_WRITE_BYTES = 400.0  # per interval of the block being written: read back, stitched, columns
ORBIT_ROW_BYTES = 216.0  # a per-orbit power row (physics.stage), held until spilled
ORBIT_WRITE_BYTES = 1000.0  # per orbit row of the block being written: sorted, columns
# Intervals per orbit (penumbra, umbra, penumbra) and passes per station and day (LEO, 10 deg)
ECLIPSES_PER_ORBIT = 3
PASSES_PER_STATION_DAY = 6
# Orbits per day assumed for element sets, whose mean motion is not read here (LEO)
ELEMENT_SET_ORBITS_PER_DAY = 15.5
# Orbits per day of the lowest LEO shells (~300 km: 16.1)
MOST_ORBITS_PER_DAY = 16.5
# Bytes on disk per saved row (Parquet, compressed): ephemeris, power, links
SAVED_ROW_BYTES = {"ephemeris": 60, "power": 40, "links": 30}
# The memory a run may plan to use: this fraction of what the machine has available
USABLE_FRACTION = 0.9


def table_block_satellites(rows_per_satellite: float, most: int = TABLE_BLOCK_SATELLITES) -> int:
    """Satellites per block of a table with about rows_per_satellite rows for each."""
    return int(max(1, min(most, TABLE_BLOCK_ROWS // max(rows_per_satellite, 1.0))))


def event_rows_per_satellite(stations: int, duration_s: float) -> float:
    """Eclipse and contact intervals a LEO satellite may have over duration_s (an upper
    bound: passes at a 10 deg mask, orbits of the lowest shells)."""
    days = duration_s / 86400
    return days * (PASSES_PER_STATION_DAY * stations + ECLIPSES_PER_ORBIT * MOST_ORBITS_PER_DAY)


class RunTooLarge(ScenarioError):
    """A run whose estimated peak memory exceeds what the machine has."""


@dataclass(frozen=True)
class RunEstimate:
    """A run's work and peak memory, estimated from the scenario's counts."""

    satellites: int
    element_sets: int  # of the satellites, those read from TLE/OMM files
    stations: int
    steps: int
    knots: int
    isl_links: int  # inter-satellite links evaluated at each step (an upper bound)
    saved_rows: dict[str, int]  # rows of each optional table asked for
    memory_bytes: dict[str, float]  # peak memory by part: base, fleet, chunk, block, events,
    # orbits (per-orbit power rows)

    @property
    def sat_steps(self) -> int:
        return self.satellites * self.steps

    @property
    def peak_memory_bytes(self) -> float:
        return sum(self.memory_bytes.values())

    @property
    def saved_bytes(self) -> float:
        """Disk taken by the optional tables asked for (the always-written ones are small)."""
        return sum(SAVED_ROW_BYTES[t] * rows for t, rows in self.saved_rows.items())

    def describe(self) -> str:
        """One line: the work and the peak memory."""
        saved = ", ".join(f"{t} {_count(r)} rows" for t, r in self.saved_rows.items())
        return (
            f"{self.satellites:,} satellites x {self.steps:,} steps = "
            f"{_count(self.sat_steps)} sat-steps, {self.stations:,} ground stations"
            + (f", {_count(self.isl_links)} links per step" if self.isl_links else "")
            + (f", saving {saved} ({_bytes(self.saved_bytes)} on disk)" if saved else "")
            + f"; peak memory about {_bytes(self.peak_memory_bytes)}"
        )


def estimate_run(scenario, save=(), satellites: slice | None = None) -> RunEstimate:
    """The work and peak memory of simulate(scenario, save=save, satellites=satellites):
    satellites= is the block of the fleet a split run gives one process (default: all)."""
    counts = [_satellites(c) for c in scenario.constellations]
    total = sum(n for n, _ in counts)
    files = sum(n for (n, _), c in zip(counts, scenario.constellations, strict=True)
                if c.tle_file or c.omm_file)
    n = total if satellites is None else len(range(*satellites.indices(total)))
    share = n / total if total else 0.0
    stations = len(scenario.ground_stations) + _rows(scenario.ground_stations_file)
    duration, step = scenario.duration, scenario.step
    steps = int(math.floor(duration / step + 1e-9)) + 1
    knots = max(int(math.ceil(duration / MAX_KNOT_STEP_S - 1e-9)), 1) + 1
    links = round(share * sum(_links(c, m) for (m, _), c in
                              zip(counts, scenario.constellations, strict=True)))
    orbits_per_day = [per_day for _, per_day in counts]
    days = duration / 86400

    per_chunk = max(2, CHUNK_SAT_KNOTS // max(n, 1))  # knot intervals per chunk
    first = min(per_chunk + 1, knots)
    second = min(per_chunk + 1, knots - per_chunk)  # made while the first is still held
    chunk_knots = max(first, second + HELD_CHUNK_FRACTION * first) if second > 1 else first
    chunk = n * chunk_knots * SAT_KNOT_BYTES  # the compiled contact search: no per-station term
    block_steps = min(max(1, SAMPLE_BLOCK // max(n, 1)), steps)
    stages = _has_stages(scenario, save)
    block = n * block_steps * (SAT_STEP_BYTES * stages
                               + EPHEMERIS_SAT_STEP_BYTES * ("ephemeris" in save))
    block += STAGES_BYTES * stages
    block += links * block_steps * LINK_STEP_BYTES
    mean_orbits = (
        sum(m * o for (m, _), o in zip(counts, orbits_per_day, strict=True)) / total
        if total else 0.0
    )
    # intervals and per-orbit rows: held up to the spill threshold, then one block at the end
    per_satellite = days * (ECLIPSES_PER_ORBIT * mean_orbits + PASSES_PER_STATION_DAY * stations)
    block_satellites = min(n, table_block_satellites(event_rows_per_satellite(stations, duration)))
    events = (min(n * per_satellite * EVENT_BYTES, EVENT_STORES * SPILL_BYTES)
              + block_satellites * per_satellite * EVENT_WRITE_BYTES)
    orbits = 0.0
    physics = [c.satellite is not None for c in scenario.constellations]
    if any(physics):
        with_physics = round(share * sum(m for (m, _), p in zip(counts, physics, strict=True)
                                         if p))
        rows = days * max(per_day for per_day, p in zip(orbits_per_day, physics, strict=True)
                          if p) + 1
        size = min(with_physics, table_block_satellites(rows))
        orbits = (min(with_physics * rows * ORBIT_ROW_BYTES, SPILL_BYTES)
                  + size * rows * ORBIT_WRITE_BYTES)
    fleet_share = share * (
        (total - files) * DESIGNED_SATELLITE_BYTES + files * ELEMENT_SET_BYTES
    )
    saved = {"ephemeris": n * steps, "power": n * steps, "links": links * steps}
    return RunEstimate(
        satellites=n,
        element_sets=round(files * share),
        stations=stations,
        steps=steps,
        knots=knots,
        isl_links=links,
        saved_rows={t: rows for t, rows in saved.items() if t in save},
        memory_bytes={
            "base": BASE_BYTES,
            "fleet": fleet_share,
            "chunk": chunk,
            "block": block,
            "events": events,
            "orbits": orbits,
        },
    )


def check_fits(estimate: RunEstimate, available_bytes: float | None = None) -> None:
    """Raise RunTooLarge, one line with the estimate and the way out, when the run's peak
    memory is more than USABLE_FRACTION of the memory available (available_memory_bytes)."""
    available = available_memory_bytes() if available_bytes is None else available_bytes
    if estimate.peak_memory_bytes <= USABLE_FRACTION * available:
        return
    usable = USABLE_FRACTION * available
    parts = sorted(((k, v) for k, v in estimate.memory_bytes.items() if v >= 1e6),
                   key=lambda kv: -kv[1])
    raise RunTooLarge(
        f"run too large: {estimate.describe()} ({', '.join(f'{k} {_bytes(v)}' for k, v in parts)})"
        f", more than the {_bytes(usable)} this machine can give it: {_way_out(estimate, usable)}"
    )


def available_memory_bytes() -> float:
    """Memory a run may use now: ORBITGRID_MEMORY if set (bytes, or '8GB'), else the least of
    the machine's available memory and its cgroup's room."""
    given = os.environ.get("ORBITGRID_MEMORY")
    if given:
        return parse_bytes(given)
    known = []
    meminfo = _read("/proc/meminfo")
    found = re.search(r"^MemAvailable:\s+(\d+) kB", meminfo or "", re.M)
    if found:
        known.append(int(found.group(1)) * 1024.0)
    limit, usage = _read("/sys/fs/cgroup/memory.max"), _read("/sys/fs/cgroup/memory.current")
    if limit and usage and limit.strip().isdigit():
        known.append(float(limit) - float(usage))
    if not known:
        known.append(float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")))
    return min(known)


def parse_bytes(text: str) -> float:
    """Bytes from '8GB', '512 MiB', '2e9' (SI and binary units)."""
    units = {"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
             "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
    match = re.fullmatch(r"\s*([0-9.]+(?:e[0-9]+)?)\s*([a-z]*)\s*", text.lower())
    if not match or match.group(2) not in units:
        raise ScenarioError(f"ORBITGRID_MEMORY: cannot read {text!r} as bytes, e.g. 8GB")
    return float(match.group(1)) * units[match.group(2)]


def _way_out(e: RunEstimate, usable: float) -> str:
    """What to change, for the part of the estimate that dominates."""
    per_satellite = sum(v for k, v in e.memory_bytes.items() if k != "base") / max(e.satellites, 1)
    # 25% spare: parts of the estimate do not shrink in proportion to the block
    blocks = math.ceil(1.25 * e.satellites * per_satellite / max(usable - BASE_BYTES, 1.0))
    split = (
        f"split_run(scenario, out, blocks={blocks}, workers=1) (orbitgrid.sweep) runs "
        f"{math.ceil(e.satellites / blocks):,} satellites at a time"
    )
    part = max((k for k in e.memory_bytes if k != "base"), key=lambda k: e.memory_bytes[k])
    first = {
        "block": "save fewer tables (drop --save ephemeris) or use a coarser step",
        "events": "use a shorter duration or fewer ground stations",
    }.get(part)
    return f"{first}, or {split}" if first else split


def _satellites(c) -> tuple[int, float]:
    """(satellites, orbits per day) of one constellation, from its keys or by counting the
    element sets in its file."""
    for key in ("walker", "sun_synchronous", "formation"):
        spec = getattr(c, key)
        if spec is not None:
            return spec.satellites, _orbits_per_day(EARTH_RADIUS_M + spec.altitude_km * 1e3)
    if c.elements is not None:
        per_day = [_orbits_per_day(r.a_km * 1e3) for r in c.elements]
        return len(c.elements), sum(per_day) / len(per_day)
    if c.tle_file is not None:
        text = read_user_text(c.tle_file, "ascii", errors="replace")
        return sum(line.startswith("1 ") for line in text.splitlines()), ELEMENT_SET_ORBITS_PER_DAY
    text = read_user_text(c.omm_file)
    if text.lstrip().startswith(("[", "{")):
        try:
            records = json.loads(text)
        except json.JSONDecodeError:
            return 0, ELEMENT_SET_ORBITS_PER_DAY  # read_omm reports it, with its line
        return (len(records) if isinstance(records, list) else 1), ELEMENT_SET_ORBITS_PER_DAY
    return _rows(c.omm_file), ELEMENT_SET_ORBITS_PER_DAY


def _has_stages(scenario, save) -> bool:
    """Whether any stage takes sampled states (the stages of orbitgrid.simulation)."""
    return bool(
        save or scenario.routes or scenario.sensing or scenario.workload or scenario.jobs_file
        or any(c.satellite is not None or c.isl is not None for c in scenario.constellations)
    )


def _links(c, satellites: int) -> int:
    """Inter-satellite links a constellation's topology evaluates at each step (upper bound)."""
    isl = c.isl
    if isl is None or isl.topology == "none":
        return 0
    per_satellite = {"plus-grid": 2.0, "nearest": float(isl.nearest or 1)}.get(
        isl.topology, (satellites - 1) / 2
    )
    if isl.terminals is not None:
        per_satellite = min(per_satellite, isl.terminals / 2)
    return int(per_satellite * satellites)


def _rows(path: Path | None) -> int:
    """Data rows of a CSV file (lines after the header, comments and blanks not counted)."""
    if path is None:
        return 0
    lines = [
        line for line in read_user_text(path).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return max(len(lines) - 1, 0)


def _orbits_per_day(a_m: float) -> float:
    return 86400 / (2 * math.pi * math.sqrt(a_m**3 / MU_EARTH_M3_S2))


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _count(n: float) -> str:
    for scale, suffix in ((1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:,.0f}"


def _bytes(n: float) -> str:
    for scale, suffix in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB")):
        if n >= scale:
            return f"{n / scale:.3g} {suffix}"
    return f"{n / 1e3:.3g} kB"
