"""The event stream: WebSocket /v1/events with ?after= replay, and the client's iterator."""

import json

from live_support import JOB, wait_for
from websockets.sync.client import connect

from orbitgrid.live import Client


def _ws(server, key, after=0):
    url = server.url.replace("http", "ws", 1)
    return connect(f"{url}/v1/events?after={after}",
                   additional_headers={"Authorization": f"Bearer {key}"}, open_timeout=10)


def _read(ws, n, timeout=30):
    return [json.loads(ws.recv(timeout=timeout)) for _ in range(n)]


def test_events_carry_job_changes_and_replay_after_an_id(server, key, http):
    job = http.post("/v1/jobs", json=JOB).json()
    wait_for(lambda: http.get(f"/v1/jobs/{job['id']}").json()["state"] == "done")
    with _ws(server, key) as ws:
        seen = []
        while not any(e.get("job") == job["id"] and e.get("state") == "done" for e in seen):
            seen += _read(ws, 1)
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    mine = [e["state"] for e in seen if e.get("job") == job["id"]]
    assert mine[0] == "queued" and mine[-1] == "done" and "running" in mine
    kinds = {e["type"] for e in seen}
    assert "job" in kinds
    assert kinds - {"job"} <= {"eclipse_in", "eclipse_out", "contact_start", "contact_end",
                                "upset", "interrupt"}
    for e in seen:
        assert e["twin_time"].startswith("2026-06-2")
    # replay from the middle: exactly the events after that id, in order
    middle = ids[len(ids) // 2]
    with _ws(server, key, after=middle) as ws:
        again = _read(ws, len([i for i in ids if i > middle]))
    assert [e["id"] for e in again] == [i for i in ids if i > middle]
    assert again == [e for e in seen if e["id"] > middle]


def test_satellite_events_arrive_as_the_clock_passes_them(server, key):
    # the plane is eclipsed every ~95 min orbit; at speed 600 that is every ~9.5 s of wall time
    with _ws(server, key) as ws:
        kinds = set()
        while not {"eclipse_in", "eclipse_out"} <= kinds:
            kinds.add(_read(ws, 1)[0]["type"])


def test_another_tenants_job_events_are_not_sent(server, keyed, key, http):
    other = keyed[1].pop()
    job = http.post("/v1/jobs", json=JOB).json()
    wait_for(lambda: http.get(f"/v1/jobs/{job['id']}").json()["state"] == "done")
    with Client(server.url, other) as c:
        for e in c.events(after=0, idle_timeout_s=1.0):
            assert e.get("job") != job["id"]


def test_no_key_is_refused(server):
    with Client(server.url, "og_wrong") as c:
        try:
            next(c.events())
        except Exception as exc:  # the client raises LiveError 401
            assert "401" in str(exc)
        else:
            raise AssertionError("events without a valid key")


def test_client_events_reconnect_after_a_crash_and_miss_none(scenario_file, tmp_path):
    import threading

    from live_support import EPOCH, LiveServer

    s = LiveServer(scenario_file, tmp_path / "state").start(EPOCH)  # anonymous
    got: list[dict] = []
    stop = threading.Event()

    def watch():
        with Client(s.url) as c:
            for e in c.events(after=0):
                got.append(e)
                if stop.is_set():
                    return

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    try:
        wait_for(lambda: len(got) >= 5)
        s.kill()
        before = got[-1]["id"]
        s.start()  # same port and state: the iterator reconnects with after=
        wait_for(lambda: got[-1]["id"] > before + 5, timeout_s=60)
        stop.set()
        ids = [e["id"] for e in got]
        assert ids == sorted(set(ids))  # in order, none twice
        again = []
        with Client(s.url) as c:
            for e in c.events(after=0, reconnect=False, idle_timeout_s=10.0):
                again.append(e["id"])
                if e["id"] >= ids[-1]:
                    break
        assert again == ids  # none missed
    finally:
        stop.set()
        s.stop()
