"""The live service's HTTP API: FastAPI under /v1 (OpenAPI at /v1/openapi.json), the event
stream at WebSocket /v1/events, Prometheus text at /metrics.

Every answer about a job comes from the store (committed state); a submission is committed
before its 201. Tenants see only their own jobs (another's id: 404). Bad input: 422 naming the
field; no key or an unknown one: 401; over quota: 429 with Retry-After.

POST /v1/jobs takes JSON (the job) or multipart/form-data (the job as the field `job`, its
input files as `files`). The two hot requests, a JSON submission and GET /v1/health, are
answered by a plain ASGI middleware (HotPaths) with the same functions as their declared
routes: FastAPI's routing, dependency solving and validation cost more CPU than the job itself
(a profile of benchmarks/bench_live.py). The declared routes answer when the middleware is not
in front, and give the OpenAPI document.
"""

import asyncio
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import (
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Query,
    Request,
    WebSocket,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from orbitgrid.live.info import add_info_routes
from orbitgrid.live.page import PAGE
from orbitgrid.live.store import FINAL, STATES, JobRecord
from orbitgrid.live.supervisor import PROGRAM_WORK_FLOP
from orbitgrid.live.tenants import Tenant, Tenants
from orbitgrid.live.twin import Twin
from orbitgrid.ops.jobs import KINDS, PRECISIONS

MAX_FLOP = 1e30  # bounds that keep every figure finite in the engine
MAX_BYTES = 1e18
MAX_COUNT = 1_000_000
MAX_ARGS_BYTES = 65536  # a program's args, as JSON
MAX_JOB_BYTES = 1 << 20  # a job's JSON body (its input files, multipart, are not bounded here)
MAX_IDEMPOTENCY_KEY = 200  # characters
JSON_TYPES = frozenset({"application/json", ""})  # no Content-Type: JSON
MULTIPART = "multipart/form-data"


def _seconds(value: Any) -> Any:
    """A duration as a number of seconds or a string such as 10min."""
    from orbitgrid.scenario import parse_duration

    return value if value is None or isinstance(value, int | float) else parse_duration(value)


class JobIn(BaseModel):
    """A job: the columns of a jobs_file row; the server gives the id and the arrival."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal[KINDS] | None = Field(  # type: ignore[valid-type]
        None, description="required without a program (a program's job: batch)")
    work_flop: float | None = Field(None, gt=0, le=MAX_FLOP,
                                    description="work, FLOP (or int8 ops); required without "
                                    "a program")
    program: str | None = Field(None, max_length=64,
                                description="a program of the scenario's `programs:` to run")
    args: dict[str, Any] | None = Field(None, description="the program's arguments (JSON)")
    precision: Literal[PRECISIONS] = "bf16"  # type: ignore[valid-type]
    memory_bytes: float = Field(0.0, ge=0, le=MAX_BYTES)
    input_bytes: float = Field(0.0, ge=0, le=MAX_BYTES)
    output_bytes: float = Field(0.0, ge=0, le=MAX_BYTES)
    deadline: Annotated[Annotated[float, Field(ge=0, le=1e12)] | None,
                        BeforeValidator(_seconds),
                        Field(description="seconds (or e.g. '20min') after submission; "
                              "null: none")] = None
    priority: int = Field(0, ge=-MAX_COUNT, le=MAX_COUNT)
    checkpoint_bytes: float = Field(0.0, ge=0, le=MAX_BYTES)
    min_satellites: int = Field(1, ge=1, le=MAX_COUNT)
    max_satellites: int = Field(0, ge=0, le=MAX_COUNT, description="0: min_satellites")


class HistoryItem(BaseModel):
    state: str
    twin_time: str | None
    wall_time: float
    satellites: str | None = None
    resumed_flop: float | None = None  # work kept by the last checkpoint (a restart resumed)
    action: str | None = Field(None, description="a program's start, pause, resume, migrate, "
                               "upset, interrupt, restart or exited")
    detail: dict[str, Any] | None = None


class JobOut(BaseModel):
    id: str
    state: Literal[STATES]  # type: ignore[valid-type]
    kind: str
    spec: dict[str, Any]
    submitted: str | None
    start: str | None
    end: str | None
    satellites: list[str]
    result: dict[str, Any] | None
    checkpoint_flop: float  # work kept by its last checkpoint (what a restart resumes from)
    history: list[HistoryItem] | None = None
    execution: dict[str, Any] | None = Field(
        None, description="a program's wall and twin seconds running, paused, moving data and "
        "restarting, and the work lost to upsets")


class OutputFile(BaseModel):
    name: str
    bytes: int


class OutputList(BaseModel):
    files: list[OutputFile]


class JobList(BaseModel):
    jobs: list[JobOut]
    next: str | None


class Health(BaseModel):
    status: str
    twin_time: str | None
    speed: float
    satellites: int
    jobs: dict[str, int]


class Satellite(BaseModel):
    name: str
    constellation: str
    lat_deg: float | None
    lon_deg: float | None
    alt_km: float | None
    illumination: float | None
    battery_wh: float | None
    radiator_temp_k: float | None
    compute_w_allowed: float | None
    jobs: list[str]


class SatelliteList(BaseModel):
    satellites: list[Satellite]


class Problem(BaseModel):
    detail: Any


ERRORS = {401: {"model": Problem}, 404: {"model": Problem}}
# POST /v1/jobs's body, in the OpenAPI document (the route reads the request itself)
SUBMIT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/JobIn"}},
    MULTIPART: {"schema": {
        "type": "object", "required": ["job"], "additionalProperties": False,
        "properties": {
            "job": {"type": "string", "description": "the job, JSON (as application/json)"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": "its input files (a program's job)"}}}}}}}


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document, with the schema of JobIn that POST /v1/jobs's body refers to."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
        doc.setdefault("components", {}).setdefault("schemas", {})["JobIn"] = \
            JobIn.model_json_schema(ref_template="#/components/schemas/{model}")
        app.openapi_schema = doc
    return app.openapi_schema


def _json(data: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), status_code,
                    media_type="application/json")


def _problem(exc: HTTPException) -> Response:
    """An HTTPException answered as FastAPI does: {"detail": ...} and its headers."""
    out = _json({"detail": exc.detail}, exc.status_code)
    out.headers.update(exc.headers or {})
    return out


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _parse_job(text: bytes | str, *where: str) -> JobIn:
    """The job in a JSON text; 422 naming the field (its loc under where) when it is bad."""
    try:
        return JobIn.model_validate_json(text)
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": [*where, *e["loc"]], "msg": e["msg"],
                                   "type": e["type"]} for e in exc.errors()]) from None


async def _multipart(request: Request) -> tuple[JobIn, list[tuple[str, bytes]]]:
    """The job (field `job`, JSON) and its input files (`files`) of a multipart body."""
    form = await request.form()
    unknown = sorted(set(form.keys()) - {"job", "files"})
    if unknown:
        raise HTTPException(422, [{"loc": ["body", unknown[0]], "type": "extra_forbidden",
                                   "msg": "a field other than job and files"}])
    job = form.get("job")
    if job is None:
        raise HTTPException(422, [{"loc": ["body", "job"], "type": "missing",
                                   "msg": "Field required (the job, JSON)"}])
    text = await job.read() if isinstance(job, UploadFile) else job
    inputs = []
    for f in form.getlist("files"):
        name = f.filename if isinstance(f, UploadFile) else None
        if name is None or not _plain_name(name):
            raise HTTPException(422, [{"loc": ["body", "files"], "type": "value_error",
                                       "msg": f"{name!r}: a file with a name without '/' or "
                                       "'..'"}])
        inputs.append((name, await f.read()))
    return _parse_job(text, "body", "job"), inputs


class HotPaths:
    """ASGI middleware answering POST /v1/jobs with a JSON body and GET /v1/health itself,
    with the functions of their routes (see the module docstring); all else passes on."""

    def __init__(self, app: ASGIApp,
                 submit_json: Callable[[dict[str, str], bytes], Awaitable[Response]],
                 health: Callable[[], dict]):
        self.app, self.submit_json, self.health = app, submit_json, health

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            if path == "/v1/health" and method == "GET":
                await _json(self.health())(scope, receive, send)
                return
            if path == "/v1/jobs" and method == "POST":
                headers = {k.decode("latin-1"): v.decode("latin-1")
                           for k, v in scope["headers"]}
                if _media_type(headers.get("content-type")) in JSON_TYPES:
                    body = await _read_body(receive, MAX_JOB_BYTES + 1)
                    if body is not None:  # None: the client went away
                        await (await self.submit_json(headers, body))(scope, receive, send)
                    return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request's body, cut at limit bytes (the rest unread); None on a disconnect."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit or not message.get("more_body", False):
            return b"".join(chunks)[:limit]


def create_app(twin: Twin, tenants: Tenants) -> FastAPI:
    """The API over a started twin and its tenants."""
    app = FastAPI(title="orbitgrid live", version="1", openapi_url="/v1/openapi.json",
                  docs_url="/v1/docs", redoc_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.openapi = lambda: _openapi(app)
    store = twin.store
    bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
    wake = _Wake()
    twin.listeners.append(wake.notify)

    def caller_of(authorization: str | None) -> Tenant:
        """The tenant of an Authorization header (Bearer KEY); 401 without a valid key."""
        scheme, _, key = (authorization or "").partition(" ")
        tenant = tenants.authenticate(key.strip() if scheme.lower() == "bearer" else None)
        if tenant is None:
            raise HTTPException(401, "a valid API key is required (Authorization: Bearer KEY)",
                                headers={"WWW-Authenticate": "Bearer"})
        return tenant

    async def tenant_of(creds: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(bearer)]) -> Tenant:  # no thread: quick
        return caller_of(f"Bearer {creds.credentials}" if creds else None)

    Caller = Annotated[Tenant, Depends(tenant_of)]

    def show(job: JobRecord, history: bool = False) -> dict:
        out = {
            "id": job.id, "state": job.state, "kind": job.spec.get("kind", ""), "spec": job.spec,
            "submitted": twin.iso(job.submitted_s), "start": twin.iso(job.start_s),
            "end": twin.iso(job.end_s),
            "satellites": job.satellites.split(",") if job.satellites else [],
            "result": job.result, "checkpoint_flop": job.checkpoint_flop,
        }
        if history:
            out["history"] = [_history_item(h, twin) for h in store.history(job.id)]
        if job.spec.get("program"):
            live = twin.supervisor.stats(job.id) if twin.supervisor is not None else None
            out["execution"] = live or (job.result or {}).get("execution")
        return out

    def health_figures() -> dict:  # in-memory figures: no thread needed
        return {"status": "ok" if twin.error is None else f"error: {twin.error}",
                "twin_time": twin.iso(twin.reached_s), "speed": twin.speed,
                "satellites": twin.n, "jobs": store.state_counts()}

    @app.get("/v1/health", response_model=Health)
    async def health() -> Response:
        return _json(health_figures())

    @app.get("/v1/satellites", response_model=SatelliteList, responses=ERRORS)
    def satellites(caller: Caller) -> dict:
        return {"satellites": twin.satellites()}

    @app.get("/v1/satellites/{name}", response_model=Satellite, responses=ERRORS)
    def satellite(name: str, caller: Caller) -> dict:
        for s in twin.satellites():
            if s["name"] == name:
                return s
        raise HTTPException(404, f"no satellite {name!r}")

    @app.post("/v1/jobs", response_model=JobOut, status_code=201, openapi_extra=SUBMIT_BODY,
              responses={**ERRORS, 200: {"model": JobOut, "description": "a retried submission"},
                         400: {"model": Problem, "description": "malformed multipart data"},
                         403: {"model": Problem, "description": "a program, and the tenant "
                               "may not run programs"},
                         413: {"model": Problem, "description": "a JSON body over 1 MiB"},
                         415: {"model": Problem, "description": "neither JSON nor multipart"},
                         429: {"model": Problem}})
    async def submit(request: Request, caller: Caller,
                     idempotency_key: Annotated[str | None, Header(
                         max_length=MAX_IDEMPOTENCY_KEY,
                         description="a retry with the same key returns the first job (200)")]
                     = None) -> Response:
        """A job, as JSON, or as multipart/form-data: the job (JSON) in the field `job` and its
        input files in `files` (a program's job: they are its input bytes, in its input
        directory, uplinked through contacts before it runs)."""
        media = _media_type(request.headers.get("content-type"))
        if media == MULTIPART:
            job, inputs = await _multipart(request)
            return await submit_job(job, caller, idempotency_key, inputs)
        if media not in JSON_TYPES:
            raise HTTPException(415, f"Content-Type: {media!r}: send application/json or "
                                f"{MULTIPART}")
        body = await request.body()
        if len(body) > MAX_JOB_BYTES:
            raise HTTPException(413, f"a job's JSON is at most {MAX_JOB_BYTES} bytes")
        return await submit_job(_parse_job(body, "body"), caller, idempotency_key, None)

    async def submit_json(headers: dict[str, str], body: bytes) -> Response:
        """POST /v1/jobs with a JSON body, from its headers (lower-case names) and body: what
        the route answers (HotPaths)."""
        try:
            caller = caller_of(headers.get("authorization"))
            key = headers.get("idempotency-key")
            if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
                raise HTTPException(422, [{"loc": ["header", "idempotency-key"],
                                           "type": "string_too_long", "msg": "String should "
                                           f"have at most {MAX_IDEMPOTENCY_KEY} characters"}])
            if len(body) > MAX_JOB_BYTES:
                raise HTTPException(413, f"a job's JSON is at most {MAX_JOB_BYTES} bytes")
            return await submit_job(_parse_job(body, "body"), caller, key, None)
        except HTTPException as exc:
            return _problem(exc)
        except ValueError as exc:  # as the app's handler (this path is outside it)
            return _json({"detail": str(exc)}, 422)

    async def submit_job(job: JobIn, caller: Tenant, idempotency_key: str | None,
                         inputs: list[tuple[str, bytes]] | None) -> Response:
        if job.program is not None:  # its working directory is written: in a thread
            return await run_in_threadpool(accept_program, job, caller, idempotency_key, inputs)
        if inputs:
            raise HTTPException(422, [{"loc": ["body", "files"], "type": "value_error",
                                       "msg": "input files go with a program's job"}])
        # on the event loop: no thread per request; awaits the store's group commit
        spec = model_spec(job)
        _admit(twin, store, caller, spec)
        record, created = await twin.submit_async(caller.name, spec, idempotency_key)
        return _json(show(record), 201 if created else 200)

    def model_spec(job: JobIn) -> dict:
        """The engine's columns of a job without a program (kind and work_flop required)."""
        spec = job.model_dump(exclude_none=True)
        spec.setdefault("deadline", None)
        if job.program is None:
            for name in ("kind", "work_flop"):
                if name not in spec:
                    raise HTTPException(422, [{"loc": ["body", name], "type": "missing",
                                               "msg": "Field required (without a program)"}])
        return spec

    def accept_program(job: JobIn, caller: Tenant, idempotency_key: str | None,
                       inputs: list[tuple[str, bytes]] | None) -> Response:
        """Accept a job that runs a program (with its input files)."""
        spec = model_spec(job)
        if not caller.execute:
            raise HTTPException(403, f"tenant {caller.name!r} may not run programs "
                                "(orbitgrid keys add NAME --execute)")
        known = twin.supervisor.programs if twin.supervisor is not None else {}
        if job.program not in known:
            raise HTTPException(422, [{"loc": ["body", "program"], "type": "value_error",
                                       "msg": f"unknown program {job.program!r} (the "
                                       f"scenario has: {', '.join(sorted(known)) or 'none'})"}])
        if len(json.dumps(job.args or {})) > MAX_ARGS_BYTES:
            raise HTTPException(422, [{"loc": ["body", "args"], "type": "value_error",
                                       "msg": f"more than {MAX_ARGS_BYTES} bytes of JSON"}])
        spec.setdefault("kind", "batch")
        spec.setdefault("work_flop", PROGRAM_WORK_FLOP)
        spec["args"] = job.args or {}
        spec["max_satellites"] = spec["min_satellites"] = 1  # one process, one satellite
        if inputs:
            spec["input_bytes"] = float(sum(len(b) for _, b in inputs))
        _admit(twin, store, caller, spec)
        record, created = twin.submit_program(caller.name, spec, idempotency_key, inputs)
        return _json(show(record), 201 if created else 200)

    @app.get("/v1/jobs", response_model=JobList, responses=ERRORS)
    def jobs(caller: Caller,
             state: Annotated[Literal[STATES] | None, Query()] = None,  # type: ignore[valid-type]
             limit: Annotated[int, Query(ge=1, le=1000)] = 100,
             after: Annotated[str | None, Query(max_length=64)] = None) -> dict:
        rows = store.list(caller.name, state, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return {"jobs": [show(j) for j in rows], "next": rows[-1].id if more else None}

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
    def job(job_id: str, caller: Caller) -> dict:
        found = store.get(job_id, caller.name)
        if found is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return show(found, history=True)

    @app.delete("/v1/jobs/{job_id}", response_model=JobOut,
                responses={**ERRORS, 409: {"model": Problem}})
    def cancel(job_id: str, caller: Caller) -> dict:
        found = store.get(job_id, caller.name)
        if found is None:
            raise HTTPException(404, f"no job {job_id!r}")
        if found.state in FINAL or twin.cancel(found) is None:
            state = store.get(job_id).state
            raise HTTPException(409, f"job {job_id} has finished ({state})")
        return show(store.get(job_id), history=True)

    @app.get("/v1/jobs/{job_id}/output", response_model=OutputList,
             responses={**ERRORS, 409: {"model": Problem}})
    def outputs(job_id: str, caller: Caller) -> dict:
        """A program job's output files, once downlinked (the job is done)."""
        folder = output_dir(job_id, caller)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return {"files": [{"name": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size}
                          for p in files]}

    @app.get("/v1/jobs/{job_id}/output/{name:path}", response_class=FileResponse,
             responses={**ERRORS, 409: {"model": Problem}, 422: {"model": Problem}})
    def output(job_id: str, name: str, caller: Caller) -> FileResponse:
        """One output file (its name as listed; nothing outside the job's output)."""
        parts = name.split("/")
        if not name or "\0" in name or name.startswith("/") or any(p in ("", ".", "..")
                                                                   for p in parts):
            raise HTTPException(422, [{"loc": ["path", "name"], "type": "value_error",
                                       "msg": f"{name!r}: a name inside the job's output "
                                       "(no '..', no absolute path)"}])
        folder = output_dir(job_id, caller).resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            raise HTTPException(422, [{"loc": ["path", "name"], "type": "value_error",
                                       "msg": f"{name!r}: outside the job's output"}])
        if not path.is_file():
            raise HTTPException(404, f"no output file {name!r}")
        return FileResponse(path, media_type="application/octet-stream")

    def output_dir(job_id: str, caller: Tenant) -> Path:
        found = store.get(job_id, caller.name)
        if found is None:
            raise HTTPException(404, f"no job {job_id!r}")
        if not found.spec.get("program"):
            raise HTTPException(409, f"job {job_id} runs no program: it has no output files")
        if found.state != "done":
            raise HTTPException(409, f"job {job_id} is {found.state}: its outputs are listed "
                                "once downlinked (done)")
        return twin.job_dir(job_id) / "output"

    add_info_routes(app, twin)
    app.add_middleware(HotPaths, submit_json=submit_json, health=health_figures)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> str:
        return PAGE

    @app.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
    def metrics() -> str:
        return _metrics(twin)

    @app.websocket("/v1/events")
    async def events(ws: WebSocket) -> None:
        key = ws.query_params.get("key")
        auth = ws.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        tenant = tenants.authenticate(key)
        try:
            after = int(ws.query_params.get("after", "0"))
            if after < 0:
                raise ValueError
        except ValueError:
            await ws.close(code=1008, reason="after: expected an event id >= 0")
            return
        if tenant is None:
            await ws.close(code=1008, reason="a valid API key is required")
            return
        await ws.accept()
        wake.loop = asyncio.get_running_loop()
        scope = None if tenants.anonymous else tenant.name
        try:
            while True:
                seen = wake.version
                rows = await run_in_threadpool(store.events, after, scope, 500)
                for e in rows:
                    e["twin_time"] = twin.iso(e.pop("twin_s"))
                    await ws.send_json(e)
                    after = e["id"]
                if len(rows) < 500:
                    await wake.wait(seen, timeout=1.0)
        except (WebSocketDisconnect, RuntimeError):
            return

    @app.exception_handler(ValueError)
    async def _bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    return app


def _history_item(h: dict, twin: Twin) -> dict:
    data = {k: v for k, v in h.items()
            if k not in ("event", "twin_s", "wall_time", "state", "satellites", "action",
                         "resumed_flop")}
    return {"state": h["state"], "twin_time": twin.iso(h["twin_s"]), "wall_time": h["wall_time"],
            "satellites": h.get("satellites"), "resumed_flop": h.get("resumed_flop"),
            "action": h.get("action"), "detail": data or None}


def _plain_name(name: str) -> bool:
    """A file name alone: not empty, no '/', '\\', NUL, and not '.' or '..'."""
    return bool(name) and not any(c in name for c in "/\\\0") and name not in (".", "..")


def _admit(twin, store, caller: Tenant, spec: dict) -> None:
    """Refuse a job the twin cannot take (422 naming the field) or over its tenant's quota
    (429)."""
    bad = twin.check(spec)
    if bad is not None:
        raise HTTPException(422, [{"loc": ["body", bad[0]], "msg": bad[1],
                                   "type": "value_error"}])
    over = _over_quota(caller, store.state_counts(caller.name))
    if over is not None:
        raise HTTPException(429, over, headers={"Retry-After": "1"})


def _over_quota(tenant: Tenant, counts: dict[str, int]) -> str | None:
    waiting = counts["queued"] + counts["paused"]
    active = counts["staging"] + counts["running"]
    if tenant.max_queued is not None and waiting >= tenant.max_queued:
        return f"quota: {waiting} jobs waiting, max_queued is {tenant.max_queued}"
    if tenant.max_running is not None and \
            waiting + active >= (tenant.max_queued or 0) + tenant.max_running:
        return (f"quota: {waiting + active} jobs unfinished, max_queued + max_running is "
                f"{(tenant.max_queued or 0) + tenant.max_running}")
    return None


class _Wake:
    """Wakes the event streams (on the server's loop) when the twin commits events."""

    def __init__(self):
        self.loop: asyncio.AbstractEventLoop | None = None
        self.version = 0
        self.cond: asyncio.Condition | None = None

    def notify(self, _last: int) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._bump)

    def _bump(self) -> None:
        self.version += 1
        if self.cond is not None:
            asyncio.ensure_future(self._notify_all())

    async def _notify_all(self) -> None:
        async with self.cond:
            self.cond.notify_all()

    async def wait(self, seen: int, timeout: float) -> None:
        if self.cond is None:
            self.cond = asyncio.Condition()
        if self.version != seen:
            return
        async with self.cond:
            try:
                await asyncio.wait_for(self.cond.wait_for(lambda: self.version != seen), timeout)
            except TimeoutError:
                pass


def _metrics(twin: Twin) -> str:
    store = twin.store
    lines = ["# HELP orbitgrid_jobs Jobs by state.", "# TYPE orbitgrid_jobs gauge"]
    lines += [f'orbitgrid_jobs{{state="{s}"}} {n}' for s, n in store.state_counts().items()]
    q_sum, q_n = twin.queue_time_s
    figures = [
        ("orbitgrid_submissions_total", "counter", "Jobs accepted since the service started.",
         store.submissions),
        ("orbitgrid_twin_time_seconds", "gauge", "Twin time reached, s after the epoch.",
         twin.reached_s),
        ("orbitgrid_clock_lag_seconds", "gauge", "Wall seconds the twin trails its clock.",
         twin.clock.lag_s(twin.reached_s)),
        ("orbitgrid_clock_lag_worst_seconds", "gauge", "Worst clock lag since the start.",
         twin.worst_lag_s),
        ("orbitgrid_tick_worst_seconds", "gauge", "Wall seconds of the longest clock tick.",
         twin.worst_tick_s),
        ("orbitgrid_environment_behind_worst_seconds", "gauge", "Most wall seconds the clock "
         "was ahead of the environment computed.", twin.starved_s),
        ("orbitgrid_engine_events_total", "counter", "Events the engine has processed.",
         twin.engine.events),
    ]
    for name, kind, doc, value in figures:
        lines += [f"# HELP {name} {doc}", f"# TYPE {name} {kind}", f"{name} {_g(value)}"]
    lines += ["# HELP orbitgrid_thread_cpu_seconds CPU seconds of the service's threads: api "
              "(the event loop: HTTP and the API), store (its group commits), tick (the engine "
              "and the batteries), environment (orbits, physics, links ahead of the clock), "
              "other.", "# TYPE orbitgrid_thread_cpu_seconds counter"]
    lines += [f'orbitgrid_thread_cpu_seconds{{thread="{k}"}} {_g(v)}'
              for k, v in _thread_cpu_s().items()]
    lines += ["# HELP orbitgrid_queue_time_seconds Twin seconds from submission to start.",
              "# TYPE orbitgrid_queue_time_seconds summary",
              f"orbitgrid_queue_time_seconds_sum {_g(q_sum)}",
              f"orbitgrid_queue_time_seconds_count {q_n}"]
    return "\n".join(lines) + "\n"


THREADS = {"MainThread": "api", "orbitgrid-live-store": "store",
           "orbitgrid-live-_tick_loop": "tick", "orbitgrid-live-_environment_loop": "environment"}


def _thread_cpu_s() -> dict[str, float]:
    """CPU seconds of each of the service's threads (THREADS; the rest as other), from their
    POSIX CPU clocks; empty where those are not available."""
    if not hasattr(time, "pthread_getcpuclockid"):
        return {}
    out = dict.fromkeys([*THREADS.values(), "other"], 0.0)
    for th in threading.enumerate():
        try:
            cpu = time.clock_gettime(time.pthread_getcpuclockid(th.ident))
        except (OSError, TypeError):  # a thread that has just ended
            continue
        out[THREADS.get(th.name, "other")] += cpu
    return out


def _g(x: float) -> str:
    if isinstance(x, int):
        return str(x)
    x = float(x)
    return repr(x) if math.isfinite(x) else ("+Inf" if x > 0 else "NaN")
