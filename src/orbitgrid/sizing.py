"""Sizing: from a compute goal and an orbit to satellites, areas, masses, launches and cost.

`size(goal)` uses the simulator's own models, not a second copy: the orbit is a one-satellite
scenario streamed by the pipeline over a year, eclipses come from the run's shadow search
(conical shadow, penumbra counted as eclipse), and the array, radiator and battery figures
from the physics kernels (power.py, thermal.py) at their worst case over that year.

Design rules (each satellite runs its IT load without a break, eclipses included):
  load        L = IT + housekeeping (housekeeping_fraction * IT)
  battery     carries L through the longest eclipse t_e: capacity = L t_e / (sqrt(eta) DoD)
              (discharge loses sqrt(round-trip efficiency), as in power.integrate_battery)
  array       in the shortest sunlit part of an orbit T_d = P - t_e it supplies L and recharges:
              P_array = L + L t_e / (eta T_d), at aphelion, sun-tracking, after `years` of loss
  radiator    rejects L at max_temp_k after the worst absorbed environment of the year
              (thermal.heat_limited_power_w per m2 of panel)
  mass        accelerators + array (W/kg of the cell) + radiator (kg/m2 of the coating)
              + battery (Wh/kg), times (1 + structure_fraction) for bus and structure
  launches    satellites per launch = floor(payload / satellite mass); price per launch from
              the launcher's learning curve (catalog Launcher.price_usd_at)
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from orbitgrid.catalog import Catalog, load_catalog
from orbitgrid.constants import MU_EARTH_M3_S2
from orbitgrid.errors import ScenarioError
from orbitgrid.orbits.eclipses import shadow_intervals
from orbitgrid.orbits.events import stitch
from orbitgrid.physics.power import (
    degradation_factor,
    generated_power_w,
    solar_flux_w_m2,
)
from orbitgrid.physics.thermal import environment_w, heat_limited_power_w
from orbitgrid.pipeline import build_world, stream
from orbitgrid.scenario import validate_scenario

__all__ = ["OrbitEnvironment", "SizingGoal", "SizingResult", "orbit_environment", "parse_orbit",
           "parse_power_w", "size"]

APHELION_AU = 1.0167  # the year's lowest sunlight
YEAR_S = 365.25 * 86_400.0
_POWER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kMGT]?)W\s*$")
_ORBIT = re.compile(r"^(dawn-dusk|noon-midnight|sso-(\d{2})(\d{2})|inclined):(\d+(?:\.\d+)?)km"
                    r"(?::(\d+(?:\.\d+)?)deg)?$")


def parse_power_w(text: str | float) -> float:
    """Watts from '40MW', '100kW', '700W', '5GW' or a number of watts."""
    if isinstance(text, int | float):
        return float(text)
    match = _POWER.match(str(text))
    if not match:
        raise ValueError(f"cannot read {text!r} as a power such as 700W, 100kW, 40MW or 5GW")
    scale = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[match.group(2)]
    return float(match.group(1)) * scale


def parse_orbit(text: str) -> dict[str, Any]:
    """A scenario constellation (one satellite) from 'dawn-dusk:650km', 'noon-midnight:550km',
    'sso-1030:500km' (local time of the ascending node) or 'inclined:550km:53deg'."""
    match = _ORBIT.match(text.strip())
    if not match:
        raise ValueError(
            f"cannot read orbit {text!r}; use dawn-dusk:650km, noon-midnight:550km, "
            "sso-1030:500km or inclined:550km:53deg"
        )
    kind, hh, mm, alt, inc = match.groups()
    if kind == "inclined":
        if inc is None:
            raise ValueError(f"orbit {text!r}: give the inclination, e.g. inclined:550km:53deg")
        return {"walker": {"satellites": 1, "planes": 1, "altitude_km": float(alt),
                           "inclination_deg": float(inc)}}
    ltan = {"dawn-dusk": "18:00", "noon-midnight": "12:00"}.get(kind, f"{hh}:{mm}")
    return {"sun_synchronous": {"satellites": 1, "altitude_km": float(alt), "ltan": ltan}}


@dataclass(frozen=True)
class OrbitEnvironment:
    """What a year in an orbit gives: period, eclipses, sunlight and the radiator's worst load."""

    period_s: float
    longest_eclipse_s: float
    eclipse_fraction: float
    eclipses: int
    worst_environment_w_m2: float  # absorbed by 1 m2 of radiator panel (all its faces)


def orbit_environment(
    orbit: str,
    epoch: str = "2026-01-01T00:00:00Z",
    days: float = 365.25,
    sample_step_s: float = 300.0,
    radiator: dict[str, Any] | None = None,
) -> OrbitEnvironment:
    """Stream one satellite of `orbit` for `days` through the pipeline and measure its eclipses
    (on each chunk's trajectory) and radiator load (at every sample_step_s, the end excluded).

    radiator: orientation, sides, emissivity, absorptivity of the panel (defaults: sun-shaded,
    2 sides, white paint 0.9 / 0.2)."""
    rad = {"orientation": "sun-shaded", "sides": 2, "emissivity": 0.9, "absorptivity": 0.2,
           **(radiator or {})}
    duration = days * 86_400.0
    scenario = validate_scenario({
        "name": "sizing", "epoch": epoch, "duration": duration, "step": sample_step_s,
        "constellations": [{"name": "sizing", **parse_orbit(orbit)}],
    })
    world = build_world(scenario)
    shadows, worst_w_m2 = [], -np.inf
    for block in stream(world, 0.0, duration):
        if block.opens_chunk:
            shadows.append(shadow_intervals(block.chunk.trajectory, 1.0)[0])
        s = block.samples  # as the simulator samples, and its radiator model:
        env = environment_w(rad["orientation"], s.r_norm, s.sun_cos_zenith, s.illumination,
                            solar_flux_w_m2(s.sun_distance_au), 1.0, rad["sides"],
                            rad["emissivity"], rad["absorptivity"])
        worst_w_m2 = max(worst_w_m2, env[s.t_s < duration].max(initial=-np.inf))
    _, start, end, _ = stitch(shadows)
    length = end - start
    a = float(world.fleet.a_m[0])
    return OrbitEnvironment(
        period_s=2 * math.pi * math.sqrt(a**3 / MU_EARTH_M3_S2),
        longest_eclipse_s=float(length.max()) if length.size else 0.0,
        eclipse_fraction=float(length.sum() / duration),
        eclipses=int(length.size),
        worst_environment_w_m2=float(worst_w_m2),
    )


@dataclass(frozen=True)
class SizingGoal:
    """What to size for; names are catalogue entries."""

    it_power_w: float
    orbit: str = "dawn-dusk:650km"
    accelerator: str = "h100"
    satellite_it_power_w: float = 100e3
    housekeeping_fraction: float = 0.1
    cell: str = "triple-junction"
    packing: float = 0.9
    battery: str = "li-ion-space"
    coating: str = "white-paint"
    radiator_sides: int = 2
    radiator_orientation: str = "sun-shaded"
    max_temp_k: float = 330.0
    years: float = 5.0
    structure_fraction: float = 0.25
    launchers: tuple[str, ...] = ()  # empty: every launcher in the catalogue
    catalog: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SizingResult:
    """Per satellite and for the whole constellation; masses kg, areas m2, energies Wh."""

    goal: dict[str, Any]
    orbit: dict[str, Any]
    satellites: int
    accelerators_per_satellite: int
    it_power_w: float
    load_w: float
    array_power_w: float
    array_area_m2: float
    radiator_area_m2: float
    radiator_net_w_m2: float
    battery_capacity_wh: float
    mass_kg: dict[str, float]
    launches: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Sizer:
    def __init__(self, goal: SizingGoal, environment: OrbitEnvironment | None):
        self.goal = goal
        self.catalog: Catalog = load_catalog(goal.catalog)
        self._environment = environment

    @cached_property
    def env(self) -> OrbitEnvironment:
        if self._environment is not None:
            return self._environment
        g, coating = self.goal, self.catalog.get("radiator_coatings", self.goal.coating, "coating")
        return orbit_environment(g.orbit, radiator={
            "orientation": g.radiator_orientation, "sides": g.radiator_sides,
            "emissivity": coating.emissivity, "absorptivity": coating.absorptivity})


def size(goal: SizingGoal, environment: OrbitEnvironment | None = None) -> SizingResult:
    """Size a constellation for `goal` (see the module docstring for the rules)."""
    g = goal
    if g.it_power_w <= 0 or g.satellite_it_power_w <= 0:
        raise ValueError("IT power must be positive")
    sizer = _Sizer(g, environment)
    cat = sizer.catalog
    acc = cat.get("accelerators", g.accelerator, "accelerator")
    cell = cat.get("solar_cells", g.cell, "cell")
    pack = cat.get("batteries", g.battery, "battery")
    coating = cat.get("radiator_coatings", g.coating, "coating")
    env = sizer.env

    per_sat = max(1, int(g.satellite_it_power_w // acc.power_w))
    it_w = per_sat * acc.power_w
    load_w = it_w * (1.0 + g.housekeeping_fraction)
    t_e = env.longest_eclipse_s
    t_d = env.period_s - t_e
    eta = pack.efficiency
    battery_wh = load_w * t_e / (math.sqrt(eta) * pack.max_dod) / 3600.0
    array_w = load_w + load_w * t_e / (eta * t_d)
    eol = float(degradation_factor(g.years * YEAR_S, cell.degradation_per_year))
    one = np.ones((1, 1))
    per_m2_eol = float(generated_power_w(solar_flux_w_m2([APHELION_AU]), one, one, 1.0,
                                         cell.efficiency, g.packing, [eol])[0, 0])
    per_m2_bol = float(generated_power_w(solar_flux_w_m2([1.0]), one, one, 1.0,
                                         cell.efficiency, g.packing)[0, 0])
    array_m2 = array_w / per_m2_eol
    net_w_m2 = float(heat_limited_power_w(g.max_temp_k, env.worst_environment_w_m2, 1.0,
                                          g.radiator_sides, coating.emissivity))
    if net_w_m2 <= 0:
        raise ValueError(f"a radiator at {g.max_temp_k:g} K cannot reject heat in this orbit")
    radiator_m2 = load_w / net_w_m2
    mass = {
        "accelerators": per_sat * (acc.mass_kg or 0.0),
        "solar_array": array_m2 * per_m2_bol / cell.array_specific_power_w_kg,
        "radiator": radiator_m2 * coating.areal_mass_kg_m2,
        "battery": battery_wh / pack.specific_energy_wh_kg,
    }
    mass["structure"] = g.structure_fraction * sum(mass.values())
    mass = {k: round(v, 3) for k, v in mass.items()}
    mass["satellite"] = round(sum(mass.values()), 3)
    n_sats = math.ceil(g.it_power_w / it_w - 1e-9)
    launches = [_launch_line(cat.get("launchers", name, "launcher"), n_sats, mass["satellite"],
                             g.it_power_w)
                for name in (g.launchers or sorted(cat.launchers))]
    return SizingResult(
        goal={k: v for k, v in asdict(g).items() if k != "catalog"},
        orbit=asdict(env),
        satellites=n_sats,
        accelerators_per_satellite=per_sat,
        it_power_w=it_w,
        load_w=load_w,
        array_power_w=round(array_w, 3),
        array_area_m2=round(array_m2, 3),
        radiator_area_m2=round(radiator_m2, 3),
        radiator_net_w_m2=round(net_w_m2, 3),
        battery_capacity_wh=round(battery_wh, 3),
        mass_kg=mass,
        launches=launches,
    )


def _launch_line(launcher, n_sats: int, sat_kg: float, it_power_w: float) -> dict[str, Any]:
    per_launch = int(launcher.payload_leo_kg // sat_kg)
    line: dict[str, Any] = {"launcher": launcher.name, "satellites_per_launch": per_launch}
    if per_launch == 0:
        return {**line, "launches": None, "cost_usd": None, "usd_per_w": None}
    count = math.ceil(n_sats / per_launch)
    cost = sum(launcher.price_usd_at(n) for n in range(1, count + 1))
    return {**line, "launches": count, "cost_usd": round(cost, 2),
            "usd_per_w": round(cost / it_power_w, 4)}


def size_or_error(goal: SizingGoal) -> SizingResult:
    """size(), with bad names or figures as a one-line ScenarioError."""
    try:
        return size(goal)
    except (ValueError, KeyError) as exc:
        raise ScenarioError(str(exc).strip("'\"")) from None
