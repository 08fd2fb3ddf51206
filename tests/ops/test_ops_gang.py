import numpy as np
import pytest
from ops_invariants import run_ops

from orbitgrid.ops import make_jobs
from orbitgrid.ops.timelines import constant

PEAK = 1e15


def test_a_job_on_two_satellites_is_not_starved_by_a_stream_of_single_ones():
    # two satellites; single jobs of 100 s arrive every 50 s. s0 (t = 0) takes one; the job on
    # both arrives at 10 s and holds the other, so the singles behind it wait; it starts when s0
    # ends (100 s) and ends 50 s later. Without the hold each freed satellite would go to the
    # next single job and the pair would wait for the end of the stream.
    singles = np.arange(0.0, 2000.0, 50.0)
    arrival = np.concatenate([singles, [10.0]])
    need = np.concatenate([np.ones(len(singles), int), [2]])
    env = constant(2, 20_000, 60, peak_flops=PEAK, isl_bps=np.full(2, 100e9),
                   group=np.zeros(2, dtype=int))
    jobs = make_jobs(kind="batch", work_flop=100 * PEAK, arrival=arrival, min_satellites=need,
                     id=[f"s{i}" for i in range(len(singles))] + ["pair"])
    r = run_ops(jobs, env)
    pair = list(r.jobs["job"]).index("pair")
    assert r.jobs["state"][pair] == "done"
    assert r.jobs["start"][pair] == pytest.approx(100.0)
    assert r.jobs["end"][pair] == pytest.approx(150.0)  # 100 s of work on two satellites


def test_no_hold_for_a_job_no_cluster_can_ever_hold():
    # a job on 3 satellites where clusters have 2: it never fits, and holding would only idle
    # satellites, so the single jobs run as if it were not there
    env = constant(4, 20_000, 60, peak_flops=PEAK, isl_bps=np.full(4, 100e9),
                   group=np.array([0, 0, 1, 1]))
    jobs = make_jobs(kind="batch", work_flop=100 * PEAK, arrival=[0.0, 0.0, 5.0, 10.0],
                     min_satellites=[1, 1, 3, 1], id=["a", "b", "triple", "c"])
    r = run_ops(jobs, env)
    c = list(r.jobs["job"]).index("c")
    assert r.jobs["start"][c] == pytest.approx(10.0)
    assert r.jobs["state"][list(r.jobs["job"]).index("triple")] == "unfinished"
