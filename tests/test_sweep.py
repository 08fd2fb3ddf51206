"""Trade studies on a real local Ray cluster (2 workers): sweeps, searches, resume, split runs.

Small scenarios only: the demo preset for 1 h at 60 s (about 0.2 s a run). Ray is started once
for the module with HOME in a temporary folder (Ray writes a token file there); the library joins
it. The kill-and-resume test runs the real command in a child process and kills it with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.fleet import build_fleet
from orbitgrid.results import Run
from orbitgrid.scenario import load_scenario
from orbitgrid.simulation import simulate
from orbitgrid.sweep import (
    SweepError,
    flatten,
    load_sweep,
    merge_runs,
    merge_summaries,
    pareto_front,
    read_points,
    run_sweep,
    split_run,
    whole_fleet_keys,
    write_sweep_report,
)

ray = pytest.importorskip("ray")

FAST = {"duration": "1h", "step": "60s"}
GRID = {
    "base": "demo",
    "overrides": FAST,
    "parameters": {
        "constellations.0.walker.altitude_km": [500, 600],
        "constellations.1.sun_synchronous.altitude_km": {"range": [450, 650], "samples": 2},
    },
    "search": "grid",
    "objectives": [
        {"maximise": "contact_hours"},
        {"minimise": "constellations.1.shadow_fraction"},
    ],
}


@pytest.fixture(scope="module")
def ray_env(tmp_path_factory):
    """Environment for Ray: a temporary HOME and no token authentication."""
    home = tmp_path_factory.mktemp("home")
    env = {"HOME": str(home), "RAY_AUTH_MODE": "disabled"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield {**os.environ, **env}
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def cluster(ray_env):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def rows(db: Path) -> list[dict]:
    return read_points(db)[0].to_pylist()


def test_grid_sweep_equals_a_sequential_run(tmp_path, cluster):
    sweep = load_sweep(write(tmp_path / "grid.yaml", GRID))
    assert len(sweep.points) == 4
    db = run_sweep(sweep, tmp_path / "out", workers=2)
    got = rows(db)
    assert [r["point_id"] for r in got] == [0, 1, 2, 3]
    assert {r["status"] for r in got} == {"done"} and {r["attempts"] for r in got} == {1}
    for row, params in zip(got, sweep.points, strict=True):
        assert json.loads(row["parameters"]) == params
        alone = simulate(sweep.scenario(params), out=tmp_path / f"seq{row['point_id']}")
        assert json.loads(row["summary"]) == alone.summary
        assert row["contact_hours"] == alone.summary["contact_hours"]
        assert row["constellations.1.shadow_fraction"] == pytest.approx(
            alone.summary["constellations"][1]["shadow_fraction"], abs=0
        )
        kept = Run(row["run_folder"])
        for name in alone.tables:
            assert kept.table(name).equals(alone.table(name)), name
    # the parameters really changed the runs
    assert len({r["contact_hours"] for r in got}) == 4


def test_failed_point_is_retried_then_recorded_and_the_sweep_goes_on(tmp_path, cluster):
    base = load_scenario("demo").model_dump(mode="json", exclude_none=True)
    base.update(FAST)
    base["constellations"].append(
        {
            "name": "pair",
            "elements": [
                {"a_km": 6928, "i_deg": 97.5, "name": "one"},
                {"a_km": 6928, "i_deg": 97.5, "mean_anomaly_deg": 90, "name": "two"},
            ],
        }
    )
    write(tmp_path / "base.yaml", base)
    spec = {
        "base": "base.yaml",
        # the same name twice passes validation and fails in the run (building the fleet)
        "parameters": {"constellations.3.elements.1.name": ["two", "one", "three"]},
        "objectives": [{"maximise": "contact_hours"}],
    }
    db = run_sweep(load_sweep(write(tmp_path / "s.yaml", spec)), tmp_path / "o", retries=2)
    got = {r["point_id"]: r for r in rows(db)}
    assert [got[k]["status"] for k in range(3)] == ["done", "failed", "done"]
    assert got[1]["attempts"] == 3 and "used twice" in got[1]["error"]
    assert "\n" not in got[1]["error"] and got[1]["contact_hours"] is None
    assert got[0]["attempts"] == got[2]["attempts"] == 1


def test_optuna_search_with_a_seed_is_deterministic(tmp_path, cluster):
    spec = {
        **GRID,
        "parameters": {
            "constellations.0.walker.altitude_km": {"range": [450.0, 700.0]},
            "constellations.0.walker.inclination_deg": {"range": [40, 60]},
        },
        "search": {"optuna": {"trials": 6, "seed": 7, "batch": 3}},
    }
    sweep = load_sweep(write(tmp_path / "opt.yaml", spec))
    first = rows(run_sweep(sweep, tmp_path / "a", keep="none"))
    second = rows(run_sweep(sweep, tmp_path / "b", keep="none"))
    assert len(first) == 6 and {r["status"] for r in first} == {"done"}
    drop = ("seconds", "run_folder")
    assert [{k: v for k, v in r.items() if k not in drop} for r in first] == [
        {k: v for k, v in r.items() if k not in drop} for r in second
    ]
    assert all(r["run_folder"] is None for r in first)
    assert not (tmp_path / "a" / "runs").exists()
    assert all(isinstance(r["constellations.0.walker.inclination_deg"], int) for r in first)
    other = {**spec, "search": {"optuna": {"trials": 6, "seed": 8, "batch": 3}}}
    third = rows(run_sweep(load_sweep(write(tmp_path / "o.yaml", other)), tmp_path / "c"))
    assert [r["parameters"] for r in third] != [r["parameters"] for r in first]


def test_random_search_is_seeded_and_within_bounds(tmp_path):
    spec = {**GRID, "search": {"random": {"samples": 5, "seed": 3}}}
    a = load_sweep(write(tmp_path / "r.yaml", spec)).points
    assert a == load_sweep(tmp_path / "r.yaml").points and len(a) == 5
    for p in a:
        assert p["constellations.0.walker.altitude_km"] in (500, 600)
        assert 450 <= p["constellations.1.sun_synchronous.altitude_km"] <= 650


def test_killed_sweep_resumes_without_rerunning_or_losing_points(tmp_path, ray_env, cluster):
    spec = {
        **GRID,
        "parameters": {"constellations.0.walker.altitude_km": list(range(500, 660, 10))},
    }
    file = write(tmp_path / "kill.yaml", spec)
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "orbitgrid.cli", "sweep", str(file), "--out", str(out)]
        + ["--workers", "2"],
        env=ray_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(list((out / "runs").glob("p*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(child.pid, signal.SIGKILL)  # the driver and the Ray cluster it started
    child.wait(timeout=30)
    before = rows(out / "sweep.duckdb")
    assert 0 < len(before) < 16, "the sweep was not killed part-way"
    stamps = {
        r["point_id"]: os.stat(Path(r["run_folder"]) / "summary.json").st_mtime_ns for r in before
    }

    # resumed through the library on this module's cluster (the command is the same call)
    run_sweep(load_sweep(file), out, resume=True)
    after = rows(out / "sweep.duckdb")
    assert [r["point_id"] for r in after] == list(range(16))
    assert {r["status"] for r in after} == {"done"} and {r["attempts"] for r in after} == {1}
    for r in after:
        run = Run(r["run_folder"])
        assert json.loads(r["summary"]) == run.summary
        if r["point_id"] in stamps:  # finished before the kill: not run again
            assert os.stat(run.path / "summary.json").st_mtime_ns == stamps[r["point_id"]]
    assert sorted(p.name for p in (out / "runs").iterdir()) == [f"p{k:05d}" for k in range(16)]
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct point_id), count(*) from points").fetchall() == [
            (16, 16)
        ]


BAD = [
    ({"constellations.0.walker.altitud_km": [500]}, None, "unknown path"),
    ({"constellations.9.walker.altitude_km": [500]}, None, "list of 3"),
    ({"constellations.0.walker.altitude_km": []}, None, "empty list"),
    ({"constellations.0.walker.altitude_km": {"range": [600, 500]}}, None, "empty range"),
    ({"constellations.0.walker.altitude_km": [500, -1]}, None, "inside the Earth"),
    (None, [{"maximise": "contact_hour"}], "did you mean 'contact_hours'"),
    (None, [{"minimise": "constellations.5.shadow_fraction"}], "not a numeric summary figure"),
    (None, [{"best": "contacts"}], "minimise"),
]


@pytest.mark.parametrize(("parameters", "objectives", "says"), BAD)
def test_bad_sweep_file_one_line_exit_2_nothing_run(tmp_path, parameters, objectives, says):
    spec = {**GRID}
    if parameters:
        spec["parameters"] = parameters
    if objectives:
        spec["objectives"] = objectives
    file = write(tmp_path / "bad.yaml", spec)
    result = CliRunner().invoke(app, ["sweep", str(file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert str(file) in lines[0]
    assert not (tmp_path / "out").exists()


def test_bad_sweep_file_through_the_real_command(tmp_path, ray_env):
    bad = {**GRID, "search": {"random": {"samples": 0}}}
    file = write(tmp_path / "bad.yaml", bad)
    proc = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "sweep", str(file), "--out", "o"],
        cwd=tmp_path,
        env=ray_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    line = file.read_text().splitlines().index("search:") + 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {file}:{line}: search: random.samples: Input should be greater than 0"
    ]
    assert not (tmp_path / "o").exists()


def test_existing_sweep_needs_resume_and_the_same_file(tmp_path, cluster):
    file = write(tmp_path / "g.yaml", {**GRID, "parameters": {"seed": [1, 2]}})
    run_sweep(load_sweep(file), tmp_path / "o", keep="none")
    with pytest.raises(SweepError, match="--resume"):
        run_sweep(load_sweep(file), tmp_path / "o")
    changed = write(tmp_path / "g.yaml", {**GRID, "parameters": {"seed": [1, 3]}})
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(load_sweep(changed), tmp_path / "o", resume=True)


def test_pareto_front_on_a_hand_checked_set():
    # minimise cost, maximise flops
    points = np.array(
        [
            [1.0, 1.0],  # front: cheapest
            [2.0, 3.0],  # front
            [2.0, 2.0],  # dominated by the one above (same cost, fewer flops)
            [3.0, 3.0],  # dominated by [2, 3]
            [4.0, 5.0],  # front: most flops
            [5.0, 4.0],  # dominated by [4, 5]
            [2.0, 3.0],  # a tie with a front point: neither dominates
            [np.nan, 9.0],  # incomplete: never on the front
        ]
    )
    front = pareto_front(points, ["minimise", "maximise"])
    assert front.tolist() == [True, True, False, False, True, False, True, False]
    assert pareto_front(points[:, :1], ["minimise"]).tolist() == [True] + [False] * 7


def test_split_run_gives_the_tables_of_the_single_process_run(tmp_path, cluster):
    scenario = load_scenario("demo", FAST)
    whole = simulate(scenario, out=tmp_path / "whole", save=["ephemeris"])
    split = split_run(scenario, tmp_path / "split", blocks=3, save=["ephemeris"])
    assert split.tables == whole.tables
    for name in whole.tables:
        assert split.table(name).equals(whole.table(name)), name
    s, w = split.summary, whole.summary
    assert s["satellites"] == w["satellites"] and s["contacts"] == w["contacts"]
    assert s["eclipses"] == w["eclipses"] and s["ground_stations"] == w["ground_stations"]
    assert s["contact_hours"] == pytest.approx(w["contact_hours"], abs=2e-4)
    for a, b in zip(s["constellations"], w["constellations"], strict=True):
        assert a["shadow_fraction"] == pytest.approx(b["shadow_fraction"], abs=2e-6)
    assert not list(tmp_path.glob("tmp*")) and not list(tmp_path.glob(".*"))


def test_merge_summaries_rules():
    """Each figure by its own rule: counts and hours summed, per-satellite means weighted by the
    group's satellites in each block (a block without the group has no say), the largest
    balance error; a group may appear in some blocks only."""
    def physics(name, satellites, compute_w, error):
        return {"name": name, "satellites": satellites, "mean_compute_w": compute_w,
                "energy_balance_error": error, "throttled_hours": 0.5}

    parts = [
        {"name": "x", "satellites": 1, "contact_hours": 1.5, "contacts": 2,
         "constellations": [{"name": "a", "satellites": 1, "shadow_fraction": 0.2},
                            {"name": "b", "satellites": 0, "shadow_fraction": None}],
         "physics": {"power_rows": "per orbit", "constellations": [physics("a", 1, 100.0, 0.0)]}},
        {"name": "x", "satellites": 3, "contact_hours": 2.0, "contacts": 5,
         "constellations": [{"name": "a", "satellites": 1, "shadow_fraction": 0.6},
                            {"name": "b", "satellites": 2, "shadow_fraction": 0.3}],
         "physics": {"power_rows": "per orbit", "constellations": [
             physics("a", 1, 300.0, 1e-9), physics("b", 2, 50.0, 0.0)]}},
    ]  # fmt: skip
    assert merge_summaries(parts) == {
        "name": "x",
        "satellites": 4,
        "contact_hours": 3.5,
        "contacts": 7,
        "constellations": [
            {"name": "a", "satellites": 2, "shadow_fraction": 0.4},
            {"name": "b", "satellites": 2, "shadow_fraction": 0.3},
        ],
        "physics": {
            "power_rows": "per orbit",
            "constellations": [
                {"name": "a", "satellites": 2, "mean_compute_w": 200.0,
                 "energy_balance_error": 1e-9, "throttled_hours": 1.0},
                physics("b", 2, 50.0, 0.0),
            ],
        },
    }  # fmt: skip
    parts[1]["max_t"] = parts[0]["max_t"] = 3  # a figure no rule names is never guessed
    with pytest.raises(SweepError, match="'max_t'"):
        merge_summaries(parts)


# A scenario with every per-satellite stage (satellite: gives power, heat and radiation) in two
# groups of unequal size, split into blocks that cut the first group and hold the second whole.
PHYSICS = {
    "name": "split-physics",
    "epoch": "2026-05-13T00:00:00Z",
    "duration": "1h",
    "step": "60s",
    "constellations": [
        {"name": "shell", "satellite": {"bus": "three-body"},
         "walker": {"satellites": 12, "planes": 3, "altitude_km": 550, "inclination_deg": 53}},
        {"name": "sso", "satellite": {"bus": "three-body"},
         "sun_synchronous": {"satellites": 4, "planes": 1, "altitude_km": 500, "ltan": "10:30"}},
    ],
    "ground_stations": [
        {"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.41, "min_elevation_deg": 5},
        {"name": "Quito", "lat_deg": -0.18, "lon_deg": -78.47, "min_elevation_deg": 10},
    ],
}  # fmt: skip


def blocks_merged(scenario, folder: Path, blocks: int) -> Run:
    """The split run's blocks run here, one after another, and merged as split_run merges them."""
    edges = np.linspace(0, len(build_fleet(scenario)), blocks + 1).round().astype(int)
    parts = [
        simulate(scenario, out=folder / f"b{k}", satellites=slice(int(a), int(b)))
        for k, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]
    return merge_runs(parts, scenario, folder / "merged")


def figures(summary: dict) -> dict:
    return dict(flatten(summary))


def test_split_run_summary_equals_the_single_run_for_every_figure(tmp_path):
    """The merge by name suffix summed per-satellite means: a run split in three had three
    times the single run's mean_compute_w, upsets_per_day and dose_rad_per_year. Every figure
    now equals the single run's to the precision summary.json keeps (each block rounds its
    figures: a sum or mean of three may differ by three units in the last place)."""
    file = write(tmp_path / "physics.yaml", PHYSICS)
    scenario = load_scenario(file)
    whole = simulate(scenario, out=tmp_path / "whole")
    merged = blocks_merged(scenario, tmp_path, 3)
    w, m = figures(whole.summary), figures(merged.summary)
    assert sorted(m) == sorted(w)
    for key, value in w.items():
        if isinstance(value, float):
            assert m[key] == pytest.approx(value, rel=3e-6, abs=3e-4), key
        else:
            assert m[key] == value, key
    for group in (0, 1):
        for figure in ("mean_compute_w", "upsets_per_day", "dose_rad_per_year"):
            key = f"physics.constellations.{group}.{figure}"
            assert w[key] > 0 and m[key] == pytest.approx(w[key], rel=1e-4), key
    for name in whole.tables:
        assert merged.table(name).equals(whole.table(name)), name


def test_split_run_draws_the_single_runs_radiation_events(tmp_path):
    """The known bug, mended: physics drew radiation events per step over the run's satellites,
    so a block drew others than the whole fleet. Draws keyed by (step, satellite) give the
    single run's events. Cross-sections a thousand times the catalogue's, so that there are."""
    data = {**PHYSICS, "catalog": {"accelerators": {"three-body-744tops": {
        "sdc_cross_section_cm2": 1e-4, "uecc_cross_section_cm2": 3e-5,
        "sefi_cross_section_cm2": 1e-5}}}}
    scenario = load_scenario(write(tmp_path / "physics.yaml", data))
    whole = simulate(scenario, out=tmp_path / "whole")
    merged = blocks_merged(scenario, tmp_path, 3)
    events = whole.table("radiation")
    assert events.num_rows >= 20 and set(events["error"].to_pylist()) == {"sdc", "uecc", "sefi"}
    assert merged.table("radiation").equals(events)
    counts = [[c["radiation_events"] for c in run.summary["physics"]["constellations"]]
              for run in (whole, merged)]
    assert counts[0] == counts[1]


def test_split_run_of_links_and_a_workload_equals_the_single_run(tmp_path, cluster):
    """A scenario with satellite:, isl: and a workload: its links and jobs span the fleet, so
    split_run runs it as one block, and the merged run is the single run, figure for figure."""
    data = {
        **PHYSICS,
        "constellations": [
            {"name": "plane", "satellite": {"bus": "three-body"},
             "sun_synchronous": {"satellites": 6, "planes": 1, "altitude_km": 500,
                                 "ltan": "10:30"},
             "isl": {"topology": "nearest", "nearest": 2,
                     "terminal": {"channels": 1, "channel_rate_bps": 1e11, "tx_power_w": 10}}},
        ],
        "workload": {"policy": "first-fit",
                     "generators": [{"kind": "inference", "rate_per_h": 60, "precision": "int8",
                                     "parameters": 1.24e8, "tokens": 1e6}]},
    }  # fmt: skip
    scenario = load_scenario(write(tmp_path / "links.yaml", data))
    assert whole_fleet_keys(scenario) == ["constellations.0.isl", "workload"]
    whole = simulate(scenario, out=tmp_path / "whole")
    assert whole.summary["ops"]["jobs"] > 0 and whole.summary["network"]
    split = split_run(scenario, tmp_path / "split", blocks=3)
    assert split.summary == whole.summary
    assert split.tables == whole.tables
    for name in whole.tables:
        assert split.table(name).equals(whole.table(name)), name


def test_cli_sweep_and_report(tmp_path, cluster):
    file = write(tmp_path / "g.yaml", GRID)
    runner = CliRunner()
    result = runner.invoke(
        app, ["sweep", str(file), "--out", str(tmp_path / "o"), "--keep", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "4 points done, 0 failed" in result.output
    result = runner.invoke(app, ["sweep-report", str(tmp_path / "o" / "sweep.duckdb")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "o" / "sweep-report.html").read_text()
    assert "Pareto front: maximise contact_hours, minimise constellations.1.shadow_fraction" in html
    assert "contact_hours: time in contact, sum over all satellites [h]" in html
    assert "constellations.0.walker.altitude_km [km]" in html
    assert "constellations.1.shadow_fraction: time in shadow, mean per satellite [fraction, 0-1]" \
        in html
    assert "<script src=" not in html and "plotly" in html.lower()  # self-contained
    report = write_sweep_report(tmp_path / "o" / "sweep.duckdb", tmp_path / "r.html")
    assert report.read_text() == html
    bad = runner.invoke(app, ["sweep-report", str(tmp_path / "missing.duckdb")])
    assert bad.exit_code == 2 and "file not found" in bad.output
