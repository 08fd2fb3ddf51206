"""A user's placement policy, loaded by module:Class in the tests: the last free satellites."""

from orbitgrid.ops import Policy
from orbitgrid.ops.policies import take


class LastFree(Policy):
    name = "last-free"

    def select(self, job, candidates, now, env):
        return take(job, candidates[::-1], env)
