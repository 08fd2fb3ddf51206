"""The scenario's `satellite:` block: parsing, bus merging, one-line errors naming the field."""

import math

import pytest
import yaml

from orbitgrid.catalog import load_catalog
from orbitgrid.physics.satellite import SatelliteError, SatelliteSpec, resolve_satellite

EXAMPLE = """
satellite:
  bus: starcloud-1
  solar: {area_m2: 100, cell: triple-junction, efficiency: 0.30, packing: 0.9,
          pointing: sun-tracking, degradation_per_year: 0.005}
  battery: {capacity_wh: 20000, max_dod: 0.3, efficiency: 0.95}
  radiator: {area_m2: 60, sides: 2, emissivity: 0.9, absorptivity: 0.15,
             orientation: edge-on, max_temp_k: 330}
  payload: {accelerator: h100, count: 8, housekeeping_w: 500}
"""


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_issue_example_resolves_with_every_key(catalog):
    data = yaml.safe_load(EXAMPLE)["satellite"]
    sat = resolve_satellite(SatelliteSpec.model_validate(data), catalog)
    assert sat.solar.area_m2 == 100 and sat.solar.efficiency == 0.30
    assert sat.solar.packing == 0.9 and sat.solar.degradation_per_year == 0.005
    assert sat.battery.capacity_wh == 20000 and sat.battery.max_dod == 0.3
    assert sat.battery.capacity_j == 20000 * 3600
    assert sat.battery.floor_j == pytest.approx(20000 * 3600 * 0.7)
    assert sat.radiator.area_m2 == 60 and sat.radiator.orientation == "edge-on"
    assert sat.radiator.emissivity == 0.9 and sat.radiator.absorptivity == 0.15
    assert sat.payload.count == 8
    assert sat.compute_power_w == 8 * 700
    assert sat.mass_kg == 60  # from the bus


def test_bus_defaults_with_one_override(catalog):
    sat = resolve_satellite({"bus": "starcloud-1", "solar": {"area_m2": 8}}, catalog)
    assert sat.solar.area_m2 == 8
    assert sat.solar.efficiency == catalog.solar_cells["triple-junction"].efficiency
    assert sat.payload.accelerator == "h100"
    assert sat.accelerator.power_w == 700
    coating = catalog.radiator_coatings["white-paint"]
    assert sat.radiator.emissivity == coating.emissivity


def test_without_bus_minimal_keys(catalog):
    sat = resolve_satellite({"solar": {"area_m2": 10, "cell": "silicon"},
                             "battery": {"capacity_wh": 500}, "radiator": {"area_m2": 2},
                             "payload": {"accelerator": "jetson-agx-orin", "count": 2}}, catalog)
    assert sat.solar.efficiency == 0.22
    assert sat.compute_power_w == 120
    assert sat.radiator.heat_capacity_j_k > 0


@pytest.mark.parametrize("bus", ["starlink-v2-mini", "starcloud-1", "suncatcher", "three-body"])
def test_every_bus_resolves(catalog, bus):
    sat = resolve_satellite({"bus": bus}, catalog)
    assert sat.solar.area_m2 > 0 and sat.radiator.area_m2 > 0


def test_starlink_bus_array_figures(catalog):
    # Suncatcher paper: Starlink V2 mini class, ~105 m2 of 22% cells
    sat = resolve_satellite({"bus": "starlink-v2-mini"}, catalog)
    assert sat.solar.area_m2 == 105 and sat.solar.efficiency == 0.22


@pytest.mark.parametrize("altitude_km", [340.0, 550.0, 570.0])
def test_starlink_bus_battery_spans_the_longest_eclipse(catalog, altitude_km):
    # Longest eclipse of a circular orbit (beta = 0, cylindrical shadow): P asin(R / a) / pi,
    # P = 2 pi sqrt(a^3 / mu); the battery must deliver housekeeping through it above its
    # depth-of-discharge floor, after the discharge loss sqrt(eta) (the stage's reserve).
    sat = resolve_satellite({"bus": "starlink-v2-mini"}, catalog)
    a = 6_378_137.0 + altitude_km * 1e3
    period_s = 2 * math.pi * math.sqrt(a**3 / 3.986004418e14)
    eclipse_s = period_s * math.asin(6_378_137.0 / a) / math.pi
    assert 35 * 60 < eclipse_s < 37 * 60  # 35.6-36.3 min across the Starlink shells
    need_j = sat.payload.housekeeping_w * eclipse_s / math.sqrt(sat.battery.efficiency)
    usable_j = sat.battery.capacity_j - sat.battery.floor_j
    assert usable_j > 1.1 * need_j


@pytest.mark.parametrize("spec, field", [
    ({"bus": "starcloud-1", "solar": {"area_m2": -1}}, "satellite.solar.area_m2"),
    ({"bus": "starcloud-1", "radiator": {"area_m2": 0}}, "satellite.radiator.area_m2"),
    ({"bus": "starcloud-1", "payload": {"accelerator": "h200"}}, "satellite.payload.accelerator"),
    ({"bus": "starcloud-1", "solar": {"efficiency": 1.2}}, "satellite.solar.efficiency"),
    ({"bus": "starcloud-1", "battery": {"max_dod": 1.5}}, "satellite.battery.max_dod"),
    ({"bus": "starcloud-1", "radiator": {"sides": 3}}, "satellite.radiator.sides"),
    ({"bus": "starcloud-1", "radiator": {"orientation": "up"}}, "satellite.radiator.orientation"),
    ({"bus": "starcloud-1", "solar": {"pointing": "moon"}}, "satellite.solar.pointing"),
    ({"bus": "starcloud-1", "solar": {"cell": "gallium"}}, "satellite.solar.cell"),
    ({"bus": "starcloud-1", "solar": {"area": 3}}, "satellite.solar.area"),
    ({"bus": "nope"}, "satellite.bus"),
    ({"battery": {"capacity_wh": 1}, "radiator": {"area_m2": 1}}, "satellite.solar.area_m2"),
])
def test_bad_input_one_line_error_naming_the_field(catalog, spec, field):
    with pytest.raises(SatelliteError) as err:
        resolve_satellite(spec, catalog)
    message = str(err.value)
    assert message.startswith(field + ":"), message
    assert "\n" not in message


def test_unknown_accelerator_lists_known_names(catalog):
    with pytest.raises(SatelliteError, match="unknown accelerator 'h200'; known: .*h100"):
        resolve_satellite({"bus": "starcloud-1", "payload": {"accelerator": "h200"}}, catalog)
