"""Remote sensing: swath geometry, one satellite over one event and one station in closed form,
the bent-pipe queue, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.constants import EARTH_RADIUS_M, EARTH_ROTATION_RAD_S
from orbitgrid.fleet import build_fleet
from orbitgrid.orbits.elements import j2_rates
from orbitgrid.orbits.samples import Samples
from orbitgrid.scenario import validate_scenario
from orbitgrid.sensing import alerts, summarise, swath_mask_rad

A_M = EARTH_RADIUS_M + 500e3
MASK_DEG = 10.0


def test_swath_mask_matches_the_visibility_circle():
    """The mask's central angle, arccos(R cos el / r) - el, is half the swath over R."""
    for swath_km in (1.0, 100.0, 1000.0):
        el = swath_mask_rad(swath_km, A_M)
        lam = math.acos(EARTH_RADIUS_M * math.cos(el) / A_M) - el
        assert lam * EARTH_RADIUS_M == pytest.approx(swath_km * 1e3 / 2, rel=1e-12)
    assert swath_mask_rad(1e-6, A_M) == pytest.approx(math.pi / 2, abs=1e-8)


def _scenario(event_lon_deg, station_lon_deg, events=None, **sensing):
    data = {
        "name": "one-pass", "epoch": "2026-05-13T00:00:00Z", "duration": "3h", "step": "10s",
        "constellations": [{
            "name": "eq", "elements": [{"a_km": A_M / 1e3, "e": 0.0, "i_deg": 0.0}],
            "satellite": {"bus": "starcloud-1"},
        }],
        "ground_stations": [{"name": "gs", "lat_deg": 0.0, "lon_deg": station_lon_deg,
                             "min_elevation_deg": MASK_DEG}],
        "sensing": {"swath_km": 100, "downlink_mbps": 800, "ground_processing_s": 600,
                    "delivery_s": 30, "alert_kb": 10,
                    "events": events or [{"lat_deg": 0.0, "lon_deg": event_lon_deg, "at": 0}],
                    **sensing},
    }
    return validate_scenario(data)


def _start_lon_deg(scenario):
    fleet = build_fleet(scenario)
    s = fleet.propagate(scenario.epoch64, np.array([0.0]))
    lon = Samples(scenario.epoch64, np.array([0.0]), s.r, s.v).geodetic[1]
    return float(np.rad2deg(lon[0, 0]))


def _seconds(table, column):
    ms = table[column].cast("int64").to_numpy(zero_copy_only=False).astype(float)
    return ms / 1e3 - np.datetime64("2026-05-13T00:00:00", "ms").astype(np.int64) / 1e3


def test_one_satellite_one_station_closed_form():
    """Equatorial circular orbit: the sub-satellite point moves east at u' - w_E, so the event
    enters the swath, and the station comes into view, at times known in closed form."""
    probe = _scenario(0.0, 0.0)
    lon0 = _start_lon_deg(probe)
    event_lon, station_lon = lon0 + 20.0, lon0 + 50.0
    sc = _scenario(event_lon, station_lon)
    fleet = build_fleet(sc)
    raan_rate, argp_rate, n = (float(x) for x in j2_rates(A_M, 0.0, 0.0))
    rate = raan_rate + argp_rate + n - EARTH_ROTATION_RAD_S  # rad/s eastward over the ground
    swath_lam = 50e3 / EARTH_RADIUS_M
    mask = math.radians(MASK_DEG)
    view_lam = math.acos(EARTH_RADIUS_M * math.cos(mask) / A_M) - mask
    t_image = (math.radians(20.0) - swath_lam) / rate
    t_contact = (math.radians(50.0) - view_lam) / rate
    spec = sc.sensing
    # starcloud-1: one H100 at 1,979 int8 TOPS (catalogue)
    t_inf = spec.inference_ops / (1979e12 * 1 * spec.utilisation)
    table = alerts(sc, fleet, sc.stations())
    assert _seconds(table, "image_time")[0] == pytest.approx(t_image, abs=0.5)
    assert table["inference_s"][0].as_py() == pytest.approx(t_inf, abs=1e-6)
    onboard = t_contact + 10e3 * 8 / 800e6 + 30
    bentpipe = t_contact + spec.image_bytes * 8 / 800e6 + 600 + 30
    assert table["onboard_latency_s"][0].as_py() == pytest.approx(onboard, abs=0.5)
    assert table["bentpipe_latency_s"][0].as_py() == pytest.approx(bentpipe, abs=0.5)
    s = summarise(table)
    assert s["onboard"]["bytes_downlinked"] == 10e3
    assert s["bentpipe"]["bytes_downlinked"] == spec.image_bytes


def test_bent_pipe_images_queue_and_unseen_events_stay_empty():
    """Two images of one place wait in line for the downlink; an event off the ground track is
    never imaged and has no latency."""
    lon0 = _start_lon_deg(_scenario(0.0, 0.0))
    events = [{"lat_deg": 0.0, "lon_deg": lon0 + 20.0, "at": 0},
              {"lat_deg": 0.0, "lon_deg": lon0 + 20.0, "at": 0},
              {"lat_deg": 60.0, "lon_deg": lon0 + 20.0, "at": 0}]
    sc = _scenario(0.0, lon0 + 50.0, events=events)
    table = alerts(sc, build_fleet(sc), sc.stations())
    bent = table["bentpipe_latency_s"].to_numpy(zero_copy_only=False)
    transfer = sc.sensing.image_bytes * 8 / 800e6
    assert bent[1] - bent[0] == pytest.approx(transfer, abs=1e-3)
    assert table["satellite"][2].as_py() is None
    assert math.isnan(bent[2])
    assert summarise(table)["imaged"] == 2


def test_sensing_errors_are_one_line_exit_2(tmp_path):
    runner = CliRunner()
    base = {
        "name": "bad", "epoch": "2026-05-13T00:00:00Z", "duration": "1h", "step": "60s",
        "constellations": [{"name": "eq", "elements": [{"a_km": 6878, "i_deg": 0}]}],
        "ground_stations": [{"name": "gs", "lat_deg": 0, "lon_deg": 0}],
    }
    for sensing, needle in (({"swath_km": -1}, "sensing.swath_km"),
                            ({"constellations": ["nope"]}, "no constellation 'nope'"),
                            ({"events": [{"lat_deg": 0, "lon_deg": 0}]}, "no accelerator")):
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump({**base, "sensing": sensing}))
        result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "run")])
        assert result.exit_code == 2, result.output
        assert needle in result.output
        assert not (tmp_path / "run").exists()
