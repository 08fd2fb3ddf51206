"""Cost of ownership over a horizon: computing in orbit against a ground data centre.

Orbit: launch ($/kg by launcher, with its learning curve), satellite buses, accelerators, solar
arrays, radiators, batteries, shielding, replacements (de-orbit lifetime and failures), ground
segment and operations. Ground: electricity at a PUE, cooling water (WUE), backup power, grid
connection, land and buildings, hardware refresh and operations. Both give $/accelerator-hour
and $/MWh of IT energy delivered. Published comparisons (Starcloud's 40 MW table, Suncatcher's
launched-power price) are reproduced from their own inputs by `starcloud_40mw_table` and
`launched_power_price_usd_per_kw_year`.

A scenario sets the figures with an `economics:` block (orbit) and a `ground:` block (a ground
data centre, the whole scenario for a terrestrial baseline). Defaults below are marked estimates
unless a source is given. Money in US dollars (names end in _usd), energy in the names' units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.catalog import load_catalog
from orbitgrid.fleet import build_fleet
from orbitgrid.physics.satellite import resolve_constellations
from orbitgrid.scenario import Economics, GroundDataCentre, Scenario  # blocks re-exported

__all__ = [
    "ACCELERATOR_PRICE_USD",
    "CostResult",
    "Economics",
    "GroundDataCentre",
    "STARCLOUD_40MW",
    "SUNCATCHER",
    "compare",
    "ground_cost",
    "launched_power_price_usd_per_kw_year",
    "orbit_cost",
    "starcloud_40mw_table",
]

HOURS_PER_YEAR = 8766.0  # 365.25 days
SOLAR_CONSTANT_W_M2 = 1361.0
STRUCTURE_FRACTION = 0.25  # as orbitgrid.sizing: bus and structure on top of the parts

# Unit prices of accelerators, USD. Street prices, not list prices; all are estimates.
ACCELERATOR_PRICE_USD: dict[str, float] = {
    "h100": 25_000.0,  # estimate: reported $25k-40k per H100 SXM (2024-2025 press)
    "b200": 35_000.0,  # estimate: reported $30k-40k per B200 (2025 press)
    "tpu-v6e": 10_000.0,  # estimate: not sold; orbitgrid guess at Google's cost
    "jetson-agx-orin": 1_999.0,  # NVIDIA list price, Jetson AGX Orin 64GB developer kit (2023)
    "three-body-744tops": 100_000.0,  # estimate: a space computer, no public price
}


@dataclass(frozen=True)
class CostResult:
    """A cost of ownership: lines in USD, what it delivers, and figures behind it."""

    kind: str
    years: float
    lines_usd: dict[str, float]
    accelerator_hours: float
    it_energy_mwh: float
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def total_usd(self) -> float:
        return float(sum(self.lines_usd.values()))

    @property
    def usd_per_accelerator_hour(self) -> float:
        return self.total_usd / self.accelerator_hours if self.accelerator_hours else math.nan

    @property
    def usd_per_mwh(self) -> float:
        return self.total_usd / self.it_energy_mwh if self.it_energy_mwh else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "years": self.years,
            "lines_usd": {k: round(v, 2) for k, v in self.lines_usd.items()},
            "total_usd": round(self.total_usd, 2),
            "accelerator_hours": round(self.accelerator_hours, 1),
            "it_energy_mwh": round(self.it_energy_mwh, 3),
            "usd_per_accelerator_hour": _round(self.usd_per_accelerator_hour),
            "usd_per_mwh": _round(self.usd_per_mwh),
            "figures": self.figures,
        }


def _round(x: float, digits: int = 4) -> float | None:
    return None if not math.isfinite(x) else round(x, digits)


def _accelerator_price(name: str | None, override: float | None) -> float:
    if override is not None:
        return override
    if name is None:
        return 0.0
    return ACCELERATOR_PRICE_USD.get(name, 25_000.0)


def satellite_mass_kg(sat, catalog) -> dict[str, float]:
    """Mass of one satellite by part, kg: the bus's published mass when it has one, else the
    parts (as orbitgrid.sizing): accelerators, array (W/kg of the cell), radiator (kg/m2 of the
    coating), battery (Wh/kg of a space pack), shielding, plus STRUCTURE_FRACTION."""
    cell = catalog.get("solar_cells", sat.solar.cell or "triple-junction", "satellite.solar.cell")
    coating = catalog.get(
        "radiator_coatings", sat.radiator.coating or "white-paint", "satellite.radiator.coating"
    )
    pack = catalog.get("batteries", "li-ion-space", "battery")
    acc = sat.accelerator
    array_w = sat.solar.area_m2 * SOLAR_CONSTANT_W_M2 * sat.solar.efficiency * sat.solar.packing
    parts = {
        "accelerators": (acc.mass_kg or 0.0) * sat.payload.count if acc else 0.0,
        "solar_array": array_w / cell.array_specific_power_w_kg,
        "radiator": sat.radiator.area_m2 * coating.areal_mass_kg_m2,
        "battery": sat.battery.capacity_wh / pack.specific_energy_wh_kg,
    }
    parts["structure"] = STRUCTURE_FRACTION * sum(parts.values())
    total = sat.mass_kg if sat.mass_kg else sum(parts.values())
    return {**parts, "satellite": float(total), "array_w": float(array_w)}


def orbit_cost(scenario: Scenario, years: float | None = None) -> CostResult:
    """Cost of owning the scenario's computing constellations for `years` (default: its
    `economics.years`): only constellations with a `satellite:` block count."""
    eco = scenario.economics or Economics()
    years = eco.years if years is None else years
    catalog = load_catalog(scenario.catalog)
    sats = resolve_constellations([c.satellite for c in scenario.constellations], scenario.catalog)
    fleet = build_fleet(scenario)
    counts = np.bincount(fleet.constellation, minlength=len(scenario.constellations))
    lines = dict.fromkeys(
        ("launch", "satellite buses", "accelerators", "solar arrays", "radiators", "batteries",
         "shielding", "ground segment", "operations"), 0.0)
    mass_launched = accelerators = it_w = satellites = 0.0
    life = min(eco.satellite_life_years, years)
    for sat, n in zip(sats, counts, strict=True):
        if sat is None or n == 0:
            continue
        m = satellite_mass_kg(sat, catalog)
        acc = sat.accelerator
        compute_kw = sat.compute_power_w / 1e3
        shield_kg = eco.shielding_kg_per_kw * compute_kw
        # units built: one per satellite per life, plus failures between replacements
        units = n * (years / life + eco.annual_failure_rate * years)
        satellites += n
        mass_launched += units * (m["satellite"] + shield_kg)
        # bus: structure, or a published bus mass less the parts priced on their own
        parts = sum(v for k, v in m.items() if k not in ("structure", "satellite", "array_w"))
        bus_kg = max(m["satellite"] - parts, m["structure"]) if sat.mass_kg else m["structure"]
        lines["satellite buses"] += units * bus_kg * eco.bus_usd_per_kg
        price = _accelerator_price(sat.payload.accelerator, eco.accelerator_usd)
        lines["accelerators"] += units * sat.payload.count * price * eco.server_factor
        lines["solar arrays"] += units * m["array_w"] * eco.solar_usd_per_w
        lines["radiators"] += units * sat.radiator.area_m2 * eco.radiator_usd_per_m2
        lines["batteries"] += units * sat.battery.capacity_wh / 1e3 * eco.battery_usd_per_kwh
        lines["shielding"] += units * shield_kg * eco.shielding_usd_per_kg
        accelerators += n * (sat.payload.count if acc else 0)
        it_w += n * sat.compute_power_w
    launch_usd, launches, launcher = _launch_cost(catalog, eco, mass_launched)
    lines["launch"] = launch_usd
    stations = eco.ground_stations if eco.ground_stations is not None else len(scenario.stations())
    lines["ground segment"] = stations * eco.ground_station_usd
    lines["operations"] = satellites * years * eco.operations_usd_per_satellite_year
    down = eco.annual_failure_rate * eco.replacement_delay_years
    active = eco.compute_availability * (1.0 - down)
    hours = years * HOURS_PER_YEAR
    return CostResult(
        kind="orbit",
        years=years,
        lines_usd=lines,
        accelerator_hours=accelerators * hours * active,
        it_energy_mwh=it_w * hours * active / 1e6,
        figures={
            "satellites": int(satellites),
            "accelerators": int(accelerators),
            "it_power_mw": round(it_w / 1e6, 6),
            "launched_mass_kg": round(mass_launched, 1),
            "launches": launches,
            "launcher": launcher,
            "launch_usd_per_kg": _round(launch_usd / mass_launched if mass_launched else math.nan),
            "active_fraction": round(active, 6),
            "satellite_life_years": eco.satellite_life_years,
        },
    )


def _launch_cost(catalog, eco: Economics, mass_kg: float) -> tuple[float, int, str]:
    """USD to launch mass_kg: a flat $/kg, or whole launches priced on the learning curve."""
    if eco.launch_usd_per_kg is not None:
        return mass_kg * eco.launch_usd_per_kg, 0, f"flat ${eco.launch_usd_per_kg:g}/kg"
    launcher = catalog.get("launchers", eco.launcher, "economics.launcher")
    count = math.ceil(mass_kg / launcher.payload_leo_kg - 1e-9) if mass_kg > 0 else 0
    n = eco.launches_before + 1 + np.arange(count)
    price = launcher.price_usd * n ** math.log2(launcher.learning_rate)
    price = np.maximum(price, launcher.floor_usd_per_kg * launcher.payload_leo_kg)
    return float(price.sum()), count, launcher.name


def ground_cost(ground: GroundDataCentre, years: float | None = None) -> CostResult:
    """Cost of owning a ground data centre for `years` (default: its own)."""
    g = ground
    years = g.years if years is None else years
    acc = load_catalog().get("accelerators", g.accelerator, "ground.accelerator")
    it_kw = g.it_power_mw * 1e3
    hours = years * HOURS_PER_YEAR
    it_kwh = it_kw * hours * g.utilisation
    n_acc = math.floor(g.it_power_mw * 1e6 / acc.power_w)
    price = _accelerator_price(g.accelerator, g.accelerator_usd)
    generations = math.ceil(years / g.hardware_refresh_years - 1e-9)
    lines = {
        "electricity": it_kwh * g.pue * g.electricity_usd_per_kwh,
        "water": it_kwh * g.wue_l_per_kwh / 1e3 * g.water_usd_per_m3,
        "backup power": it_kw * g.backup_usd_per_kw,
        "grid connection": it_kw * g.pue * g.grid_connection_usd_per_kw,
        "land and buildings": it_kw * g.building_usd_per_kw + g.it_power_mw * g.land_usd_per_mw,
        "accelerators": n_acc * price * g.server_factor * generations,
        "operations": g.it_power_mw * years * g.operations_usd_per_mw_year,
    }
    return CostResult(
        kind="ground",
        years=years,
        lines_usd=lines,
        accelerator_hours=n_acc * hours * g.utilisation,
        it_energy_mwh=it_kwh / 1e3,
        figures={
            "accelerators": n_acc,
            "it_power_mw": g.it_power_mw,
            "grid_energy_mwh": round(it_kwh * g.pue / 1e3, 3),
            "water_m3": round(it_kwh * g.wue_l_per_kwh / 1e3, 1),
            "hardware_generations": generations,
        },
    )


def launch_sensitivity(
    orbit: CostResult, ground_total_usd: float, usd_per_kg=(50, 100, 200, 500, 1000, 1500, 3600)
) -> dict[str, Any]:
    """Orbit total as a function of a flat launch price, and the break-even $/kg against the
    ground total (None when orbit costs more even with free launch)."""
    mass = orbit.figures["launched_mass_kg"]
    rest = orbit.total_usd - orbit.lines_usd["launch"]
    rows = [{"usd_per_kg": float(p), "orbit_total_usd": round(rest + mass * p, 2)}
            for p in usd_per_kg]
    even = (ground_total_usd - rest) / mass if mass else math.nan
    return {"rows": rows, "break_even_usd_per_kg": _round(even, 2) if even > 0 else None}


def compare(scenario: Scenario, years: float | None = None,
            ground: GroundDataCentre | None = None) -> dict[str, Any]:
    """Orbit and ground costs of the same IT power for `years`, with the launch sensitivity.

    A scenario with only a `ground:` block gives the ground side alone. For an orbit scenario the
    ground side is its `ground:` block, or `ground`, or the GroundDataCentre defaults at the
    orbit's IT power and accelerator."""
    out: dict[str, Any] = {"scenario": scenario.name}
    if not scenario.constellations:
        result = ground_cost(scenario.ground, years)
        out.update(years=result.years, ground=result.as_dict())
        return out
    orbit = orbit_cost(scenario, years)
    it_mw = orbit.figures["it_power_mw"]
    if it_mw <= 0:  # nothing to compare: no accelerators in orbit
        out.update(years=orbit.years, orbit=orbit.as_dict())
        return out
    base = ground or scenario.ground
    if base is None:
        acc = next((c.satellite.payload.accelerator for c in scenario.constellations
                    if c.satellite and c.satellite.payload.accelerator), None)
        base = GroundDataCentre(it_power_mw=it_mw, accelerator=acc or "h100")
    else:
        base = base.model_copy(update={"it_power_mw": it_mw})
    gnd = ground_cost(base, orbit.years)
    out.update(years=orbit.years, orbit=orbit.as_dict(), ground=gnd.as_dict(),
               launch_sensitivity=launch_sensitivity(orbit, gnd.total_usd))
    eco = scenario.economics
    if eco and eco.published == "starcloud-40mw":
        out["published"] = starcloud_40mw_table()
    if eco and eco.published == "suncatcher":
        out["published"] = suncatcher_table()
    out["differences"] = _differences(orbit, gnd, out.get("published"))
    return out


# --- published comparisons, reproduced from their own inputs ------------------------------------

STARCLOUD_40MW = {
    "source": "Starcloud (Lumen Orbit), 'Why we should train AI in space', white paper "
              "(starcloudinc.github.io/wp.pdf, 2024; cost table of a 40 MW cluster over 10 years)",
    "published_usd": {
        "ground": {"energy": 140e6, "cooling (chillers)": 7e6, "backup power": 20e6,
                   "total": 167e6},
        "orbit": {"launch": 5e6, "solar array": 2e6, "radiation shielding": 1.2e6,
                  "total": 8.2e6},
    },
    # stated: 40 MW, 10 years, $0.04/kWh wholesale, the chiller and backup lump sums, one
    # ~$5M launch of ~100 t. implied (line divided by its quantity, not stated): $0.05/W of
    # array, 1 kg/kW of shielding at $30/kg.
    "inputs": {"it_power_w": 40e6, "years": 10.0, "electricity_usd_per_kwh": 0.04,
               "cooling_usd": 7e6, "backup_usd": 20e6, "launched_mass_kg": 100_000.0,
               "launch_usd_per_kg": 50.0, "array_usd_per_w": 0.05,
               "shielding_kg_per_kw": 1.0, "shielding_launch_usd_per_kg": 30.0},
}


def starcloud_40mw_table(inputs: dict | None = None) -> dict[str, Any]:
    """Starcloud's 40 MW, 10-year table recomputed from its inputs, beside the published one."""
    p = {**STARCLOUD_40MW["inputs"], **(inputs or {})}
    energy_kwh = p["it_power_w"] / 1e3 * p["years"] * 8760.0  # the paper's 365-day years
    ground = {"energy": energy_kwh * p["electricity_usd_per_kwh"],
              "cooling (chillers)": p["cooling_usd"], "backup power": p["backup_usd"]}
    shield_kg = p["shielding_kg_per_kw"] * p["it_power_w"] / 1e3
    orbit = {"launch": p["launched_mass_kg"] * p["launch_usd_per_kg"],
             "solar array": p["it_power_w"] * p["array_usd_per_w"],
             "radiation shielding": shield_kg * p["shielding_launch_usd_per_kg"]}
    ground["total"], orbit["total"] = sum(ground.values()), sum(orbit.values())
    return {"name": "starcloud-40mw", "source": STARCLOUD_40MW["source"], "inputs": p,
            "computed_usd": {"ground": ground, "orbit": orbit},
            "published_usd": STARCLOUD_40MW["published_usd"]}


SUNCATCHER = {
    "source": "Google, 'Towards a future space-based, highly scalable AI infrastructure system "
              "design' (Project Suncatcher, arXiv:2511.19468, 2025), section 2.4",
    # Starlink V2 mini as the paper sizes it: 575 kg, ~28 kW, 5-year life
    "inputs": {"mass_kg": 575.0, "power_w": 28e3, "life_years": 5.0},
    "published_usd_per_kw_year": {3600.0: 14_700.0, 200.0: 810.0},
}


def launched_power_price_usd_per_kw_year(
    mass_kg: float, power_w: float, life_years: float, launch_usd_per_kg: float
) -> float:
    """Launch cost of a satellite per kW of its power per year of its life (Suncatcher's
    measure): mass * $/kg / (power kW * life)."""
    if mass_kg <= 0 or power_w <= 0 or life_years <= 0:
        raise ValueError("mass_kg, power_w and life_years must be positive")
    return mass_kg * launch_usd_per_kg / (power_w / 1e3 * life_years)


def suncatcher_table() -> dict[str, Any]:
    """Suncatcher's launched-power price at $3,600/kg and $200/kg, recomputed and published."""
    p = SUNCATCHER["inputs"]
    rows = [{"launch_usd_per_kg": k,
             "computed": round(launched_power_price_usd_per_kw_year(
                 p["mass_kg"], p["power_w"], p["life_years"], k), 1),
             "published": v} for k, v in SUNCATCHER["published_usd_per_kw_year"].items()]
    return {"name": "suncatcher", "source": SUNCATCHER["source"], "inputs": p, "rows": rows}


def _differences(orbit: CostResult, ground: CostResult, published: dict | None) -> list[str]:
    """Where the fuller model parts from a published comparison, in words with figures."""
    o, g = orbit.lines_usd, ground.lines_usd
    notes = [
        f"hardware: accelerators and servers cost ${o['accelerators'] / 1e6:,.1f}M in orbit "
        f"and ${g['accelerators'] / 1e6:,.1f}M on the ground; the energy-only comparisons "
        "leave them out, yet they dominate both totals",
        f"launch: {orbit.figures['launched_mass_kg'] / 1e3:,.1f} t over {orbit.years:g} years "
        f"(whole satellites, replaced every {orbit.figures['satellite_life_years']:g} years, "
        f"and failures) at "
        f"${orbit.figures['launch_usd_per_kg'] or 0:,.0f}/kg",
        f"satellite buses, radiators and batteries: "
        f"${(o['satellite buses'] + o['radiators'] + o['batteries']) / 1e6:,.1f}M; "
        "a table of arrays and launch alone has none of them",
        f"ground side: electricity at PUE with water ${g['water'] / 1e6:,.2f}M, "
        f"land and buildings ${g['land and buildings'] / 1e6:,.1f}M, grid connection "
        f"${g['grid connection'] / 1e6:,.1f}M",
    ]
    if published and published["name"] == "starcloud-40mw":
        c = published["computed_usd"]
        notes.insert(0, f"Starcloud's table: ground ${c['ground']['total'] / 1e6:,.1f}M vs orbit "
                        f"${c['orbit']['total'] / 1e6:,.1f}M; the fuller model: ground "
                        f"${ground.total_usd / 1e6:,.1f}M vs orbit ${orbit.total_usd / 1e6:,.1f}M")
    return notes


def ground_summary(scenario: Scenario) -> dict[str, Any]:
    """summary.json of a ground-only run: energy, water and cost over the run and the horizon."""
    g = scenario.ground
    run = ground_cost(g, scenario.duration / (HOURS_PER_YEAR * 3600.0))
    horizon = ground_cost(g)
    return {
        "name": scenario.name,
        "epoch": scenario.epoch.isoformat().replace("+00:00", "Z"),
        "duration_s": scenario.duration,
        "step_s": scenario.step,
        "seed": scenario.seed,
        "satellites": 0,
        "ground_stations": 0,
        "propagation_errors": 0,
        "constellations": [],
        "ground": {
            "it_power_mw": g.it_power_mw,
            "accelerators": horizon.figures["accelerators"],
            "run_it_energy_mwh": round(run.it_energy_mwh, 3),
            "run_grid_energy_mwh": run.figures["grid_energy_mwh"],
            "run_water_m3": run.figures["water_m3"],
            "run_electricity_usd": round(run.lines_usd["electricity"], 2),
            "horizon_years": horizon.years,
            "horizon_total_usd": round(horizon.total_usd, 2),
            "usd_per_accelerator_hour": _round(horizon.usd_per_accelerator_hour),
            "usd_per_mwh": _round(horizon.usd_per_mwh),
        },
    }
