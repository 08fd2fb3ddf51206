"""`orbitgrid live`: the twin and its API in one process, served by uvicorn.

Loopback (127.0.0.1) by default; any other address only with a keys file (anonymous access
stays on this machine). The port is bound before anything else starts, so a port in use is one
line and exit 2, as is a bad scenario, keys file or start time.
"""

from __future__ import annotations

import errno
import gc
import ipaddress
import shutil
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orbitgrid.errors import ScenarioError


class LiveError(ScenarioError):
    """Bad input to `orbitgrid live`: one line."""


@dataclass(frozen=True)
class LiveOptions:
    scenario: str
    state: Path
    speed: float = 1.0
    start: str | None = None  # ISO 8601 UTC, "now", or None: resume (or now when new)
    host: str = "127.0.0.1"
    port: int = 8100
    keys: Path | None = None
    executor: str = "local"  # where program jobs run: local (processes here) or ray
    workers: int = 4  # program processes at once (local executor)
    address: str | None = None  # the Ray cluster (ray executor; None: a local one)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_start(value: str | None) -> datetime | None:
    if value is None:
        return None
    if value == "now":
        return datetime.now(UTC)
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise LiveError(f"--start: cannot read {value!r} as an ISO 8601 time or 'now'") from None
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    if t.utcoffset().total_seconds() != 0:
        raise LiveError(f"--start: {value!r}: give a UTC time (end it with Z)")
    return t


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; LiveError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise LiveError(f"--port: {host}:{port} is in use") from None
        raise LiveError(f"--host/--port: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


def serve(options: LiveOptions, ready=None) -> None:
    """Run the service until interrupted. Raises LiveError (or ScenarioError) on bad input
    before anything is started or written but the state folder."""
    import uvicorn

    from orbitgrid.live.api import create_app
    from orbitgrid.live.programs import load_programs
    from orbitgrid.live.store import Store
    from orbitgrid.live.supervisor import Supervisor
    from orbitgrid.live.tenants import Tenants
    from orbitgrid.live.twin import Twin
    from orbitgrid.scenario import load_scenario

    if not options.speed > 0 or options.speed > 1e6:
        raise LiveError(f"--speed: expected a number in (0, 1e6], got {options.speed:g}")
    if options.keys is None and not is_loopback(options.host):
        raise LiveError(f"--host: {options.host} is not loopback; serving other hosts needs "
                        "--keys FILE (orbitgrid keys add)")
    if not 0 <= options.port <= 65535:
        raise LiveError(f"--port: {options.port} is not a port number")
    start = parse_start(options.start)
    tenants = Tenants.load(options.keys)
    scenario = load_scenario(options.scenario)
    programs = load_programs(scenario, options.scenario)
    if options.executor not in ("local", "ray"):
        raise LiveError(f"--executor: {options.executor!r}: choose local or ray")
    if not 1 <= options.workers <= 10_000:
        raise LiveError(f"--workers: expected 1 to 10000, got {options.workers}")
    sock = bind(options.host, options.port)
    if options.state.exists() and not options.state.is_dir():
        raise LiveError(f"--state: {options.state} is not a folder")
    new = not options.state.exists()
    store = Store(options.state)
    try:
        known = store.meta("scenario")
        if known is not None and known != scenario.name:
            raise LiveError(f"--state: {options.state} holds the twin of scenario {known!r}, "
                            f"not {scenario.name!r}")
        twin = Twin(scenario, store, options.speed, start,
                    generated_tenant="anonymous" if tenants.anonymous else "scenario")
        store.set_meta(scenario=scenario.name)
        if programs:
            twin.supervisor = Supervisor(twin, programs, make_executor(options), options.state,
                                         info_url=f"{_loopback_url(sock)}/v1/info")
        twin.start()
    except BaseException:
        store.close()
        if new:  # nothing half-written: a state folder this run made goes with it
            shutil.rmtree(options.state, ignore_errors=True)
        raise
    app = create_app(twin, tenants)
    # the event loop, the store's writer and the twin's threads hand work to each other: a
    # shorter GIL switch interval (default 5 ms) keeps each hand-off from waiting that long
    sys.setswitchinterval(0.0005)
    # what start-up made (the world, the catalogue, the app) stays: out of the collector's full
    # passes, each of which held the GIL for up to 0.2 s under load (benchmarks/bench_live.py)
    gc.freeze()
    host, port = sock.getsockname()[:2]
    print(f"orbitgrid live: {scenario.name} on http://{_url_host(host)}:{port}/v1 "
          f"(twin time {twin.iso(twin.reached_s)}, speed {options.speed:g}, state "
          f"{options.state})", file=sys.stderr, flush=True)
    # proxy_headers off: no proxy is trusted (and its middleware costs every request)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            ws_ping_interval=20, timeout_graceful_shutdown=5,
                            proxy_headers=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        twin.stop()
        store.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _loopback_url(sock: socket.socket) -> str:
    """The service's URL on this machine (what its program jobs call)."""
    port = sock.getsockname()[1]
    return f"http://[::1]:{port}" if sock.family == socket.AF_INET6 else f"http://127.0.0.1:{port}"


def make_executor(options: LiveOptions):
    """The executor that runs program jobs (--executor, --workers, --address)."""
    if options.executor == "ray":
        from orbitgrid.live.ray_executor import RayExecutor

        return RayExecutor(options.address, options.workers)
    from orbitgrid.live.executor import LocalExecutor

    return LocalExecutor(options.workers)
