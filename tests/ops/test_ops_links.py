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
    assert set(r.transfers["link"]) == {"ground:sat0"}


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
    assert r.transfers["link"].tolist() == ["isl:sat0", "ground:relay"]


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
