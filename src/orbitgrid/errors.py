"""The errors users see: a single line naming where the problem is and what it is."""


class OrbitgridError(Exception):
    """A request orbitgrid cannot meet, said in one line; the command prints it and exits 2."""


class ScenarioError(OrbitgridError, ValueError):
    """Bad input: a file, line or field path, and the reason, in one line."""
