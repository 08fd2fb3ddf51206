"""The coupled battery / thermal march of the physics stage, compiled: one pass over (time, sat).

Each step does, per satellite, what stage.py's policy says, with the operations of
thermal.integrate_thermal and power.integrate_battery in the same order (tests check it against
those two functions step by step). Running totals (for per-orbit sums) are added in the same
pass and recorded where asked (the ends of orbits).

A satellite whose array output or environmental heat is NaN at a step (one that failed to
propagate) is gone for that step: it keeps its state, its step's outputs are NaN and its
running totals stand still, so a constellation's figures cover each satellite while it flew.

The compute load: without `load`, the accelerators run at what power and heat allow (a run
without an operating system); with it (the closed loop: the compute power the OS's schedule
drew at each step), at that load, never above what is allowed. `limits` gives the step's
allowed power from the state before the step, with the march's own arithmetic, so the OS can
decide the step's load before the march takes it.

SI units: W, J, K, s.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from orbitgrid.physics.thermal import DEEP_SPACE_K, STEFAN_BOLTZMANN_W_M2_K4

__all__ = ["KEPT_FIELDS", "PARAMS", "STEP_FIELDS", "SUM_FIELDS", "TOTAL_FIELDS",
           "WEIGHTED_FIELDS", "Stepper", "limits", "march", "stack_params"]

# per-step outputs, (T, S) each; the first four (KEPT_FIELDS) are always written
STEP_FIELDS = ("allowed", "energy", "battery", "temp", "load", "compute", "throttled",
               "curtailed", "unmet", "loss")
KEPT_FIELDS = STEP_FIELDS[:4]
# running totals: per-step values (times dt for the weighted ones) added up from the run's start
# (allowed_capped: min(allowed, installed compute power))
SUM_FIELDS = ("dt", "gen", "load", "compute", "allowed", "sunlit", "throttled", "curtailed",
              "unmet", "loss", "allowed_capped")
WEIGHTED_FIELDS = frozenset({"gen", "load", "compute", "allowed", "sunlit", "allowed_capped"})
# totals kept without their running values (none at present)
TOTAL_FIELDS: tuple[str, ...] = ()

# rows of the parameter block handed to the kernel, (len, S)
PARAMS = ("housekeeping_w", "compute_max_w", "capacity_j", "floor_j", "reserve_j", "efficiency",
          "rad_area_m2", "sides", "emissivity", "heat_capacity_j_k", "max_temp_k")


def stack_params(p: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The parameters of n satellites (named as in PARAMS) as the kernel takes them (len, n)."""
    return np.stack([np.broadcast_to(np.asarray(p[k], dtype=float), (n,)) for k in PARAMS])


def march(
    p: dict[str, np.ndarray] | np.ndarray,
    gen: np.ndarray,
    env: np.ndarray,
    sunlit: np.ndarray,
    dt: np.ndarray,
    energy_j: np.ndarray,
    temperature_k: np.ndarray,
    totals: dict[str, np.ndarray],
    snap_step: np.ndarray | None = None,
    snap_sat: np.ndarray | None = None,
    all_fields: bool = True,
    load: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Step the battery and the radiator through a block.

    p: per-satellite parameters (S,) named as in PARAMS (or stack_params of them); gen, env
    (array output and absorbed environmental heat, W) and sunlit (illumination) (T, S); dt (T,)
    s. energy_j, temperature_k (S,) are the state at the block's start and are updated in
    place; so are totals (S,) per SUM_FIELDS and TOTAL_FIELDS, the running totals from the
    run's start. load (T, S): the compute power the OS asks for, W (None: all that is allowed).
    snap_step, snap_sat (B,): (step, satellite) pairs, sorted by step, at the end of which the
    running totals are recorded. Returns per-step outputs {STEP_FIELDS: (T, S)} (KEPT_FIELDS
    only unless all_fields) and the recorded totals {SUM_FIELDS: (B,)}.
    """
    shape = gen.shape
    params = p if isinstance(p, np.ndarray) else stack_params(p, shape[1])
    fields = STEP_FIELDS if all_fields else KEPT_FIELDS
    steps = np.empty((len(fields), *shape))
    tot = np.stack([totals[k] for k in SUM_FIELDS + TOTAL_FIELDS])
    snap_step = np.zeros(0, np.int64) if snap_step is None else np.asarray(snap_step, np.int64)
    snap_sat = np.zeros(0, np.int64) if snap_sat is None else np.asarray(snap_sat, np.int64)
    if np.any(np.diff(snap_step) < 0) or np.any((snap_step < 0) | (snap_step >= shape[0])):
        raise ValueError("snap_step: must be sorted steps of the block")
    snaps = np.empty((len(snap_step), len(SUM_FIELDS)))
    has_load = load is not None
    load = np.ascontiguousarray(load, dtype=float) if has_load else np.zeros((1, 1))
    _march(params, np.ascontiguousarray(gen, dtype=float), np.ascontiguousarray(env, dtype=float),
           np.ascontiguousarray(sunlit, dtype=float), np.ascontiguousarray(dt, dtype=float),
           energy_j, temperature_k, tot, steps, all_fields, snap_step, snap_sat, snaps,
           load, has_load)
    for k, name in enumerate(SUM_FIELDS + TOTAL_FIELDS):
        totals[name][:] = tot[k]
    return dict(zip(fields, steps, strict=True)), dict(zip(SUM_FIELDS, snaps.T, strict=True))


@njit(inline="always")
def _max(a, b):  # pragma: no cover - compiled
    """np.maximum: NaN wins."""
    return a if (a != a or a >= b) else b


@njit(inline="always")
def _min(a, b):  # pragma: no cover - compiled
    """np.minimum: NaN wins."""
    return a if (a != a or a <= b) else b


class Stepper:
    """march for one step at a time (the closed loop's), with its scratch arrays kept: the
    same kernel, so the same numbers as a march over the steps together."""

    def __init__(self, params: np.ndarray):
        n = params.shape[1]
        self.params = params
        self.tot = np.zeros((len(SUM_FIELDS) + len(TOTAL_FIELDS), n))
        self.steps = np.empty((len(KEPT_FIELDS), 1, n))
        self.no_snaps = np.zeros(0, np.int64)
        self.snaps = np.empty((0, len(SUM_FIELDS)))

    def step(self, gen: np.ndarray, env: np.ndarray, sunlit: np.ndarray, dt: np.ndarray,
             energy_j: np.ndarray, temperature_k: np.ndarray, load: np.ndarray) -> None:
        """One step: gen, env, sunlit, load (1, S) C-contiguous float64, dt (1,); energy_j,
        temperature_k (S,) updated in place."""
        _march(self.params, gen, env, sunlit, dt, energy_j, temperature_k, self.tot, self.steps,
               False, self.no_snaps, self.no_snaps, self.snaps, load, True)

    def limits(self, gen: np.ndarray, env: np.ndarray, dt_s: float, energy_j: np.ndarray,
               temperature_k: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
        """limits and the state of charge in one call: out (3, N) gets, at columns cols (S,),
        the allowed compute power W, the energy limit W and the state of charge (0 at the
        floor, 1 full); gen, env (S,) C-contiguous float64."""
        _limits(self.params, gen, env, dt_s, energy_j, temperature_k, cols, out)


def limits(params: np.ndarray, gen: np.ndarray, env: np.ndarray, dt_s: float,
           energy_j: np.ndarray, temperature_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The compute power allowed over one step from the state at its start, W (S,) each:
    min(energy, heat limits) and the energy limit alone. params: stack_params; gen, env (S,) W
    of the step; dt_s its length; energy_j, temperature_k (S,) the state (not changed)."""
    out = np.empty((3, len(energy_j)))
    _limits(params, np.ascontiguousarray(gen, dtype=float), np.ascontiguousarray(env, dtype=float),
            float(dt_s), energy_j, temperature_k, np.arange(len(energy_j)), out)
    return out[0], out[1]


@njit(inline="always")
def _caps(e_j, t_k, g, sqrt_eta, house, floor, reserve, heat_cap, t_max, gen, env, h,
          sink4):  # pragma: no cover - compiled
    """One satellite's step: (energy limit, heat limit W, K per W of net heat, rejected W)."""
    # energy: above the reserve the battery may feed compute; below it, refill first
    spare = e_j - floor - reserve
    usable = sqrt_eta * spare if spare > 0 else spare / sqrt_eta
    energy_cap = _max(gen + usable / h - house, 0.0)
    # heat (thermal.integrate_thermal)
    t3 = t_k * t_k * t_k
    rejected = g * (t3 * t_k - sink4)
    b = 4.0 * g * t3 / heat_cap
    bdt = b * h
    gain = h * (1.0 - 0.5 * bdt) if bdt < 1e-8 else -math.expm1(-bdt) / b
    gain /= heat_cap  # K per W of net heat over the step
    ceiling = (t_max - t_k) / gain + rejected - house - env
    return energy_cap, _max(ceiling, 0.0), gain, rejected


@njit(cache=True)
def _limits(params, gen, env, h, energy, temp, cols, out):  # pragma: no cover - compiled
    """out[:, cols]: allowed, energy limit (0 for a step of no length), state of charge."""
    sink4 = DEEP_SPACE_K**4
    g_all = params[8] * STEFAN_BOLTZMANN_W_M2_K4 * params[6] * params[7]
    sqrt_eta_all = np.sqrt(params[5])
    for s in range(gen.shape[0]):
        c = cols[s]
        out[0, c] = out[1, c] = 0.0
        if h > 0.0:
            energy_cap, heat_w, _, _ = _caps(energy[s], temp[s], g_all[s], sqrt_eta_all[s],
                                             params[0, s], params[3, s], params[4, s],
                                             params[9, s], params[10, s], gen[s], env[s], h,
                                             sink4)
            out[0, c] = _min(energy_cap, heat_w)
            out[1, c] = energy_cap
        floor = params[3, s]
        out[2, c] = (energy[s] - floor) / _max(params[2, s] - floor, 1e-300)


@njit(cache=True)
def _march(params, gen, env, sunlit, dt, energy, temp, tot, steps, all_fields, snap_step,
           snap_sat, snaps, load_w, has_load):
    """march's kernel: time outside, satellites inside, so rows are read and written in order.

    Serial: on a shared 2-core machine a parallel version measured no faster (threads wait on
    each other when another process holds a core)."""
    sink4 = DEEP_SPACE_K**4
    house, c_max, cap, floor, reserve = params[0], params[1], params[2], params[3], params[4]
    heat_cap, t_max = params[9], params[10]
    # per satellite: radiator conductance eps sigma A sides (W/K^4), sqrt of the round trip
    g_all = params[8] * STEFAN_BOLTZMANN_W_M2_K4 * params[6] * params[7]
    sqrt_eta_all = np.sqrt(params[5])
    b_next = 0
    for i in range(gen.shape[0]):
        h = dt[i]
        for s in range(gen.shape[1]):
            if gen[i, s] != gen[i, s] or env[i, s] != env[i, s]:
                # gone (failed to propagate): its state stays as it was, its step has no
                # figures and adds nothing to its totals
                for k in range(steps.shape[0]):
                    steps[k, i, s] = np.nan
                continue
            g, sqrt_eta = g_all[s], sqrt_eta_all[s]
            e_j, t_k = energy[s], temp[s]
            load = house[s]
            run = allowed = energy_cap = throttled = curtailed = unmet = loss = 0.0
            if h > 0.0:
                energy_cap, heat_w, gain, rejected = _caps(
                    e_j, t_k, g, sqrt_eta, house[s], floor[s], reserve[s], heat_cap[s],
                    t_max[s], gen[i, s], env[i, s], h, sink4)
                want = _min(c_max[s], energy_cap)
                if has_load:
                    want = _min(want, load_w[i, s])
                run = _min(_max(want, 0.0), heat_w)
                t_k = t_k + gain * (run + house[s] + env[i, s] - rejected)
                load = house[s] + run
                # battery (power.integrate_battery)
                net = (gen[i, s] - load) * h
                surplus = _max(net, 0.0)
                deficit = _max(-net, 0.0)
                charge_in = _min(surplus, _max(cap[s] - e_j, 0.0) / sqrt_eta)
                drawn = _min(deficit / sqrt_eta, _max(e_j - floor[s], 0.0))
                e_j = e_j + sqrt_eta * charge_in - drawn
                curtailed = surplus - charge_in
                unmet = _max(deficit - sqrt_eta * drawn, 0.0)
                loss = (1.0 - sqrt_eta) * (charge_in + drawn)
                allowed = _min(energy_cap, heat_w)
                # the limits held the accelerators below installed power (whatever was asked)
                throttled = h if _min(c_max[s], allowed) < c_max[s] * (1 - 1e-9) else 0.0
            energy[s], temp[s] = e_j, t_k
            steps[0, i, s] = allowed
            steps[1, i, s] = energy_cap
            steps[2, i, s] = e_j
            steps[3, i, s] = t_k
            if all_fields:
                steps[4, i, s] = load
                steps[5, i, s] = run
                steps[6, i, s] = throttled
                steps[7, i, s] = curtailed
                steps[8, i, s] = unmet
                steps[9, i, s] = loss
            # running totals, in SUM_FIELDS then TOTAL_FIELDS order; powers times the step
            tot[0, s] += h
            tot[1, s] += gen[i, s] * h
            tot[2, s] += load * h
            tot[3, s] += run * h
            tot[4, s] += allowed * h
            tot[5, s] += sunlit[i, s] * h
            tot[6, s] += throttled
            tot[7, s] += curtailed
            tot[8, s] += unmet
            tot[9, s] += loss
            tot[10, s] += _min(allowed, c_max[s]) * h  # allowed_capped
        while b_next < snap_step.size and snap_step[b_next] == i:
            for k in range(snaps.shape[1]):
                snaps[b_next, k] = tot[k, snap_sat[b_next]]
            b_next += 1
