"""Run folders: the resolved scenario, summary.json and one Parquet table per kind of record.

A run is written into a hidden sibling folder and renamed into place only when complete, so a
run that fails leaves nothing behind. DuckDB queries the tables in place, each by its name.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml


def utc_timestamps(epoch: np.datetime64, t_s) -> pa.Array:
    """Parquet UTC timestamps (ms) of epoch + t_s seconds; null where t_s is not finite."""
    t = np.asarray(t_s, dtype=float)
    ok = np.isfinite(t)
    ms = np.datetime64(epoch, "ms").astype(np.int64) + np.round(np.where(ok, t, 0.0) * 1e3)
    return pa.array(ms.astype(np.int64), mask=~ok).cast(pa.timestamp("ms", tz="UTC"))


class Run:
    """A finished run folder: its summary, resolved scenario and tables."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not (self.path / "summary.json").is_file():
            raise FileNotFoundError(f"{self.path}: not a run folder (no summary.json)")

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @cached_property
    def summary(self) -> dict:
        return json.loads((self.path / "summary.json").read_text())

    @cached_property
    def scenario(self) -> dict:
        return yaml.safe_load((self.path / "scenario.yaml").read_text())

    @property
    def tables(self) -> list[str]:
        """Names of the run's tables (its Parquet files without the suffix)."""
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    def table(self, name: str) -> pa.Table:
        """One table, read whole."""
        path = self.path / f"{name}.parquet"
        if not path.is_file():
            raise KeyError(f"{self.path}: no table {name!r} (tables: {', '.join(self.tables)})")
        return pq.read_table(path)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with a view per table, named as the table."""
        con = duckdb.connect()
        for name in self.tables:
            path = str(self.path / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{path}')")
        return con

    def query(self, sql: str) -> pa.Table:
        """The result of DuckDB SQL over the run's tables."""
        with self.connect() as con:
            relation = con.sql(sql)
            # duckdb 2 renamed fetch_arrow_table (now deprecated) to to_arrow_table
            fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
            return fetch()


class RunWriter:
    """Writes a run folder atomically: into a hidden sibling, renamed on success."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.exists():
            raise FileExistsError(f"{self.path}: already exists")
        self._tmp = self.path.parent / f".{self.path.name}.partial-{os.getpid()}"
        self._writers: dict[str, pq.ParquetWriter] = {}

    def __enter__(self) -> RunWriter:
        self._tmp.mkdir(parents=True)
        return self

    def append(self, name: str, table: pa.Table) -> None:
        """Stream a chunk of rows into table name."""
        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = pq.ParquetWriter(
                self._tmp / f"{name}.parquet", table.schema
            )
        writer.write_table(table)

    def write_table(self, name: str, table: pa.Table) -> None:
        """Write table name whole."""
        pq.write_table(table, self._tmp / f"{name}.parquet")

    @property
    def tables(self) -> list[str]:
        """Names of the tables written so far."""
        return sorted(p.stem for p in self._tmp.glob("*.parquet"))

    def write_json(self, name: str, data: dict) -> None:
        (self._tmp / name).write_text(json.dumps(data, indent=2) + "\n")

    def write_yaml(self, name: str, data: dict) -> None:
        (self._tmp / name).write_text(yaml.safe_dump(data, sort_keys=False))

    def __exit__(self, exc_type, exc, tb) -> None:
        for writer in self._writers.values():
            writer.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            shutil.rmtree(self._tmp, ignore_errors=True)
