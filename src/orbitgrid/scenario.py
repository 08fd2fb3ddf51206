"""Scenarios: one YAML file validated by pydantic, built-in presets by name.

Every error is a ScenarioError whose message is one line: the file, the line where it can be
found, the field path and the reason.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from orbitgrid.constants import EARTH_RADIUS_M
from orbitgrid.errors import ScenarioError
from orbitgrid.network.links import GroundLink, IslConfig
from orbitgrid.ops.jobs import Workload
from orbitgrid.orbits.elements import orbit_range_error
from orbitgrid.physics.satellite import SatelliteError, SatelliteSpec, resolve_constellations
from orbitgrid.sensing.schema import SensingSpec
from orbitgrid.units import Duration, epoch64
from orbitgrid.units import parse_duration as parse_duration  # re-exported: orbitgrid.cli
from orbitgrid.userfiles import read_user_text

# libyaml's safe loader, where PyYAML was built with it (the same data as PyYAML's own)
_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _orbit_altitude(altitude_km: float) -> float:
    problem = orbit_range_error(altitude_km * 1e3, altitude_km * 1e3)
    if problem:
        raise ValueError(problem)
    return altitude_km


# A circular orbit's altitude (km): 100-100,000 km (orbitgrid.orbits.elements)
OrbitAltitude = Annotated[float, AfterValidator(_orbit_altitude)]


def _resolve_file(value: Any, info: ValidationInfo) -> Path:
    base = Path((info.context or {}).get("base_dir", "."))
    path = (base / Path(value).expanduser()).resolve()
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    return path


ExistingFile = Annotated[Path, BeforeValidator(_resolve_file)]


class Walker(_Model):
    """Walker pattern satellites/planes/phasing of circular orbits."""

    satellites: int = Field(gt=0)
    planes: int = Field(gt=0)
    phasing: int = Field(0, ge=0)
    altitude_km: OrbitAltitude
    inclination_deg: float = Field(ge=0, le=180)
    kind: Literal["delta", "star"] = "delta"
    raan0_deg: float = 0.0

    @model_validator(mode="after")
    def _pattern(self):
        if self.satellites % self.planes:
            raise ValueError(
                f"satellites ({self.satellites}) must be a multiple of planes ({self.planes})"
            )
        if self.phasing >= self.planes:
            raise ValueError(f"phasing ({self.phasing}) must be less than planes ({self.planes})")
        return self


def _parse_ltan(value: Any) -> float:
    """Local time of ascending node in hours from 'HH:MM' or a number of hours."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        hours = float(value)
    else:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
        if not match or int(match.group(2)) >= 60:
            raise ValueError(f"ltan must be 'HH:MM', got {value!r}")
        hours = int(match.group(1)) + int(match.group(2)) / 60
    if not 0 <= hours < 24:
        raise ValueError(f"ltan must be within 00:00-23:59, got {value!r}")
    return hours


Ltan = Annotated[float, BeforeValidator(_parse_ltan)]


class SunSynchronous(_Model):
    """Sun-synchronous circular orbits; inclination from altitude, node from local time."""

    satellites: int = Field(gt=0)
    planes: int = Field(1, gt=0)
    phasing: int = Field(0, ge=0)
    altitude_km: OrbitAltitude = Field(le=5900)
    ltan: Ltan

    @model_validator(mode="after")
    def _pattern(self):
        if self.satellites % self.planes:
            raise ValueError(
                f"satellites ({self.satellites}) must be a multiple of planes ({self.planes})"
            )
        return self


class Formation(_Model):
    """A compact cluster within radius_m of a sun-synchronous reference orbit."""

    satellites: int = Field(gt=0)
    radius_m: float = Field(gt=0)
    altitude_km: OrbitAltitude = Field(le=5900)
    ltan: Ltan


class OrbitElements(_Model):
    """Mean Keplerian elements at the scenario epoch."""

    a_km: float = Field(gt=6378.137)
    e: float = Field(0.0, ge=0, lt=1)
    i_deg: float = Field(ge=0, le=180)
    raan_deg: float = 0.0
    argp_deg: float = 0.0
    mean_anomaly_deg: float = 0.0
    name: str | None = None

    @model_validator(mode="after")
    def _above_ground(self):
        r_km = EARTH_RADIUS_M / 1e3
        problem = orbit_range_error(
            (self.a_km * (1 - self.e) - r_km) * 1e3, (self.a_km * (1 + self.e) - r_km) * 1e3
        )
        if problem:
            raise ValueError(f"a_km, e: {problem}")
        return self


_SOURCES = ("tle_file", "omm_file", "walker", "sun_synchronous", "formation", "elements")


class Constellation(_Model):
    """A named group of satellites from exactly one source."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\- ]+$")
    tle_file: ExistingFile | None = None
    omm_file: ExistingFile | None = None
    walker: Walker | None = None
    sun_synchronous: SunSynchronous | None = None
    formation: Formation | None = None
    elements: list[OrbitElements] | None = Field(None, min_length=1)
    satellite: SatelliteSpec | None = None
    isl: IslConfig | None = None

    @model_validator(mode="after")
    def _one_source(self):
        given = [s for s in _SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(_SOURCES)} (got {len(given)})")
        return self

    @property
    def source(self) -> str:
        return next(s for s in _SOURCES if getattr(self, s) is not None)


class GroundStation(_Model):
    name: str = Field(min_length=1)
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    alt_m: float = Field(0.0, ge=-500, le=9000)
    min_elevation_deg: float = Field(0.0, ge=-5, lt=90)
    max_range_km: float | None = Field(None, gt=0)
    relay: bool = False
    link: GroundLink | None = None


class Economics(_Model):
    """The `economics:` block of an orbit scenario: prices and lifetimes (estimates)."""

    years: float = Field(10.0, gt=0, description="horizon")
    launcher: str = "starship"
    launch_usd_per_kg: float | None = Field(None, gt=0, description="flat price, no curve")
    launches_before: int = Field(0, ge=0, description="position on the learning curve")
    # estimate: Starlink-class ~$1k/kg, smallsats ~$50k/kg
    bus_usd_per_kg: float = Field(5_000.0, ge=0)
    solar_usd_per_w: float = Field(10.0, ge=0)  # estimate: space arrays $5-300/W by class
    radiator_usd_per_m2: float = Field(5_000.0, ge=0)  # estimate
    battery_usd_per_kwh: float = Field(1_000.0, ge=0)  # estimate: space-qualified packs
    shielding_kg_per_kw: float = Field(1.0, ge=0)  # as implied by Starcloud's $1.2M for 40 MW
    shielding_usd_per_kg: float = Field(100.0, ge=0)  # estimate: material
    accelerator_usd: float | None = Field(None, ge=0, description="default from the table")
    server_factor: float = Field(1.5, ge=1)  # estimate: boards, memory, network per accelerator
    satellite_life_years: float = Field(5.0, gt=0)  # Suncatcher paper's 5-year life
    annual_failure_rate: float = Field(0.03, ge=0, lt=1)  # estimate
    replacement_delay_years: float = Field(0.5, ge=0)  # estimate: a failure waits this long
    ground_stations: int | None = Field(None, ge=0, description="default: the scenario's")
    ground_station_usd: float = Field(2e6, ge=0)  # estimate: one antenna site
    operations_usd_per_satellite_year: float = Field(100_000.0, ge=0)  # estimate
    compute_availability: float = Field(1.0, gt=0, le=1)  # from a run's mean_compute_w
    published: Literal["starcloud-40mw", "suncatcher"] | None = None


class GroundDataCentre(_Model):
    """The `ground:` block: a terrestrial data centre (estimates unless a preset cites one)."""

    it_power_mw: float = Field(gt=0)
    accelerator: str = "h100"
    years: float = Field(10.0, gt=0)
    pue: float = Field(1.2, ge=1)
    electricity_usd_per_kwh: float = Field(0.08, ge=0)
    wue_l_per_kwh: float = Field(1.8, ge=0, description="litres of water per kWh of IT")
    water_usd_per_m3: float = Field(2.0, ge=0)
    backup_usd_per_kw: float = Field(500.0, ge=0)
    grid_connection_usd_per_kw: float = Field(200.0, ge=0)
    building_usd_per_kw: float = Field(10_000.0, ge=0)
    land_usd_per_mw: float = Field(250_000.0, ge=0)
    accelerator_usd: float | None = Field(None, ge=0)
    server_factor: float = Field(1.5, ge=1)
    hardware_refresh_years: float = Field(5.0, gt=0)
    operations_usd_per_mw_year: float = Field(150_000.0, ge=0)
    utilisation: float = Field(1.0, gt=0, le=1)


class Route(_Model):
    """A pair of endpoints (station or satellite names) whose path is followed over time."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from", min_length=1)
    target: str = Field(alias="to", min_length=1)


class RadiationSettings(_Model):
    """The radiation environment: AP8/AE8 at solar minimum (the default, the higher LEO proton
    fluxes) or maximum (orbitgrid.physics.radiation)."""

    solar: Literal["min", "max"] = "min"


class Scenario(_Model):
    """A whole scenario: time span, constellations and ground stations."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    epoch: datetime
    duration: Duration
    step: Duration
    seed: int = 0
    constellations: list[Constellation] = []  # none only for a ground data centre (`ground:`)
    ground_stations: list[GroundStation] = []
    ground_stations_file: ExistingFile | None = None
    routes: list[Route] = []
    catalog: dict[str, Any] | None = None
    workload: Workload | None = None  # job generators, policy, protection (orbitgrid.ops)
    jobs_file: ExistingFile | None = None  # jobs as CSV or Parquet rows (orbitgrid.ops.jobs)
    economics: Economics | None = None  # orbit cost figures (orbitgrid.economics)
    ground: GroundDataCentre | None = None  # a terrestrial data centre to compare with
    sensing: SensingSpec | None = None  # remote-sensing events and pipelines (orbitgrid.sensing)
    radiation: RadiationSettings | None = None  # None: solar minimum (RadiationSettings)
    # a bad element set in a tle_file/omm_file: stop the run (fail, the default) or skip it
    on_bad_elements: Literal["fail", "skip"] | None = None
    # element sets further than this from the epoch are counted in one warning (default 30 d)
    max_element_age: Duration | None = None
    # real programs the live service may run: name -> {command, checkpoint, grace, limits},
    # validated by orbitgrid.live.programs (a front end; the core only carries them)
    programs: dict[str, dict[str, Any]] | None = None

    @field_validator("epoch")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        if value.utcoffset().total_seconds() != 0:
            raise ValueError("epoch must be in UTC (end it with Z)")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self):
        if self.step > self.duration:
            raise ValueError(
                f"step ({self.step:g} s) is larger than duration ({self.duration:g} s)"
            )
        if not self.constellations and self.ground is None:
            raise ValueError("give at least one constellation (or a `ground:` data centre)")
        names = [c.name for c in self.constellations]
        if len(set(names)) != len(names):
            raise ValueError(f"constellation names must be unique: {_duplicates(names)}")
        return self

    @property
    def epoch64(self) -> np.datetime64:
        return epoch64(self.epoch)

    def stations(self) -> list[GroundStation]:
        """The stations listed inline and those read from ground_stations_file, in that order."""
        stations = list(self.ground_stations)
        if self.ground_stations_file:
            stations += read_ground_stations(self.ground_stations_file)
        names = [s.name for s in stations]
        if len(set(names)) != len(names):
            raise ScenarioError(
                f"ground_stations: station names must be unique: {_duplicates(names)}"
            )
        return stations

    def resolved(self) -> dict:
        """The scenario as plain data with defaults filled in and paths absolute."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


def _duplicates(names):
    return ", ".join(sorted({n for n in names if names.count(n) > 1}))


def read_ground_stations(path: Path) -> list[GroundStation]:
    """Stations from a CSV file: name, lat_deg, lon_deg, alt_m, min_elevation_deg."""
    rows = list(csv.DictReader(io.StringIO(read_user_text(path), newline="")))
    out = []
    for line, row in enumerate(rows, start=2):
        fields = {k.strip(): v.strip() for k, v in row.items() if k and v not in (None, "")}
        try:
            out.append(GroundStation.model_validate(fields))
        except ValidationError as exc:
            raise ScenarioError(f"{path}:{line}: {_describe(exc.errors()[0])}") from None
    return out


def preset_names() -> list[str]:
    """Names of the built-in scenarios."""
    folder = resources.files("orbitgrid") / "presets"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def preset_path(name: str) -> Path:
    return Path(str(resources.files("orbitgrid") / "presets" / f"{name}.yaml"))


def load_scenario(source: str | Path, overrides: dict | None = None) -> Scenario:
    """Load and validate a scenario from a YAML path or a preset name.

    overrides replace top-level keys (duration, step, ...) before validation.
    """
    path = Path(source)
    if not path.is_file():
        if str(source) in preset_names():
            path = preset_path(str(source))
        elif path.suffix in (".yaml", ".yml") or "/" in str(source):
            raise ScenarioError(f"{source}: file not found")
        else:
            raise ScenarioError(
                f"{source}: no such file or preset (presets: {', '.join(preset_names())})"
            )
    text = read_user_text(path)
    try:
        data = _read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ScenarioError(f"{where}: YAML syntax error: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of scenario keys at the top level")
    data = {**data, **(overrides or {})}
    return validate_scenario(data, base_dir=path.parent, source=path, text=text)


def _read_yaml(text: str) -> Any:
    """The data of a YAML text, read by libyaml (several times faster than PyYAML's own parser:
    validate's start-up). A syntax error is raised by PyYAML's parser, whose messages are more
    telling (they name the character)."""
    try:
        return yaml.load(text, Loader=_FAST_SAFE_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def validate_scenario(
    data: dict, base_dir: Path = Path("."), source: Path | None = None, text: str | None = None
) -> Scenario:
    """Validate scenario data; relative file paths are taken from base_dir."""
    where = str(source) if source else "scenario"
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": str(base_dir)})
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key also shows up as a missing one: report the misspelling, with its hint
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        line = _line_of(text, error["loc"]) if text else None
        raise ScenarioError(f"{where}{f':{line}' if line else ''}: {_describe(error)}") from None
    try:  # satellites resolved against the catalogue: unknown names, missing figures
        resolve_constellations([c.satellite for c in scenario.constellations], scenario.catalog)
    except SatelliteError as exc:
        line = _line_of(text, exc.loc) if text else None
        raise ScenarioError(f"{where}{f':{line}' if line else ''}: {exc}") from None
    return scenario


def _describe(error: dict) -> str:
    """'field.path: reason' from one pydantic error, with a suggestion for a misspelt key."""
    loc = [str(p) for p in error["loc"]]
    path = ".".join(loc) or "scenario"
    if error["type"] == "extra_forbidden":
        known = _known_keys(error["loc"][:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
        return f"{path}: unknown key{hint}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {message}"


def _known_keys(loc) -> list[str]:
    """Field names of the model found at loc in a Scenario."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        model = _model_in(annotation)
        if model is None:
            return []
    return sorted(model.model_fields)


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def _line_of(text: str, loc) -> int | None:
    """1-based line in the YAML text of the deepest node on the path loc."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
