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
