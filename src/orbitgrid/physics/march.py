"""The coupled battery / thermal march of the physics stage, compiled: one pass over (time, sat).

Each step does, per satellite, what stage.py's policy says, with the operations of
thermal.integrate_thermal and power.integrate_battery in the same order (tests check it against
those two functions step by step). Running totals (for per-orbit sums) are added in the same pass.

SI units: W, J, K, s.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from orbitgrid.physics.thermal import DEEP_SPACE_K, STEFAN_BOLTZMANN_W_M2_K4

__all__ = ["STEP_FIELDS", "SUM_FIELDS", "TOTAL_FIELDS", "WEIGHTED_FIELDS", "march"]

# per-step outputs, (T, S) each
STEP_FIELDS = ("load", "compute", "allowed", "energy", "battery", "temp", "throttled",
               "curtailed", "unmet", "loss")
# running totals: per-step values (times dt for the weighted ones) added up from the run's start
SUM_FIELDS = ("dt", "gen", "load", "compute", "allowed", "sunlit", "throttled", "curtailed",
              "unmet", "loss")
WEIGHTED_FIELDS = frozenset({"gen", "load", "compute", "allowed", "sunlit"})
# totals kept without their running values: min(allowed, installed compute power) times dt
TOTAL_FIELDS = ("allowed_capped",)

# rows of the parameter block handed to the kernel, (len, S)
PARAMS = ("housekeeping_w", "compute_max_w", "capacity_j", "floor_j", "reserve_j", "efficiency",
          "rad_area_m2", "sides", "emissivity", "heat_capacity_j_k", "max_temp_k")


def march(
    p: dict[str, np.ndarray],
    gen: np.ndarray,
    env: np.ndarray,
    sunlit: np.ndarray,
    dt: np.ndarray,
    energy_j: np.ndarray,
    temperature_k: np.ndarray,
    totals: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Step the battery and the radiator through a block.

    p: per-satellite parameters (S,) named as in PARAMS; gen, env (array output and absorbed
    environmental heat, W) and sunlit (illumination) (T, S); dt (T,) s. energy_j, temperature_k
    (S,) are the state at the block's start and are updated in place; so are totals (S,) per
    SUM_FIELDS and TOTAL_FIELDS. Returns per-step outputs {STEP_FIELDS: (T, S)} and running totals
    {SUM_FIELDS: (T, S)}, each total including the steps before this block.
    """
    shape = gen.shape
    params = np.stack([np.broadcast_to(np.asarray(p[k], dtype=float), shape[1:]) for k in PARAMS])
    steps = np.empty((len(STEP_FIELDS), *shape))
    cums = np.empty((len(SUM_FIELDS), *shape))
    tot = np.stack([totals[k] for k in SUM_FIELDS + TOTAL_FIELDS])
    _march(params, np.ascontiguousarray(gen, dtype=float), np.ascontiguousarray(env, dtype=float),
           np.ascontiguousarray(sunlit, dtype=float), np.ascontiguousarray(dt, dtype=float),
           energy_j, temperature_k, tot, steps, cums)
    for k, name in enumerate(SUM_FIELDS + TOTAL_FIELDS):
        totals[name][:] = tot[k]
    return dict(zip(STEP_FIELDS, steps, strict=True)), dict(zip(SUM_FIELDS, cums, strict=True))


@njit(inline="always")
def _max(a, b):  # pragma: no cover - compiled
    """np.maximum: NaN wins."""
    return a if (a != a or a >= b) else b


@njit(inline="always")
def _min(a, b):  # pragma: no cover - compiled
    """np.minimum: NaN wins."""
    return a if (a != a or a <= b) else b


@njit(cache=True)
def _march(params, gen, env, sunlit, dt, energy, temp, tot, steps, cums):
    """march's kernel: time outside, satellites inside, so rows are read and written in order.

    Serial: on a shared 2-core machine a parallel version measured no faster (threads wait on
    each other when another process holds a core)."""
    sink4 = DEEP_SPACE_K**4
    house, c_max, cap, floor, reserve = params[0], params[1], params[2], params[3], params[4]
    heat_cap, t_max = params[9], params[10]
    # per satellite: radiator conductance eps sigma A sides (W/K^4), sqrt of the round trip
    g_all = params[8] * STEFAN_BOLTZMANN_W_M2_K4 * params[6] * params[7]
    sqrt_eta_all = np.sqrt(params[5])
    for i in range(gen.shape[0]):
        h = dt[i]
        for s in range(gen.shape[1]):
            g, sqrt_eta = g_all[s], sqrt_eta_all[s]
            e_j, t_k = energy[s], temp[s]
            load = house[s]
            run = allowed = energy_cap = throttled = curtailed = unmet = loss = 0.0
            if h > 0.0:
                # energy: above the reserve the battery may feed compute; below it, refill first
                spare = e_j - floor[s] - reserve[s]
                usable = sqrt_eta * spare if spare > 0 else spare / sqrt_eta
                energy_cap = _max(gen[i, s] + usable / h - house[s], 0.0)
                want = _min(c_max[s], energy_cap)
                # heat (thermal.integrate_thermal)
                t3 = t_k * t_k * t_k
                rejected = g * (t3 * t_k - sink4)
                b = 4.0 * g * t3 / heat_cap[s]
                bdt = b * h
                gain = h * (1.0 - 0.5 * bdt) if bdt < 1e-8 else -math.expm1(-bdt) / b
                gain /= heat_cap[s]  # K per W of net heat over the step
                ceiling = (t_max[s] - t_k) / gain + rejected - house[s] - env[i, s]
                heat_w = _max(ceiling, 0.0)
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
                throttled = h if run < c_max[s] * (1 - 1e-9) else 0.0
            energy[s], temp[s] = e_j, t_k
            steps[0, i, s] = load
            steps[1, i, s] = run
            steps[2, i, s] = allowed
            steps[3, i, s] = energy_cap
            steps[4, i, s] = e_j
            steps[5, i, s] = t_k
            steps[6, i, s] = throttled
            steps[7, i, s] = curtailed
            steps[8, i, s] = unmet
            steps[9, i, s] = loss
            # running totals, in SUM_FIELDS order; the powers times the step
            _total(tot, cums, 0, i, s, h)
            _total(tot, cums, 1, i, s, gen[i, s] * h)
            _total(tot, cums, 2, i, s, load * h)
            _total(tot, cums, 3, i, s, run * h)
            _total(tot, cums, 4, i, s, allowed * h)
            _total(tot, cums, 5, i, s, sunlit[i, s] * h)
            _total(tot, cums, 6, i, s, throttled)
            _total(tot, cums, 7, i, s, curtailed)
            _total(tot, cums, 8, i, s, unmet)
            _total(tot, cums, 9, i, s, loss)
            tot[10, s] += _min(allowed, c_max[s]) * h


@njit(inline="always")
def _total(tot, cums, k, i, s, x):
    tot[k, s] += x
    cums[k, i, s] = tot[k, s]
