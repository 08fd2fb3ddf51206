"""`live` and `keys add`: the space OS as a service, and its tenants' API keys.

Bad input (scenario, keys file, a port in use) is an OrbitgridError: base.py's one handler
makes it one line and exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def live(
    scenario: Annotated[str, typer.Argument(help="Scenario file or preset name.")],
    state: Annotated[Path, typer.Option(help="Folder of the service's database (kept across "
                                         "restarts).")],
    speed: Annotated[float, typer.Option(help="Twin seconds per wall second.")] = 1.0,
    start: Annotated[str | None, typer.Option(help="Twin start time, ISO 8601 UTC or 'now' "
                                              "(default: resume, or now when new).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (not loopback: needs "
                                      "--keys).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    keys: Annotated[Path | None, typer.Option(help="Keys file (orbitgrid keys add); without "
                                              "it requests are anonymous.")] = None,
    executor: Annotated[str, typer.Option(help="Where program jobs run: local (processes on "
                                          "this machine) or ray.")] = "local",
    workers: Annotated[int, typer.Option(help="Program processes at once (local).")] = 4,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (ray; default: "
                                                "a local one).")] = None,
) -> None:
    """Run the space OS as a service: jobs through an API on a twin that runs on a clock."""
    from orbitgrid.live.server import LiveOptions, serve

    try:
        serve(LiveOptions(scenario, state, speed, start, host, port, keys, executor, workers,
                          address))
    except KeyboardInterrupt:
        pass


keys = typer.Typer(add_completion=False, no_args_is_help=True,
                   help="API keys of the live service's tenants.")


@keys.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="Tenant name.")],
    keys: Annotated[Path, typer.Option(help="Keys file (created if missing).")],
    max_queued: Annotated[int | None, typer.Option(min=0, help="Jobs waiting at most.")] = None,
    max_running: Annotated[int | None, typer.Option(min=0, help="Jobs running at most (with "
                                                    "max_queued: unfinished at most).")] = None,
    execute: Annotated[bool, typer.Option("--execute", help="May run programs.")] = False,
) -> None:
    """Create a tenant and print its new API key, once (the file keeps only a hash)."""
    from orbitgrid.live.tenants import add_tenant

    typer.echo(add_tenant(keys, name, max_queued, max_running, execute))
