"""`route`: the round-trip time of one route over time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orbitgrid.cli.base import DURATION, SCENARIO, STEP, console, fail, load


def route(
    scenario: Annotated[str, SCENARIO],
    source: Annotated[str, typer.Option("--from", help="Station or satellite name.")],
    target: Annotated[str, typer.Option("--to", help="Station or satellite name.")],
    duration: Annotated[str | None, DURATION] = None,
    step: Annotated[str | None, STEP] = None,
    plot: Annotated[Path | None, typer.Option(help="Write RTT over time (.html or .png).")] = None,
    route_factor: Annotated[float, typer.Option(help="Fibre path / great circle.")] = 1.5,
) -> None:
    """RTT of one route over time: min/median/max, hops, path changes, latency split, fibre."""
    from orbitgrid.network.fibre import route_report
    from orbitgrid.report.route import ROUTE_PLOT_SUFFIXES, write_route_plot

    if plot is not None and plot.suffix.lower() not in ROUTE_PLOT_SUFFIXES:
        fail(f"--plot: {plot} must end in .html or .png")
    sc = load(scenario, duration, step)
    r = route_report(sc, source, target, route_factor)
    console.print(
        f"{source} -> {target}: {r['steps']} steps, reachable {100 * r['reachable_fraction']:.1f}%,"
        f" {r['path_changes']} path changes"
    )
    if "rtt_ms_min" in r:
        console.print(
            f"RTT ms: min {r['rtt_ms_min']:.2f}, median {r['rtt_ms_median']:.2f},"
            f" max {r['rtt_ms_max']:.2f}; hops {r['hops_min']}-{r['hops_max']}"
            f" (median {r['hops_median']:g})"
        )
        console.print(
            f"one-way ms (mean): up {r['up_ms']:.2f}, ISL hops {r['isl_ms']:.2f},"
            f" down {r['down_ms']:.2f}, processing {r['processing_ms']:.2f}"
        )
    if "fibre_rtt_ms" in r:
        console.print(
            f"terrestrial fibre: {r['great_circle_km']:.0f} km great circle x {route_factor:g}"
            f" at 2/3 c: RTT {r['fibre_rtt_ms']:.2f} ms"
        )
    if plot is not None:
        console.print(f"wrote {write_route_plot(r, plot)}")
