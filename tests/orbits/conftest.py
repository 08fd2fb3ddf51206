"""Shared fixtures for the orbit tests: skyfield offline (the independent oracle), real TLEs."""

from __future__ import annotations

from pathlib import Path

import pytest

CATALOGUE = (
    Path(__file__).resolve().parents[2] / "src" / "orbitgrid" / "data" / "starlink-2026-05-12.tle"
)


@pytest.fixture(scope="session")
def sky():
    """skyfield's timescale and DE421 ephemeris, both from skyfield-data (no network)."""
    from skyfield.api import Loader
    from skyfield_data import get_skyfield_data_path

    load = Loader(get_skyfield_data_path())
    eph = load("de421.bsp")
    yield load.timescale(), eph
    eph.close()


@pytest.fixture(scope="session")
def starlink_sample() -> list[tuple[str, str, str]]:
    """20 element sets (name, line 1, line 2) spread through the shipped Starlink catalogue."""
    lines = CATALOGUE.read_text().splitlines()
    sets = [(lines[k].strip(), lines[k + 1], lines[k + 2]) for k in range(0, len(lines) - 2, 3)]
    return sets[::517][:20]
