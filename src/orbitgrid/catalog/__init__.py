"""The hardware catalogue: accelerators, solar cells, radiator coatings, batteries, buses,
launchers.

Data lives in the YAML files beside this module, one file per kind. In a file, each entry's
`source`, `date` and `confidence` (measured | datasheet | estimate) apply to all its figures; a
figure written as ``{value: ..., source: ..., date: ..., confidence: ...}`` overrides them. After
loading, figures are plain numbers and ``entry.provenance["dotted.path"]`` says where each came
from.

A scenario extends or overrides entries by name with ``load_catalog(extra)``, where ``extra`` has
the same shape as the files: ``{"accelerators": {"h100": {"power_w": 650}}}``. Figures from a
scenario without their own source are marked ``source: scenario, confidence: estimate``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import math
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    ValidationError,
    model_validator,
)

from orbitgrid.errors import OrbitgridError

__all__ = [
    "Accelerator",
    "BatteryPack",
    "Bus",
    "Catalog",
    "CatalogError",
    "KINDS",
    "Launcher",
    "Provenance",
    "ProtonWeibull",
    "RadiatorCoating",
    "SolarCell",
    "load_catalog",
]

Confidence = Literal["measured", "datasheet", "estimate"]
Precision = Literal["fp4", "fp8", "bf16", "fp16", "tf32", "fp32", "fp64", "int8"]
Fraction = Field(gt=0.0, le=1.0)

_PROVENANCE_KEYS = ("source", "date", "confidence")
_SCENARIO_PROVENANCE = {"source": "scenario", "date": None, "confidence": "estimate"}


class CatalogError(OrbitgridError, ValueError):
    """A catalogue file or a scenario's catalogue extension is wrong; the message names where."""


class Provenance(BaseModel):
    """Where one figure comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1)
    date: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    confidence: Confidence


class _Entry(BaseModel):
    # strict: a figure YAML read as a string (e.g. `1e6`, YAML 1.1 needs `1.0e+6`) is an error
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    name: str
    notes: str | None = None
    provenance: dict[str, Provenance] = Field(default_factory=dict)


class ProtonWeibull(BaseModel):
    """A proton cross-section curve sigma(E) = sigma_sat (1 - exp(-((E - onset) / width)^shape))
    for E MeV reaching the device, above the onset."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    onset_mev: float = Field(ge=0.0)
    width_mev: PositiveFloat
    shape: PositiveFloat


class Accelerator(_Entry):
    """A compute device. peak_tflops is dense peak in 1e12 op/s (int8: TOPS)."""

    power_w: PositiveFloat
    peak_tflops: dict[Precision, PositiveFloat]
    memory_gb: PositiveFloat | None = None
    memory_bandwidth_tb_s: PositiveFloat | None = None
    mass_kg: PositiveFloat | None = None
    # per device, saturated, for protons reaching it (physics/radiation.py): raw bit flips
    # (corrected by ECC), silent data corruption, detected uncorrectable errors, functional
    # interrupts of the device, of its host's CPU and of its host's memory; the curve is a
    # step at proton_threshold_mev or a Weibull (proton_weibull), one of the two
    bit_flip_cross_section_cm2: float | None = Field(default=None, ge=0.0)
    sdc_cross_section_cm2: float | None = Field(default=None, ge=0.0)
    uecc_cross_section_cm2: float | None = Field(default=None, ge=0.0)
    sefi_cross_section_cm2: float | None = Field(default=None, ge=0.0)
    host_cpu_cross_section_cm2: float | None = Field(default=None, ge=0.0)
    host_ram_cross_section_cm2: float | None = Field(default=None, ge=0.0)
    proton_threshold_mev: PositiveFloat | None = None
    proton_weibull: ProtonWeibull | None = None

    @model_validator(mode="after")
    def _one_curve(self) -> Accelerator:
        if self.proton_weibull is not None and self.proton_threshold_mev is not None:
            raise ValueError("give proton_threshold_mev or proton_weibull (its onset), not both")
        return self

    def peak_ops_per_s(self, precision: str) -> float:
        """Dense peak in operations per second at `precision`; KeyError names what exists."""
        if precision not in self.peak_tflops:
            raise KeyError(
                f"{self.name} has no published {precision} peak; "
                f"known: {', '.join(sorted(self.peak_tflops))}"
            )
        return self.peak_tflops[precision] * 1e12  # type: ignore[index]


class SolarCell(_Entry):
    """A solar cell and the array built from it."""

    efficiency: float = Fraction
    array_specific_power_w_kg: PositiveFloat
    degradation_per_year: float = Field(ge=0.0, lt=1.0)


class RadiatorCoating(_Entry):
    """A radiator surface: infrared emissivity, solar absorptivity, panel mass per m2."""

    emissivity: float = Fraction
    absorptivity: float = Field(ge=0.0, le=1.0)
    areal_mass_kg_m2: PositiveFloat


class BatteryPack(_Entry):
    """A battery technology: pack-level specific energy, usable depth of discharge, round trip."""

    specific_energy_wh_kg: PositiveFloat
    max_dod: float = Fraction
    efficiency: float = Fraction


class Bus(_Entry):
    """A satellite bus: dry mass and a `satellite:` block (its names checked here, the block
    validated by physics.satellite when resolved)."""

    mass_kg: PositiveFloat
    satellite: dict[str, Any]


class Launcher(_Entry):
    """A launch vehicle with a Wright's-law learning curve on its price."""

    payload_leo_kg: PositiveFloat
    price_usd: PositiveFloat
    learning_rate: float = Fraction
    floor_usd_per_kg: float = Field(default=0.0, ge=0.0)

    def price_usd_at(self, launch_number: float = 1.0) -> float:
        """Price of the n-th launch (n >= 1): price_usd * n**log2(learning_rate), floored."""
        if launch_number < 1:
            raise ValueError(f"launch_number must be >= 1, got {launch_number}")
        price = self.price_usd * launch_number ** math.log2(self.learning_rate)
        return max(price, self.floor_usd_per_kg * self.payload_leo_kg)

    def usd_per_kg(self, launch_number: float = 1.0) -> float:
        """Price per kg to LEO of the n-th launch, at full payload."""
        return self.price_usd_at(launch_number) / self.payload_leo_kg


KINDS: dict[str, type[_Entry]] = {
    "accelerators": Accelerator,
    "solar_cells": SolarCell,
    "radiator_coatings": RadiatorCoating,
    "batteries": BatteryPack,
    "buses": Bus,
    "launchers": Launcher,
}


_SINGULAR = {
    "accelerators": "accelerator",
    "solar_cells": "solar cell",
    "radiator_coatings": "radiator coating",
    "batteries": "battery",
    "buses": "bus",
    "launchers": "launcher",
}


class Catalog(BaseModel):
    """Every kind of hardware, each a dict from name to entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    accelerators: dict[str, Accelerator]
    solar_cells: dict[str, SolarCell]
    radiator_coatings: dict[str, RadiatorCoating]
    batteries: dict[str, BatteryPack]
    buses: dict[str, Bus]
    launchers: dict[str, Launcher]

    def get(self, kind: str, name: str, where: str | None = None) -> Any:
        """Entry `name` of `kind`; CatalogError naming `where` (a field path) and known names."""
        entries = getattr(self, kind)
        if name not in entries:
            prefix = f"{where}: " if where else ""
            raise CatalogError(
                f"{prefix}unknown {_SINGULAR.get(kind, kind)} {name!r}; "
                f"known: {', '.join(sorted(entries))}"
            )
        return entries[name]


def load_catalog(extra: dict[str, Any] | None = None) -> Catalog:
    """The shipped catalogue, with `extra` (same shape as the files) merged over it by name."""
    raw = copy.deepcopy(_shipped_raw())
    values: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    for kind in KINDS:
        for name, entry in raw[kind].items():
            values[kind][name] = _split(entry, f"catalog {kind}.yaml: {name}", defaults=None)
    for kind, entries in (extra or {}).items():
        if kind not in KINDS:
            raise CatalogError(f"catalog.{kind}: unknown kind; known: {', '.join(KINDS)}")
        if not isinstance(entries, dict):
            raise CatalogError(f"catalog.{kind}: must be a mapping from name to entry")
        for name, entry in entries.items():
            override = _split(entry, f"catalog.{kind}.{name}", defaults=_SCENARIO_PROVENANCE)
            values[kind][name] = _merge(values[kind].get(name, {}), override)
    return _validate(values)


@cache
def _shipped_raw() -> dict[str, dict[str, Any]]:
    files = resources.files(__name__)
    raw = {}
    for kind in KINDS:
        data = yaml.safe_load(files.joinpath(f"{kind}.yaml").read_text(encoding="utf-8"))
        raw[kind] = data or {}
    return raw


def _split(entry: Any, where: str, defaults: dict[str, Any] | None) -> dict[str, Any]:
    """Entry values with figures unwrapped, plus a `provenance` dict keyed by dotted figure path."""
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: must be a mapping of fields")
    entry = dict(entry)
    base = dict(defaults or {})
    base.update({k: _date_str(entry.pop(k)) if k == "date" else entry.pop(k)
                 for k in _PROVENANCE_KEYS if k in entry})
    provenance: dict[str, dict[str, Any]] = {}
    values = _unwrap(entry, "", base, provenance, where)
    values["provenance"] = provenance
    return values


def _unwrap(node: dict[str, Any], prefix: str, base: dict[str, Any],
            provenance: dict[str, dict[str, Any]], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and "value" in value:
            figure = dict(value)
            own = {k: figure.pop(k) for k in _PROVENANCE_KEYS if k in figure}
            if "date" in own:
                own["date"] = _date_str(own["date"])
            value = figure.pop("value")
            if figure:
                raise CatalogError(f"{where}.{path}: unexpected keys {sorted(figure)} in figure")
            provenance[path] = _provenance({**base, **own}, f"{where}.{path}")
        elif isinstance(value, dict):
            value = _unwrap(value, f"{path}.", base, provenance, where)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            provenance[path] = _provenance(base, f"{where}.{path}")
        out[key] = value
    return out


def _provenance(fields: dict[str, Any], where: str) -> dict[str, Any]:
    missing = [k for k in ("source", "confidence") if not fields.get(k)]
    if missing:
        raise CatalogError(
            f"{where}: no {' or '.join(missing)}; give source, date and confidence "
            "for the entry or for the figure"
        )
    return {k: fields.get(k) for k in _PROVENANCE_KEYS}


def _date_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge: `override` wins, nested mappings merge key by key."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _validate(values: dict[str, dict[str, Any]]) -> Catalog:
    built: dict[str, dict[str, Any]] = {}
    for kind, model in KINDS.items():
        built[kind] = {}
        for name, entry in values[kind].items():
            entry = {"name": name, **entry}
            try:
                built[kind][name] = model.model_validate(entry)
            except ValidationError as exc:
                raise CatalogError(_one_line(exc, f"catalog.{kind}.{name}")) from None
    catalog = Catalog(**built)
    _check_buses(catalog)
    return catalog


# The entries a bus's `satellite:` block may name: (block, key, catalogue kind).
_BUS_REFERENCES = (
    ("payload", "accelerator", "accelerators"),
    ("solar", "cell", "solar_cells"),
    ("radiator", "coating", "radiator_coatings"),
)


def _check_buses(catalog: Catalog) -> None:
    """Every entry a bus names is in the catalogue. Whether a bus makes a complete satellite is
    checked where satellites are resolved (physics.satellite), which sits above the catalogue."""
    for name, bus in catalog.buses.items():
        for block, key, kind in _BUS_REFERENCES:
            part = bus.satellite.get(block)
            value = part.get(key) if isinstance(part, dict) else None
            if value is None:
                continue
            try:
                catalog.get(kind, value, f"satellite.{block}.{key}")
            except CatalogError as exc:
                raise CatalogError(f"catalog.buses.{name}: {exc}") from None


def _one_line(exc: ValidationError, root: str) -> str:
    err = exc.errors()[0]
    path = ".".join([root, *(str(p) for p in err["loc"])])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {err['msg']} (got {err.get('input')!r}){more}"
