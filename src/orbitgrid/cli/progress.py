"""Progress on stderr while a run or a sweep works: it moves, in a terminal and in a log.

simulate calls progress(done, total) after every block of samples, in satellite-steps; a sweep
calls it as each point finishes, with the points failed so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from orbitgrid.cli.base import err

if TYPE_CHECKING:
    from orbitgrid.results import Run
    from orbitgrid.scenario import Scenario


class Shown:
    """progress(done, total[, failed]) shown on a console: on a terminal, a bar with the amount
    done, the rate and the time left; otherwise (a log, a pipe) one line each time the work
    passes a further tenth, so that a log shows it moving. Use it as a context manager."""

    def __init__(self, label: str, unit: str, console: Console | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.label, self.unit, self.clock = label, unit, clock
        self.console = console or err.rich
        self.bar: Progress | None = None
        self.tenths = 0  # tenths of the work already reported by a line
        self.started = clock()

    def __enter__(self) -> Shown:
        self.started = self.clock()
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                _Amount(self.unit), _Rate(self.unit), TimeElapsedColumn(), TimeRemainingColumn(),
                console=self.console, transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=None, failed=None)
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, done: int, total: int, failed: int | None = None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total, failed=failed)
            return
        tenths = min(10, done * 10 // total) if total > 0 else 10
        if tenths > self.tenths:
            self.tenths = tenths
            self.console.print(self.line(done, total, failed), highlight=False, markup=False,
                               soft_wrap=True)

    def line(self, done: int, total: int, failed: int | None = None) -> str:
        """'simulating x: 40% (400/1,000 sat-steps, 50 sat-steps/s, 12 s left)'."""
        elapsed = self.clock() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = [f"{done:,}/{total:,} {self.unit}"]
        if failed is not None:
            parts.append(f"{failed:,} failed")
        if rate > 0:
            parts.append(f"{_number(rate)} {self.unit}/s")
            parts.append(f"{_duration(max(total - done, 0) / rate)} left")
        percent = 100 * done / total if total > 0 else 100.0
        return f"{self.label}: {percent:.0f}% ({', '.join(parts)})"


class _Amount(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        failed = task.fields.get("failed")
        tail = f", {failed:,} failed" if failed is not None else ""
        return Text(f"{task.completed:,.0f}/{task.total:,.0f} {self.unit}{tail}")


class _Rate(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        return Text(f"{_number(task.speed)} {self.unit}/s" if task.speed else "")


def _number(x: float) -> str:
    """A rate to three significant figures, with thousands separators: 0.25, 12.5, 48,200."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _duration(seconds: float) -> str:
    """12 s, 4 min 05 s, 2 h 03 min."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def simulate_shown(sc: Scenario, out: Path | None = None, save=()) -> Run:
    """simulate() with its progress in satellite-steps shown on stderr."""
    from orbitgrid.simulation import simulate

    if kernels_cold():
        err.print("compiling kernels (once per install)...", highlight=False)
    with Shown(f"simulating {sc.name}", "sat-steps") as shown:
        return simulate(sc, out=out, save=save, progress=shown)


def kernels_cold() -> bool:
    """Whether numba's on-disk cache lacks the compiled kernel that every run uses (the
    eclipse search), as after a fresh install: the first run then compiles the kernels it
    needs (seconds), later runs load them. Reads one file's existence; False when numba keeps
    no cache file for it."""
    from orbitgrid.orbits.event_kernels import shadow_edges

    cache_file = getattr(getattr(shadow_edges, "_cache", None), "_cache_file", None)
    index = getattr(cache_file, "_index_path", None)
    return index is not None and not Path(index).exists()
