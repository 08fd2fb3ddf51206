"""A run: the world (orbitgrid.pipeline), its stream of time blocks through the stages, and the
run folder.

Each chunk of the stream is searched for eclipses and contacts (intervals cut by a chunk edge
are joined at the end); each block of steps goes through the stages in order, each handing its
typed result to the ones after it (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from orbitgrid.budget import (
    check_fits,
    estimate_run,
    event_rows_per_satellite,
    table_block_satellites,
)
from orbitgrid.economics import ground_summary
from orbitgrid.fleet import Fleet
from orbitgrid.network.stage import NetworkStage
from orbitgrid.ops.stage import OpsStage
from orbitgrid.orbits.contacts import contact_intervals
from orbitgrid.orbits.eclipses import eclipse_table, shadow_intervals
from orbitgrid.orbits.events import Intervals, stitch
from orbitgrid.orbits.propagators import ERROR_MESSAGES
from orbitgrid.physics.stage import PhysicsStage
from orbitgrid.pipeline import Chunk, Gone, RunContext, TimeBlock, World, build_world, stream
from orbitgrid.results import OPTIONAL_TABLES, Run, RunWriter, utc_timestamps
from orbitgrid.scenario import Scenario
from orbitgrid.sensing.stage import SensingStage
from orbitgrid.spill import KeyBlocks, block_edges

# Events shorter than min(step, this) may be missed; longer ones never are.
MAX_EVENT_RESOLUTION_S = 10.0
# Satellites per block of the eclipse and contact tables turned into columns at once, at most
# (fewer for long runs: orbitgrid.budget.table_block_satellites).
EVENT_BATCH_SATELLITES = 4096

Progress = Callable[[int, int], None]


def default_run_dir(scenario: Scenario, root: Path = Path("runs")) -> Path:
    """runs/<name>-<UTC time to the millisecond>; RunWriter(unique=True) adds -2, -3 if taken."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3]
    return root / f"{scenario.name}-{stamp}Z"


def simulate(
    scenario: Scenario,
    out: str | Path | None = None,
    save: Iterable[str] = (),
    progress: Progress | None = None,
    satellites: slice | None = None,
) -> Run:
    """Run a scenario and write its run folder (default runs/<name>-<UTC time>).

    save names optional tables to write too (see OPTIONAL_TABLES). progress(done, total) is
    called after every block of steps, in satellite-steps. satellites= runs one contiguous block
    of the fleet (a slice of its indices), as the blocks of a split run do
    (orbitgrid.sweep.split_run).
    """
    save = frozenset(save)
    unknown = save - set(OPTIONAL_TABLES)
    if unknown:
        raise ValueError(
            f"unknown table to save: {', '.join(sorted(unknown))} (choose from {OPTIONAL_TABLES})"
        )
    if not scenario.constellations:  # a ground data centre alone: its figures, no orbits
        with RunWriter(out or default_run_dir(scenario), unique=out is None) as writer:
            writer.write_yaml("scenario.yaml", scenario.resolved())
            writer.write_json("summary.json", ground_summary(scenario))
        return Run(writer.path)
    check_fits(estimate_run(scenario, save, satellites))  # refuse what memory cannot hold
    world = build_world(scenario, satellites)
    with RunWriter(out or default_run_dir(scenario), unique=out is None) as writer:
        run = RunContext(world, writer, save)
        # the stages, in the order they see each block (docs/architecture.md: their contract)
        ephemeris = EphemerisTable.create(run)
        physics = PhysicsStage.create(run)
        network = NetworkStage.create(run)
        sensing = SensingStage.create(run)
        ops = OpsStage.create(run, physics)  # the closed loop: ops loads physics' batteries
        events = EventSearch(world, writer.scratch())
        gone = Gone.none(len(world.fleet))
        for block in stream(world, 0.0, scenario.duration):
            if block.opens_chunk:
                events.add(block.chunk)
                if sensing:
                    sensing.chunk(block.chunk)
            if block.steps:
                if ephemeris:
                    ephemeris.block(block)
                power = physics.block(block.samples) if physics else None
                links = network.block(block.samples) if network else None
                if ops:
                    ops.block(block.samples, power, links)
            gone = block.gone
            if progress:
                progress(block.done, block.total)

        summary = events.write(writer, gone)
        writer.write_yaml("scenario.yaml", scenario.resolved())
        if world.fleet.warnings:  # element sets skipped or far from the epoch (orbitgrid.fleet)
            summary["warnings"] = list(world.fleet.warnings)
        alerts = sensing.finish(gone) if sensing else None
        ops_summary = ops.finish(alerts) if ops else {}  # runs the closed loops: before physics
        for stage in (physics, network):
            if stage:
                summary.update(stage.finish())
        if alerts:
            summary["sensing"] = alerts.figures
        summary.update(ops_summary)
        summary["tables"] = writer.tables
        writer.write_json("summary.json", summary)
    return Run(writer.path)


class EventSearch:
    """Eclipses and ground contacts, searched chunk by chunk on the stream's trajectory and
    joined at the end; writes eclipses, contacts and satellites, returns the run's figures.

    Each chunk's intervals go to stores of blocks of EVENT_BATCH_SATELLITES satellites
    (orbitgrid.spill), which move them to files under scratch (None: memory) once they hold
    more than spill_bytes: memory does not grow with the horizon."""

    def __init__(self, world: World, scratch: Path | None = None, spill_bytes: int | None = None):
        self.world = world
        self.resolution_s = min(world.scenario.step, MAX_EVENT_RESOLUTION_S)
        n, n_st = len(world.fleet), max(len(world.stations), 1)
        rows = event_rows_per_satellite(len(world.stations), world.scenario.duration)
        self.block_satellites = table_block_satellites(rows, EVENT_BATCH_SATELLITES)
        sats = block_edges(n, self.block_satellites)
        self.shadows, self.umbras = (KeyBlocks(_INTERVAL, "pair", sats, scratch, spill_bytes)
                                     for _ in range(2))
        self.contacts = KeyBlocks(_CONTACT, "pair", block_edges(n, self.block_satellites, n_st),
                                  scratch, spill_bytes)

    def add(self, chunk: Chunk) -> None:
        shadow, umbra = shadow_intervals(chunk.trajectory, self.resolution_s)
        self.shadows.add(_columns(shadow))
        self.umbras.add(_columns(umbra))
        found, peak = contact_intervals(chunk.trajectory, self.world.ground, self.resolution_s)
        self.contacts.add({**_columns(found), "peak": peak})

    def write(self, writer: RunWriter, gone: Gone) -> dict:
        """Write the tables in blocks of satellites (the same rows, in
        the same order, as one table: satellite, then start), so that only one block's rows
        are ever read back and turned into columns at once; return the run's figures."""
        w = self.world
        fleet, stations, epoch = w.fleet, list(w.stations), w.epoch
        figures = _EventFigures(len(fleet), len(fleet.constellation_names))
        for (_, _, shadow), (_, _, umbra), (_, _, contact) in zip(
                self.shadows.blocks(), self.umbras.blocks(), self.contacts.blocks(), strict=True):
            eclipses = eclipse_table([_intervals(shadow)], [_intervals(umbra)])
            contact_rows = _contact_table([_intervals(contact)], [contact["peak"]],
                                          len(stations))
            writer.append("eclipses", _eclipse_arrow(eclipses, fleet, epoch))
            writer.append("contacts", _contact_arrow(contact_rows, fleet, stations, epoch))
            figures.add(eclipses, contact_rows, fleet.constellation)
        writer.write_table("satellites",
                           _satellite_arrow(fleet, gone.first_error_s, gone.code, epoch))
        return _summary(w.scenario, fleet, stations, figures, gone.first_error_s)

    def close(self) -> None:
        """Remove the scratch files (a run that failed before write)."""
        for store in (self.shadows, self.umbras, self.contacts):
            store.close()


_INTERVAL = np.dtype([("pair", np.int64), ("start_s", float), ("end_s", float),
                      ("open_start", bool), ("open_end", bool)])
_CONTACT = np.dtype(_INTERVAL.descr + [("peak", float)])


def _columns(found: Intervals) -> dict[str, np.ndarray]:
    return {f: getattr(found, f) for f in Intervals.__dataclass_fields__}


def _intervals(columns: dict[str, np.ndarray]) -> Intervals:
    return Intervals(*(columns[f] for f in Intervals.__dataclass_fields__))


class _EventFigures:
    """Running totals of the event tables, block by block, for the summary."""

    def __init__(self, n_satellites: int, n_constellations: int):
        self.shadow_s = np.zeros(n_satellites)
        self.eclipses = 0
        self.umbra_s = self.penumbra_s = 0.0
        self.contacts = np.zeros(n_constellations, dtype=np.int64)
        self.contact_s = np.zeros(n_constellations)

    def add(self, eclipses: dict, contacts: dict, constellation: np.ndarray) -> None:
        sat = eclipses["satellite"].astype(int)
        length = eclipses["end_s"] - eclipses["start_s"]
        self.shadow_s += np.bincount(sat, length, minlength=len(self.shadow_s))
        self.eclipses += len(sat)
        self.umbra_s += _duration(eclipses, "umbra")
        self.penumbra_s += _duration(eclipses, "penumbra")
        group = constellation[contacts["satellite"].astype(int)]
        k = len(self.contacts)
        self.contacts += np.bincount(group, minlength=k)
        self.contact_s += np.bincount(group, contacts["end_s"] - contacts["start_s"], minlength=k)


class EphemerisTable:
    """The ephemeris table: states propagated exactly (not interpolated) at every step."""

    def __init__(self, run: RunContext):
        self.writer = run.writer
        self.names = pa.array(run.fleet.names)

    @classmethod
    def create(cls, run: RunContext) -> EphemerisTable | None:
        return cls(run) if "ephemeris" in run.save else None

    def block(self, block: TimeBlock) -> None:
        s = block.exact_samples()
        epoch, t = s.epoch, s.t_s
        lat, lon, alt = s.geodetic
        n_t, n_s = lat.shape
        satellite = np.tile(np.arange(n_s, dtype=np.int32), n_t)
        self.writer.append(
            "ephemeris",
            pa.table(
                {
                    "time": utc_timestamps(epoch, np.repeat(t, n_s)),
                    "satellite": pa.DictionaryArray.from_arrays(satellite, self.names),
                    "x_km": s.r_ecef[..., 0].ravel() / 1e3,
                    "y_km": s.r_ecef[..., 1].ravel() / 1e3,
                    "z_km": s.r_ecef[..., 2].ravel() / 1e3,
                    "lat_deg": np.rad2deg(lat).ravel(),
                    "lon_deg": np.rad2deg(lon).ravel(),
                    "alt_km": alt.ravel() / 1e3,
                    "illumination": s.illumination.ravel(),
                    "beta_deg": np.rad2deg(s.beta).ravel(),
                }
            ),
        )


def _contact_table(parts, peaks, n_stations):
    key, start, end, peak = stitch(parts, peaks)
    n = max(n_stations, 1)
    return {"satellite": key // n, "station": key % n, "start_s": start, "end_s": end, "peak": peak}


def _names(names: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(names, dtype=object)[index.astype(int)], type=pa.string())


def _eclipse_arrow(rows, fleet, epoch) -> pa.Table:
    return pa.table(
        {
            "satellite": _names(fleet.names, rows["satellite"]),
            "kind": pa.array(rows["kind"].astype(str), type=pa.string()),
            "start_time": utc_timestamps(epoch, rows["start_s"]),
            "end_time": utc_timestamps(epoch, rows["end_s"]),
            "duration_s": np.round(rows["end_s"] - rows["start_s"], 3),
        }
    )


def _contact_arrow(rows, fleet, stations, epoch) -> pa.Table:
    return pa.table(
        {
            "satellite": _names(fleet.names, rows["satellite"]),
            "station": _names([s.name for s in stations], rows["station"]),
            "start_time": utc_timestamps(epoch, rows["start_s"]),
            "end_time": utc_timestamps(epoch, rows["end_s"]),
            "max_elevation_deg": np.round(np.rad2deg(rows["peak"]), 4),
            "duration_s": np.round(rows["end_s"] - rows["start_s"], 3),
        }
    )


def _satellite_arrow(fleet: Fleet, first_error, error_code, epoch) -> pa.Table:
    return pa.table(
        {
            "satellite": pa.array(fleet.names, type=pa.string()),
            "constellation": _names(fleet.constellation_names, fleet.constellation),
            "source": pa.array(fleet.source, type=pa.string()),
            "element_epoch": pa.array(
                fleet.element_epoch.astype("datetime64[ms]").astype(np.int64)
            ).cast(pa.timestamp("ms", tz="UTC")),
            "semi_major_axis_km": np.round(fleet.a_m / 1e3, 4),
            "eccentricity": fleet.e,
            "inclination_deg": np.round(np.rad2deg(fleet.i), 5),
            "error": pa.array(
                [ERROR_MESSAGES.get(int(c), f"error {c}") or None for c in error_code],
                type=pa.string(),
            ),
            "error_time": utc_timestamps(epoch, first_error),
        }
    )


def _summary(scenario, fleet, stations, figures: _EventFigures, first_error) -> dict:
    duration = scenario.duration
    per_constellation = []
    for k, name in enumerate(fleet.constellation_names):
        members = fleet.constellation == k
        per_constellation.append(
            {
                "name": name,
                "satellites": int(members.sum()),
                "shadow_fraction": round(float(figures.shadow_s[members].mean()) / duration, 6)
                if members.any()
                else 0.0,
                "contacts": int(figures.contacts[k]),
                "contact_hours": round(float(figures.contact_s[k]) / 3600, 4),
            }
        )
    return {
        "name": scenario.name,
        "epoch": scenario.epoch.isoformat().replace("+00:00", "Z"),
        "duration_s": duration,
        "step_s": scenario.step,
        "seed": scenario.seed,
        "satellites": len(fleet),
        "ground_stations": len(stations),
        "propagation_errors": int(np.isfinite(first_error).sum()),
        "eclipses": int(figures.eclipses),
        "umbra_hours": round(float(figures.umbra_s) / 3600, 4),
        "penumbra_hours": round(float(figures.penumbra_s) / 3600, 4),
        "contacts": int(figures.contacts.sum()),
        "contact_hours": round(float(figures.contact_s.sum()) / 3600, 4),
        "constellations": per_constellation,
    }


def _duration(rows, kind):
    m = rows["kind"] == kind
    return (rows["end_s"][m] - rows["start_s"][m]).sum()
