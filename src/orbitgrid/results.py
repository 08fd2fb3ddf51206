"""Run folders: the resolved scenario, summary.json and one Parquet table per kind of record.

A run is written into a hidden sibling folder, `.<name>.partial`, and renamed into place only
when complete, so a run that fails, is interrupted (Ctrl-C, SIGTERM, SIGHUP) or races another
for the same folder leaves nothing behind. Creating the partial folder reserves the name: a
second writer of the same run folder is refused at once. A partial folder whose process is gone
(SIGKILL, power loss) is removed by the next writer in the same parent folder, and is never
listed or opened as a run. DuckDB queries the tables in place, each by its name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from orbitgrid.errors import ScenarioError

# numpy, pyarrow, yaml and DuckDB are imported where they are used: the `orbitgrid` command
# imports this module for OPTIONAL_TABLES, and its --help must not wait for them.
if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pyarrow as pa

# Tables a run writes only when asked for (simulate's save=, `orbitgrid run --save`).
OPTIONAL_TABLES = ("ephemeris", "power", "links")
# Marks the hidden folder a run is written into: `.<run name>.partial` (older versions added
# `-<pid>`).
PARTIAL = ".partial"
# The folder in a partial folder for a run's temporary files (RunWriter.scratch).
SCRATCH = ".scratch"
# The file in a partial folder naming the process that writes it.
OWNER_FILE = ".owner"
# A partial folder without an owner file this old (s) was left by a writer killed at birth.
ORPHAN_AGE_S = 60.0
# Signals that, like Ctrl-C, stop a run and remove its partial folder; exit status 128 + number.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class RunFolderError(ScenarioError):
    """A run folder that is taken, being written by another run, or cannot be created."""


class RunInterrupted(SystemExit):
    """A run stopped by SIGTERM or SIGHUP; its partial folder is removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


def is_partial(path: str | Path) -> bool:
    """Whether path is the hidden folder of a run being written (or of one that was killed)."""
    name = Path(path).name
    return name.startswith(".") and PARTIAL in name


def run_folders(root: str | Path) -> list[Path]:
    """Finished run folders directly under root, newest first; partial folders never."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [
        p for p in root.iterdir()
        if not p.name.startswith(".") and (p / "summary.json").is_file()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

def utc_timestamps(epoch: np.datetime64, t_s) -> pa.Array:
    """Parquet UTC timestamps (ms) of epoch + t_s seconds; null where t_s is not finite."""
    import numpy as np
    import pyarrow as pa

    t = np.asarray(t_s, dtype=float)
    ok = np.isfinite(t)
    ms = np.datetime64(epoch, "ms").astype(np.int64) + np.round(np.where(ok, t, 0.0) * 1e3)
    # typed at once: a cast would load pyarrow.compute (~0.1-0.2 s) for nothing
    return pa.array(ms.astype(np.int64), type=pa.timestamp("ms", tz="UTC"), mask=~ok)


class Run:
    """A finished run folder: its summary, resolved scenario and tables."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if is_partial(self.path):
            raise FileNotFoundError(
                f"{self.path}: the partial folder of an unfinished run, not a run"
            )
        if not (self.path / "summary.json").is_file():
            raise FileNotFoundError(f"{self.path}: not a run folder (no summary.json)")

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @cached_property
    def summary(self) -> dict:
        return json.loads((self.path / "summary.json").read_text())

    @cached_property
    def scenario(self) -> dict:
        import yaml

        return yaml.safe_load((self.path / "scenario.yaml").read_text())

    @property
    def tables(self) -> list[str]:
        """Names of the run's tables (its Parquet files without the suffix)."""
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    def table(self, name: str) -> pa.Table:
        """One table, read whole."""
        import pyarrow.parquet as pq

        path = self.path / f"{name}.parquet"
        if not path.is_file():
            raise KeyError(f"{self.path}: no table {name!r} (tables: {', '.join(self.tables)})")
        return pq.read_table(path)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with a view per table, named as the table."""
        import duckdb

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
    """Writes a run folder atomically: into a hidden sibling, renamed on success.

    unique=True (default run folders) takes the next free name path-2, path-3, ... when path is
    taken; otherwise a taken path is a RunFolderError.
    """

    def __init__(self, path: str | Path, unique: bool = False):
        self.path = Path(path)
        self.unique = unique
        if self.path.exists() and not unique:
            raise RunFolderError(f"{self.path}: already exists; choose another --out")
        self._tmp = _partial_path(self.path)
        self._writers: dict = {}  # table name -> pyarrow.parquet.ParquetWriter
        self._handlers: dict[int, object] = {}

    def __enter__(self) -> RunWriter:
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale_partials(parent)
            self._reserve()
        except PermissionError:
            raise RunFolderError(
                f"{self.path}: cannot create the run folder: permission denied in "
                f"{_nearest_existing(parent)}"
            ) from None
        except OSError as exc:
            raise RunFolderError(
                f"{self.path}: cannot create the run folder: {exc.strerror or exc}"
            ) from None
        self._catch_stop_signals()
        return self

    def _reserve(self) -> None:
        """Create the partial folder, which claims the run folder's name for this process."""
        base, k = self.path, 1
        while True:
            candidate = base if k == 1 else base.with_name(f"{base.name}-{k}")
            tmp = _partial_path(candidate)
            if not candidate.exists():
                try:
                    tmp.mkdir()
                except FileExistsError:
                    if not self.unique:
                        owner = _owner(tmp) or {}
                        raise RunFolderError(
                            f"{candidate}: another run (pid {owner.get('pid', '?')}) is writing "
                            "it; choose another --out"
                        ) from None
                else:
                    # a writer that held the name may have renamed its run into place just now
                    if not candidate.exists():
                        (tmp / OWNER_FILE).write_text(json.dumps(_me()))
                        self.path, self._tmp = candidate, tmp
                        return
                    tmp.rmdir()
            if not self.unique:
                raise RunFolderError(f"{candidate}: already exists; choose another --out")
            k += 1

    def _catch_stop_signals(self) -> None:
        """Turn SIGTERM and SIGHUP into an exception, as Ctrl-C is, while the run is written."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in STOP_SIGNALS:
            self._handlers[signum] = signal.signal(signum, _raise_interrupted)

    def append(self, name: str, table: pa.Table) -> None:
        """Stream a chunk of rows into table name."""
        import pyarrow.parquet as pq

        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = pq.ParquetWriter(
                self._tmp / f"{name}.parquet", table.schema
            )
        writer.write_table(table)

    def write_table(self, name: str, table: pa.Table) -> None:
        """Write table name whole."""
        import pyarrow.parquet as pq

        pq.write_table(table, self._tmp / f"{name}.parquet")

    def scratch(self) -> Path:
        """A folder inside the partial run folder for temporary files (orbitgrid.spill),
        removed when the run ends, whether it succeeds or fails."""
        path = self._tmp / SCRATCH
        path.mkdir(exist_ok=True)
        return path

    @property
    def tables(self) -> list[str]:
        """Names of the tables written so far."""
        return sorted(p.stem for p in self._tmp.glob("*.parquet"))

    def write_json(self, name: str, data: dict) -> None:
        (self._tmp / name).write_text(json.dumps(data, indent=2) + "\n")

    def write_yaml(self, name: str, data: dict) -> None:
        import yaml

        (self._tmp / name).write_text(yaml.safe_dump(data, sort_keys=False))

    def __exit__(self, exc_type, exc, tb) -> None:
        for signum in self._handlers:  # a second signal must not cut the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        try:
            for writer in self._writers.values():
                writer.close()
            if exc_type is None:
                (self._tmp / OWNER_FILE).unlink(missing_ok=True)
                shutil.rmtree(self._tmp / SCRATCH, ignore_errors=True)
                try:
                    os.rename(self._tmp, self.path)
                except OSError:  # made by something other than a RunWriter meanwhile
                    raise RunFolderError(
                        f"{self.path}: already exists; choose another --out"
                    ) from None
        finally:
            if self._tmp.exists():
                shutil.rmtree(self._tmp, ignore_errors=True)
            for signum, handler in self._handlers.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
            self._handlers.clear()


def remove_stale_partials(parent: str | Path) -> list[Path]:
    """Remove the partial folders in parent whose writing process is gone; return them."""
    removed = []
    try:
        entries = [p for p in Path(parent).iterdir() if is_partial(p) and p.is_dir()]
    except OSError:
        return removed
    for path in entries:
        if not _writer_alive(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _partial_path(path: Path) -> Path:
    return path.parent / f".{path.name}{PARTIAL}"


def _raise_interrupted(signum, frame):
    raise RunInterrupted(signum)


def _me() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "start": _start_ticks(os.getpid())}


def _owner(path: Path) -> dict | None:
    try:
        return json.loads((path / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return None


def _writer_alive(path: Path) -> bool:
    """Whether the process writing partial folder path may still be running."""
    owner = _owner(path)
    if owner is None:
        legacy = path.name.rpartition(f"{PARTIAL}-")[2]  # `.<name>.partial-<pid>`
        if legacy.isdigit():
            owner = {"pid": int(legacy), "host": socket.gethostname(), "start": None}
        else:  # no owner yet: being created now, or its writer died at birth
            try:
                return time.time() - path.stat().st_mtime < ORPHAN_AGE_S
            except OSError:
                return False
    if owner.get("host") != socket.gethostname():
        return True  # another machine's process: cannot tell, leave it
    pid = int(owner["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    start = _start_ticks(pid)
    return owner.get("start") is None or start is None or start == owner["start"]


def _start_ticks(pid: int) -> int | None:
    """A process's start time in clock ticks after boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[19])


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
