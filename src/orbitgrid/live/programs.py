"""The scenario's `programs:` block: what real programs the live service may run (issue 14).

    programs:
      train-lm: {command: [python, train_lm.py], checkpoint: true, grace: 10s}
      count:    {command: [python, count.py], limits: {memory_bytes: 256e6}}

The operator registers programs; a job names one (`program`) with its `args`. A command is run
with no shell. Its arguments that name a file next to the scenario are made absolute (paths
are relative to the scenario file); `python`/`python3` as the executable is the interpreter
that runs the service (so the program sees the same numpy). checkpoint: true programs get
SIGTERM and `grace` seconds to write their checkpoint when compute stops; others are frozen
(SIGSTOP / SIGCONT).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

PROGRAM_NAME = r"^[A-Za-z0-9_.\-]{1,64}$"


def _seconds(value: Any) -> Any:
    from orbitgrid.scenario import parse_duration

    return value if isinstance(value, int | float) else parse_duration(value)


Seconds = Annotated[float, BeforeValidator(_seconds)]


class Limits(BaseModel):
    """Resource limits of one program's process (setrlimit): CPU time, address space, open
    files, processes of its user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_s: Seconds = Field(3600.0, gt=0, le=1e7, description="CPU seconds (RLIMIT_CPU)")
    memory_bytes: float = Field(4e9, ge=16e6, le=1e13,
                                description="address space, bytes (RLIMIT_AS)")
    open_files: int = Field(256, ge=16, le=65536, description="RLIMIT_NOFILE")
    processes: int = Field(4096, ge=1, le=1_000_000,
                           description="processes of the user (RLIMIT_NPROC)")


class Program(BaseModel):
    """One registered program (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: list[str] = Field(min_length=1)
    checkpoint: bool = False
    grace_s: Seconds = Field(10.0, ge=0, le=3600, alias="grace",
                             description="wall seconds between SIGTERM and SIGKILL")
    limits: Limits = Limits()

    @field_validator("command")
    @classmethod
    def _resolve(cls, command: list[str], info: ValidationInfo) -> list[str]:
        base = Path((info.context or {}).get("base_dir", "."))
        if any(not a or "\0" in a for a in command):
            raise ValueError("an empty argument or a NUL byte")
        out = []
        for k, arg in enumerate(command):
            near = base / arg
            if k == 0 and "/" not in arg:
                out.append(arg)  # looked up on PATH (python: the service's own, see argv)
            elif not Path(arg).is_absolute() and near.exists():
                out.append(str(near.resolve()))
            else:
                out.append(arg)
        return out

    def argv(self) -> list[str]:
        """The command to exec: `python`/`python3` is this interpreter."""
        first = self.command[0]
        return [sys.executable if first in ("python", "python3") else first, *self.command[1:]]


def load_programs(scenario, source: str | Path) -> dict[str, Program]:
    """The scenario's programs, validated, paths relative to the scenario file `source` (a
    preset: none). ScenarioError naming `programs.NAME.field` and the reason."""
    from orbitgrid.errors import ScenarioError

    raw = scenario.programs or {}
    path = Path(source)
    base = path.parent if path.is_file() else Path(".")
    out = {}
    for name, body in raw.items():
        where = f"{source}: programs.{name}"
        if not re.match(PROGRAM_NAME, str(name)):
            raise ScenarioError(f"{where}: a name is 1-64 letters, digits, '_', '.' or '-'")
        try:
            out[name] = Program.model_validate(body, context={"base_dir": str(base)})
        except ValidationError as exc:
            e = exc.errors()[0]
            loc = ".".join(str(x) for x in e["loc"])
            raise ScenarioError(f"{where}{'.' + loc if loc else ''}: "
                                f"{e['msg'].removeprefix('Value error, ')}") from None
    return out
