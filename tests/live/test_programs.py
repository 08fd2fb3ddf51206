"""The scenario's programs: block: validation, paths relative to the scenario, bad input as one
line and exit 2 before anything is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from live_support import SCENARIO

from orbitgrid.errors import ScenarioError
from orbitgrid.live.programs import load_programs
from orbitgrid.scenario import load_scenario


def scenario_with(tmp_path: Path, programs: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + programs)
    return path


def test_programs_resolve_paths_next_to_the_scenario_and_take_defaults(tmp_path):
    (tmp_path / "train.py").write_text("")
    path = scenario_with(tmp_path, "programs:\n  t: {command: [python, train.py, --fast], "
                                   "checkpoint: true, grace: 2min}\n")
    programs = load_programs(load_scenario(path), path)
    t = programs["t"]
    assert t.command == ["python", str((tmp_path / "train.py").resolve()), "--fast"]
    assert t.argv()[0] == sys.executable and t.checkpoint and t.grace_s == 120.0
    assert t.limits.cpu_s == 3600.0 and t.limits.open_files == 256  # the defaults


@pytest.mark.parametrize("body, where", [
    ("  t: {command: []}\n", "programs.t.command"),
    ("  t: {command: [python], grace: soon}\n", "programs.t.grace"),
    ("  t: {command: [python], limits: {memory_bytes: 10}}\n", "programs.t.limits.memory_bytes"),
    ("  t: {command: [python], colour: red}\n", "programs.t.colour"),
    ("  'a b': {command: [python]}\n", "programs.a b"),
])
def test_a_bad_program_is_one_line_naming_the_field(tmp_path, body, where):
    path = scenario_with(tmp_path, "programs:\n" + body)
    with pytest.raises(ScenarioError) as err:
        load_programs(load_scenario(path), path)
    assert where in str(err.value) and "\n" not in str(err.value)


def test_orbitgrid_live_refuses_a_bad_program_with_exit_2_and_writes_nothing(tmp_path):
    path = scenario_with(tmp_path, "programs:\n  t: {command: [python], checkpoint: maybe}\n")
    state = tmp_path / "state"
    done = subprocess.run([sys.executable, "-m", "orbitgrid.cli", "live", str(path), "--state",
                           str(state), "--port", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "programs.t.checkpoint" in lines[0], done.stderr
    assert not state.exists()


def test_a_batch_run_carries_the_programs_block_untouched(tmp_path):
    path = scenario_with(tmp_path, "programs:\n  t: {command: [python, x.py]}\n")
    assert yaml.safe_load(path.read_text())["programs"] == load_scenario(path).programs
