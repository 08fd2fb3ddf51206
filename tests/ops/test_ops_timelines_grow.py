"""Timelines that grow block by block and forget what is behind: the same numbers as all the
steps at once, and an engine extended block by block gives the tables of the whole run."""

import numpy as np
import pytest
from ops_invariants import check
from test_ops_online import POWER_W, assert_same_tables, busy_jobs, busy_world, rows

from orbitgrid.ops import engine as ops_engine
from orbitgrid.ops.engine import Engine
from orbitgrid.ops.job_state import JobState
from orbitgrid.ops.jobs import make_jobs
from orbitgrid.ops.timelines import PER_STEP, Timelines, constant

PEAK = 1e15


def block(env: Timelines, k0: int, k1: int) -> Timelines:
    """Steps k0..k1 - 1 of env as timelines of their own (their faults, totals from 0)."""
    steps = {name: None if getattr(env, name) is None else getattr(env, name)[k0:k1]
             for name in PER_STEP}
    t = env.t_s[k0:k1 + 1]
    faults = env.faults[(env.faults["time_s"] >= t[0]) & (env.faults["time_s"] < t[-1])]
    return Timelines(t_s=t, peak_flops=env.peak_flops, power_w=env.power_w, group=env.group,
                     faults=faults, seu_rate_s=env.seu_rate_s, names=env.names, **steps)


def blocks(env: Timelines, size: int) -> list[Timelines]:
    steps = len(env.t_s) - 1
    return [block(env, k, min(k + size, steps)) for k in range(0, steps, size)]


def test_appended_blocks_hold_the_numbers_of_the_whole():
    env = busy_world()
    parts = blocks(env, 47)  # blocks that do not divide the 360 steps
    grown = parts[0]
    for part in parts[1:]:
        grown = grown.append(part)
    assert np.array_equal(grown.t_s, env.t_s)
    for name in PER_STEP:
        assert np.array_equal(getattr(grown, name), getattr(env, name)), name
    for name in ("work_rows", "ground_rows", "relay_cum", "has_isl"):
        assert np.array_equal(getattr(grown, name), getattr(env, name)), name
    assert np.array_equal(grown.faults, env.faults)
    entries, exits = env.edges
    for got, want in zip(grown.edges, env.edges, strict=True):
        assert np.array_equal(got, want)
    assert len(entries) and len(exits)


def test_a_window_grown_twice_keeps_both_growths():
    # append writes into spare room behind the window grown last; a second append to the same
    # window, or to an older one, must not overwrite what the first gave
    env = busy_world()
    env.work_rows  # noqa: B018  (worked out: appends continue it)
    parts = blocks(env, 1)
    start = parts[0].append(parts[1])
    start.work_rows  # noqa: B018
    one = start.append(parts[2])
    other = start.append(parts[2])
    longer = one.append(parts[3])
    older = one.append(parts[3])  # one is no longer the last grown
    for grown, steps in ((one, 3), (other, 3), (longer, 4), (older, 4)):
        assert np.array_equal(grown.t_s, env.t_s[:steps + 1])
        for name in PER_STEP:
            want = getattr(env, name)
            assert want is None or np.array_equal(getattr(grown, name), want[:steps]), name
        assert np.array_equal(grown.work_rows, env.work_rows[:, :steps + 1])
        assert np.array_equal(grown.dt, env.dt[:steps])


def test_an_appended_block_of_a_wider_dtype_widens_the_window():
    env = busy_world()
    first = block(env, 0, 2)
    wide = block(env, 2, 4)
    narrow = Timelines(**{**{f: getattr(first, f) for f in ("t_s", "peak_flops", "power_w")},
                          "capacity": first.capacity.astype(np.float32),
                          "sunlit": first.sunlit})
    grown = narrow.append(Timelines(t_s=wide.t_s, peak_flops=wide.peak_flops,
                                    power_w=wide.power_w, capacity=wide.capacity,
                                    sunlit=wide.sunlit))
    assert grown.capacity.dtype == np.result_type(np.float32, env.capacity.dtype)
    assert np.array_equal(grown.capacity[2:], env.capacity[2:4])


def test_forgotten_steps_keep_the_running_totals():
    env = busy_world()
    kept = env.forget_before(3630.0)  # inside the step from 3,600 s
    assert kept.t_s[0] == 3600.0 and kept.end_s == env.end_s
    assert np.array_equal(kept.work_rows, env.work_rows[:, 60:])
    assert np.array_equal(kept.ground_rows, env.ground_rows[:, 60:])
    assert np.array_equal(kept.relay_cum, env.relay_cum[60:])
    assert (kept.faults["time_s"] >= 3600.0).all() and len(kept.faults) == 5  # from 4,000 s
    assert env.forget_before(30.0) is env


def test_a_block_that_does_not_follow_is_refused():
    env = busy_world()
    with pytest.raises(ValueError, match="does not follow"):
        block(env, 0, 10).append(block(env, 11, 20))


def single_satellite_jobs():
    """busy_jobs without the data-parallel one (its all-reduce share is averaged over the steps
    known when it starts, see compute)."""
    jobs = busy_jobs()
    return {k: v[jobs["min_satellites"] == 1] for k, v in jobs.items()}


def grow(env, jobs, policy, forget_s=None):
    """The engine over env given in half-hour blocks, each extended once the engine has reached
    the end of the known steps, jobs submitted at their arrival times (forget_s: the steps
    older than that dropped at each block); the result and the most steps it held at once."""
    parts = blocks(env, 30)
    engine = Engine(parts[0], policy, seed=3, open_ended=True)
    pending = rows(jobs)
    longest = 0
    for part in [*parts[1:], None]:
        while pending and pending[0]["arrival"] < engine.env.end_s:
            engine.advance_to(pending[0]["arrival"])
            engine.submit(pending.pop(0))
        engine.advance_to(engine.env.end_s)
        if forget_s is not None:
            engine.forget_before(engine.now_s - forget_s)
        longest = max(longest, len(engine.env.t_s) - 1)
        if part is not None:
            engine.extend(part)
    for row in pending:
        engine.submit(row)
    return engine.close(), longest


@pytest.mark.parametrize("policy", ["first-fit", "follow-the-sun"])
def test_an_engine_extended_block_by_block_gives_the_whole_run(policy):
    env, jobs = busy_world(), single_satellite_jobs()
    whole = ops_engine.run_ops(jobs, env, policy, seed=3)
    assert (whole.transfers["end"] > 0).sum() >= 10  # uploads and downlinks across blocks
    grown, _ = grow(env, jobs, policy)
    check(grown, env)
    assert_same_tables(whole, grown, ("jobs", "schedule", "transfers"))
    for bucket, values in whole.accounts.items():  # a down time across blocks adds in parts
        assert grown.accounts[bucket] == pytest.approx(values, rel=1e-12, abs=1e-9), bucket


def two_blocks(env, row, state_at_1000):
    """One job over env's first 1,000 s (in state_at_1000 by then), then its next 1,000 s; the
    engine and the state changes of the second block."""
    engine = Engine(block(env, 0, 10), open_ended=True)
    job = engine.submit(row)
    engine.advance_to(1000.0)
    assert engine.status(job).state is state_at_1000
    engine.extend(block(env, 10, 20))
    return engine, engine.advance_to(2000.0)


def test_a_completion_beyond_the_known_steps_comes_when_they_grow():
    one = constant(1, 2000, 100, peak_flops=PEAK, power_w=POWER_W)
    _, changes = two_blocks(one, {"kind": "batch", "work_flop": 1500 * PEAK}, JobState.RUNNING)
    assert [(c.state, c.time_s) for c in changes] == [(JobState.DONE, 1500.0)]


def test_a_downlink_waits_for_a_contact_in_a_later_block():
    # contact only from 1,500 s at 1 Gbit/s: 1 Gbit of results, computed by 100 s, holds the
    # downlink from then (asked) and lands at 1,501 s
    ground = np.zeros((20, 1))
    ground[15:] = 1e9
    one = constant(1, 2000, 100, peak_flops=PEAK, ground_bps=ground)
    engine, _ = two_blocks(one, {"id": "a", "kind": "batch", "work_flop": 100 * PEAK,
                                 "output_bytes": 1.25e8}, JobState.DOWNLINK)
    status = engine.status("a")
    assert (status.state, status.end_s) == (JobState.DONE, pytest.approx(1501.0, rel=1e-12))
    t = engine.close().transfers
    assert (t["link"].tolist(), t["start"].tolist()) == (["down:sat0"], [100.0])


def test_forgetting_behind_keeps_the_jobs_and_bounds_the_window():
    env, jobs = busy_world(), single_satellite_jobs()
    whole = ops_engine.run_ops(jobs, env, "first-fit", seed=3)
    grown, longest = grow(env, jobs, "first-fit", forget_s=1800.0)
    assert longest < 180  # never half the run's 360 steps
    assert_same_tables(whole, grown, ("jobs", "schedule", "transfers"))


def test_a_ring_waits_for_a_terminal_busy_beyond_the_known_steps():
    # a's input, 250 GB on sat2, crosses to sat0 at 1 Gbit/s from 0 to 2,000 s (two blocks of
    # 1,000 s); the training job t, placed on sat1 and sat2 at 10 s, starts its ring and its
    # compute when sat2's terminal is free at 2,000 s, then runs 50 steps of compute plus ring
    params, batch, k, link_bps = 1e9, 4_194_304.0, 2, 1e9
    env = constant(3, 20_000, 100, peak_flops=PEAK, isl_bps=np.full(3, link_bps),
                   group=np.zeros(3, dtype=int))
    step_s = 6 * params * batch / (k * PEAK) + 2 * (k - 1) / k * 2 * params * 8 / link_bps
    jobs = [
        {"id": "a", "kind": "sensing", "work_flop": 100 * PEAK, "arrival": 0.0,
         "input_bytes": 250e9, "input_at": "sat2"},
        {"id": "t", "kind": "training", "work_flop": 6 * params * 50 * batch, "arrival": 10.0,
         "checkpoint_bytes": 16 * params, "min_satellites": 2},
    ]
    engine = Engine(block(env, 0, 10), open_ended=True, record_changes=False)
    for row in jobs:
        engine.submit(row)
    engine.advance_to(1000.0)
    assert engine.status("t").state is JobState.RUNNING and engine.status("t").satellites == (
        "sat1", "sat2")
    for k0 in range(10, 200, 10):
        engine.extend(block(env, k0, k0 + 10))
        engine.advance_to(engine.env.end_s)
    grown = engine.close()
    assert grown.jobs["end"].tolist() == pytest.approx([2100.0, 2000.0 + 50 * step_s], rel=1e-9)
    columns = {c: [row.get(c, d) for row in jobs]
               for c, d in [("id", ""), ("kind", ""), ("work_flop", 0.0), ("arrival", 0.0),
                            ("input_bytes", 0.0), ("input_at", ""), ("checkpoint_bytes", 0.0),
                            ("min_satellites", 1)]}
    whole = ops_engine.run_ops(make_jobs(**columns), env)
    assert grown.jobs["end"].tolist() == pytest.approx(whole.jobs["end"].tolist(), rel=1e-12)
    ring = grown.transfers["kind"] == "allreduce"
    assert grown.transfers["start"][ring].min() == 2000.0


def test_a_running_ring_lets_the_steps_behind_it_go():
    # a two-satellite training job runs its ring for most of the run; the engine, extended a
    # step at a time and forgetting every step behind its clock (the closed loop's way), holds
    # a few steps, not the ring's whole life, and gives run_ops's jobs, all-reduce rows (cut
    # where a transfer crosses a member's terminal mid-ring) and accounts
    params, link_bps = 1e9, 1e9
    env = constant(3, 20_000, 100, peak_flops=PEAK, isl_bps=np.full(3, link_bps),
                   group=np.zeros(3, dtype=int))
    jobs = [
        {"id": "t", "kind": "training", "work_flop": 6 * params * 200 * 4_194_304.0,
         "arrival": 10.0, "checkpoint_bytes": 16 * params, "min_satellites": 2},
        {"id": "a", "kind": "sensing", "work_flop": 100 * PEAK, "arrival": 5_050.0,
         "input_bytes": 25e9, "input_at": "sat1"},
    ]
    columns = {c: [row.get(c, d) for row in jobs]
               for c, d in [("id", ""), ("kind", ""), ("work_flop", 0.0), ("arrival", 0.0),
                            ("input_bytes", 0.0), ("input_at", ""), ("checkpoint_bytes", 0.0),
                            ("min_satellites", 1)]}
    table = make_jobs(**columns)
    whole = ops_engine.run_ops(table, env)
    engine = Engine(block(env, 0, 1), open_ended=True, record_changes=False)
    for k in range(len(jobs)):
        engine.add({c: v[k].item() for c, v in table.items()})
    longest = 0
    for k in range(1, 200):
        engine.advance_to(engine.env.end_s)
        engine.forget_before(engine.now_s)
        longest = max(longest, len(engine.env.t_s) - 1)
        engine.extend(block(env, k, k + 1))
    grown = engine.close()
    assert longest < 10  # the staging of the transfer beside it, never the ring's life
    ring = whole.transfers["kind"] == "allreduce"
    assert ring.sum() >= 3 and whole.jobs["end"][0] > 5_100.0  # cut; a ring of 50+ steps
    assert_same_tables(whole, grown, ("schedule",))
    for col in whole.jobs:  # the all-reduce's bytes in bytes_moved: sums carried across steps
        if col == "bytes_moved":
            assert grown.jobs[col] == pytest.approx(whole.jobs[col], rel=1e-9)
        else:
            assert np.array_equal(grown.jobs[col], whole.jobs[col]), col
    for col in ("link", "job", "start", "end", "kind"):
        assert grown.transfers[col].tolist() == whole.transfers[col].tolist(), col
    assert grown.transfers["bytes"] == pytest.approx(whole.transfers["bytes"], rel=1e-9)
    for bucket, values in whole.accounts.items():
        assert grown.accounts[bucket] == pytest.approx(values, rel=1e-9, abs=1e-6), bucket


def test_replaced_is_dataclasses_replace_without_the_cached_figures():
    """Timelines.replaced: every field as dataclasses.replace gives it, no cached property of
    the original carried (they follow the new steps)."""
    import dataclasses

    env = busy_world()
    assert env.work_rows.shape[1] == len(env.t_s)  # cached on env
    half = len(env.t_s) // 2
    changes = {"t_s": env.t_s[:half + 1], "capacity": env.capacity[:half] * 0.5}
    got, want = env.replaced(**changes), dataclasses.replace(env, **changes)
    for f in dataclasses.fields(Timelines):
        assert getattr(got, f.name) is getattr(want, f.name), f.name
    assert "work_rows" not in got.__dict__
    np.testing.assert_array_equal(got.work_rows, want.work_rows)
    assert got.work_rows[:, -1].sum() < env.work_rows[:, half].sum()
