"""Data movement through shared links: transfers on one link queue, known by construction."""

import numpy as np
import pytest
from ops_invariants import check_links, run_ops

from orbitgrid.ops import Protection, make_jobs
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


# A two-satellite ring at 2 Gbit/s whose all-reduce takes as long as its compute: 1e9
# parameters, 2 (k - 1) / k x 2 bytes x 8 = 16 Gbit sent per member per step (a = 8 s); batch
# chosen so that c = 6 N B / (k peak) = 8 s too: eta = 1/2, and the ring takes 16 Gbit per 16 s
# step, 1 Gbit/s, of each member's terminal, leaving 1 Gbit/s to transfers.
RING_PARAMS, RING_BPS = 1e9, 2e9
RING_BATCH = 8.0 * 2 * PEAK / (6 * RING_PARAMS)


def _ring_run(input_at: str, arrival: list[float]):
    env = constant(3, 10_000, 60, peak_flops=PEAK, isl_bps=np.full(3, RING_BPS),
                   group=np.zeros(3, dtype=int))
    jobs = make_jobs(id=["x", "train"], kind=["sensing", "training"],
                     work_flop=[10 * PEAK, 1000 * PEAK], arrival=arrival,
                     input_bytes=[1e9, 0.0], input_at=[input_at, ""],
                     checkpoint_bytes=[0.0, 16 * RING_PARAMS], min_satellites=[1, 2],
                     max_satellites=[1, 2])
    return run_ops(jobs, env, "first-fit", Protection(tokens_per_step=RING_BATCH))


def test_an_isl_transfer_beside_a_training_ring_gets_what_the_ring_leaves():
    # train takes sat0, sat1 at 0 s (1000 s at 2 x peak x eta = peak); x arrives at 1 s with
    # 8 Gbit on sat0 and runs on sat2: 8 s at the 1 Gbit/s sat0's terminal has left (4 s alone)
    r = _ring_run("sat0", [1.0, 0.0])
    assert r.jobs["job"].tolist() == ["train", "x"]  # in order of arrival
    assert r.jobs["satellites"].tolist() == ["sat0,sat1", "sat2"]
    assert r.jobs["end"].tolist() == pytest.approx([1000.0, 1.0 + 8.0 + 10.0])
    t = r.transfers
    ring = t["kind"] == "allreduce"
    assert t["link"][~ring].tolist() == ["isl:sat0", "isl:sat2"]
    assert t["end"][~ring].tolist() == pytest.approx([9.0, 9.0])
    # the ring on each member for the whole run of the job, cut where x's transfer begins/ends
    on0 = ring & (t["link"] == "isl:sat0")
    assert t["start"][on0].tolist() == pytest.approx([0.0, 1.0, 9.0])
    assert t["end"][on0].tolist() == pytest.approx([1.0, 9.0, 1000.0])
    assert t["bytes"][on0].sum() == pytest.approx(1000.0 * 1e9 / 8)
    on1 = ring & (t["link"] == "isl:sat1")
    assert t["bytes"][on1].tolist() == pytest.approx([1000.0 * 1e9 / 8])
    # every byte a job moved: train its all-reduce (1 Gbit/s on two terminals for 1000 s), x its
    # 8 Gbit input, once however many links it crossed
    assert r.jobs["bytes_moved"].tolist() == pytest.approx([2 * 1000.0 * 1e9 / 8, 1e9])


def test_a_training_ring_waits_for_a_transfer_queued_on_a_member_terminal():
    # x is placed first, on sat0, and pulls 8 Gbit from sat1 over [0, 4] s; train gets sat1 and
    # sat2 at 0 s, but its ring (and compute) starts when sat1's terminal is free, at 4 s
    r = _ring_run("sat1", [0.0, 0.0])
    assert r.jobs["job"].tolist() == ["x", "train"]
    assert r.jobs["satellites"].tolist() == ["sat0", "sat1,sat2"]
    assert r.jobs["end"].tolist() == pytest.approx([4.0 + 10.0, 4.0 + 1000.0])
    t = r.transfers
    ring = t["kind"] == "allreduce"
    assert t["start"][ring].tolist() == pytest.approx([4.0, 4.0])
    assert t["link"][ring].tolist() == ["isl:sat1", "isl:sat2"]
    # the 4 s of waiting count as waiting for links, on both members (and sat0 staged x's input)
    assert r.accounts["staging"].tolist() == pytest.approx([4.0, 4.0, 4.0])


def test_the_link_check_counts_the_all_reduce_beside_a_transfer():
    env = constant(2, 600, 60, peak_flops=PEAK, isl_bps=np.full(2, 1e9))
    rows = {"link": np.array(["isl:sat0"] * 4, dtype=object), "job": np.array(list("aabb")),
            "start": np.array([0.0, 10.0, 10.0, 20.0]), "end": np.array([10.0, 20.0, 20.0, 30.0]),
            "bytes": np.full(4, 0.5e9 * 10 / 8),
            "kind": np.array(["allreduce", "allreduce", "transfer", "allreduce"], dtype=object)}
    check_links(rows, env)  # half the terminal each over [10, 20] s
    more = {**rows, "bytes": rows["bytes"] * [1, 1, 1.2, 1]}
    with pytest.raises(AssertionError):
        check_links(more, env)
    uncut = {k: v[[0, 2, 3]] for k, v in rows.items()}
    uncut["end"] = np.array([15.0, 20.0, 30.0])
    with pytest.raises(AssertionError, match="not cut"):
        check_links(uncut, env)
