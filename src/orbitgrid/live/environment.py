"""The environment of the live twin, in chunks of twin time ahead of the clock.

The pipeline propagates: the twin's World (orbitgrid.pipeline.build_world) and its endless
stream of TimeBlocks from the start time on (pipeline.stream(world, start_s, None)). Each block
is cut into chunks of at most chunk_s of twin time (sampled on the block's own trajectory, so
the states are the stream's) and fed to the same stages as a batch run: physics (its typed
PhysicsBlock: the environment the batteries and radiators march through), network (its
NetworkBlock: each satellite's best ISL rate) and the Operations stage's environment(), which
hands the chunk on as an OpsBlock, not kept. The batteries and radiators are not marched here:
the twin's closed loop (ops.stage.ClosedLoop over `track`, the scenario's first policy) steps
them with the load its engine runs. Memory: one stream chunk of trajectory and one environment
chunk of arrays at a time, whatever the run length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from orbitgrid.network.stage import NetworkStage
from orbitgrid.ops.jobs import Workload
from orbitgrid.ops.stage import OpsBlock, OpsStage, Payloads
from orbitgrid.orbits.samples import Samples
from orbitgrid.physics.stage import PhysicsStage
from orbitgrid.pipeline import RunContext, TimeBlock, build_world, stream
from orbitgrid.scenario import Scenario

# duration given to the stages: they see an endless run (the last step never shortens)
ENDLESS_S = 1e15
# satellite-steps per chunk (bounds the chunk's memory, ~100 MB of states at most)
CHUNK_SAT_STEPS = 200_000


@dataclass(frozen=True)
class SatelliteEvent:
    """An environment event: eclipse_in, eclipse_out, contact_start, contact_end, upset,
    interrupt, at twin time twin_s (s after the epoch), satellite index."""

    type: str
    twin_s: float
    satellite: int


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class Chunk:
    """One chunk of environment: its OpsBlock over [t0, t1), its satellite events, and the OS's
    per-satellite figures with this chunk's upset rate (Payloads; the closed loop takes the
    first chunk's)."""

    block: OpsBlock
    events: list[SatelliteEvent]
    payloads: Payloads

    @property
    def t0(self) -> float:
        return float(self.block.physics.t_s[0])

    @property
    def t1(self) -> float:
        b = self.block.physics
        return float(b.t_s[-1] + b.dt_s[-1])


class Environment:
    """Chunks of the scenario's environment from twin time start_s on (see the module doc).

    next_chunk() computes the chunk after the last one; a chunk is chunk_s of twin time rounded
    up to whole steps, at most CHUNK_SAT_STEPS satellite-steps (and at least one step).
    """

    def __init__(self, scenario: Scenario, start_s: float, chunk_s: float = 600.0):
        sc = scenario.model_copy(update={
            "duration": ENDLESS_S, "jobs_file": None,
            "workload": (scenario.workload or Workload()).model_copy(update={"generators": []}),
        })
        self.scenario = sc
        self.world = build_world(sc)
        self.fleet = self.world.fleet
        self.names = list(self.fleet.names)
        self.step = sc.step
        n = len(self.fleet)
        self.steps_per_chunk = max(min(math.ceil(chunk_s / sc.step - 1e-9),
                                       CHUNK_SAT_STEPS // max(n, 1)), 1)
        self.chunk_s = self.steps_per_chunk * sc.step
        self.t = math.floor(start_s / sc.step) * sc.step  # on the batch run's step grid
        self._blocks: Iterator[TimeBlock] = stream(self.world, self.t, None)
        self._block: TimeBlock | None = None
        self._next = 0  # index of the next step of self._block to hand on
        context = RunContext(self.world, None)  # no run folder: the stages write nothing
        self.physics = PhysicsStage.create(context)
        has_isl = any(g is not None for g in self.world.isl)
        self.network = NetworkStage(context, routes=[]) if has_isl else None
        workload = sc.workload
        first = (workload.policy.split(",")[0].strip() or "first-fit")
        # one policy: the OS the twin runs (its batteries and radiators: track)
        self.ops = OpsStage(context, workload.model_copy(update={"policy": first}), self.physics)
        (self.track,) = self.ops.tracks
        self.power_w, self.peak = self.ops.power_w, self.ops.peak
        self.last_sunlit: np.ndarray | None = None
        self.last_contact: np.ndarray | None = None

    def close(self) -> None:
        self._blocks.close()

    def _samples(self) -> Samples:
        """The next chunk's states: up to steps_per_chunk steps of the stream's blocks."""
        while self._block is None or self._next >= self._block.steps:
            self._block, self._next = next(self._blocks), 0
        block, k = self._block, self._next
        self._next = min(k + self.steps_per_chunk, block.steps)
        if k == 0 and self._next == block.steps:
            return block.samples
        return Samples.from_trajectory(block.chunk.trajectory, block.samples.t_s[k:self._next])

    def gone_from_s(self) -> np.ndarray:
        """(N,) twin time of each satellite's first SGP4 error seen so far (inf: none)."""
        n = len(self.fleet)
        return np.full(n, np.inf) if self._block is None else self._block.gone.first_error_s

    def next_chunk(self) -> Chunk:
        """Compute the next chunk [t, t + about chunk_s) and move on."""
        samples = self._samples()
        power = self.physics.block(samples)
        self.physics.events.clear()  # the radiation table's rows: no run folder to write
        links = self.network.block(samples) if self.network is not None else None
        block = self.ops.environment(samples, power, links)
        t0, t1 = float(power.t_s[0]), float(power.t_s[-1] + power.dt_s[-1])
        seu = block.faults[block.faults["kind"] == "seu"]
        rate = np.bincount(seu["satellite"], minlength=len(self.power_w)) / (t1 - t0)
        self.t = t1
        return Chunk(block, self._events(block), self.ops.payloads(rate))

    def _events(self, block: OpsBlock) -> list[SatelliteEvent]:
        """Eclipse and contact edges (against the previous chunk's last step too) and upsets."""
        t_s, faults = block.physics.t_s, block.faults
        out: list[SatelliteEvent] = []
        lit = block.sunlit >= 1
        contact = block.ground_bps > 0
        for name, now, last, (down, up) in (
                ("sunlit", lit, self.last_sunlit, ("eclipse_in", "eclipse_out")),
                ("contact", contact, self.last_contact, ("contact_end", "contact_start"))):
            prev = np.vstack([now[:1] if last is None else last[None], now])
            change = np.diff(prev.astype(np.int8), axis=0)
            for sign, kind in ((-1, down), (1, up)):
                k, s = np.nonzero(change == sign)
                out += [SatelliteEvent(kind, float(t_s[a]), int(b))
                        for a, b in zip(k.tolist(), s.tolist(), strict=True)]
            if name == "sunlit":
                self.last_sunlit = now[-1].copy()
            else:
                self.last_contact = now[-1].copy()
        for f in faults:
            out.append(SatelliteEvent("upset" if f["kind"] == "seu" else "interrupt",
                                      float(f["time_s"]), int(f["satellite"])))
        out.sort(key=lambda e: (e.twin_s, e.satellite, e.type))
        return out

    def position(self, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(N,) latitude deg, longitude deg, altitude km and illumination at twin time t_s
        (the world's SGP4 states at t_s, gone satellites NaN)."""
        t = np.array([t_s])
        r, v = self.world.exact_states(t, gone_from_s=self.gone_from_s())
        s = Samples(self.world.epoch, t, r, v)
        lat, lon, alt = s.geodetic
        return (np.rad2deg(lat[0]), np.rad2deg(lon[0]), alt[0] / 1e3, s.illumination[0])
