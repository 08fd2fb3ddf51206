"""An answer in one second (issue 17): start-up of the `orbitgrid` command, against importing
numpy and pyarrow.

Each command runs in a fresh child process, best of --repeat, the commands taken in turn so that
the machine's load falls on all of them alike, after one untimed run of each (as on an installed
copy, whose bytecode pip compiled: the children write theirs to a temporary PYTHONPYCACHEPREFIX,
even where the environment sets PYTHONDONTWRITEBYTECODE, which would otherwise have every run
compile orbitgrid's sources again):

    python         python -c pass (the interpreter alone: the floor)
    baseline       python -c "import numpy, pyarrow"
    import cli     python -c "import orbitgrid.cli"
    --help         orbitgrid --help
    validate       orbitgrid validate showcase
    showcase       orbitgrid run (the default scenario), after one run that fills numba's cache

Prints wall-clock seconds and each command's ratio to the baseline measured in the same run
(goals on a quiet machine: --help and validate under 0.3 s, the showcase under 4 s), the CPU
seconds (user + system: less moved by other processes on a loaded machine than the wall clock)
and their ratio, and the load average around the runs.

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --repeat 3 --no-showcase
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "orbitgrid.cli"]


def seconds(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of argv in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (best kept)")
    parser.add_argument("--no-showcase", action="store_true", help="leave out `orbitgrid run`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        runs = iter(range(10**6))

        def showcase() -> list[str]:
            return [*CLI, "run", "--out", str(Path(tmp) / f"showcase-{next(runs)}")]

        commands = {
            "python -c pass": lambda: [sys.executable, "-c", "pass"],
            "baseline: import numpy, pyarrow": lambda: [sys.executable, "-c",
                                                        "import numpy, pyarrow"],
            "import orbitgrid.cli": lambda: [sys.executable, "-c", "import orbitgrid.cli"],
            "orbitgrid --help": lambda: [*CLI, "--help"],
            "orbitgrid validate showcase": lambda: [*CLI, "validate", "showcase"],
        }
        if not args.no_showcase:
            commands["orbitgrid run (showcase)"] = showcase
        for argv in commands.values():  # bytecode and numba's cache, as a first run fills them
            seconds(argv(), env)
        load = os.getloadavg()[0]
        wall = dict.fromkeys(commands, float("inf"))
        cpu = dict.fromkeys(commands, float("inf"))
        for _ in range(args.repeat):
            for name, argv in commands.items():
                w, c = seconds(argv(), env)
                wall[name], cpu[name] = min(wall[name], w), min(cpu[name], c)
        load_after = os.getloadavg()[0]
    base = "baseline: import numpy, pyarrow"
    print(f"best of {args.repeat}; load average (1 min) {load:.2f} -> {load_after:.2f}")
    print(f"{'command':<32} {'seconds':>8} {'ratio':>7} {'cpu s':>8} {'ratio':>7}")
    for name in commands:
        print(f"{name:<32} {wall[name]:>8.3f} {wall[name] / wall[base]:>7.2f} "
              f"{cpu[name]:>8.3f} {cpu[name] / cpu[base]:>7.2f}")


if __name__ == "__main__":
    main()
