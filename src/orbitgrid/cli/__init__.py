"""The `orbitgrid` command: parse, call the library, present.

One module per group of commands; base.py holds what they share, including the one place
(`Commands.invoke`) where an OrbitgridError, an undecodable file or a file that cannot be read
or written becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import import_module

import typer
from typer.main import get_command_from_info
from typer.models import CommandInfo

from orbitgrid.cli import live
from orbitgrid.cli.base import Commands

# Each command's function, "module:function" in orbitgrid.cli, in the order --help lists them
COMMANDS = {
    "run": "run:run",
    "validate": "run:validate",
    "scenarios": "run:scenarios",
    "query": "query:query",
    "compare": "compare:compare",
    "report": "report:report",
    "export": "report:export",
    "serve": "report:serve",
    "size": "cost:size",
    "route": "route:route",
    "sweep": "sweep:sweep",
    "sweep-report": "sweep:sweep_report",
    "cost": "cost:cost",
    "verify": "verify:verify",
    "live": "live:live",
}


class LazyCommands(MutableMapping):
    """The group's commands by name, each built (its module imported, its signature read) at
    its first look-up: a command builds only itself, not the other fifteen (about 0.045 s CPU
    for all of them); --help and a misspelt name's suggestions still see every name."""

    def __init__(self, built: dict) -> None:
        self.built = dict(built)

    def __getitem__(self, name: str):
        if name not in self.built:
            module, function = COMMANDS[name].split(":")  # KeyError: no such command
            callback = getattr(import_module(f"orbitgrid.cli.{module}"), function)
            self.built[name] = get_command_from_info(
                CommandInfo(name=name, callback=callback),
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
        return self.built[name]

    def __setitem__(self, name: str, command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(COMMANDS), **self.built})

    def __len__(self) -> int:
        return len({**dict.fromkeys(COMMANDS), **self.built})


class Orbitgrid(Commands):
    """The top-level group, its commands built as they are used (LazyCommands)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands)


app = typer.Typer(
    cls=Orbitgrid,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # plain help and usage errors: typer's rich formatter imports rich and markdown-it, about
    # half of what `orbitgrid --help` cost
    rich_markup_mode=None,
    help="orbitgrid: digital twin and operating system for computing in orbit.",
)
app.add_typer(live.keys, name="keys", cls=Commands)

__all__ = ["app"]
