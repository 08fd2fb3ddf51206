"""The pipeline: scenario -> fleet -> trajectory chunks -> events -> run folder.

Time is streamed in chunks of knots so memory stays bounded however long the run: each chunk
is propagated, searched for eclipses and contacts, and (if asked) sampled into the ephemeris
table; intervals cut by a chunk edge are joined at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa

from orbitgrid.budget import check_fits, estimate_run
from orbitgrid.fleet import Fleet, build_fleet
from orbitgrid.network.stage import NetworkStage
from orbitgrid.ops.stage import OpsStage
from orbitgrid.orbits.contacts import Stations, contact_intervals
from orbitgrid.orbits.eclipses import eclipse_table, shadow_intervals
from orbitgrid.orbits.events import stitch
from orbitgrid.orbits.propagators import ERROR_MESSAGES
from orbitgrid.orbits.samples import Samples
from orbitgrid.orbits.trajectory import Trajectory, knot_times
from orbitgrid.physics.stage import PhysicsStage
from orbitgrid.results import Run, RunWriter, utc_timestamps
from orbitgrid.scenario import GroundStation, Scenario
from orbitgrid.sensing import SensingStage

# Satellite-knots per time chunk: about 100 MB of states.
CHUNK_SAT_KNOTS = 2_000_000
# Satellite-steps per block of sampled states handed to the stages.
SAMPLE_BLOCK = 1_000_000
# Tables written only when asked for with save=.
OPTIONAL_TABLES = ("ephemeris", "power", "links")
# Events shorter than min(step, this) may be missed; longer ones never are.
MAX_EVENT_RESOLUTION_S = 10.0

Progress = Callable[[int, int], None]


def default_run_dir(scenario: Scenario, root: Path = Path("runs")) -> Path:
    """runs/<name>-<UTC time to the millisecond>; RunWriter(unique=True) adds -2, -3 if taken."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3]
    return root / f"{scenario.name}-{stamp}Z"


@dataclass(frozen=True)
class RunContext:
    """What every stage of a run may read, and the writer for its tables."""

    scenario: Scenario
    fleet: Fleet
    stations: list[GroundStation]
    writer: RunWriter
    save: frozenset[str]
    # results one stage computes for the run and another reuses (e.g. sensing's alerts)
    shared: dict = field(default_factory=dict, compare=False)


class Stage(Protocol):
    """A consumer of sampled states: physics, network, tables. Fed block by block, in order."""

    def block(self, samples: Samples) -> None:
        """Take the states of every satellite at the next block of steps."""

    def finish(self) -> dict:
        """Write the stage's tables; return its figures for summary.json."""


StageFactory = Callable[[RunContext], "Stage | None"]


def simulate(
    scenario: Scenario,
    out: str | Path | None = None,
    save: Iterable[str] = (),
    progress: Progress | None = None,
    satellites: slice | None = None,
) -> Run:
    """Run a scenario and write its run folder (default runs/<name>-<UTC time>).

    save names optional tables to write too (see OPTIONAL_TABLES). progress(done, total) is
    called as time chunks finish. satellites= runs one contiguous block of the fleet (a slice of
    its indices), as the blocks of a split run do (orbitgrid.sweep.split_run).
    """
    save = frozenset(save)
    unknown = save - set(OPTIONAL_TABLES)
    if unknown:
        raise ValueError(
            f"unknown table to save: {', '.join(sorted(unknown))} (choose from {OPTIONAL_TABLES})"
        )
    if not scenario.constellations:  # a ground data centre alone: its figures, no orbits
        from orbitgrid.economics import ground_summary

        with RunWriter(out or default_run_dir(scenario), unique=out is None) as writer:
            writer.write_yaml("scenario.yaml", scenario.resolved())
            writer.write_json("summary.json", ground_summary(scenario))
        return Run(writer.path)
    check_fits(estimate_run(scenario, save, satellites))  # refuse what memory cannot hold
    fleet = build_fleet(scenario)
    if satellites is not None:
        fleet = fleet.subset(satellites)
    station_list = scenario.stations()
    stations = Stations.from_scenario(station_list)
    epoch = scenario.epoch64
    knots = knot_times(0.0, scenario.duration)
    steps = np.arange(0.0, scenario.duration + 1e-6, scenario.step)
    per_chunk = max(2, CHUNK_SAT_KNOTS // max(len(fleet), 1))
    per_block = max(1, SAMPLE_BLOCK // max(len(fleet), 1))
    resolution = min(scenario.step, MAX_EVENT_RESOLUTION_S)
    bounds = list(range(0, len(knots) - 1, per_chunk)) + [len(knots) - 1]
    first_error = np.full(len(fleet), np.inf)
    error_code = np.zeros(len(fleet), dtype=int)
    shadows, umbras, contacts, peaks = [], [], [], []

    with RunWriter(out or default_run_dir(scenario), unique=out is None) as writer:
        context = RunContext(scenario, fleet, station_list, writer, save)
        stages = [s for s in (factory(context) for factory in STAGES) if s is not None]
        for k0, k1 in zip(bounds[:-1], bounds[1:], strict=True):
            t = knots[k0 : k1 + 1]
            states = fleet.propagate(epoch, t)
            _note_errors(states.error, t, first_error, error_code)
            # a satellite that failed once is gone: SGP4 may return numbers again later
            dead = (t[:, None] >= first_error[None, :])[..., None]
            traj = Trajectory(epoch, t, np.where(dead, np.nan, states.r), states.v)
            shadow, umbra = shadow_intervals(traj, resolution)
            shadows.append(shadow)
            umbras.append(umbra)
            found, peak = contact_intervals(traj, stations, resolution)
            contacts.append(found)
            peaks.append(peak)
            if stages:
                last = k1 == len(knots) - 1
                in_chunk = steps[(steps >= t[0]) & ((steps <= t[-1]) if last else (steps < t[-1]))]
                for b in range(0, len(in_chunk), per_block):
                    t_block = in_chunk[b : b + per_block]
                    samples = Samples.from_trajectory(traj, t_block)
                    for stage in stages:
                        stage.block(samples)
            if progress:
                progress(k1, len(knots) - 1)

        eclipses = eclipse_table(shadows, umbras)
        contact_rows = _contact_table(contacts, peaks, len(stations))
        writer.write_table("eclipses", _eclipse_arrow(eclipses, fleet, epoch))
        writer.write_table("contacts", _contact_arrow(contact_rows, fleet, station_list, epoch))
        writer.write_table("satellites", _satellite_arrow(fleet, first_error, error_code, epoch))
        writer.write_yaml("scenario.yaml", scenario.resolved())
        summary = _summary(scenario, fleet, station_list, eclipses, contact_rows, first_error)
        if fleet.warnings:  # element sets skipped or far from the epoch (orbitgrid.fleet)
            summary["warnings"] = list(fleet.warnings)
        for stage in stages:
            summary.update(stage.finish())
        summary["tables"] = writer.tables
        writer.write_json("summary.json", summary)
    return Run(writer.path)


def _note_errors(error, t, first_error, error_code):
    bad = error != 0
    if not bad.any():
        return
    k = np.argmax(bad, axis=0)
    hit = bad.any(axis=0) & (t[k] < first_error)
    first_error[hit] = t[k[hit]]
    error_code[hit] = error[k[hit], np.flatnonzero(hit)]


class EphemerisTable:
    """The ephemeris table: states propagated exactly (not interpolated) at every step."""

    def __init__(self, context: RunContext):
        self.context = context
        self.names = pa.array(context.fleet.names)

    @classmethod
    def create(cls, context: RunContext) -> EphemerisTable | None:
        return cls(context) if "ephemeris" in context.save else None

    def block(self, samples: Samples) -> None:
        epoch, t = samples.epoch, samples.t_s
        exact = self.context.fleet.propagate(epoch, t)
        s = Samples(epoch, t, exact.r, exact.v)
        lat, lon, alt = s.geodetic
        n_t, n_s = lat.shape
        satellite = np.tile(np.arange(n_s, dtype=np.int32), n_t)
        self.context.writer.append(
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

    def finish(self) -> dict:
        return {}


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
            "start": utc_timestamps(epoch, rows["start_s"]),
            "end": utc_timestamps(epoch, rows["end_s"]),
            "duration_s": np.round(rows["end_s"] - rows["start_s"], 3),
        }
    )


def _contact_arrow(rows, fleet, stations, epoch) -> pa.Table:
    return pa.table(
        {
            "satellite": _names(fleet.names, rows["satellite"]),
            "station": _names([s.name for s in stations], rows["station"]),
            "start": utc_timestamps(epoch, rows["start_s"]),
            "end": utc_timestamps(epoch, rows["end_s"]),
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


def _summary(scenario, fleet, stations, eclipses, contacts, first_error) -> dict:
    duration = scenario.duration
    shadow_s = np.bincount(
        eclipses["satellite"].astype(int),
        eclipses["end_s"] - eclipses["start_s"],
        minlength=len(fleet),
    )
    contact_s = contacts["end_s"] - contacts["start_s"]
    per_constellation = []
    for k, name in enumerate(fleet.constellation_names):
        members = fleet.constellation == k
        in_group = members[contacts["satellite"].astype(int)]
        per_constellation.append(
            {
                "name": name,
                "satellites": int(members.sum()),
                "shadow_fraction": round(float(shadow_s[members].mean()) / duration, 6)
                if members.any()
                else 0.0,
                "contacts": int(in_group.sum()),
                "contact_hours": round(float(contact_s[in_group].sum()) / 3600, 4),
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
        "eclipses": int(len(eclipses["kind"])),
        "umbra_hours": round(float(_duration(eclipses, "umbra")) / 3600, 4),
        "penumbra_hours": round(float(_duration(eclipses, "penumbra")) / 3600, 4),
        "contacts": int(len(contact_s)),
        "contact_hours": round(float(contact_s.sum()) / 3600, 4),
        "constellations": per_constellation,
    }


def _duration(rows, kind):
    m = rows["kind"] == kind
    return (rows["end_s"][m] - rows["start_s"][m]).sum()


# Stages in the order they see each block. Physics and network register here.
STAGES: list[StageFactory] = [
    EphemerisTable.create,
    PhysicsStage.create,
    NetworkStage.create,
    SensingStage.create,
]
# Operations (the space OS) reads what the stages before it published: always last.
STAGES.append(OpsStage.create)
