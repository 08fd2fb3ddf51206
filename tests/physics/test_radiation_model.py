"""The radiation model against its authorities: NASA AP8 (evaluated directly with the aep8
package) for the trapped protons and where they are, NIST PSTAR for ranges and stopping powers,
Suncatcher's beam test for the Trillium rates; and the seeded event stream."""

import warnings

import numpy as np
import pytest

from orbitgrid.catalog import load_catalog
from orbitgrid.physics.radiation import (
    ENGINE_KIND,
    EVENT_DTYPE,
    RECORD_DTYPE,
    ProtonCurve,
    SECONDS_PER_YEAR,
    cross_section_from_dose_cm2,
    draw_events,
    environment,
    environment_grid,
    event_rate_per_s,
    fluence_per_rad_cm2,
    gcr_flux_cm2_s,
    proton_energy_outside_mev,
    to_engine_events,
)

deg = np.radians


def ap8(lat_deg, lon_deg, alt_km, energy_mev, solar="min", particle="p"):
    """AP8/AE8 integral flux /(cm2 s), evaluated directly (IRBEM through aep8): the oracle."""
    import aep8
    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    loc = EarthLocation.from_geodetic(np.asarray(lon_deg) * u.deg, np.asarray(lat_deg) * u.deg,
                                      np.asarray(alt_km) * u.km)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore")
        f = aep8.model(particle, solar).integral_flux(loc, Time("2000-01-01T00:00:00"),
                                                      energy_mev * u.MeV).value
    return np.nan_to_num(f, nan=0.0)


def track(alt_km, inc_deg, days=1.0, step_s=60.0):
    """WGS84 lat, lon (rad), height (m) of a circular orbit propagated by orbitgrid."""
    from orbitgrid.fleet import build_fleet
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.scenario import validate_scenario

    sc = validate_scenario({
        "name": "t", "epoch": "2026-01-01T00:00:00Z", "duration": f"{days}d", "step": "60s",
        "constellations": [{"name": "o", "walker": {"satellites": 1, "planes": 1,
                                                    "altitude_km": alt_km,
                                                    "inclination_deg": inc_deg}}]})
    t = np.arange(0.0, days * 86400.0, step_s)
    lat, lon, h = Samples(sc.epoch64, t, build_fleet(sc).propagate(sc.epoch64, t).r, None).geodetic
    return lat[:, 0], lon[:, 0], h[:, 0]


# --- AP8 as the oracle ---------------------------------------------------------------------------

@pytest.mark.parametrize("solar", ["min", "max"])
def test_table_reproduces_ap8_across_the_saa(solar):
    # a 5 x 7 patch over the SAA at 600 km (off the table's nodes): interpolated >10 MeV flux
    # within 25 % of AP8 where AP8 gives more than 30 /(cm2 s); on the steep edges (under 1 % of
    # the peak) within 10 /(cm2 s); nothing where AP8 has nothing; the maximum within 15 %
    lat, lon = np.meshgrid(np.arange(-44.0, -5.0, 8.0), np.arange(-79.0, 20.0, 14.0))
    want = ap8(lat, lon, 600.0, 10.0, solar)
    got = environment(deg(lat), deg(lon), 600e3, environment_grid(solar)).proton_flux_cm2_s
    body = want > 30.0
    assert body.sum() >= 10
    np.testing.assert_allclose(got[body], want[body], rtol=0.25)
    assert np.all(np.abs(got[~body] - want[~body]) < 10.0)
    assert np.all(got[want == 0] < 1.0)
    assert got.max() == pytest.approx(want.max(), rel=0.15)


# (500 km at 0 deg stays under the SAA's protons above ~53 MeV: AP8 gives none there)
ORBITS = [(800.0, 0.0), (500.0, 53.0), (550.0, 97.6), (800.0, 30.0), (1000.0, 70.0),
          (1200.0, 87.9), (1400.0, 53.0)]


def test_upset_rates_scale_with_the_orbit_averaged_ap8_flux():
    """One device (sigma 1e-8 cm2, 20 MeV threshold behind 10 mm Al) on orbits from 500 to
    1,400 km and 0 to 98 deg: its trapped-proton upset rate over the orbit-averaged AP8 flux
    above the energy that gets through (AP8 at the same positions) is the same within 20 %."""
    grid = environment_grid("min", 10.0, ProtonCurve(20.0))
    e_out = proton_energy_outside_mev(20.0, 10.0)
    sigma = 1e-8
    ratios = {}
    for alt, inc in ORBITS:
        lat, lon, h = track(alt, inc)
        rate = event_rate_per_s(environment(lat, lon, h, grid).device_proton_flux_cm2_s,
                                sigma).mean()
        oracle = ap8(np.degrees(lat), np.degrees(lon), h / 1e3, e_out).mean()
        assert oracle > 0.01, (alt, inc)
        ratios[(alt, inc)] = rate / (sigma * oracle)
    assert all(0.8 < r < 1.2 for r in ratios.values()), ratios
    # and the range the old model got wrong: 1,200 km over 550 km
    lo, hi = ratios[(550.0, 97.6)], ratios[(1200.0, 87.9)]
    assert hi / lo == pytest.approx(1.0, abs=0.2)


def test_saa_is_where_ap8_puts_it():
    """Where the model's trapped flux is, AP8's is: the 5 % of a day's 500 km, 50 deg positions
    with the most model flux carry >= 80 % of AP8's own fluence there, and lie in the South
    Atlantic (lat -50..0, lon -90..+40)."""
    lat, lon, h = track(500.0, 50.0, days=1.0, step_s=30.0)
    model = environment(lat, lon, h, environment_grid("min")).proton_flux_cm2_s
    oracle = ap8(np.degrees(lat), np.degrees(lon), h / 1e3, 10.0)
    top = model >= np.quantile(model, 0.95)
    assert oracle[top].sum() >= 0.8 * oracle.sum()
    la, lo = np.degrees(lat[top]), (np.degrees(lon[top]) + 180) % 360 - 180
    assert np.all((la > -55) & (la < 5) & (lo > -95) & (lo < 45))


# --- shielding, silicon, the beam tests ----------------------------------------------------------

def test_shielding_cutoff_against_pstar():
    # NIST PSTAR, aluminium: CSDA range 2.70 g/cm2 (10 mm) is reached at ~47.5 MeV; a proton
    # needs more than that outside to get through; 20 MeV behind 10 mm needs ~53 MeV outside
    assert proton_energy_outside_mev(0.0, 10.0) == pytest.approx(47.5, rel=0.05)
    assert proton_energy_outside_mev(20.0, 10.0) == pytest.approx(53.0, rel=0.05)


def test_trillium_cross_sections_from_the_beam_test():
    # Suncatcher (arXiv 2511.19468 s4.3): 67 MeV protons, SDC at 14.4-20 rad(Si) per event,
    # sigma ~6-9e-9 cm2 per chip: the dose-to-fluence conversion reproduces that range
    assert 6e-9 <= cross_section_from_dose_cm2(20.0, 67.0) <= 6.6e-9
    assert 8.4e-9 <= cross_section_from_dose_cm2(14.4, 67.0) <= 9e-9


def test_suncatcher_per_chip_year_rates():
    # Suncatcher (arXiv 2511.19468 s2.3/4.3): at ~150 rad(Si)/yr, per chip-year 8.8 SDC,
    # 3.4 HBM UECC, 0.03 chip SEFI; the catalogue's tpu-v6e cross-sections at a 67 MeV flux
    # giving 150 rad(Si)/yr, within 3 %
    tpu = load_catalog().accelerators["tpu-v6e"]
    flux = 150.0 * fluence_per_rad_cm2(67.0) / SECONDS_PER_YEAR
    year = SECONDS_PER_YEAR
    assert event_rate_per_s(flux, tpu.sdc_cross_section_cm2) * year == pytest.approx(8.8, rel=0.03)
    assert event_rate_per_s(flux, tpu.uecc_cross_section_cm2) * year == pytest.approx(3.4,
                                                                                     rel=0.03)
    assert event_rate_per_s(flux, tpu.sefi_cross_section_cm2) * year == pytest.approx(0.03,
                                                                                     rel=0.03)


def test_catalogue_radiation_figures_cite_sources():
    cat = load_catalog()
    kinds = ("bit_flip", "sdc", "uecc", "sefi", "host_cpu", "host_ram")
    for name, acc in cat.accelerators.items():
        for k in kinds:
            if getattr(acc, f"{k}_cross_section_cm2") is not None:
                prov = acc.provenance[f"{k}_cross_section_cm2"]
                assert prov.source, (name, k)
                if prov.confidence == "measured":
                    assert any(w in prov.source for w in ("Suncatcher", "Wyrwas", "GSFC")), name
    # the published ones are marked measured, the rest estimates (REFERENCES.md A and E)
    assert cat.accelerators["tpu-v6e"].provenance["sdc_cross_section_cm2"].confidence == "measured"
    assert cat.accelerators["jetson-tx2"].sdc_cross_section_cm2 == 1e-9  # Wyrwas 2019
    assert cat.accelerators["h100"].provenance["sdc_cross_section_cm2"].confidence == "estimate"


def test_suncatcher_host_sefi_per_chip_year():
    # Suncatcher (arXiv 2511.19468 s2.3/4.3): host CPU SEFI 1 per 450 rad(Si), host RAM 1 per
    # 400 rad(Si), 67 MeV protons; at its ~150 rad(Si)/yr that is 150/450 and 150/400 a year
    tpu = load_catalog().accelerators["tpu-v6e"]
    flux = 150.0 * fluence_per_rad_cm2(67.0) / SECONDS_PER_YEAR
    year = SECONDS_PER_YEAR
    assert event_rate_per_s(flux, tpu.host_cpu_cross_section_cm2) * year == pytest.approx(
        150 / 450, rel=0.03)
    assert event_rate_per_s(flux, tpu.host_ram_cross_section_cm2) * year == pytest.approx(
        150 / 400, rel=0.03)


# --- Weibull curves -------------------------------------------------------------------------------

def test_weibull_curve_closed_form():
    # 1 - exp(-((E - E0) / W)^s): 0 at and below the onset, 1 - 1/e = 0.632 at E0 + W, -> 1
    curve = ProtonCurve(5.0, 20.0, 1.5)
    got = curve.fraction([0.0, 5.0, 25.0, 500.0])
    np.testing.assert_allclose(got, [0.0, 0.0, 0.6321206, 1.0], atol=1e-6)
    assert ProtonCurve(20.0).fraction([19.9, 20.0]).tolist() == [0.0, 1.0]


def _folded_ap8(lat, lon, alt_km, curve, shielding_mm_al=10.0):
    """The device flux folded directly: AP8's integral spectrum on 400 log-spaced outside
    energies (10-400 MeV, aep8 itself), each bin at its middle, weighted by the curve."""
    from orbitgrid.physics.radiation import proton_energy_behind_mev

    e = np.geomspace(10.0, 400.0, 400)
    above = np.array([ap8(lat, lon, alt_km, x) for x in e])
    mid = np.sqrt(e[:-1] * e[1:])
    w = curve.fraction(proton_energy_behind_mev(mid, shielding_mm_al))
    return (np.maximum(above[:-1] - above[1:], 0) * w[:, None]).sum(axis=0) + above[-1]


def test_weibull_device_flux_is_the_ap8_spectrum_folded_with_the_curve():
    # three points in and around the SAA at 800 km: the grid's folded flux within 10 % of AP8
    # folded directly; a Weibull steeper than any device tends to the step at its onset
    lat, lon = np.array([-30.0, -25.0, -20.0]), np.array([-50.0, -40.0, -30.0])
    curve = ProtonCurve(5.0, 30.0, 1.5)
    got = environment(deg(lat), deg(lon), 800e3,
                      environment_grid("min", 10.0, curve)).device_proton_flux_cm2_s
    want = _folded_ap8(lat, lon, 800.0, curve)
    assert want.min() > 10.0
    np.testing.assert_allclose(got, want, rtol=0.1)
    step = environment(deg(lat), deg(lon), 800e3,
                       environment_grid("min", 10.0, ProtonCurve(20.0))).device_proton_flux_cm2_s
    steep = environment(deg(lat), deg(lon), 800e3, environment_grid(
        "min", 10.0, ProtonCurve(20.0, 0.01, 8.0))).device_proton_flux_cm2_s
    np.testing.assert_allclose(steep, step, rtol=0.03)
    assert np.all(got < step * 1.6) and np.all(got > step * 0.5)


def test_catalogue_weibull_reaches_the_curve():
    from orbitgrid.physics.radiation import proton_curve

    cat = load_catalog({"accelerators": {"h100": {
        "proton_weibull": {"onset_mev": 4.0, "width_mev": 25.0, "shape": 2.0}}}})
    assert proton_curve(cat.accelerators["h100"]) == ProtonCurve(4.0, 25.0, 2.0)
    assert proton_curve(load_catalog().accelerators["h100"]) == ProtonCurve(20.0)
    assert proton_curve(None) == ProtonCurve(20.0)


# --- galactic cosmic rays ------------------------------------------------------------------------

def test_gcr_rises_towards_the_geomagnetic_poles():
    # Stormer cutoff 14.9 GV at the geomagnetic equator (Smart & Shea): PDG's integral spectrum
    # above it, 4 pi x 1.8e4/1.7 x 14.9^-1.7 /(m2 s), is ~0.13 /(cm2 s) before the Earth's shadow
    lat = deg(np.array([0.0, 30.0, 50.0, 70.0, 85.0]))
    lon = deg(np.full(5, -72.7))  # the dipole meridian: geomagnetic = geographic + 9.3 deg
    f = gcr_flux_cm2_s(lat - deg(9.3), lon, 550e3)
    assert np.all(np.diff(f) >= 0)
    r = (6371.2 + 550) / 6371.2
    unshadowed = 4 * np.pi * 1.8e4 / 1.7 * 1e-4 * (14.9 / r**2) ** -1.7
    shadow = 0.5 * (1 + np.sqrt(1 - 1 / r**2))
    assert f[0] == pytest.approx(unshadowed * shadow, rel=0.01)
    assert f[-1] == pytest.approx(4.0 * shadow, rel=0.01)  # capped at the free-space flux


def test_kernel_gcr_matches_the_closed_form():
    # the per-step kernel works from Earth-fixed xyz (geocentric radius and dipole latitude),
    # the closed form from geodetic latitude and R_E + h: within 3 %
    lat = deg(np.linspace(-80, 80, 17))
    lon = deg(np.linspace(-180, 160, 17))
    env = environment(lat, lon, 700e3, environment_grid("max"))
    np.testing.assert_allclose(env.gcr_flux_cm2_s, gcr_flux_cm2_s(lat, lon, 700e3, "max"),
                               rtol=0.03)


# --- kinds for the engine --------------------------------------------------------------------

def test_only_events_that_reach_a_job_go_to_the_engine():
    # sdc and uecc roll the job back; the device's and the host's functional interrupts take
    # the compute down (and so roll its job back); raw bit flips never reach it
    rec = np.zeros(6, RECORD_DTYPE)
    rec["kind"] = ["sdc", "uecc", "sefi", "bit_flip", "host_cpu", "host_ram"]
    rec["time_s"] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    out = to_engine_events(rec)
    assert out.dtype == EVENT_DTYPE
    assert out["kind"].tolist() == ["seu", "seu", "sefi", "sefi", "sefi"]
    assert out["time_s"].tolist() == [1.0, 2.0, 3.0, 5.0, 6.0]
    assert set(ENGINE_KIND.values()) == {"seu", "sefi"}


def test_event_rate_is_cross_section_times_flux_times_count():
    assert event_rate_per_s(100.0, 1e-5, 8) == pytest.approx(8e-3)


def _rates(n_t=500, n_s=20, value=2e-3):
    return {"sdc": np.full((n_t, n_s), value), "sefi": np.full((n_t, n_s), value / 10)}


def _draw(rates, seed=42, t0=0.0, dt=10.0, first_step=0, first_sat=0):
    n_t, n_s = next(iter(rates.values())).shape
    steps = first_step + np.arange(n_t)
    return draw_events(t0 + steps * dt, dt, rates, seed, steps, first_sat + np.arange(n_s))


def test_events_are_deterministic_for_a_seed():
    a, b, c = _draw(_rates()), _draw(_rates()), _draw(_rates(), seed=43)
    assert a.dtype == EVENT_DTYPE and a.size > 100
    np.testing.assert_array_equal(a, b)
    assert a.size != c.size or not np.array_equal(a, c)


def test_events_do_not_depend_on_how_steps_and_satellites_are_cut():
    # the known bug: draws streamed over a block's satellites gave a split run other events;
    # keyed by (seed, kind, step, satellite) the pieces of a 500 x 20 array give the whole's
    rates = _rates(value=5e-3)
    whole = _draw(rates)
    pieces = []
    for rows in (slice(0, 137), slice(137, 500)):
        for cols in (slice(0, 7), slice(7, 8), slice(8, 20)):
            part = _draw({k: v[rows, cols] for k, v in rates.items()},
                         first_step=rows.start, first_sat=cols.start)
            part["satellite"] += cols.start
            pieces.append(part)
    merged = np.concatenate(pieces)
    merged = merged[np.lexsort((merged["kind"], merged["satellite"], merged["time_s"]))]
    np.testing.assert_array_equal(merged, whole)
    # a kind's draws do not depend on the other kinds drawn with it
    alone = _draw({"sefi": rates["sefi"]})
    np.testing.assert_array_equal(alone, whole[whole["kind"] == "sefi"])


def test_event_counts_match_poisson_mean_and_fall_inside_their_steps():
    n_t, n_s, rate, dt = 500, 20, 2e-3, 10.0
    events = _draw(_rates(n_t, n_s, rate), seed=7, t0=1000.0, dt=dt)
    expected = rate * dt * n_t * n_s  # 200 SDCs; Poisson sd = sqrt(200) = 14
    n_sdc = np.count_nonzero(events["kind"] == "sdc")
    assert abs(n_sdc - expected) < 5 * np.sqrt(expected)
    n_sefi = np.count_nonzero(events["kind"] == "sefi")
    assert abs(n_sefi - expected / 10) < 5 * np.sqrt(expected / 10)
    assert np.all(np.diff(events["time_s"]) >= 0)
    assert events["time_s"].min() >= 1000.0 and events["time_s"].max() < 1000.0 + n_t * dt
    assert events["satellite"].min() >= 0 and events["satellite"].max() < n_s
    # within its step: the event's step start <= time < step start + dt
    frac = (events["time_s"] - 1000.0) / dt % 1.0
    assert 0.3 < frac.mean() < 0.7


@pytest.mark.parametrize("mean", [0.05, 3.0, 40.0])
def test_counts_are_poisson_at_small_and_large_means(mean):
    # Poisson: variance = mean; a mean of 40 is drawn as pieces (the inversion's exp(-mean))
    n = 20_000
    events = _draw({"sdc": np.full((n, 1), mean / 10.0)}, seed=3)
    counts = np.bincount((events["time_s"] // 10.0).astype(int), minlength=n)
    assert counts.mean() == pytest.approx(mean, rel=5 / np.sqrt(mean * n))
    assert counts.var() == pytest.approx(mean, rel=5 * np.sqrt((mean + 2 * mean**2) / n) / mean)


def test_no_rate_no_events():
    events = _draw({"sdc": np.zeros((10, 3))})
    assert events.size == 0 and events.dtype == EVENT_DTYPE
    assert draw_events(np.arange(10.0), 1.0, {}, 0, np.arange(10), np.arange(3)).size == 0


# --- a run's events: the same however it is blocked ----------------------------------------------

GPUS = {
    "name": "events", "epoch": "2026-06-01T00:00:00Z", "duration": "3h", "step": "60s", "seed": 11,
    "constellations": [{"name": "gpus", "satellite": {"bus": "starcloud-1"},
                        "walker": {"satellites": 6, "planes": 2, "altitude_km": 900,
                                   "inclination_deg": 60}}],
    # every kind raised far above the catalogue's so that 18 satellite-hours draw some of each
    "catalog": {"accelerators": {"h100": {
        "sdc_cross_section_cm2": 5e-4, "uecc_cross_section_cm2": 2e-4,
        "sefi_cross_section_cm2": 5e-5, "host_cpu_cross_section_cm2": 5e-5,
        "host_ram_cross_section_cm2": 5e-5}}},
}  # fmt: skip


def test_radiation_events_do_not_depend_on_block_or_chunk_sizes(tmp_path, monkeypatch):
    from orbitgrid import pipeline
    from orbitgrid.scenario import validate_scenario
    from orbitgrid.simulation import simulate

    sc = validate_scenario(GPUS)
    runs = []
    for block, chunk in ((1_000_000, 2_000_000), (6 * 7, 6 * 11), (6, 6 * 3)):
        monkeypatch.setattr(pipeline, "SAMPLE_BLOCK", block)  # 7 steps a block, then 1
        monkeypatch.setattr(pipeline, "CHUNK_SAT_KNOTS", chunk)  # 11 knots a chunk, then 3
        runs.append(simulate(sc, out=tmp_path / f"b{block}"))
    tables = [run.table("radiation") for run in runs]
    assert tables[1].equals(tables[0]) and tables[2].equals(tables[0])
    # each kind's count against the summary's expected rate (6 satellites, 3 h): Poisson, 5 sd
    errors = tables[0]["error"].to_pylist()
    figures = runs[0].summary["physics"]["constellations"][0]
    for kinds, per_day in ((("sdc",), "sdc_per_day"), (("uecc",), "uecc_per_day"),
                           (("sefi",), "sefi_per_day"), (("host_cpu", "host_ram"),
                                                         "host_sefi_per_day")):
        expected = figures[per_day] * 6 * 3 / 24
        n = sum(errors.count(k) for k in kinds)
        assert expected > 20 and abs(n - expected) < 5 * np.sqrt(expected), (kinds, n, expected)


def test_a_gone_satellite_sees_no_particles_and_breaks_nothing():
    # A satellite gone after its SGP4 error has NaN positions; a 7-day run of starlink-gen2
    # died on one (ZeroDivisionError in the compiled interpolation) before this was handled.
    from orbitgrid.physics.radiation import ProtonCurve, environment_ecef, environment_grid

    grid = environment_grid("min", 10.0, ProtonCurve())
    here = np.array([[6_928_137.0, 0.0, 0.0]])  # 550 km over the equator at 0 deg E
    r = np.array([here[0], [np.nan] * 3, here[0]])
    env = environment_ecef(r, grid)
    alone = environment_ecef(here, grid)
    for field in ("proton_flux_cm2_s", "device_proton_flux_cm2_s", "dose_rate_gy_s",
                  "gcr_flux_cm2_s"):
        values = getattr(env, field)
        assert values[1] == 0.0, field
        assert values[0] == values[2] == getattr(alone, field)[0], field
