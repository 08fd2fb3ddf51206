"""A failing satellite does not fail the run; a slant-range limit shortens contacts exactly."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid import load_scenario, simulate
from orbitgrid.orbits.elsets import tle_checksum
from orbitgrid.orbits.frames import elevation_rad, geodetic_to_ecef, local_up, teme_to_ecef
from orbitgrid.orbits.timescale import gmst_rad, julian_date

GOOD_1 = "1 44714C 19074B   26132.95048611 -.00027894  00000+0 -54858-3 0  1322"
GOOD_2 = "2 44714  53.1534 236.8965 0001912  20.7505  90.9471 15.46691953    14"


def _with_checksum(line: str) -> str:
    return line[:68] + str(tle_checksum(line))


def _decaying_tle() -> tuple[str, str]:
    """The same satellite with a huge drag term and 16.3 rev/day: SGP4 gives up within hours."""
    line1 = _with_checksum(GOOD_1[:53] + " 50000-1" + GOOD_1[61:])
    line2 = _with_checksum(GOOD_2[:52] + "16.30000000" + GOOD_2[63:])
    return line1.replace("44714C", "44799C"), line2.replace("2 44714", "2 44799")


def _scenario(tmp_path, extra: str = "", station: str = "", constellation: str = "",
              doomed: bool = True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    l1, l2 = _decaying_tle()
    l1, l2 = _with_checksum(l1), _with_checksum(l2)
    doomed_tle = f"DOOMED\n{l1}\n{l2}\n" if doomed else ""
    (tmp_path / "sats.tle").write_text(f"GOOD\n{GOOD_1}\n{GOOD_2}\n{doomed_tle}")
    (tmp_path / "s.yaml").write_text(
        "name: robust\nepoch: 2026-05-13T00:00:00Z\nduration: 12h\nstep: 30s\n"
        f"constellations:\n  - {{name: sats, tle_file: sats.tle, {constellation}}}\n"
        f"ground_stations:\n  - {{name: Quito, lat_deg: -0.18, lon_deg: -78.47, alt_m: 2850, "
        f"min_elevation_deg: 10{station}}}\n{extra}"
    )
    return load_scenario(tmp_path / "s.yaml")


def test_a_decaying_satellite_is_reported_and_the_run_goes_on(tmp_path):
    run = simulate(_scenario(tmp_path), out=tmp_path / "run")
    sats = {row["satellite"]: row for row in run.table("satellites").to_pylist()}
    assert sats["GOOD"]["error"] is None and sats["GOOD"]["error_time"] is None
    assert sats["DOOMED"]["error"]  # SGP4's own message for its error code
    failed_after_h = (sats["DOOMED"]["error_time"].timestamp() - 1778630400) / 3600
    assert 0 < failed_after_h < 12
    assert run.summary["propagation_errors"] == 1
    eclipses = run.table("eclipses").to_pylist()
    good = [e for e in eclipses if e["satellite"] == "GOOD"]
    assert len(good) >= 2 * 7  # ~7.7 orbits in 12 h, an umbra and two penumbrae each
    doomed_end = max(
        (e["end_time"].timestamp() for e in eclipses if e["satellite"] == "DOOMED"), default=0
    )
    assert doomed_end <= sats["DOOMED"]["error_time"].timestamp() + 1


@pytest.mark.parametrize("max_range_km", [1200.0, 1500.0])
def test_max_range_cuts_contacts_at_that_slant_range(tmp_path, max_range_km):
    """Edges of range-limited contacts lie at the limit (within 50 m) or at the 10 deg mask."""
    free = simulate(_scenario(tmp_path / "a"), out=tmp_path / "free")
    limited_scenario = _scenario(tmp_path / "b", station=f", max_range_km: {max_range_km}")
    limited = simulate(limited_scenario, out=tmp_path / "limited")
    free_rows = [r for r in free.table("contacts").to_pylist() if r["satellite"] == "GOOD"]
    rows = [r for r in limited.table("contacts").to_pylist() if r["satellite"] == "GOOD"]
    assert rows and len(rows) <= len(free_rows)
    assert sum(r["duration_s"] for r in rows) < sum(r["duration_s"] for r in free_rows)
    # independent check of the edges: exact SGP4 and the WGS84 station position
    from sgp4.api import Satrec

    sat = Satrec.twoline2rv(GOOD_1, GOOD_2)
    lat, lon = np.deg2rad(-0.18), np.deg2rad(-78.47)
    station, up = geodetic_to_ecef(lat, lon, 2850.0), local_up(lat, lon)
    edges_at_limit = 0
    epoch = np.datetime64("2026-05-13T00:00:00")
    for r in rows:
        for edge in (r["start_time"], r["end_time"]):
            t = np.array([edge.timestamp() - 1778630400.0])
            jd, fr = julian_date(epoch, t)
            _, pos_km, _ = sat.sgp4_array(jd, fr)
            ecef = teme_to_ecef(pos_km * 1e3, gmst_rad(jd, fr))
            slant_km = np.linalg.norm(ecef[0] - station) / 1e3
            elevation_deg = np.rad2deg(elevation_rad(ecef[0], station, up))
            at_limit = abs(slant_km - max_range_km) < 0.05
            at_mask = abs(elevation_deg - 10.0) < 0.01 and slant_km < max_range_km
            assert at_limit or at_mask, (edge, slant_km, elevation_deg)
            edges_at_limit += at_limit
    assert edges_at_limit > 0


def test_a_run_that_fails_half_way_leaves_no_folder(tmp_path, monkeypatch):
    """A stage that raises in the middle of the run: the exception surfaces, nothing is left."""
    import orbitgrid.pipeline as pipeline
    import orbitgrid.simulation as simulation

    blocks = []
    write = simulation.EphemerisTable.block

    def failing(self, block):
        write(self, block)
        blocks.append(block)
        if len(blocks) == 3:
            raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "SAMPLE_BLOCK", 100)  # many blocks for a small fleet
    monkeypatch.setattr(simulation.EphemerisTable, "block", failing)
    scenario = _scenario(tmp_path / "in")
    with pytest.raises(RuntimeError, match="disk full"):
        simulate(scenario, out=tmp_path / "out" / "run", save=["ephemeris"])
    assert list((tmp_path / "out").iterdir()) == []


def test_a_gone_satellite_counts_while_it_flew(tmp_path):
    # the 7-day starlink-gen2 run lost two catalogue satellites, and its summary said NaN for
    # the energy and compute of their whole constellation: a gone satellite now keeps its
    # state and its totals stand still, so the figures cover each satellite while it flew
    bus = "satellite: {bus: starcloud-1}"
    run = simulate(_scenario(tmp_path / "both", constellation=bus), out=tmp_path / "run",
                   save=["power"])
    (figures,) = run.summary["physics"]["constellations"]
    assert figures["satellites"] == 2
    assert all(np.isfinite(v) for v in figures.values() if isinstance(v, float)), figures
    assert figures["energy_balance_error"] < 1e-6
    rows = [r for r in run.table("power").to_pylist() if r["satellite"] == "DOOMED"]
    rows.sort(key=lambda r: r["time"])
    flew = np.array([r["battery_wh"] is not None and np.isfinite(r["battery_wh"]) for r in rows])
    gone_at = rows[int(np.argmax(~flew))]["time"]
    sats = {row["satellite"]: row for row in run.table("satellites").to_pylist()}
    # gone from a step at most one 120 s knot interval before SGP4's error, and for good
    assert 0 <= (sats["DOOMED"]["error_time"] - gone_at).total_seconds() <= 150
    assert not flew[np.argmax(~flew):].any() and flew[:10].all()
    # the constellation's harvest: the good satellite alone for the whole run (its own run,
    # without the doomed one) plus the doomed one's steps while it flew (power.parquet rows)
    alone = simulate(_scenario(tmp_path / "alone", constellation=bus, doomed=False),
                     out=tmp_path / "alone-run").summary["physics"]["constellations"][0]
    doomed_kwh = sum(r["generated_w"] * 30.0 for r, f in zip(rows, flew) if f) / 3.6e6  # 30 s
    assert figures["energy_harvested_kwh"] == pytest.approx(
        alone["energy_harvested_kwh"] + doomed_kwh, rel=1e-4)
