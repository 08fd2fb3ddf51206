"""`query`: DuckDB SQL over a run's tables, read-only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orbitgrid.cli.base import RUN_FOLDER, console, fail

if TYPE_CHECKING:
    import duckdb

    from orbitgrid.results import Run


def read_only(run: Run) -> duckdb.DuckDBPyConnection:
    """DuckDB over the run's tables, each named after its file, that can touch no file.

    The tables are Arrow datasets (read lazily, column by column, as a view would), so DuckDB
    itself needs no file access: it is switched off and the setting locked, which refuses
    COPY ... TO, EXPORT, ATTACH, INSTALL and reading any other file.
    """
    import duckdb
    import pyarrow.dataset as ds

    con = duckdb.connect()
    for name in run.tables:
        con.register(name, ds.dataset(run.path / f"{name}.parquet", format="parquet"))
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def query(
    run_dir: Annotated[Path, RUN_FOLDER],
    sql: Annotated[str, typer.Argument(help="DuckDB SQL; tables are named after their files.")],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Run SQL over a run's tables with DuckDB (read-only: it writes no file)."""
    import duckdb
    from rich.table import Table

    from orbitgrid.results import Run

    with read_only(Run(run_dir)) as con:
        try:
            relation = con.sql(sql)
            result = relation.to_arrow_table() if relation is not None else None
        except duckdb.PermissionException as exc:
            fail(f"query: the run is opened read-only, without access to files "
                 f"({str(exc).splitlines()[0]})")
        except duckdb.Error as exc:
            fail(f"query: {str(exc).splitlines()[0]}")
    if result is None:  # a statement without rows, e.g. CREATE TABLE in memory
        return
    if csv:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result, sys.stdout.buffer)
        return
    table = Table(*result.column_names)
    for row in result.to_pylist():
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
