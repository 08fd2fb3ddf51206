"""The compiled battery / thermal march equals the plain numpy integrators, step for step."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.march import (
    KEPT_FIELDS,
    STEP_FIELDS,
    SUM_FIELDS,
    TOTAL_FIELDS,
    WEIGHTED_FIELDS,
    Stepper,
    limits,
    march,
    stack_params,
)
from orbitgrid.physics.power import BatteryState, integrate_battery
from orbitgrid.physics.thermal import ThermalState, integrate_thermal

N_T, N_S = 240, 7


def _params() -> dict[str, np.ndarray]:
    """Seven satellites between starved, hot, cold and comfortable."""
    cap = np.array([20.0, 5.0, 2.0, 50.0, 1.0, 8.0, 20.0]) * 3.6e6
    return {
        "housekeeping_w": np.array([500.0, 1500.0, 200.0, 800.0, 900.0, 0.0, 400.0]),
        "compute_max_w": np.array([5000.0, 11200.0, 0.0, 700.0, 3000.0, 2000.0, 9000.0]),
        "capacity_j": cap,
        "floor_j": cap * 0.7,
        "reserve_j": np.array([1.0, 4.0, 0.5, 2.0, 0.6, 0.0, 1.0]) * 3.6e6,
        "efficiency": np.array([0.95, 0.9, 0.95, 0.85, 0.95, 1.0, 0.95]),
        "rad_area_m2": np.array([20.0, 12.0, 2.0, 1.5, 10.0, 5.0, 3.0]),
        "sides": np.array([2.0, 2.0, 1.0, 2.0, 2.0, 1.0, 2.0]),
        "emissivity": np.array([0.9, 0.85, 0.9, 0.8, 0.9, 0.9, 0.9]),
        "heat_capacity_j_k": np.array([2e5, 5e5, 1e4, 1e5, 3e5, 1e3, 4e4]),
        "max_temp_k": np.array([330.0, 330.0, 300.0, 320.0, 340.0, 330.0, 310.0]),
    }


def _inputs(seed: int = 3):
    rng = np.random.default_rng(seed)
    t = np.arange(N_T) * 30.0
    # sunlight with eclipses of different phase per satellite, penumbra ramps included
    phase = rng.uniform(0, 2 * np.pi, N_S)
    lit = np.clip(2.0 + 6.0 * np.sin(2 * np.pi * t[:, None] / 5700.0 + phase), 0.0, 1.0)
    gen = lit * np.array([30e3, 14e3, 1e3, 1.2e3, 4e3, 2e3, 6e3])
    env = rng.uniform(100.0, 3000.0, (N_T, N_S)) * (0.3 + 0.7 * lit)
    dt = np.full(N_T, 30.0)
    dt[100] = 7.5  # an uneven step
    dt[-1] = 0.0  # the run's last sample lasts 0 s
    return gen, env, lit, dt


def _reference(p, gen, env, sunlit, dt, energy_j, temperature_k, totals, asked=None):
    """The stage's policy written with integrate_thermal and integrate_battery, step by step
    (asked: the compute power asked for, W (T, S); None: all that is allowed)."""
    out = {k: np.zeros(gen.shape) for k in STEP_FIELDS}
    battery, thermal = BatteryState(energy_j), ThermalState(temperature_k)
    sqrt_eta, house = np.sqrt(p["efficiency"]), p["housekeeping_w"]
    for i in range(gen.shape[0]):
        if dt[i] <= 0.0:
            out["battery"][i], out["temp"][i] = battery.energy_j, thermal.temperature_k
            out["load"][i] = house
            continue
        spare_j = battery.energy_j - p["floor_j"] - p["reserve_j"]
        usable_j = np.where(spare_j > 0, sqrt_eta * spare_j, spare_j / sqrt_eta)
        energy_cap = np.maximum(gen[i] + usable_j / dt[i] - house, 0.0)
        want = np.minimum(p["compute_max_w"], energy_cap)[None]
        if asked is not None:
            want = np.minimum(want, asked[i][None])
        heat = integrate_thermal(want, house, env[i][None], dt[i], p["rad_area_m2"], p["sides"],
                                 p["emissivity"], p["heat_capacity_j_k"], p["max_temp_k"], thermal)
        thermal = heat.state
        run = heat.compute_w[0]
        load = house + run
        power = integrate_battery(gen[i][None], load[None], dt[i], p["capacity_j"], p["floor_j"],
                                  p["efficiency"], battery)
        battery = power.state
        out["load"][i], out["compute"][i] = load, run
        out["allowed"][i] = np.minimum(energy_cap, heat.compute_w_allowed[0])
        out["energy"][i] = energy_cap
        out["battery"][i], out["temp"][i] = power.energy_j[0], heat.temperature_k[0]
        allowed = np.minimum(energy_cap, heat.compute_w_allowed[0])
        out["throttled"][i] = np.where(np.minimum(allowed, p["compute_max_w"])
                                       < p["compute_max_w"] * (1 - 1e-9), dt[i], 0.0)
        out["curtailed"][i] = power.curtailed_j[0]
        out["unmet"][i], out["loss"][i] = power.unmet_j[0], power.loss_j[0]
    source = {**out, "gen": gen, "sunlit": sunlit, "dt": np.broadcast_to(dt[:, None], gen.shape),
              "allowed_capped": np.minimum(out["allowed"], p["compute_max_w"])}
    cums = {}
    for k in SUM_FIELDS:
        x = source[k] * source["dt"] if k in WEIGHTED_FIELDS else source[k]
        cums[k] = totals[k] + np.cumsum(x, axis=0)
    return out, cums, battery.energy_j, thermal.temperature_k


def test_march_equals_numpy_reference():
    p = _params()
    gen, env, lit, dt = _inputs()
    e0 = p["capacity_j"] * np.array([1.0, 0.75, 0.71, 1.0, 0.8, 0.9, 0.72])
    t0 = np.array([300.0, 329.0, 250.0, 340.0, 200.0, 310.0, 309.0])
    tot0 = {k: np.full(N_S, 10.0) for k in SUM_FIELDS + TOTAL_FIELDS}
    want, want_cum, want_e, want_t = _reference(p, gen, env, lit, dt, e0, t0, tot0)
    energy, temp = e0.copy(), t0.copy()
    totals = {k: v.copy() for k, v in tot0.items()}
    # running totals recorded at the ends of some steps (sorted by step), as orbits end
    snap_step = np.array([0, 17, 17, 100, 101, 238, N_T - 1])
    snap_sat = np.array([3, 0, 6, 2, 2, 5, 1])
    got, snaps = march(p, gen, env, lit, dt, energy, temp, totals, snap_step, snap_sat)
    # the case exercises every branch: throttling by heat and by energy, unmet load, curtailment
    assert (want["throttled"] > 0).any() and (want["unmet"] > 0).any()
    assert (want["curtailed"] > 0).any() and (want["allowed"] < p["compute_max_w"]).any()
    assert set(got) == set(STEP_FIELDS)
    for k in STEP_FIELDS:  # same operations in the same order; pow may differ by an ulp
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-9, err_msg=k)
    for k in SUM_FIELDS:
        np.testing.assert_allclose(snaps[k], want_cum[k][snap_step, snap_sat], rtol=1e-12,
                                   atol=1e-9, err_msg=k)
    for k in SUM_FIELDS + TOTAL_FIELDS:
        np.testing.assert_allclose(totals[k], want_cum[k][-1], rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(energy, want_e, rtol=1e-12)
    np.testing.assert_allclose(temp, want_t, rtol=1e-12)
    # the capped total never passes installed power; the uncapped one does (headroom)
    span = dt.sum()
    assert np.all(totals["allowed_capped"] - 10.0 <= p["compute_max_w"] * span * (1 + 1e-12))
    assert np.any(totals["allowed"] - 10.0 > p["compute_max_w"] * span)


def test_march_writes_only_the_kept_fields_when_asked():
    p = _params()
    args = _inputs()
    outs = []
    for all_fields in (True, False):
        energy, temp = p["capacity_j"].copy(), np.full(N_S, 300.0)
        totals = {k: np.zeros(N_S) for k in SUM_FIELDS + TOTAL_FIELDS}
        outs.append((march(p, *args, energy, temp, totals, all_fields=all_fields)[0], totals))
    (full, tot_full), (kept, tot_kept) = outs
    assert set(kept) == set(KEPT_FIELDS) == {"allowed", "energy", "battery", "temp"}
    for k in KEPT_FIELDS:
        np.testing.assert_array_equal(kept[k], full[k], err_msg=k)
    for k in tot_full:
        np.testing.assert_array_equal(tot_kept[k], tot_full[k], err_msg=k)
    with pytest.raises(ValueError, match="snap_step"):
        march(p, *args, energy, temp, tot_full, np.array([5, 2]), np.array([0, 0]))


def test_march_in_blocks_equals_one_march():
    """State and running totals carried from block to block: blocks do not change the result."""
    p = _params()
    gen, env, lit, dt = _inputs(seed=5)
    e0, t0 = p["capacity_j"].copy(), np.full(N_S, 290.0)

    def run(cuts):
        energy, temp = e0.copy(), t0.copy()
        totals = {k: np.zeros(N_S) for k in SUM_FIELDS + TOTAL_FIELDS}
        parts = [march(p, gen[a:b], env[a:b], lit[a:b], dt[a:b], energy, temp, totals)[0]
                 for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        steps = {k: np.concatenate([part[k] for part in parts]) for k in STEP_FIELDS}
        return steps, totals, energy, temp

    whole = run([0, N_T])
    pieces = run([0, 17, 100, 101, N_T])
    for k in STEP_FIELDS:
        np.testing.assert_array_equal(pieces[0][k], whole[0][k], err_msg=k)
    for k in SUM_FIELDS + TOTAL_FIELDS:
        np.testing.assert_array_equal(pieces[1][k], whole[1][k], err_msg=k)
    np.testing.assert_array_equal(pieces[2], whole[2])
    np.testing.assert_array_equal(pieces[3], whole[3])


def test_march_keeps_nan_satellites_apart():
    """A lost satellite (NaN inputs) gives NaN rows and leaves its neighbours untouched."""
    p = _params()
    gen, env, lit, dt = _inputs()
    gen[50:, 3] = np.nan
    env[50:, 3] = np.nan
    clean = _inputs()
    outs = []
    for g, e in ((gen, env), (clean[0], clean[1])):
        energy, temp = p["capacity_j"].copy(), np.full(N_S, 300.0)
        totals = {k: np.zeros(N_S) for k in SUM_FIELDS + TOTAL_FIELDS}
        outs.append(march(p, g, e, lit, dt, energy, temp, totals)[0])
    assert np.isnan(outs[0]["battery"][60:-1, 3]).all()
    others = np.arange(N_S) != 3
    for k in STEP_FIELDS:
        np.testing.assert_array_equal(outs[0][k][:, others], outs[1][k][:, others], err_msg=k)


def test_march_runs_the_load_asked_for_and_limits_agree_with_it():
    """With a load (the OS's schedule), compute is that load wherever it is allowed, the battery
    stays fuller than at full load, and limits() gives each step's allowed power from the state
    before it, the very numbers the march uses."""
    p = _params()
    gen, env, lit, dt = _inputs(seed=11)
    rng = np.random.default_rng(2)
    load = np.where(rng.random(gen.shape) < 0.3, p["compute_max_w"], 0.0) * rng.random(gen.shape)
    e0, t0 = p["capacity_j"].copy(), np.full(N_S, 300.0)
    tot0 = {k: np.zeros(N_S) for k in SUM_FIELDS + TOTAL_FIELDS}
    want, want_cum, _, _ = _reference(p, gen, env, lit, dt, e0, t0, tot0, asked=load)
    energy, temp = e0.copy(), t0.copy()
    totals = {k: v.copy() for k, v in tot0.items()}
    got, _ = march(p, gen, env, lit, dt, energy, temp, totals, load=load)
    for k in STEP_FIELDS:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-9, err_msg=k)
    for k in SUM_FIELDS:
        np.testing.assert_allclose(totals[k], want_cum[k][-1], rtol=1e-12, err_msg=k)
    ok = load <= got["allowed"]
    assert ok.mean() > 0.5
    np.testing.assert_array_equal(got["compute"][ok & (dt[:, None] > 0)],
                                  load[ok & (dt[:, None] > 0)])
    full = march(p, gen, env, lit, dt, e0.copy(), t0.copy(),
                 {k: np.zeros(N_S) for k in SUM_FIELDS + TOTAL_FIELDS})[0]
    # lighter load, fuller battery (on the whole: a cooler radiator may let a step run harder)
    assert got["battery"].mean() > full["battery"].mean()
    # step by step: limits() from the state, then a one-step march with the load
    params = stack_params(p, N_S)
    energy, temp = e0.copy(), t0.copy()
    totals = {k: np.zeros(N_S) for k in SUM_FIELDS + TOTAL_FIELDS}
    for i in range(N_T):
        allowed, energy_cap = limits(params, gen[i], env[i], dt[i], energy, temp)
        one, _ = march(params, gen[i:i + 1], env[i:i + 1], lit[i:i + 1], dt[i:i + 1], energy,
                       temp, totals, load=load[i:i + 1])
        np.testing.assert_array_equal(allowed, one["allowed"][0])
        np.testing.assert_array_equal(energy_cap, one["energy"][0])
        np.testing.assert_array_equal(one["battery"][0], got["battery"][i])


def test_stepper_limits_write_the_state_of_charge_into_fleet_columns():
    """Stepper.limits: limits' two figures and (E - floor) / (capacity - floor) at the columns
    given, the other columns untouched (the fleet's satellites without physics stay NaN)."""
    p = _params()
    params = stack_params(p, N_S)
    rng = np.random.default_rng(3)
    gen, env = rng.uniform(0, 3000, N_S), rng.uniform(0, 800, N_S)
    energy = p["floor_j"] + rng.uniform(-0.1, 1.0, N_S) * (p["capacity_j"] - p["floor_j"])
    temp = rng.uniform(250, 320, N_S)
    cols = np.arange(N_S) * 2 + 1  # satellites 1, 3, ... of a fleet of 2 N_S + 1
    out = np.full((3, 2 * N_S + 1), np.nan)
    Stepper(params).limits(gen, env, 30.0, energy, temp, cols, out)
    allowed, energy_cap = limits(params, gen, env, 30.0, energy, temp)
    np.testing.assert_array_equal(out[0, cols], allowed)
    np.testing.assert_array_equal(out[1, cols], energy_cap)
    soc = [(e - f) / (c - f) for e, f, c in zip(energy, p["floor_j"], p["capacity_j"],
                                                 strict=True)]
    np.testing.assert_allclose(out[2, cols], soc, rtol=1e-15)
    assert (out[2, cols] < 0).any() and (out[2, cols] > 0.5).any()
    assert np.isnan(np.delete(out, cols, axis=1)).all()
