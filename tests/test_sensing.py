"""Remote sensing: swath geometry, one satellite over one event and one station in closed form,
the downlink along a pass at the station's elevation-dependent rate, an alert relayed over a
laser link, the bent-pipe queue, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.constants import EARTH_RADIUS_M, EARTH_ROTATION_RAD_S, SPEED_OF_LIGHT_M_S
from orbitgrid.errors import ScenarioError
from orbitgrid.fleet import build_fleet
from orbitgrid.network.links import (
    GroundLink,
    OpticalTerminal,
    ground_link_rate_bps,
    optical_isl_rate_bps,
)
from orbitgrid.orbits.elements import j2_rates
from orbitgrid.orbits.samples import Samples
from orbitgrid.pipeline import build_world
from orbitgrid.scenario import validate_scenario
from orbitgrid.sensing.alerts import alerts, summarise, swath_mask_rad

A_M = EARTH_RADIUS_M + 500e3
MASK_DEG = 10.0


def test_swath_mask_matches_the_visibility_circle():
    """The mask's central angle, arccos(R cos el / r) - el, is half the swath over R."""
    for swath_km in (1.0, 100.0, 1000.0):
        el = swath_mask_rad(swath_km, A_M)
        lam = math.acos(EARTH_RADIUS_M * math.cos(el) / A_M) - el
        assert lam * EARTH_RADIUS_M == pytest.approx(swath_km * 1e3 / 2, rel=1e-12)
    assert swath_mask_rad(1e-6, A_M) == pytest.approx(math.pi / 2, abs=1e-8)


def _scenario(event_lon_deg, station_lon_deg, events=None, link=None, second_deg=None,
              isl=None, **sensing):
    """An equatorial satellite (and a second one second_deg ahead), one station on the equator."""
    elements = [{"a_km": A_M / 1e3, "e": 0.0, "i_deg": 0.0}]
    if second_deg is not None:
        elements.append({"a_km": A_M / 1e3, "e": 0.0, "i_deg": 0.0,
                         "mean_anomaly_deg": second_deg})
    station = {"name": "gs", "lat_deg": 0.0, "lon_deg": station_lon_deg,
               "min_elevation_deg": MASK_DEG}
    if link is not None:
        station["link"] = link
    data = {
        "name": "one-pass", "epoch": "2026-05-13T00:00:00Z", "duration": "3h", "step": "10s",
        "constellations": [{
            "name": "eq", "elements": elements, "satellite": {"bus": "starcloud-1"},
            **({"isl": isl} if isl is not None else {}),
        }],
        "ground_stations": [station],
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
    table = alerts(build_world(sc))
    assert _seconds(table, "image_time")[0] == pytest.approx(t_image, abs=0.5)
    assert table["inference_s"][0].as_py() == pytest.approx(t_inf, abs=1e-6)
    onboard = t_contact + 10e3 * 8 / 800e6 + 30
    bentpipe = t_contact + spec.image_bytes * 8 / 800e6 + 600 + 30
    assert table["onboard_latency_s"][0].as_py() == pytest.approx(onboard, abs=0.5)
    assert table["bentpipe_latency_s"][0].as_py() == pytest.approx(bentpipe, abs=0.5)
    s = summarise(table)
    assert s["onboard"]["bytes_downlinked"] == 10e3
    assert s["bentpipe"]["bytes_downlinked"] == spec.image_bytes


def _ground_rate_rad_s():
    raan_rate, argp_rate, n = (float(x) for x in j2_rates(A_M, 0.0, 0.0))
    return raan_rate + argp_rate + n - EARTH_ROTATION_RAD_S


def test_downlink_follows_the_stations_rate_along_the_pass():
    """No radio ceiling: an image larger than the pass's first minutes goes down at the X-band
    model's rate, which rises with elevation. Oracle: the closed-form equatorial geometry (range
    and elevation from the angle between satellite and station) integrated at 0.01 s."""
    link = {"band": "x", "rate_bps": 1e10}
    lon0 = _start_lon_deg(_scenario(0.0, 0.0))
    sc = _scenario(lon0 + 20.0, lon0 + 50.0, link=link, image_mb=40_000,
                   downlink_mbps=None)
    assert sc.sensing.downlink_mbps is None
    table = alerts(build_world(sc))
    rate = _ground_rate_rad_s()
    mask = math.radians(MASK_DEG)
    t_contact = (math.radians(50.0) - (math.acos(EARTH_RADIUS_M * math.cos(mask) / A_M) - mask)
                 ) / rate
    t = t_contact + np.arange(0.0, 600.0, 0.01)
    theta = math.radians(50.0) - rate * t  # station minus sub-satellite longitude
    d = np.stack([A_M * np.cos(theta) - EARTH_RADIUS_M, -A_M * np.sin(theta)], axis=-1)
    rng = np.linalg.norm(d, axis=-1)
    el = np.arcsin(d[:, 0] / rng)
    bps = ground_link_rate_bps(rng, el, GroundLink(**link))
    bits = 40_000e6 * 8
    done = t[np.searchsorted(np.cumsum(bps * 0.01), bits)]
    spec = sc.sensing
    bent = table["bentpipe_latency_s"][0].as_py() - spec.ground_processing_s - spec.delivery_s
    assert bent == pytest.approx(done, abs=1.0)
    # the elevation matters: at the zenith rate throughout it would be down tens of s sooner
    assert bent - (t_contact + bits / bps.max()) > 20.0


def test_alert_relayed_over_a_laser_link_pays_the_hop():
    """Two satellites on one equatorial orbit, 20 deg apart, linked in range: the trailing one
    images the event while the station is under the leading one, so the alert crosses one hop:
    distance / c + hop_delay_s + alert bits / hop capacity, then down at the radio's 800 Mbit/s.
    Without the laser (isl: false) it waits for the imaging satellite's own pass (closed form)."""
    lon0 = _start_lon_deg(_scenario(0.0, 0.0))
    rate = _ground_rate_rad_s()
    swath_lam = 50e3 / EARTH_RADIUS_M
    t_image = (math.radians(10.0) - swath_lam) / rate
    station_lon = lon0 + 20.0 + math.degrees(rate * t_image)  # under the leader then
    isl = {"topology": "in-range", "max_range_km": 4000, "hop_delay_s": 5.0}
    event = [{"lat_deg": 0.0, "lon_deg": lon0 + 10.0, "at": 0}]
    sc = _scenario(0.0, station_lon, events=event, second_deg=20.0, isl=isl)
    table = alerts(build_world(sc))
    assert table["satellite"][0].as_py() == "eq-000"
    assert _seconds(table, "image_time")[0] == pytest.approx(t_image, abs=0.5)
    after_image = (table["onboard_latency_s"][0].as_py() - _seconds(table, "image_time")[0])
    d = 2 * A_M * math.sin(math.radians(10.0))
    alert_bits = 10e3 * 8
    hop = d / SPEED_OF_LIGHT_M_S + 5.0 + alert_bits / float(optical_isl_rate_bps(
        d, OpticalTerminal()))
    expected = table["inference_s"][0].as_py() + hop + alert_bits / 800e6 + 30
    assert after_image == pytest.approx(expected, abs=2e-3)
    data = sc.resolved()
    data["sensing"]["isl"] = False
    alone = validate_scenario(data)
    table = alerts(build_world(alone))
    mask = math.radians(MASK_DEG)
    view_lam = math.acos(EARTH_RADIUS_M * math.cos(mask) / A_M) - mask
    t_contact = (math.radians(station_lon - lon0) - view_lam) / rate
    waited = table["onboard_latency_s"][0].as_py()
    assert waited == pytest.approx(t_contact + alert_bits / 800e6 + 30, abs=0.5)
    assert waited - _seconds(table, "image_time")[0] > 60.0 + expected


def test_bent_pipe_images_queue_and_unseen_events_stay_empty():
    """Two images of one place wait in line for the downlink; an event off the ground track is
    never imaged and has no latency."""
    lon0 = _start_lon_deg(_scenario(0.0, 0.0))
    events = [{"lat_deg": 0.0, "lon_deg": lon0 + 20.0, "at": 0},
              {"lat_deg": 0.0, "lon_deg": lon0 + 20.0, "at": 0},
              {"lat_deg": 60.0, "lon_deg": lon0 + 20.0, "at": 0}]
    sc = _scenario(0.0, lon0 + 50.0, events=events)
    table = alerts(build_world(sc))
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
    no_lasers = _scenario(0.0, 0.0)
    data = no_lasers.resolved()
    data["sensing"]["isl"] = True
    no_lasers = validate_scenario(data)
    with pytest.raises(ScenarioError, match="sensing.isl: constellation 'eq' has no lasers"):
        alerts(build_world(no_lasers))
