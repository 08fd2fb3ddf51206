"""Bad input through the real `orbitgrid` command: one line on stderr, exit 2, nothing left behind.

Each case runs `python -m orbitgrid.cli run FILE --out PARENT/run` as a subprocess and checks:
exit status 2, exactly one non-empty line on stderr naming the file (and line where the issue asks
for it) and the reason, no traceback, and PARENT still empty (no run folder, no partial folder).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TLE = (ROOT / "src" / "orbitgrid" / "data" / "starlink-2026-05-12.tle").read_text().splitlines()[:3]

GOOD = """\
name: bad-input
epoch: 2026-05-13T00:00:00Z
duration: 1h
step: 10s
constellations:
  - name: shell
    walker: {satellites: 4, planes: 2, altitude_km: 550, inclination_deg: 53}
"""


def orbitgrid(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def tle_file(folder: Path, line1: str | None = None, line2: str | None = None) -> Path:
    name, l1, l2 = TLE
    path = folder / "sats.tle"
    path.write_text(f"{name}\n{line1 or l1}\n{line2 or l2}\n")
    return path


def with_tle(folder: Path) -> str:
    return GOOD.replace(
        "walker: {satellites: 4, planes: 2, altitude_km: 550, inclination_deg: 53}",
        "tle_file: sats.tle",
    )


CASES = {
    # name: (scenario text, files to write, substrings the error line must hold)
    "misspelt optional key": (
        GOOD.replace("step: 10s", "step: 10s\nsed: 3"),
        None,
        ["scenario.yaml:5", "sed", "did you mean 'seed'"],
    ),
    "wrong unit": (
        GOOD.replace("duration: 1h", "duration: 1 parsec"),
        None,
        ["scenario.yaml:3", "duration", "parsec"],
    ),
    "negative altitude": (
        GOOD.replace("altitude_km: 550", "altitude_km: -550"),
        None,
        ["scenario.yaml:7", "constellations.0.walker.altitude_km", "inside the Earth"],
    ),
    "step larger than duration": (
        GOOD.replace("step: 10s", "step: 2h"),
        None,
        ["scenario.yaml", "step", "larger than duration"],
    ),
    "missing TLE file": (with_tle, None, ["scenario.yaml:7", "tle_file", "not found", "sats.tle"]),
    "TLE bad checksum": (with_tle, "checksum", ["sats.tle:2", "checksum"]),
    "TLE bad length": (with_tle, "length", ["sats.tle:3", "69"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_scenario_gives_one_line_and_no_run_folder(tmp_path, case):
    text, tle, expected = CASES[case]
    text = text(tmp_path) if callable(text) else text
    if tle == "checksum":
        line1 = TLE[1][:68] + str((int(TLE[1][68]) + 1) % 10)
        tle_file(tmp_path, line1=line1)
    elif tle == "length":
        tle_file(tmp_path, line2=TLE[2][:-1])  # 68 characters
    (tmp_path / "scenario.yaml").write_text(text)
    parent = tmp_path / "runs"
    parent.mkdir()
    proc = orbitgrid("run", "scenario.yaml", "--out", str(parent / "run"), cwd=tmp_path)
    check_one_line_error(proc, *expected)
    assert list(parent.iterdir()) == []
    # `validate` says the same thing
    check_one_line_error(orbitgrid("validate", "scenario.yaml", cwd=tmp_path), *expected)


def test_missing_scenario_file(tmp_path):
    check_one_line_error(
        orbitgrid("run", "nowhere.yaml", "--out", "runs/x", cwd=tmp_path),
        "nowhere.yaml",
        "not found",
    )
    assert not (tmp_path / "runs").exists()


def test_unknown_saved_table_and_existing_out(tmp_path):
    (tmp_path / "scenario.yaml").write_text(GOOD)
    check_one_line_error(
        orbitgrid("run", "scenario.yaml", "--save", "nonsense", "--out", "r", cwd=tmp_path),
        "nonsense",
    )
    (tmp_path / "taken").mkdir()
    check_one_line_error(
        orbitgrid("run", "scenario.yaml", "--out", "taken", cwd=tmp_path), "already exists"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml", "taken"]
    assert list((tmp_path / "taken").iterdir()) == []


# A misspelt *required* key is reported as the misspelling, not as the missing field.
@pytest.mark.parametrize(
    ("typo", "key"),
    [
        (("constellations:", "constelations:"), "constellations"),
        (("altitude_km: 550", "altitud_km: 550"), "altitude_km"),
    ],
)
def test_misspelt_required_key_suggests_the_right_one(tmp_path, typo, key):
    (tmp_path / "scenario.yaml").write_text(GOOD.replace(*typo))
    proc = orbitgrid("validate", "scenario.yaml", cwd=tmp_path)
    check_one_line_error(proc, "scenario.yaml", f"did you mean '{key}'")
