"""A user's placement policy, loaded by module:Class in the tests: the last free satellite."""

from orbitgrid.ops import Policy


class LastFree(Policy):
    name = "last-free"

    def select(self, job, candidates, now, env):
        return candidates[-1:]
