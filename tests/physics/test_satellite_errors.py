"""Bad `satellite:` input through `orbitgrid run`: one line with file:line and field path, exit 2,
nothing written (the pattern of tests/test_scenario_errors.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

GOOD = """\
name: bad-satellite
epoch: 2026-05-13T00:00:00Z
duration: 1h
step: 60s
constellations:
  - name: shell
    walker: {satellites: 2, planes: 1, altitude_km: 550, inclination_deg: 53}
    satellite:
      bus: starcloud-1
      solar: {area_m2: 4}
"""

CASES = {
    "negative area": (GOOD.replace("area_m2: 4", "area_m2: -1"),
                      ["scenario.yaml:10", "constellations.0.satellite.solar.area_m2",
                       "greater than 0"]),
    "unknown bus": (GOOD.replace("bus: starcloud-1", "bus: starcloud-9"),
                    ["scenario.yaml:9", "constellations.0.satellite.bus", "starcloud-9"]),
    "unknown accelerator": (GOOD.replace("solar: {area_m2: 4}", "payload: {accelerator: h1000}"),
                            ["scenario.yaml:10", "satellite.payload.accelerator", "h1000"]),
    "missing area without a bus": (GOOD.replace("      bus: starcloud-1\n", "").replace(
        "solar: {area_m2: 4}", "battery: {capacity_wh: 10}"),
        ["scenario.yaml:8", "constellations.0.satellite.solar.area_m2", "required"]),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_satellite_is_one_line_and_exit_2(case, tmp_path):
    text, expected = CASES[case]
    (tmp_path / "scenario.yaml").write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "run", "scenario.yaml", "--out",
         str(out / "run")], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for text_part in expected:
        assert text_part in lines[0], lines[0]
    assert list(out.iterdir()) == []
