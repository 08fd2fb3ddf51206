"""`compare`: two runs or scenarios side by side, figures by section."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orbitgrid.cli.base import AS_JSON, DURATION, STEP, console, err, fail, load

if TYPE_CHECKING:
    from orbitgrid.scenario import Scenario


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
    from orbitgrid.cli.progress import simulate_shown
    from orbitgrid.results import Run
    from orbitgrid.scenario import preset_names

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
    duration: Annotated[str | None, DURATION] = None,
    step: Annotated[str | None, STEP] = None,
    as_json: Annotated[bool, AS_JSON] = False,
) -> None:
    """Two runs or scenarios side by side: figures by section, with B/A or B - A."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from orbitgrid.compare import compare_summaries, format_change

    if (duration is not None or step is not None) and Path(a).is_dir() and Path(b).is_dir():
        fail(f"--{'duration' if duration is not None else 'step'}: A and B are run folders; "
             "it applies to scenarios only")
    sa, sb = _compared(a, "A", duration, step), _compared(b, "B", duration, step)
    rows = compare_summaries(sa, sb)
    if as_json:
        print(json.dumps({"a": a, "b": b, "rows": [r.as_dict() for r in rows]}, indent=2))
        return
    table = Table(title=f"A = {a}, B = {b}", caption="fractions in %; B - A of a % in points; "
                  "each figure's key, unit and scope: docs/figures.md")
    table.add_column("figure")
    for name in ("A", "B", "B/A or B-A"):
        table.add_column(name, justify="right", overflow="fold")
    section = None
    for r in rows:
        if r.section != section:
            table.add_row(f"[bold]{r.section}[/]", end_section=False)
            section = r.section
        table.add_row(f"  {escape(r.label)}", r.shown(r.a), r.shown(r.b), format_change(r))
    console.print(table)


