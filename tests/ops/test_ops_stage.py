"""The Operations stage in a run: determinism, invariants, and bad input through the CLI."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
import yaml

from orbitgrid.scenario import validate_scenario
from orbitgrid.simulation import simulate

SCENARIO = {
    "name": "ops",
    "epoch": "2026-06-21T00:00:00Z",
    "duration": "4h",
    "step": "60s",
    "seed": 7,
    "constellations": [{
        "name": "gpus",  # a morning sun-synchronous plane of H100 satellites, eclipsed every orbit
        "sun_synchronous": {"satellites": 6, "altitude_km": 500, "ltan": "10:30"},
        "satellite": {"bus": "starcloud-1"},
        "isl": {"topology": "plus-grid"},
    }],
    "ground_stations": [{"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.41,
                         "min_elevation_deg": 10}],
    "workload": {
        "policy": "first-fit,follow-the-sun",
        "generators": [
            {"kind": "inference", "rate_per_h": 300, "parameters": 7e9, "tokens": 5e5,
             "deadline": "20min", "output_bytes": 1e6},
            {"kind": "sensing", "rate_per_h": 60, "output_bytes": 1e5},
            {"kind": "training", "arrivals": "once", "parameters": 1e8, "tokens": 1e10,
             "satellites": 3},
        ],
    },
}


def _run(path, save=(), **changes):
    return simulate(validate_scenario({**SCENARIO, **changes}), out=path, save=save)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("ops") / "run", save=("power",))


def test_same_scenario_and_seed_give_identical_tables(run, tmp_path):
    again = _run(tmp_path / "again", save=("power",))
    for name in ("jobs", "schedule"):
        assert (run.path / f"{name}.parquet").read_bytes() == \
            (again.path / f"{name}.parquet").read_bytes(), name


def test_tables_and_summary(run):
    jobs = run.table("jobs")
    assert jobs.column_names == ["policy", "job", "kind", "arrival", "start", "end",
                                 "satellites", "state", "energy_j", "bytes_moved", "rollbacks",
                                 "migrations", "deadline_met"]
    ops = run.summary["ops"]
    assert [p["policy"] for p in ops["policies"]] == ["first-fit", "follow-the-sun"]
    assert ops["completed"] > 100
    steps = [w["step"] for w in ops["waterfall"]]
    assert steps[0] == "peak" and steps[-1] == "delivered to jobs"
    # the waterfall adds up: peak minus every loss is what was delivered
    total = sum(w["flop"] for w in ops["waterfall"][:-1])
    assert total == pytest.approx(ops["waterfall"][-1]["flop"], rel=1e-5)  # 6 digits each
    # on the ground (no eclipse, no upsets, data at hand) the same jobs do at least as well
    base = ops["ground_baseline"]
    assert base["completed"] >= ops["completed"]
    assert base["completion_p99_s"] <= ops["completion_p99_s"]
    assert ops["binding_constraints"][0]["binding"] in ("power", "heat", "idle",
                                                       "data_and_links", "faults_and_recovery")


def _intervals(table, key):
    out = {}
    for k, s, e in zip(table.column(key).to_pylist(), table.column("start").to_numpy(),
                       table.column("end").to_numpy(), strict=True):
        out.setdefault(k, set()).add((s, e))
    return out


def test_no_satellite_runs_two_jobs_and_no_job_is_in_two_places(run):
    schedule = run.table("schedule")
    for policy in ("first-fit", "follow-the-sun"):
        rows = schedule.filter(pc.equal(schedule.column("policy"), policy))
        for key in ("satellite", "job"):
            for spans in _intervals(rows, key).values():
                spans = sorted(spans)
                for (_, e0), (s1, _) in zip(spans[:-1], spans[1:], strict=True):
                    assert s1 >= e0, (policy, key)


def test_jobs_never_draw_more_than_physics_allows(run):
    # energy of each job <= the compute power allowed integrated over its intervals
    power = run.table("power")
    t = power.column("time").cast("int64").to_numpy() / 1e3
    names = np.asarray(power.column("satellite").to_pylist())
    watts = power.column("compute_w_allowed").to_numpy()
    allowed = {n: (t[names == n], watts[names == n]) for n in set(names.tolist())}
    budget = {}
    schedule = run.table("schedule")
    ms = {c: schedule.column(c).cast("int64").to_numpy() / 1e3 for c in ("start", "end")}
    for policy, job, sat, s, e in zip(schedule.column("policy").to_pylist(),
                                      schedule.column("job").to_pylist(),
                                      schedule.column("satellite").to_pylist(),
                                      ms["start"], ms["end"], strict=True):
        ts, w = allowed[sat]
        inside = (ts + 60 > s) & (ts < e)  # steps touching the interval
        budget[policy, job] = budget.get((policy, job), 0.0) + float((w[inside] * 60).sum())
    jobs = run.table("jobs")
    for key, energy in zip(zip(jobs.column("policy").to_pylist(), jobs.column("job").to_pylist(),
                               strict=True), jobs.column("energy_j").to_numpy(), strict=True):
        assert energy <= budget.get(key, 0.0) * (1 + 1e-9) + 1e-6, key
    assert jobs.column("energy_j").to_numpy().sum() > 0


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "orbitgrid.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(Path(__file__).parent), "PATH": "/usr/bin"})


@pytest.mark.parametrize(("change", "message"), [
    ({"workload": {"policy": "fastest"}}, "workload.policy: unknown policy 'fastest'"),
    ({"jobs_file": "jobs.csv"}, "jobs.csv:3: work_flop: expected a non-negative number, got 'x'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, change, message):
    (tmp_path / "jobs.csv").write_text("id,kind,work_flop,arrival\na,batch,1e12,0\nb,batch,x,0\n")
    scenario = {**SCENARIO, "duration": "10min", **change}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    proc = _cli("run", "s.yaml", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_compares_policies_side_by_side(tmp_path):
    scenario = {**SCENARIO, "duration": "30min"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    proc = _cli("run", "s.yaml", "--out", "out", "--policy", "edf,ops_user_policy:LastFree",
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "edf" in line)
    assert header.split() == ["edf", "last-free"]
    assert "binding constraint" in proc.stdout
