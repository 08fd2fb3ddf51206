"""Data movement through shared links: transfers on one link queue, known by construction."""

import numpy as np
import pytest
from ops_invariants import check_links, run_ops

from orbitgrid.ops import make_jobs
from orbitgrid.ops.timelines import constant

PEAK = 1e15


def test_two_inputs_from_one_satellite_share_its_terminal():
    # both inputs (8 Gbit each) sit on sat2; its 1 Gbit/s terminal sends one after the other
    env = constant(3, 10_000, 60, peak_flops=PEAK, isl_bps=np.full(3, 1e9))
    jobs = make_jobs(id=["a", "b"], kind="sensing", work_flop=10 * PEAK, arrival=0.0,
                     input_bytes=1e9, input_at="sat2", max_satellites=1)
    r = run_ops(jobs, env, "first-fit")
    assert r.jobs["satellites"].tolist() == ["sat0", "sat1"]
    assert r.jobs["end"].tolist() == pytest.approx([8.0 + 10.0, 16.0 + 10.0])
    t = r.transfers
    sent = t["link"] == "isl:sat2"
    assert t["start"][sent].tolist() == [0.0, 8.0]
    assert t["end"][sent].tolist() == [8.0, 16.0]
    assert t["bytes"].sum() == pytest.approx(4e9)  # each transfer held two terminals


def test_downlinks_through_one_contact_queue():
    # no ISLs: two results of 1 Gbit each leave through sat0's own 1 Gbit/s ground link
    ground = np.full((100, 1), 1e9)
    ground[:10] = 0.0  # out of contact for the first 600 s
    env = constant(1, 6000, 60, peak_flops=PEAK, ground_bps=ground)
    jobs = make_jobs(kind="batch", work_flop=[10 * PEAK, 20 * PEAK], arrival=0.0,
                     output_bytes=1.25e8)
    r = run_ops(jobs, env)
    assert r.jobs["end"].tolist() == pytest.approx([601.0, 602.0])
    assert set(r.transfers["link"]) == {"down:sat0"}


def test_an_upload_and_a_downlink_on_one_satellite_do_not_wait_for_each_other():
    # no ISLs, 1 Gbit/s in contact all along: a computes 10 s and sends 8 Gbit down from 10 s;
    # b, placed when a leaves at 10 s, uploads 8 Gbit at the same time on the separate uplink,
    # then computes 10 s: ends 18 and 28 s (one shared queue gave 18 and 36 s)
    env = constant(1, 6000, 60, peak_flops=PEAK, ground_bps=np.full((100, 1), 1e9))
    jobs = make_jobs(id=["a", "b"], kind="batch", work_flop=10 * PEAK, arrival=0.0,
                     input_bytes=[0.0, 1e9], input_at="Svalbard", output_bytes=[1e9, 0.0])
    r = run_ops(jobs, env)
    assert r.jobs["end"].tolist() == pytest.approx([18.0, 28.0])
    t = r.transfers
    assert t["link"].tolist() == ["down:sat0", "up:sat0"]
    assert t["job"].tolist() == ["a", "b"]
    assert t["start"].tolist() == pytest.approx([10.0, 10.0])
    assert t["end"].tolist() == pytest.approx([18.0, 18.0])


def test_a_ground_upload_waits_for_the_relay_then_crosses_the_isl():
    # sat1 has contact from 300 s at 2 Gbit/s, both satellites have 1 Gbit/s ISLs
    ground = np.zeros((100, 2))
    ground[5:, 1] = 2e9
    env = constant(2, 6000, 60, peak_flops=PEAK, ground_bps=ground, isl_bps=np.full(2, 1e9))
    jobs = make_jobs(kind="batch", work_flop=10 * PEAK, arrival=0.0, input_bytes=1e9,
                     input_at="Svalbard")
    r = run_ops(jobs, env)
    # 8 Gbit up in 4 s from 300 s, then 8 s over the ISL, then 10 s of compute
    assert r.jobs["end"][0] == pytest.approx(300.0 + 4.0 + 8.0 + 10.0)
    assert r.transfers["link"].tolist() == ["isl:sat0", "up:relay"]


def test_the_link_check_can_fail():
    env = constant(2, 600, 60, peak_flops=PEAK, isl_bps=np.full(2, 1e9))
    too_fast = {"link": np.array(["isl:sat0"], dtype=object), "job": np.array(["a"]),
                "start": np.array([0.0]), "end": np.array([1.0]), "bytes": np.array([1e9])}
    with pytest.raises(AssertionError):
        check_links(too_fast, env)
    overlap = {"link": np.array(["isl:sat1"] * 2, dtype=object), "job": np.array(["a", "b"]),
               "start": np.array([0.0, 4.0]), "end": np.array([8.0, 12.0]),
               "bytes": np.array([1e9, 1e9])}
    with pytest.raises(AssertionError, match="overlap"):
        check_links(overlap, env)


def test_jobs_go_only_where_their_data_can_reach():
    # sat0 has no ISL: an input on sat1 cannot reach it, a job on two satellites cannot use it
    isl = np.array([0.0, 1e9, 1e9])
    env = constant(3, 10_000, 60, peak_flops=PEAK, isl_bps=isl, group=np.zeros(3, dtype=int))
    jobs = make_jobs(id=["tile", "pair"], kind=["sensing", "training"], work_flop=10 * PEAK,
                     arrival=[0.0, 1.0], input_bytes=[1e9, 0.0], input_at=["sat1", ""],
                     min_satellites=[1, 2])
    r = run_ops(jobs, env, "first-fit")
    # the tile runs where its input is; the pair waits for two satellites with ISLs
    assert r.jobs["satellites"].tolist() == ["sat1", "sat1,sat2"]
    assert r.jobs["end"].tolist() == pytest.approx([10.0, 15.0])
    assert r.transfers["link"].size == 0


def test_an_isl_transfer_takes_the_time_the_piecewise_rate_gives():
    # 10 GB (80 Gbit) from sat1 to sat0 over 60 s steps, at the slower terminal of each step:
    # step 0: min(2, 1) Gbit/s for 60 s = 60 Gbit; step 1: the Earth blocks sat1 (0);
    # step 2: min(0.4, 0.5) Gbit/s, the last 20 Gbit in 50 s; arrives at 120 + 50 = 170 s
    isl = np.tile([2e9, 1e9], (100, 1))
    isl[1, 1] = 0.0
    isl[2] = [0.4e9, 0.5e9]
    env = constant(2, 6000, 60, peak_flops=PEAK, isl_bps=isl)
    jobs = make_jobs(kind="sensing", work_flop=10 * PEAK, arrival=0.0, input_bytes=1e10,
                     input_at="sat1", max_satellites=1)
    r = run_ops(jobs, env, "first-fit")
    assert r.jobs["satellites"].tolist() == ["sat0"]
    assert r.jobs["end"][0] == pytest.approx(170.0 + 10.0, abs=1e-9)
    assert r.transfers["link"].tolist() == ["isl:sat0", "isl:sat1"]
    assert r.transfers["end"].tolist() == pytest.approx([170.0, 170.0], abs=1e-9)


def test_a_downlink_waits_for_the_isl_to_the_relay_to_open():
    # sat0 computes while its ISL is blocked for the first 300 s; its 1 Gbit result crosses to
    # the relay when the link opens (1 s at 1 Gbit/s), then goes down through sat1 (0.5 s)
    isl = np.full((100, 2), 1e9)
    isl[:5, 0] = 0.0
    env = constant(2, 6000, 60, peak_flops=PEAK, isl_bps=isl,
                   ground_bps=np.tile([0.0, 2e9], (100, 1)))
    jobs = make_jobs(kind="batch", work_flop=10 * PEAK, arrival=0.0, output_bytes=1.25e8,
                     max_satellites=1)
    r = run_ops(jobs, env, "first-fit")
    assert r.jobs["satellites"].tolist() == ["sat0"]
    assert r.jobs["end"][0] == pytest.approx(300.0 + 1.0 + 0.5, abs=1e-9)


def test_the_link_check_uses_the_rate_of_each_step():
    # 1 Gbit/s in the first step, 0 in the second: 1 Gbit fits in [0, 1] s, not in [60, 61] s
    isl = np.full((10, 2), 1e9)
    isl[1] = 0.0
    env = constant(2, 600, 60, peak_flops=PEAK, isl_bps=isl)
    sent = {"link": np.array(["isl:sat0"], dtype=object), "job": np.array(["a"]),
            "start": np.array([0.0]), "end": np.array([1.0]), "bytes": np.array([1.25e8])}
    check_links(sent, env)
    with pytest.raises(AssertionError):
        check_links({**sent, "start": np.array([60.0]), "end": np.array([61.0])}, env)
