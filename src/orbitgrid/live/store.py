"""Durable state of the live service: jobs, their state changes and the event log in SQLite.

WAL mode, one writer connection behind a lock; every accepted job and every state change is
committed before the API answers or the event is published, so after a crash (kill -9) every
job that got a 201 is in the database exactly once. synchronous=NORMAL: a commit survives the
process being killed (the WAL is in the OS cache); FULL would also survive power loss.

Group commit: submissions queue for one writer thread, which commits all those waiting in one
transaction and then answers each, so each is still committed before its answer but a burst of
them costs one commit, not one each. A submission from an event loop (submit_async) is answered
on that loop: one call_soon_threadsafe per commit answers all of the batch's, not one
cross-thread wake-up per job.

Tables:
  jobs(seq, id, tenant, idem_key, spec JSON, state, submitted_s, submitted_wall, start_s, end_s,
       satellites, result JSON, checkpoint_flop): one row per accepted job; (tenant, idem_key)
       is unique; checkpoint_flop: its work kept by its last checkpoint (what a restart resumes
       it from).
  events(id, twin_s, wall, type, tenant, job, satellite, data JSON): the log the WebSocket
       replays from (ids increase); job events carry their tenant, satellite events none.
  meta(key, value): the twin time the service had reached (resume point), the scenario name.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import orjson

STATES = ("queued", "staging", "running", "paused", "done", "failed", "cancelled")
FINAL = frozenset({"done", "failed", "cancelled"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    idem_key TEXT,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_s REAL NOT NULL,
    submitted_wall REAL NOT NULL,
    start_s REAL,
    end_s REAL,
    satellites TEXT NOT NULL DEFAULT '',
    result TEXT,
    checkpoint_flop REAL NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs(tenant, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs(tenant, seq);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    twin_s REAL NOT NULL,
    wall REAL NOT NULL,
    type TEXT NOT NULL,
    tenant TEXT,
    job TEXT,
    satellite TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_job ON events(job, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class JobRecord:
    """One job as stored: spec is the submitted body (the jobs_file columns)."""

    seq: int
    id: str
    tenant: str
    idem_key: str | None
    spec: dict
    state: str
    submitted_s: float
    submitted_wall: float
    start_s: float | None
    end_s: float | None
    satellites: str
    result: dict | None
    checkpoint_flop: float = 0.0


@dataclass(frozen=True)
class Change:
    """A job's state change (from the engine, or a cancel): twin time, new state, and what the
    job record learns (start/end twin times, satellites, result figures when final)."""

    job: str
    state: str
    twin_s: float
    start_s: float | None = None
    end_s: float | None = None
    satellites: str | None = None
    result: dict | None = None
    data: dict | None = None  # more for the event (a resumed job: resumed_flop)


@dataclass(frozen=True)
class SatelliteEvent:
    """An environment event: eclipse_in/out, contact_start/end, upset, interrupt."""

    type: str
    twin_s: float
    satellite: str


@dataclass
class _Submission:
    """A job waiting for the group commit; done gets (its record, created): a concurrent
    Future, or an asyncio one of loop (answered on it). accepted: told the new record once
    committed, before the answer (in the writer thread)."""

    tenant: str
    spec: dict
    twin_s: float
    idem_key: str | None
    wall: float
    accepted: Callable[[JobRecord], None] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    done: Future | asyncio.Future = field(default_factory=Future)


class Store:
    """The service's SQLite database in DIR/live.sqlite (see the module docstring)."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "live.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self._readers = threading.local()
        self.db = self._connect()
        self.db.executescript(SCHEMA)
        # in-memory counts per (tenant, state), kept with every commit (quotas, health, metrics)
        self.counts: Counter = Counter()
        for tenant, state, n in self.db.execute(
                "SELECT tenant, state, COUNT(*) FROM jobs GROUP BY tenant, state"):
            self.counts[tenant, state] = n
        # the unfinished jobs' (state, tenant), kept with every commit: a state change needs
        # no read of the database (memory: the jobs waiting or running, not the finished)
        marks = ",".join("?" * len(FINAL))
        self.unfinished_state: dict[str, tuple[str, str]] = {
            job: (state, tenant) for job, state, tenant in self.db.execute(
                f"SELECT id, state, tenant FROM jobs WHERE state NOT IN ({marks})",
                tuple(FINAL))}
        self.submissions = 0
        self.last_event = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        self.next_seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0] + 1
        self._waiting: list[_Submission] = []
        self._wake = threading.Condition()
        self._closing = False
        self._writer = threading.Thread(target=self._write_loop, daemon=True,
                                        name="orbitgrid-live-store")
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                             timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def reader(self) -> sqlite3.Connection:
        """This thread's own read connection (WAL: readers never block the writer)."""
        db = getattr(self._readers, "db", None)
        if db is None:
            db = self._readers.db = self._connect()
        return db

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._writer.join(timeout=10)
        self.db.close()

    # --- meta --------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, **values: str) -> None:
        with self.lock:
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(k, str(v)) for k, v in values.items()])

    # --- jobs --------------------------------------------------------------------------------

    def submit(self, tenant: str, spec: dict, twin_s: float,
               idem_key: str | None = None) -> tuple[JobRecord, bool]:
        """Accept a job: (its record, True) once committed with its queued event; a known
        idempotency key gives (the first job, False) and no second job."""
        return self.submit_later(tenant, spec, twin_s, idem_key).result()

    def submit_later(self, tenant: str, spec: dict, twin_s: float,
                     idem_key: str | None = None,
                     accepted: Callable[[JobRecord], None] | None = None) -> Future:
        """submit, answered by a Future that gets (record, created) once committed (or the
        error that stopped the commit); accepted(record): a new job, told before the answer."""
        job = _Submission(tenant, spec, twin_s, idem_key, time.time(), accepted)
        self._queue(job)
        return job.done

    def submit_async(self, tenant: str, spec: dict, twin_s: float,
                     idem_key: str | None = None,
                     accepted: Callable[[JobRecord], None] | None = None) -> asyncio.Future:
        """submit_later, answered on the running event loop (an asyncio Future to await)."""
        loop = asyncio.get_running_loop()
        job = _Submission(tenant, spec, twin_s, idem_key, time.time(), accepted, loop,
                          loop.create_future())
        self._queue(job)
        return job.done

    def _queue(self, job: _Submission) -> None:
        with self._wake:
            if self._closing:
                raise RuntimeError("the store is closed")
            self._waiting.append(job)
            self._wake.notify()

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                while not self._waiting and not self._closing:
                    self._wake.wait()
                batch, self._waiting = self._waiting, []
            if not batch:
                return  # closing, nothing left
            try:
                answers = self._commit(batch)
            except BaseException as exc:  # the whole transaction was rolled back
                _answer(batch, [exc] * len(batch))
                continue
            for job, (record, created) in zip(batch, answers, strict=True):
                if created and job.accepted is not None:
                    job.accepted(record)
            _answer(batch, answers)

    def _commit(self, batch: list[_Submission]) -> list[tuple[JobRecord, bool]]:
        """Insert the batch's new jobs and their queued events in one transaction."""
        answers: list[tuple[JobRecord, bool]] = []
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                seq = self.next_seq
                made: dict[tuple[str, str], JobRecord] = {}  # idempotency keys in this batch
                jobs, events = [], []
                for b in batch:
                    key = (b.tenant, b.idem_key)
                    if b.idem_key is not None:
                        old = made.get(key)
                        if old is None:
                            row = self.db.execute(
                                "SELECT * FROM jobs WHERE tenant = ? AND idem_key = ?",
                                key).fetchone()
                            old = None if row is None else _job(row)
                        if old is not None:
                            answers.append((old, False))
                            continue
                    job_id = f"j{seq}"
                    jobs.append((seq, job_id, b.tenant, b.idem_key, json.dumps(b.spec), b.twin_s,
                                 b.wall))
                    events.append((b.twin_s, b.wall, b.tenant, job_id))
                    record = JobRecord(seq, job_id, b.tenant, b.idem_key, b.spec, "queued",
                                       b.twin_s, b.wall, None, None, "", None)
                    if b.idem_key is not None:
                        made[key] = record
                    answers.append((record, True))
                    seq += 1
                self.db.executemany(
                    "INSERT INTO jobs (seq, id, tenant, idem_key, spec, state, submitted_s, "
                    "submitted_wall) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)", jobs)
                self.db.executemany(
                    "INSERT INTO events (twin_s, wall, type, tenant, job, data) "
                    "VALUES (?, ?, 'job', ?, ?, '{\"state\": \"queued\"}')", events)
                last = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.next_seq, self.last_event = seq, last
            for record, created in answers:
                if created:
                    self.counts[record.tenant, "queued"] += 1
                    self.unfinished_state[record.id] = ("queued", record.tenant)
                    self.submissions += 1
        return answers

    def get(self, job_id: str, tenant: str | None = None,
            db: sqlite3.Connection | None = None) -> JobRecord | None:
        """The job, None when unknown or (tenant given) another tenant's."""
        row = (db or self.reader()).execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or (tenant is not None and row[2] != tenant):
            return None
        return _job(row)

    def list(self, tenant: str, state: str | None = None, after: str | None = None,
             limit: int = 100, db: sqlite3.Connection | None = None) -> list[JobRecord]:
        """The tenant's jobs oldest first, after the job id `after` (exclusive)."""
        sql, args = "SELECT * FROM jobs WHERE tenant = ?", [tenant]
        if state is not None:
            sql += " AND state = ?"
            args.append(state)
        if after is not None:
            sql += " AND seq > COALESCE((SELECT seq FROM jobs WHERE id = ?), 0)"
            args.append(after)
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return [_job(r) for r in (db or self.reader()).execute(sql, args)]

    def unfinished(self) -> list[JobRecord]:
        """Every job not yet done, failed or cancelled, oldest first (to feed the engine)."""
        marks = ",".join("?" * len(FINAL))
        return [_job(r) for r in self.db.execute(
            f"SELECT * FROM jobs WHERE state NOT IN ({marks}) ORDER BY seq", tuple(FINAL))]

    def history(self, job_id: str, db: sqlite3.Connection | None = None) -> list[dict]:
        rows = (db or self.reader()).execute(
            "SELECT id, twin_s, wall, data FROM events WHERE job = ? ORDER BY id", (job_id,))
        return [{"event": i, "twin_s": t, "wall_time": w, **json.loads(d)} for i, t, w, d in rows]

    def record(self, changes: list[Change], events: list[SatelliteEvent], reached_s: float,
               checkpoints: dict[str, float] | None = None) -> int:
        """Commit state changes, satellite events and jobs' checkpointed work (FLOP) in one
        transaction (with the twin time reached); a change to a finished job is ignored.
        Returns the last event id."""
        if not changes and not events and not checkpoints:
            self.set_meta(reached_s=repr(reached_s))
            return self.last_event
        wall = time.time()
        updates, job_events, moves = [], [], []
        unfinished = self.unfinished_state
        seen: dict[str, tuple[str, str]] = {}  # this batch's new states
        for c in changes:
            job, state = c.job, c.state
            old = seen.get(job) or unfinished.get(job)
            if old is None or old[0] in FINAL or (old[0] == state and not c.data):
                continue  # unknown, finished, or no change (queued, then arrived)
            tenant = old[1]
            updates.append((state, c.start_s, c.end_s, c.satellites,
                            None if c.result is None else _text(c.result), job))
            if c.data or c.satellites:
                data = {"state": state, **(c.data or {})}
                if c.satellites:
                    data["satellites"] = c.satellites
                text = _text(data)
            else:
                text = _STATE_ONLY.get(state) or _text({"state": state})
            job_events.append((c.twin_s, wall, tenant, job, text))
            moves.append((job, tenant, old[0], state))
            seen[job] = (state, tenant)
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("UPDATE jobs SET checkpoint_flop = ? WHERE id = ?",
                                    [(f, job) for job, f in (checkpoints or {}).items()])
                self.db.executemany(
                    "UPDATE jobs SET state = ?, start_s = COALESCE(start_s, ?), "
                    "end_s = COALESCE(?, end_s), satellites = COALESCE(?, satellites), "
                    "result = COALESCE(?, result) WHERE id = ?", updates)
                self.db.executemany(
                    "INSERT INTO events (twin_s, wall, type, tenant, job, data) "
                    "VALUES (?, ?, 'job', ?, ?, ?)", job_events)
                self.db.executemany(
                    "INSERT INTO events (twin_s, wall, type, satellite) VALUES (?, ?, ?, ?)",
                    [(e.twin_s, wall, e.type, e.satellite) for e in events])
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('reached_s', ?)",
                                (repr(reached_s),))
                last = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.last_event = last
            for job, tenant, before, after in moves:
                self.counts[tenant, before] -= 1
                self.counts[tenant, after] += 1
                if after in FINAL:
                    self.unfinished_state.pop(job, None)
                else:
                    self.unfinished_state[job] = (after, tenant)
        return self.last_event

    def events(self, after: int, tenant: str | None, limit: int = 500,
               db: sqlite3.Connection | None = None) -> list[dict]:
        """Events with id > after: satellite events and (tenant given) that tenant's job
        events; tenant None: every event."""
        sql = "SELECT id, twin_s, wall, type, job, satellite, data FROM events WHERE id > ?"
        args: list = [after]
        if tenant is not None:
            sql += " AND (tenant IS NULL OR tenant = ?)"
            args.append(tenant)
        sql += " ORDER BY id LIMIT ?"
        args.append(limit)
        out = []
        for i, t, w, kind, job, sat, data in (db or self.reader()).execute(sql, args):
            e = {"id": i, "twin_s": t, "wall_time": w, "type": kind}
            if job is not None:
                e["job"] = job
            if sat is not None:
                e["satellite"] = sat
            e.update(json.loads(data))
            out.append(e)
        return out

    def state_counts(self, tenant: str | None = None) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for (t, state), n in self.counts.items():
            if tenant is None or t == tenant:
                out[state] = out.get(state, 0) + n
        return out


def _text(data: dict) -> str:
    """A JSON text of the engine's figures: orjson, a tenth of json.dumps' time on the tick
    (what orjson cannot write, such as a NaN or an int past 64 bits, as json.dumps writes
    it)."""
    try:
        text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    except TypeError:
        return json.dumps(data)
    return json.dumps(data) if "null" in text else text  # NaN: orjson writes null


_STATE_ONLY = {s: _text({"state": s}) for s in STATES}


def _answer(batch: list[_Submission], answers: list) -> None:
    """Answer each submission (an exception: its error): the concurrent Futures here, each
    event loop's in one call on it."""
    on_loops: dict[asyncio.AbstractEventLoop, list] = {}
    for job, answer in zip(batch, answers, strict=True):
        if job.loop is not None:
            on_loops.setdefault(job.loop, []).append((job.done, answer))
        elif isinstance(answer, BaseException):
            job.done.set_exception(answer)
        else:
            job.done.set_result(answer)
    for loop, pairs in on_loops.items():
        try:
            loop.call_soon_threadsafe(_settle, pairs)
        except RuntimeError:  # the loop has closed: nobody waits for these answers
            pass


def _settle(pairs: list[tuple[asyncio.Future, object]]) -> None:
    for done, answer in pairs:
        if done.done():  # the request went away (cancelled)
            continue
        if isinstance(answer, BaseException):
            done.set_exception(answer)
        else:
            done.set_result(answer)


def _job(row) -> JobRecord:
    return JobRecord(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7],
                     row[8], row[9], row[10], None if row[11] is None else json.loads(row[11]),
                     row[12])
