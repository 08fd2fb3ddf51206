"""The live twin's closed loop (LiveEngine over Environment, in process): the batteries and
radiators follow the load the live OS runs."""

import numpy as np
import pytest
import yaml
from live_support import SCENARIO

from orbitgrid.live.engine import LiveEngine
from orbitgrid.live.environment import Environment
from orbitgrid.ops.stage import protection_of
from orbitgrid.scenario import validate_scenario

ORBIT_S = 6000.0  # five 1200 s chunks, over an orbit at 500 km (94.6 min): an eclipse too


SPEC = {"kind": "batch", "work_flop": 1e20, "precision": "bf16", "memory_bytes": 0.0,
        "input_bytes": 0.0, "output_bytes": 0.0, "priority": 0, "checkpoint_bytes": 0.0,
        "min_satellites": 1, "max_satellites": 1, "deadline": None}


def _twin(with_job: bool, small_jobs: int = 0):
    sc = validate_scenario(yaml.safe_load(SCENARIO))
    env = Environment(sc, 0.0, chunk_s=1200.0)
    live = LiveEngine(env.track, env.ops.policies[0], protection_of(sc.workload), sc.seed)
    if with_job:  # ~100,000 s of one H100 at bf16: it runs the whole orbit
        live.submit("big", SPEC, 0.0)
    for k in range(small_jobs):  # ~100 s each, one after another on the other satellites
        live.submit(f"small{k}", {**SPEC, "work_flop": 1e17}, 10.0 * k)
    while env.t <= ORBIT_S:
        chunk = env.next_chunk()
        live.extend(chunk.block, chunk.payloads)
    live.changes = []
    for t in np.arange(0.0, ORBIT_S, 137.0):  # clock ticks inside steps (60 s)
        live.changes += live.advance_to(float(t))
    live.changes += live.advance_to(ORBIT_S)
    env.close()
    return live, env


def test_the_batteries_and_radiators_carry_the_load_the_live_os_runs():
    idle, _ = _twin(False)
    busy, env = _twin(True)
    (sat,) = [k for k, name in enumerate(env.names) if busy.running_on().get(name) == ["big"]]
    e_idle, temp_idle = idle.battery_radiator()
    e_busy, temp_busy = busy.battery_radiator()
    others = np.arange(len(env.names)) != sat
    np.testing.assert_array_equal(e_busy[others], e_idle[others])
    np.testing.assert_array_equal(temp_busy[others], temp_idle[others])
    assert temp_busy[sat] > temp_idle[sat]
    assert e_busy[sat] <= e_idle[sat]
    # the compute energy physics marched is what the engine's job drew
    drawn = busy.engine.compute_drawn_j(busy.engine.now_s).sum()
    assert drawn > 0
    assert busy.track.totals["compute"].sum() == pytest.approx(drawn, rel=1e-9)
    assert idle.track.totals["compute"].sum() == 0.0


def test_the_live_engine_holds_only_the_jobs_not_finished():
    # a service runs without an end: the store keeps every result, the engine only what runs
    live, _ = _twin(True, small_jobs=30)
    done = {c.job for c in live.changes if c.state == "done"}
    assert done == {f"small{k}" for k in range(30)}
    assert set(live.engine.by_id) == {"big"}
    assert live.engine.sched == [] and live.engine.links.rows == []
    results = [c for c in live.changes if c.state == "done"]
    assert all(c.result["done_flop"] == 1e17 for c in results)
    # a running job cancelled is forgotten too, and the engine runs on past its stale events
    assert live.cancel("big").state == "cancelled"
    assert live.engine.by_id == {}
    live.submit("after", {**SPEC, "work_flop": 1e17}, ORBIT_S)
    later = live.advance_to(ORBIT_S + 600.0)  # within the environment added (five chunks)
    assert [c.state for c in later if c.job == "after"][-1] == "done"
    assert set(live.engine.by_id) == set()
