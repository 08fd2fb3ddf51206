"""The hardware catalogue: it loads, every figure says where it comes from, scenarios extend it."""

import math

import pytest

import orbitgrid.catalog as catalog_module
from orbitgrid.catalog import CatalogError, load_catalog

REQUIRED = {
    "accelerators": ["h100", "b200", "jetson-agx-orin", "tpu-v6e", "three-body-744tops"],
    "solar_cells": ["triple-junction", "silicon", "thin-film"],
    "radiator_coatings": ["white-paint"],
    "batteries": ["li-ion-space"],
    "buses": ["starlink-v2-mini", "starcloud-1", "suncatcher", "three-body"],
    "launchers": ["falcon-9", "falcon-heavy", "starship"],
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _numeric_leaves(node, prefix=""):
    """Dotted paths of every number in a nested dict (the figures)."""
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _numeric_leaves(value, f"{path}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield path


def test_required_entries_present(catalog):
    for kind, names in REQUIRED.items():
        assert set(names) <= set(getattr(catalog, kind)), kind


def test_every_figure_has_source_date_and_confidence(catalog):
    checked = 0
    for kind in REQUIRED:
        for name, entry in getattr(catalog, kind).items():
            data = entry.model_dump(exclude={"provenance", "name", "notes"})
            for path in _numeric_leaves(data):
                prov = entry.provenance.get(path)
                assert prov is not None, f"{kind}.{name}.{path} has no provenance"
                assert prov.source.strip(), f"{kind}.{name}.{path}"
                assert prov.date, f"{kind}.{name}.{path} has no date"
                assert prov.confidence in {"measured", "datasheet", "estimate"}
                checked += 1
    assert checked > 100


def test_h100_matches_nvidia_datasheet(catalog):
    # NVIDIA H100 SXM5 datasheet: up to 700 W, 1,979 TFLOPS bf16 with sparsity (989 dense), 80 GB
    h100 = catalog.accelerators["h100"]
    assert h100.power_w == 700
    assert h100.peak_ops_per_s("bf16") == pytest.approx(989e12, abs=1e12)
    assert h100.memory_gb == 80
    assert h100.provenance["power_w"].confidence == "datasheet"
    with pytest.raises(KeyError, match="fp4"):
        h100.peak_ops_per_s("fp4")


def test_cell_efficiencies_and_three_body_tops(catalog):
    assert catalog.solar_cells["triple-junction"].efficiency == pytest.approx(0.30, abs=0.01)
    assert catalog.solar_cells["silicon"].efficiency == pytest.approx(0.22, abs=0.005)
    assert catalog.accelerators["three-body-744tops"].peak_tflops["int8"] == 744


def test_falcon9_list_price_per_kg(catalog):
    # SpaceX list: $69.75M for 22,800 kg to LEO (expendable): about $3,060/kg
    assert catalog.launchers["falcon-9"].usd_per_kg() == pytest.approx(3059, rel=0.01)


def test_starship_follows_wrights_law(catalog):
    ship = catalog.launchers["starship"]
    lr = ship.learning_rate
    # Wright's law: every doubling of cumulative launches multiplies the unit price by the rate
    assert ship.price_usd_at(2) / ship.price_usd_at(1) == pytest.approx(lr, rel=1e-12)
    assert ship.price_usd_at(8) / ship.price_usd_at(1) == pytest.approx(lr**3, rel=1e-12)
    floor = ship.floor_usd_per_kg * ship.payload_leo_kg
    assert ship.price_usd_at(1e9) == pytest.approx(floor)
    assert math.isclose(ship.usd_per_kg(1e9), ship.floor_usd_per_kg)
    with pytest.raises(ValueError, match="launch_number"):
        ship.price_usd_at(0)


def test_scenario_overrides_one_figure_and_keeps_the_rest(catalog):
    cat = load_catalog({"accelerators": {"h100": {"power_w": 650}}})
    h100 = cat.accelerators["h100"]
    assert h100.power_w == 650
    assert h100.provenance["power_w"].source == "scenario"
    assert h100.provenance["power_w"].confidence == "estimate"
    assert h100.memory_gb == 80
    assert h100.provenance["memory_gb"].confidence == "datasheet"
    assert catalog.accelerators["h100"].power_w == 700  # the shipped catalogue is untouched


def test_scenario_adds_an_entry_with_its_own_source():
    extra = {"accelerators": {"my-npu": {
        "power_w": 25, "peak_tflops": {"int8": 50},
        "source": "vendor sheet", "date": "2025-01", "confidence": "datasheet"}}}
    npu = load_catalog(extra).accelerators["my-npu"]
    assert npu.name == "my-npu"
    assert npu.provenance["peak_tflops.int8"].source == "vendor sheet"


@pytest.mark.parametrize("extra, where", [
    ({"accelerators": {"x": {"peak_tflops": {"int8": 1}}}}, "catalog.accelerators.x.power_w"),
    ({"accelerators": {"h100": {"power_w": -5}}}, "catalog.accelerators.h100.power_w"),
    ({"solar_cells": {"silicon": {"efficiency": 1.3}}}, "catalog.solar_cells.silicon.efficiency"),
    ({"rockets": {}}, "catalog.rockets"),
    ({"buses": {"starcloud-1": {"satellite": {"payload": {"accelerator": "h999"}}}}},
     "satellite.payload.accelerator"),
])
def test_bad_extension_gives_one_line_error_naming_the_field(extra, where):
    with pytest.raises(CatalogError) as err:
        load_catalog(extra)
    message = str(err.value)
    assert where in message
    assert "\n" not in message


def test_shipped_figure_without_source_is_rejected(monkeypatch):
    raw = {kind: {} for kind in catalog_module.KINDS}
    raw["accelerators"] = {"bare": {"power_w": 10, "peak_tflops": {"int8": 1}}}
    monkeypatch.setattr(catalog_module, "_shipped_raw", lambda: raw)
    with pytest.raises(CatalogError, match=r"bare\.power_w: no source or confidence"):
        load_catalog()
