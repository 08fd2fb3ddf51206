"""Routes' RTT series over a scenario's span, in memory: the network stage fed by the pipeline's
stream, without a run folder (`orbitgrid route`, the benchmarks)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from orbitgrid.network.stage import NetworkStage, RouteSeries
from orbitgrid.pipeline import RunContext, build_world, stream

if TYPE_CHECKING:
    from orbitgrid.scenario import Route, Scenario

__all__ = ["route_series"]


def route_series(
    scenario: Scenario,
    routes: list[Route] | None = None,
    where: str = "routes.{k}.",
    exact: bool = False,
    workers: int = 1,
) -> RouteSeries:
    """Routes' RTT series over the scenario's span, in memory, without a run folder.

    Positions come from SGP4 knots every 120 s with cubic Hermite interpolation between them, as
    in `orbitgrid run` (exact=True: SGP4 at every step instead). Interpolation errs by at most
    ~8 m on the Starlink catalogue (orbits/trajectory.py): 27 ns of light time per link end,
    far below what separates competing paths. Routes default to the scenario's. Steps are
    independent, so workers > 1 splits the span over that many processes: same series.
    """
    n_steps = len(build_world(scenario).steps_s) if workers > 1 else 0
    if workers <= 1 or n_steps < 2 * workers:
        return _route_span(scenario, routes, where, exact, 0, None)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = np.linspace(0, n_steps, workers + 1).astype(int).tolist()
    spawn = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        futures = [
            pool.submit(_route_span, scenario, routes, where, exact, a, b)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        parts = [f.result() for f in futures]
    first = parts[0]
    return RouteSeries(
        first.names,
        np.concatenate([p.t_s for p in parts]),
        *(np.concatenate([getattr(p, name) for p in parts], axis=1)
          for name in RouteSeries.STEP_FIELDS),
        np.sum([p.path_changes for p in parts], axis=0),
    )


def _route_span(scenario, routes, where: str, exact: bool, start: int,
                stop: int | None) -> RouteSeries:
    """route_series over steps [start, stop) (stop None: to the end), as a whole run gives them.

    The step before start is routed too, for the path change at start, then dropped; the
    random draws of the steps before are skipped (NetworkStage.skip).
    """
    world = build_world(scenario)
    stage = NetworkStage(RunContext(world, None), routes, where)
    steps = world.steps_s
    first = max(start - 1, 0)
    stage.skip(first)
    last = len(steps) - 1 if stop is None else stop - 1
    for block in stream(world, steps[first], steps[last]):
        if block.steps:
            stage.block(block.exact_samples() if exact else block.samples)
    series = stage.route_series()
    if first == start:
        return series
    return replace(series, t_s=series.t_s[1:],
                   **{name: getattr(series, name)[:, 1:] for name in RouteSeries.STEP_FIELDS})
