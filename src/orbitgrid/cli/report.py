"""`report`, `export` and `serve`: a run as an HTML page, as CZML and OEM, on the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orbitgrid.cli.base import RUN_FOLDER, console, fail
from orbitgrid.results import Run


def report(
    run_dir: Annotated[Path, RUN_FOLDER],
    out: Annotated[Path | None, typer.Option(help="HTML file (default RUN/report.html).")] = None,
    satellite: Annotated[
        list[str], typer.Option(help="Satellite to plot power for (repeat; default one each).")
    ] = [],  # noqa: B006
) -> None:
    """Write a run's HTML report: one file that opens offline."""
    from orbitgrid.report import write_report

    try:
        path = write_report(Run(run_dir), out, satellite or None)
    except KeyError as exc:
        fail(f"--satellite: {exc.args[0]}")
    console.print(f"wrote {path}")


def export(
    run_dir: Annotated[Path, RUN_FOLDER],
    czml: Annotated[Path | None, typer.Option(help="Write CZML for CesiumJS here.")] = None,
    oem: Annotated[
        Path | None, typer.Option(help="Write CCSDS OEM files (one per satellite) here.")
    ] = None,
    step: Annotated[str | None, typer.Option(help="Time step of the positions, e.g. 5min.")] = None,
    max_satellites: Annotated[
        int | None, typer.Option(help="CZML: show an even sample of this many satellites.")
    ] = None,
) -> None:
    """Export a run's trajectories: CZML (--czml) and/or CCSDS OEM (--oem)."""
    from orbitgrid.report import run_tracks, write_czml, write_oem
    from orbitgrid.scenario import parse_duration

    if czml is None and oem is None:
        fail("export: say --czml FILE and/or --oem DIR")
    result = Run(run_dir)
    try:
        step_s = parse_duration(step) if step is not None else None
    except ValueError as exc:
        fail(f"--step: {exc}")
    if czml is not None:
        tracks = run_tracks(result, step_s=step_s, max_satellites=max_satellites)
        write_czml(result, czml, tracks)
        console.print(f"wrote {czml} ({tracks.decimation.describe()}, from {tracks.source})")
    if oem is not None:
        paths = write_oem(result, oem, step_s=step_s)
        console.print(f"wrote {len(paths)} OEM files to {oem}")


def serve(
    runs: Annotated[Path, typer.Option(help="Folder of run folders.")] = Path("runs"),
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the dashboard: runs, plots and a 3D globe, all offline."""
    import uvicorn

    from orbitgrid.web import create_app

    console.print(f"orbitgrid dashboard on http://{host}:{port} (runs in {runs})")
    uvicorn.run(create_app(runs), host=host, port=port, log_level="warning")


