"""CCSDS Orbit Ephemeris Messages (OEM 2.0, KVN text), one file per satellite.

States are the library's own propagation (SGP4 for element sets, J2 secular for designs), which
works in TEME (true equator, mean equinox of date); the files say so: REF_FRAME = TEME.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np

from orbitgrid.report.tracks import Tracks, run_tracks
from orbitgrid.results import Run


def _stamp(t: np.datetime64) -> str:
    return str(np.datetime64(t, "ms"))


def oem_text(tracks: Tracks, k: int, creation_date: str, originator: str = "orbitgrid") -> str:
    """The OEM of satellite k of tracks (which must hold TEME states)."""
    if tracks.r_eci_m is None or tracks.v_eci_mps is None:
        raise ValueError("OEM needs inertial states: use run_tracks(run, propagate=True)")
    times = tracks.epoch + (tracks.t_s * 1e9).round().astype("timedelta64[ns]")
    r_km = tracks.r_eci_m[:, k] / 1e3
    v_kms = tracks.v_eci_mps[:, k] / 1e3
    ok = np.isfinite(r_km).all(axis=1) & np.isfinite(v_kms).all(axis=1)
    name = tracks.names[k]
    lines = [
        "CCSDS_OEM_VERS = 2.0",
        f"CREATION_DATE = {creation_date}",
        f"ORIGINATOR = {originator}",
        "",
        "META_START",
        f"OBJECT_NAME = {name}",
        f"OBJECT_ID = {name}",
        "CENTER_NAME = EARTH",
        "REF_FRAME = TEME",
        "TIME_SYSTEM = UTC",
        f"START_TIME = {_stamp(times[ok][0])}",
        f"STOP_TIME = {_stamp(times[ok][-1])}",
        "INTERPOLATION = LAGRANGE",
        "INTERPOLATION_DEGREE = 5",
        "META_STOP",
        "",
        "COMMENT Frame TEME (true equator, mean equinox of date), not EME2000: states are",
        "COMMENT orbitgrid's SGP4 (element sets) or J2 secular (designed orbits) propagation.",
        "COMMENT Units: km and km/s. UT1 taken as UTC.",
    ]
    for t, r, v in zip(times[ok], r_km[ok], v_kms[ok], strict=True):
        lines.append(
            f"{_stamp(t)} {r[0]:.6f} {r[1]:.6f} {r[2]:.6f} {v[0]:.9f} {v[1]:.9f} {v[2]:.9f}"
        )
    return "\n".join(lines) + "\n"


def write_oem(
    run: Run,
    directory: str | Path,
    step_s: float | None = None,
    satellites: list[str] | None = None,
) -> list[Path]:
    """Write one OEM file per satellite (all, or those named) at step_s (default the run's)."""
    directory = Path(directory)
    tracks = run_tracks(run, step_s=step_s or run.summary["step_s"], propagate=True)
    wanted = set(satellites) if satellites is not None else None
    if wanted is not None and (missing := wanted - set(tracks.names)):
        raise KeyError(f"no satellite named {', '.join(sorted(missing))} in {run.path}")
    directory.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    paths = []
    for k, name in enumerate(tracks.names):
        if wanted is not None and name not in wanted:
            continue
        if not np.isfinite(tracks.r_eci_m[:, k]).all(axis=1).any():
            continue
        path = directory / f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}.oem"
        path.write_text(oem_text(tracks, k, created))
        paths.append(path)
    return paths


def read_oem(path: str | Path) -> dict:
    """Parse an OEM written here: its header keys and states (times, km, km/s), for checks."""
    keys, times, states = {}, [], []
    for line in Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("COMMENT") or line.strip().endswith("_START"):
            continue
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            keys[key] = value
        elif not line.strip().endswith("_STOP"):
            stamp, *values = line.split()
            times.append(np.datetime64(stamp, "ms"))
            states.append([float(v) for v in values])
    return {"keys": keys, "time": np.array(times), "state": np.array(states)}
