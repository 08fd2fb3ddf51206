"""Progress that moves: a line at each further tenth when stderr is not a terminal (a log, a
pipe), a bar with the amount, rate and time left when it is; through the real command too."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from rich.console import Console

from orbitgrid.cli.progress import Shown


class Clock:
    """A clock the test sets."""

    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def shown(clock: Clock, unit: str = "sat-steps") -> tuple[Shown, io.StringIO]:
    out = io.StringIO()
    return Shown("simulating x", unit, Console(file=out, width=60), clock), out


def test_a_line_at_each_tenth_with_amount_rate_and_time_left():
    clock = Clock()
    progress, out = shown(clock)
    with progress:
        for k in range(41):  # 25 sat-steps a second for 40 s
            clock.t = float(k)
            progress(25 * k, 1000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "simulating x: 10% (100/1,000 sat-steps, 25 sat-steps/s, 36 s left)"
    assert lines[3] == "simulating x: 40% (400/1,000 sat-steps, 25 sat-steps/s, 24 s left)"
    assert lines[-1] == "simulating x: 100% (1,000/1,000 sat-steps, 25 sat-steps/s, 0 s left)"


def test_a_jump_over_tenths_is_one_line_and_a_sweep_says_what_failed():
    clock = Clock()
    progress, out = shown(clock, "points")
    with progress:
        progress(0, 16, 0)
        clock.t = 200.0
        progress(5, 16, 1)  # 31 %: past three tenths, one line
        progress(5, 16, 1)
        clock.t = 6400.0
        progress(16, 16, 2)
    assert out.getvalue().splitlines() == [
        "simulating x: 31% (5/16 points, 1 failed, 0.025 points/s, 7 min 20 s left)",
        "simulating x: 100% (16/16 points, 2 failed, 0.0025 points/s, 0 s left)",
    ]


def test_a_terminal_gets_a_bar_and_no_lines():
    out = io.StringIO()
    clock = Clock()
    with Shown("simulating x", "sat-steps", Console(file=out, force_terminal=True, width=150),
               clock) as progress:
        for k in range(11):
            clock.t = float(k)
            progress(100 * k, 1000)
    text = out.getvalue()
    assert "sat-steps" in text and "\x1b[" in text  # drawn with control sequences
    assert "simulating x: 100% (" not in text


def test_the_run_command_reports_progress_in_a_log(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "run", "demo", "--duration", "1h", "--out",
         str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    pattern = re.compile(r"simulating demo: (\d+)% \(([\d,]+)/([\d,]+) sat-steps, .* left\)")
    found = [pattern.fullmatch(line) for line in proc.stderr.splitlines()]
    assert found and all(found), proc.stderr
    percents = [int(m.group(1)) for m in found]
    assert percents == sorted(set(percents)) and percents[-1] == 100 and len(percents) <= 10
    assert found[-1].group(2) == found[-1].group(3)
