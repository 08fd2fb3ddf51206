"""Satellite positions of a finished run, for CZML and OEM: read back or propagated again.

A run's ephemeris table is used when it has one; otherwise the world of the run's scenario.yaml
is built again (pipeline.build_world) and its exact SGP4 states taken at a coarser step.
Large runs are decimated to a sample of satellites and a coarser step, and the choice is kept
with the positions so it can be shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from orbitgrid.orbits.samples import Samples
from orbitgrid.pipeline import build_world
from orbitgrid.results import Run
from orbitgrid.scenario import load_scenario

# Coarsest step used when a run has no ephemeris table; Lagrange interpolation fills between.
DEFAULT_STEP_S = 60.0
# Satellite-steps propagated at once when propagating again.
CHUNK_SAT_STEPS = 1_000_000


@dataclass(frozen=True)
class Decimation:
    """Which satellites and which step a view shows, against what the run has."""

    satellites: int
    total_satellites: int
    step_s: float
    run_step_s: float

    @property
    def decimated(self) -> bool:
        return self.satellites < self.total_satellites or self.step_s > self.run_step_s

    def describe(self) -> str:
        """One line for people, e.g. '200 of 10361 satellites (every 52nd), 300 s step'."""
        shown = f"{self.satellites} of {self.total_satellites} satellites"
        if self.satellites < self.total_satellites:
            shown += " (evenly sampled)"
        step = f"{self.step_s:g} s step"
        if self.step_s > self.run_step_s:
            step += f" (run step {self.run_step_s:g} s)"
        return f"{shown}, {step}"


def decimate(
    total_satellites: int,
    duration_s: float,
    step_s: float,
    max_satellites: int | None = None,
    max_samples: int | None = None,
) -> tuple[np.ndarray, float]:
    """Satellite indices (evenly spread) and a step (a multiple of step_s) within the limits."""
    n = total_satellites if max_satellites is None else min(total_satellites, max_satellites)
    index = np.unique(np.linspace(0, total_satellites - 1, n).round().astype(int)) if n else []
    step = step_s
    if max_samples is not None and len(index):
        steps = duration_s / step_s + 1
        factor = int(np.ceil(steps * len(index) / max_samples))
        step = step_s * max(factor, 1)
    return np.asarray(index, dtype=int), float(step)


@dataclass(frozen=True)
class Tracks:
    """Positions of some satellites at common times.

    r_ecef_m (T, N, 3) Earth-fixed; r_eci_m and v_eci_mps (T, N, 3) in TEME when propagated
    again (None when read from an ephemeris table, which holds Earth-fixed positions only).
    """

    epoch: np.datetime64
    t_s: np.ndarray
    names: list[str]
    r_ecef_m: np.ndarray
    r_eci_m: np.ndarray | None
    v_eci_mps: np.ndarray | None
    source: str  # "ephemeris" or "propagated"
    decimation: Decimation


def run_tracks(
    run: Run,
    step_s: float | None = None,
    max_satellites: int | None = None,
    max_samples: int | None = None,
    propagate: bool = False,
) -> Tracks:
    """Positions for a run: its ephemeris table if it has one (and propagate is False), else the
    scenario propagated again at step_s (default the coarser of the run step and 60 s)."""
    s = run.summary
    names = run.table("satellites").column("satellite").to_pylist()
    use_table = "ephemeris" in run.tables and not propagate
    base = s["step_s"] if use_table else max(s["step_s"], step_s or DEFAULT_STEP_S)
    if step_s is not None:
        base = max(base, step_s)
    index, step = decimate(len(names), s["duration_s"], base, max_satellites, max_samples)
    if use_table:
        step = s["step_s"] * max(1, round(step / s["step_s"]))
    decimation = Decimation(len(index), len(names), step, s["step_s"])
    epoch = np.datetime64(s["epoch"].rstrip("Z"), "ns")
    if use_table:
        return _from_table(run, epoch, names, index, step, decimation)
    return _propagated(run, epoch, names, index, step, decimation)


def _from_table(run, epoch, names, index, step, decimation) -> Tracks:
    table = run.table("ephemeris")
    t_ms = pc.cast(table.column("time"), "int64").to_numpy()
    t_s = (t_ms - epoch.astype("datetime64[ms]").astype(np.int64)) / 1e3
    sat = table.column("satellite").combine_chunks()
    values = sat.dictionary.to_pylist()
    position = {name: k for k, name in enumerate(names)}
    fleet_index = np.array([position[v] for v in values])[sat.indices.to_numpy()]
    times = np.unique(t_s)
    keep_t = times[np.isclose(np.round(times / step) * step, times)]
    column = np.full(len(names), -1)
    column[index] = np.arange(len(index))
    rows = np.isin(t_s, keep_t) & (column[fleet_index] >= 0)
    r = np.full((len(keep_t), len(index), 3), np.nan)
    ti = np.searchsorted(keep_t, t_s[rows])
    si = column[fleet_index[rows]]
    for k, axis in enumerate(("x_km", "y_km", "z_km")):
        r[ti, si, k] = table.column(axis).to_numpy()[rows] * 1e3
    return Tracks(epoch, keep_t, [names[i] for i in index], r, None, None, "ephemeris", decimation)


def _propagated(run, epoch, names, index, step, decimation) -> Tracks:
    world = build_world(load_scenario(run.path / "scenario.yaml"))
    t = np.arange(0.0, run.summary["duration_s"] + 1e-6, step)
    per_chunk = max(1, CHUNK_SAT_STEPS // max(len(world.fleet), 1))
    r_ecef, r_eci, v_eci = [], [], []
    for k in range(0, len(t), per_chunk):
        tk = t[k : k + per_chunk]
        r, v = world.exact_states(tk)
        samples = Samples(epoch, tk, r[:, index], v[:, index])
        r_ecef.append(samples.r_ecef)
        r_eci.append(samples.r_eci)
        v_eci.append(samples.v_eci)
    return Tracks(
        epoch,
        t,
        [names[i] for i in index],
        np.concatenate(r_ecef),
        np.concatenate(r_eci),
        np.concatenate(v_eci),
        "propagated",
        decimation,
    )
