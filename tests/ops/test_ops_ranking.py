"""A scheduling pass cuts the policy's ranking of the step to the free satellites
(Policy.ranking, Engine.free_ranked) instead of asking eligible over the free ones: the same
candidates in the same order, hence the same tables, as eligible asked on every pass."""

import numpy as np
import pytest
from ops_invariants import run_ops
from test_ops_online import assert_same_tables, rows
from test_ops_timelines_grow import block

from orbitgrid.ops import Policy, load_policy, make_jobs
from orbitgrid.ops.engine import CUT_CHANGES, Engine
from orbitgrid.ops.policies import EnergyAware
from orbitgrid.ops.timelines import FAULT_DTYPE, constant

PEAK = 1e15


@pytest.mark.parametrize("name", ["first-fit", "energy-aware", "follow-the-sun", "edf",
                                  "data-local"])
def test_a_built_in_ranking_cut_to_the_free_satellites_is_what_eligible_gives(name):
    # every free set, order included (ties in the battery and sunlight figures: three values
    # each)
    rng = np.random.default_rng(3)
    n, steps = 300, 4
    env = constant(n, steps * 60, 60, peak_flops=PEAK,
                   capacity=rng.choice([0.0, 0.5, 1.0], (steps, n)),
                   sunlit=rng.choice([0.0, 0.5, 1.0], (steps, n)),
                   battery=rng.choice([0.1, 0.3, 0.9], (steps, n)))
    policy = load_policy(name)
    for now in (0.0, 59.9, 60.0, 150.0, 239.0):
        ranked = policy.ranking(now, env)
        for _ in range(20):
            free = np.flatnonzero(rng.random(n) < rng.random())
            cut = ranked[np.isin(ranked, free)]
            assert cut.tolist() == policy.eligible(free, now, env).tolist(), (now, len(free))


def test_an_eligible_of_ones_own_is_asked_on_every_pass():
    # its own eligible (the odd satellites) has no ranking, so the engine asks it on each
    # pass (one per arrival) rather than ranking the fleet by capacity (sat0, sat1, sat2)
    class Odd(Policy):
        calls = 0

        def eligible(self, free, now, env):
            Odd.calls += 1
            return free[free % 2 == 1]

    policy = Odd()
    assert policy.ranking(0.0, constant(4, 600, 60)) is None
    env = constant(8, 600, 60, peak_flops=PEAK)
    r = run_ops(make_jobs(kind="batch", work_flop=1000 * PEAK, arrival=[0.0, 1.0, 2.0]), env,
                policy)
    assert r.schedule["satellite"].tolist() == ["sat1", "sat3", "sat5"]
    assert Odd.calls == 3


class AskedFirstFit(Policy):
    """First-fit's rule written out here, without a ranking: asked on every pass."""

    def eligible(self, free, now, env):
        k = env.step_at(now)
        return np.array([s for s in free.tolist() if env.capacity[k, s] > 0], dtype=np.int64)


class AskedEnergyAware(EnergyAware):
    """Energy-aware's rule written out here (sunlit first, then the most charge, then the
    index), without a ranking."""

    name = "energy-aware"

    def eligible(self, free, now, env):
        k = env.step_at(now)
        ok = [s for s in free.tolist() if env.capacity[k, s] > 0
              and (env.sunlit[k, s] >= 0.5 or env.battery[k, s] >= self.battery_margin)]
        ok.sort(key=lambda s: (env.sunlit[k, s] < 0.5, -env.battery[k, s], s))
        return np.array(ok, dtype=np.int64)


def churning_world():
    """40 satellites in 4 clusters for 2 h, steps of 60 s: capacity, sunlight and charge that
    change every step (some satellites with none), and a functional interrupt every 90 s."""
    rng = np.random.default_rng(11)
    n, steps = 40, 120
    faults = np.zeros(80, FAULT_DTYPE)
    faults["time_s"] = np.arange(80) * 90.0 + 7.0
    faults["satellite"] = rng.integers(0, n, 80)
    faults["kind"] = "sefi"
    return constant(n, steps * 60.0, 60.0, peak_flops=PEAK,
                    capacity=rng.choice([0.0, 0.4, 1.0], (steps, n), p=[0.2, 0.3, 0.5]),
                    sunlit=rng.choice([0.0, 1.0], (steps, n)),
                    battery=rng.choice([0.1, 0.5, 0.9], (steps, n)),
                    isl_bps=np.full(n, 1e9), group=np.arange(n) // 10, faults=faults)


def churning_jobs():
    """Short jobs arriving one by one (a few satellites freed or taken between two passes)
    and in bursts (more than CUT_CHANGES at once), a few on three satellites."""
    rng = np.random.default_rng(12)
    one = np.sort(rng.uniform(0, 7000, 400))
    burst = np.repeat([1200.0, 3000.0, 5000.0], 2 * CUT_CHANGES)
    arrival = np.sort(np.r_[one, burst])
    m = len(arrival)
    return make_jobs(id=[f"j{i}" for i in range(m)], kind="batch",
                     work_flop=rng.uniform(5, 200, m) * PEAK, arrival=arrival,
                     priority=rng.integers(0, 3, m),
                     min_satellites=np.where(np.arange(m) % 17 == 0, 3, 1))


@pytest.mark.parametrize(("built_in", "asked"), [("first-fit", AskedFirstFit()),
                                                 ("energy-aware", AskedEnergyAware())])
def test_the_cut_ranking_gives_the_tables_of_eligible_asked_each_pass(built_in, asked):
    # the engine extended step by step, as the closed loop drives it (a new window each step)
    env, jobs = churning_world(), churning_jobs()
    results = []
    for policy in (built_in, asked):
        engine = Engine(block(env, 0, 1), policy, seed=5, open_ended=True, record_changes=False)
        for row in rows(jobs):
            engine.add(row)
        for k in range(1, len(env.t_s) - 1):
            engine.advance_to(float(env.t_s[k]))
            engine.extend(block(env, k, k + 1))
        results.append(engine.close())
    ran, asked_each = results
    assert ran.summary["completed"] >= 300  # a busy run: most jobs run, many on a changed fleet
    assert_same_tables(ran, asked_each, names=("jobs", "schedule", "accounts"))
