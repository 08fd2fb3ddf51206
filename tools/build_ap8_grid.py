"""Build src/orbitgrid/data/ae8ap8_grid.npz: NASA AP8/AE8 integral fluxes on a geodetic grid.

The trapped-radiation model of orbitgrid.physics.radiation interpolates this table instead of
calling IRBEM per step (IRBEM's field-line tracing costs ~0.3 ms a point). Evaluated once with the
`aep8` package (IRBEM's AE8/AP8, PyPI), for solar minimum and maximum:
  log10 of the omnidirectional integral flux, cm-2 s-1, of protons above PROTON_MEV and electrons
  above ELECTRON_MEV, on WGS84 latitude x longitude x altitude (LAT_DEG, LON_DEG, ALT_KM), in
  thousandths (int16 millidex: 0.23 % steps); no flux is stored as NO_FLUX. AP8/AE8 use fixed
  field epochs, so the table has no time axis.
Run: python tools/build_ap8_grid.py   (about three minutes on one core)
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

LAT_DEG = np.arange(-90.0, 90.0 + 1e-9, 3.0)
LON_DEG = np.arange(-180.0, 180.0, 5.0)
ALT_KM = np.concatenate([np.arange(150.0, 2000.0 + 1e-9, 50.0),
                         np.arange(2250.0, 6000.0 + 1e-9, 250.0)])
PROTON_MEV = np.array([10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 70.0, 100.0, 150.0, 200.0, 300.0, 400.0])
ELECTRON_MEV = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
NO_FLUX = -9.0
OUT = Path(__file__).resolve().parents[1] / "src" / "orbitgrid" / "data" / "ae8ap8_grid.npz"


def log_flux(model, L, B, energies_mev) -> np.ndarray:
    """(energy, lat, lon, alt) log10 integral flux, NO_FLUX where the model has none."""
    from astropy import units as u

    with np.errstate(invalid="ignore", divide="ignore"):
        f = model.integral_flux_for_geomagnetic_coordinates(
            L[None], B[None], energies_mev[:, None, None, None] * u.MeV).value
        out = np.where(np.isfinite(f) & (f > 0), np.log10(np.where(f > 0, f, 1.0)), NO_FLUX)
    return quantise(np.maximum(out, NO_FLUX).astype(np.float32))


def quantise(log_flux: np.ndarray) -> np.ndarray:
    """log10 values as int16 thousandths."""
    return np.rint(log_flux.astype(np.float64) * 1000.0).astype(np.int16)


def main() -> int:
    import aep8
    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    lat, lon, alt = np.meshgrid(LAT_DEG, LON_DEG, ALT_KM, indexing="ij")
    loc = EarthLocation.from_geodetic(lon * u.deg, lat * u.deg, alt * u.km)
    when = Time("2000-01-01T00:00:00", scale="utc")  # unused by AP8/AE8's fixed field epochs
    tables = {}
    for solar in ("min", "max"):
        for particle, energies in (("p", PROTON_MEV), ("e", ELECTRON_MEV)):
            t0 = time.time()
            m = aep8.model(particle, solar)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                L, B = m.geomagnetic_coordinates(loc, when)
            tables[f"{particle}_{solar}"] = log_flux(m, np.asarray(L), np.asarray(B), energies)
            print(f"{particle} {solar}: {time.time() - t0:.0f} s", file=sys.stderr)
    np.savez_compressed(OUT, lat_deg=LAT_DEG, lon_deg=LON_DEG, alt_km=ALT_KM,
                        proton_mev=PROTON_MEV, electron_mev=ELECTRON_MEV,
                        aep8_version=np.array(aep8.__version__), **tables)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
