"""Element-set files as users have them: comments, a bad set among good ones, Vallado's
verification file, orbits that cannot be, element sets years from the epoch.

Expected orbits are computed here from the TLE text itself (mean motion and eccentricity
columns), and propagation failures are checked against sgp4 called directly.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sgp4
from sgp4.api import SGP4_ERRORS, Satrec, jday

from orbitgrid.errors import ScenarioError
from orbitgrid.orbits.elsets import read_omm, read_tle, tle_checksum
from orbitgrid.results import Run

VALLADO = Path(sgp4.__file__).parent / "SGP4-VER.TLE"
GOOD = [
    ("STARLINK-1008", "1 44714C 19074B   26132.95048611 -.00027894  00000+0 -54858-3 0  1322",
     "2 44714  53.1534 236.8965 0001912  20.7505  90.9471 15.46691953    14"),
]
MU_KM3_S2 = 398600.4418  # WGS-84 / EGM-96 (sgp4's wgs72 uses 398600.8; 1e-6 relative)
EARTH_KM = 6378.137


def checksummed(line: str) -> str:
    return line[:68] + str(tle_checksum(line))


def variant(number: int, e: str | None = None, n: str | None = None) -> tuple[str, str]:
    """STARLINK-1008's set under another catalogue number, eccentricity or mean motion."""
    _, l1, l2 = GOOD[0]
    l1 = l1[:2] + f"{number:05d}" + l1[7:]
    l2 = l2[:2] + f"{number:05d}" + l2[7:]
    if e is not None:
        l2 = l2[:26] + e + l2[33:]
    if n is not None:
        l2 = l2[:52] + n + l2[63:]
    return checksummed(l1), checksummed(l2)


def orbit_from_text(line2: str) -> tuple[float, float]:
    """(perigee, apogee) altitude in km from a TLE line 2's mean motion and eccentricity."""
    n_rad_s = float(line2[52:63]) * 2 * np.pi / 86400
    e = float("0." + line2[26:33])
    a_km = (MU_KM3_S2 / n_rad_s**2) ** (1 / 3)
    return a_km * (1 - e) - EARTH_KM, a_km * (1 + e) - EARTH_KM


def test_comment_lines_are_read_past(tmp_path):
    name, l1, l2 = GOOD[0]
    path = tmp_path / "c.tle"
    path.write_text(f"# fetched 2026-05-12\n{name}\n{l1}\n  # trailing note\n{l2}\n#\n")
    [(got_name, sat)] = read_tle(path)
    assert got_name == name and sat.satnum == 44714


def test_a_bad_set_among_good_ones_stops_the_read_or_is_skipped_with_its_line(tmp_path):
    name, l1, l2 = GOOD[0]
    b1, b2 = variant(12345)
    broken = b1[:68] + str((int(b1[68]) + 1) % 10)
    c1, c2 = variant(23456)
    path = tmp_path / "mixed.tle"
    path.write_text(f"{name}\n{l1}\n{l2}\nBROKEN\n{broken}\n{b2}\nLAST\n{c1}\n{c2}\n")
    with pytest.raises(ScenarioError, match=r"mixed.tle:5: TLE line 1 checksum"):
        read_tle(path)
    skipped = []
    sets = read_tle(path, skipped)
    assert [n for n, _ in sets] == [name, "LAST"]
    assert [str(s) for s in skipped] == [
        f"{path}:5: TLE line 1 checksum is '{broken[68]}', computed {b1[68]}"
    ]


def test_orphan_lines_and_repeated_sets_are_reported_one_each(tmp_path):
    name, l1, l2 = GOOD[0]
    path = tmp_path / "odd.tle"
    path.write_text(f"{name}\n{l1}\n{l2}\n{l2}\nAGAIN\n{name}\n{l1}\n{l2}\nDANGLING\n")
    skipped = []
    assert [n for n, _ in read_tle(path, skipped)] == [name]
    assert [(s.where.rsplit(":", 1)[1], s.reason.split(" ")[0]) for s in skipped] == [
        ("4", "TLE"),  # a line 2 without its line 1
        ("5", "no"),  # a name with no set after it
        ("6", f"'{name}'"),  # the same satellite again
        ("9", "incomplete"),
    ]


def test_omm_csv_skips_a_bad_record_with_its_line(tmp_path):
    from sgp4.exporter import export_omm

    name, l1, l2 = GOOD[0]
    record = export_omm(Satrec.twoline2rv(l1, l2), name)
    keys = list(record)
    rows = [record, {**record, "MEAN_MOTION": "fast", "OBJECT_NAME": "BAD"}]
    text = "# CelesTrak, 2026-05-12\n" + ",".join(keys) + "\n"
    text += "".join(",".join(str(r[k]) for k in keys) + "\n" for r in rows)
    path = tmp_path / "sats.csv"
    path.write_text(text)
    skipped = []
    assert [n for n, _ in read_omm(path, skipped)] == [name]
    assert len(skipped) == 1 and skipped[0].where == f"{path}:3"
    with pytest.raises(ScenarioError, match="sats.csv:3: bad OMM record"):
        read_omm(path)


def test_vallado_verification_file_is_read_with_its_broken_sets_reported():
    """SGP4-VER.TLE has comments, text after column 69, three hand-edited sets whose checksums
    no longer match (the error-code cases 33333-33335) and 20413 twice."""
    with pytest.raises(ScenarioError, match="checksum"):
        read_tle(VALLADO)
    skipped = []
    sets = read_tle(VALLADO, skipped)
    numbers = [
        line[2:7] for line in VALLADO.read_text().splitlines() if line.startswith("1 ")
    ]
    assert len(numbers) == 33 and len(sets) == 29
    kinds = sorted("checksum" if "checksum" in s.reason else "repeats" if "repeats" in s.reason
                   else s.reason for s in skipped)
    assert kinds == ["checksum"] * 3 + ["repeats"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orbitgrid.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_vallado_verification_file_runs_and_reports_failures_with_sgp4_codes(tmp_path):
    (tmp_path / "ver.tle").write_text(VALLADO.read_text())
    (tmp_path / "v.yaml").write_text(
        "name: vallado\nepoch: 2006-06-25T00:00:00Z\nduration: 1d\nstep: 10min\n"
        "constellations:\n  - {name: ver, tle_file: ver.tle}\n"
    )
    failed = run_cli("run", "v.yaml", "--out", "run", cwd=tmp_path)
    assert failed.returncode == 2 and "ver.tle:100: TLE line 1 checksum" in failed.stderr
    done = run_cli("run", "v.yaml", "--on-bad-elements", "skip", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert sum("skipped" in line for line in warnings) == 4

    text = {}
    lines = [line for line in VALLADO.read_text().splitlines() if line[:2] in ("1 ", "2 ")]
    for l1, l2 in zip(lines[::2], lines[1::2], strict=True):
        text.setdefault(f"NORAD {int(l1[2:7])}", (l1[:69], l2[:69]))
    epoch = datetime(2006, 6, 25, tzinfo=UTC)
    rows = Run(tmp_path / "run").table("satellites").to_pylist()
    assert len(rows) == 29
    jd0, fr0 = jday(2006, 6, 25, 0, 0, 0)
    old, seen = 0, set()
    for row in rows:
        l1, l2 = text[row["satellite"]]
        sat = Satrec.twoline2rv(l1, l2)
        old += abs(sat.jdsatepoch + sat.jdsatepochF - jd0 - fr0) > 30
        perigee_km, apogee_km = orbit_from_text(l2)
        if not 0 <= float("0." + l2[26:33]) < 1:
            continue
        seen.add("low" if perigee_km < 100 else "high" if apogee_km > 100_000
                 else "ok" if row["error"] is None else "sgp4")
        if perigee_km < 100:
            assert row["error"].startswith("perigee below 100 km"), row
            assert row["error_time"] == epoch
        elif apogee_km > 100_000:
            assert row["error"].startswith("apogee beyond 100,000 km"), row
        elif row["error"] is None:
            # sgp4 itself finds nothing wrong at any step of the run
            minutes = np.arange(0, 24 * 60 + 1, 10.0)
            e, _, _ = sat.sgp4_array(np.full(minutes.shape, jd0), fr0 + minutes / 1440)
            assert not e.any(), (row["satellite"], e)
        else:
            t = row["error_time"]
            jd, fr = jday(t.year, t.month, t.day, t.hour, t.minute, t.second)
            code, _, _ = sat.sgp4(jd, fr)
            assert code and row["error"] == SGP4_ERRORS[code], (row, code)
    assert seen == {"low", "high", "ok", "sgp4"}
    assert f"warning: {old} of 29 element sets are more than 30 days" in done.stderr


def test_a_set_with_its_perigee_inside_the_earth_fails_alone_and_the_run_goes_on(tmp_path):
    name, l1, l2 = GOOD[0]
    d1, d2 = variant(40001, e="9900000")
    far1, far2 = variant(40002, e="0000100", n=" 0.07309491")  # WIND's period: 13.7 days
    (tmp_path / "s.tle").write_text(f"{name}\n{l1}\n{l2}\nDEEP\n{d1}\n{d2}\nFAR\n{far1}\n{far2}\n")
    (tmp_path / "s.yaml").write_text(
        "name: inside\nepoch: 2026-05-13T00:00:00Z\nduration: 2h\nstep: 60s\n"
        "constellations:\n  - {name: s, tle_file: s.tle}\n"
    )
    assert orbit_from_text(d2)[0] < -6000 and orbit_from_text(far2)[1] > 200_000
    done = run_cli("run", "s.yaml", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["satellite"]: r for r in Run(tmp_path / "run").table("satellites").to_pylist()}
    assert rows[name]["error"] is None
    assert rows["DEEP"]["error"].startswith("perigee below 100 km altitude")
    assert rows["FAR"]["error"].startswith("apogee beyond 100,000 km altitude")
    eclipsed = {r["satellite"] for r in Run(tmp_path / "run").table("eclipses").to_pylist()}
    assert eclipsed == {name}
