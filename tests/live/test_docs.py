"""Every command of docs/live.md (the README's live section) is run here, as written, with
its paths and port moved to the test's own."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from live_support import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "live.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_every_command_of_the_live_docs_runs(tmp_path):
    port = free_port()
    env = {**os.environ}

    def local(line: str) -> str:
        line = (line.replace("/tmp/live-keys.json", str(tmp_path / "keys.json"))
                .replace("/tmp/live-state", str(tmp_path / "state"))
                .replace("8100", str(port)))
        return re.sub(r"^orbitgrid ", f"{sys.executable} -m orbitgrid.cli ", line)

    keys_add, start, curls = (b.strip().splitlines() for b in _blocks("bash"))
    r = subprocess.run(local(keys_add[0]), shell=True, capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    env["KEY"] = r.stdout.strip()
    server = subprocess.Popen(local(start[0]).split(), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.time() < deadline and server.poll() is None
                time.sleep(0.3)
        outputs = []
        for line in curls:
            r = subprocess.run(local(line), shell=True, capture_output=True, text=True,
                               env=env, timeout=60)
            assert r.returncode == 0, (line, r.stderr)
            outputs.append(r.stdout)
        assert '"state":"queued"' in outputs[0] and '"jobs":[{' in outputs[1]
        assert '"status":"ok"' in outputs[2]
        (python,) = _blocks("python")
        r = subprocess.run([sys.executable, "-c", local(python)], capture_output=True,
                           text=True, env=env, timeout=180)
        assert r.returncode == 0, r.stderr
        assert "'state': 'done'" in r.stdout and " done" in r.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
