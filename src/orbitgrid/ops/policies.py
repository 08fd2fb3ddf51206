"""Placement policies: which queued job runs next and on which satellites.

A policy is a small class with up to four hooks; subclass Policy and override what you need:

    class Coolest(Policy):
        name = "coolest"
        def select(self, job, candidates, now, env):
            return candidates[:1]          # any ndarray of satellite indices, or None to wait

    workload: {policy: "mypackage.mymodule:Coolest"}

Hooks (the engine calls them; `env` is the run's Timelines, `job` an ops.job_state.Job):
  key(job)                         queue order, smallest first (default: higher priority
                                   first, then arrival: FIFO)
  eligible(free, now, env)         the free satellites where work may start now
  select(job, candidates, now, env) satellites for the job (min..max of them) or None to wait
  migrate_on_eclipse(job, now, env) True: checkpoint and move the job when its satellite enters
                                   eclipse (and a sunlit one is free)
  ranking(now, env)                every satellite eligible at now's step in eligible's order,
                                   or None (the default for an eligible of your own): see
                                   Policy.ranking
"""

from __future__ import annotations

import importlib

import numpy as np

from orbitgrid.errors import ScenarioError


class Policy:
    """First-fit by priority then arrival, on any free satellite that has compute power now."""

    name = "first-fit"

    def key(self, job) -> tuple:
        return (-job.priority, job.arrival, job.index)

    def eligible(self, free: np.ndarray, now: float, env) -> np.ndarray:
        k = env.step_at(now)
        return free[env.capacity[k, free] > 0]

    def select(self, job, candidates: np.ndarray, now: float, env) -> np.ndarray | None:
        return take(job, candidates, env)

    def ranking(self, now: float, env) -> np.ndarray | None:
        """eligible over the whole fleet, when eligible(free, now, env) is always this ranking
        cut to free and reads now through its step alone (the engine then works it out once
        a step, not once a scheduling pass); None: eligible is asked on every pass."""
        if type(self).eligible not in RANKED:
            return None
        return self.eligible(np.arange(env.n), now, env)

    def migrate_on_eclipse(self, job, now: float, env) -> bool:
        return False


def take(job, candidates: np.ndarray, env) -> np.ndarray | None:
    """The first min..max candidates, all in one cluster (env.group) when more than one."""
    need, most = job.min_satellites, job.max_satellites
    if len(candidates) < need:
        return None
    if most == 1:
        return candidates[:1]
    if env.group is None:
        return candidates[:most]
    groups = env.group[candidates]
    for g in dict.fromkeys(groups.tolist()):
        members = candidates[groups == g]
        if len(members) >= need:
            return members[:most]
    return None


FirstFit = Policy


class EnergyAware(Policy):
    """Sunlit satellites first, then those with the most battery; never an eclipsed empty one."""

    name = "energy-aware"
    battery_margin = 0.3  # state of charge above the floor needed to start in eclipse

    def eligible(self, free, now, env):
        k = env.step_at(now)
        lit = env.sunlit[k, free] >= 0.5
        charge = env.battery[k, free] if env.battery is not None else np.ones(len(free))
        ok = (env.capacity[k, free] > 0) & (lit | (charge >= self.battery_margin))
        free, lit, charge = free[ok], lit[ok], charge[ok]
        return free[np.lexsort((free, -charge, ~lit))]


class FollowTheSun(EnergyAware):
    """Energy-aware placement; checkpoint and migrate over ISLs before eclipse."""

    name = "follow-the-sun"

    def migrate_on_eclipse(self, job, now, env):
        return True


class EDF(Policy):
    """Earliest deadline first (jobs without a deadline last, in arrival order)."""

    name = "edf"

    def key(self, job):
        return (job.deadline, job.arrival, job.index)


class DataLocal(Policy):
    """Run where the input is: its satellite if free, else one in the same cluster, else any."""

    name = "data-local"

    def select(self, job, candidates, now, env):
        home = job.home
        if home >= 0 and job.max_satellites == 1:
            if home in candidates:
                return np.array([home])
            if env.group is not None:
                near = candidates[env.group[candidates] == env.group[home]]
                if len(near):
                    return near[:1]
        return take(job, candidates, env)


# the eligible hooks that rank each satellite by its own figures at now's step (ties by index),
# so that a subset of the fleet comes out in the fleet's order (Policy.ranking)
RANKED = frozenset({Policy.eligible, EnergyAware.eligible})

BUILT_IN: dict[str, type[Policy]] = {
    "first-fit": Policy,
    "energy-aware": EnergyAware,
    "follow-the-sun": FollowTheSun,
    "edf": EDF,
    "data-local": DataLocal,
}


def load_policy(spec: str | Policy | type, where: str = "workload.policy") -> Policy:
    """A policy from a built-in name, 'module:Class', a class or an instance."""
    if isinstance(spec, Policy):
        return spec
    if isinstance(spec, type):
        return spec()
    if spec in BUILT_IN:
        return BUILT_IN[spec]()
    if ":" not in spec:
        raise ScenarioError(
            f"{where}: unknown policy {spec!r} (built in: {', '.join(BUILT_IN)}; "
            "or give module:Class)"
        )
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScenarioError(f"{where}: cannot import {module_name!r} ({exc})") from None
    cls = getattr(module, attr, None)
    if not isinstance(cls, type):
        raise ScenarioError(f"{where}: {module_name!r} has no class {attr!r}")
    policy = cls()
    missing = [h for h in ("key", "eligible", "select", "migrate_on_eclipse")
               if not callable(getattr(policy, h, None))]
    if missing:
        raise ScenarioError(f"{where}: {spec} lacks {', '.join(missing)} (subclass Policy)")
    return policy
