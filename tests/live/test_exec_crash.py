"""A program job across a SIGKILL of the service: the restarted service ends the process the
dead one left running, restarts the program from its checkpoint, and every step is counted."""

from __future__ import annotations

import os
import shutil

import httpx
from live_support import EPOCH, SCENARIO, LiveServer, wait_for
from test_exec import HERE, finished


def test_a_program_survives_a_killed_service_exactly_once(tmp_path):
    from orbitgrid.live.tenants import add_tenant

    shutil.copy(HERE / "count.py", tmp_path / "count.py")
    (tmp_path / "s.yaml").write_text(SCENARIO + "programs:\n  count: {command: [python, "
                                     "count.py], checkpoint: true, grace: 1s}\n")
    key = add_tenant(tmp_path / "keys.json", "runner", execute=True)
    server = LiveServer(tmp_path / "s.yaml", tmp_path / "state", "--keys",
                        str(tmp_path / "keys.json")).start(EPOCH)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        job = httpx.post(f"{server.url}/v1/jobs", headers=headers, timeout=30, json={
            "program": "count", "args": {"steps": 1500, "step_s": 0.02}}).json()
        folder = tmp_path / "state" / "jobs" / job["id"]
        log = folder / "output" / "steps.log"
        wait_for(lambda: log.exists() and len(log.read_text().splitlines()) > 20)
        orphan = int((folder / "pid").read_text())
        server.kill()
        os.kill(orphan, 0)  # the program outlives the service (its own session)
        server.start()  # resume from the state folder
        wait_for(lambda: not os.path.exists(f"/proc/{orphan}/cwd")
                 or os.readlink(f"/proc/{orphan}/cwd") != str(folder), timeout_s=10)
        # (left alone it would step on for 25 s more, beside the restarted program)
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as http:
            done = finished(http, job["id"], timeout_s=240)
            assert done["state"] == "done", done
            result = http.get(f"/v1/jobs/{job['id']}/output/result.json").json()
    finally:
        server.stop()
    assert result == {"n": 1500, "total": 1125750}  # 1500 x 1501 / 2
