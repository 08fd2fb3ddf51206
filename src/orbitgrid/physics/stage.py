"""The physics stage of the pipeline: power, heat and radiation of every satellite at every step.

Active when a constellation has a `satellite:` block; satellites of constellations without one
are skipped. Each block of sampled states (orbitgrid.orbits.samples.Samples) goes through the
kernels of power.py, thermal.py and radiation.py, vectorised over (time, satellite); the coupled
battery / thermal march below is one compiled pass (march.py, checked against thermal.py's and
power.py's integrators); the battery and the temperature are carried from block to block.

Steps. Sample k at t_k stands for [t_k, t_k + dt_k), dt_k = min(step, duration - t_k): the last
sample of a run lasts 0 s, so energies cover exactly the run.

Compute load policy (each step, each satellite):
  1. housekeeping_w is always drawn first (never throttled);
  2. energy allows compute up to generated + sqrt(eta) * (stored - floor - reserve) / dt
     - housekeeping: what the array and the battery can supply this step while keeping above
     its depth-of-discharge floor a reserve for housekeeping through the longest eclipse the
     orbit can have (beta = 0, cylindrical shadow: P asin(R / a) / pi); below that reserve,
     refilling it comes before compute;
  3. heat allows compute up to what keeps the radiator at or below max_temp_k at the step's end
     (thermal.integrate_thermal), with housekeeping and the environment already counted;
  4. the accelerators run at min(asked, installed power, energy limit, heat limit), asked: what
     the space OS's schedule drew at that step (the closed loop: ops.stage.ClosedLoop steps a
     PowerTrack per policy), or, in a run without a workload, all that is allowed (the open
     loop). All electrical load ends up as heat in the lumped thermal mass.
  compute_w_allowed = min(installed power, energy limit, heat limit); compute_w_headroom, the
  same uncapped: what a bigger payload could use.
  throttled_s counts the seconds the limits held a satellite's accelerators below installed
  power (whatever the OS asked).
Tables (through the run's writer):
  power.parquet: by default one row per satellite per orbit, orbit n of a satellite covering
    [n P, (n + 1) P) from the epoch, P = 2 pi sqrt(a^3 / mu) its Keplerian period from the mean
    semi-major axis (a fixed period, so rows do not depend on how time is cut into blocks);
    means are time-weighted, battery_wh is at the orbit's end, radiator_temp_k its maximum.
    With save "power", one row per satellite per step instead.
    Per step it adds proton_flux_cm2_s (AP8 trapped protons >10 MeV at the satellite).
  radiation.parquet: events (time, satellite, kind, error, lat_deg, lon_deg, alt_km): kind "seu"
    (reaches a job and rolls it back) or "sefi"; error the kind the sources separate ("sdc",
    "uecc", "sefi", "host_cpu", "host_ram"; radiation.py), at the satellite's position at the
    step.
Handed to later stages: block() returns a PhysicsBlock, the environment of the march (array
output, environmental heat, illumination, (T, S)) and the block's radiation_events (EVENT_DTYPE,
fleet indices), the same for every policy. Each PowerTrack's limits() gives, step by step,
StepLimits: fleet-wide (N,), NaN without a satellite, compute_w_allowed (uncapped),
compute_w_energy (the energy limit alone), battery_soc (0 at the floor, 1 full).
Several policies: one track each; power rows get a leading policy column (per step: step after
step, policy by policy), summary["physics"] the first's figures and "policies" each one's.
Radiation events: the draws of step k and satellite j (its index in the scenario's whole fleet)
are keyed by (seed, kind, k, j) (radiation.draw_events): the same scenario gives the same events
whatever the blocks, chunks or split-run satellite ranges. Device shielding: 10 mm Al; the
environment is AP8/AE8 at the scenario's solar phase (`radiation: {solar: min | max}`, default
min) plus GCR (radiation.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from orbitgrid.budget import table_block_satellites
from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.orbits.frames import ecef_to_geodetic
from orbitgrid.physics.march import SUM_FIELDS as _SUMS
from orbitgrid.physics.march import TOTAL_FIELDS, Stepper, march, stack_params
from orbitgrid.physics.power import array_power_w, solar_flux_w_m2
from orbitgrid.physics.radiation import (
    DEFAULT_SOLAR,
    DRAWN_KINDS,
    EVENT_DTYPE,
    EVENT_KINDS,
    RECORD_DTYPE,
    cross_sections_cm2,
    draw_events,
    environment_ecef,
    environment_grid,
    proton_curve,
    to_engine_events,
)
from orbitgrid.physics.satellite import Satellite
from orbitgrid.physics.thermal import environment_w, equilibrium_temperature_k
from orbitgrid.results import utc_timestamps
from orbitgrid.spill import KeyBlocks, block_edges

if TYPE_CHECKING:
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.pipeline import RunContext

__all__ = ["PhysicsBlock", "PhysicsStage", "PowerTrack", "ROWS_PER_GROUP", "SHIELDING_MM_AL",
           "StepLimits"]

SHIELDING_MM_AL = 10.0
SUMMARY_SAMPLE_S = 60.0  # environment sampling when only the summary's means need it
# Per-step rows are written in row groups of exactly this size, so files do not depend on blocks.
ROWS_PER_GROUP = 1 << 20
J_PER_WH = 3600.0
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class PhysicsBlock:
    """What physics hands on for one block, the same whatever runs on the satellites: the
    environment the batteries and radiators march through, (T, S) over the satellites with a
    `satellite:` block (PhysicsStage.to_fleet gives their fleet indices), and the block's
    radiation events.

    t_s, dt_s (T,): the steps and their lengths, s; generated_w: array output, W;
    environment_w: absorbed environmental heat, W; illumination: 0-1; radiation_events:
    EVENT_DTYPE, satellite as fleet indices. proton_flux_cm2_s (per-step rows only) and
    orbit_pieces (per-orbit rows only) are for the stage's own tables.
    """

    t_s: np.ndarray
    dt_s: np.ndarray
    generated_w: np.ndarray
    environment_w: np.ndarray
    illumination: np.ndarray
    radiation_events: np.ndarray
    proton_flux_cm2_s: np.ndarray | None = None
    orbit_pieces: dict[str, np.ndarray] | None = None

    @property
    def steps(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True, eq=False)
class StepLimits:
    """What power and heat allow over one step, from the battery and radiator at its start;
    fleet-wide (N,), NaN where there is no satellite. compute_w_allowed: min(energy, heat)
    limit on compute (not capped at installed power), W; compute_w_energy: the energy limit
    alone, W; battery_soc: 0 at the depth-of-discharge floor, 1 full."""

    compute_w_allowed: np.ndarray
    compute_w_energy: np.ndarray
    battery_soc: np.ndarray


@dataclass(frozen=True)
class _Group:
    """One constellation with a satellite: its columns in the fleet and among active ones."""

    name: str
    fleet: slice
    cols: slice
    satellite: Satellite


class PhysicsStage:
    """Power, heat and radiation over (time, satellite); see the module docstring."""

    def __init__(self, context: RunContext, groups: list[_Group]):
        self.context = context
        self.writer = context.writer
        self.groups = groups
        sc = context.scenario
        self.step, self.duration = sc.step, sc.duration
        self.seed = sc.seed
        n = groups[-1].cols.stop
        self.n = n
        per = _per_satellite(groups)
        self.p = per
        a = np.concatenate([context.fleet.a_m[g.fleet] for g in groups])
        self.period_s = 2 * np.pi * np.sqrt(a**3 / MU_EARTH_M3_S2)
        longest_eclipse_s = self.period_s * np.arcsin(np.minimum(EARTH_RADIUS_M / a, 1.0)) / np.pi
        per["reserve_j"] = per["housekeeping_w"] * longest_eclipse_s / np.sqrt(per["efficiency"])
        self.params = stack_params(per, n)
        names = np.concatenate([np.asarray(context.fleet.names, dtype=object)[g.fleet]
                                for g in groups])
        self.names = pa.array(names, type=pa.string())
        self.per_step = "power" in context.save
        # per-orbit rows past a threshold go to files here (orbitgrid.spill); None: memory
        self.scratch = self.writer.scratch() if self.writer is not None else None
        self.n_fleet = len(context.fleet)
        # one group that is the whole fleet: the handed-on arrays need no NaN canvas
        self.whole_fleet = (len(groups) == 1 and groups[0].fleet.start == 0
                            and groups[0].fleet.stop == len(context.fleet))
        # radiation's running totals (S,); the march's are each track's
        self.totals = {k: np.zeros(n) for k in _RADIATION_SUMS}
        solar = sc.radiation.solar if sc.radiation is not None else DEFAULT_SOLAR
        self.env_grids = [environment_grid(solar, SHIELDING_MM_AL,
                                           proton_curve(g.satellite.accelerator))
                          for g in groups]
        self.rates_any = any(per[k + "_cm2"].any() for k in EVENT_KINDS)
        self.to_fleet = np.concatenate([np.arange(g.fleet.start, g.fleet.stop) for g in groups])
        self.draw_ids = self.to_fleet + context.world.first_satellite  # keys of the draws
        self.events: list[np.ndarray] = []
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        # the open loop: one track, marched at what power and heat allow (closed_loop changes it)
        self.tracks = [PowerTrack(self, None)]
        self.closed = False
        self.ended: list[tuple[PowerTrack, dict]] = []

    @classmethod
    def create(cls, context: RunContext) -> PhysicsStage | None:
        """The stage if any constellation has a `satellite:` block, else None."""
        world = context.world
        groups, col = [], 0
        for k, sat in enumerate(world.satellites):
            idx = world.members(k)
            if sat is None or idx.size == 0:
                continue
            fleet = slice(int(idx[0]), int(idx[-1]) + 1)
            name = world.scenario.constellations[k].name
            groups.append(_Group(name, fleet, slice(col, col + idx.size), sat))
            col += idx.size
        return cls(context, groups) if groups else None

    def closed_loop(self, policies: list[str]) -> list[PowerTrack]:
        """One track per policy, each to be stepped by that policy's operating system (begin,
        limits, step, end; ops.stage.ClosedLoop); block() then marches nothing itself. Call
        before the first block."""
        self.tracks = [PowerTrack(self, name) for name in policies]
        self.closed = True
        return list(self.tracks)

    def fleet_wide(self, x: np.ndarray) -> np.ndarray:
        """(..., S) over the active satellites as (..., N) over the fleet, NaN elsewhere."""
        if self.whole_fleet:
            return x
        a = np.full((*x.shape[:-1], self.n_fleet), np.nan)
        for g in self.groups:
            a[..., g.fleet] = x[..., g.cols]
        return a

    # --- per block ---------------------------------------------------------------------------

    def block(self, samples: Samples) -> PhysicsBlock:
        """The block's environment and radiation; in the open loop, the march through it too."""
        t = samples.t_s
        dt = np.clip(np.minimum(self.step, self.duration - t), 0.0, None)
        gen, env, sunlit = self._environment(samples)
        pieces = None if self.per_step else self._orbit_pieces(t)
        n_events = len(self.events)
        proton = self._radiation(samples, dt)
        events = self.events[n_events:]
        found = to_engine_events(np.concatenate(events)) if events else np.empty(0, EVENT_DTYPE)
        found = found.copy()
        found["satellite"] = self.to_fleet[found["satellite"].astype(np.int64)]
        sunlit = np.ascontiguousarray(sunlit, dtype=float)
        handed = PhysicsBlock(t, dt, gen, env, sunlit, found,
                              proton if self.per_step else None, pieces)
        if not self.closed:
            self.tracks[0].march(handed)
        return handed

    def _ended(self, track: PowerTrack, block: PhysicsBlock, out, ends) -> None:
        """A track has marched through block: its rows (per step: once every track has)."""
        if not self.per_step:
            track.accumulate_orbits(block.orbit_pieces, out, ends)
            return
        self.ended.append((track, out))
        if len(self.ended) == len(self.tracks):
            outs = [o for _, o in sorted(self.ended, key=lambda x: self.tracks.index(x[0]))]
            self.ended = []
            self._append_steps(block, outs)

    def _add(self, name: str, x: np.ndarray) -> np.ndarray:
        """Running totals (T, S) of x, added step after step: the same sums for any blocks."""
        cum = np.array(np.broadcast_to(x, (x.shape[0], self.n)), dtype=float)
        cum[0] += self.totals[name]
        np.cumsum(cum, axis=0, out=cum)
        self.totals[name] = cum[-1].copy()
        return cum

    def _environment(self, samples: Samples):
        """Array output W, absorbed environmental heat W and illumination, each (T, S)."""
        t, sun, dist = samples.t_s, samples.sun_eci, samples.sun_distance_au
        # one pass over the positions gives the shadow and the radiator's geometry
        lit, r_norm, mu = samples.illumination, samples.r_norm, samples.sun_cos_zenith
        flux = solar_flux_w_m2(dist)
        shape = (len(t), self.n)
        gen, env, sunlit = np.empty(shape), np.empty(shape), np.empty(shape)
        for g in self.groups:
            il, rad = lit[:, g.fleet], g.satellite.radiator
            gen[:, g.cols] = array_power_w(g.satellite.solar, t, samples.r_eci[:, g.fleet], sun,
                                           il, dist)
            env[:, g.cols] = environment_w(
                rad.orientation, r_norm[:, g.fleet], mu[:, g.fleet], il, flux, rad.area_m2,
                rad.sides, rad.emissivity, rad.absorptivity)
            sunlit[:, g.cols] = il
        return gen, env, sunlit

    def _radiation(self, samples: Samples, dt) -> np.ndarray:
        """Environment, rates, dose and the seeded event stream for the block; returns the
        proton flux (rows as sampled). Without per-step rows or event rates, only the summary's
        means need the environment: then it is sampled every SUMMARY_SAMPLE_S (by step index,
        so blocks do not matter)."""
        p = self.p
        r_ecef = samples.r_ecef
        if self.per_step or self.rates_any:
            rows = slice(None)
        else:
            k = np.rint(samples.t_s / self.step).astype(np.int64)
            rows = np.flatnonzero(k % max(1, int(SUMMARY_SAMPLE_S // self.step)) == 0)
        w = dt[rows][:, None]
        n_t = w.shape[0]
        fields = {f: np.empty((n_t, self.n)) for f in ("proton", "electron", "gcr", "upset",
                                                         "dose")}
        for g, grid in zip(self.groups, self.env_grids, strict=True):
            env = environment_ecef(r_ecef[rows, g.fleet], grid)
            fields["proton"][:, g.cols] = env.proton_flux_cm2_s
            fields["electron"][:, g.cols] = env.electron_flux_cm2_s
            fields["gcr"][:, g.cols] = env.gcr_flux_cm2_s
            fields["upset"][:, g.cols] = env.upset_flux_cm2_s
            fields["dose"][:, g.cols] = env.dose_rate_gy_s
        self._add("radiation_s", w)
        for f in ("proton", "electron", "gcr", "dose"):
            self._add(f, fields[f] * w)
        if not self.rates_any:
            return fields["proton"]
        flux = fields["upset"]
        rates = {kind: flux * p[kind + "_cm2"] for kind in EVENT_KINDS if p[kind + "_cm2"].any()}
        for kind, r in rates.items():
            self._add(kind + "_rate", r * w)
        drawn = {kind: r for kind, r in rates.items() if kind in DRAWN_KINDS}
        if not drawn:
            return fields["proton"]
        steps = np.rint(samples.t_s / self.step).astype(np.int64)
        found = draw_events(samples.t_s, dt, drawn, self.seed, steps, self.draw_ids)
        if found.size:
            self.events.append(self._record(found, samples.t_s, r_ecef))
        return fields["proton"]

    def _record(self, found, t_s, r_ecef) -> np.ndarray:
        """Drawn events (active-satellite indices) with where their satellite was at the step
        (t_s (T,) the block's steps, r_ecef (T, N, 3))."""
        fleet = self.to_fleet[found["satellite"]]
        rec = np.empty(found.size, RECORD_DTYPE)
        for name in ("time_s", "satellite", "kind"):
            rec[name] = found[name]
        row = np.searchsorted(t_s, found["time_s"], side="right") - 1
        lat, lon, alt = ecef_to_geodetic(r_ecef[row, fleet])
        rec["lat_deg"], rec["lon_deg"], rec["alt_km"] = np.degrees(lat), np.degrees(lon), alt / 1e3
        return rec

    # --- per-step rows ------------------------------------------------------------------------

    def _append_steps(self, block: PhysicsBlock, outs: list[dict]) -> None:
        """The block's per-step rows: step after step, each track (policy) in turn, the
        satellites in order within each (so rows do not depend on blocks)."""
        n_t, n, k = block.steps, self.n, len(outs)
        shape = (n_t, k, n)
        sat = np.tile(np.arange(n, dtype=np.int32), n_t * k)
        shared = {"gen": block.generated_w, "sunlit": block.illumination,
                  "proton": block.proton_flux_cm2_s,
                  "dt": np.broadcast_to(block.dt_s[:, None], (n_t, n))}
        c_max = self.p["compute_max_w"]

        def column(key):
            if key in shared:
                return np.broadcast_to(shared[key][:, None, :], shape).ravel()
            if key == "allowed_capped":
                return np.stack([np.minimum(o["allowed"], c_max) for o in outs], axis=1).ravel()
            return np.stack([o[key] for o in outs], axis=1).ravel()

        policy = {} if k == 1 else {"policy": pa.array(np.tile(np.repeat(np.array(
            [t.policy for t in self.tracks], dtype=object), n), n_t), type=pa.string())}
        table = pa.table({
            **policy,
            "time": utc_timestamps(self.context.scenario.epoch64, np.repeat(block.t_s, k * n)),
            "satellite": pa.DictionaryArray.from_arrays(sat, self.names),
            **{name: column(key) / scale for name, key, scale in _STEP_COLUMNS},
        })
        self.pending.append(table)
        self.pending_rows += table.num_rows
        self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if not self.pending or (self.pending_rows < ROWS_PER_GROUP and not final):
            return
        table = pa.concat_tables(self.pending)
        start = 0
        while table.num_rows - start >= ROWS_PER_GROUP or (final and start < table.num_rows):
            self.writer.append("power", table.slice(start, ROWS_PER_GROUP))
            start += ROWS_PER_GROUP
        rest = table.slice(start) if start < table.num_rows else None
        self.pending = [rest] if rest is not None else []
        self.pending_rows = 0 if rest is None else rest.num_rows

    # --- per-orbit rows -----------------------------------------------------------------------

    def _orbit_pieces(self, t) -> dict[str, np.ndarray]:
        """The block cut where each satellite's orbit number changes: pieces as flat
        satellite-major indices s * n_t + step of their first steps, sorted, with their
        satellite, orbit number, last step (end_t), and whether they start or end the block."""
        n_t, n = len(t), self.n
        # only satellites whose orbit number changes within the block are cut (a few of them)
        moving = np.flatnonzero(np.floor(t[0] / self.period_s) != np.floor(t[-1] / self.period_s))
        sub = np.floor(t[:, None] / self.period_s[moving]).astype(np.int64)
        step, k = np.nonzero(np.diff(sub, axis=0))
        starts = np.sort(np.concatenate([np.arange(n) * n_t, moving[k] * n_t + step + 1]))
        sat = starts // n_t
        ends = np.append(starts[1:], n * n_t) - 1
        return {
            "n_t": np.int64(n_t),
            "moving": moving,
            "starts": starts,
            "sat": sat,
            "end_t": ends % n_t,
            "first": starts % n_t == 0,
            "last": np.append(sat[1:] != sat[:-1], True),
            "orbit": np.floor(t[starts % n_t] / self.period_s[sat]).astype(np.int64),
        }

    # --- end of run ---------------------------------------------------------------------------

    def finish(self) -> dict:
        writer = self.writer
        if self.per_step:
            self._flush(final=True)
        else:
            several = len(self.tracks) > 1
            for track in self.tracks:  # policy after policy, a block of satellites at a time
                for table in track.orbit_tables(several):
                    writer.append("power", table)
        writer.write_table("radiation", self._event_table())
        out = {"power_rows": "per step" if self.per_step else "per orbit",
               "constellations": self._summary(self.tracks[0])}
        if len(self.tracks) > 1:
            out["policies"] = [{"policy": t.policy, "constellations": self._summary(t)}
                               for t in self.tracks]
        return {"physics": out}

    def _event_table(self) -> pa.Table:
        records = np.concatenate(self.events) if self.events else np.empty(0, RECORD_DTYPE)
        records = records[np.lexsort((records["kind"], records["satellite"], records["time_s"]))]
        engine = to_engine_events(records)
        return pa.table({
            "time": utc_timestamps(self.context.scenario.epoch64, records["time_s"]),
            "satellite": self.names.take(pa.array(records["satellite"].astype(np.int64))),
            "kind": pa.array(engine["kind"].astype(str), type=pa.string()),
            "error": pa.array(records["kind"].astype(str), type=pa.string()),
            "lat_deg": records["lat_deg"],
            "lon_deg": records["lon_deg"],
            "alt_km": records["alt_km"],
        })

    def _summary(self, track: PowerTrack) -> list[dict]:
        """Per-constellation figures of one track (radiation: the same for every track)."""
        tot, p = {**self.totals, **track.totals}, self.p
        kinds = (to_engine_events(np.concatenate(self.events))["kind"] if self.events
                 else np.empty(0, "U8"))
        sats = (np.concatenate([e["satellite"] for e in self.events]) if self.events
                else np.empty(0, np.int64))
        stored = track.energy_j - p["capacity_j"]
        consumed = tot["load"] - tot["unmet"] + tot["loss"]
        balance = tot["gen"] - consumed - stored - tot["curtailed"]
        rad_days = np.maximum(tot["radiation_s"], 1e-300) / SECONDS_PER_DAY
        out = []
        for g in self.groups:
            c = g.cols
            span = max(float(tot["dt"][c].mean()), 1e-300)
            out.append({
                "name": g.name,
                "satellites": g.cols.stop - g.cols.start,
                "energy_harvested_kwh": _r(tot["gen"][c].sum() / 3.6e6),
                "energy_consumed_kwh": _r(consumed[c].sum() / 3.6e6),
                "energy_curtailed_kwh": _r(tot["curtailed"][c].sum() / 3.6e6),
                "energy_stored_kwh": _r(stored[c].sum() / 3.6e6),
                "energy_unmet_kwh": _r(tot["unmet"][c].sum() / 3.6e6),
                "energy_balance_error": _r(float(np.max(np.abs(balance[c]) / np.maximum(
                    tot["gen"][c], 1.0)))),
                "sunlit_fraction": _r(tot["sunlit"][c].mean() / span),
                "mean_compute_w": _r(tot["compute"][c].mean() / span),
                # capped step by step at the installed compute power
                "mean_compute_w_allowed": _r(tot["allowed_capped"][c].mean() / span),
                "throttled_hours": _r(tot["throttled"][c].sum() / 3600),
                **_radiation_summary(tot, c, rad_days[c].mean()),
                "radiation_events": {k: int(np.count_nonzero(
                    (kinds == k) & (sats >= g.cols.start) & (sats < g.cols.stop)))
                    for k in ("seu", "sefi")},
            })
        return out


class PowerTrack:
    """One state of the satellites' batteries and radiators, carried from block to block, and
    its power rows: the open loop's (march: accelerators at what power and heat allow, a run
    without an operating system) or one policy's closed loop, stepped by its OS: begin(block),
    then per step limits() and step(compute_w), then end()."""

    def __init__(self, stage: PhysicsStage, policy: str | None):
        self.stage, self.policy = stage, policy
        p = stage.p
        # state (S,): stored energy J, radiator temperature K (set at the first step)
        self.energy_j = p["capacity_j"].copy()
        self.temperature_k: np.ndarray | None = None
        self.totals = {k: np.zeros(stage.n) for k in (*_SUMS, *TOTAL_FIELDS)}
        self.open: dict[str, np.ndarray] | None = None
        rows = stage.duration / float(stage.period_s.min()) + 1  # orbit rows per satellite
        size = table_block_satellites(rows, ORBIT_BATCH_SATELLITES)
        self.orbit_rows = KeyBlocks(_ORBIT_ROW, "sat", block_edges(stage.n, size), stage.scratch)
        # a block being stepped: the block, the next step, the state so far, the loads so far
        self.block: PhysicsBlock | None = None
        self.i = 0
        self.state: tuple[np.ndarray, np.ndarray] | None = None
        self.load: np.ndarray | None = None
        self.stepper = Stepper(stage.params)
        self._no_satellite = np.full((3, stage.n_fleet), np.nan)  # limits' NaN columns

    def _start(self, block: PhysicsBlock) -> None:
        if self.temperature_k is None:
            p = self.stage.p
            self.temperature_k = np.array(equilibrium_temperature_k(
                p["housekeeping_w"] + block.environment_w[0], p["rad_area_m2"], p["sides"],
                p["emissivity"]))

    def march(self, block: PhysicsBlock, load: np.ndarray | None = None) -> None:
        """March through block at the compute load (T, S) W (None: all that is allowed)."""
        self._start(block)
        out, ends = self._integrate(block, load)
        self.stage._ended(self, block, out, ends)

    def begin(self, block: PhysicsBlock) -> None:
        """Start stepping through block."""
        if self.block is not None:
            raise RuntimeError("begin: the previous block has not ended")
        self._start(block)
        self.block, self.i = block, 0
        self.state = (self.energy_j.copy(), self.temperature_k.copy())
        self.load = np.zeros(block.generated_w.shape)

    def limits(self) -> StepLimits:
        """What power and heat allow over the next step (StepLimits, fleet-wide)."""
        b, i, stage = self.block, self.i, self.stage
        out = np.empty((3, stage.n_fleet)) if stage.whole_fleet else self._no_satellite.copy()
        self.stepper.limits(b.generated_w[i], b.environment_w[i], float(b.dt_s[i]),
                            *self.state, stage.to_fleet, out)
        return StepLimits(*out)

    def state_now(self) -> tuple[np.ndarray, np.ndarray]:
        """Stored energy, J, and radiator temperature, K, after the steps marched so far,
        fleet-wide (N,), NaN where there is no satellite (temperature: before any block)."""
        energy, temp = self.state if self.block is not None else (self.energy_j,
                                                                  self.temperature_k)
        if temp is None:
            temp = np.full(self.stage.n, np.nan)
        return self.stage.fleet_wide(energy.copy()), self.stage.fleet_wide(temp.copy())

    def step(self, compute_w: np.ndarray) -> None:
        """March the next step at compute_w, the compute power the OS drew, fleet-wide (N,) W
        (never more than limits() allowed; what is above it is not run)."""
        b, i, stage = self.block, self.i, self.stage
        self.load[i] = compute_w if stage.whole_fleet else compute_w[stage.to_fleet]
        energy, temp = self.state
        s = slice(i, i + 1)
        self.stepper.step(b.generated_w[s], b.environment_w[s], b.illumination[s], b.dt_s[s],
                          energy, temp, self.load[s])
        self.i += 1

    def end(self) -> None:
        """The block is stepped through: march it at the loads taken (the same numbers step
        by step gave) with the running totals and rows."""
        b = self.block
        if self.i != b.steps:
            raise RuntimeError(f"end: {self.i} of the block's {b.steps} steps taken")
        self.block, self.state = None, None
        out, ends = self._integrate(b, self.load)
        self.load = None
        self.stage._ended(self, b, out, ends)

    def _integrate(self, block: PhysicsBlock, load):
        """The coupled battery / thermal march over the block's steps (policy: module docstring).

        Returns per-step outputs {name: (T, S)} (physics/march.py; with per-orbit rows only those
        they need) and, with pieces, the running totals at each piece's end {name: (pieces,)}.
        """
        params = self.stage.params
        gen, env, sunlit, dt = (block.generated_w, block.environment_w, block.illumination,
                                block.dt_s)
        pieces = block.orbit_pieces
        if pieces is None:
            out, _ = march(params, gen, env, sunlit, dt, self.energy_j, self.temperature_k,
                           self.totals, load=load)
            return out, None
        # totals at the ends of pieces that end inside the block; the others end with it
        inner = np.flatnonzero(~pieces["last"])
        order = inner[np.argsort(pieces["end_t"][inner], kind="stable")]
        out, snaps = march(params, gen, env, sunlit, dt, self.energy_j, self.temperature_k,
                           self.totals, pieces["end_t"][order], pieces["sat"][order],
                           all_fields=False, load=load)
        ends = {}
        for k in _SUMS:
            ends[k] = self.totals[k][pieces["sat"]]
            ends[k][order] = snaps[k]
        return out, ends

    def accumulate_orbits(self, pieces, out, ends) -> None:
        n = self.stage.n
        n_t, moving, starts, sat = (pieces[k] for k in ("n_t", "moving", "starts", "sat"))
        first, last, end_t = pieces["first"], pieces["last"], pieces["end_t"]
        in_moving = np.zeros(n, dtype=bool)
        in_moving[moving] = True
        piece_moves = in_moving[sat]
        position = np.zeros(n, dtype=np.int64)
        position[moving] = np.arange(moving.size)
        sub_starts = position[sat[piece_moves]] * n_t + starts[piece_moves] % n_t

        def reduce(ufunc, x):
            """ufunc over each piece of x (T, S): whole columns, then the moving satellites'."""
            r = ufunc.reduce(x, axis=0)[sat]
            if moving.size:
                r[piece_moves] = ufunc.reduceat(np.ascontiguousarray(x[:, moving].T).ravel(),
                                                sub_starts)
            return r

        rows = {"sat": sat, "orbit": pieces["orbit"]}
        # sums are differences of running totals: c0 at the orbit's start, c1 at its end
        for k in _SUMS:
            c1 = ends[k]
            c0 = np.zeros_like(c1)
            c0[~first] = c1[np.flatnonzero(~first) - 1]
            rows[k + "_c0"], rows[k + "_c1"] = c0, c1
        rows["temp_max"] = reduce(np.fmax, out["temp"])  # fmax, fmin: a gone step's NaN skipped
        rows["battery_min"] = reduce(np.fmin, out["battery"])
        rows["battery_end"] = out["battery"][end_t, sat]
        if self.open is not None:
            op = self.open
            merge = first & (rows["orbit"] == op["orbit"][sat])
            m_sat = sat[merge]
            fresh = first & ~merge
            for k in _SUMS:
                # a continued orbit keeps its start; a new one starts where the open one ended
                rows[k + "_c0"][merge] = op[k + "_c0"][m_sat]
                rows[k + "_c0"][fresh] = op[k + "_c1"][sat[fresh]]
            rows["temp_max"][merge] = np.fmax(rows["temp_max"][merge], op["temp_max"][m_sat])
            rows["battery_min"][merge] = np.fmin(rows["battery_min"][merge],
                                                    op["battery_min"][m_sat])
            closed = np.ones(n, dtype=bool)
            closed[m_sat] = False
            self._emit({k: v[closed] for k, v in op.items()})
        self._emit({k: v[~last] for k, v in rows.items()})
        self.open = {k: v[last] for k, v in rows.items()}

    def _emit(self, rows: dict[str, np.ndarray]) -> None:
        self.orbit_rows.add(rows)

    def orbit_tables(self, with_policy: bool) -> Iterator[pa.Table]:
        """The per-orbit rows (a leading policy column with_policy), a block of satellites at
        a time: together, one table ordered by satellite, then orbit."""
        if self.open is not None:
            self._emit(self.open)
            self.open = None
        for _, _, rows in self.orbit_rows.blocks():
            yield self._orbit_table(rows, with_policy)

    def _orbit_table(self, rows: dict[str, np.ndarray], with_policy: bool) -> pa.Table:
        stage = self.stage
        order = np.lexsort((rows["orbit"], rows["sat"]))
        rows = {k: v[order] for k, v in rows.items()}
        for k in _SUMS:
            rows[k] = rows[k + "_c1"] - rows[k + "_c0"]
        dt = np.where(rows["dt"] > 0, rows["dt"], 1.0)
        start = rows["orbit"] * stage.period_s[rows["sat"]]
        end = np.minimum(start + stage.period_s[rows["sat"]], stage.duration)
        epoch = stage.context.scenario.epoch64
        policy = {"policy": pa.array([self.policy] * len(rows["sat"]), type=pa.string())}
        return pa.table({
            **(policy if with_policy else {}),
            "satellite": stage.names.take(pa.array(rows["sat"])),
            "orbit": rows["orbit"],
            "start_time": utc_timestamps(epoch, start),
            "end_time": utc_timestamps(epoch, end),
            "duration_s": rows["dt"],
            "generated_w": rows["gen"] / dt,
            "load_w": rows["load"] / dt,
            "compute_w": rows["compute"] / dt,
            "compute_w_allowed": rows["allowed_capped"] / dt,
            "compute_w_headroom": rows["allowed"] / dt,
            "battery_wh": rows["battery_end"] / J_PER_WH,
            "battery_min_wh": rows["battery_min"] / J_PER_WH,
            "radiator_temp_k": rows["temp_max"],
            "sunlit_fraction": rows["sunlit"] / dt,
            "throttled_s": rows["throttled"],
            "curtailed_wh": rows["curtailed"] / J_PER_WH,
            "unmet_wh": rows["unmet"] / J_PER_WH,
            "loss_wh": rows["loss"] / J_PER_WH,
        })


# Satellites per block of the per-orbit power table read back and written at once, at most
# (fewer for long runs: orbitgrid.budget.table_block_satellites).
ORBIT_BATCH_SATELLITES = 4096
# A per-orbit row as PowerTrack gathers it: running totals at the orbit's start (c0) and end (c1).
_ORBIT_ROW = np.dtype([("sat", np.int64), ("orbit", np.int64),
                       *((k + c, float) for k in _SUMS for c in ("_c0", "_c1")),
                       ("temp_max", float), ("battery_min", float), ("battery_end", float)])

_STEP_COLUMNS = (  # (column, source, divisor)
    ("generated_w", "gen", 1.0),
    ("load_w", "load", 1.0),
    ("compute_w", "compute", 1.0),
    ("compute_w_allowed", "allowed_capped", 1.0),
    ("compute_w_headroom", "allowed", 1.0),
    ("battery_wh", "battery", J_PER_WH),
    ("radiator_temp_k", "temp", 1.0),
    ("illumination", "sunlit", 1.0),
    ("proton_flux_cm2_s", "proton", 1.0),
    ("duration_s", "dt", 1.0),
    ("throttled_s", "throttled", 1.0),
    ("curtailed_wh", "curtailed", J_PER_WH),
    ("unmet_wh", "unmet", J_PER_WH),
    ("loss_wh", "loss", J_PER_WH),
)


def _per_satellite(groups: list[_Group]) -> dict[str, np.ndarray]:
    """(S,) parameter arrays of the active satellites, from each group's resolved satellite."""

    def each(f):
        return np.concatenate([np.full(g.cols.stop - g.cols.start, float(f(g.satellite)))
                               for g in groups])

    return {
        "capacity_j": each(lambda s: s.battery.capacity_j),
        "floor_j": each(lambda s: s.battery.floor_j),
        "efficiency": each(lambda s: s.battery.efficiency),
        "rad_area_m2": each(lambda s: s.radiator.area_m2),
        "sides": each(lambda s: s.radiator.sides),
        "emissivity": each(lambda s: s.radiator.emissivity),
        "heat_capacity_j_k": each(lambda s: s.radiator.heat_capacity_j_k),
        "max_temp_k": each(lambda s: s.radiator.max_temp_k),
        "housekeeping_w": each(lambda s: s.payload.housekeeping_w),
        "compute_max_w": each(lambda s: s.compute_power_w),
        **{kind + "_cm2": each(lambda s, kind=kind: cross_sections_cm2(
            s.accelerator, s.payload.count)[kind]) for kind in EVENT_KINDS},
    }


_RADIATION_SUMS = ("radiation_s", "proton", "electron", "gcr", "dose",
                   *(kind + "_rate" for kind in EVENT_KINDS))


def _radiation_summary(tot: dict[str, np.ndarray], c: slice | np.ndarray, days: float) -> dict:
    """Per-constellation radiation figures: events per satellite-day by kind ("upsets" are those
    that reach a job: sdc + uecc; host SEFIs: host_cpu + host_ram), dose per year, and
    time-averaged fluxes /(cm2 s)."""
    per_day = {k: tot[k + "_rate"][c].mean() / days for k in EVENT_KINDS}
    seconds = days * SECONDS_PER_DAY
    return {
        "upsets_per_day": _r(per_day["sdc"] + per_day["uecc"]),
        "sefi_per_day": _r(per_day["sefi"]),
        "host_sefi_per_day": _r(per_day["host_cpu"] + per_day["host_ram"]),
        "sdc_per_day": _r(per_day["sdc"]),
        "uecc_per_day": _r(per_day["uecc"]),
        "bit_flips_per_day": _r(per_day["bit_flip"]),
        "dose_rad_per_year": _r(tot["dose"][c].mean() / days * 365.25 * 100.0),
        "proton_flux_cm2_s": _r(tot["proton"][c].mean() / seconds),
        "electron_flux_cm2_s": _r(tot["electron"][c].mean() / seconds),
        "gcr_flux_cm2_s": _r(tot["gcr"][c].mean() / seconds),
    }


def _r(x) -> float:
    return round(float(x), 6)

