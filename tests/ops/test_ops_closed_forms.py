"""Closed forms the engine must reproduce: work over throughput, eclipse duty cycles, N jobs on
M satellites, ring all-reduce step times, and Young/Daly's checkpoint interval."""

import math

import numpy as np
import pytest
from ops_invariants import run_ops

from orbitgrid.ops import Protection, make_jobs, ring_allreduce_s, young_daly_s
from orbitgrid.ops.timelines import FAULT_DTYPE, constant

PEAK = 1e15  # op/s
REL = 1e-9


def test_one_job_always_sunlit_takes_work_over_throughput():
    env = constant(1, 10_000, 60, peak_flops=PEAK)
    r = run_ops(make_jobs(kind="batch", work_flop=1234.5 * PEAK, arrival=100.0), env)
    assert r.jobs["state"][0] == "done"
    assert r.jobs["end"][0] == pytest.approx(100.0 + 1234.5, rel=REL)


def test_eclipse_duty_cycle_sets_the_makespan():
    # lit for the first 60 % of each 5,400 s orbit (steps of 60 s), no compute in eclipse
    period, lit, step = 5400.0, 0.6, 60.0
    t = np.arange(0, 10 * period, step)
    sunlit = ((t % period) < lit * period).astype(float)[:, None]
    env = constant(1, 10 * period, step, peak_flops=PEAK, capacity=sunlit, sunlit=sunlit)
    work_s = 2.5 * lit * period  # two and a half sunlit arcs
    r = run_ops(make_jobs(kind="batch", work_flop=work_s * PEAK, arrival=0.0), env)
    assert r.jobs["end"][0] == pytest.approx(2 * period + 0.5 * lit * period, rel=REL)


@pytest.mark.parametrize(("n_jobs", "n_sats"), [(10, 3), (12, 4), (1, 5)])
def test_n_equal_jobs_on_m_satellites(n_jobs, n_sats):
    env = constant(n_sats, 100_000, 60, peak_flops=PEAK)
    r = run_ops(make_jobs(kind="batch", work_flop=500 * PEAK, arrival=np.zeros(n_jobs)), env)
    assert r.jobs["end"].max() == pytest.approx(math.ceil(n_jobs / n_sats) * 500.0, rel=REL)
    assert r.summary["completed"] == n_jobs


def test_ring_allreduce_formula():
    assert ring_allreduce_s(1e9, 8, 100e9) == pytest.approx(2 * 7 / 8 * 8e9 / 100e9)
    assert ring_allreduce_s(1e9, 1, 100e9) == 0.0


@pytest.mark.parametrize(("k", "link_bps"), [(2, 100e9), (4, 100e9), (8, 100e9), (8, 10e9)])
def test_data_parallel_step_is_compute_plus_ring_allreduce(k, link_bps):
    params, tokens, batch = 1e9, 4e11, 4_194_304.0
    env = constant(8, 1e7, 600, peak_flops=PEAK, isl_bps=np.full(8, link_bps),
                   group=np.zeros(8, dtype=int))
    jobs = make_jobs(kind="training", work_flop=6 * params * tokens, arrival=0.0,
                     checkpoint_bytes=16 * params, min_satellites=k)
    r = run_ops(jobs, env, protection=Protection(tokens_per_step=batch))
    steps = tokens / batch
    step_s = 6 * params * batch / (k * PEAK) + 2 * (k - 1) / k * 2 * params * 8 / link_bps
    assert r.jobs["end"][0] == pytest.approx(steps * step_s, rel=1e-9)


def test_data_parallel_efficiency_averages_the_allreduce_over_the_steps():
    # the slowest member's ISL alternates 100 and 10 Gbit/s step by step: eta is the mean of
    # c / (c + a) over the steps (equal lengths), c the compute and a the all-reduce of a step
    params, tokens, batch, k = 1e9, 4e11, 4_194_304.0, 2
    isl = np.full((20_000, 8), 100e9)
    isl[1::2, 1] = 10e9
    env = constant(8, 1.2e7, 600, peak_flops=PEAK, isl_bps=isl, group=np.zeros(8, dtype=int))
    jobs = make_jobs(kind="training", work_flop=6 * params * tokens, arrival=0.0,
                     checkpoint_bytes=16 * params, min_satellites=k)
    r = run_ops(jobs, env, protection=Protection(tokens_per_step=batch))
    c = 6 * params * batch / (k * PEAK)
    eta = np.mean([c / (c + 2 * (k - 1) / k * 2 * params * 8 / link) for link in (100e9, 10e9)])
    assert r.jobs["satellites"][0] == "sat0,sat1"
    assert r.jobs["end"][0] == pytest.approx(6 * params * tokens / (k * PEAK * eta), rel=1e-9)


def test_scaling_shows_cluster_size_and_link_rate():
    def duration(k, link):
        env = constant(8, 1e7, 600, peak_flops=PEAK, isl_bps=np.full(8, link),
                       group=np.zeros(8, dtype=int))
        jobs = make_jobs(kind="training", work_flop=6e9 * 4e11, arrival=0.0,
                         checkpoint_bytes=16e9, min_satellites=k)
        return run_ops(jobs, env).jobs["end"][0]

    assert duration(8, 100e9) < duration(4, 100e9) < duration(2, 100e9)
    assert duration(8, 1e9) > duration(8, 100e9)


def test_young_daly_interval_formula():
    assert young_daly_s(10.0, 1000.0) == pytest.approx(math.sqrt(2 * 10 * 1000))


def _makespan(interval_s, faults, cost_s, work_s, mtbf_s):
    env = constant(1, 3 * work_s, 1000, peak_flops=PEAK, faults=faults,
                   seu_rate_s=np.array([1 / mtbf_s]))
    prot = Protection(checkpoint_interval_s=interval_s, checkpoint_write_bps=8e9)
    jobs = make_jobs(kind="batch", work_flop=work_s * PEAK, arrival=0.0,
                     checkpoint_bytes=cost_s * 1e9)  # 8e9 bit/s: cost_s seconds per checkpoint
    r = run_ops(jobs, env, protection=prot)
    assert r.jobs["state"][0] == "done"
    return r.jobs["end"][0] - work_s


def test_young_daly_minimises_lost_work_within_ten_percent_of_a_sweep():
    mtbf, cost, work = 2000.0, 20.0, 1e6
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.exponential(mtbf, int(3 * work / mtbf)))
    t = t[t < 3 * work]
    faults = np.zeros(len(t), FAULT_DTYPE)
    faults["time_s"], faults["kind"] = t, "seu"
    tau = young_daly_s(cost, mtbf)
    sweep = {x: _makespan(x, faults, cost, work, mtbf) for x in tau * np.geomspace(0.25, 4, 13)}
    best = min(sweep.values())
    assert _makespan(None, faults, cost, work, mtbf) <= 1.10 * best
    # and the sweep is not flat: far from the optimum costs clearly more
    assert max(sweep.values()) > 1.3 * best


def test_functional_interrupt_takes_the_satellite_down_and_restarts_the_job():
    faults = np.zeros(1, FAULT_DTYPE)
    faults[0] = (400.0, 0, "sefi")
    env = constant(1, 10_000, 60, peak_flops=PEAK, faults=faults)
    jobs = make_jobs(kind="batch", work_flop=1000 * PEAK, arrival=0.0)  # no checkpoints
    r = run_ops(jobs, env, protection=Protection(sefi_recovery_s=300.0))
    assert r.jobs["rollbacks"][0] == 1
    assert r.jobs["end"][0] == pytest.approx(400 + 300 + 1000)
    assert r.summary["work_lost_to_faults_flop"] == pytest.approx(400 * PEAK)


def test_triple_redundancy_masks_upsets_at_three_times_the_time():
    faults = np.zeros(1, FAULT_DTYPE)
    faults[0] = (100.0, 0, "seu")
    env = constant(1, 10_000, 60, peak_flops=PEAK, faults=faults)
    jobs = make_jobs(kind="batch", work_flop=1000 * PEAK, arrival=0.0)
    single = run_ops(jobs, env)
    triple = run_ops(jobs, env, protection=Protection(redundancy=3))
    assert single.jobs["rollbacks"][0] == 1 and single.jobs["end"][0] == pytest.approx(1100)
    assert triple.jobs["rollbacks"][0] == 0 and triple.jobs["end"][0] == pytest.approx(3000)
    assert triple.jobs["energy_j"][0] == pytest.approx(3 * 1000 * 1000.0)
