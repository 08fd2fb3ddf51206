"""The next scale: the starlink-gen2 preset against the FCC's figures for the Gen2 filing, and
the event tables written in blocks of satellites equal to the tables written whole."""

from __future__ import annotations

import pytest

from orbitgrid import simulation
from orbitgrid.fleet import build_fleet
from orbitgrid.scenario import load_scenario
from orbitgrid.simulation import simulate


def test_gen2_preset_has_the_filed_shells():
    scenario = load_scenario("starlink-gen2")
    shells = [c.walker for c in scenario.constellations if c.walker is not None]
    by_altitude = {w.altitude_km: w for w in shells}
    # FCC 22-91 (1 Dec 2022), summarising SpaceX's Gen2 amendment of January 2022: 29,988
    # satellites; 19,440 at 340-360 km, 10,080 at 525-535 km, 468 at 604 and 614 km
    assert sum(w.satellites for w in shells) == 29_988
    assert sum(w.satellites for w in shells if 340 <= w.altitude_km <= 360) == 19_440
    assert sum(w.satellites for w in shells if 525 <= w.altitude_km <= 535) == 10_080
    assert by_altitude[604].satellites + by_altitude[614].satellites == 468
    # the granted shells (FCC 22-91): 525, 530, 535 km at 53, 43, 33 deg
    for altitude, inclination in ((525, 53), (530, 43), (535, 33)):
        assert by_altitude[altitude].inclination_deg == inclination
    assert by_altitude[604].inclination_deg > 90 and by_altitude[614].inclination_deg > 90
    # beside the real catalogue: about 40,000 satellites in all
    assert len(build_fleet(scenario)) == 29_988 + 10_361
    assert all(c.satellite is not None for c in scenario.constellations)


def test_event_tables_written_in_blocks_equal_the_whole(tmp_path, monkeypatch):
    scenario = load_scenario("demo", {"duration": "3h", "step": "30s"})
    whole = simulate(scenario, out=tmp_path / "whole")
    monkeypatch.setattr(simulation, "EVENT_BATCH_SATELLITES", 7)  # 93 satellites: 14 blocks
    blocks = simulate(scenario, out=tmp_path / "blocks")
    for name in ("eclipses", "contacts", "satellites"):
        assert whole.table(name).num_rows > 0
        assert blocks.table(name).equals(whole.table(name)), name
    for key in ("eclipses", "contacts", "umbra_hours", "penumbra_hours", "contact_hours"):
        assert blocks.summary[key] == pytest.approx(whole.summary[key]), key
    # one approx per constellation: pytest 9.2's approx takes no list of mappings
    assert blocks.summary["constellations"] == [pytest.approx(c) for c in
                                                 whole.summary["constellations"]]


def test_tables_do_not_depend_on_where_chunks_cut_the_run(tmp_path, monkeypatch):
    """A split run's blocks hold fewer satellites, so their chunks hold more knots and cut
    contacts elsewhere; the tables must not see it. With peaks refined to 0.05 s, 24 of 80,358
    peak elevations here flipped their last rounded digit."""
    from orbitgrid import pipeline

    scenario = load_scenario("starlink-cities", {"duration": "6h"})
    block = slice(0, 3000)
    whole = simulate(scenario, out=tmp_path / "a", satellites=block)
    monkeypatch.setattr(pipeline, "CHUNK_SAT_KNOTS", 3000 * 37)  # chunks of 37 knot intervals
    other = simulate(scenario, out=tmp_path / "b", satellites=block)
    for name in ("contacts", "eclipses"):
        assert whole.table(name).num_rows > 10_000
        assert other.table(name).equals(whole.table(name)), name


def _demo_with_physics(duration: str):
    """The demo preset with a Starlink V2-mini `satellite:` on every satellite (per-orbit
    power rows beside the event tables)."""
    import yaml

    from orbitgrid.scenario import preset_path

    raw = yaml.safe_load(preset_path("demo").read_text())
    constellations = [{**c, "satellite": {"bus": "starlink-v2-mini"}}
                      for c in raw["constellations"]]
    return load_scenario("demo", {"duration": duration, "constellations": constellations})


def _scratch_files(root):
    return [p for p in root.rglob("*") if ".scratch" in p.parts and p.is_file()]


def test_spilled_tables_equal_the_in_memory_ones(tmp_path, monkeypatch):
    """Rows spilled to scratch files at every chunk, in many small blocks, come back as the
    tables the in-memory path writes; no scratch file is left behind."""
    from orbitgrid import pipeline, spill
    from orbitgrid.physics import stage

    scenario = _demo_with_physics("6h")
    monkeypatch.setattr(spill, "SPILL_BYTES", 2**62)  # never spilled: all in memory
    held = simulate(scenario, out=tmp_path / "held")
    monkeypatch.setattr(spill, "SPILL_BYTES", 0)  # every chunk's rows go to the files
    monkeypatch.setattr(simulation, "EVENT_BATCH_SATELLITES", 7)
    monkeypatch.setattr(stage, "ORBIT_BATCH_SATELLITES", 5)
    monkeypatch.setattr(pipeline, "CHUNK_SAT_KNOTS", 93 * 20)  # 20 knots a chunk: many chunks
    seen = []
    spilled = simulate(scenario, out=tmp_path / "spilled",
                       progress=lambda done, total: seen.append(len(_scratch_files(tmp_path))))
    assert max(seen) > 20  # several blocks' files were written during the run
    assert _scratch_files(tmp_path) == []
    assert sorted(p.name for p in spilled.path.iterdir()) == sorted(
        p.name for p in held.path.iterdir())
    for name in ("eclipses", "contacts", "satellites", "power"):
        assert held.table(name).num_rows > 0, name
        assert spilled.table(name).equals(held.table(name)), name
    assert spilled.summary == held.summary


def test_a_failed_run_leaves_no_scratch_file(tmp_path, monkeypatch):
    from orbitgrid import spill

    monkeypatch.setattr(spill, "SPILL_BYTES", 0)
    seen = []

    def stop(done, total):
        seen.append(len(_scratch_files(tmp_path)))
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(_demo_with_physics("3h"), out=tmp_path / "run", progress=stop)
    assert max(seen) > 0  # it had spilled before it stopped
    assert list(tmp_path.iterdir()) == []
