"""The one error users see: a single line naming where the problem is and what it is."""


class ScenarioError(ValueError):
    """Bad input: a file, line or field path, and the reason, in one line."""
