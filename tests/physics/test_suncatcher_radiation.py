"""Suncatcher's published radiation figures against the physics stage at the Suncatcher orbit.

Google, "Towards a future space-based, highly scalable AI infrastructure system design" (Nov
2025), and Google's Project Suncatcher blog post: a Trillium TPU v6e in a 67 MeV proton beam;
its HBM began to show irregularities only after a cumulative 2 krad(Si), nearly three times the
expected (shielded) five-year mission dose of 750 rad(Si), i.e. 150 rad(Si) per year; no hard
failures from total ionising dose up to 15 krad(Si) on a single chip.

The issue also asks for event rates per chip-year from the paper's dose rate and rad-per-event
figures; we could not find a published rad-per-event (or cross-section) figure, so these checks
stop at the doses and margins that are published, and the catalogue's TPU cross-sections stay
marked as estimates. Note that radiation.py calibrates its SAA flux on this very figure (150
rad(Si)/year at 650 km dawn-dusk behind 10 mm Al): the dose check is that the whole pipeline
(propagated orbit, time in the SAA box, shielding, stopping power) reproduces the calibration,
not an independent prediction of the dose.
"""

from __future__ import annotations

import pytest
import yaml

from orbitgrid import simulate
from orbitgrid.physics.stage import SHIELDING_MM_AL
from orbitgrid.scenario import preset_path, validate_scenario

MISSION_DOSE_RAD = 750.0  # shielded, five years (the paper)
MISSION_YEARS = 5.0
HBM_IRREGULAR_RAD = 2000.0  # first HBM irregularities in the beam (the paper)
NO_HARD_FAILURE_RAD = 15000.0  # no hard TID failure up to here, one chip (the paper)
# The model is one SAA box and a GCR term calibrated on this orbit (radiation.py); three days of
# a propagated orbit sample the SAA passes with some noise: hold the dose within 1.5x.
FACTOR = 1.5


@pytest.fixture(scope="module")
def suncatcher_dose_rad_per_year(tmp_path_factory) -> float:
    """The physics stage's dose per year on the suncatcher-81 preset: the 81-satellite formation
    at 650 km in a dawn-dusk sun-synchronous orbit, 3 days at 60 s, physics only."""
    source = preset_path("suncatcher-81")
    data = yaml.safe_load(source.read_text())
    data.update(duration="3d", step="60s")
    data.pop("workload", None)
    for c in data["constellations"]:
        c.pop("isl", None)
    scenario = validate_scenario(data, base_dir=source.parent)
    run = simulate(scenario, out=tmp_path_factory.mktemp("suncatcher") / "run")
    (cluster,) = run.summary["physics"]["constellations"]
    assert cluster["satellites"] == 81
    return cluster["dose_rad_per_year"]


def test_dose_rate_at_the_suncatcher_orbit(suncatcher_dose_rad_per_year):
    # behind the stage's device shielding (10 mm Al), the one the model's calibration assumes;
    # the preset states no other. Measured here: 161 rad(Si) per year.
    assert SHIELDING_MM_AL == 10.0
    published = MISSION_DOSE_RAD / MISSION_YEARS  # 150 rad(Si) per year
    assert published / FACTOR < suncatcher_dose_rad_per_year < published * FACTOR


def test_hbm_margin_over_the_mission(suncatcher_dose_rad_per_year):
    # published: 2 krad / 750 rad = 2.67, "nearly three times" the mission dose
    assert HBM_IRREGULAR_RAD / MISSION_DOSE_RAD == pytest.approx(2.67, abs=0.01)
    mission_rad = suncatcher_dose_rad_per_year * MISSION_YEARS
    margin = HBM_IRREGULAR_RAD / mission_rad  # measured here: 2.48
    assert 2.67 / FACTOR < margin < 2.67 * FACTOR
    # and the chip's hard-failure floor stays an order of magnitude above the mission dose
    assert NO_HARD_FAILURE_RAD / mission_rad > 10.0
