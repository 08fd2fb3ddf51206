"""Crash: clients submit while the server is killed with SIGKILL and restarted, three times;
every job that got a 201 exists exactly once, none that got an error does, finished results
are unchanged, and the clock resumes from the twin time it had reached."""

import threading
import time
import uuid
from datetime import datetime

import httpx
from live_support import JOB, LiveServer

DOWN_S = 3.0


def _twin_s(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_sigkill_three_times_while_clients_submit(scenario_file, tmp_path):
    s = LiveServer(scenario_file, tmp_path / "state", speed=600.0)
    s.start("2026-06-21T00:00:00Z")
    created: dict[str, str] = {}  # idempotency key -> job id from its 201 (or the 200 retry)
    refused: list[str] = []  # keys answered with an error status
    stop = threading.Event()
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(base_url=s.url, timeout=5) as http:
            while not stop.is_set():
                key = uuid.uuid4().hex
                body = JOB if n % 2 else {"kind": "batch", "work_flop": -1}  # half are bad
                while not stop.is_set():
                    try:
                        r = http.post("/v1/jobs", json=body, headers={"Idempotency-Key": key})
                    except httpx.TransportError:
                        time.sleep(0.05)  # the server is down: retry with the same key
                        continue
                    with lock:
                        if r.status_code in (200, 201):
                            assert created.setdefault(key, r.json()["id"]) == r.json()["id"]
                        else:
                            refused.append(key)
                    break
                time.sleep(0.01)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    finished_before: dict[str, dict] = {}
    try:
        for _ in range(3):
            time.sleep(2.0)
            with httpx.Client(base_url=s.url, timeout=5) as http:
                jobs = _all_jobs(http)
                before = _twin_s(http.get("/v1/health").json()["twin_time"])
                w0 = time.time()
            finished_before.update({j["id"]: j for j in jobs if j["state"] == "done"})
            s.kill()
            time.sleep(DOWN_S)  # wall time passes while it is down: the clock must not count it
            s.start()  # no --start: resume
            with httpx.Client(base_url=s.url, timeout=5) as http:
                after = _twin_s(http.get("/v1/health").json()["twin_time"])
            wr = time.time()
            # resumed from the twin time reached, not from wall time: the downtime is missing
            assert before <= after < before + 600 * (wr - w0 - DOWN_S / 2), (before, after)
        time.sleep(1.0)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=30)
    try:
        with httpx.Client(base_url=s.url, timeout=10) as http:
            jobs = _all_jobs(http)
            ids = [j["id"] for j in jobs]
            assert len(ids) == len(set(ids))
            assert set(ids) == set(created.values())  # every 201 exactly once, nothing else
            assert len(created) > 20 and len(refused) > 20
            by_id = {j["id"]: j for j in jobs}
            for job_id, old in finished_before.items():
                new = by_id[job_id]
                assert (new["state"], new["start"], new["end"], new["satellites"],
                        new["result"]) == (old["state"], old["start"], old["end"],
                                           old["satellites"], old["result"])
            assert finished_before
    finally:
        s.stop()


def _all_jobs(http) -> list[dict]:
    out, after = [], None
    while True:
        page = http.get("/v1/jobs", params={"limit": 1000, **({"after": after} if after else {})})
        page = page.json()
        out += page["jobs"]
        after = page["next"]
        if after is None:
            return out
