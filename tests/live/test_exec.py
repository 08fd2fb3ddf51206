"""Real programs on the live twin (issue 14): real processes under the twin's sunlight,
battery, upsets and contacts, driven through the real server over HTTP."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import EPOCH, SCENARIO, LiveServer, wait_for

HERE = Path(__file__).parent / "programs"
PROGRAMS = """\
programs:
  count: {command: [python, count.py], checkpoint: true, grace: 1s}
  freeze: {command: [python, count.py], checkpoint: false}
  stubborn: {command: [python, count.py], checkpoint: true, grace: 0.3s}
  env: {command: [python, env.py], limits: {cpu_s: 120, open_files: 64, processes: 512,
                                            memory_bytes: 2e9}}
  hog: {command: [python, count.py], limits: {memory_bytes: 400e6}}
  info: {command: [python, info.py]}
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The service with the programs, and two tenants: runner (--execute) and plain."""
    from orbitgrid.live.tenants import add_tenant

    folder = tmp_path_factory.mktemp("exec")
    for f in HERE.glob("*.py"):
        shutil.copy(f, folder / f.name)
    scenario = folder / "exec.yaml"
    scenario.write_text(SCENARIO + PROGRAMS)
    keys = folder / "keys.json"
    runner = add_tenant(keys, "runner", execute=True)
    plain = add_tenant(keys, "plain")
    os.environ["ORBITGRID_TEST_SECRET"] = "server-side secret"  # must not reach a program
    s = LiveServer(scenario, folder / "state", "--keys", str(keys), "--workers", "8")
    s.start(EPOCH)
    yield s, runner, plain
    s.stop()
    del os.environ["ORBITGRID_TEST_SECRET"]


def client(server: LiveServer, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30,
                        headers={"Authorization": f"Bearer {key}"})


def finished(http: httpx.Client, job_id: str, timeout_s: float = 120.0) -> dict:
    return wait_for(lambda: (j := http.get(f"/v1/jobs/{job_id}").json())["state"]
                    in ("done", "failed", "cancelled") and j, timeout_s)


def steps_of(server: LiveServer, job_id: str) -> list[tuple[int, float, str]]:
    text = (server.state / "jobs" / job_id / "output" / "steps.log").read_text()
    return [(int(a), float(b), c) for a, b, c in (line.split() for line in text.splitlines())]


def test_a_tenant_without_execute_gets_403_and_an_unknown_program_422(service):
    server, runner, plain = service
    with client(server, plain) as http:
        r = http.post("/v1/jobs", json={"program": "count", "args": {"steps": 3}})
        assert r.status_code == 403 and "--execute" in r.json()["detail"]
    with client(server, runner) as http:
        r = http.post("/v1/jobs", json={"program": "rm-rf", "args": {}})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "program"]
        r = http.post("/v1/jobs", json={"args": {}})  # neither a program nor a model
        assert r.status_code == 422 and "kind" in r.json()["detail"][0]["loc"]


def test_a_program_runs_to_done_and_its_output_comes_down(service):
    server, runner, _ = service
    with client(server, runner) as http:
        job = http.post("/v1/jobs", json={"program": "count",
                                          "args": {"steps": 20, "step_s": 0.01}}).json()
        done = finished(http, job["id"])
        assert done["state"] == "done", done
        actions = [h["action"] for h in done["history"] if h["action"]]
        assert actions[0] == "start" and "exited" in actions
        files = http.get(f"/v1/jobs/{job['id']}/output").json()["files"]
        assert {f["name"] for f in files} == {"steps.log", "result.json"}
        result = http.get(f"/v1/jobs/{job['id']}/output/result.json").json()
        assert result == {"n": 20, "total": 210}  # 1 + 2 + ... + 20
        assert done["execution"]["running_wall_s"] > 0.2  # 20 steps of 10 ms at least
        assert done["result"]["execution"]["exit_code"] == 0


def test_output_names_outside_the_output_are_refused(service):
    server, runner, _ = service
    with client(server, runner) as http:
        job = http.post("/v1/jobs", json={"program": "count", "args": {"steps": 1}}).json()
        finished(http, job["id"])
        for name in ("..%2Fargs.json", "../args.json", "..%2F..%2Flive.sqlite",
                     "%2Fetc%2Fpasswd", "a/../../args.json"):
            r = http.get(f"/v1/jobs/{job['id']}/output/{name}")
            assert r.status_code in (404, 422), (name, r.status_code)
            assert "SQLite format" not in r.text and "root:x" not in r.text
        r = http.get(f"/v1/jobs/{job['id']}/output/..%2Fargs.json")
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "name"]


def test_environment_is_clean_limits_applied_and_inputs_arrive(service):
    server, runner, _ = service
    with client(server, runner) as http:
        r = http.post("/v1/jobs/with-inputs",
                      data={"job": json.dumps({"program": "env", "args": {"x": [1, 2]}})},
                      files=[("files", ("a.txt", b"hello")), ("files", ("b.bin", b"\0" * 1000))])
        assert r.status_code == 201, r.text
        job = r.json()
        assert job["spec"]["input_bytes"] == 1005
        done = finished(http, job["id"])
        assert done["state"] == "done", done
        seen = http.get(f"/v1/jobs/{job['id']}/output/env.json").json()
    env = seen["env"]
    assert "ORBITGRID_TEST_SECRET" not in env
    assert set(env) <= {"PATH", "HOME", "LANG", "ORBITGRID_JOB_ID", "ORBITGRID_SATELLITE",
                        "ORBITGRID_ARGS", "ORBITGRID_INPUT_DIR", "ORBITGRID_CHECKPOINT_DIR",
                        "ORBITGRID_OUTPUT_DIR", "ORBITGRID_INFO_URL", "LC_CTYPE"}
    assert env["ORBITGRID_JOB_ID"] == job["id"]
    assert json.loads(env["ORBITGRID_ARGS"]) == {"x": [1, 2]} == seen["args_file"]
    assert env["ORBITGRID_SATELLITE"].startswith("gpus")
    assert seen["inputs"] == ["a.txt", "b.bin"]
    assert seen["limits"] == {"RLIMIT_CPU": 120, "RLIMIT_AS": 2_000_000_000,
                              "RLIMIT_NOFILE": 64, "RLIMIT_NPROC": 512}
    assert Path(seen["cwd"]) == (server.state / "jobs" / job["id"]).resolve()


def test_a_program_past_its_memory_limit_fails_alone(service):
    server, runner, _ = service
    with client(server, runner) as http:
        hog = http.post("/v1/jobs", json={"program": "hog",
                                          "args": {"steps": 1, "allocate_mb": 1000}}).json()
        ok = http.post("/v1/jobs", json={"program": "count", "args": {"steps": 5}}).json()
        failed = finished(http, hog["id"])
        assert failed["state"] == "failed" and failed["result"]["exit_code"] != 0
        assert finished(http, ok["id"])["state"] == "done"
        assert "MemoryError" in (server.state / "jobs" / hog["id"] / "log.txt").read_text()
        assert http.get("/v1/health").json()["status"] == "ok"


def test_info_api_answers_about_the_programs_own_satellite(service):
    server, runner, _ = service
    with client(server, runner) as http:
        job = http.post("/v1/jobs", json={"program": "info", "args": {}}).json()
        done = finished(http, job["id"])
        assert done["state"] == "done", done
        info = http.get(f"/v1/jobs/{job['id']}/output/info.json").json()
    me = info["/self"]
    assert me["job"] == job["id"] and me["name"] == done["satellites"][0]
    # a 500 km orbit (the scenario's altitude_km)
    assert 480 < me["position"]["alt_km"] < 520
    assert me["compute_w_allowed"] > 0  # it ran: its satellite could compute
    assert info["/info"]["shells"] == [{"shell": 0, "name": "gpus", "sats": 4}]
    assert info["/info"]["groundstations"] == [{"name": "Svalbard"}]
    assert info["/shell"]["name"] == me["name"]
