"""The README never lies: its scenario, commands and Python run as written.

Commands run in order in one temporary folder, as a user would type them after installing; the
`pip install` half of the quick-start lines is skipped (the suite runs from that install), and
the test-suite command is not run from inside the test suite.

The live section (## Live) is one session against a running service: a line ending in ` &` is
started in the background (and stopped at the end), `export NAME=$(COMMAND)` sets NAME for the
lines after it, the other lines run in bash, then its Python; `orbitgrid` is this interpreter's
module and port 8100 a free one.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

README = Path(__file__).resolve().parents[1] / "README.md"
_TEXT = README.read_text()
_LIVE = re.search(r"\n## Live.*?(?=\n## )", _TEXT, flags=re.S).group(0)
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", _TEXT.replace(_LIVE, ""), flags=re.S)
LIVE_BLOCKS = re.findall(r"```(\w+)\n(.*?)```", _LIVE, flags=re.S)


def _commands():
    for lang, body in BLOCKS:
        if lang != "bash":
            continue
        for line in body.strip().splitlines():
            command = line.split("&&")[-1].strip()
            if command.startswith("pytest"):
                continue
            yield command


def test_readme_has_the_two_quick_start_commands():
    quick = README.read_text().split("## Quick start")[1].split("\n## ")[0]
    assert re.findall(r"```bash\n(.*?)\n```", quick, flags=re.S) == [
        "pip install -e . && orbitgrid run",
        'pip install -e ".[test]" && pytest',
    ]


def test_readme_commands_and_python_run(tmp_path):
    for lang, body in BLOCKS:  # a YAML block whose first line is "# NAME.yaml" is that file
        name = body.splitlines()[0].lstrip("# ").strip()
        if lang == "yaml" and body.startswith("# ") and name.endswith((".yaml", ".yml")):
            (tmp_path / name).write_text(body)
    # Ray (orbitgrid sweep) writes a token file into the home folder
    env = {**os.environ, "HOME": str(tmp_path / "home"), "RAY_AUTH_MODE": "disabled",
           "COLUMNS": "200"}
    printed = {}
    for command in _commands():
        argv = shlex.split(command)
        assert argv[0] == "orbitgrid", command
        done = subprocess.run(
            [sys.executable, "-m", "orbitgrid.cli", *argv[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        printed[command] = done.stdout
    python_block = next(body for lang, body in BLOCKS if lang == "python")
    done = subprocess.run(
        [sys.executable, "-c", python_block], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "umbra" in done.stdout and "penumbra" in done.stdout
    # the default run, the scenario file's run and the Python run all left their folders
    assert (tmp_path / "runs" / "mine" / "contacts.parquet").is_file()
    assert (tmp_path / "runs" / "starlink" / "ephemeris.parquet").is_file()
    assert len(list((tmp_path / "runs").glob("showcase-*"))) == 1
    assert (tmp_path / "sweeps" / "altitude" / "sweep-report.html").is_file()
    _examples_show_something(tmp_path, printed)


def _examples_show_something(tmp_path, printed):
    """Each example's run holds what its text says it shows."""
    # the showcase loads its fleet enough that placement matters, and says what it shows
    showcase = next((tmp_path / "runs").glob("showcase-*"))
    ops = json.loads((showcase / "summary.json").read_text())["ops"]
    assert ops["utilisation"] > 0.25 and ops["completion_p99_s"] > 2 * ops["completion_p50_s"]
    assert "shows: " in printed["orbitgrid run"]
    # the scenario's route goes over shell1's lasers most of the time (6 h)
    route = json.loads((tmp_path / "runs/mine/summary.json").read_text())["network"]["routes"][0]
    assert (route["from"], route["to"]) == ("Svalbard", "Luanda")
    assert route["reachable_fraction"] > 0.8
    # ops.yaml: the plus-grid lasers link, the training job runs over them, the policies differ
    links = pq.read_table(tmp_path / "runs/ops/links.parquet").to_pylist()
    isl = [x for x in links if x["kind"] == "isl"]
    assert len(isl) == 12 and all(x["up_s"] >= 7200 for x in isl)  # a ring of 12, always up
    jobs = pq.read_table(tmp_path / "runs/ops/jobs.parquet").to_pylist()
    training = [j for j in jobs if j["kind"] == "training"]
    assert [j["state"] for j in training] == ["done"] * 3
    assert all(j["bytes_moved"] > 0 for j in training)  # its all-reduce over the lasers
    policies = json.loads((tmp_path / "runs/ops/summary.json").read_text())["ops"]["policies"]
    figures = {(p["completion_p50_s"], p["completion_p99_s"]) for p in policies}
    assert len(policies) == 3 and len(figures) == 3
    table = printed[next(c for c in printed if c.startswith("orbitgrid query runs/ops"))]
    assert "training" in table and "inference" in table


def test_readme_error_example_is_what_the_tool_says(tmp_path):
    text = README.read_text()
    shown = re.search(r"e\.g\.\n`(my-scenario\.yaml:\d+: [^`]+)`", text).group(1)
    yaml_block = next(body for lang, body in BLOCKS if lang == "yaml")
    bad = yaml_block.replace("altitude_km: 550", "altitude_km: -550")
    (tmp_path / "my-scenario.yaml").write_text(bad)
    done = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "validate", "my-scenario.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {shown}"


def test_readme_live_section_runs(tmp_path):
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    env = {**os.environ, "HOME": str(tmp_path / "home")}

    def local(line: str) -> str:
        line = line.replace("8100", port)
        return re.sub(r"(^|\$\()orbitgrid ", rf"\1{sys.executable} -m orbitgrid.cli ", line)

    bash = [line for lang, body in LIVE_BLOCKS if lang == "bash"
            for line in body.strip().splitlines()]
    (python,) = [body for lang, body in LIVE_BLOCKS if lang == "python"]
    assert any(line.endswith(" &") for line in bash), "the live section starts no service"
    background = []
    try:
        for line in bash:
            if line.endswith(" &"):
                background.append(subprocess.Popen(
                    shlex.split(local(line[:-2])), cwd=tmp_path, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                continue
            export = re.fullmatch(r"export (\w+)=\$\((.*)\)", line)
            done = subprocess.run(["bash", "-c", local(export.group(2) if export else line)],
                                  cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=180)
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            if export:
                env[export.group(1)] = done.stdout.strip()
            assert all(p.poll() is None for p in background), f"the service stopped: {line}"
        assert env["KEY"].startswith("og_")
        started = time.time()
        done = subprocess.run([sys.executable, "-c", local(python)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        assert " done" in done.stdout and " job " in done.stdout, done.stdout
        assert time.time() - started < 180
    finally:
        for p in background:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=30)
                raise AssertionError("the service did not stop within 30 s of SIGTERM") from None
