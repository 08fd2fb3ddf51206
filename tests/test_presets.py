"""Presets of the systems in the brief: each validates, runs on a short horizon, and gives the
figures its docs section reports."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from orbitgrid import simulate
from orbitgrid.cli import app
from orbitgrid.scenario import load_scenario, preset_names, preset_path

PRESETS = ["starcloud-1", "starcloud-40mw", "suncatcher-81", "starlink", "three-body-12",
           "oriental-insight", "ground-40mw"]
runner = CliRunner()


def test_every_system_has_a_preset():
    assert set(PRESETS) <= set(preset_names())


@pytest.mark.parametrize("name", PRESETS)
def test_preset_validates(name):
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 0, result.output
    assert f"{name}: ok" in result.output


@pytest.mark.parametrize("name", PRESETS)
def test_preset_figures_carry_a_source(name):
    """Each preset opens with a comment saying what it is; every line that sets a number in a
    satellite, economics, ground, isl or sensing block says where it comes from, or sits in a
    block whose comment does."""
    text = preset_path(name).read_text()
    assert text.startswith("# ")
    assert re.search(r"estimate|paper|datasheet|Starcloud|Google|SpaceX|ADA|catalog", text)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_runs_on_a_short_horizon(name, tmp_path):
    duration = "5min" if name == "starlink" else "20min"
    run = simulate(load_scenario(name, {"duration": duration, "step": "60s"}),
                   out=tmp_path / "run")
    s = run.summary
    if name == "ground-40mw":
        g = s["ground"]
        assert g["run_it_energy_mwh"] == pytest.approx(40 * 20 / 60, abs=1e-3)
        assert g["run_grid_energy_mwh"] == pytest.approx(40 * 20 / 60 * 1.2, abs=1e-3)
        return
    assert s["satellites"] > 0 and s["propagation_errors"] == 0
    physics = s["physics"]["constellations"][0]
    if name == "starcloud-40mw":  # 40 modules of 1 MW: the sized design holds its load in sun
        assert physics["mean_compute_w"] == pytest.approx(1e6, rel=0.05)
    if name == "suncatcher-81":
        assert physics["mean_compute_w"] == pytest.approx(16 * 300, rel=0.01)
        assert s["network"]["isls_per_satellite_mean"] >= 2
    if name == "oriental-insight":
        assert "alerts" in run.tables
        assert s["sensing"]["events"] == 106
    if name == "starlink":
        assert s["satellites"] == 10_361
        assert s["network"]["routes"][0]["reachable_fraction"] > 0.5


# --- the presets against the published figures of the systems they model -----------------------
# Each figure is copied from its source (../shared/REFERENCES.md), never read from orbitgrid.

MU_EARTH_M3_S2 = 3.986004418e14  # WGS84 / IERS
R_EARTH_M = 6_378_137.0


def _resolved(name):
    """The preset's scenario and its first constellation's resolved satellite."""
    from orbitgrid.physics.satellite import resolve_constellations

    sc = load_scenario(name)
    (sat, *_) = resolve_constellations([c.satellite for c in sc.constellations], sc.catalog)
    return sc, sat


def test_starcloud_1_is_one_60kg_h100_satellite_on_its_published_orbit():
    # Starcloud-1: 60 kg, one NVIDIA H100 (Starcloud press release; CNBC, 10 Dec 2025); NORAD
    # 66303 elements: 45.4 deg, 94.63 min period (REFERENCES.md section B)
    sc, sat = _resolved("starcloud-1")
    assert sat.mass_kg == 60.0
    assert sat.payload.count == 1 and sat.accelerator.name.startswith("NVIDIA H100")
    (el,) = sc.constellations[0].elements
    assert el.i_deg == pytest.approx(45.4, abs=0.05)
    period_min = 2 * 3.141592653589793 * (el.a_km * 1e3) ** 1.5 / MU_EARTH_M3_S2**0.5 / 60
    assert period_min == pytest.approx(94.63, abs=0.3)


def test_suncatcher_81_is_the_papers_cluster():
    # Suncatcher (arXiv 2511.19468): 81 satellites within a 1 km radius, dawn-dusk SSO ~650 km,
    # Trillium (TPU v6e) chips (REFERENCES.md section A)
    sc, sat = _resolved("suncatcher-81")
    f = sc.constellations[0].formation
    assert f.satellites == 81 and f.radius_m == 1000.0 and f.altitude_km == 650.0
    assert f.ltan in (18.0, 6.0)  # dawn-dusk: the node at 18:00 or 06:00 local time
    assert "Trillium" in sat.accelerator.name


def test_three_body_12_has_744_tops_per_satellite():
    # ADA Space / Zhejiang Lab launch reports, 14 May 2025: 12 satellites, 744 TOPS each
    sc, sat = _resolved("three-body-12")
    assert sc.constellations[0].sun_synchronous.satellites == 12
    assert sat.accelerator.peak_tflops["int8"] * sat.payload.count == 744.0
