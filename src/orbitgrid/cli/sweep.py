"""`sweep` and `sweep-report`: trade studies on Ray, and their plots."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from orbitgrid.cli.base import console, fail
from orbitgrid.cli.progress import Shown


def sweep(
    sweep_file: Annotated[Path, typer.Argument(metavar="SWEEP.yaml", help="Sweep file.")],
    out: Annotated[
        Path | None, typer.Option(help="Sweep folder (default sweeps/<sweep file name>).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Address of an existing Ray cluster (default: start one).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Points run at once (default: every core).")
    ] = None,
    retries: Annotated[int, typer.Option(min=0, help="Tries again for a failed point.")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue the sweep in --out.")] = False,
    keep: Annotated[str, typer.Option(help="Run folders to keep: all or none.")] = "all",
) -> None:
    """Run every point of a sweep on Ray into sweep.duckdb, one row per point."""
    from orbitgrid.sweep import KEEP, load_sweep, run_sweep

    if keep not in KEEP:
        fail(f"--keep: {keep!r} is not one of {', '.join(KEEP)}")
    spec = load_sweep(sweep_file)
    out = out or Path("sweeps") / sweep_file.stem
    started = time.perf_counter()
    with Shown(f"sweeping {sweep_file.name}", "points") as shown:
        db = run_sweep(
            spec,
            out,
            address=address,
            workers=workers,
            retries=retries,
            resume=resume,
            keep=keep,
            progress=shown,
        )
    with duckdb.connect(str(db), read_only=True) as con:
        done, failed = con.execute(
            "select count(*) filter (status = 'done'), count(*) filter (status = 'failed') "
            "from points"
        ).fetchone()
    console.print(
        f"wrote {db}: {done} points done, {failed} failed, "
        f"in {time.perf_counter() - started:.1f} s",
        soft_wrap=True,
    )


def sweep_report(
    db: Annotated[Path, typer.Argument(metavar="sweep.duckdb", help="A sweep's database.")],
    out: Annotated[
        Path | None, typer.Option(help="HTML file (default sweep-report.html beside the database).")
    ] = None,
) -> None:
    """Plot a sweep: objectives against parameters, and the Pareto front (HTML)."""
    from orbitgrid.sweep import write_sweep_report

    path = write_sweep_report(db, out)
    console.print(f"wrote {path}", soft_wrap=True)

