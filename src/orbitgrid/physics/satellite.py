"""The scenario's `satellite:` block: what one computing satellite carries.

Two layers. `SatelliteSpec` is what a scenario writes: every key optional, each value checked
on its own, an optional catalogue `bus` to start from. `resolve_satellite(spec, catalog)` merges
the bus with the overrides, fills catalogue defaults (cell efficiency, coating properties) and
returns a complete `Satellite`, whose numbers the physics kernels use directly.

Public keys (more allowed):

    satellite:
      bus: starcloud-1
      solar: {area_m2, cell, efficiency, packing, pointing, degradation_per_year}
      battery: {capacity_wh, max_dod, efficiency}
      radiator: {area_m2, sides, emissivity, absorptivity, orientation, max_temp_k,
                 coating, heat_capacity_j_k}
      payload: {accelerator, count, housekeeping_w}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orbitgrid.catalog import Catalog, CatalogError, load_catalog

if TYPE_CHECKING:
    from orbitgrid.catalog import Accelerator

__all__ = [
    "Battery",
    "BatterySpec",
    "Payload",
    "PayloadSpec",
    "Radiator",
    "RadiatorSpec",
    "Satellite",
    "SatelliteError",
    "SatelliteSpec",
    "Solar",
    "SolarSpec",
    "resolve_constellations",
    "resolve_satellite",
]

Pointing = Literal["sun-tracking", "body-fixed", "nadir"]
Orientation = Literal["edge-on", "nadir", "zenith", "sun-shaded"]

AreaM2 = Annotated[float, Field(gt=0.0, description="m2")]
Fraction = Annotated[float, Field(gt=0.0, le=1.0)]
PerYear = Annotated[float, Field(ge=0.0, lt=1.0)]
EnergyWh = Annotated[float, Field(ge=0.0)]
Absorptivity = Annotated[float, Field(ge=0.0, le=1.0)]
TemperatureK = Annotated[float, Field(gt=0.0)]
PowerW = Annotated[float, Field(ge=0.0)]
Sides = Literal[1, 2]

SPECIFIC_HEAT_J_KG_K = 900.0  # aluminium, for the default lumped heat capacity
DEFAULT_THERMAL_MASS_KG = 100.0  # when neither heat capacity nor bus mass is given


class SatelliteError(ValueError):
    """A `satellite:` block is wrong; the message is one line naming the field path.

    `loc` is that path as a tuple (for finding the line in a scenario file), when known."""

    @property
    def loc(self) -> tuple[str | int, ...]:
        path = str(self).split(":", 1)[0].split(" ")[0]
        return tuple(int(p) if p.isdigit() else p for p in path.split("."))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- what a scenario writes: every key optional -------------------------------------------------


class SolarSpec(_Strict):
    area_m2: AreaM2 | None = None
    cell: str | None = None
    efficiency: Fraction | None = None
    packing: Fraction | None = None
    pointing: Pointing | None = None
    degradation_per_year: PerYear | None = None


class BatterySpec(_Strict):
    capacity_wh: EnergyWh | None = None
    max_dod: Fraction | None = None
    efficiency: Fraction | None = None


class RadiatorSpec(_Strict):
    area_m2: AreaM2 | None = None
    sides: Sides | None = None
    emissivity: Fraction | None = None
    absorptivity: Absorptivity | None = None
    orientation: Orientation | None = None
    max_temp_k: TemperatureK | None = None
    coating: str | None = None
    heat_capacity_j_k: Annotated[float, Field(gt=0.0)] | None = None


class PayloadSpec(_Strict):
    accelerator: str | None = None
    count: Annotated[int, Field(ge=0)] | None = None
    housekeeping_w: PowerW | None = None


class SatelliteSpec(_Strict):
    """The `satellite:` block as written; `bus` names a catalogue bus the other keys override."""

    bus: str | None = None
    solar: SolarSpec = SolarSpec()
    battery: BatterySpec = BatterySpec()
    radiator: RadiatorSpec = RadiatorSpec()
    payload: PayloadSpec = PayloadSpec()


# --- resolved: complete, what the kernels read ---------------------------------------------------


class Solar(_Strict):
    """Solar array: area m2, cell efficiency, packing factor, pointing mode, loss per year."""

    area_m2: AreaM2
    cell: str | None = None
    efficiency: Fraction
    packing: Fraction = 0.9
    pointing: Pointing = "sun-tracking"
    degradation_per_year: PerYear = 0.005


class Battery(_Strict):
    """Battery: capacity Wh, usable depth of discharge, round-trip efficiency."""

    capacity_wh: EnergyWh
    max_dod: Fraction = 0.3
    efficiency: Fraction = 0.95

    @property
    def capacity_j(self) -> float:
        return self.capacity_wh * 3600.0

    @property
    def floor_j(self) -> float:
        """Lowest allowed stored energy, J: capacity * (1 - max_dod)."""
        return self.capacity_j * (1.0 - self.max_dod)


class Radiator(_Strict):
    """Radiator: panel area m2 (one face), faces, coating optics, limit K, heat capacity J/K."""

    area_m2: AreaM2
    sides: Sides = 2
    emissivity: Fraction
    absorptivity: Absorptivity
    orientation: Orientation = "edge-on"
    max_temp_k: TemperatureK = 330.0
    coating: str | None = None
    heat_capacity_j_k: Annotated[float, Field(gt=0.0)]


class Payload(_Strict):
    """Compute payload: accelerator name (None: no accelerator), count, other electrical load W."""

    accelerator: str | None = None
    count: Annotated[int, Field(ge=0)] = 1
    housekeeping_w: PowerW = 0.0


class Satellite(_Strict):
    """A complete satellite; `accelerator` is the catalogue entry the payload names."""

    bus: str | None = None
    mass_kg: float | None = None
    solar: Solar
    battery: Battery
    radiator: Radiator
    payload: Payload
    accelerator: Any = Field(default=None, repr=False)  # orbitgrid.catalog.Accelerator | None

    @property
    def compute_power_w(self) -> float:
        """Electrical power of all accelerators at full load, W."""
        acc: Accelerator | None = self.accelerator
        return 0.0 if acc is None else acc.power_w * self.payload.count


def resolve_satellite(spec: SatelliteSpec | dict[str, Any], catalog: Catalog) -> Satellite:
    """Bus defaults merged with the spec's keys, catalogue names resolved; SatelliteError if not."""
    if not isinstance(spec, SatelliteSpec):
        spec = _validate(SatelliteSpec, spec)
    merged: dict[str, Any] = {"solar": {}, "battery": {}, "radiator": {}, "payload": {}}
    mass_kg = None
    if spec.bus is not None:
        bus = _lookup(catalog, "buses", spec.bus, "satellite.bus")
        mass_kg = bus.mass_kg
        base = _validate(SatelliteSpec, bus.satellite)
        merged = _merge_blocks(merged, base)
    merged = _merge_blocks(merged, spec)
    _fill_from_catalog(merged, catalog, mass_kg)
    merged.update(bus=spec.bus, mass_kg=mass_kg)
    accelerator = merged["payload"].get("accelerator")
    if accelerator is not None:
        merged["accelerator"] = _lookup(
            catalog, "accelerators", accelerator, "satellite.payload.accelerator"
        )
    return _validate(Satellite, merged)


def resolve_constellations(
    specs: list[SatelliteSpec | None], catalog_extra: dict[str, Any] | None = None
) -> list[Satellite | None]:
    """Resolve each constellation's `satellite:` (None stays None) against the catalogue with a
    scenario's `catalog:` extension; SatelliteError naming `constellations.K.satellite...` or
    `catalog...` (a bus the extension adds or changes must make a complete satellite)."""
    if all(s is None for s in specs) and not catalog_extra:
        return [None] * len(specs)
    try:
        catalog = load_catalog(catalog_extra)
    except CatalogError as exc:
        raise SatelliteError(str(exc)) from None
    for name in (catalog_extra or {}).get("buses") or {}:
        try:
            resolve_satellite({"bus": name}, catalog)
        except SatelliteError as exc:
            raise SatelliteError(f"catalog.buses.{name}: {exc}") from None
    out: list[Satellite | None] = []
    for k, spec in enumerate(specs):
        try:
            out.append(None if spec is None else resolve_satellite(spec, catalog))
        except SatelliteError as exc:
            raise SatelliteError(f"constellations.{k}.{exc}") from None
    return out


def _merge_blocks(merged: dict[str, Any], spec: SatelliteSpec) -> dict[str, Any]:
    for block in ("solar", "battery", "radiator", "payload"):
        merged[block] = {**merged[block], **getattr(spec, block).model_dump(exclude_none=True)}
    return merged


def _fill_from_catalog(merged: dict[str, Any], catalog: Catalog, mass_kg: float | None) -> None:
    solar, radiator = merged["solar"], merged["radiator"]
    cell_name = solar.setdefault("cell", "triple-junction")
    cell = _lookup(catalog, "solar_cells", cell_name, "satellite.solar.cell")
    solar.setdefault("efficiency", cell.efficiency)
    solar.setdefault("degradation_per_year", cell.degradation_per_year)
    coating_name = radiator.setdefault("coating", "white-paint")
    coating = _lookup(catalog, "radiator_coatings", coating_name, "satellite.radiator.coating")
    radiator.setdefault("emissivity", coating.emissivity)
    radiator.setdefault("absorptivity", coating.absorptivity)
    radiator.setdefault(
        "heat_capacity_j_k", SPECIFIC_HEAT_J_KG_K * (mass_kg or DEFAULT_THERMAL_MASS_KG)
    )


def _lookup(catalog: Catalog, kind: str, name: str, where: str) -> Any:
    try:
        return catalog.get(kind, name, where)
    except CatalogError as exc:
        raise SatelliteError(str(exc)) from None


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SatelliteError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    path = ".".join(["satellite", *(str(p) for p in err["loc"])])
    msg = err["msg"]
    if err["type"] == "missing":
        msg = "required (give it here or choose a `bus` that has it)"
    shown = "" if err["type"] == "missing" else f" (got {err.get('input')!r})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {msg}{shown}{more}"
