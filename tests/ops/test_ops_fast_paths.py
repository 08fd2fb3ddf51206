"""The engine's vectorised paths against the scalar ones they replace: the same numbers, bit for
bit, at step edges and inside steps, on an engine extended step by step as the closed loop
extends it."""

import numpy as np
import pytest
from test_ops_online import busy_jobs, busy_world, rows
from test_ops_timelines_grow import block

from orbitgrid.network.graph import visible_pairs
from orbitgrid.network.links import GroundLink, ground_link_rate_bps
from orbitgrid.ops.engine import Engine
from orbitgrid.ops.stage import best_ground_bps
from orbitgrid.ops.timelines import time_to_reach, total_at, totals_at
from orbitgrid.orbits.contacts import Stations


def test_totals_at_is_total_at_row_by_row():
    env = busy_world()
    rows_, t_list = env.work_rows, env.t_s.tolist()
    for t in (-5.0, 0.0, 30.0, 59.999, 60.0, 1234.5, env.end_s - 1e-3, env.end_s, env.end_s + 9):
        want = [total_at(row, t_list, t) for row in rows_]
        assert totals_at(rows_, t_list, t).tolist() == want, t
        some = np.array([5, 0, 3])
        assert totals_at(rows_, t_list, t, some).tolist() == [want[k] for k in some], t


def test_time_to_reach_beyond_the_end_and_at_it():
    cum, t_list = np.array([0.0, 10.0, 10.0, 25.0]), [0.0, 60.0, 120.0, 180.0]
    assert time_to_reach(cum, t_list, 25.0) == 180.0
    assert time_to_reach(cum, t_list, 25.0 + 1e-12) == np.inf
    assert time_to_reach(cum, t_list, np.nan) == np.inf
    assert time_to_reach(cum, t_list, 10.0) == 60.0  # the first time it is reached
    assert time_to_reach(cum, t_list, 0.0) == 0.0
    assert time_to_reach(cum, t_list, 17.5) == 150.0


def scalar_drawn_j(engine: Engine, t: float) -> np.ndarray:
    """compute_drawn_j as it was: job by job, segment by segment."""
    out = engine.drawn_j.copy()
    for j in engine.active():
        seg = j.seg
        if seg is None or seg.staging:
            continue
        cum = engine.compute.cum(seg)
        e = max(total_at(cum, engine.compute.t_list, t) - seg.c0, 0.0)
        out[j.sats] += engine.power_w[j.sats] * e
    return out


def test_compute_drawn_j_is_the_scalar_sum_step_by_step():
    env, jobs = busy_world(), busy_jobs()
    engine = Engine(block(env, 0, 1), "first-fit", seed=3, open_ended=True,
                    record_changes=False)
    for row in rows(jobs):
        engine.add(row)
    running = pairs = 0
    for k in range(len(env.t_s) - 1):
        if k:
            engine.extend(block(env, k, k + 1))
        t0, t1 = float(env.t_s[k]), float(env.t_s[k + 1])
        engine.advance_to(t0 + 0.37 * (t1 - t0))
        inside = engine.now_s
        assert np.array_equal(engine.compute_drawn_j(inside), scalar_drawn_j(engine, inside))
        engine.advance_to(t1)
        assert np.array_equal(engine.compute_drawn_j(t1), scalar_drawn_j(engine, t1))
        computing = [j for j in engine.active() if j.seg is not None and not j.seg.staging]
        running += len(computing)
        pairs += sum(len(j.sats) > 1 for j in computing)
        if len(engine.env.t_s) > 64:
            engine.forget_before(t1)
    assert running > 500 and pairs > 10  # jobs ran at most steps, the training pair too


def test_ground_rates_of_a_block_are_those_of_each_step():
    """best_ground_bps (the pairs of all steps, one rate call per station) against the loop it
    replaced: per step, per station, then the best per satellite."""
    stations = Stations.from_geodetic(np.array([78.23, -33.9, 40.4, 78.0]),
                                      np.array([15.41, 18.4, -3.7, 15.0]), np.zeros(4),
                                      np.array([5.0, 10.0, 0.0, 5.0]),
                                      np.array([np.inf, 2.5e6, np.inf, 1.8e6]))
    links = [GroundLink(), GroundLink(band="x"), GroundLink(band="optical"),
             GroundLink(rate_bps=5e8, snr_db=12.0)]
    rng = np.random.default_rng(4)
    steps, n = 40, 300
    u = rng.normal(size=(steps, n, 3))
    r = u / np.linalg.norm(u, axis=2, keepdims=True) * rng.uniform(6.9e6, 7.5e6, (steps, n, 1))
    r[3, 7] = np.nan  # a gone satellite
    want = np.zeros((steps, n))
    for k in range(steps):
        sat, station, rng_m, el = visible_pairs(r[k], stations.ecef, stations.up, stations.mask,
                                                stations.max_range)
        rate = np.empty(len(sat))
        for s in np.unique(station):
            on = station == s
            rate[on] = ground_link_rate_bps(rng_m[on], el[on], links[s])
        np.maximum.at(want[k], sat, rate)
    got = best_ground_bps(r, stations, links)
    assert (want > 0).sum() > 500 and len(np.unique(want[want > 0])) > 500
    assert np.array_equal(got, want)
    assert best_ground_bps(r[:0], stations, links).shape == (0, n)


@pytest.mark.parametrize("size", [1, 7])
def test_running_totals_continued_step_by_step_are_those_of_the_whole(size):
    """append continues work_rows already worked out (the closed loop's case, one step at a
    time; blocks of several too) rather than summing the window again: the same numbers as all
    the steps at once."""
    env = busy_world()
    steps = len(env.t_s) - 1
    grown, first = block(env, 0, size), 0
    for k in range(size, steps, size):
        # worked out, so the next append continues it
        assert np.array_equal(grown.work_rows, env.work_rows[:, first:k + 1])
        grown = grown.append(block(env, k, min(k + size, steps)))
        if first == 0 and k >= 200:
            grown, first = grown.forget_before(float(env.t_s[150])), 150
    assert np.array_equal(grown.work_rows, env.work_rows[:, 150:])
    assert np.array_equal(grown.faults, env.faults[env.faults["time_s"] >= env.t_s[150]])
    entries, exits = grown.edges
    want = env.forget_before(float(env.t_s[150])).edges
    assert np.array_equal(entries, want[0]) and np.array_equal(exits, want[1]) and len(exits)
