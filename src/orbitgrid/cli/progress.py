"""Progress shown on stderr while a run or a sweep works."""

from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from orbitgrid.cli.base import err
from orbitgrid.results import Run
from orbitgrid.scenario import Scenario
from orbitgrid.simulation import simulate


def simulate_shown(sc: Scenario, out: Path | None = None, save=()) -> Run:
    """simulate() behind a progress bar on stderr (when it is a terminal)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=None)
        return simulate(
            sc,
            out=out,
            save=save,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def sweep_bar() -> Progress:
    """A bar of a sweep's points, finished and failed (shown when stderr is a terminal)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} points, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)
