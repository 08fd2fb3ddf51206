"""The `orbitgrid` command: parse, call the library, present.

One module per group of commands; base.py holds what they share, including the one place
(`Commands.invoke`) where an OrbitgridError, an undecodable file or a file that cannot be read
or written becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import typer

from orbitgrid.cli import compare, cost, live, query, report, route, run, sweep, verify
from orbitgrid.cli.base import Commands

app = typer.Typer(
    cls=Commands,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # plain help and usage errors: typer's rich formatter imports rich and markdown-it, about
    # half of what `orbitgrid --help` cost
    rich_markup_mode=None,
    help="orbitgrid: digital twin and operating system for computing in orbit.",
)
for command, name in (
    (run.run, "run"),
    (run.validate, "validate"),
    (run.scenarios, "scenarios"),
    (query.query, "query"),
    (compare.compare, "compare"),
    (report.report, "report"),
    (report.export, "export"),
    (report.serve, "serve"),
    (cost.size, "size"),
    (route.route, "route"),
    (sweep.sweep, "sweep"),
    (sweep.sweep_report, "sweep-report"),
    (cost.cost, "cost"),
    (verify.verify, "verify"),
    (live.live, "live"),
):
    app.command(name)(command)
app.add_typer(live.keys, name="keys", cls=Commands)

__all__ = ["app"]
