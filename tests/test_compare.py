"""`orbitgrid compare A B`: real runs of small presets side by side, figures equal to the
summaries they come from, scenarios run first, and bad input."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from orbitgrid import simulate
from orbitgrid.cli import app
from orbitgrid.compare import compare_summaries, cost_figures, format_change
from orbitgrid.scenario import load_scenario

SHORT = {"duration": "1h", "step": "60s"}
runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """three-body-12 (physics, ISLs, sensing, space OS, economics) under two policies, and the
    ground-only ground-40mw, each for an hour."""
    root = tmp_path_factory.mktemp("compare")
    a = load_scenario("three-body-12", SHORT)
    b = a.model_copy(update={"workload": a.workload.model_copy(update={"policy": "edf"})})
    ground = load_scenario("ground-40mw", SHORT)
    return {
        "a": simulate(a, out=root / "a"),
        "b": simulate(b, out=root / "b"),
        "ground": simulate(ground, out=root / "ground"),
    }


def _lookup(summary: dict, path: list[str]):
    """The value at path, read independently of orbitgrid.compare: list items by their name."""
    node = summary
    for key in path:
        if isinstance(node, list):
            node = next((x for x in node if key in (x.get("name"), x.get("policy"),
                                                   f"{x.get('from')} -> {x.get('to')}")), None)
        elif isinstance(node, dict):
            node = node.get(key)
        if node is None:
            return None
    return node


def _with_cost(run):
    cost = cost_figures(load_scenario(run.path / "scenario.yaml"))
    return {**run.summary, "cost": cost} if cost else run.summary


def test_rows_hold_the_summaries_figures(runs):
    a, b = _with_cost(runs["a"]), _with_cost(runs["b"])
    rows = compare_summaries(a, b)
    assert {r.section for r in rows} == {"run", "fleet", "sunlight", "power", "network",
                                         "sensing", "space OS", "cost"}
    for r in rows:
        assert r.a == _lookup(a, list(r.path)), r
        assert r.b == _lookup(b, list(r.path)), r
        assert r.a is not None or r.b is not None
    by = {r.metric: r for r in rows}
    assert by["policy"].a == "first-fit" and by["policy"].b == "edf"
    physics = a["physics"]["constellations"][0]
    assert by["three-body: mean_compute_w"].a == physics["mean_compute_w"]
    assert by["orbit_total_usd"].a > by["ground_total_usd"].a > 0
    ratio = by["completed"]
    assert ratio.change == "ratio" and ratio.value == pytest.approx(ratio.b / ratio.a, rel=1e-12)
    shadow = by["three-body: shadow_fraction"]
    assert shadow.change == "difference" and shadow.value == shadow.b - shadow.a == 0.0


def test_metrics_present_on_one_side_only(runs):
    """Orbit against a ground data centre: orbit rows have no B, ground rows no A, no change."""
    rows = compare_summaries(_with_cost(runs["a"]), _with_cost(runs["ground"]))
    by = {(r.section, r.metric): r for r in rows}
    eclipses = by[("sunlight", "eclipses")]
    assert eclipses.a > 0 and eclipses.b is None and eclipses.value is None
    grid = by[("ground", "run_grid_energy_mwh")]
    assert grid.a is None and grid.b == pytest.approx(40 * 1.2, rel=1e-9)
    assert by[("cost", "ground_total_usd")].b > by[("cost", "ground_total_usd")].a
    assert ("power", "three-body: sunlit_fraction") in by
    assert not any(r.section == "sensing" and r.b is not None for r in rows)


def test_table_shows_the_rows_figures(runs):
    """The printed table, parsed back, has each row's A, B (with their unit) and change on the
    line of its label (what, and over what)."""
    a, b = runs["a"].path, runs["b"].path
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "orbitgrid.cli", "compare", str(a), str(b)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    shown: dict[tuple[str, str], list[str]] = {}
    section = None
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) != 4:
            continue
        if cells[0] and not cells[1] and not line.split("│")[1].startswith("  "):
            section = cells[0]
        else:
            shown[(section, cells[0])] = cells[1:]
    rows = compare_summaries(_with_cost(runs["a"]), _with_cost(runs["b"]))
    assert len(shown) == len(rows)
    for r in rows:
        assert shown[(r.section, r.label)] == [r.shown(r.a), r.shown(r.b), format_change(r)], r
    # the labels say what each figure covers, fractions are in % and others carry their unit
    by = {r.metric: r for r in rows}
    shadow = by["three-body: shadow_fraction"]
    assert shadow.label == "three-body: time in shadow, mean per satellite"
    assert shown[("sunlight", shadow.label)][0] == f"{100 * shadow.a:.3g}%"
    throttled = by["three-body: throttled_hours"]
    assert throttled.label.endswith("sum over its satellites") and throttled.unit == "h"
    assert shown[("power", throttled.label)][0].endswith(" h")
    goodput = by["goodput_fraction"]
    assert shown[("space OS", goodput.label)][0] == f"{100 * goodput.a:.3g}%"


def test_compare_runs_scenarios_first(tmp_path, monkeypatch):
    """Two presets: each runs on the overridden horizon into runs/, then the JSON rows hold
    their summaries' figures."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["compare", "starcloud-1", "three-body-12", "--duration", "20min",
                                 "--step", "60s", "--json"])
    assert result.exit_code == 0, result.output
    folders = sorted((tmp_path / "runs").iterdir())
    assert [f.name.rsplit("-", 1)[0] for f in folders] == ["starcloud-1", "three-body-12"]
    out = json.loads(result.stdout)  # what was run is said on stderr
    summaries = [json.loads((f / "summary.json").read_text()) for f in folders]
    rows = {r["metric"]: r for r in out["rows"]}
    assert rows["duration_s"]["a"] == rows["duration_s"]["b"] == 1200.0
    assert rows["satellites"]["a"] == 1 and rows["satellites"]["b"] == 12
    assert rows["satellites"]["value"] == 12.0
    for r in out["rows"]:
        if r["section"] != "cost":
            assert r["a"] == _lookup(summaries[0], r["path"]), r
            assert r["b"] == _lookup(summaries[1], r["path"]), r
    assert rows["orbit_total_usd"]["a"] > 0 and rows["orbit_total_usd"]["b"] > 0


def test_bad_input_is_one_line_exit_2(runs, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nepoch: 2026-05-13T00:00:00Z\nduration: 1h\nstep: -1s\n")
    a = str(runs["a"].path)
    for args, needle in (
        (["nope", a], "A: 'nope' is not a run folder, a scenario file or a preset"),
        ([a, str(empty)], f"B: {empty} is not a run folder (no summary.json)"),
        ([a, a, "--duration", "2h"], "--duration: A and B are run folders"),
        ([a, "starcloud-1", "--step", "fast"], "step"),
        ([a, str(bad)], "bad.yaml"),
    ):
        result = runner.invoke(app, ["compare", *args])
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output, (args, result.output)
        assert result.output.strip().count("\n") == 0, result.output


def test_default_run_is_the_showcase_and_its_next_commands_work(tmp_path):
    """`orbitgrid run` with no argument runs every stage of the pipeline and ends with commands
    that work as printed (all but `serve`, which does not return)."""
    env = {**os.environ, "COLUMNS": "200"}

    def orbitgrid(*args):
        done = subprocess.run([sys.executable, "-m", "orbitgrid.cli", *args], cwd=tmp_path,
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    out = orbitgrid("run", "--duration", "2h")
    (folder,) = (tmp_path / "runs").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["name"] == "showcase" and summary["duration_s"] == 7200.0
    assert {"physics", "network", "sensing", "ops"} <= set(summary)
    assert "cost of ownership in orbit" in out and "shows: " in out and "next:" in out
    commands = [line.strip() for line in out.split("next:")[1].splitlines()
                if line.strip().startswith("orbitgrid ")]
    assert [c.split()[1] for c in commands] == ["report", "serve", "query", "compare"]
    for command in commands:
        argv = shlex.split(command)[1:]
        if argv[0] != "serve":
            orbitgrid(*argv)
    assert (folder / "report.html").is_file()
    assert len(list((tmp_path / "runs").iterdir())) == 2  # compare ran the scenario again
