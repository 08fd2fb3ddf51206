"""Tenants and keys, and the command line's bad input (one line, exit 2)."""

import hashlib
import json
import socket

import httpx
from live_support import EPOCH, JOB, LiveServer, orbitgrid


def test_keys_add_prints_the_key_once_and_stores_only_its_hash(tmp_path):
    keys = tmp_path / "keys.json"
    r = orbitgrid("keys", "add", "alice", "--keys", str(keys), "--max-queued", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert len(key) >= 40
    text = keys.read_text()
    assert key not in text
    stored = json.loads(text)["tenants"]["alice"]
    assert stored["key_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["max_queued"] == 3
    again = orbitgrid("keys", "add", "alice", "--keys", str(keys))
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "alice" in again.stderr and "exists" in again.stderr


def test_no_key_wrong_key_other_tenant_and_quota(server, keyed):
    url = server.url
    a, b = keyed[1].pop(), keyed[1].pop()
    assert httpx.get(f"{url}/v1/jobs").status_code == 401
    assert httpx.post(f"{url}/v1/jobs", json=JOB).status_code == 401
    wrong = {"Authorization": "Bearer og_not-a-key"}
    assert httpx.get(f"{url}/v1/jobs", headers=wrong).status_code == 401
    assert httpx.get(f"{url}/v1/satellites", headers=wrong).status_code == 401
    ha, hb = ({"Authorization": f"Bearer {k}"} for k in (a, b))
    job = httpx.post(f"{url}/v1/jobs", json=JOB, headers=ha).json()
    assert httpx.get(f"{url}/v1/jobs/{job['id']}", headers=hb).status_code == 404
    assert httpx.delete(f"{url}/v1/jobs/{job['id']}", headers=hb).status_code == 404
    assert httpx.get(f"{url}/v1/jobs", headers=hb).json()["jobs"] == []
    assert httpx.get(f"{url}/v1/jobs/{job['id']}", headers=ha).status_code == 200
    # the same idempotency key from another tenant is another job
    k = {"Idempotency-Key": "same"}
    ja = httpx.post(f"{url}/v1/jobs", json=JOB, headers={**ha, **k}).json()
    jb = httpx.post(f"{url}/v1/jobs", json=JOB, headers={**hb, **k}).json()
    assert ja["id"] != jb["id"]


def test_quota_answers_429_with_retry_after(scenario_file, tmp_path):
    from orbitgrid.live.tenants import add_tenant

    keys = tmp_path / "keys.json"
    key = add_tenant(keys, "small", max_queued=2)
    s = LiveServer(scenario_file, tmp_path / "state", "--keys", str(keys), speed=1.0)
    s.start(EPOCH)
    try:
        h = {"Authorization": f"Bearer {key}"}
        # 4 satellites busy for days, then two waiting: the quota
        codes = [httpx.post(f"{s.url}/v1/jobs", json={**JOB, "work_flop": 1e22},
                            headers=h).status_code for _ in range(4)]
        assert codes == [201] * 4
        for _ in range(100):  # until the engine has placed them (one tick)
            if httpx.get(f"{s.url}/v1/jobs", params={"state": "queued"},
                         headers=h).json()["jobs"] == []:
                break
        codes = [httpx.post(f"{s.url}/v1/jobs", json=JOB, headers=h) for _ in range(3)]
        assert [r.status_code for r in codes] == [201, 201, 429]
        assert int(codes[2].headers["Retry-After"]) >= 1
        assert "max_queued" in codes[2].json()["detail"]
    finally:
        s.stop()


def one_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_bad_input_is_one_line_and_exit_2(scenario_file, tmp_path):
    state = str(tmp_path / "state")
    bad_keys = tmp_path / "bad.json"
    bad_keys.write_text('{"tenants": {"x": {"key_sha256": "abc"}}}')
    assert "key_sha256" in one_line(orbitgrid("live", str(scenario_file), "--state", state,
                                              "--keys", str(bad_keys)))
    assert "not found" in one_line(orbitgrid("live", str(scenario_file), "--state", state,
                                             "--keys", str(tmp_path / "none.json")))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("tenants: [alice\n")
    for args in (("live", str(scenario_file), "--state", state), ("keys", "add", "bob")):
        line = one_line(orbitgrid(*args, "--keys", str(garbage)))
        assert str(garbage) in line and "not a JSON keys file" in line
    assert garbage.read_text() == "tenants: [alice\n"  # keys add left it as it was
    line = one_line(orbitgrid("keys", "add", "bob", "--keys", str(tmp_path / "no" / "k.json")))
    assert "no such folder" in line and not (tmp_path / "no").exists()
    assert "--host" in one_line(orbitgrid("live", str(scenario_file), "--state", state,
                                          "--host", "0.0.0.0"))
    assert "--start" in one_line(orbitgrid("live", str(scenario_file), "--state", state,
                                           "--start", "yesterday"))
    assert "--speed" in one_line(orbitgrid("live", str(scenario_file), "--state", state,
                                           "--speed", "0"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(scenario_file.read_text().replace("step: 60s", "step: sixty"))
    assert "step" in one_line(orbitgrid("live", str(bad), "--state", state))
    # a scenario without accelerators has nothing to run jobs on
    assert "accelerator" in one_line(orbitgrid("live", "demo", "--state", state))
    assert not (tmp_path / "state").exists()  # nothing half-written
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = one_line(orbitgrid("live", str(scenario_file), "--state", state,
                                  "--port", str(port)))
    assert "in use" in line and str(port) in line
