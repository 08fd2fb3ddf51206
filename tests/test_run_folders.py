"""Nothing a user does breaks a run: racing runs, signals, killed runs, files that cannot be read
or written. Real `orbitgrid` processes, real signals, real folders.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orbitgrid.results import Run, RunFolderError, RunWriter, is_partial, run_folders
from orbitgrid.web.app import list_runs

# demo at 1 h: a few seconds, mostly start-up
QUICK = ("demo", "--duration", "1h")
# demo over 30 days: long enough to be interrupted while it writes
LONG = ("demo", "--duration", "30d")


def orbitgrid(*args: str, cwd: Path) -> subprocess.Popen:
    # Ctrl-C as at a terminal, whatever this runner inherited: a shell's `cmd &` ignores
    # SIGINT, and an ignored signal stays ignored across exec
    return subprocess.Popen(
        [sys.executable, "-m", "orbitgrid.cli", *args],
        cwd=cwd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def wait_for_partial(folder: Path, proc: subprocess.Popen, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.iterdir() if is_partial(p)] if folder.is_dir() else []
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"no partial folder appeared in {folder}")


def test_two_runs_racing_for_one_out_one_wins_the_other_gets_one_line(tmp_path):
    procs = [orbitgrid("run", *QUICK, "--out", "runs/same", cwd=tmp_path) for _ in range(2)]
    results = [finish(p) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, _, err in results if code == 2)
    line = error_line(loser)
    assert "runs/same" in line and ("already exists" in line or "is writing it" in line), line
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["same"]
    assert Run(tmp_path / "runs" / "same").summary["satellites"] == 93


def test_the_same_scenario_started_twice_at_once_gets_two_run_folders(tmp_path):
    procs = [orbitgrid("run", *QUICK, cwd=tmp_path) for _ in range(2)]
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all(name.startswith("demo-") for name in runs), runs
    assert not any(name.startswith(".") for name in runs)


def test_two_processes_started_at_once_write_byte_identical_tables(tmp_path):
    procs = [orbitgrid("run", *QUICK, "--out", f"runs/{k}", cwd=tmp_path) for k in "ab"]
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err
    a, b = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    tables = sorted(p.name for p in a.glob("*.parquet"))
    assert tables == sorted(p.name for p in b.glob("*.parquet")) and len(tables) >= 3
    for name in tables:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stopped_run_leaves_nothing(tmp_path, signum):
    proc = orbitgrid("run", *LONG, "--out", "runs/long", cwd=tmp_path)
    wait_for_partial(tmp_path / "runs", proc)
    time.sleep(0.5)  # well inside the propagation
    proc.send_signal(signum)
    code, _, err = finish(proc, timeout=60)
    assert code != 0, err
    if signum != signal.SIGINT:
        assert code == 128 + signum, err
    assert "Traceback" not in err, err
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_killed_run_is_cleaned_by_the_next_run_beside_it_and_never_listed(tmp_path):
    runs = tmp_path / "runs"
    proc = orbitgrid("run", *LONG, "--out", "runs/killed", cwd=tmp_path)
    partial = wait_for_partial(runs, proc)
    proc.send_signal(signal.SIGKILL)
    finish(proc, timeout=30)
    assert partial.is_dir()  # SIGKILL cannot be caught: the folder stays...
    # ...looking like a finished run inside (as when the writer dies just before its rename)
    (partial / "summary.json").write_text(json.dumps({"name": "demo", "satellites": 93}))
    assert list_runs(runs) == [] and run_folders(runs) == []
    with pytest.raises(FileNotFoundError, match="partial folder of an unfinished run"):
        Run(partial)
    code, _, err = finish(orbitgrid("query", str(partial), "select 1", cwd=tmp_path))
    assert code == 2 and "partial" in error_line(err)

    code, _, err = finish(orbitgrid("run", *QUICK, "--out", "runs/next", cwd=tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in runs.iterdir()) == ["next"]
    assert [r.path.name for r in list_runs(runs)] == ["next"]


def test_a_live_writer_s_partial_folder_is_left_alone(tmp_path):
    with RunWriter(tmp_path / "a") as writer:
        writer.write_json("summary.json", {"name": "a"})
        with RunWriter(tmp_path / "b") as other:  # removes stale partials beside it
            other.write_json("summary.json", {"name": "b"})
        assert writer._tmp.is_dir()
        with pytest.raises(RunFolderError, match="is writing it"):
            RunWriter(tmp_path / "a").__enter__()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_partial_folder_of_an_older_version_whose_process_is_gone_is_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = tmp_path / f".run.partial-{dead.pid}"
    old.mkdir()
    (old / "contacts.parquet").write_bytes(b"PAR1")
    with RunWriter(tmp_path / "fresh") as writer:
        writer.write_json("summary.json", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh"]


def as_user(*args: str) -> list[str]:
    """args, run without root's power to write anywhere (as a user is) when we are root."""
    if os.geteuid() != 0:
        return list(args)
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *args]


def test_an_out_under_a_read_only_folder_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = subprocess.run(
            as_user(sys.executable, "-m", "orbitgrid.cli", "run", *QUICK, "--out", "locked/run"),
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
    finally:
        locked.chmod(0o755)
    code, err = proc.returncode, proc.stderr
    assert code == 2
    assert "permission denied" in error_line(err)
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")])
def test_browser_tests_skip_without_chromium_except_under_ci(tmp_path, ci, outcome):
    env = {**os.environ, "ORBITGRID_CHROMIUM": str(tmp_path / "no-chromium"), "CI": ci}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/test_web.py::test_dashboard_globe_and_plots_offline"],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert outcome in proc.stdout, proc.stdout[-2000:]
    assert "no Chromium" in proc.stdout


WALKER = """\
name: sane
epoch: 2026-05-13T00:00:00Z
duration: 1h
step: 60s
constellations:
  - name: shell
    walker: {satellites: 4, planes: 2, altitude_km: ALTITUDE, inclination_deg: 53}
"""


@pytest.mark.parametrize(
    ("altitude", "reason"),
    [
        ("1e9", "beyond 100,000 km"),
        (".inf", "finite number"),
        (".nan", "finite number"),
        ("10", "below 100 km"),
        ("-50", "inside the Earth"),
    ],
)
def test_an_impossible_designed_orbit_is_refused_naming_the_field(tmp_path, altitude, reason):
    from orbitgrid import load_scenario
    from orbitgrid.errors import ScenarioError

    path = tmp_path / "s.yaml"
    path.write_text(WALKER.replace("ALTITUDE", altitude))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "s.yaml:7" in message and "walker.altitude_km" in message and reason in message


@pytest.mark.parametrize(
    ("orbit", "reason"),
    [
        ("{a_km: 6878, e: 0.99, i_deg: 53}", "inside the Earth"),
        ("{a_km: 6878, e: .nan, i_deg: 53}", "finite number"),
        ("{a_km: 200000, e: 0.1, i_deg: 53}", "beyond 100,000 km"),
        ("{a_km: 6878, e: 0.0, i_deg: .inf}", "finite number"),
    ],
)
def test_impossible_elements_are_one_line_and_exit_2(tmp_path, orbit, reason):
    text = WALKER.replace(
        "walker: {satellites: 4, planes: 2, altitude_km: ALTITUDE, inclination_deg: 53}",
        f"elements: [{orbit}]",
    )
    (tmp_path / "s.yaml").write_text(text)
    code, _, err = finish(orbitgrid("validate", "s.yaml", cwd=tmp_path))
    assert code == 2
    line = error_line(err)
    assert "s.yaml:7" in line and "constellations.0.elements.0" in line and reason in line


@pytest.mark.parametrize(
    "content",
    [b"name: x\xff\n", bytes(range(256)) * 4, WALKER.replace("ALTITUDE", "550").encode("utf-16")],
    ids=["one-0xff-byte", "binary", "utf-16"],
)
def test_a_scenario_that_is_not_utf8_is_one_line(tmp_path, content):
    (tmp_path / "s.yaml").write_bytes(content)
    code, _, err = finish(orbitgrid("run", "s.yaml", "--out", "run", cwd=tmp_path))
    assert code == 2
    assert re.search(r"s\.yaml:\d+: not UTF-8 text \(byte 0x[89a-f][0-9a-f] ", error_line(err))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_unreadable_scenario_and_element_files_are_one_line(tmp_path):
    (tmp_path / "s.yaml").write_text(
        WALKER.replace("walker: {satellites: 4, planes: 2, altitude_km: ALTITUDE, "
                       "inclination_deg: 53}", "tle_file: sats.tle")
    )
    (tmp_path / "sats.tle").write_text("")
    (tmp_path / "sats.tle").chmod(0o000)
    proc = subprocess.run(as_user(sys.executable, "-m", "orbitgrid.cli", "run", "s.yaml"),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "sats.tle: cannot read: Permission denied" in error_line(proc.stderr)
    (tmp_path / "s.yaml").chmod(0o000)
    proc = subprocess.run(as_user(sys.executable, "-m", "orbitgrid.cli", "validate", "s.yaml"),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "s.yaml: cannot read: Permission denied" in error_line(proc.stderr)
