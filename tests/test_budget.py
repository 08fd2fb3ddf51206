"""The size guard: a run the machine cannot hold is refused before it starts, in one line with
the estimate and the way out; `validate` prints the estimate without building anything big.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orbitgrid import load_scenario
from orbitgrid.budget import RunTooLarge, check_fits, estimate_run, parse_bytes
from orbitgrid.scenario import validate_scenario

HUGE = """\
name: huge
epoch: 2026-05-13T00:00:00Z
duration: 1d
step: 30s
constellations:
  - name: shell
    walker: {satellites: 10000000, planes: 1000, altitude_km: 550, inclination_deg: 53}
"""
# A child's peak memory, measured by a parent of its own (ru_maxrss of its children, kB)
PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
print(done.stderr, end="", file=sys.stderr)
"""


def orbitgrid_peak(*args: str, cwd: Path, env: dict | None = None) -> tuple[int, float, str]:
    """Exit status, peak resident memory (bytes) and stderr of `orbitgrid ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, sys.executable, "-m", "orbitgrid.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, env=env,
    )
    code, peak = done.stdout.split()[-2:]
    return int(code), float(peak), done.stderr


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("command", ["validate", "run"])
def test_ten_million_satellites_are_refused_at_once_with_the_estimate(tmp_path, command):
    """Before the guard, validate took 17 s and 4.2 GB to say ok, and run grew past 9.6 GB."""
    (tmp_path / "huge.yaml").write_text(HUGE)
    args = ("validate", "huge.yaml") if command == "validate" else ("run", "huge.yaml",
                                                                     "--out", "run")
    # 8 GB, not this machine's memory: with the event tables spilled to disk, a day of 10^7
    # satellites is estimated at ~16 GB, which a larger machine could give it
    env = {**os.environ, "ORBITGRID_MEMORY": "8GB"}
    code, peak, err = orbitgrid_peak(*args, cwd=tmp_path, env=env)
    assert code == 2
    line = one_line(err)
    # 10^7 satellites x (86400 / 30 + 1) steps
    assert "10,000,000 satellites x 2,881 steps = 28.8 G sat-steps" in line, line
    assert "run too large" in line and "peak memory about" in line and "split_run" in line
    assert peak < 1e9, peak  # nothing of the fleet was built
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.yaml"]


def test_validate_prints_the_estimate(tmp_path):
    done = subprocess.run([sys.executable, "-m", "orbitgrid.cli", "validate", "demo"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # demo: 72 + 12 + 9 satellites, 1 d at 30 s, 5 stations
    expected = "estimate: 93 satellites x 2,881 steps = 268 k sat-steps, 5 ground stations"
    assert expected in " ".join(done.stdout.split())


def test_the_memory_limit_decides(tmp_path):
    env = {**os.environ, "ORBITGRID_MEMORY": "100MB"}
    code, _, err = orbitgrid_peak("run", "demo", "--duration", "1h", "--out", "run",
                                  cwd=tmp_path, env=env)
    assert code == 2 and "more than the 90 MB this machine can give it" in one_line(err)
    assert not (tmp_path / "run").exists()
    env["ORBITGRID_MEMORY"] = "4GB"
    code, _, err = orbitgrid_peak("run", "demo", "--duration", "1h", "--out", "run",
                                  cwd=tmp_path, env=env)
    assert code == 0, err


def test_the_estimate_is_near_a_real_run_s_peak_memory(tmp_path):
    scenario = {
        "name": "shell", "epoch": "2026-05-13T00:00:00Z", "duration": "2h", "step": "30s",
        "constellations": [{"name": "w", "walker": {"satellites": 10_000, "planes": 100,
                                                     "altitude_km": 550, "inclination_deg": 53}}],
        "ground_stations": [{"name": "Paris", "lat_deg": 48.86, "lon_deg": 2.35}],
    }
    (tmp_path / "s.yaml").write_text(json.dumps(scenario))
    code, peak, err = orbitgrid_peak("run", "s.yaml", "--out", "run", cwd=tmp_path)
    assert code == 0, err
    estimate = estimate_run(validate_scenario(scenario)).peak_memory_bytes
    assert 0.7 < estimate / peak < 1.5, (estimate, peak)


def test_the_estimate_is_near_the_peak_of_a_run_with_physics_and_stations(tmp_path):
    """Per-orbit power rows and contacts to 10 stations beside the chunk (measured 2026-12-03:
    estimate 646 MB, peak 581 MB)."""
    scenario = {
        "name": "physics", "epoch": "2026-05-13T00:00:00Z", "duration": "6h", "step": "60s",
        "constellations": [{"name": "w", "walker": {"satellites": 5000, "planes": 50,
                                                     "altitude_km": 550, "inclination_deg": 53},
                            "satellite": {"bus": "starlink-v2-mini"}}],
        "ground_stations": [{"name": f"s{k}", "lat_deg": -50 + 10 * k, "lon_deg": 36.0 * k,
                             "min_elevation_deg": 10} for k in range(10)],
    }
    (tmp_path / "s.yaml").write_text(json.dumps(scenario))
    code, peak, err = orbitgrid_peak("run", "s.yaml", "--out", "run", cwd=tmp_path)
    assert code == 0, err
    estimate = estimate_run(validate_scenario(scenario))
    assert estimate.memory_bytes["orbits"] > 0 and estimate.memory_bytes["events"] > 0
    assert 0.7 < estimate.peak_memory_bytes / peak < 1.5, (estimate.peak_memory_bytes, peak)


def test_the_estimate_stops_growing_with_the_horizon():
    """Intervals and per-orbit rows spill to disk past a threshold and are written a bounded
    block at a time (orbitgrid.spill): a month needs the memory of a week."""
    week, month = (estimate_run(load_scenario("starlink-gen2", {"duration": d}))
                   for d in ("7d", "30d"))
    assert month.sat_steps > 4 * week.sat_steps
    assert month.peak_memory_bytes < 1.05 * week.peak_memory_bytes
    assert week.peak_memory_bytes < 4e9  # the goal of issue 17 for the week


def test_a_split_run_block_is_estimated_for_its_satellites_only():
    sc = load_scenario("demo")
    whole, block = estimate_run(sc), estimate_run(sc, satellites=slice(0, 31))
    assert (whole.satellites, block.satellites) == (93, 31)
    assert block.peak_memory_bytes < whole.peak_memory_bytes
    assert estimate_run(sc, save=("ephemeris",)).saved_rows == {"ephemeris": 93 * 2881}


def test_the_refusal_names_the_biggest_part_and_its_way_out():
    sc = validate_scenario({
        "name": "eph", "epoch": "2026-05-13T00:00:00Z", "duration": "1d", "step": "1s",
        "constellations": [{"name": "w", "walker": {"satellites": 2000, "planes": 20,
                                                    "altitude_km": 550, "inclination_deg": 53}}],
    })
    estimate = estimate_run(sc, save=("ephemeris",))
    with pytest.raises(RunTooLarge, match="drop --save ephemeris"):
        check_fits(estimate, available_bytes=estimate.memory_bytes["block"])
    check_fits(estimate, available_bytes=10 * estimate.peak_memory_bytes)


@pytest.mark.parametrize(("text", "expected"), [("8GB", 8e9), ("512 MiB", 2**29), ("2e9", 2e9)])
def test_memory_sizes_are_read_in_si_and_binary_units(text, expected):
    assert parse_bytes(text) == expected
