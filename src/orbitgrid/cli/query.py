"""`query`: DuckDB SQL over a run's tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.table import Table

from orbitgrid.cli.base import console, fail
from orbitgrid.results import Run


def query(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder.")],
    sql: Annotated[str, typer.Argument(help="DuckDB SQL; tables are named after their files.")],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Run SQL over a run's tables with DuckDB."""
    try:
        result = Run(run_dir).query(sql)
    except duckdb.Error as exc:
        fail(f"query: {str(exc).splitlines()[0]}")
    if csv:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result, sys.stdout.buffer)
        return
    table = Table(*result.column_names)
    for row in result.to_pylist():
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
