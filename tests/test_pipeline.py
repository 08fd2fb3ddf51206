"""The pipeline: the world worked out once, the stream of time blocks (bounded, spans, endless),
the gone rule, typed hand-offs between stages, and progress in satellite-steps."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import orbitgrid.pipeline as pipeline
from orbitgrid.errors import ScenarioError
from orbitgrid.fleet import Fleet
from orbitgrid.orbits.trajectory import MAX_KNOT_STEP_S
from orbitgrid.physics.stage import PhysicsBlock, PhysicsStage
from orbitgrid.pipeline import Gone, RunContext, build_world, stream
from orbitgrid.scenario import load_scenario, validate_scenario
from orbitgrid.simulation import simulate

WALKER = {
    "name": "tiny",
    "epoch": "2026-05-13T00:00:00Z",
    "duration": "1h",
    "step": "60s",
    "constellations": [{
        "name": "w",
        "walker": {"satellites": 12, "planes": 3, "phasing": 1, "altitude_km": 550,
                   "inclination_deg": 53},
        "satellite": {"bus": "starcloud-1"},
    }],
    "ground_stations": [{"name": "Quito", "lat_deg": -0.18, "lon_deg": -78.47}],
}


def _blocks(world, *span):
    return [b for b in stream(world, *span) if b.steps]


def _states(blocks):
    t = np.concatenate([b.samples.t_s for b in blocks])
    r = np.concatenate([b.samples.r_eci for b in blocks])
    return t, r


def test_a_bounded_stream_covers_every_step_once_in_small_blocks(monkeypatch):
    monkeypatch.setattr(pipeline, "SAMPLE_BLOCK", 12 * 7)  # 7 steps a block
    monkeypatch.setattr(pipeline, "CHUNK_SAT_KNOTS", 12 * 11)  # 11 knots (20 min) a chunk
    world = build_world(validate_scenario(WALKER))
    blocks = list(stream(world, 0.0, 3600.0))
    t, _ = _states([b for b in blocks if b.steps])
    assert np.array_equal(t, np.arange(61) * 60.0)  # 0, 60, ..., 3600 s
    assert max(b.steps for b in blocks) == 7
    assert sum(b.opens_chunk for b in blocks) == 3  # 30 knot intervals, 10 a chunk
    assert blocks[-1].chunk.last and not blocks[0].chunk.last
    assert blocks[-1].done == blocks[-1].total == 12 * 61


def test_a_span_gives_the_numbers_of_the_whole_run():
    world = build_world(validate_scenario(WALKER))
    t_all, r_all = _states(_blocks(world, 0.0, 3600.0))
    t, r = _states(_blocks(world, 1260.0, 2400.0))
    inside = (t_all >= 1260.0) & (t_all <= 2400.0)
    assert np.array_equal(t, t_all[inside])
    assert np.array_equal(r, r_all[inside])


def test_an_endless_stream_goes_past_the_duration_on_the_same_grid():
    # 1 h is a whole number of 120 s knots: the endless grid is the run's
    world = build_world(validate_scenario(WALKER))
    t_run, r_run = _states(_blocks(world, 0.0, 3600.0))
    taken = list(itertools.islice((b for b in stream(world) if b.steps), 3))
    assert all(b.total is None for b in taken)
    t, r = _states(taken)
    assert t[-1] > 3600.0 * 10  # one chunk of 12 satellites holds ~23 days of knots
    common = t <= 3600.0 - 1e-9
    assert np.array_equal(t[common], t_run[:-1])
    assert np.array_equal(r[common], r_run[:-1])
    assert np.diff(t).max() == pytest.approx(60.0) and MAX_KNOT_STEP_S == 120.0


def test_a_satellite_is_gone_from_its_first_error_on(tmp_path):
    from tests.orbits.test_robustness import _scenario

    world = build_world(_scenario(tmp_path))
    doomed = world.fleet.names.index("DOOMED")
    blocks = _blocks(world, 0.0, world.scenario.duration)
    gone = blocks[-1].gone
    assert np.isfinite(gone.first_error_s[doomed]) and gone.code[doomed] != 0
    assert not np.isfinite(gone.first_error_s[1 - doomed])
    t, r = _states(blocks)
    after = t >= gone.first_error_s[doomed]
    assert after.any() and np.isnan(r[after, doomed]).all()
    assert np.isfinite(r[:, 1 - doomed]).all()
    exact = blocks[-1].exact_samples()  # exact states keep the rule too
    late = exact.t_s >= gone.first_error_s[doomed]
    assert late.any() and np.isnan(exact.r_eci[late, doomed]).all()
    assert np.isfinite(exact.r_eci[0, doomed]).all()  # (SGP4 may fail between the knots too)


def test_the_gone_record_keeps_the_first_error_even_when_sgp4_recovers():
    gone = Gone.none(2)
    t = np.array([0.0, 60.0, 120.0])
    gone.note(np.array([[0, 0], [6, 0], [0, 0]]), t)
    gone.note(np.array([[0, 1], [0, 0], [3, 0]]), t + 180.0)
    assert list(gone.first_error_s) == [60.0, 180.0]
    assert list(gone.code) == [6, 1]


def test_only_the_pipeline_propagates_the_fleet(monkeypatch, tmp_path):
    """Every SGP4 call of a run with physics, ISLs, routes, sensing and a workload comes from
    orbitgrid.pipeline (the stages read the stream and the world)."""
    import sys

    callers = set()
    propagate = Fleet.propagate

    def recording(self, epoch, t_s):
        callers.add(sys._getframe(1).f_globals["__name__"])
        return propagate(self, epoch, t_s)

    monkeypatch.setattr(Fleet, "propagate", recording)
    simulate(load_scenario("showcase", {"duration": "30min"}), out=tmp_path / "run",
             save=["ephemeris"])
    assert callers == {"orbitgrid.pipeline"}


def test_a_grid_that_does_not_fit_is_one_error_for_every_stage():
    bad = {**WALKER, "constellations": [{**WALKER["constellations"][0],
                                         "isl": {"topology": "plus-grid", "planes": 4,
                                                 "per_plane": 4}}]}
    with pytest.raises(ScenarioError, match=r"constellations\.0\.isl: planes x per_plane = 16"
                                            r" but w has 12 satellites"):
        build_world(validate_scenario(bad))


def test_physics_hands_on_a_typed_block_and_a_misspelt_name_is_an_error():
    world = build_world(validate_scenario(WALKER))
    stage = PhysicsStage.create(RunContext(world, None))
    block = _blocks(world, 0.0, 600.0)[0]
    handed = stage.block(block.samples)
    assert isinstance(handed, PhysicsBlock)
    assert handed.compute_w_allowed.shape == (block.steps, 12)
    assert np.all((handed.battery_soc >= 0) & (handed.battery_soc <= 1))
    with pytest.raises(AttributeError):
        handed.compute_w_alowed  # noqa: B018
    with pytest.raises(dataclasses.FrozenInstanceError):
        handed.battery_soc = None
    assert not hasattr(block.samples, "published")


def test_progress_is_reported_after_every_block_in_satellite_steps(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "SAMPLE_BLOCK", 12 * 10)  # 10 steps a block, 1 chunk
    calls = []
    simulate(validate_scenario(WALKER), out=tmp_path / "run",
             progress=lambda done, total: calls.append((done, total)))
    assert [c[0] for c in calls] == [120, 240, 360, 480, 600, 720, 732]
    assert {c[1] for c in calls} == {12 * 61}
