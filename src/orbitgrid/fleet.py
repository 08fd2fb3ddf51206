"""The fleet: every satellite of a scenario, its name and constellation, and its propagator."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sgp4.api import Satrec

from orbitgrid.constants import EARTH_RADIUS_M, MU_EARTH_M3_S2
from orbitgrid.errors import ScenarioError
from orbitgrid.orbits.elements import (
    Elements,
    formation,
    raan_for_ltan,
    sun_synchronous,
    sun_synchronous_inclination,
    walker,
)
from orbitgrid.orbits.elsets import BadElementSet, read_omm, read_tle
from orbitgrid.orbits.propagators import J2Propagator, SGP4Propagator, States
from orbitgrid.orbits.timescale import days_since_j2000
from orbitgrid.scenario import Constellation, Scenario


@dataclass(frozen=True)
class Fleet:
    """Satellites in scenario order; propagators each cover a contiguous block of them."""

    names: list[str]
    constellation: np.ndarray  # index into constellation_names, per satellite
    constellation_names: list[str]
    source: list[str]
    element_epoch: np.ndarray  # datetime64[ns] per satellite
    a_m: np.ndarray
    e: np.ndarray
    i: np.ndarray
    propagators: list  # SGP4Propagator or J2Propagator, in order
    # one line each for the user: element sets skipped as bad, element sets far from the epoch
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    def propagate(self, epoch: np.datetime64, t_s: np.ndarray) -> States:
        """Inertial states (time, satellite, 3) of the whole fleet."""
        parts = [p.propagate(epoch, t_s) for p in self.propagators]
        if len(parts) == 1:
            return parts[0]
        return States(
            *(np.concatenate([getattr(p, f) for p in parts], axis=1) for f in ("r", "v", "error"))
        )

    def subset(self, satellites: slice) -> Fleet:
        """The satellites of one contiguous block, in order; constellation indices unchanged."""
        start, stop, step = satellites.indices(len(self))
        if step != 1:
            raise ValueError("a fleet subset must be a contiguous slice (step 1)")
        stop = max(start, stop)
        props, offset = [], 0
        for p in self.propagators:
            lo, hi = max(start - offset, 0), min(stop - offset, len(p))
            if lo < hi:
                props.append(p.subset(lo, hi))
            offset += len(p)
        block = slice(start, stop)
        return Fleet(
            self.names[block],
            self.constellation[block],
            self.constellation_names,
            self.source[block],
            self.element_epoch[block],
            self.a_m[block],
            self.e[block],
            self.i[block],
            props,
        )

    @cached_property
    def index(self) -> dict[str, int]:
        return {name: k for k, name in enumerate(self.names)}


def build_fleet(scenario: Scenario) -> Fleet:
    """Satellites of every constellation; element-set files go to SGP4, designs to J2."""
    t0_days = float(days_since_j2000(scenario.epoch64, np.zeros(1))[0])
    names, group, source, epochs, a, e, i, props = [], [], [], [], [], [], [], []
    satrecs: list[Satrec] = []
    designed: list[Elements] = []
    skipped: list[BadElementSet] | None = [] if scenario.on_bad_elements == "skip" else None

    def flush():
        # consecutive constellations of one kind share one propagator
        if satrecs:
            props.append(SGP4Propagator(list(satrecs)))
            satrecs.clear()
        if designed:
            props.append(J2Propagator(Elements.concatenate(designed)))
            designed.clear()

    for k, c in enumerate(scenario.constellations):
        if c.tle_file or c.omm_file:
            if designed:
                flush()
            read = read_tle if c.tle_file else read_omm
            sets = read(c.tle_file or c.omm_file, skipped)
            satrecs.extend(s for _, s in sets)
            names += [n for n, _ in sets]
            for _, s in sets:
                epochs.append(_satrec_epoch(s))
                n_rad_s = s.no_kozai / 60.0
                a.append((MU_EARTH_M3_S2 / n_rad_s**2) ** (1 / 3))
                e.append(s.ecco)
                i.append(s.inclo)
        else:
            if satrecs:
                flush()
            elements, generated = designed_elements(c, t0_days)
            designed.append(elements)
            names += generated
            epochs += [scenario.epoch64] * len(elements)
            a += list(elements.a_m)
            e += list(elements.e)
            i += list(elements.i)
        group += [k] * (len(names) - len(group))
        source += [c.source.removesuffix("_file")] * (len(names) - len(source))
    flush()
    seen: set[str] = set()
    for k, name in enumerate(names):
        if name in seen:
            c = scenario.constellations[group[k]]
            raise ScenarioError(
                f"constellations.{group[k]} ({c.name}): satellite name {name!r} is used twice"
            )
        seen.add(name)
    warnings = [f"skipped {bad}" for bad in skipped or []]
    old = _old_element_sets(scenario, np.array(epochs, dtype="datetime64[ns]"), np.array(source))
    if old:
        warnings.append(old)
    return Fleet(
        names,
        np.array(group),
        [c.name for c in scenario.constellations],
        source,
        np.array(epochs, dtype="datetime64[ns]"),
        np.array(a),
        np.array(e),
        np.array(i),
        props,
        tuple(warnings),
    )


# Element sets further than this from the scenario epoch are counted in a warning (s).
MAX_ELEMENT_AGE_S = 30 * 86400.0


def _old_element_sets(scenario: Scenario, epochs: np.ndarray, source: np.ndarray) -> str | None:
    """One line counting element sets far from the scenario epoch, or None."""
    from_file = np.isin(source, ("tle", "omm"))
    if not from_file.any():
        return None
    age_s = np.abs((epochs[from_file] - scenario.epoch64) / np.timedelta64(1, "s"))
    limit_s = scenario.max_element_age or MAX_ELEMENT_AGE_S
    old = age_s > limit_s
    if not old.any():
        return None
    return (
        f"{int(old.sum())} of {len(age_s)} element sets are more than {limit_s / 86400:g} days "
        f"from the scenario epoch (up to {age_s.max() / 86400:,.0f} days): SGP4 loses accuracy "
        "within days to weeks; use element sets near the epoch"
    )


def designed_elements(c: Constellation, t0_days: float) -> tuple[Elements, list[str]]:
    """Mean elements and generated names for a designed constellation."""
    if c.walker:
        w = c.walker
        el = walker(
            w.satellites,
            w.planes,
            w.phasing,
            EARTH_RADIUS_M + w.altitude_km * 1e3,
            np.deg2rad(w.inclination_deg),
            w.kind,
            np.deg2rad(w.raan0_deg),
        )
        return el, _plane_names(c.name, w.planes, w.satellites // w.planes)
    if c.sun_synchronous:
        s = c.sun_synchronous
        el = sun_synchronous(
            s.satellites, s.planes, EARTH_RADIUS_M + s.altitude_km * 1e3, s.ltan, t0_days, s.phasing
        )
        return el, _plane_names(c.name, s.planes, s.satellites // s.planes)
    if c.formation:
        f = c.formation
        a_m = EARTH_RADIUS_M + f.altitude_km * 1e3
        el = formation(
            f.satellites,
            f.radius_m,
            a_m,
            float(sun_synchronous_inclination(a_m)),
            raan_for_ltan(f.ltan, t0_days),
        )
        return el, [f"{c.name}-{k:03d}" for k in range(f.satellites)]
    rows = c.elements
    el = Elements(
        np.array([r.a_km for r in rows]) * 1e3,
        np.array([r.e for r in rows]),
        *(
            np.deg2rad([getattr(r, f) for r in rows])
            for f in ("i_deg", "raan_deg", "argp_deg", "mean_anomaly_deg")
        ),
    )
    return el, [r.name or f"{c.name}-{k:03d}" for k, r in enumerate(rows)]


def _plane_names(prefix: str, planes: int, per_plane: int) -> list[str]:
    wp, ws = max(2, len(str(planes - 1))), max(2, len(str(per_plane - 1)))
    return [f"{prefix}-p{p:0{wp}d}-s{s:0{ws}d}" for p in range(planes) for s in range(per_plane)]


def _satrec_epoch(s: Satrec) -> np.datetime64:
    ns = round(((s.jdsatepoch - 2_440_587.5) + s.jdsatepochF) * 86_400e9)
    return np.datetime64(ns, "ns")
