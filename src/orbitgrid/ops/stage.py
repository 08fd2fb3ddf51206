"""The Operations stage of the pipeline: the space OS and the batteries and radiators it loads,
in a closed loop.

Active when the scenario has `workload:` or `jobs_file:` (which needs a constellation with an
accelerator, so a physics stage). Per block it keeps what every policy's OS sees apart from
power and heat (OpsBlock): the illumination, the best ground-link rate to any station in view
(clear sky, the station's link model), the best ISL rate, the block's radiation faults, and
physics' block (PhysicsBlock: the environment the batteries and radiators march through).

The closed loop (ClosedLoop, one per policy in `workload.policy`, comma-separated; each policy
has its own batteries and radiators: physics.PowerTrack). Step after step of the scenario (the
control interval is the step, in scenario time, never a block, so results do not depend on how
a run is cut):
  1. physics gives what power and heat allow over the step from the battery and radiator at
     its start (StepLimits);
  2. the engine gets the step (Engine.extend: capacity = allowed / installed, capped at 1) and
     advances over it, placing, running and finishing jobs;
  3. the compute energy it drew on each satellite over the step (Engine.compute_drawn_j: the
     jobs' compute segments; staging, idle and down satellites draw nothing) is the step's
     compute load, with which physics marches the battery and radiator (plus housekeeping);
  4. steps behind the engine's clock are forgotten (Engine.forget_before) once the engine
     holds FORGET_STEPS of them.
So power.parquet, the summary's energy figures (physics and ops) and the next placement see the
same state. A batch run keeps the blocks and runs the loops at the end, when the imaging jobs
(sensing's alerts) and the run's upset rate are known: blocks outside, policies inside (so
per-step power rows come step by step, policy by policy). The live service runs the same
ClosedLoop block by block.

Tables: jobs.parquet, schedule.parquet and transfers.parquet (link, job, start, end, bytes,
kind: one row per transfer and link it held, kind "transfer", and the pieces of training
all-reduces on ISL terminals, kind "allreduce"), with a leading policy column when there are
several policies (power.parquet too), and summary["ops"], with summary["ops"]["ground_baseline"]:
the same jobs on the same accelerators on the ground (always full power, no upsets, data at
hand, 400 Gbit/s fabric).

ISL rate per satellite and step: the optical link budget (network.links.optical_isl_rate_bps,
falling with distance, capped at the terminal ceiling) over the satellite's ISLs at their lengths
at that step: its best link (a transfer uses one link at a time), as the network stage hands it
on (NetworkBlock, from the world's layouts, network.isl, as sensing uses them): topology, range,
Earth line of sight with the margin, the cross-plane latitude cut and the terminals per
satellite, at every step; a satellite whose links are all down has 0 at that step. No ISL
timeline at all (None) when no constellation has ISLs.

Memory: kept per satellite and step for the whole run (batch): physics' environment (array
output, environmental heat, illumination: float64, 24 bytes), the ground rate (float32, 4),
sunlit (uint8, 1) and with ISLs their rate (float32, 4): 29-33 bytes. The engines keep only a
window of steps (forget_before), whatever the run's length.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from orbitgrid.errors import ScenarioError
from orbitgrid.network.graph import visible_pairs_steps
from orbitgrid.network.links import GroundLink, ground_link_rate_bps
from orbitgrid.ops.engine import Engine, OpsResult, Protection, run_ops
from orbitgrid.ops.jobs import ImagePasses, Workload, workload_jobs
from orbitgrid.ops.policies import Policy, load_policy
from orbitgrid.ops.timelines import FAULT_DTYPE, Timelines
from orbitgrid.results import utc_timestamps

if TYPE_CHECKING:
    from orbitgrid.network.stage import NetworkBlock
    from orbitgrid.ops.job_state import StateChange
    from orbitgrid.ops.jobs import Jobs
    from orbitgrid.orbits.contacts import Stations
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.physics.stage import PhysicsBlock, PhysicsStage, PowerTrack
    from orbitgrid.pipeline import RunContext
    from orbitgrid.sensing.stage import Alerts

PRECISIONS = ("fp8", "bf16", "fp16", "fp32", "int8")
# The closed loop lets the engine forget the steps behind its clock once it holds this many
# (a window, whatever the run's length; each forget has a fixed cost).
FORGET_STEPS = 64
# Ground baseline interconnect per accelerator: one 400 Gbit/s InfiniBand NDR port.
GROUND_FABRIC_BPS = 400e9


def protection_of(w: Workload) -> Protection:
    return Protection(
        redundancy=w.redundancy,
        checkpoint_interval_s=w.checkpoint_interval,
        checkpoint_write_bps=w.checkpoint_write_bps,
        sefi_recovery_s=w.sefi_recovery,
        tokens_per_step=w.tokens_per_step,
    )


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class OpsBlock:
    """One block as every policy's OS sees it, apart from power and heat: (T, N) over the fleet.

    physics: the physics stage's block (steps, their lengths, the environment of the march,
    radiation events); sunlit: lit (illumination >= 0.5) as uint8; ground_bps: best clear-sky
    ground rate to a station in view, float32; isl_bps: best ISL rate, float32 (None: no ISLs);
    faults: the block's radiation events (FAULT_DTYPE, by time then satellite)."""

    physics: PhysicsBlock
    sunlit: np.ndarray
    ground_bps: np.ndarray
    isl_bps: np.ndarray | None
    faults: np.ndarray


@dataclass(frozen=True, eq=False)
class Payloads:
    """What the OS knows of each satellite (N,), apart from the steps: payload power at full
    load W, dense peak op/s per precision, cluster labels and names, mean upset rate 1/s."""

    power_w: np.ndarray
    peak_flops: dict[str, np.ndarray]
    group: np.ndarray
    group_names: list[str]
    names: list[str]
    seu_rate_s: np.ndarray


class ClosedLoop:
    """One policy's engine and the batteries and radiators it loads (track), stepped together
    step after step (module docstring). jobs: fed up front, as run_ops does (None: none yet;
    submit them to .engine once it exists). engine_kw: more Engine arguments (listener,
    record_changes).

    Batch: run(block) for each block in order, then close(). Live: add(block) as environment
    is computed ahead of the clock, advance_to(t_s) as the clock moves (the state changes come
    back); .engine (None before the first step) takes submit, cancel, status in between. Both
    give the same numbers: a step's capacity comes from the state at its start, and physics
    marches a step once the engine has passed its end.
    """

    def __init__(self, track: PowerTrack, fleet: Payloads, policy: Policy,
                 protection: Protection, seed: int, jobs: Jobs | None = None, **engine_kw):
        self.track, self.fleet, self.policy = track, fleet, policy
        self.protection, self.seed, self.jobs = protection, seed, jobs
        self.engine_kw = engine_kw
        self.engine: Engine | None = None
        self.first: Timelines | None = None  # the first step's timelines
        self.drawn_j = np.zeros(len(fleet.power_w))
        self.top = np.where(fleet.power_w > 0, fleet.power_w, np.inf)
        self.blocks: deque[OpsBlock] = deque()
        self.block: OpsBlock | None = None  # the block being stepped through
        self.i = 0  # its next step
        self.steps: tuple[list, ...] = ()  # its steps' starts, ends, first and end faults
        self.extended = False  # that step is in the engine's timelines

    @property
    def horizon_s(self) -> float:
        """The end of the environment added so far (advance_to may go up to it)."""
        last = self.blocks[-1] if self.blocks else self.block
        if last is None:
            return -np.inf
        b = last.physics
        return float(b.t_s[-1] + b.dt_s[-1])

    def run(self, block: OpsBlock) -> None:
        """Step engine and physics together through block's steps."""
        self.add(block)
        self.advance_to(self.horizon_s)

    def add(self, block: OpsBlock) -> None:
        """The environment of the steps after those added so far."""
        self.blocks.append(block)

    def advance_to(self, t_s: float) -> list[StateChange]:
        """Step engine and physics through every step that ends by t_s, and the engine on into
        the step holding t_s (up to horizon_s). Returns the engine's state changes (none
        unless it records them)."""
        changes: list[StateChange] = []
        track = self.track
        while True:
            if self.block is None:
                if not self.blocks:
                    return changes
                self.block, self.i = self.blocks.popleft(), 0
                track.begin(self.block.physics)
                self.steps = _steps(self.block)
            block, i = self.block, self.i
            b = block.physics
            if i == b.steps:
                track.end()
                self.block = None
                continue
            h = float(b.dt_s[i])
            if h <= 0.0:  # the run's last sample: nothing happens in it
                track.step(np.zeros(len(self.top)))
                self.i += 1
                continue
            t0, t1 = self.steps[0][i], self.steps[1][i]
            # the engine starts at the first step's start (jobs may then be submitted at it)
            if t_s < t1 and (t_s <= self.engine.now_s if self.engine is not None else t_s < t0):
                return changes
            if not self.extended:
                faults = block.faults[self.steps[2][i]:self.steps[3][i]]
                step = self._timelines(block, i, t0, t1, track.limits(), faults)
                if self.engine is None:
                    self.engine = self._engine(step)
                else:
                    self.engine.extend(step)
                self.extended = True
            engine = self.engine
            if t_s < t1:
                changes += engine.advance_to(t_s)
                return changes
            changes += engine.advance_to(t1)
            drawn = engine.compute_drawn_j(t1)
            track.step((drawn - self.drawn_j) / h)
            self.drawn_j = drawn
            if len(engine.env.t_s) > FORGET_STEPS:  # the engine's state alone: not the blocks
                engine.forget_before(t1)
            self.i += 1
            self.extended = False

    def close(self) -> OpsResult:
        """Run the engine to the end of the steps given and build its results."""
        if self.engine is None:
            raise RuntimeError("close: no step was run")
        return self.engine.close()

    def _engine(self, first: Timelines) -> Engine:
        engine = Engine(first, self.policy, self.protection, self.seed, open_ended=True,
                        **{"record_changes": False, **self.engine_kw})
        if self.jobs is not None:
            columns = {k: v.tolist() for k, v in self.jobs.items()}
            for values in zip(*columns.values(), strict=True):
                engine.add(dict(zip(columns, values, strict=True)))
        return engine

    def _timelines(self, block: OpsBlock, i: int, t0: float, t1: float, limits,
                   faults: np.ndarray) -> Timelines:
        """The engine's view of step i: capacity from what power and heat allow now."""
        w = np.array([limits.compute_w_allowed, limits.compute_w_energy])
        # NaN (no satellite) and 0 / inf (no accelerator) give 0
        capacity, energy = np.minimum(np.where(w >= 0.0, w, 0.0) / self.top, 1.0)
        soc = limits.battery_soc
        row = slice(i, i + 1)
        step = dict(
            t_s=np.array([t0, t1]),
            capacity=_down32(capacity)[None],
            sunlit=block.sunlit[row],
            battery=np.where(soc >= 0.0, soc, 0.0).astype(np.float32)[None],
            ground_bps=block.ground_bps[row],
            isl_bps=None if block.isl_bps is None else block.isl_bps[row],
            faults=faults,
            power_capacity=np.maximum(energy, capacity).astype(np.float32)[None],
        )
        if self.first is None:
            f = self.fleet
            self.first = Timelines(peak_flops=f.peak_flops, power_w=f.power_w, group=f.group,
                                   seu_rate_s=f.seu_rate_s, names=f.names,
                                   group_names=f.group_names, **step)
            return self.first
        return self.first.replaced(**step)  # its per-satellite fields (no __init__ per step)


class OpsStage:
    """The environment per block, then the closed loops over it (see the module docstring)."""

    def __init__(self, context: RunContext, workload: Workload, physics: PhysicsStage | None):
        world = context.world
        sc, fleet = world.scenario, world.fleet
        self.context, self.workload = context, workload
        names = [p.strip() for p in workload.policy.split(",") if p.strip()]
        self.policies = [load_policy(p) for p in names or ["first-fit"]]
        n = len(fleet)
        self.power_w = np.zeros(n)
        self.peak = {p: np.zeros(n) for p in PRECISIONS}
        self.has_isl = any(g is not None for g in world.isl)
        self.group = np.zeros(n, dtype=np.int64)
        self.group_names: list[str] = []
        for k, c in enumerate(sc.constellations):
            members = world.members(k)
            sat = world.satellites[k]
            if sat is not None and sat.accelerator is not None:
                self.power_w[members] = sat.compute_power_w
                for p in PRECISIONS:
                    if p in sat.accelerator.peak_tflops:
                        self.peak[p][members] = (sat.accelerator.peak_ops_per_s(p)
                                                 * sat.payload.count)
            design = c.walker or c.sun_synchronous
            whole = design is not None and len(members) == design.satellites
            per_plane = design.satellites // design.planes if whole else 0
            planes = design.planes if whole else 1
            for plane in range(planes):
                in_plane = (members[plane * per_plane:(plane + 1) * per_plane] if per_plane
                            else members)
                self.group[in_plane] = len(self.group_names)
                self.group_names.append(c.name if planes == 1 else f"{c.name}/plane {plane}")
        if not (self.power_w > 0).any() or physics is None:
            raise ScenarioError(
                "workload: no satellite has an accelerator "
                "(give constellations.N.satellite.payload.accelerator)"
            )
        stations = world.stations
        # imaging arrivals wait for the sensing stage's images (finish); checked now without
        self.imaging = any(g.arrivals == "imaging" for g in workload.generators)
        self.jobs = self._jobs(image_passes(sc.sensing, None) if self.imaging else None)
        self.stations = world.ground if stations else None
        self.links = [s.link or GroundLink() for s in stations]
        # each policy's batteries and radiators: physics marches none of its own any more
        self.tracks = physics.closed_loop([p.name for p in self.policies])
        self.blocks: list[OpsBlock] = []

    def _jobs(self, images: ImagePasses | None):
        sc = self.context.scenario
        return workload_jobs(self.workload, sc.jobs_file, sc.duration, sc.epoch, sc.seed,
                             list(self.context.fleet.names), images)

    @classmethod
    def create(cls, context: RunContext, physics: PhysicsStage | None) -> OpsStage | None:
        sc = context.scenario
        if sc.workload is None and sc.jobs_file is None:
            return None
        return cls(context, sc.workload or Workload(), physics)

    def block(self, samples: Samples, power: PhysicsBlock,
              links: NetworkBlock | None) -> OpsBlock:
        """Keep the block's environment (for finish) and return it."""
        kept = self.environment(samples, power, links)
        self.blocks.append(kept)
        return kept

    def environment(self, samples: Samples, power: PhysicsBlock,
                    links: NetworkBlock | None) -> OpsBlock:
        """The block as every policy's OS sees it (OpsBlock), not kept (the live service's
        way); power: the physics stage's block; links: the network stage's (there whenever
        the world has ISLs)."""
        faults = power.radiation_events.astype(FAULT_DTYPE)
        return OpsBlock(
            physics=power,
            sunlit=(samples.illumination >= 0.5).astype(np.uint8),
            ground_bps=self._ground(samples.r_ecef).astype(np.float32),
            isl_bps=links.isl_best_bps if self.has_isl else None,
            faults=faults[np.lexsort((faults["satellite"], faults["time_s"]))],
        )

    def _ground(self, r: np.ndarray) -> np.ndarray:
        """Best clear-sky ground rate (T, N) bit/s to any station in view."""
        if self.stations is None:
            return np.zeros(r.shape[:2])
        return best_ground_bps(r, self.stations, self.links)

    def payloads(self, seu_rate_s: np.ndarray | None = None) -> Payloads:
        """The OS's per-satellite figures; the upset rate (1/s, for the Young/Daly checkpoint
        interval) seu_rate_s, or (None) the kept blocks' seu faults over the run's duration."""
        rate = seu_rate_s
        if rate is None:
            faults = (np.concatenate([b.faults for b in self.blocks]) if self.blocks
                      else np.empty(0, FAULT_DTYPE))
            seu = faults[faults["kind"] == "seu"]
            duration = self.context.scenario.duration
            rate = np.bincount(seu["satellite"], minlength=len(self.power_w)) / duration
        return Payloads(self.power_w, {p: v for p, v in self.peak.items() if v.any()}, self.group,
                     self.group_names, list(self.context.fleet.names), rate)

    def finish(self, alerts: Alerts | None) -> dict:
        """Run the closed loops through the kept blocks; alerts: the sensing stage's (imaging
        arrivals)."""
        if self.imaging:
            self.jobs = self._jobs(image_passes(self.context.scenario.sensing, alerts))
        fleet, prot = self.payloads(), protection_of(self.workload)
        seed = self.context.scenario.seed
        loops = [ClosedLoop(track, fleet, policy, prot, seed, self.jobs)
                 for track, policy in zip(self.tracks, self.policies, strict=True)]
        t = []
        while self.blocks:  # each block freed once every loop has run through it
            block = self.blocks.pop(0)
            for loop in loops:
                loop.run(block)
            b = block.physics
            t.append(b.t_s[b.dt_s > 0])
        results = [loop.close() for loop in loops]
        several = len(results) > 1
        epoch = self.context.scenario.epoch64
        for name, names in TABLE_COLUMNS.items():
            tables = [_arrow(getattr(r, name), names, epoch,
                             r.summary["policy"] if several else None) for r in results]
            self.context.writer.write_table(name, pa.concat_tables(tables))
        first = dict(results[0].summary)
        if several:
            first["policies"] = [r.summary for r in results]
        edges = np.append(np.concatenate(t), self.context.scenario.duration)
        first["ground_baseline"] = self._ground_baseline(edges, fleet, prot)
        return {"ops": first}

    def _ground_baseline(self, t_s: np.ndarray, fleet: Payloads, prot: Protection) -> dict:
        """The same jobs on the same accelerators on the ground: full power, no eclipse, no
        upsets, data at hand (the first policy)."""
        shape = (len(t_s) - 1, len(fleet.power_w))
        on = np.broadcast_to((fleet.power_w > 0).astype(np.float32), shape)  # views, no copies
        ground = Timelines(t_s=t_s, capacity=on, sunlit=np.broadcast_to(np.uint8(1), shape),
                           peak_flops=fleet.peak_flops, power_w=fleet.power_w, group=fleet.group,
                           isl_bps=np.broadcast_to(GROUND_FABRIC_BPS, shape), names=fleet.names,
                           group_names=fleet.group_names)
        s = run_ops(self.jobs, ground, self.policies[0], prot, self.context.scenario.seed).summary
        keys = ("completed", "useful_flop_per_day", "utilisation", "completion_p50_s",
                "completion_p99_s", "deadline_misses", "energy_per_job_j")
        return {k: s[k] for k in keys}


def best_ground_bps(r_m: np.ndarray, stations: Stations, links: list[GroundLink]) -> np.ndarray:
    """Best clear-sky ground rate (T, N) bit/s of satellites at r_m (T, N, 3) Earth-fixed m to
    any of the stations in view (links: each station's link model): the visible pairs of all the
    steps in one pass (graph.visible_pairs_steps), their rates in one call per station."""
    steps, n = r_m.shape[:2]
    out = np.zeros(steps * n)
    if not steps:
        return out.reshape(steps, n)
    g = stations
    offsets, sat, station, rng_m, height = visible_pairs_steps(r_m, g.ecef, g.up, g.mask,
                                                               g.max_range)
    cell = np.repeat(np.arange(steps) * n, np.diff(offsets)) + sat  # step x satellite
    el = np.arcsin(np.clip(height / rng_m, -1.0, 1.0))
    rate = np.empty(len(cell))
    for s in np.unique(station):
        on = station == s
        rate[on] = ground_link_rate_bps(rng_m[on], el[on], links[s])
    np.maximum.at(out, cell, rate)
    return out.reshape(steps, n)


def image_passes(spec, alerts: Alerts | None) -> ImagePasses | None:
    """The images of the scenario's `sensing:` block spec (None without one): each event's first
    image, its time and satellite (from the sensing stage's alerts; none yet when alerts is
    None), sizes from the sensing model."""
    if spec is None:
        return None
    if alerts is None:
        time_s, satellite = np.zeros(0), np.zeros(0, dtype=object)
    else:
        time_s, satellite = alerts.image_time_s, alerts.image_satellite
    return ImagePasses(
        time_s=time_s,
        satellite=satellite,
        input_bytes=spec.image_bytes,
        work_flop=spec.inference_ops,
        precision=spec.precision,
        output_bytes=spec.alert_kb * 1e3,
    )


def _steps(block: OpsBlock) -> tuple[list, ...]:
    """A block's steps as the closed loop reads them: starts and ends s (start + length), and
    the range of its faults in each, as lists."""
    b, times = block.physics, block.faults["time_s"]
    end = b.t_s + b.dt_s
    return (b.t_s.tolist(), end.tolist(), times.searchsorted(b.t_s).tolist(),
            times.searchsorted(end).tolist())


def _down32(x: np.ndarray) -> np.ndarray:
    """x as float32, rounded towards zero (never above x)."""
    y = x.astype(np.float32)
    return np.where(y > x, np.nextafter(y, np.float32(0)), y)


# the columns of the engine's result tables, in file order; times (s) become UTC timestamps,
# named as in every run table (never `end`, an SQL keyword)
TABLE_COLUMNS = {
    "jobs": ("job", "kind", "arrival", "start", "end", "satellites", "state", "energy_j",
             "bytes_moved", "rollbacks", "migrations", "deadline_met"),
    "schedule": ("job", "satellite", "start", "end"),
    "transfers": ("link", "job", "start", "end", "bytes", "kind"),
}
TIME_COLUMNS = {"arrival": "arrival_time", "start": "start_time", "end": "end_time"}


def _arrow(cols: dict, names: tuple[str, ...], epoch, policy: str | None) -> pa.Table:
    """One policy's result table: strings as strings, times as UTC timestamps, a leading policy
    column when several policies ran."""
    data = {} if policy is None else {"policy": pa.array([policy] * len(cols[names[0]]))}
    for name in names:
        x = cols[name]
        if name in TIME_COLUMNS:
            data[TIME_COLUMNS[name]] = utc_timestamps(epoch, x)
        elif x.dtype.kind in "OU":
            data[name] = pa.array(x.tolist(), type=pa.string())
        else:
            data[name] = x
    return pa.table(data)
