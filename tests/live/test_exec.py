"""Real programs on the live twin (issue 14): real processes under the twin's sunlight,
battery, upsets and contacts, driven through the real server over HTTP."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest
from live_support import EPOCH, SCENARIO, LiveServer, wait_for

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


def start_service(folder, *options: str):
    """The service with the programs and two tenants, runner (--execute) and plain:
    (server, runner's key, plain's key)."""
    from orbitgrid.live.tenants import add_tenant

    for f in HERE.glob("*.py"):
        shutil.copy(f, folder / f.name)
    scenario = folder / "exec.yaml"
    scenario.write_text(SCENARIO + PROGRAMS)
    keys = folder / "keys.json"
    runner = add_tenant(keys, "runner", execute=True)
    plain = add_tenant(keys, "plain")
    os.environ["ORBITGRID_TEST_SECRET"] = "server-side secret"  # must not reach a program
    s = LiveServer(scenario, folder / "state", "--keys", str(keys), *options)
    s.start(EPOCH)
    return s, runner, plain


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s, runner, plain = start_service(tmp_path_factory.mktemp("exec"), "--workers", "8")
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
        r = http.post("/v1/jobs",
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
    # the scenario has no lasers: no ISL path links two of its satellites
    assert info["/path"]["blocked"] is True and info["/path"]["hops"] is None


def pauses_of(history: list[dict]) -> list[tuple[dict, dict | None]]:
    """(pause entry, the entry that let it run again or None), in order."""
    out, open_pause = [], None
    for h in history:
        if h["action"] == "pause" and open_pause is None:
            open_pause = h
        elif h["action"] in ("resume", "restart", "start") and open_pause is not None:
            out.append((open_pause, h))
            open_pause = None
    return out + ([(open_pause, None)] if open_pause else [])


def eclipses(server: LiveServer, key: str, satellite: str,
             until: str) -> list[tuple[str, str]]:
    """(in, out) twin times of the satellite's eclipses up to twin time until, from the event
    stream."""
    from orbitgrid.live import Client

    spans, start = [], None
    with Client(server.url, key) as c:
        for e in c.events(after=0, idle_timeout_s=10):
            if e["twin_time"] > until:
                break
            if e.get("satellite") != satellite:
                continue
            if e["type"] == "eclipse_in":
                start = e["twin_time"]
            elif e["type"] == "eclipse_out" and start is not None:
                spans.append((start, e["twin_time"]))
                start = None
    return spans + ([(start, "9999")] if start else [])


def assert_no_step_while_held(steps, history, slack_s: float = 0.05) -> int:
    """No step logged between a pause (plus slack) and what let the program run again."""
    held = pauses_of(history)
    for pause, go in held:
        t0, t1 = pause["wall_time"] + slack_s, go["wall_time"] if go else float("inf")
        inside = [s for s in steps if t0 < s[1] < t1]
        assert not inside, (pause, go, inside[:3])
    return len(held)


@pytest.mark.parametrize("program", ["count", "freeze"])
def test_no_step_runs_while_its_satellite_may_not_compute(service, program):
    """count (checkpoint: true) is stopped with SIGTERM and restarted from its checkpoint;
    freeze (checkpoint: false) is frozen with SIGSTOP and thawed: both where the battery is
    flat in eclipse (the starcloud-1 bus: 1 kWh at 50 % depth of discharge against a 700 W
    H100), both finish with every step counted once."""
    server, runner, _ = service
    with client(server, runner) as http:
        job = http.post("/v1/jobs", json={"program": program,
                                          "args": {"steps": 600, "step_s": 0.02}}).json()
        done = finished(http, job["id"], timeout_s=240)
        assert done["state"] == "done", done
        result = http.get(f"/v1/jobs/{job['id']}/output/result.json").json()
    assert result == {"n": 600, "total": 180300}  # 600 x 601 / 2
    steps = steps_of(server, job["id"])
    held = assert_no_step_while_held(steps, done["history"])
    assert held >= 1, done["history"]  # 12 s of steps at speed 600: two hours, an eclipse
    pauses = [p for p, _ in pauses_of(done["history"])]
    sat = pauses[0]["detail"]["satellite"] if pauses[0]["detail"] else done["satellites"][0]
    spans = eclipses(server, runner, sat, done["end"])
    for p in pauses:
        if p["detail"]["reason"].startswith("eclipse"):
            assert any(a <= p["twin_time"] <= b for a, b in spans), (p, spans)
    resumed = [h["action"] for h in done["history"] if h["action"] in ("resume", "restart")]
    assert resumed, done["history"]
    if program == "freeze":
        assert "resume" in resumed  # thawed where it was
        assert sorted({s[0] for s in steps}) == list(range(1, 601))
        if not any(h["action"] in ("upset", "interrupt") for h in done["history"]):
            assert len(steps) == 600  # frozen and thawed: no step done twice
    ex = done["execution"]
    assert ex["paused_wall_s"] > 0 and ex["running_wall_s"] >= 600 * 0.02
    assert ex["paused_twin_s"] == pytest.approx(ex["paused_wall_s"] * 600, rel=0.2)


def test_a_program_that_ignores_sigterm_is_killed_after_grace(service):
    server, runner, _ = service
    with client(server, runner) as http:
        job = http.post("/v1/jobs", json={"program": "stubborn", "args": {
            "steps": 600, "step_s": 0.02, "every": 5, "ignore_term": True}}).json()
        done = finished(http, job["id"], timeout_s=240)
        assert done["state"] == "done", done
        result = http.get(f"/v1/jobs/{job['id']}/output/result.json").json()
    assert result == {"n": 600, "total": 180300}
    steps = steps_of(server, job["id"])
    held = pauses_of(done["history"])
    assert held
    for pause, go in held:
        if go is None:
            continue
        # it went on stepping through its grace (0.3 s), never past it (plus a tick, 50 ms)
        after = [s for s in steps if pause["wall_time"] < s[1] < go["wall_time"]]
        assert after, (pause, go)
        assert max(s[1] for s in after) < pause["wall_time"] + 0.3 + 0.15
        # and started again from its previous checkpoint: the next step is one past a
        # multiple of 5 (every), at or before the last step it logged
        last = max(s[0] for s in after)
        nxt = next((s for s in steps if s[1] >= go["wall_time"]), None)
        if nxt is None:  # it had finished its last step within its grace
            assert last == 600
            continue
        assert (nxt[0] - 1) % 5 == 0 and nxt[0] - 1 <= last, (last, nxt)
