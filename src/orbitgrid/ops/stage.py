"""The Operations stage of the pipeline: collects the environment's timelines, runs the engine.

Active when the scenario has `workload:` or `jobs_file:`. Per block it keeps, for every
satellite and step: the compute power that physics allows (the physics stage's PhysicsBlock:
compute_w_allowed, compute_w_energy and battery_soc; radiation_events), the illumination and the
best ground-link rate to any station in view (clear sky, the station's link model). At the end
it runs the engine once per policy in `workload.policy` (comma-separated: the same jobs over the
same timelines) and writes jobs.parquet, schedule.parquet and transfers.parquet (link, job,
start, end, bytes, kind: one row per transfer and link it held, kind "transfer", and the pieces
of training all-reduces on ISL terminals, kind "allreduce"; with a policy column when there are
several policies) and summary["ops"], with summary["ops"]["ground_baseline"]: the same jobs on the
same accelerators on the ground (always full power, no upsets, data at hand, 400 Gbit/s
fabric).

ISL rate per satellite and step: the optical link budget (network.links.optical_isl_rate_bps,
falling with distance, capped at the terminal ceiling) over the satellite's ISLs at their lengths
at that step: its best link (a transfer uses one link at a time), as the network stage hands it
on (NetworkBlock, from the world's layouts, network.isl, as sensing uses them): topology, range,
Earth line of sight with the margin, the cross-plane latitude cut and the terminals per
satellite, at every step; a satellite whose links are all down has 0 at that step. No ISL
timeline at all (None) when no constellation has ISLs.

Memory: what is kept per satellite and step for the whole run is 17 bytes: capacity, the power
fraction and the ground rate as float32 (4 each; capacity rounded down so it never exceeds what
physics allowed), battery state of charge float32 (4) and sunlit as uint8 (1, lit: illumination
>= 0.5); 21 with ISLs (their rate, float32). The engine adds its running total of compute,
float64 (N, T + 1) (8 bytes), and one of ground bits only when a satellite without ISLs moves
data (8 more); ISL transfers integrate the kept rates over the steps they span, with no running
total: 29 bytes, ~250 MB for a day of 6,000 satellites at 60 s (8.6 M sat-steps), where float64
blocks, their joined copies and two running totals took ~88 (measured on 2,000 satellites for
6 h: 17 bytes kept, was 32 + 40, before ISL rates were kept per step).

Battery: the engine never draws more than physics assumed. Physics integrates the battery with the
accelerators at min(installed, energy limit, heat limit) every step; the engine runs a job at
capacity = min(compute_w_allowed / installed, 1) of installed power, and not at all when idle or
staging, so its load is at most physics' at every step. One battery step, E' = min(E + eta x
surplus, full) or max(E - deficit / eta, floor), falls with the load and rises with E, so by
induction over the steps the battery under the real schedule is never below physics' published
trajectory, which never goes below the floor: the handed-on compute_w_energy bounds the load
and the schedule cannot drain the battery below its limit. tests/ops/test_ops_stage.py checks
this on a produced schedule by integrating the battery again with the schedule's load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from orbitgrid.errors import ScenarioError
from orbitgrid.network.graph import visible_pairs
from orbitgrid.network.links import GroundLink, ground_link_rate_bps
from orbitgrid.ops.engine import Protection, run_ops
from orbitgrid.ops.jobs import ImagePasses, Workload, workload_jobs
from orbitgrid.ops.policies import load_policy
from orbitgrid.ops.timelines import FAULT_DTYPE, Timelines
from orbitgrid.results import utc_timestamps

if TYPE_CHECKING:
    from orbitgrid.network.stage import NetworkBlock
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.physics.stage import PhysicsBlock
    from orbitgrid.pipeline import RunContext
    from orbitgrid.sensing.stage import Alerts

PRECISIONS = ("fp8", "bf16", "fp16", "fp32", "int8")
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


class OpsStage:
    """Timelines per block, then the scheduler over them (see the module docstring)."""

    def __init__(self, context: RunContext, workload: Workload):
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
        if not (self.power_w > 0).any():
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
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "t", "capacity", "power_capacity", "sunlit", "battery", "ground", "isl")}
        self.faults: list[np.ndarray] = []

    def _jobs(self, images: ImagePasses | None):
        sc = self.context.scenario
        return workload_jobs(self.workload, sc.jobs_file, sc.duration, sc.epoch, sc.seed,
                             list(self.context.fleet.names), images)

    @classmethod
    def create(cls, context: RunContext) -> OpsStage | None:
        sc = context.scenario
        if sc.workload is None and sc.jobs_file is None:
            return None
        return cls(context, sc.workload or Workload())

    def block(self, samples: Samples, power: PhysicsBlock | None,
              links: NetworkBlock | None) -> None:
        """Keep the block's timelines; power: the physics stage's block (None: no physics);
        links: the network stage's (there whenever the world has ISLs)."""
        n_t = len(samples.t_s)
        top = np.where(self.power_w > 0, self.power_w, np.inf)
        shape = (n_t, len(self.power_w))

        def fraction(w):
            return np.clip(np.nan_to_num(w, nan=0.0) / top, 0.0, 1.0)

        capacity = np.zeros(shape) if power is None else fraction(power.compute_w_allowed)
        energy = np.ones(shape) if power is None else fraction(power.compute_w_energy)
        self.parts["t"].append(samples.t_s)
        self.parts["capacity"].append(_down32(capacity))
        self.parts["power_capacity"].append(np.maximum(energy, capacity).astype(np.float32))
        self.parts["sunlit"].append((samples.illumination >= 0.5).astype(np.uint8))
        self.parts["battery"].append(np.ones(shape, np.float32) if power is None else
                                     np.nan_to_num(power.battery_soc, nan=0.0).astype(np.float32))
        self.parts["ground"].append(self._ground(samples.r_ecef).astype(np.float32))
        if self.has_isl:
            self.parts["isl"].append(links.isl_best_bps)
        if power is not None and len(power.radiation_events):
            self.faults.append(power.radiation_events.astype(FAULT_DTYPE))

    def _ground(self, r: np.ndarray) -> np.ndarray:
        """Best clear-sky ground rate (T, N) bit/s to any station in view."""
        out = np.zeros(r.shape[:2])
        g = self.stations
        if g is None:
            return out
        for k in range(r.shape[0]):
            sat, station, rng_m, el = visible_pairs(r[k], g.ecef, g.up, g.mask, g.max_range)
            rate = np.empty(len(sat))
            for s in np.unique(station):
                on = station == s
                rate[on] = ground_link_rate_bps(rng_m[on], el[on], self.links[s])
            np.maximum.at(out[k], sat, rate)
        return out

    def timelines(self) -> Timelines:
        sc = self.context.scenario
        t = np.concatenate(self.parts.pop("t"))
        arrays = {}
        for k in list(self.parts):  # one block list freed as each array is joined
            blocks = self.parts.pop(k)
            arrays[k] = np.concatenate(blocks) if blocks else None
        if t[-1] >= sc.duration - 1e-9:  # the last sample lasts 0 s
            edges = t
            arrays = {k: None if v is None else v[:-1] for k, v in arrays.items()}
        else:
            edges = np.append(t, sc.duration)
        faults = (np.concatenate(self.faults) if self.faults else np.empty(0, FAULT_DTYPE))
        faults = faults[np.lexsort((faults["satellite"], faults["time_s"]))]
        seu = faults[faults["kind"] == "seu"]
        rate = np.bincount(seu["satellite"], minlength=len(self.power_w)) / sc.duration
        return Timelines(
            t_s=edges,
            capacity=arrays["capacity"],
            sunlit=arrays["sunlit"],
            peak_flops={p: v for p, v in self.peak.items() if v.any()},
            power_w=self.power_w,
            battery=arrays["battery"],
            ground_bps=arrays["ground"],
            isl_bps=arrays["isl"],
            group=self.group,
            faults=faults,
            seu_rate_s=rate,
            names=list(self.context.fleet.names),
            power_capacity=arrays["power_capacity"],
            group_names=self.group_names,
        )

    def finish(self, alerts: Alerts | None) -> dict:
        """Run the engine over the timelines; alerts: the sensing stage's (imaging arrivals)."""
        if self.imaging:
            self.jobs = self._jobs(image_passes(self.context.scenario.sensing, alerts))
        env = self.timelines()
        prot = protection_of(self.workload)
        results = [run_ops(self.jobs, env, p, prot, self.context.scenario.seed)
                   for p in self.policies]
        several = len(results) > 1
        epoch = self.context.scenario.epoch64
        for name, names in TABLE_COLUMNS.items():
            tables = [_arrow(getattr(r, name), names, epoch,
                             r.summary["policy"] if several else None) for r in results]
            self.context.writer.write_table(name, pa.concat_tables(tables))
        first = dict(results[0].summary)
        if several:
            first["policies"] = [r.summary for r in results]
        first["ground_baseline"] = self._ground_baseline(env, prot)
        return {"ops": first}

    def _ground_baseline(self, env: Timelines, prot: Protection) -> dict:
        """The same jobs on the same accelerators on the ground: full power, no eclipse, no
        upsets, data at hand (the first policy)."""
        shape = env.capacity.shape
        on = np.broadcast_to((self.power_w > 0).astype(np.float32), shape)  # views, no copies
        ground = Timelines(t_s=env.t_s, capacity=on, sunlit=np.broadcast_to(np.uint8(1), shape),
                           peak_flops=env.peak_flops, power_w=env.power_w, group=env.group,
                           isl_bps=np.broadcast_to(GROUND_FABRIC_BPS, shape), names=env.names,
                           group_names=env.group_names)
        s = run_ops(self.jobs, ground, self.policies[0], prot, self.context.scenario.seed).summary
        keys = ("completed", "useful_flop_per_day", "utilisation", "completion_p50_s",
                "completion_p99_s", "deadline_misses", "energy_per_job_j")
        return {k: s[k] for k in keys}



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
