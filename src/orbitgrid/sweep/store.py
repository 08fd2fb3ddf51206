"""sweep.duckdb: one row per point, written only by the driver and committed as each finishes.

A killed sweep resumes from it (the points recorded are not run again); a sweep file or base
that changed since is refused by its fingerprint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orbitgrid.sweep.paths import get_path, is_number
from orbitgrid.sweep.spec import Range, Sweep, SweepError

SWEEP_DB = "sweep.duckdb"


@dataclass
class SweepStore:
    """The driver's side of sweep.duckdb: one row per point, committed as each finishes."""

    con: duckdb.DuckDBPyConnection
    sweep: Sweep
    rows: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, sweep: Sweep, resume: bool) -> SweepStore:
        exists = path.exists()
        if exists and not resume:
            raise SweepError(
                f"{path} exists: pass --resume to continue that sweep, or another --out"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        results = cls(con, sweep)
        if exists:
            try:
                stored = con.execute("select value from sweep where key = 'fingerprint'").fetchall()
            except duckdb.Error:
                stored = []
            if not stored or stored[0][0] != sweep.fingerprint():
                con.close()
                raise SweepError(
                    f"{path}: made by a different sweep file or base; use another --out"
                )
            for row in con.sql("select * from points").to_arrow_table().to_pylist():
                results.rows[row["point_id"]] = row
            return results
        columns = [
            "point_id INTEGER PRIMARY KEY",
            *(f"{_quote(p)} {_sql_type(v)}" for p, v in sweep.spec.parameters.items()),
            "status VARCHAR NOT NULL",
            "error VARCHAR",
            "attempts INTEGER NOT NULL",
            *(f"{_quote(o.key)} DOUBLE" for o in sweep.objectives),
            "seconds DOUBLE",
            "run_folder VARCHAR",
            "parameters VARCHAR NOT NULL",
            "summary VARCHAR",
        ]
        con.execute("begin")
        con.execute("create table sweep (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany(
            "insert into sweep values (?, ?)",
            [
                ["fingerprint", sweep.fingerprint()],
                ["file", str(sweep.path)],
                [
                    "objectives",
                    json.dumps([o.model_dump(exclude_none=True) for o in sweep.objectives]),
                ],
                ["parameters", json.dumps(list(sweep.spec.parameters))],
            ],
        )
        con.execute(f"create table points ({', '.join(columns)})")
        con.execute("commit")
        return results

    def record(self, point_id: int, params: dict, outcome: dict) -> dict:
        figures = outcome.get("summary") or {}
        row = {
            "point_id": point_id,
            **{p: _sql_value(params[p]) for p in self.sweep.spec.parameters},
            "status": outcome["status"],
            "error": outcome.get("error"),
            "attempts": outcome["attempts"],
            **{o.key: objective_value(figures, o.key) for o in self.sweep.objectives},
            "seconds": outcome.get("seconds"),
            "run_folder": outcome.get("run_folder"),
            "parameters": json.dumps(params, sort_keys=True),
            "summary": json.dumps(figures, sort_keys=True) if figures else None,
        }
        marks = ", ".join("?" * len(row))
        self.con.execute(f"insert or replace into points values ({marks})", list(row.values()))
        self.rows[point_id] = row
        return row

    def close(self) -> None:
        self.con.execute("checkpoint")
        self.con.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(values: list | Range) -> str:
    sample = list(values.range) if isinstance(values, Range) else values
    if all(isinstance(v, bool) for v in sample):
        return "BOOLEAN"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in sample):
        return "BIGINT"
    if all(is_number(v) for v in sample):
        return "DOUBLE"
    return "VARCHAR"


def _sql_value(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str) else json.dumps(value)


def objective_value(summary: dict, key: str) -> float | None:
    try:
        value = get_path(summary, key)
    except KeyError:
        return None
    return float(value) if is_number(value) else None


def read_points(db: str | Path) -> tuple[pa.Table, list[dict], list[str]]:
    """The points table of a sweep database, its objectives and its parameter names."""
    db = Path(db)
    if not db.is_file():
        raise SweepError(f"{db}: file not found")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            meta = dict(con.execute("select key, value from sweep").fetchall())
            table = con.sql("select * from points order by point_id").to_arrow_table()
    except duckdb.Error as exc:
        raise SweepError(f"{db}: not a sweep database ({str(exc).splitlines()[0]})") from None
    return table, json.loads(meta["objectives"]), json.loads(meta["parameters"])
