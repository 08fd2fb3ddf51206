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
  4. the accelerators run at min(installed power, energy limit, heat limit). All electrical load
     ends up as heat in the lumped thermal mass. compute_w_allowed = min(energy, heat limits),
     not capped by installed power in the tables: the headroom a bigger payload could use; the
     summary's mean_compute_w_allowed caps it at installed power step by step.
  throttled_s counts the seconds a satellite with accelerators ran them below installed power.
Initial state: battery full; temperature at equilibrium with housekeeping and the environment at
the first step.

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
Handed to later stages: block() returns a PhysicsBlock, fleet-wide (T, N) arrays, NaN without a
satellite: compute_w_allowed, compute_w_energy (the energy limit alone), battery_soc (0 at the
floor, 1 full), and the block's radiation_events (EVENT_DTYPE, fleet indices).
Radiation events: the draws of step k and satellite j (its index in the scenario's whole fleet)
are keyed by (seed, kind, k, j) (radiation.draw_events): the same scenario gives the same events
whatever the blocks, chunks or split-run satellite ranges. Device shielding: 10 mm Al; the
environment is AP8/AE8 at the scenario's solar phase (`radiation: {solar: min | max}`, default
min) plus GCR (radiation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.errors import ScenarioError
from orbitgrid.orbits.frames import ecef_to_geodetic
from orbitgrid.physics.march import SUM_FIELDS as _SUMS
from orbitgrid.physics.march import TOTAL_FIELDS, march
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

if TYPE_CHECKING:
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.pipeline import RunContext

__all__ = ["PhysicsBlock", "PhysicsStage", "SHIELDING_MM_AL", "ROWS_PER_GROUP"]

SHIELDING_MM_AL = 10.0
SUMMARY_SAMPLE_S = 60.0  # environment sampling when only the summary's means need it
# Per-step rows are written in row groups of exactly this size, so files do not depend on blocks.
ROWS_PER_GROUP = 1 << 20
J_PER_WH = 3600.0
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, eq=False)  # array fields: identity, not ==
class PhysicsBlock:
    """What physics hands on for one block: fleet-wide (T, N), NaN where there is no satellite.

    compute_w_allowed: min(energy, heat) limit on compute, W; compute_w_energy: the energy limit
    alone, W; battery_soc: 0 at the depth-of-discharge floor, 1 full; radiation_events: the
    block's events (EVENT_DTYPE), satellite as fleet indices; battery_j: stored energy, J, and
    radiator_temp_k: radiator temperature, K, at each step's end.
    """

    compute_w_allowed: np.ndarray
    compute_w_energy: np.ndarray
    battery_soc: np.ndarray
    radiation_events: np.ndarray
    battery_j: np.ndarray
    radiator_temp_k: np.ndarray


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
        names = np.concatenate([np.asarray(context.fleet.names, dtype=object)[g.fleet]
                                for g in groups])
        self.names = pa.array(names, type=pa.string())
        self.per_step = "power" in context.save
        # one group that is the whole fleet: the handed-on arrays need no NaN canvas
        self.whole_fleet = (len(groups) == 1 and groups[0].fleet.start == 0
                            and groups[0].fleet.stop == len(context.fleet))
        # state carried from block to block (S,): stored energy J, radiator temperature K
        self.energy_j = per["capacity_j"].copy()
        self.temperature_k: np.ndarray | None = None
        self.totals = {k: np.zeros(n) for k in (*_SUMS, *TOTAL_FIELDS, *_RADIATION_SUMS)}
        solar = sc.radiation.solar if sc.radiation is not None else DEFAULT_SOLAR
        self.env_grids = [environment_grid(solar, SHIELDING_MM_AL,
                                           proton_curve(g.satellite.accelerator))
                          for g in groups]
        self.rates_any = any(per[k + "_cm2"].any() for k in EVENT_KINDS)
        self.to_fleet = np.concatenate([np.arange(g.fleet.start, g.fleet.stop) for g in groups])
        self.draw_ids = self.to_fleet + context.world.first_satellite  # keys of the draws
        self.open: dict[str, np.ndarray] | None = None
        self.orbit_rows: list[dict[str, np.ndarray]] = []
        self.events: list[np.ndarray] = []
        self.pending: list[pa.Table] = []
        self.pending_rows = 0

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

    # --- per block ---------------------------------------------------------------------------

    def block(self, samples: Samples) -> PhysicsBlock:
        t = samples.t_s
        dt = np.clip(np.minimum(self.step, self.duration - t), 0.0, None)
        gen, env, sunlit = self._environment(samples)
        pieces = None if self.per_step else self._orbit_pieces(t)
        out, ends = self._integrate(gen, env, sunlit, dt, pieces)
        n_events = len(self.events)
        self._radiation(samples, dt, out)
        handed = self._hand_on(samples, out, self.events[n_events:])
        if self.per_step:
            self._append_steps(samples, out)
        else:
            self._accumulate_orbits(pieces, out, ends)
        return handed

    def _hand_on(self, samples: Samples, out, events: list[np.ndarray]) -> PhysicsBlock:
        """The block's fleet-wide arrays for later stages (ops)."""
        shape = (len(samples.t_s), len(self.context.fleet))

        def fleet_wide(x):
            if self.whole_fleet:
                return x
            a = np.full(shape, np.nan)
            for g in self.groups:
                a[:, g.fleet] = x[:, g.cols]
            return a

        p = self.p
        soc = (out["battery"] - p["floor_j"]) / np.maximum(p["capacity_j"] - p["floor_j"], 1e-300)
        found = to_engine_events(np.concatenate(events)) if events else np.empty(0, EVENT_DTYPE)
        to_fleet = self.to_fleet
        found = found.copy()
        found["satellite"] = to_fleet[found["satellite"].astype(np.int64)]
        return PhysicsBlock(fleet_wide(out["allowed"]), fleet_wide(out["energy"]),
                            fleet_wide(soc), found, fleet_wide(out["battery"]),
                            fleet_wide(out["temp"]))

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

    def _integrate(self, gen, env, sunlit, dt, pieces):
        """The coupled battery / thermal march over the block's steps (policy: module docstring).

        Returns per-step outputs {name: (T, S)} (physics/march.py; with per-orbit rows only those
        they need) and, with pieces, the running totals at each piece's end {name: (pieces,)}.
        """
        p = self.p
        if self.temperature_k is None:
            self.temperature_k = np.array(equilibrium_temperature_k(
                p["housekeeping_w"] + env[0], p["rad_area_m2"], p["sides"], p["emissivity"]))
        if pieces is None:
            out, _ = march(p, gen, env, sunlit, dt, self.energy_j, self.temperature_k,
                           self.totals)
            ends = None
        else:
            # totals at the ends of pieces that end inside the block; the others end with it
            inner = np.flatnonzero(~pieces["last"])
            order = inner[np.argsort(pieces["end_t"][inner], kind="stable")]
            out, snaps = march(p, gen, env, sunlit, dt, self.energy_j, self.temperature_k,
                               self.totals, pieces["end_t"][order], pieces["sat"][order],
                               all_fields=False)
            ends = {}
            for k in _SUMS:
                ends[k] = self.totals[k][pieces["sat"]]
                ends[k][order] = snaps[k]
        out["gen"], out["sunlit"] = gen, sunlit
        out["dt"] = np.broadcast_to(dt[:, None], gen.shape)
        return out, ends

    def _radiation(self, samples: Samples, dt, out) -> None:
        """Environment, rates, dose and the seeded event stream for the block. Without per-step
        rows or event rates, only the summary's means need the environment: then it is sampled
        every SUMMARY_SAMPLE_S (by step index, so blocks do not matter)."""
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
        out["proton"] = fields["proton"]
        self._add("radiation_s", w)
        for f in ("proton", "electron", "gcr", "dose"):
            self._add(f, fields[f] * w)
        if not self.rates_any:
            return
        flux = fields["upset"]
        rates = {kind: flux * p[kind + "_cm2"] for kind in EVENT_KINDS if p[kind + "_cm2"].any()}
        for kind, r in rates.items():
            self._add(kind + "_rate", r * w)
        drawn = {kind: r for kind, r in rates.items() if kind in DRAWN_KINDS}
        if not drawn:
            return
        steps = np.rint(samples.t_s / self.step).astype(np.int64)
        found = draw_events(samples.t_s, dt, drawn, self.seed, steps, self.draw_ids)
        if found.size:
            self.events.append(self._record(found, samples.t_s, r_ecef))

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

    def _append_steps(self, samples: Samples, out) -> None:
        n_t = len(samples.t_s)
        sat = np.tile(np.arange(self.n, dtype=np.int32), n_t)
        table = pa.table({
            "time": utc_timestamps(samples.epoch, np.repeat(samples.t_s, self.n)),
            "satellite": pa.DictionaryArray.from_arrays(sat, self.names),
            **{name: (out[k] / scale).ravel() for name, k, scale in _STEP_COLUMNS},
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

    def _accumulate_orbits(self, pieces, out, ends) -> None:
        n = self.n
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
        rows["temp_max"] = reduce(np.maximum, out["temp"])
        rows["battery_min"] = reduce(np.minimum, out["battery"])
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
            rows["temp_max"][merge] = np.maximum(rows["temp_max"][merge], op["temp_max"][m_sat])
            rows["battery_min"][merge] = np.minimum(rows["battery_min"][merge],
                                                    op["battery_min"][m_sat])
            closed = np.ones(n, dtype=bool)
            closed[m_sat] = False
            self._emit({k: v[closed] for k, v in op.items()})
        self._emit({k: v[~last] for k, v in rows.items()})
        self.open = {k: v[last] for k, v in rows.items()}

    def _emit(self, rows: dict[str, np.ndarray]) -> None:
        if rows["sat"].size:
            self.orbit_rows.append(rows)

    def _orbit_table(self) -> pa.Table:
        if self.open is not None:
            self._emit(self.open)
            self.open = None
        rows = {k: np.concatenate([r[k] for r in self.orbit_rows]) for k in self.orbit_rows[0]}
        order = np.lexsort((rows["orbit"], rows["sat"]))
        rows = {k: v[order] for k, v in rows.items()}
        for k in _SUMS:
            rows[k] = rows[k + "_c1"] - rows[k + "_c0"]
        dt = np.where(rows["dt"] > 0, rows["dt"], 1.0)
        start = rows["orbit"] * self.period_s[rows["sat"]]
        end = np.minimum(start + self.period_s[rows["sat"]], self.duration)
        epoch = self.context.scenario.epoch64
        return pa.table({
            "satellite": self.names.take(pa.array(rows["sat"])),
            "orbit": rows["orbit"],
            "start_time": utc_timestamps(epoch, start),
            "end_time": utc_timestamps(epoch, end),
            "duration_s": rows["dt"],
            "generated_w": rows["gen"] / dt,
            "load_w": rows["load"] / dt,
            "compute_w": rows["compute"] / dt,
            "compute_w_allowed": rows["allowed"] / dt,
            "battery_wh": rows["battery_end"] / J_PER_WH,
            "battery_min_wh": rows["battery_min"] / J_PER_WH,
            "radiator_temp_k": rows["temp_max"],
            "sunlit_fraction": rows["sunlit"] / dt,
            "throttled_s": rows["throttled"],
            "curtailed_wh": rows["curtailed"] / J_PER_WH,
            "unmet_wh": rows["unmet"] / J_PER_WH,
            "loss_wh": rows["loss"] / J_PER_WH,
        })

    # --- end of run ---------------------------------------------------------------------------

    def finish(self) -> dict:
        writer = self.writer
        if self.per_step:
            self._flush(final=True)
        else:
            writer.write_table("power", self._orbit_table())
        writer.write_table("radiation", self._event_table())
        return {"physics": self._summary()}

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

    def _summary(self) -> dict:
        tot, p = self.totals, self.p
        kinds = (to_engine_events(np.concatenate(self.events))["kind"] if self.events
                 else np.empty(0, "U8"))
        sats = (np.concatenate([e["satellite"] for e in self.events]) if self.events
                else np.empty(0, np.int64))
        stored = self.energy_j - p["capacity_j"]
        consumed = tot["load"] - tot["unmet"] + tot["loss"]
        balance = tot["gen"] - consumed - stored - tot["curtailed"]
        rad_days = np.maximum(tot["radiation_s"], 1e-300) / SECONDS_PER_DAY
        out = []
        for g in self.groups:
            c = g.cols
            span = max(float(tot["dt"][c].mean()), 1e-300)
            out.append({
                "name": g.name,
                "satellites": c.stop - c.start,
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
                    (kinds == k) & (sats >= c.start) & (sats < c.stop))) for k in ("seu", "sefi")},
            })
        return {"power_rows": "per step" if self.per_step else "per orbit", "constellations": out}


_STEP_COLUMNS = (  # (column, source, divisor)
    ("generated_w", "gen", 1.0),
    ("load_w", "load", 1.0),
    ("compute_w", "compute", 1.0),
    ("compute_w_allowed", "allowed", 1.0),
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


def _radiation_summary(tot: dict[str, np.ndarray], c: slice, days: float) -> dict:
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

