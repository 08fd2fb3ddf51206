"""Restart after SIGKILL: a running job continues from its last checkpoint (not from zero, not
from the end), and /v1/satellites shows physics' battery and radiator state."""

import math
import time

import httpx
from live_support import EPOCH, SCENARIO, LiveServer, wait_for

# NVIDIA H100 SXM5 dense BF16 peak, 989.4 TFLOPS (NVIDIA H100 Tensor Core GPU datasheet); the
# starcloud-1 bus carries one
H100_BF16_FLOP_S = 989.4e12
CHECKPOINT_S = 600.0  # the scenario's checkpoint_interval: a checkpoint every 600 s of compute
QUANTUM_FLOP = CHECKPOINT_S * H100_BF16_FLOP_S  # work one checkpoint interval keeps
WORK_FLOP = 200 * QUANTUM_FLOP  # ~33 h of one H100: still running when killed


def test_a_running_job_resumes_from_its_last_checkpoint_after_sigkill(tmp_path):
    path = tmp_path / "checkpointing.yaml"
    path.write_text(SCENARIO.replace("workload: {policy: first-fit}",
                                     "workload: {policy: first-fit, checkpoint_interval: 600s}"))
    s = LiveServer(path, tmp_path / "state", speed=600.0)
    s.start(EPOCH)
    try:
        with httpx.Client(base_url=s.url, timeout=5) as http:
            job = http.post("/v1/jobs", json={"kind": "training", "work_flop": WORK_FLOP,
                                              "checkpoint_bytes": 1e9}).json()["id"]
            seen = wait_for(lambda: (c := http.get(f"/v1/jobs/{job}").json()["checkpoint_flop"])
                            >= 3 * QUANTUM_FLOP and c, timeout_s=60)
            assert http.get(f"/v1/jobs/{job}").json()["state"] == "running"
        s.kill()
        s.start()  # resume
        with httpx.Client(base_url=s.url, timeout=5) as http:
            def resumed():
                h = http.get(f"/v1/jobs/{job}").json()["history"]
                return next((e["resumed_flop"] for e in h if e["resumed_flop"] is not None),
                            None)

            work = wait_for(resumed, timeout_s=30)
            # the last checkpoint recorded before the kill: whole checkpoint intervals of work,
            # at least those seen, less than all of it
            assert seen <= work < WORK_FLOP
            assert math.isclose(work / QUANTUM_FLOP, round(work / QUANTUM_FLOP), rel_tol=1e-6)
            # and it computes on from there: later checkpoints grow past it
            wait_for(lambda: http.get(f"/v1/jobs/{job}").json()["checkpoint_flop"]
                     >= work + 2 * QUANTUM_FLOP, timeout_s=60)
            states = [e["state"] for e in http.get(f"/v1/jobs/{job}").json()["history"]]
            assert states.count("queued") == 2 and states[-1] == "running", states
    finally:
        s.stop()


def test_satellites_show_physics_battery_and_radiator(server, http):
    sats = wait_for(lambda: (r := http.get("/v1/satellites").json()["satellites"])
                    and all(x["battery_wh"] is not None for x in r) and r)
    for x in sats:
        # within the starcloud-1 bus's 1,000 Wh battery (catalog/buses.yaml, the scenario's
        # input) and a radiator between deep space and boiling water
        assert 0 < x["battery_wh"] <= 1000 and 150 < x["radiator_temp_k"] < 373, x
    time.sleep(0.5)
    again = {x["name"]: x for x in http.get("/v1/satellites").json()["satellites"]}
    assert any(again[x["name"]]["battery_wh"] != x["battery_wh"]
               or again[x["name"]]["radiator_temp_k"] != x["radiator_temp_k"] for x in sats)
