"""`orbitgrid size` and the sizing library: closed forms, the simulator agreeing, the command."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from orbitgrid.catalog import load_catalog
from orbitgrid.scenario import validate_scenario
from orbitgrid.simulation import simulate
from orbitgrid.sizing import OrbitEnvironment, SizingGoal, parse_orbit, parse_power_w, size

# an orbit given, not propagated: 20 min longest eclipse in a 97.7 min orbit
ENV = OrbitEnvironment(period_s=5862.0, longest_eclipse_s=1200.0, eclipse_fraction=0.04,
                       eclipses=1300, worst_environment_w_m2=120.0)


def test_battery_mass_carries_the_load_through_the_longest_eclipse():
    # capacity = L t_e / (sqrt(eta) DoD); mass = capacity / (Wh/kg) (li-ion-space pack)
    r = size(SizingGoal(it_power_w=40e6), environment=ENV)
    pack = load_catalog().get("batteries", "li-ion-space")
    load = r.it_power_w * 1.1
    capacity_wh = load * 1200.0 / (math.sqrt(pack.efficiency) * pack.max_dod) / 3600
    assert r.battery_capacity_wh == pytest.approx(capacity_wh, rel=1e-6)
    assert r.mass_kg["battery"] == pytest.approx(capacity_wh / pack.specific_energy_wh_kg,
                                                 rel=1e-4)


def test_array_radiator_and_count_closed_forms():
    r = size(SizingGoal(it_power_w=40e6), environment=ENV)
    cat = load_catalog()
    cell, pack = cat.get("solar_cells", "triple-junction"), cat.get("batteries", "li-ion-space")
    coating = cat.get("radiator_coatings", "white-paint")
    assert r.accelerators_per_satellite == 142  # floor(100 kW / 700 W)
    assert r.satellites == math.ceil(40e6 / (142 * 700))  # 403
    load = 142 * 700 * 1.1
    # array: L + L t_e / (eta T_d), at aphelion (1361 / 1.0167^2), packing 0.9, 5 years' loss
    array_w = load + load * 1200 / (pack.efficiency * (5862 - 1200))
    per_m2 = 1361 / 1.0167**2 * cell.efficiency * 0.9 * (1 - cell.degradation_per_year) ** 5
    assert r.array_area_m2 == pytest.approx(array_w / per_m2, rel=1e-4)
    # radiator: two faces at 330 K, eps sigma (T^4 - 2.7^4) each, minus the absorbed 120 W/m2
    net = 2 * coating.emissivity * 5.670374419e-8 * (330**4 - 2.7**4) - 120.0
    assert r.radiator_area_m2 == pytest.approx(load / net, rel=1e-4)
    starship = next(x for x in r.launches if "Starship" in x["launcher"])
    assert starship["satellites_per_launch"] == int(100_000 // r.mass_kg["satellite"])


def test_parse_goal_strings():
    assert parse_power_w("40MW") == 40e6 and parse_power_w("100kW") == 1e5
    assert parse_orbit("dawn-dusk:650km")["sun_synchronous"]["ltan"] == "18:00"
    assert parse_orbit("inclined:550km:53deg")["walker"]["inclination_deg"] == 53.0
    with pytest.raises(ValueError, match="cannot read"):
        parse_power_w("40 parsecs")
    with pytest.raises(ValueError, match="cannot read orbit"):
        parse_orbit("geo")


def test_a_sized_satellite_carries_its_load_in_the_simulator(tmp_path):
    # the same models: a satellite sized for the worst eclipse of 2026 in dawn-dusk 650 km runs
    # at the June solstice (deepest eclipses) without unmet energy or passing its temperature
    r = size(SizingGoal(it_power_w=1e6, satellite_it_power_w=50e3))
    sc = validate_scenario({
        "name": "sized", "epoch": "2026-06-21T00:00:00Z", "duration": "12h", "step": "60s",
        "constellations": [{
            "name": "sized", "sun_synchronous": {"satellites": 1, "altitude_km": 650,
                                                 "ltan": "18:00"},
            "satellite": {
                "solar": {"area_m2": r.array_area_m2, "cell": "triple-junction", "packing": 0.9},
                "battery": {"capacity_wh": r.battery_capacity_wh, "max_dod": 0.3,
                            "efficiency": 0.95},
                "radiator": {"area_m2": r.radiator_area_m2, "sides": 2, "coating": "white-paint",
                             "orientation": "sun-shaded", "max_temp_k": 330},
                "payload": {"accelerator": "h100", "count": r.accelerators_per_satellite,
                            "housekeeping_w": 0.1 * r.it_power_w},
            }}],
    })
    c = simulate(sc, out=tmp_path / "run").summary["physics"]["constellations"][0]
    assert c["sunlit_fraction"] < 0.9  # eclipsed every orbit at this date
    assert c["energy_unmet_kwh"] == 0.0
    # the compute runs > 97% of the time at full power (the stage keeps a housekeeping reserve
    # for a beta = 0 eclipse, so it may trim the last minutes of the deepest eclipses)
    assert c["mean_compute_w"] > 0.97 * r.it_power_w


def _size(*args):
    return subprocess.run([sys.executable, "-m", "orbitgrid.cli", "size", *args],
                          capture_output=True, text=True, timeout=120)


def test_size_command_json_and_table():
    proc = _size("--it-power", "40MW", "--orbit", "dawn-dusk:650km", "--accelerator", "h100",
                 "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["satellites"] == 403 and data["orbit"]["longest_eclipse_s"] > 1000
    table = _size("--it-power", "1MW", "--orbit", "inclined:550km:53deg", "--launcher",
                  "falcon-9")
    assert table.returncode == 0 and "satellites" in table.stdout and "Falcon 9" in table.stdout


def test_size_command_bad_input_is_one_line():
    proc = _size("--it-power", "40MW", "--accelerator", "h1000")
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "h1000" in lines[0], proc.stderr
