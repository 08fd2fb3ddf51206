"""`verify`: every model against its published or independent reference."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def verify(
    only: Annotated[str | None, typer.Option(help="Only these cases, comma-separated.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows for programs.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the checks as an HTML page.")] = None,
) -> None:
    """Every model against its published or independent reference; exit 1 when one fails."""
    from orbitgrid.verify import run_verify

    raise typer.Exit(run_verify(only, as_json, report))
