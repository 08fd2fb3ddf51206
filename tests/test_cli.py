"""The `orbitgrid` command end to end, and the input formats that must agree with each other."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from sgp4.api import Satrec
from sgp4.exporter import export_omm

from orbitgrid.results import Run
from orbitgrid.scenario import load_scenario
from orbitgrid.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "src" / "orbitgrid" / "data" / "starlink-2026-05-12.tle"
TABLES = ("eclipses", "contacts", "satellites")


def orbitgrid(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """The demo preset run twice for 2 h by the real command, into two folders."""
    cwd = tmp_path_factory.mktemp("cli")
    for name in ("a", "b"):
        orbitgrid("run", "demo", "--duration", "2h", "--out", name, cwd=cwd)
    return cwd / "a", cwd / "b"


def test_run_writes_a_complete_run_folder(demo_runs):
    """scenario.yaml (resolved), summary.json and the three tables, timestamps in UTC."""
    folder = demo_runs[0]
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "contacts.parquet",
        "eclipses.parquet",
        "satellites.parquet",
        "scenario.yaml",
        "summary.json",
    ]
    resolved = yaml.safe_load((folder / "scenario.yaml").read_text())
    assert resolved["duration"] == 7200.0 and resolved["name"] == "demo"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["duration_s"] == 7200.0 and summary["satellites"] == 93
    assert sorted(summary["tables"]) == sorted(TABLES)
    run = Run(folder)
    for name, columns in {
        "eclipses": ("start_time", "end_time"),
        "contacts": ("start_time", "end_time"),
        "satellites": ("element_epoch",),
    }.items():
        table = run.table(name)
        for column in columns:
            assert table.schema.field(column).type == pa.timestamp("ms", tz="UTC"), (name, column)
    assert run.table("eclipses").num_rows == summary["eclipses"] > 0
    assert run.table("contacts").num_rows == summary["contacts"] > 0
    ecl = run.table("eclipses")
    start = ecl.column("start_time").cast(pa.int64()).to_numpy()
    end = ecl.column("end_time").cast(pa.int64()).to_numpy()
    epoch_ms = 1_778_630_400_000
    assert (
        np.all(start >= epoch_ms) and np.all(end <= epoch_ms + 7_200_000) and np.all(end >= start)
    )


def test_query_counts_contacts(demo_runs):
    folder = demo_runs[0]
    proc = orbitgrid(
        "query", str(folder), "select count(*) as n from contacts", "--csv", cwd=folder.parent
    )
    rows = list(csv.reader(proc.stdout.splitlines()))
    assert rows[0] == ["n"]
    assert int(rows[1][0]) == pq.read_metadata(folder / "contacts.parquet").num_rows


@pytest.mark.parametrize(
    "sql",
    [
        "COPY contacts TO 'copied.csv'",
        "COPY (SELECT 1 AS a) TO '{run}/contacts.parquet' (USE_TMP_FILE false)",
        "EXPORT DATABASE 'exported'",
        "ATTACH 'other.duckdb' AS other",
        "SELECT * FROM read_csv('{run}/../outside.csv')",
    ],
)
def test_query_is_read_only(demo_runs, tmp_path, sql):
    """SQL that would write a file (or read one beside the run's tables) is refused with one
    line and exit 2; the run's own tables are untouched and nothing new appears anywhere."""
    folder = demo_runs[0]
    (folder.parent / "outside.csv").write_text("a\n1\n")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    proc = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "query", str(folder), sql.format(run=folder)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: query: the run is opened read-only")
    assert list(tmp_path.iterdir()) == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def one_error_line(*args: str, cwd: Path) -> str:
    """The real command's only stderr line, after checking it failed with exit status 2."""
    proc = subprocess.run([sys.executable, "-m", "orbitgrid.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("command", "content", "where"),
    [
        ("run", b"\xff", "bad.yaml:1: not UTF-8 text (byte 0xff at column 1)"),  # one byte
        ("run", b"name: demo\nepoch: \x89PNG\r\n\x1a\n\x00",  # binary garbage
         "bad.yaml:2: not UTF-8 text (byte 0x89 at column 8)"),
        ("validate", b"# caf\xe9 (Latin-1)\nname: x\n",
         "bad.yaml:1: not UTF-8 text (byte 0xe9 at column 6)"),
        ("sweep", b"base: demo\n\xfe\xff", "bad.yaml: not UTF-8 text (byte 0xfe at offset 11"),
    ],
)
def test_a_file_that_is_not_utf8_is_one_line(tmp_path, command, content, where):
    (tmp_path / "bad.yaml").write_bytes(content)
    line = one_error_line(command, "bad.yaml", *(["--out", "out"] if command != "validate"
                                                 else []), cwd=tmp_path)
    assert line.startswith(f"error: {where}"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_an_out_folder_that_cannot_be_written_is_one_line(tmp_path, demo_runs):
    (tmp_path / "taken").write_text("a file, not a folder\n")
    line = one_error_line("run", "demo", "--duration", "1h", "--out", "taken/run", cwd=tmp_path)
    assert line.startswith("error: taken/run: cannot create the run folder"), line
    line = one_error_line("report", str(demo_runs[0]), "--out", "taken/report.html",
                          cwd=tmp_path)
    assert line == "error: taken/report.html: Not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_out_folder_is_one_line(tmp_path):
    (tmp_path / "locked").mkdir(mode=0o555)
    line = one_error_line("run", "demo", "--duration", "1h", "--out", "locked/run", cwd=tmp_path)
    assert "locked/" in line and "Permission denied" in line
    assert list((tmp_path / "locked").iterdir()) == []


def test_same_scenario_gives_identical_tables(demo_runs):
    """Determinism: the same scenario twice gives byte-identical Parquet files."""
    a, b = demo_runs
    for name in TABLES:
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name


# --- input formats --------------------------------------------------------------------------


def sample_sets(count=5):
    """count element sets spread evenly through the shipped Starlink catalogue."""
    lines = CATALOGUE.read_text().splitlines()
    sets = [(lines[k].strip(), lines[k + 1], lines[k + 2]) for k in range(0, len(lines) - 2, 3)]
    return sets[:: len(sets) // count][:count]


def scenario_text(source: str, stations: str = "") -> str:
    return (
        "name: formats\nepoch: 2026-05-13T00:00:00Z\nduration: 1h\nstep: 60s\n"
        f"constellations:\n  - {{name: sl, {source}}}\n{stations}"
    )


def ephemeris(folder: Path, text: str) -> pa.Table:
    (folder / "scenario.yaml").write_text(text)
    return simulate(
        load_scenario(folder / "scenario.yaml"), out=folder / "run", save=["ephemeris"]
    ).table("ephemeris")


def test_omm_csv_and_json_give_the_tle_positions(tmp_path):
    """The same element sets as TLE, CelesTrak OMM CSV and OMM JSON: positions within 1 m.

    OMM records are written from the TLEs by sgp4.exporter.export_omm (the CelesTrak keys).
    """
    sets = sample_sets()
    records = [export_omm(Satrec.twoline2rv(l1, l2), name) for name, l1, l2 in sets]
    (tmp_path / "tle").mkdir()
    (tmp_path / "tle" / "sats.tle").write_text("".join(f"{n}\n{a}\n{b}\n" for n, a, b in sets))
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "sats.json").write_text(json.dumps(records, indent=1))
    (tmp_path / "csv").mkdir()
    with (tmp_path / "csv" / "sats.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    tle = ephemeris(tmp_path / "tle", scenario_text("tle_file: sats.tle"))
    assert set(tle.column("satellite").cast(pa.string()).to_pylist()) == {s[0] for s in sets}
    xyz = np.stack([tle.column(c).to_numpy() for c in ("x_km", "y_km", "z_km")], -1)
    for kind in ("json", "csv"):
        other = ephemeris(tmp_path / kind, scenario_text(f"omm_file: sats.{kind}"))
        assert (
            other.column("satellite").cast(pa.string()).to_pylist()
            == tle.column("satellite").cast(pa.string()).to_pylist()
        )
        assert other.column("time").equals(tle.column("time"))
        d = np.linalg.norm(
            np.stack([other.column(c).to_numpy() for c in ("x_km", "y_km", "z_km")], -1) - xyz,
            axis=-1,
        )
        assert d.max() * 1e3 < 1.0, f"{kind}: {d.max() * 1e3:.3f} m from the TLE positions"


def test_ground_stations_file_equals_inline_stations(tmp_path):
    """Stations from ground_stations_file (CSV) give the same contacts as the same ones inline."""
    rows = [
        ("Svalbard", 78.23, 15.41, 500, 10),
        ("Quito", -0.18, -78.47, 2850, 25),
        ("Hawaii", 19.82, -155.47, 4200, 5),
    ]
    sets = sample_sets(20)
    source = "tle_file: sats.tle"
    results = {}
    for how in ("file", "inline"):
        folder = tmp_path / how
        folder.mkdir()
        (folder / "sats.tle").write_text("".join(f"{n}\n{a}\n{b}\n" for n, a, b in sets))
        with (folder / "stations.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["name", "lat_deg", "lon_deg", "alt_m", "min_elevation_deg"])
            w.writerows(rows)
        if how == "file":
            stations = "ground_stations_file: stations.csv\n"
        else:
            stations = "ground_stations:\n" + "".join(
                f"  - {{name: {n}, lat_deg: {la}, lon_deg: {lo}, alt_m: {al}, "
                f"min_elevation_deg: {m}}}\n"
                for n, la, lo, al, m in rows
            )
        (folder / "scenario.yaml").write_text(scenario_text(source, stations).replace("1h", "6h"))
        sc = load_scenario(folder / "scenario.yaml")
        assert [s.name for s in sc.stations()] == [r[0] for r in rows]
        results[how] = simulate(sc, out=folder / "run").table("contacts")
    assert results["file"].num_rows > 0
    assert results["file"].equals(results["inline"])


def test_orbitgrid_errors_are_caught_in_one_place():
    """Commands let OrbitgridError (and its kinds) reach cli.base.Commands, the one handler."""
    import ast

    import orbitgrid.errors
    from orbitgrid.catalog import CatalogError
    from orbitgrid.sweep import SweepError

    kinds = {"OrbitgridError", "ScenarioError", CatalogError.__name__, SweepError.__name__}
    assert all(issubclass(k, orbitgrid.errors.OrbitgridError) for k in (CatalogError, SweepError))
    handlers = []
    for file in sorted((ROOT / "src" / "orbitgrid" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                if names & kinds:
                    handlers.append(f"{file.name}:{node.lineno}")
    assert len(handlers) == 1 and handlers[0].startswith("base.py:"), handlers
