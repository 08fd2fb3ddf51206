"""`compare`: two runs or scenarios side by side, figures by section."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orbitgrid.cli.base import console, err, fail, load
from orbitgrid.cli.progress import simulate_shown
from orbitgrid.results import Run
from orbitgrid.scenario import Scenario, preset_names


def with_cost(summary: dict, sc: Scenario, where: str = "") -> dict:
    """A run's summary with the `cost` block of its scenario, when it has one."""
    from orbitgrid.compare import cost_figures

    try:
        cost = cost_figures(sc)
    except ValueError as exc:
        fail(f"{where}cost: {str(exc).splitlines()[0]}")
    return {**summary, "cost": cost} if cost else summary


def _compared(arg: str, which: str, duration: str | None, step: str | None) -> dict:
    """The summary of a run folder, or of a scenario run first; with its `cost` block."""
    path = Path(arg)
    if path.is_dir():
        try:
            run = Run(path)
        except FileNotFoundError:
            fail(f"{which}: {arg} is not a run folder (no summary.json)")
        sc = load(str(path / "scenario.yaml"))
    elif path.is_file() or arg in preset_names():
        sc = load(arg, duration, step)
        run = simulate_shown(sc)
        err.print(f"{which}: ran {sc.name} into {run.path}", highlight=False, soft_wrap=True)
    else:
        fail(f"{which}: {arg!r} is not a run folder, a scenario file or a preset "
             "(`orbitgrid scenarios` lists them)")
    return with_cost(run.summary, sc, f"{which}: ")


def compare(
    a: Annotated[str, typer.Argument(metavar="A", help="Run folder, scenario file or preset.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Run folder, scenario file or preset.")],
    duration: Annotated[
        str | None, typer.Option(help="Override the scenarios' duration, e.g. 2h.")
    ] = None,
    step: Annotated[
        str | None, typer.Option(help="Override the scenarios' step, e.g. 30s.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows for programs.")] = False,
) -> None:
    """Two runs or scenarios side by side: figures by section, with B/A or B - A."""
    import json

    from orbitgrid.compare import compare_summaries, format_change, format_value

    if (duration is not None or step is not None) and Path(a).is_dir() and Path(b).is_dir():
        fail(f"--{'duration' if duration is not None else 'step'}: A and B are run folders; "
             "it applies to scenarios only")
    sa, sb = _compared(a, "A", duration, step), _compared(b, "B", duration, step)
    rows = compare_summaries(sa, sb)
    if as_json:
        print(json.dumps({"a": a, "b": b, "rows": [r.as_dict() for r in rows]}, indent=2))
        return
    table = Table(title=f"A = {a}, B = {b}")
    table.add_column("metric", no_wrap=True)
    for name in ("A", "B", "B/A or B-A"):
        table.add_column(name, justify="right", overflow="fold")
    section = None
    for r in rows:
        if r.section != section:
            table.add_row(f"[bold]{r.section}[/]", end_section=False)
            section = r.section
        table.add_row(f"  {r.metric}", format_value(r.a, r.kind), format_value(r.b, r.kind),
                      format_change(r))
    console.print(table)


