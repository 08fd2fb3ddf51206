"""The closed loop in real runs: each policy's batteries and radiators carry the load its
schedule ran, step by step, whatever the blocks of the stream."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from orbitgrid import pipeline
from orbitgrid.catalog import load_catalog
from orbitgrid.physics.satellite import resolve_constellations
from orbitgrid.scenario import validate_scenario
from orbitgrid.simulation import simulate

N_SAT, HOURS = 4, 3
H100 = load_catalog().accelerators["h100"]
# one hour of one H100 at its dense bf16 peak
HOUR_FLOP = H100.peak_ops_per_s("bf16") * 3600


def _scenario(jobs_file: str) -> dict:
    return {
        "name": "loop",
        "epoch": "2026-06-21T00:00:00Z",
        "duration": f"{HOURS}h",
        "step": "60s",
        "seed": 3,
        "constellations": [{
            # a morning sun-synchronous plane of one-H100 satellites, eclipsed every orbit
            "name": "gpus",
            "sun_synchronous": {"satellites": N_SAT, "altitude_km": 500, "ltan": "10:30"},
            "satellite": {"bus": "starcloud-1"},
        }],
        "jobs_file": jobs_file,
    }


def _jobs_csv(path, rows) -> str:
    lines = ["id,kind,work_flop,arrival"] + [f"j{k},batch,{w!r},{a!r}"
                                             for k, (w, a) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


LIGHT = [(0.25 * HOUR_FLOP, 1800.0 * k) for k in range(6)]  # 1.5 h of work in 12 sat-hours
FULL = [(10 * HOUR_FLOP, 0.0) for _ in range(2 * N_SAT)]  # every satellite busy throughout


def _run(tmp_path, name, rows, **changes):
    tmp_path.mkdir(parents=True, exist_ok=True)
    sc = validate_scenario({**_scenario(_jobs_csv(tmp_path / f"{name}.csv", rows)), **changes})
    return simulate(sc, out=tmp_path / name, save=("power",))


@pytest.fixture(scope="module")
def light(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("light"), "light", LIGHT)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("full"), "full", FULL)


def _seconds(column) -> np.ndarray:
    return column.cast("int64").to_numpy() / 1e3


def _steps(run) -> dict[str, np.ndarray]:
    power = run.table("power")  # step after step, the satellites in order within each
    return {c: power.column(c).to_numpy().reshape(-1, N_SAT) for c in (
        "generated_w", "load_w", "compute_w", "compute_w_allowed", "battery_wh", "duration_s",
        "curtailed_wh", "unmet_wh", "loss_wh")}


def test_a_light_load_keeps_the_battery_fuller_and_draws_what_the_schedule_ran(light, full):
    lit, busy = _steps(light), _steps(full)
    assert lit["battery_wh"].mean() > busy["battery_wh"].mean() + 10.0
    assert lit["battery_wh"].min() > busy["battery_wh"].min()
    # fully loaded, the accelerators ran at what was allowed at every step (installed power,
    # or less when the battery fell to its reserve)
    np.testing.assert_allclose(busy["compute_w"][:-1], busy["compute_w_allowed"][:-1], rtol=1e-6)
    # lightly loaded: the mean compute draw is the schedule's, each job's satellite at the
    # installed power for as long as it held it (no data to stage, no throttling)
    schedule = light.table("schedule")
    held_s = (_seconds(schedule.column("end_time")) - _seconds(schedule.column("start_time"))).sum()
    assert held_s == pytest.approx(1.5 * 3600, rel=0.02)  # the jobs' work, at full power
    span_s = HOURS * 3600.0
    schedule_w = held_s * H100.power_w / (span_s * N_SAT)
    drawn_w = (lit["compute_w"] * lit["duration_s"]).sum() / (span_s * N_SAT)
    assert drawn_w == pytest.approx(schedule_w, rel=0.01)
    assert drawn_w < 0.2 * H100.power_w  # not the open loop's accelerators always on
    summary = light.summary["physics"]["constellations"][0]
    assert summary["mean_compute_w"] == pytest.approx(drawn_w, rel=1e-5)
    assert light.summary["ops"]["energy_per_job_j"] * len(LIGHT) == pytest.approx(
        drawn_w * span_s * N_SAT, rel=1e-5)


def test_energy_is_conserved_over_the_run(full):
    # generated = served load + losses + battery change + curtailed, satellite by satellite;
    # each term from power.parquet's per-step rows (Wh), the battery starting full
    s = _steps(full)
    sc = validate_scenario({k: v for k, v in _scenario("").items() if k != "jobs_file"})
    sat = resolve_constellations([c.satellite for c in sc.constellations], sc.catalog)[0]
    gen = (s["generated_w"] * s["duration_s"]).sum(axis=0) / 3600
    served = (s["load_w"] * s["duration_s"]).sum(axis=0) / 3600 - s["unmet_wh"].sum(axis=0)
    change = s["battery_wh"][-1] - sat.battery.capacity_j / 3600  # full at the start
    balance = gen - served - s["loss_wh"].sum(axis=0) - change - s["curtailed_wh"].sum(axis=0)
    # tolerance: float64 sums over 180 steps of kW x 60 s terms
    assert np.abs(balance).max() <= 1e-9 * gen.max()
    assert (s["loss_wh"].sum(axis=0) > 0).all() and (change < 0).any()
    assert full.summary["physics"]["constellations"][0]["energy_balance_error"] <= 1e-9


def test_the_same_tables_whatever_the_blocks(light, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "SAMPLE_BLOCK", N_SAT * 7)  # 7 steps a block
    monkeypatch.setattr(pipeline, "CHUNK_SAT_KNOTS", N_SAT * 20)  # 20 knots a chunk
    again = _run(tmp_path, "light", LIGHT)
    for name in ("power", "jobs", "schedule", "transfers", "radiation"):
        assert (again.path / f"{name}.parquet").read_bytes() == \
            (light.path / f"{name}.parquet").read_bytes(), name
    for key in ("physics", "ops"):
        assert again.summary[key] == light.summary[key], key


def test_each_policy_has_its_own_closed_loop(tmp_path, monkeypatch):
    rows = [(0.5 * HOUR_FLOP, 600.0 * k) for k in range(12)]
    run = _run(tmp_path, "two", rows, workload={"policy": "first-fit,follow-the-sun"})
    monkeypatch.setattr(pipeline, "SAMPLE_BLOCK", N_SAT * 11)  # 11 steps a block
    again = _run(tmp_path / "again", "two", rows, workload={"policy": "first-fit,follow-the-sun"})
    for name in ("power", "jobs", "schedule"):  # rows step by step, policy by policy
        assert (again.path / f"{name}.parquet").read_bytes() == \
            (run.path / f"{name}.parquet").read_bytes(), name
    power = run.table("power")
    assert power.column_names[0] == "policy"
    batteries, summaries = {}, run.summary["physics"]["policies"]
    assert [p["policy"] for p in summaries] == ["first-fit", "follow-the-sun"]
    jobs = run.table("jobs")
    for p in summaries:
        mine = power.filter(pc.equal(power.column("policy"), p["policy"]))
        assert mine.num_rows == HOURS * 60 * N_SAT + N_SAT
        drawn = mine.column("compute_w").to_numpy() * mine.column("duration_s").to_numpy()
        energy = jobs.filter(pc.equal(jobs.column("policy"), p["policy"])).column("energy_j")
        assert drawn.sum() == pytest.approx(energy.to_numpy().sum(), rel=1e-9)
        assert p["constellations"][0]["mean_compute_w"] == pytest.approx(
            drawn.sum() / (HOURS * 3600 * N_SAT), rel=1e-5)
        batteries[p["policy"]] = mine.column("battery_wh").to_numpy()
    # follow-the-sun keeps jobs off eclipsed satellites: another schedule, other batteries
    assert not np.array_equal(batteries["first-fit"], batteries["follow-the-sun"])
    assert run.summary["physics"]["constellations"] == summaries[0]["constellations"]


def test_a_live_clock_gives_what_a_batch_run_gives(tmp_path):
    """ClosedLoop driven as the live service drives it (blocks added ahead, advance_to at clock
    ticks that fall inside steps) gives run(block)'s numbers; a job submitted between ticks
    runs, and its energy is in its batteries' load."""
    from orbitgrid.ops.stage import ClosedLoop, OpsStage, protection_of
    from orbitgrid.physics.stage import PhysicsStage
    from orbitgrid.pipeline import RunContext, build_world, stream

    rows = [(0.3 * HOUR_FLOP, 900.0 * k) for k in range(8)]
    sc = validate_scenario({**_scenario(_jobs_csv(tmp_path / "jobs.csv", rows)),
                            "workload": {"policy": "first-fit,first-fit,first-fit"}})
    world = build_world(sc)
    context = RunContext(world, None)
    physics = PhysicsStage.create(context)
    ops = OpsStage.create(context, physics)
    blocks = [ops.block(b.samples, physics.block(b.samples), None)
              for b in stream(world, 0.0, sc.duration) if b.steps]
    payloads, prot = ops.payloads(), protection_of(ops.workload)
    loops = [ClosedLoop(track, payloads, ops.policies[0], prot, sc.seed, ops.jobs,
                        record_changes=k > 0) for k, track in enumerate(ops.tracks)]
    batch, live, late = loops
    for b in blocks:
        live.add(b)
        late.add(b)
    ticks = np.arange(0.0, sc.duration + 1.0, 137.0)  # inside steps (60 s), after the first
    seen = []
    for k, t in enumerate(ticks):
        seen += live.advance_to(min(float(t), live.horizon_s))
        late.advance_to(min(float(t), late.horizon_s))
        if k == 20:  # a job arrives through the API between two ticks
            late.engine.submit({"id": "late", "kind": "batch", "work_flop": 0.1 * HOUR_FLOP})
    seen += live.advance_to(live.horizon_s)
    late.advance_to(late.horizon_s)
    for b in blocks:
        batch.run(b)
    assert {c.job for c in seen} >= {f"j{k}" for k in range(len(rows))}
    status = late.engine.status("late")
    assert status.state.value == "done" and status.arrival_s == pytest.approx(ticks[20])
    results = [loop.close() for loop in loops]
    for col in ("job", "start", "end", "satellites", "energy_j"):
        np.testing.assert_array_equal(results[1].jobs[col], results[0].jobs[col], err_msg=col)
    tracks = ops.tracks
    for k in tracks[0].totals:
        np.testing.assert_array_equal(tracks[1].totals[k], tracks[0].totals[k], err_msg=k)
    np.testing.assert_array_equal(tracks[1].energy_j, tracks[0].energy_j)
    # the late job's energy is in its loop's compute load
    extra = results[2].jobs["energy_j"].sum() - results[0].jobs["energy_j"].sum()
    assert extra > 0.05 * HOUR_FLOP / H100.peak_ops_per_s("bf16") * H100.power_w
    assert tracks[2].totals["compute"].sum() - tracks[0].totals["compute"].sum() == \
        pytest.approx(extra, rel=1e-6)
