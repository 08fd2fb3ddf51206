"""The HTML report, CZML and OEM exports of a small run (demo, 1 h at 60 s)."""

import json
import re
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitgrid import Run, load_scenario, simulate
from orbitgrid.cli import app
from orbitgrid.orbits.frames import teme_to_ecef
from orbitgrid.orbits.timescale import gmst_rad, julian_date
from orbitgrid.report import (
    czml_summary,
    plots,
    read_oem,
    report_html,
    run_tracks,
    write_czml,
    write_oem,
)

BASE_TITLES = [
    "Scenario summary",
    "Eclipse timeline of chosen satellites (UTC)",
    "Eclipse duration distribution (all satellites)",
    "Ground contacts by station (UTC)",
    "Contact duration distribution",
]
EXTRA_TITLES = [
    "Power generated and used by chosen satellites",
    "Battery energy of chosen satellites",
    "Radiator temperature of chosen satellites",
    "Radiation events per hour (all satellites)",
    "Link distance distribution (mean per link)",
    "Link one-way light time distribution",
    "Links up over time",
    "Route round-trip time",
    "Route latency split (one way: up, ISL hops, down)",
    "Route round-trip time distribution",
    "Job schedule on satellites (Gantt, UTC)",
    "Fleet utilisation (share of satellites running a job)",
    "Job completion time distribution",
    "Cost waterfall (costs)",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    scenario = load_scenario("demo", {"duration": "1h", "step": "60s"})
    return simulate(scenario, out=tmp_path_factory.mktemp("r") / "demo", save=["ephemeris"])


@pytest.fixture(scope="module")
def full_run(run, tmp_path_factory):
    """The run with the tables other stages write, made up with their documented columns."""
    import shutil

    path = tmp_path_factory.mktemp("f") / "full"
    shutil.copytree(run.path, path)
    sats = run.table("satellites").column("satellite").to_pylist()
    t0 = run.table("ephemeris").column("time").to_pylist()[0]
    times = [t0 + timedelta(minutes=k) for k in range(60)]
    n = len(times)
    ts = pa.timestamp("ms", tz="UTC")
    power = {
        "time": pa.array(times * 2, ts),
        "satellite": [sats[0]] * n + [sats[80]] * n,
        "generated_w": np.linspace(0, 900, 2 * n),
        "load_w": np.full(2 * n, 700.0),
        "battery_wh": np.linspace(2000, 1500, 2 * n),
        "compute_w_allowed": np.full(2 * n, 650.0),
        "radiator_temp_k": np.linspace(280, 300, 2 * n),
    }
    tables = {
        "power": pa.table(power),
        "radiation": pa.table(
            {"time": pa.array(times[::7], ts), "satellite": sats[:9], "kind": ["seu"] * 9}
        ),
        "links": pa.table(
            {
                "a": sats[:5],
                "b": sats[1:6],
                "up_s": [3600.0] * 5,
                "distance_km": [700.0, 710, 720, 730, 740],
            }
        ),
        "link_steps": pa.table(
            {
                "time": pa.array(times[:10] + times[30:40], ts),
                "a": [sats[0]] * 20,
                "b": [sats[1]] * 20,
                "kind": ["isl"] * 20,
                "distance_km": [700.0] * 20,
            }
        ),
        "routes": pa.table(
            {
                "time": pa.array(times, ts),
                "src": ["Paris"] * n,
                "dst": ["Luanda"] * n,
                "rtt_ms": np.linspace(20, 40, n),
                "hops": [3] * n,
                "up_ms": [2.0] * n,
                "isl_ms": np.linspace(6, 16, n),
                "down_ms": [2.0] * n,
            }
        ),
        "schedule": pa.table(
            {
                "job": ["j1", "j2"],
                "satellite": sats[:2],
                "start_time": pa.array(times[:2], ts),
                "end_time": pa.array(times[10:12], ts),
            }
        ),
        "jobs": pa.table(
            {
                "job": ["j1", "j2"],
                "kind": ["batch"] * 2,
                "arrival_time": pa.array(times[:2], ts),
                "start_time": pa.array(times[:2], ts),
                "end_time": pa.array(times[10:12], ts),
            }
        ),
        "costs": pa.table({"item": ["launch", "array", "total"], "cost_usd": [5e6, 2e6, 7e6]}),
    }
    for name, table in tables.items():
        pq.write_table(table, path / f"{name}.parquet")
    return Run(path)


def _external_urls(html):
    """src/href of script and link tags that point off this machine."""
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    urls = [u for tag in tags for u in re.findall(r"(?:src|href)=[\"']?([^\"' >]+)", tag)]
    return [u for u in urls if re.match(r"(https?:)?//(?!localhost|127\.0\.0\.1)", u)]


def test_report_has_every_plot_title_and_no_external_url(run):
    html = report_html(run)
    for title in BASE_TITLES:
        assert title in html, title
    assert _external_urls(html) == []
    assert "<script src" not in html  # plotly.js inline: opens offline
    assert "Plotly.newPlot" in html and len(html) > 3_000_000


def test_report_plots_later_tables_when_present(run, full_run):
    assert not any(t in report_html(run) for t in EXTRA_TITLES)
    html = report_html(full_run)
    for title in BASE_TITLES + EXTRA_TITLES:
        assert title in html, title
    assert _external_urls(html) == []


def test_every_plot_has_a_title_and_axis_units(full_run):
    found = plots(full_run)
    assert len(found) == len(BASE_TITLES) - 1 + len(EXTRA_TITLES)
    for p in found:
        layout = p.figure.layout
        assert layout.title.text == p.title
        for axis in (layout.xaxis.title.text, layout.yaxis.title.text):
            assert axis, p.title
        units = layout.xaxis.title.text + layout.yaxis.title.text
        assert re.search(r"\((UTC|min|ms|km|W|Wh|K|%|USD)\)|count|satellite|station|item", units)


def test_czml_round_trip(run, tmp_path):
    path = write_czml(run, tmp_path / "run.czml")
    packets = json.loads(path.read_text())
    got = czml_summary(packets)
    assert got["satellites"] == run.summary["satellites"] == 93
    assert got["start"].startswith("2026-05-13T00:00:00")
    assert got["end"].startswith("2026-05-13T01:00:00")
    sats = [p for p in packets if p["id"].startswith("sat/")]
    times = np.array(sats[0]["position"]["cartesian"]).reshape(-1, 4)[:, 0]
    assert times[0] == 0 and times[-1] == run.summary["duration_s"]
    radius_km = (
        np.linalg.norm(np.array(sats[0]["position"]["cartesian"]).reshape(-1, 4)[:, 1:], axis=1)
        / 1e3
    )
    assert np.all(np.abs(radius_km - 6928) < 30)  # 550 km shell
    stations = [p for p in packets if p["id"].startswith("station/")]
    assert len(stations) == run.summary["ground_stations"]
    contacts = [p for p in packets if p["id"].startswith("contact/")]
    assert len(contacts) == run.summary["contacts"]
    # a satellite that is eclipsed has umbra-coloured intervals, one per eclipse interval
    eclipses = run.query(
        "select satellite, count(*) as n from eclipses where kind = 'umbra' "
        "group by satellite order by satellite limit 1"
    ).to_pylist()[0]
    sat = next(p for p in sats if p["name"] == eclipses["satellite"])
    umbra = [c for c in sat["point"]["color"] if c["rgba"] == [90, 120, 190, 255]]
    assert len(umbra) == eclipses["n"]


def test_czml_links_are_time_tagged_from_link_steps(full_run, tmp_path):
    packets = json.loads(write_czml(full_run, tmp_path / "full.czml").read_text())
    links = [p for p in packets if p["id"].startswith("link/")]
    assert len(links) == 1  # link_steps wins over the links summary
    assert links[0]["polyline"]["positions"]["references"][0] == "sat/shell-p00-s00#position"
    assert links[0]["availability"] == [
        "2026-05-13T00:00:00.000000Z/2026-05-13T00:10:00.000000Z",
        "2026-05-13T00:30:00.000000Z/2026-05-13T00:40:00.000000Z",
    ]


def test_tracks_from_ephemeris_match_propagation_and_decimate(run):
    table, again = run_tracks(run), run_tracks(run, propagate=True)
    assert table.source == "ephemeris" and again.source == "propagated"
    assert np.abs(table.r_ecef_m - again.r_ecef_m).max() < 1.0  # metres
    small = run_tracks(run, max_satellites=10, max_samples=100)
    assert small.r_ecef_m.shape == (9, 10, 3)
    assert small.decimation.describe() == (
        "10 of 93 satellites (evenly sampled), 420 s step (run step 60 s)"
    )


def test_oem_files_in_teme_agree_with_the_earth_fixed_ephemeris(run, tmp_path):
    paths = write_oem(run, tmp_path / "oem")
    assert len(paths) == 93
    oem = read_oem(tmp_path / "oem" / "shell-p00-s00.oem")
    keys = oem["keys"]
    assert keys["CCSDS_OEM_VERS"] == "2.0" and keys["REF_FRAME"] == "TEME"
    assert keys["CENTER_NAME"] == "EARTH" and keys["TIME_SYSTEM"] == "UTC"
    assert keys["START_TIME"] == "2026-05-13T00:00:00.000"
    assert keys["STOP_TIME"] == "2026-05-13T01:00:00.000"
    assert oem["state"].shape == (61, 6)
    epoch = np.datetime64("2026-05-13T00:00:00", "ns")
    t_s = (oem["time"] - oem["time"][0]).astype("timedelta64[ms]").astype(float) / 1e3
    ecef_km = teme_to_ecef(oem["state"][:, :3], gmst_rad(*julian_date(epoch, t_s)))
    eph = run.query(
        "select x_km, y_km, z_km from ephemeris where satellite = 'shell-p00-s00' order by time"
    )
    expected = np.column_stack([eph.column(c).to_numpy() for c in ("x_km", "y_km", "z_km")])
    assert np.abs(ecef_km - expected).max() < 1e-3  # km


def test_cli_report_export_and_run_report(run, tmp_path):
    cli = CliRunner()
    done = cli.invoke(app, ["report", str(run.path), "--out", str(tmp_path / "r.html")])
    assert done.exit_code == 0, done.output
    assert "Contact duration distribution" in (tmp_path / "r.html").read_text()
    done = cli.invoke(
        app,
        [
            "export",
            str(run.path),
            "--czml",
            str(tmp_path / "x.czml"),
            "--oem",
            str(tmp_path / "oem"),
            "--step",
            "5min",
        ],
    )
    assert done.exit_code == 0, done.output
    assert len(list((tmp_path / "oem").glob("*.oem"))) == 93
    assert czml_summary(json.loads((tmp_path / "x.czml").read_text()))["satellites"] == 93
    done = cli.invoke(
        app,
        [
            "run",
            "demo",
            "--duration",
            "20min",
            "--step",
            "60s",
            "--report",
            "--out",
            str(tmp_path / "again"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "Scenario summary" in (tmp_path / "again" / "report.html").read_text()


def test_cli_export_errors_are_one_line(run, tmp_path):
    cli = CliRunner()
    done = cli.invoke(app, ["export", str(run.path)])
    assert done.exit_code == 2
    done = cli.invoke(app, ["export", str(tmp_path), "--czml", "x.czml"])
    assert done.exit_code == 2 and "not a run folder" in done.output
    done = cli.invoke(app, ["report", str(run.path), "--satellite", "nope"])
    assert done.exit_code == 2 and "nope" in done.output
