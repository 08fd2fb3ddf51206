"""The reference cases of `orbitgrid verify`: orbitgrid's figure against a published or
independent one. Published figures are literals here, next to their sources (REFERENCES.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = ["CASES", "HYPATIA_SCENARIO", "Case", "Check", "MissingPackage", "check",
           "hypatia_kuiper_run", "hypatia_rtt_series", "kuiper_tles"]


class MissingPackage(Exception):
    """A case's reference needs an optional package that is not installed (args[0]: its name)."""


@dataclass(frozen=True)
class Check:
    """One figure of a case: orbitgrid's, the reference's, the tolerance and the verdict
    (None: skipped). plot: optional {"title", "x", "y_label", "series": {name: [y...]}}."""

    case: str
    quantity: str
    model: float | None
    reference: float | None
    tolerance: str
    source: str
    passed: bool | None
    unit: str = ""
    note: str = ""
    seconds: float = 0.0
    plot: dict | None = field(default=None, compare=False)

    def with_case(self, case: str, seconds: float) -> Check:
        return replace(self, case=case, seconds=round(seconds, 3))


def check(quantity: str, model: float, reference: float, source: str, *, rel: float | None = None,
          abs_: float | None = None, below: bool = False, unit: str = "", note: str = "",
          plot: dict | None = None) -> Check:
    """A Check: |model - reference| within rel (fraction) or abs_; below: model <= reference."""
    model, reference = float(model), float(reference)
    if below:
        ok, tol = model <= reference, f"<= {reference:g} {unit}".strip()
    elif rel is not None:
        ok, tol = abs(model - reference) <= rel * abs(reference), f"{rel:.3g} relative"
    else:
        ok, tol = abs(model - reference) <= abs_, f"{abs_:g} {unit}".strip()
    return Check("", quantity, model, reference, tol, source, bool(ok and np.isfinite(model)),
                 unit, note, plot=plot)


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    run: Callable[[], list[Check]]


def _need(package: str):
    try:
        return __import__(package)
    except ImportError:
        raise MissingPackage(package) from None


def _sky():
    _need("skyfield")
    skyfield_data = _need("skyfield_data")
    import warnings

    from skyfield.api import Loader

    load = Loader(skyfield_data.get_skyfield_data_path())
    with warnings.catch_warnings():  # offline Earth-orientation tables past their date: UT1 only
        warnings.filterwarnings("ignore", message="The file finals2000A.all has expired")
        return load.timescale(), load("de421.bsp")


def _starlink_sample(n: int = 20) -> list[tuple[str, str, str]]:
    from importlib import resources

    text = (resources.files("orbitgrid") / "data" / "starlink-2026-05-12.tle").read_text()
    lines = text.splitlines()
    sets = [(lines[k].strip(), lines[k + 1], lines[k + 2]) for k in range(0, len(lines) - 2, 3)]
    return sets[::517][:n]


# --- orbits against skyfield -------------------------------------------------------------------

SKYFIELD = "skyfield 1.x (Rhodes), its own TEME->ITRS chain, WGS84 and JPL DE421 (skyfield-data)"


def sgp4_skyfield() -> list[Check]:
    """20 real Starlink TLEs, a day at 10 min: TEME positions and WGS84 altitude vs skyfield."""
    ts, _ = _sky()
    from sgp4.api import Satrec
    from skyfield.api import EarthSatellite, wgs84

    from orbitgrid.orbits.frames import ecef_to_geodetic, teme_to_ecef
    from orbitgrid.orbits.propagators import SGP4Propagator
    from orbitgrid.orbits.timescale import gmst_rad, julian_date

    sample = _starlink_sample()
    epoch = np.datetime64("2026-05-13T00:00:00", "ns")
    t_s = np.arange(0.0, 86400.0 + 1, 600.0)
    states = SGP4Propagator([Satrec.twoline2rv(a, b) for _, a, b in sample]).propagate(epoch, t_s)
    t = ts.utc(2026, 5, 13, 0, 0, t_s)
    _, _, alt = ecef_to_geodetic(teme_to_ecef(states.r, gmst_rad(*julian_date(epoch, t_s))))
    dr, dalt = 0.0, 0.0
    for k, (name, a, b) in enumerate(sample):
        sat = EarthSatellite(a, b, name, ts)
        r_km, _, _ = sat._position_and_velocity_TEME_km(t)
        dr = max(dr, float(np.linalg.norm(states.r[:, k] - r_km.T * 1e3, axis=-1).max()))
        geo = wgs84.geographic_position_of(sat.at(t))
        dalt = max(dalt, float(np.abs(alt[:, k] - geo.elevation.m).max()))
    return [
        check("TEME position, worst of 20 TLEs x 1 day", dr, 1.0, SKYFIELD, below=True, unit="m"),
        check("WGS84 altitude, worst", dalt, 1.0, SKYFIELD, below=True, unit="m"),
    ]


def sun_direction() -> list[Check]:
    """orbitgrid's Sun (Astronomical Almanac formula) vs DE421's apparent Sun, 2026, 6-hourly."""
    ts, eph = _sky()
    from skyfield.sgp4lib import TEME

    from orbitgrid.orbits.sun import sun_position_m
    from orbitgrid.orbits.timescale import days_since_j2000

    t_s = np.arange(0.0, 365 * 86400.0, 6 * 3600.0)
    t = ts.utc(2026, 1, 1, 0, 0, t_s)
    theirs = eph["earth"].at(t).observe(eph["sun"]).apparent().frame_xyz(TEME).m.T
    ours = sun_position_m(days_since_j2000(np.datetime64("2026-01-01T00:00:00", "ns"), t_s))
    cos = np.einsum("ij,ij->i", ours, theirs) / (
        np.linalg.norm(ours, axis=-1) * np.linalg.norm(theirs, axis=-1))
    angle = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    ratio = np.linalg.norm(ours, axis=-1) / np.linalg.norm(theirs, axis=-1)
    return [
        check("Sun direction, worst over 2026", angle.max(), 0.01, SKYFIELD, below=True,
              unit="deg", plot={"title": "Sun direction error", "x": (t_s / 86400).tolist(),
                                "x_label": "day of 2026", "series": {"deg": angle.tolist()}}),
        check("Sun distance ratio - 1, worst", np.abs(ratio - 1).max(), 2e-4, SKYFIELD,
              below=True),
    ]


def eclipse_edges() -> list[Check]:
    """Umbra of one real Starlink TLE over 6 h: skyfield's is_sunlit must agree at every minute
    outside 1 minute of orbitgrid's shadow edges (penumbra lasts ~10 s)."""
    ts, eph = _sky()
    from sgp4.api import Satrec
    from skyfield.api import EarthSatellite

    from orbitgrid.orbits.propagators import SGP4Propagator
    from orbitgrid.orbits.sun import illumination_fraction, shadow_geometry, sun_position_m
    from orbitgrid.orbits.timescale import days_since_j2000

    name, a, b = _starlink_sample(1)[0]
    epoch = np.datetime64("2026-05-13T00:00:00", "ns")
    t_s = np.arange(0.0, 6 * 3600.0, 10.0)
    r = SGP4Propagator([Satrec.twoline2rv(a, b)]).propagate(epoch, t_s).r[:, 0]
    sun = sun_position_m(days_since_j2000(epoch, t_s))
    lit_ours = illumination_fraction(*shadow_geometry(r, sun))
    edges = t_s[np.flatnonzero(np.diff(lit_ours > 0.5)) + 1]
    sat = EarthSatellite(a, b, name, ts)
    lit_sky = sat.at(ts.utc(2026, 5, 13, 0, 0, t_s)).is_sunlit(eph)
    far = np.all(np.abs(t_s[:, None] - edges[None, :]) > 60.0, axis=1) if edges.size else True
    disagree = int(np.count_nonzero((lit_ours > 0.5)[far] != lit_sky[far]))
    sky_edges = t_s[np.flatnonzero(np.diff(lit_sky.astype(int))) + 1]
    worst = (max(float(np.min(np.abs(sky_edges - e))) for e in edges)
             if edges.size and sky_edges.size else float("inf"))
    return [
        check("shadow edges seen (6 h)", float(edges.size), float(sky_edges.size), SKYFIELD,
              abs_=0.0),
        check("edge time vs skyfield is_sunlit, worst", worst, 20.0, SKYFIELD, below=True,
              unit="s", note="10 s sampling"),
        check("minutes in disagreement away from edges", disagree, 0.0, SKYFIELD, below=True),
    ]


def contact_edges() -> list[Check]:
    """Contact starts and ends of 5 real Starlink TLEs over 2 stations, 6 h at 60 s, from
    orbitgrid's own run (contacts.parquet) against skyfield's find_events rise and set."""
    import tempfile

    import pyarrow as pa

    ts, _ = _sky()
    from skyfield.api import EarthSatellite, wgs84

    from orbitgrid.scenario import load_scenario
    from orbitgrid.simulation import simulate

    stations = {"Svalbard": (78.23, 15.41, 500.0, 10.0), "Santiago": (-33.45, -70.67, 570.0, 5.0)}
    sample = _starlink_sample()[:5]
    duration = 6 * 3600.0
    with tempfile.TemporaryDirectory(prefix="orbitgrid-verify-") as tmp:
        folder = Path(tmp)
        (folder / "s.tle").write_text("".join(f"{n}\n{a}\n{b}\n" for n, a, b in sample))
        rows = "".join(f"  - {{name: {k}, lat_deg: {la}, lon_deg: {lo}, alt_m: {h}, "
                       f"min_elevation_deg: {m}}}\n" for k, (la, lo, h, m) in stations.items())
        (folder / "c.yaml").write_text(
            "name: contacts\nepoch: 2026-05-13T00:00:00Z\nduration: 6h\nstep: 60s\n"
            "constellations:\n  - {name: starlink, tle_file: s.tle}\n"
            f"ground_stations:\n{rows}")
        table = simulate(load_scenario(folder / "c.yaml"), out=folder / "run").table("contacts")
        epoch_ms = 1_778_630_400_000  # 2026-05-13T00:00:00Z
        con = {c: table[c].to_pylist() for c in ("satellite", "station")}
        for c in ("start", "end"):
            ms = table[f"{c}_time"].cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64())
            con[c] = (ms.to_numpy() - epoch_ms) / 1e3
    t0, t1 = ts.utc(2026, 5, 13, 0, 0, 0.0), ts.utc(2026, 5, 13, 0, 0, duration)
    worst, ours_n, theirs_n = 0.0, 0, 0
    for name, a, b in sample:
        sat = EarthSatellite(a, b, name, ts)
        for station, (lat, lon, alt, mask) in stations.items():
            t, kind = sat.find_events(wgs84.latlon(lat, lon, elevation_m=alt), t0, t1,
                                      altitude_degrees=mask)
            at = (t.tt - t0.tt) * 86400.0
            theirs = np.sort(at[kind != 1])
            m = [(s == name and g == station) for s, g in zip(con["satellite"], con["station"],
                                                              strict=True)]
            ours = np.sort(np.concatenate([con["start"][m][con["start"][m] > 0.5],
                                           con["end"][m][con["end"][m] < duration - 0.5]]))
            ours_n, theirs_n = ours_n + ours.size, theirs_n + theirs.size
            if ours.size == theirs.size and ours.size:
                worst = max(worst, float(np.abs(ours - theirs).max()))
            elif ours.size != theirs.size:
                worst = float("inf")
    return [
        check("contact edges (5 TLEs, 2 stations, 6 h)", ours_n, theirs_n, SKYFIELD, abs_=0.0),
        check("edge time vs find_events, worst", worst, 1.0, SKYFIELD, below=True, unit="s"),
    ]


# --- orbit closed forms ------------------------------------------------------------------------

def j2_drift() -> list[Check]:
    """orbitgrid's secular J2 propagator against SGP4 (bstar 0) for a circular 550 km, 53 deg
    orbit over a day, SGP4 fed the Kozai mean motion of the same Brouwer mean a."""
    from sgp4 import earth_gravity
    from sgp4.api import WGS84, Satrec

    from orbitgrid.orbits.elements import Elements
    from orbitgrid.orbits.propagators import J2Propagator, SGP4Propagator

    a_km, i, raan, m0 = 6378.137 + 550.0, math.radians(53.0), math.radians(40.0), math.radians(10)
    epoch = np.datetime64("2026-05-13T00:00:00", "ns")
    t_s = np.arange(0.0, 86400.0 + 1, 60.0)
    j2 = J2Propagator(Elements(a_km * 1e3, 0.0, i, raan, 0.0, m0)).propagate(epoch, t_s)
    grav = earth_gravity.wgs84
    n_brouwer = math.sqrt(grav.mu / a_km**3) * 60.0  # rad/min

    def unkozai(nk):  # SGP4's initl (Vallado et al. 2006, AIAA 2006-6753), e = 0
        ak = (grav.xke / nk) ** (2 / 3)
        d1 = 0.75 * grav.j2 * (3 * math.cos(i) ** 2 - 1)
        d = d1 / ak**2
        adel = ak * (1 - d * d - d * (1 / 3 + 134 * d * d / 81))
        return nk / (1 + d1 / adel**2)

    n = n_brouwer
    for _ in range(30):
        n *= n_brouwer / unkozai(n)
    sat = Satrec()
    jd = 2_440_587.5 + epoch.astype(np.int64) / 86400e9
    sat.sgp4init(WGS84, "i", 1, float(jd) - 2_433_281.5, 0.0, 0.0, 0.0, 0.0, 0.0, i, m0, n, raan)
    sg = SGP4Propagator([sat]).propagate(epoch, t_s)
    d = j2.r[:, 0] - sg.r[:, 0]
    vhat = sg.v[:, 0] / np.linalg.norm(sg.v[:, 0], axis=-1, keepdims=True)
    along = np.abs(np.einsum("ij,ij->i", d, vhat)) / 1e3
    return [check("J2 vs SGP4 along-track, worst over a day", along.max(), 15.0,
                  "secular J2 (Vallado, Fundamentals of Astrodynamics 9-41) vs SGP4 (Hoots & "
                  "Roehrich 1980): short-period terms bound the difference", below=True,
                  unit="km", plot={"title": "J2 - SGP4 along-track", "x": (t_s / 3600).tolist(),
                                   "x_label": "h", "series": {"km": along.tolist()}})]


def eclipse_closed_forms() -> list[Check]:
    """The shadow code at beta = 0 and the dawn-dusk 650 km eclipse season vs the cylinder."""
    from orbitgrid.constants import AU_M, EARTH_RADIUS_M, MU_EARTH_M3_S2
    from orbitgrid.orbits.sun import illumination_fraction, shadow_geometry

    r_m = EARTH_RADIUS_M + 550e3
    period = 2 * math.pi * math.sqrt(r_m**3 / MU_EARTH_M3_S2)
    u = (np.arange(7200) + 0.5) / 7200 * 2 * math.pi
    r = r_m * np.stack([np.cos(u), np.sin(u), np.zeros_like(u)], -1)
    lit = illumination_fraction(*shadow_geometry(r, np.array([AU_M, 0.0, 0.0])))
    umbra_min = float(np.mean(lit == 0)) * period / 60
    source = "cylindrical shadow (Vallado 5.3; Wertz, SMAD eq. 8-3): (P/pi) acos(sqrt(r2-R2)/r)"
    closed = math.acos(math.sqrt(r_m**2 - EARTH_RADIUS_M**2) / r_m) / math.pi * period / 60
    out = [check("umbra at beta 0, 550 km", umbra_min, closed, source, abs_=0.2, unit="min")]
    from orbitgrid.sizing import orbit_environment

    env = orbit_environment("dawn-dusk:650km")
    r_m = EARTH_RADIUS_M + 650e3
    i = math.acos(-((r_m / 12352e3) ** 3.5))  # sun-synchronous inclination, Vallado 9-43
    beta = math.radians(90 - 23.44) - (i - math.pi / 2)
    p650 = 2 * math.pi * math.sqrt(r_m**3 / MU_EARTH_M3_S2)
    season = math.acos(math.sqrt(r_m**2 - EARTH_RADIUS_M**2) / (r_m * math.cos(beta))) / math.pi
    out.append(check("longest dawn-dusk 650 km eclipse (a year)", env.longest_eclipse_s / 60,
                     season * p650 / 60, source + ", beta_min = 90 - 23.44 - (i - 90)",
                     abs_=1.0, unit="min"))
    return out


# --- network -----------------------------------------------------------------------------------

HYPATIA = ("Hypatia (Kassing et al., IMC 2020), satgenpy/tests/data_to_match/"
           "kuiper_630_networkx_rtt_1173_to_1241.txt")
HYPATIA_RTT_MS = {0.0: 29.423137758228544, 18.0: 25.34649250363251, 27.5: 25.229775250687573,
                  27.6: 41.14250355898298, 50.0: 41.18579865504387, 150.0: 42.234037942544386,
                  180.0: 41.52717233883765}


def hypatia_kuiper_rtt() -> list[Check]:
    """Kuiper K1 (34 x 34, 630 km, 51.9 deg), Manila to Dalian, 200 s at 100 ms, ISLs only."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="orbitgrid-verify-") as tmp:
        t, rtt = hypatia_rtt_series(hypatia_kuiper_run(Path(tmp)))
    worst = max(abs(rtt[np.argmin(np.abs(t - w))] - v) for w, v in HYPATIA_RTT_MS.items())
    plot = {"title": "Manila-Dalian RTT", "x": t[::5].tolist(), "x_label": "s",
            "series": {"orbitgrid (ms)": rtt[::5].tolist()},
            "points": {"Hypatia (ms)": [list(HYPATIA_RTT_MS), list(HYPATIA_RTT_MS.values())]}}
    return [
        check("RTT at Hypatia's times, worst difference", worst * 1e3, 2.0, HYPATIA, below=True,
              unit="us", plot=plot),
        check("min RTT", rtt.min(), 25.229775250687573, HYPATIA, abs_=2e-3, unit="ms"),
        check("max RTT", rtt.max(), 48.165140010532916, HYPATIA, abs_=2e-3, unit="ms"),
    ]


def hypatia_kuiper_run(folder: Path):
    """Hypatia's Kuiper K1 end-to-end case (HYPATIA_SCENARIO over kuiper_tles()) written and run
    in folder: the Run (its run folder is folder/run)."""
    from orbitgrid.scenario import load_scenario
    from orbitgrid.simulation import simulate

    (folder / "kuiper.tle").write_text(kuiper_tles())
    (folder / "h.yaml").write_text(HYPATIA_SCENARIO)
    return simulate(load_scenario(folder / "h.yaml"), out=folder / "run")


def hypatia_rtt_series(run) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from 2000-01-01T00:00:00Z and RTT ms of the run's one route, in table order."""
    table = run.table("routes")
    t = (table["time"].cast("int64").to_numpy() - 946_684_800_000) / 1e3
    return t, table["rtt_ms"].to_numpy(zero_copy_only=False)


def _checksum(line: str) -> int:
    return sum(int(c) if c.isdigit() else c == "-" for c in line[:68]) % 10


def kuiper_tles(planes: int = 34, per_plane: int = 34) -> str:
    """Hypatia's generate_tles_from_scratch_manual for Kuiper K1 (odd planes shifted by half a
    slot), satellite k named "Kuiper-630 k"."""
    lines = []
    for p in range(planes):
        shift = 360 / (2 * per_plane) if p % 2 else 0.0
        for s in range(per_plane):
            k = p * per_plane + s
            l1 = f"1 {k + 1:05d}U 00000ABC 00001.00000000  .00000000  00000-0  00000+0 0    0"
            l2 = (f"2 {k + 1:05d}  51.9000 {p * 360 / planes:8.4f} 0000001   0.0000 "
                  f"{shift + s * 360 / per_plane:8.4f} 14.80000000    0")
            lines += [f"Kuiper-630 {k}", l1 + str(_checksum(l1)), l2 + str(_checksum(l2))]
    return "\n".join(lines) + "\n"


# Hypatia's set-up: plus-grid ISLs up to 2 sqrt((R + 630 km)^2 - (R + 80 km)^2), ground links
# within 630 km / sin 30 deg, stations that do not relay (tests/network/test_hypatia_kuiper.py)
HYPATIA_SCENARIO = """\
name: hypatia-kuiper
epoch: 2000-01-01T00:00:00Z
duration: 200s
step: 0.1s
constellations:
  - name: kuiper
    tle_file: kuiper.tle
    isl: {topology: plus-grid, planes: 34, per_plane: 34, max_range_km: 5442.958}
ground_stations:
  - {name: Manila, lat_deg: 14.6042, lon_deg: 120.9822, min_elevation_deg: 0, max_range_km: 1260}
  - {name: Dalian, lat_deg: 38.913811, lon_deg: 121.602322, min_elevation_deg: 0,
     max_range_km: 1260}
routes:
  - {from: Manila, to: Dalian}
"""


# --- radiation ---------------------------------------------------------------------------------

AP8 = ("NASA AP8/AE8 (Sawyer & Vette 1976; Vette 1991) via IRBEM, evaluated directly with the "
       "aep8 package")
# (particle, label, lat deg, lon deg, alt km): protons >10 MeV across the SAA and up to 1,400 km,
# electrons >1 MeV in the northern horn
AP8_POINTS = [
    ("p", "SAA centre 500 km", -27.0, -48.0, 500.0), ("p", "SAA 800 km", -25.0, -40.0, 800.0),
    ("p", "SAA 1,200 km", -20.0, -40.0, 1200.0), ("p", "SAA east 550 km", -35.0, -20.0, 550.0),
    ("p", "SAA 1,400 km", -20.0, -60.0, 1400.0), ("p", "equator 1,400 km", 5.0, -40.0, 1400.0),
    ("e", "horn 550 km", 50.0, -80.0, 550.0),
]
AP8_ORBITS = [(550.0, 53.0), (650.0, 97.9), (1200.0, 87.9)]


def _ap8_direct(particle, solar, lat_deg, lon_deg, alt_km, energy_mev):
    aep8 = _need("aep8")
    import warnings

    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    loc = EarthLocation.from_geodetic(np.asarray(lon_deg) * u.deg, np.asarray(lat_deg) * u.deg,
                                      np.asarray(alt_km) * u.km)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(invalid="ignore"):
            f = aep8.model(particle, solar).integral_flux(
                loc, Time("2000-01-01T00:00:00"), energy_mev * u.MeV).value
    return np.nan_to_num(f, nan=0.0)


def ap8_points() -> list[Check]:
    """orbitgrid's interpolated table (protons >10 MeV) vs AP8-MIN evaluated at the point."""
    from orbitgrid.physics.radiation import environment, environment_grid

    grid = environment_grid("min")
    out = []
    for particle, label, lat, lon, alt in AP8_POINTS:
        energy = 10.0 if particle == "p" else 1.0
        ref = float(_ap8_direct(particle, "min", lat, lon, alt, energy))
        env = environment(np.radians([lat]), np.radians([lon]), [alt * 1e3], grid)
        model = (env.proton_flux_cm2_s if particle == "p" else env.electron_flux_cm2_s)[0]
        name = "p >10 MeV" if particle == "p" else "e >1 MeV"
        out.append(check(f"{name}, {label}", model, ref, AP8, rel=0.25, unit="/cm2/s"))
    return out


def suncatcher_dose() -> list[Check]:
    """Dose behind 10 mm Al on a 650 km dawn-dusk orbit over 2 days (AP8-MIN, AE8-MIN, GCR, the
    slab dose-depth relation of physics/radiation.py) vs Suncatcher's ~150 rad(Si)/year."""
    from orbitgrid.physics.radiation import SECONDS_PER_YEAR, environment, environment_grid

    lat, lon, h = _circular_track(650.0, 97.99, days=2.0, step_s=60.0)
    dose = environment(lat, lon, h, environment_grid("min")).dose_rate_gy_s.mean()
    return [check("dose behind 10 mm Al, 650 km dawn-dusk", dose * 100 * SECONDS_PER_YEAR, 150.0,
                  "Suncatcher, arXiv 2511.19468 s2.3; blog: 750 rad(Si) over 5 years", rel=0.3,
                  unit="rad/yr", note="not calibrated on it")]


def ap8_orbit_averages() -> list[Check]:
    """Orbit-averaged device flux (protons reaching a device behind 10 mm Al with >20 MeV)
    along propagated circular orbits vs AP8 evaluated directly at the same positions."""
    from orbitgrid.physics.radiation import (
        ProtonCurve,
        environment,
        environment_grid,
        proton_energy_outside_mev,
    )

    grid = environment_grid("min", 10.0, ProtonCurve(20.0))
    e_out = proton_energy_outside_mev(20.0, 10.0)
    out = []
    for alt, inc in AP8_ORBITS:
        lat, lon, h = _circular_track(alt, inc, days=1.0, step_s=60.0)
        model = environment(lat, lon, h, grid).device_proton_flux_cm2_s
        ref = _ap8_direct("p", "min", np.degrees(lat), np.degrees(lon), h / 1e3, e_out)
        n = 360  # the first 6 hours, every minute
        plot = {"title": f"p >{e_out:.0f} MeV along {alt:.0f} km {inc:g} deg (/cm2/s)",
                "x": (np.arange(n) / 60).tolist(), "x_label": "h",
                "series": {"orbitgrid": model[:n].tolist(), "AP8 direct": ref[:n].tolist()}}
        out.append(check(f"orbit mean p >{e_out:.0f} MeV, {alt:.0f} km {inc:g} deg",
                         model.mean(), ref.mean(), AP8, rel=0.2, unit="/cm2/s", plot=plot))
    return out


def _circular_track(alt_km, inc_deg, days, step_s):
    """WGS84 lat, lon (rad) and height (m) of a propagated circular orbit (orbitgrid's J2)."""
    from orbitgrid.fleet import build_fleet
    from orbitgrid.orbits.samples import Samples
    from orbitgrid.scenario import validate_scenario

    sc = validate_scenario({
        "name": "track", "epoch": "2026-01-01T00:00:00Z", "duration": f"{days}d",
        "step": f"{step_s}s", "constellations": [{"name": "o", "walker": {
            "satellites": 1, "planes": 1, "altitude_km": alt_km, "inclination_deg": inc_deg}}]})
    t_s = np.arange(0.0, days * 86400.0, step_s)
    r = build_fleet(sc).propagate(sc.epoch64, t_s).r
    lat, lon, h = Samples(sc.epoch64, t_s, r, None).geodetic
    return lat[:, 0], lon[:, 0], h[:, 0]


SUNCATCHER = "Suncatcher, arXiv 2511.19468 s2.3/4.3 (Google, 2025; v2 2026)"


def suncatcher_rates() -> list[Check]:
    """The catalogue's Trillium cross-sections at Suncatcher's 150 rad(Si)/year of 67 MeV
    protons: 8.8 SDC, 3.4 UECC, 0.03 chip SEFI per chip-year (the paper); host CPU and RAM
    SEFIs at 1 per 450 and 400 rad(Si) (s2.3/4.3)."""
    from orbitgrid.catalog import load_catalog
    from orbitgrid.physics.radiation import SECONDS_PER_YEAR, fluence_per_rad_cm2

    tpu = load_catalog().accelerators["tpu-v6e"]
    flux = 150.0 * fluence_per_rad_cm2(67.0) / SECONDS_PER_YEAR
    year = SECONDS_PER_YEAR
    return [
        check("SDC per chip-year", tpu.sdc_cross_section_cm2 * flux * year, 8.8, SUNCATCHER,
              rel=0.03),
        check("UECC per chip-year", tpu.uecc_cross_section_cm2 * flux * year, 3.4, SUNCATCHER,
              rel=0.03),
        check("chip SEFI per chip-year", tpu.sefi_cross_section_cm2 * flux * year, 0.03,
              SUNCATCHER, rel=0.03),
        check("host CPU SEFI per chip-year", tpu.host_cpu_cross_section_cm2 * flux * year,
              150 / 450, SUNCATCHER, rel=0.03),
        check("host RAM SEFI per chip-year", tpu.host_ram_cross_section_cm2 * flux * year,
              150 / 400, SUNCATCHER, rel=0.03),
    ]


# --- power, heat, economics, operations --------------------------------------------------------

STARCLOUD = "Starcloud white paper v1.03 (Sep 2024), p. 9"


def starcloud_radiator() -> list[Check]:
    """Two-sided radiator at 20 C, emissivity 0.92; absorbed: S 1366 x alpha 0.09 (sun), and
    alpha 0.09 x F 0.25 x (albedo 0.30 x S + sigma T_earth^4, -20 C), the paper's inputs."""
    from orbitgrid.physics.power import generated_power_w, solar_flux_w_m2
    from orbitgrid.physics.thermal import rejected_power_w

    sigma = 5.67e-8  # as printed in the paper
    emitted = rejected_power_w(293.15, 1.0, 2, 0.92, sink_k=0.0)
    absorbed = 1366 * 0.09 + 0.09 * 0.25 * (0.30 * 1366 + sigma * 253.15**4)
    one = np.ones((1, 1))
    side_km = math.sqrt(5e9 / generated_power_w(solar_flux_w_m2([1.0]), one, one, 1.0, 0.22,
                                                 1.0)[0, 0]) / 1e3
    return [
        check("radiator emitted, 20 C two-sided", emitted, 770.48, STARCLOUD, rel=5e-3,
              unit="W/m2"),
        check("radiator net", emitted - absorbed, 633.08, STARCLOUD, rel=5e-3, unit="W/m2"),
        check("5 GW array side at 22 % cells", side_km, 4.0, STARCLOUD + " (4 km x 4 km)",
              rel=0.03, unit="km"),
    ]


def suncatcher_launch_price() -> list[Check]:
    """Launched-power price (kg/kW x $/kg / life) of a Starlink V2 mini: 575 kg, 28 kW, 5 y."""
    from orbitgrid.economics import launched_power_price_usd_per_kw_year

    source = "Suncatcher, arXiv 2511.19468 s2.4"
    return [check(f"$/kW/y at ${usd:,}/kg", launched_power_price_usd_per_kw_year(
        575.0, 28e3, 5.0, usd), published, source, rel=0.02, unit="$/kW/y")
        for usd, published in ((3600, 14_700), (200, 810))]


def young_daly() -> list[Check]:
    """orbitgrid's checkpoint interval sqrt(2 C M) against the interval minimising Daly's
    expected wall time T(tau) = M e^(R/M) (e^((tau + C)/M) - 1) W / tau (Daly 2006, eq. 20)."""
    from orbitgrid.ops import young_daly_s

    c, m, restart, work = 60.0, 6 * 3600.0, 60.0, 100 * 3600.0

    def wall(tau):
        return m * math.exp(restart / m) * (math.exp((tau + c) / m) - 1) * work / tau

    taus = np.geomspace(10, 1e5, 20001)
    best = min(wall(x) for x in taus)
    ours = wall(young_daly_s(c, m))
    return [check("expected wall time at Young's interval / Daly's optimum", ours / best, 1.0,
                  "Young 1974; Daly, FGCS 22 (2006) eq. 20", abs_=0.01)]


def makespan() -> list[Check]:
    """The ops engine against closed forms: one job always lit ends at arrival + work/peak;
    n equal jobs on m satellites end at ceil(n/m) x work/peak."""
    from orbitgrid.ops import make_jobs, run_ops
    from orbitgrid.ops.timelines import constant

    peak = 1e15
    one = run_ops(make_jobs(kind="batch", work_flop=1234.5 * peak, arrival=100.0),
                  constant(1, 10_000, 60, peak_flops=peak), "first-fit", None, 0)
    many = run_ops(make_jobs(kind="batch", work_flop=500 * peak, arrival=np.zeros(10)),
                   constant(3, 100_000, 60, peak_flops=peak), "first-fit", None, 0)
    source = "closed forms: work / throughput; ceil(n/m) x work / throughput"
    return [
        check("one job, always lit: end", one.jobs["end"][0], 1334.5, source, rel=1e-9, unit="s"),
        check("10 jobs on 3 satellites: makespan", many.jobs["end"].max(), 2000.0, source,
              rel=1e-9, unit="s"),
    ]


def _cases(source: str, *runs: Callable[[], list[Check]]) -> list[Case]:
    """The cases of one source, each named after its function (hyphens for underscores)."""
    return [Case(run.__name__.replace("_", "-"), source, run) for run in runs]


CASES: list[Case] = [
    *_cases(SKYFIELD, sgp4_skyfield, sun_direction, eclipse_edges, contact_edges),
    *_cases("Vallado 9-41 vs SGP4", j2_drift),
    *_cases("Vallado 5.3; SMAD 8-3", eclipse_closed_forms),
    *_cases(HYPATIA, hypatia_kuiper_rtt),
    *_cases(AP8, ap8_points, ap8_orbit_averages),
    *_cases(SUNCATCHER, suncatcher_dose, suncatcher_rates),
    *_cases(STARCLOUD, starcloud_radiator),
    *_cases("Suncatcher s2.4", suncatcher_launch_price),
    *_cases("Daly 2006", young_daly),
    *_cases("closed forms", makespan),
]
