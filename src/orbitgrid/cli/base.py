"""What every command shares: the two consoles, the one-line failure and the one error handler.

Nothing here imports rich: `orbitgrid --help` (plain help) and one-line answers (`fail`,
`to_stderr`) must not pay for it. The rich consoles, for tables and progress, are made at their
first use.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from orbitgrid.errors import OrbitgridError

if TYPE_CHECKING:
    from rich.console import Console

    from orbitgrid.scenario import Scenario

DEFAULT_SCENARIO = "showcase"


class LazyConsole:
    """A rich Console made at its first use (importing rich costs start-up time): `.rich` is
    the Console, and its other attributes are the Console's."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr

    @cached_property
    def rich(self) -> Console:
        from rich.console import Console

        return Console(stderr=self.stderr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)


console = LazyConsole()
err = LazyConsole(stderr=True)


def fail(message: str) -> None:
    """Print one line to stderr and exit with status 2."""
    to_stderr("error:", message, colour="red", bold=True)
    raise typer.Exit(2)


def to_stderr(label: str, message: str, colour: str, bold: bool = False) -> None:
    """One line on stderr, its label coloured on a terminal. click, not rich: the message is
    printed as it is (no markup or emoji read from it), and a one-line answer loads no rich."""
    typer.secho(label, fg=colour, bold=bold, nl=False, err=True)
    typer.echo(f" {message}", err=True)


def one_line(exc: BaseException, argv: list[str] = ()) -> str:
    """What the user is told of an error that reaches a command: one line, no traceback.

    argv, the command's arguments, names the file that is not UTF-8 text when it is one of them.
    """
    if isinstance(exc, UnicodeDecodeError):
        where = next((a for a in argv if _not_utf8(a)), "input")
        return (f"{where}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                f"{exc.start}: {exc.reason})")
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines) if lines else type(exc).__name__


def _not_utf8(arg: str) -> bool:
    try:
        Path(arg).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return True
    except (OSError, ValueError):
        return False
    return False


class Commands(TyperGroup):
    """The command group, and the one place where errors become a line on stderr and exit 2:
    an OrbitgridError (bad input, said by the library), a file that cannot be decoded, read or
    written. Anything else is a bug and keeps its traceback."""

    def format_commands(self, ctx, formatter):
        """The commands, each with its whole first sentence wrapped (click would cut it at the
        width with '...')."""
        commands = ((name, self.get_command(ctx, name)) for name in self.list_commands(ctx))
        rows = [(name, cmd.get_short_help_str(limit=1000)) for name, cmd in commands
                if cmd is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def parse_args(self, ctx, args):
        ctx.meta["argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): click exits quietly
        except (OrbitgridError, UnicodeDecodeError, OSError) as exc:
            fail(one_line(exc, ctx.meta.get("argv", [])))


def load(scenario: str, duration: str | None = None, step: str | None = None,
         on_bad_elements: str | None = None) -> Scenario:
    """A scenario file or preset, with --duration, --step and --on-bad-elements applied."""
    from orbitgrid.scenario import load_scenario

    given = (("duration", duration), ("step", step), ("on_bad_elements", on_bad_elements))
    return load_scenario(scenario, {k: v for k, v in given if v is not None})


# the arguments and options several commands take, declared once
SCENARIO = typer.Argument(help="Scenario file or preset name.")
DURATION = typer.Option(help="Override the scenario's duration, e.g. 2h.")
STEP = typer.Option(help="Override the scenario's step, e.g. 30s.")
AS_JSON = typer.Option("--json", help="Print JSON for programs.")
RUN_FOLDER = typer.Argument(metavar="RUN", help="Run folder.")

ON_BAD_ELEMENTS = typer.Option(
    help="A bad element set in a TLE/OMM file: fail (stop) or skip (one line each, run the rest); "
    "overrides the scenario's on_bad_elements."
)


def print_warnings(warnings) -> None:
    """One yellow line per warning on stderr."""
    for line in warnings:
        to_stderr("warning:", line, colour="yellow")
