"""One engine: the same arrivals submitted through the API at a high speed give the same
placements and completion times (within one clock tick) as `orbitgrid run` with them in a
jobs_file."""

import csv
from datetime import datetime

import httpx
import pyarrow.parquet as pq
from live_support import EPOCH, LiveServer, orbitgrid, wait_for

SPEED = 3600.0
TICK_TWIN_S = 0.05 * SPEED  # the tick thread's period (twin.Twin tick_s) at this speed


def _s(iso) -> float:
    t = iso if isinstance(iso, datetime) else datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (t - datetime.fromisoformat(EPOCH.replace("Z", "+00:00"))).total_seconds()


def test_live_placements_match_a_batch_run(scenario_file, tmp_path):
    s = LiveServer(scenario_file, tmp_path / "state", speed=SPEED).start(EPOCH)
    works = [3e17, 1e17, 8e17, 2e17, 5e17, 1e17, 4e17, 6e17, 2e17, 7e17]
    try:
        with httpx.Client(base_url=s.url, timeout=30) as http:
            ids = [http.post("/v1/jobs", json={"kind": "batch", "work_flop": w,
                                                "priority": k % 3}).json()["id"]
                   for k, w in enumerate(works)]
            live = wait_for(lambda: (jobs := [http.get(f"/v1/jobs/{i}").json() for i in ids])
                            and all(j["state"] == "done" for j in jobs) and jobs, timeout_s=90)
    finally:
        s.stop()
    jobs_csv = tmp_path / "jobs.csv"
    with jobs_csv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "kind", "work_flop", "arrival", "priority"])
        for j in live:
            w.writerow([j["id"], "batch", j["spec"]["work_flop"], j["submitted"],
                        j["spec"]["priority"]])
    batch_yaml = tmp_path / "batch.yaml"
    batch_yaml.write_text(scenario_file.read_text() + f"jobs_file: {jobs_csv}\n")
    r = orbitgrid("run", str(batch_yaml), "--out", str(tmp_path / "run"), "--duration", "1d")
    assert r.returncode == 0, r.stderr
    table = pq.read_table(tmp_path / "run" / "jobs.parquet").to_pylist()
    batch = {row["job"]: row for row in table}
    assert len(batch) == len(live)
    for j in live:
        b = batch[j["id"]]
        assert b["state"] == "done"
        assert b["satellites"].split(",") == j["satellites"], j["id"]
        assert abs(_s(b["start_time"]) - _s(j["start"])) <= TICK_TWIN_S, j["id"]
        assert abs(_s(b["end_time"]) - _s(j["end"])) <= TICK_TWIN_S, j["id"]
