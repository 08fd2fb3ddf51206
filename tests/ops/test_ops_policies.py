"""Policy behaviours known by construction, and a user's policy loaded by module:Class."""

import numpy as np
import pytest
from ops_invariants import run_ops

from orbitgrid.errors import ScenarioError
from orbitgrid.ops import Policy, load_policy, make_jobs
from orbitgrid.ops.timelines import constant

PEAK = 1e15


def _two_sats_one_dark():
    # sat0 in eclipse with an empty battery for the first hour (capacity still reported 1),
    # sat1 sunlit throughout
    n_t = 120
    sunlit = np.ones((n_t, 2))
    sunlit[:60, 0] = 0.0
    battery = np.ones((n_t, 2))
    battery[:60, 0] = 0.0
    return constant(2, 7200, 60, peak_flops=PEAK, sunlit=sunlit, battery=battery)


def test_energy_aware_never_starts_on_an_eclipsed_empty_satellite():
    env = _two_sats_one_dark()
    jobs = make_jobs(kind="batch", work_flop=300 * PEAK, arrival=np.arange(6) * 100.0)
    for policy, uses_dark in (("energy-aware", False), ("first-fit", True)):
        s = run_ops(jobs, env, policy).schedule
        dark = (s["satellite"] == "sat0") & (s["start"] < 3600)
        assert dark.any() == uses_dark, policy


def test_edf_meets_a_feasible_deadline_set_that_fifo_misses():
    env = constant(1, 10_000, 60, peak_flops=PEAK)
    jobs = make_jobs(id=["long", "short"], kind="batch", work_flop=[100 * PEAK, 10 * PEAK],
                     arrival=0.0, deadline=[1000.0, 50.0])
    fifo = run_ops(jobs, env, "first-fit")
    edf = run_ops(jobs, env, "edf")
    assert fifo.summary["deadline_misses"] == 1
    assert edf.summary["deadline_misses"] == 0
    assert edf.jobs["deadline_met"].all()


def test_follow_the_sun_migrates_before_eclipse_and_finishes_sooner():
    # two satellites lit in alternate half-hours; little compute in eclipse
    n_t = 240
    t = np.arange(n_t) * 60.0
    lit0 = ((t // 1800) % 2 == 0).astype(float)
    sunlit = np.stack([lit0, 1 - lit0], axis=1)
    capacity = np.where(sunlit > 0, 1.0, 0.05)
    env = constant(2, n_t * 60, 60, peak_flops=PEAK, capacity=capacity, sunlit=sunlit,
                   isl_bps=np.full(2, 100e9))
    jobs = make_jobs(kind="batch", work_flop=7200 * PEAK, arrival=0.0, checkpoint_bytes=1e9)
    stay = run_ops(jobs, env, "energy-aware")
    move = run_ops(jobs, env, "follow-the-sun")
    assert move.jobs["migrations"][0] >= 3
    assert stay.jobs["migrations"][0] == 0
    assert move.jobs["end"][0] < 0.75 * stay.jobs["end"][0]
    assert move.jobs["bytes_moved"][0] == pytest.approx(1e9 * move.jobs["migrations"][0])


def test_data_local_runs_where_the_input_is():
    env = constant(3, 10_000, 60, peak_flops=PEAK, isl_bps=np.full(3, 1e9))
    jobs = make_jobs(kind="sensing", work_flop=10 * PEAK, arrival=0.0, input_bytes=1e9,
                     input_at="sat2")
    local = run_ops(jobs, env, "data-local")
    first = run_ops(jobs, env, "first-fit")
    assert local.jobs["satellites"][0] == "sat2"
    assert local.jobs["bytes_moved"][0] == 0
    assert first.jobs["satellites"][0] == "sat0"
    assert first.jobs["bytes_moved"][0] == 1e9
    # 8 Gbit over a 1 Gbit/s ISL before the 10 s of compute
    assert first.jobs["end"][0] == pytest.approx(18.0)


def test_user_policy_by_module_and_class():
    policy = load_policy("ops_user_policy:LastFree")
    assert isinstance(policy, Policy)
    env = constant(4, 1000, 60, peak_flops=PEAK)
    r = run_ops(make_jobs(kind="batch", work_flop=PEAK, arrival=0.0), env, policy)
    assert r.jobs["satellites"][0] == "sat3"


@pytest.mark.parametrize(("spec", "message"), [
    ("fastest", "unknown policy 'fastest'"),
    ("no_such_module_xyz:P", "cannot import 'no_such_module_xyz'"),
    ("ops_user_policy:Missing", "has no class 'Missing'"),
])
def test_bad_policy_names_say_what_is_wrong(spec, message):
    with pytest.raises(ScenarioError, match=message):
        load_policy(spec)


def test_a_policy_choosing_busy_satellites_is_an_error_not_ignored():
    class Greedy(Policy):
        def select(self, job, candidates, now, env):
            return np.array([0, 0])

    env = constant(2, 1000, 60, peak_flops=PEAK)
    with pytest.raises(RuntimeError, match="chose satellites"):
        run_ops(make_jobs(kind="batch", work_flop=PEAK, arrival=0.0), env, Greedy())


def test_higher_priority_goes_first_then_arrival():
    env = constant(1, 10_000, 60, peak_flops=PEAK)
    jobs = make_jobs(id=["a", "b", "c"], kind="batch", work_flop=10 * PEAK, arrival=0.0,
                     priority=[0, 5, 0])
    r = run_ops(jobs, env)
    order = [r.jobs["job"][k] for k in np.argsort(r.jobs["start"], kind="stable")]
    assert order == ["b", "a", "c"]
