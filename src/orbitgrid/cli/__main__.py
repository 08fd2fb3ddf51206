"""`python -m orbitgrid.cli`: the same command as `orbitgrid`."""

from orbitgrid.cli import app

app()
