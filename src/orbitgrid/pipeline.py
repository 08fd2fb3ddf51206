"""The run's world, worked out once, and the stream of time blocks every consumer reads.

`World`: what a run needs before its first step (the fleet, each constellation's satellite
resolved against the catalogue, the ground stations, the ISL layouts). `stream(world)` then
propagates the fleet chunk by chunk of knots and yields `TimeBlock`s: the states sampled at the
scenario's steps, the chunk's trajectory for event searches, and which satellites are gone. It is
the only place the fleet is propagated in a run; simulate, the route series and the live
service consume it, bounded (a run's span) or endless.

Rules kept here, once:
  gone      a satellite is gone (NaN states) from its first SGP4 error on, even if SGP4 returns
            numbers again later; errors are looked for at the knots, from t = 0.
  ISLs      a plus-grid's planes x per_plane (the isl block's, else the walker's) must equal the
            constellation's satellites, else ScenarioError naming constellations.K.isl: a grid
            that does not fit is a mistake in the scenario, not a hint to guess from;
            without a grid, planes come from the elements at t = 0.
  knots     a bounded stream lies on the run's knot grid, knot_times(0, duration) (so any span
            gives the numbers the whole run gives there); an endless one on knots every
            MAX_KNOT_STEP_S from the epoch (the same grid when the duration is a multiple).
  memory    CHUNK_SAT_KNOTS satellite-knots per chunk (~100 MB of states), SAMPLE_BLOCK
            satellite-steps per block.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from orbitgrid.errors import ScenarioError
from orbitgrid.fleet import Fleet, build_fleet
from orbitgrid.network.isl import IslLayout, design_grid, isl_layout
from orbitgrid.orbits.contacts import Stations
from orbitgrid.orbits.samples import Samples
from orbitgrid.orbits.trajectory import MAX_KNOT_STEP_S, Trajectory, knot_times
from orbitgrid.physics.satellite import Satellite, SatelliteError, resolve_constellations
from orbitgrid.results import RunWriter
from orbitgrid.scenario import GroundStation, Scenario

__all__ = ["CHUNK_SAT_KNOTS", "SAMPLE_BLOCK", "Chunk", "Gone", "RunContext", "TimeBlock", "World",
           "build_world", "stream"]

# Satellite-knots per time chunk: about 100 MB of states.
CHUNK_SAT_KNOTS = 2_000_000
# Satellite-steps per block of sampled states handed to the stages.
SAMPLE_BLOCK = 1_000_000


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class World:
    """A run's fixed set-up. satellites and isl are per constellation (None: no `satellite:`
    block, or no ISLs); isl layouts index the fleet (n_nodes = len(fleet))."""

    scenario: Scenario
    fleet: Fleet
    satellites: tuple[Satellite | None, ...]
    stations: tuple[GroundStation, ...]
    ground: Stations
    isl: tuple[IslLayout | None, ...]
    # fleet index of fleet[0] in the scenario's whole fleet (a split run's block starts later):
    # what keys a satellite's random draws, so they do not depend on the split
    first_satellite: int = 0

    @property
    def epoch(self) -> np.datetime64:
        return self.scenario.epoch64

    def members(self, k: int) -> np.ndarray:
        """Fleet indices of constellation k's satellites (contiguous, in order)."""
        return np.flatnonzero(self.fleet.constellation == k)

    @cached_property
    def steps_s(self) -> np.ndarray:
        """The run's sample times (s after the epoch): every step, the duration included."""
        return np.arange(0.0, self.scenario.duration + 1e-6, self.scenario.step)

    def exact_states(self, t_s: np.ndarray, satellites: slice = slice(None),
                     gone_from_s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """SGP4 states (not interpolated) r, v (T, n, 3) of a contiguous block of satellites at
        times t_s; r NaN where SGP4 fails or from gone_from_s (N,) on (the gone rule)."""
        fleet = self.fleet if satellites == slice(None) else self.fleet.subset(satellites)
        states = fleet.propagate(self.epoch, t_s)
        dead = states.error != 0
        if gone_from_s is not None:
            dead |= np.asarray(t_s)[:, None] >= gone_from_s[satellites][None, :]
        if not dead.any():
            return states.r, states.v
        return np.where(dead[..., None], np.nan, states.r), states.v


def build_world(scenario: Scenario, satellites: slice | None = None) -> World:
    """The world of a run of scenario; satellites= one contiguous block of the fleet (a split
    run's). ScenarioError for a satellite the catalogue cannot resolve or a grid that does not
    fit (module docstring)."""
    fleet = build_fleet(scenario)
    first = 0
    if satellites is not None:
        first = satellites.indices(len(fleet))[0]
        fleet = fleet.subset(satellites)
    try:
        sats = resolve_constellations([c.satellite for c in scenario.constellations],
                                      scenario.catalog)
    except SatelliteError as exc:
        raise ScenarioError(str(exc)) from None
    stations = tuple(scenario.stations())
    return World(scenario, fleet, tuple(sats), stations, Stations.from_scenario(stations),
                 _isl_layouts(scenario, fleet), first)


def _isl_layouts(scenario: Scenario, fleet: Fleet) -> tuple[IslLayout | None, ...]:
    layouts: list[IslLayout | None] = []
    n = len(fleet)
    for k, c in enumerate(scenario.constellations):
        members = np.flatnonzero(fleet.constellation == k)
        if c.isl is None or c.isl.topology == "none" or not len(members):
            layouts.append(None)
            continue
        grid = design_grid(c.isl, c.walker or c.sun_synchronous)
        if grid is not None and grid[0] * grid[1] != len(members):
            raise ScenarioError(
                f"constellations.{k}.isl: planes x per_plane = {grid[0] * grid[1]}"
                f" but {c.name} has {len(members)} satellites"
            )
        layouts.append(isl_layout(c.isl, members, n, grid))
    if not any(g is not None and g.needs_elements for g in layouts):
        return tuple(layouts)
    # planes from the elements at the run's first step (a knot: the states a run starts from)
    states = fleet.propagate(scenario.epoch64, np.array([0.0]))
    r = np.where((states.error != 0)[..., None], np.nan, states.r)[0]
    return tuple(
        g.from_elements(r[g.members], states.v[0, g.members], fleet.a_m[g.members])
        if g is not None and g.needs_elements else g
        for g in layouts
    )


@dataclass(frozen=True)
class RunContext:
    """What every stage of a run may read: the world, the writer of the run folder, and the
    optional tables asked for (simulation.OPTIONAL_TABLES). writer is None for a stage run
    without a folder (the route series)."""

    world: World
    writer: RunWriter | None
    save: frozenset[str] = frozenset()

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    @property
    def fleet(self) -> Fleet:
        return self.world.fleet


@dataclass
class Gone:
    """The gone rule's record: first SGP4 error time (s, inf: none) and its code, per
    satellite."""

    first_error_s: np.ndarray
    code: np.ndarray

    @classmethod
    def none(cls, n: int) -> Gone:
        return cls(np.full(n, np.inf), np.zeros(n, dtype=int))

    def note(self, error: np.ndarray, t_s: np.ndarray) -> None:
        """Take the error codes (T, N) of SGP4 at times t_s (T,), in time order."""
        bad = error != 0
        if not bad.any():
            return
        k = np.argmax(bad, axis=0)
        hit = bad.any(axis=0) & (t_s[k] < self.first_error_s)
        self.first_error_s[hit] = t_s[k[hit]]
        self.code[hit] = error[k[hit], np.flatnonzero(hit)]

    def copy(self) -> Gone:
        return Gone(self.first_error_s.copy(), self.code.copy())


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class Chunk:
    """A stretch of trajectory between knots (gone satellites NaN): what event searches run on.
    last: it ends the stream (a bounded one)."""

    trajectory: Trajectory
    last: bool


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class TimeBlock:
    """One block of steps: states of every satellite at samples.t_s (possibly none, when a
    chunk holds no step), the chunk they lie in (opens_chunk: its first block), the gone record
    so far, and progress in satellite-steps (total None: endless)."""

    world: World
    chunk: Chunk
    opens_chunk: bool
    samples: Samples
    gone: Gone
    done: int
    total: int | None

    @property
    def steps(self) -> int:
        return len(self.samples.t_s)

    def exact_samples(self) -> Samples:
        """The block's states from SGP4 at each step, not interpolated (gone rule applied)."""
        t = self.samples.t_s
        r, v = self.world.exact_states(t, gone_from_s=self.gone.first_error_s)
        return Samples(self.world.epoch, t, r, v)


def stream(world: World, start_s: float = 0.0, end_s: float | None = None) -> Iterator[TimeBlock]:
    """Time blocks over the steps in [start_s, end_s] (end_s None or inf: without end).

    Every chunk that overlaps the span yields at least one block (its first, opens_chunk), so
    event searches see all of it; chunks before start_s are propagated for the gone rule only.
    """
    endless = end_s is None or not math.isfinite(end_s)
    n, epoch = len(world.fleet), world.epoch
    per_chunk = max(2, CHUNK_SAT_KNOTS // max(n, 1))
    per_block = max(1, SAMPLE_BLOCK // max(n, 1))
    step = world.scenario.step
    if endless:
        steps = None
        total = None
        chunks = ((np.arange(c * per_chunk, (c + 1) * per_chunk + 1) * MAX_KNOT_STEP_S, False)
                  for c in itertools.count())
    else:
        all_steps = world.steps_s
        steps = all_steps[(all_steps >= start_s - 1e-9) & (all_steps <= end_s + 1e-6)]
        total = n * len(steps)
        chunks = _run_chunks(knot_times(0.0, world.scenario.duration), per_chunk)
    gone = Gone.none(n)
    done = 0
    for t, last in chunks:
        if not endless and t[0] > end_s + 1e-6:
            return
        states = world.fleet.propagate(epoch, t)
        gone.note(states.error, t)
        if t[-1] < start_s or (t[-1] == start_s and not last):
            continue  # before the span: its errors only
        dead = (t[:, None] >= gone.first_error_s[None, :])[..., None]
        chunk = Chunk(Trajectory(epoch, t, np.where(dead, np.nan, states.r), states.v), last)
        if steps is None:
            first = max(math.ceil(t[0] / step - 1e-9), math.ceil(start_s / step - 1e-9))
            in_chunk = np.arange(first, math.ceil(t[-1] / step - 1e-9)) * step
        else:
            in_chunk = steps[(steps >= t[0]) & ((steps <= t[-1]) if last else (steps < t[-1]))]
        record = gone.copy()
        for b in range(0, max(len(in_chunk), 1), per_block):
            t_block = in_chunk[b : b + per_block]
            done += n * len(t_block)
            samples = Samples.from_trajectory(chunk.trajectory, t_block)
            yield TimeBlock(world, chunk, b == 0, samples, record, done, total)
        if last:
            return


def _run_chunks(knots: np.ndarray, per_chunk: int):
    """(knot times, last) of each chunk of a run's knots; neighbours share their edge knot."""
    bounds = list(range(0, len(knots) - 1, per_chunk)) + [len(knots) - 1]
    for k0, k1 in zip(bounds[:-1], bounds[1:], strict=True):
        yield knots[k0 : k1 + 1], k1 == len(knots) - 1
