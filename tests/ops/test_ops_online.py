"""The engine online: jobs submitted while it runs, advanced to a clock, cancelled; the same
engine that run_ops feeds every arrival up front."""

import numpy as np
import pytest
from ops_invariants import check

from orbitgrid.ops import engine as ops_engine
from orbitgrid.ops.engine import Engine, JobStatus
from orbitgrid.ops.job_state import JobFinishedError, JobState
from orbitgrid.ops.jobs import make_jobs
from orbitgrid.ops.timelines import FAULT_DTYPE, constant

PEAK = 1e15  # op/s
POWER_W = 1000.0


def busy_world():
    """Six satellites in two planes over 6 h, steps of 60 s: eclipses a third of each 90-min
    orbit (phase shifted per satellite), contacts a quarter of the time, 1 Gbit/s ISLs on the
    first four, upsets and interrupts."""
    n, steps, step = 6, 360, 60.0
    t = np.arange(steps) * step
    phase = np.arange(n) * 900.0
    lit = (((t[:, None] + phase) % 5400.0) < 3600.0).astype(float)
    capacity = np.where(lit > 0, 1.0, 0.3)
    ground = np.where(((t[:, None] + 2 * phase) % 3600.0) < 900.0, 2e9, 0.0)
    faults = np.zeros(8, FAULT_DTYPE)
    faults["time_s"] = [600.0, 1500.0, 2400.0, 4000.0, 7000.0, 9000.0, 12000.0, 15000.0]
    faults["satellite"] = [0, 1, 2, 3, 4, 0, 1, 5]
    faults["kind"] = ["seu", "sefi", "seu", "seu", "sefi", "seu", "seu", "sefi"]
    return constant(n, steps * step, step, peak_flops=PEAK, power_w=POWER_W, capacity=capacity,
                    sunlit=lit, ground_bps=ground, isl_bps=np.r_[np.full(4, 1e9), 0.0, 0.0],
                    group=np.array([0, 0, 0, 1, 1, 1]), faults=faults,
                    seu_rate_s=np.full(n, 1e-4))


def busy_jobs():
    """Batch jobs with input from the ground and output to it, sensing jobs with input on a
    satellite, a training job on two satellites; ties in arrival time included."""
    rng = np.random.default_rng(7)
    m = 30
    arrival = np.sort(np.round(rng.uniform(0, 15_000, m), -2))  # rounded: some arrive together
    return make_jobs(
        id=[f"j{i}" for i in range(m)],
        kind=["training" if i == 5 else ("sensing" if i % 3 == 0 else "batch") for i in range(m)],
        work_flop=rng.uniform(200, 3000, m) * PEAK,
        arrival=arrival,
        input_bytes=np.where(np.arange(m) % 2 == 0, 2e8, 0.0),
        input_at=["sat1" if i % 3 == 0 else "ground" for i in range(m)],
        output_bytes=np.where(np.arange(m) % 4 == 0, 5e8, 0.0),
        checkpoint_bytes=np.where(np.arange(m) % 5 == 0, 1.6e10, 0.0),
        priority=rng.integers(0, 3, m),
        min_satellites=[2 if i == 5 else 1 for i in range(m)],
        deadline=arrival + 5000.0,
    )


def rows(jobs):
    return [dict(zip(jobs, values, strict=True)) for values in zip(*jobs.values(), strict=True)]


def assert_same_tables(a, b, names=("jobs", "schedule", "transfers", "accounts")):
    """Every column of the named tables equal, bit for bit (and the summaries, given all)."""
    for name in names:
        ta, tb = getattr(a, name), getattr(b, name)
        assert list(ta) == list(tb), name
        for col in ta:
            assert ta[col].dtype == tb[col].dtype, (name, col)
            assert np.array_equal(ta[col], tb[col], equal_nan=ta[col].dtype.kind == "f"), \
                (name, col)
    if "accounts" in names:
        assert a.summary == b.summary


@pytest.mark.parametrize("policy", ["first-fit", "follow-the-sun", "edf"])
def test_arrivals_submitted_online_give_the_batch_tables(policy):
    env, jobs = busy_world(), busy_jobs()
    batch = ops_engine.run_ops(jobs, env, policy, seed=3)
    assert batch.summary["completed"] >= 10  # a busy run: most jobs finish, some roll back
    assert batch.jobs["rollbacks"].sum() >= 1
    live = Engine(env, policy, seed=3)
    changes = []
    for row in rows(jobs):
        changes += live.advance_to(row["arrival"])
        live.submit(row)
    online = live.close()
    check(online, env)
    assert_same_tables(batch, online)
    done = [c for c in changes + live.drain() if c.state is JobState.DONE]
    assert len(done) == batch.summary["completed"]


def one_satellite(duration_s=10_000.0):
    return constant(1, duration_s, 60, peak_flops=PEAK, power_w=POWER_W)


def test_state_changes_of_a_job_in_order():
    engine = Engine(one_satellite())
    engine.advance_to(50.0)
    job = engine.submit({"kind": "batch", "work_flop": 1000 * PEAK, "arrival": 100.0})
    assert engine.status(job).state is JobState.PENDING
    changes = engine.advance_to(2000.0)
    assert [(c.state, c.time_s, c.satellites) for c in changes] == [
        (JobState.PENDING, 50.0, ()),
        (JobState.QUEUED, 100.0, ()),
        (JobState.RUNNING, 100.0, ("sat0",)),
        (JobState.DONE, 1100.0, ("sat0",)),
    ]
    status = engine.status(job)
    assert status == JobStatus(job, JobState.DONE, ("sat0",), 100.0, 100.0, 1100.0, 1000 * PEAK,
                               1000 * PEAK, 0, 0)
    assert engine.counts()[JobState.DONE] == 1


def test_events_at_the_target_time_wait_for_the_next_advance():
    heard = []
    engine = Engine(one_satellite(), listener=heard.append)
    engine.submit({"id": "a", "kind": "batch", "work_flop": 500 * PEAK, "arrival": 0.0})
    engine.advance_to(500.0)  # its finish at 500 s is not processed yet
    assert engine.status("a").state is JobState.RUNNING
    engine.advance_to(500.0 + 1e-6)
    assert engine.status("a").state is JobState.DONE
    assert [c.state for c in heard] == [JobState.PENDING, JobState.QUEUED, JobState.RUNNING,
                                        JobState.DONE]


def test_cancel_a_queued_job():
    # one satellite: a runs 0..1000 s, b waits behind it and is cancelled at 300 s
    engine = Engine(one_satellite())
    for name in ("a", "b"):
        engine.submit({"id": name, "kind": "batch", "work_flop": 1000 * PEAK, "arrival": 0.0})
    engine.advance_to(300.0)
    assert engine.status("b").state is JobState.QUEUED
    change = engine.cancel("b")
    assert (change.job, change.state, change.time_s, change.satellites) == (
        "b", JobState.CANCELLED, 300.0, ())
    r = engine.close()
    assert r.jobs["state"].tolist() == ["done", "cancelled"]
    assert r.jobs["end"][0] == 1000.0
    assert np.isnan(r.jobs["start"][1])
    assert r.schedule["job"].tolist() == ["a"]


def test_cancel_a_running_job_frees_its_satellite_at_once():
    # a runs from 0 s and is cancelled at 300 s; b, waiting, starts then and runs its 400 s
    engine = Engine(one_satellite())
    engine.submit({"id": "a", "kind": "batch", "work_flop": 1000 * PEAK, "arrival": 0.0})
    engine.submit({"id": "b", "kind": "batch", "work_flop": 400 * PEAK, "arrival": 0.0})
    engine.advance_to(300.0)
    assert engine.status("a").state is JobState.RUNNING
    assert engine.satellite_jobs() == {"sat0": "a"}
    assert engine.cancel("a").satellites == ("sat0",)
    assert engine.satellite_jobs() == {}
    changes = engine.advance_to(300.0 + 1e-9)
    assert [(c.job, c.state, c.time_s) for c in changes] == [  # the cancel is in the stream too
        ("a", JobState.CANCELLED, 300.0), ("b", JobState.RUNNING, 300.0)]
    r = engine.close()
    assert r.jobs["state"].tolist() == ["cancelled", "done"]
    assert r.jobs["end"].tolist() == [300.0, 700.0]
    assert r.jobs["energy_j"][0] == pytest.approx(POWER_W * 300.0, rel=1e-12)
    assert r.schedule["start"].tolist() == [0.0, 300.0]
    assert r.schedule["end"].tolist() == [300.0, 700.0]
    assert r.accounts["delivered"][0] == pytest.approx(700.0, rel=1e-12)


def test_cancel_once_finished_is_refused():
    engine = Engine(one_satellite())
    engine.submit({"id": "a", "kind": "batch", "work_flop": 100 * PEAK, "arrival": 0.0})
    engine.advance_to(200.0)
    with pytest.raises(JobFinishedError, match="a: already done"):
        engine.cancel("a")
    assert engine.status("a").state is JobState.DONE
    with pytest.raises(KeyError):
        engine.cancel("nobody")


def test_cancel_before_arrival_and_twice():
    engine = Engine(one_satellite())
    engine.submit({"id": "later", "kind": "batch", "work_flop": PEAK, "arrival": 5000.0})
    engine.cancel("later")
    with pytest.raises(JobFinishedError):
        engine.cancel("later")
    engine.advance_to(6000.0)
    assert engine.status("later").state is JobState.CANCELLED
    assert engine.close().schedule["job"].size == 0


@pytest.mark.parametrize(("row", "message"), [
    ({"kind": "batch"}, "work_flop: a value is required"),
    ({"kind": "batch", "work_flop": "lots"}, "work_flop: not a number"),
    ({"kind": "batch", "work_flop": -1.0}, "work_flop: expected a finite, non-negative"),
    ({"kind": "party", "work_flop": 1.0}, "kind: 'party' is not one of"),
    ({"kind": "batch", "work_flop": 1.0, "colour": "red"}, "colour: unknown column"),
    ({"kind": "batch", "work_flop": 1.0, "min_satellites": 2}, "needs 2 satellites, fleet has 1"),
    ({"kind": "batch", "work_flop": 1.0, "min_satellites": 1.5}, "min_satellites: expected a"),
    ({"kind": "batch", "work_flop": 1.0, "arrival": 10.0}, "arrival: 10.0 s is before now"),
    ({"kind": "batch", "work_flop": 1.0, "precision": "fp64"}, "no fp64 peak"),
])
def test_a_bad_submission_names_its_column(row, message):
    engine = Engine(one_satellite())
    engine.advance_to(100.0)
    with pytest.raises(ValueError, match=message):
        engine.submit(row)
    assert engine.counts()[JobState.PENDING] == 0


def test_a_duplicate_id_and_advancing_past_the_timelines_are_refused():
    engine = Engine(one_satellite(1000.0))
    engine.submit({"id": "x", "kind": "batch", "work_flop": PEAK})
    with pytest.raises(ValueError, match="x: id: already submitted"):
        engine.submit({"id": "x", "kind": "batch", "work_flop": PEAK})
    with pytest.raises(ValueError, match="outside"):
        engine.advance_to(1020.5)  # the timelines end at 1,020 s (steps of 60 s)
    engine.advance_to(100.0)
    with pytest.raises(ValueError, match="outside"):
        engine.advance_to(50.0)


def test_checkpointed_work_and_a_job_resumed_from_it():
    """One satellite at PEAK, a checkpoint every 100 s of compute costing 1 s (1 GB at
    8 Gbit/s): by t = 250 s, 250 / 1.01 = 247.5 s of useful compute, two checkpoints kept
    (200 s of work); resumed from them, a 1,000 s job needs 1 s to read the checkpoint back and
    800 x 1.01 s more."""
    from orbitgrid.ops.compute import Protection

    prot = Protection(checkpoint_interval_s=100.0, checkpoint_write_bps=8e9)
    job = {"id": "long", "kind": "batch", "work_flop": 1000 * PEAK, "checkpoint_bytes": 1e9,
           "arrival": 0.0}
    eng = Engine(constant(1, 3000.0, 60.0, peak_flops=PEAK), protection=prot)
    eng.submit(job)
    eng.advance_to(250.0)
    assert eng.checkpointed_flop("long") == pytest.approx(200 * PEAK, rel=1e-12)
    resumed = Engine(constant(1, 3000.0, 60.0, peak_flops=PEAK), protection=prot)
    resumed.submit(job, resumed_flop=200 * PEAK)
    resumed.advance_to(3000.0)
    assert resumed.status("long").state is JobState.DONE
    assert resumed.status("long").end_s == pytest.approx(1.0 + 800 * 1.01, rel=1e-9)
