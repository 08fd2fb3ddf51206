"""One route against terrestrial fibre: its RTT figures over a scenario's span and the fibre's
(`orbitgrid route`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orbitgrid.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.routes import route_series
from orbitgrid.scenario import Route

if TYPE_CHECKING:
    from orbitgrid.scenario import Scenario

__all__ = ["FIBRE_SPEED_M_S", "great_circle_m", "route_report"]

FIBRE_SPEED_M_S = 2.0 / 3.0 * SPEED_OF_LIGHT_M_S
MEAN_EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def great_circle_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> float:
    """Great-circle distance on the mean sphere (haversine), metres."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(lon2_deg - lon1_deg)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * MEAN_EARTH_RADIUS_M * np.arcsin(np.sqrt(a)))


def route_report(scenario: Scenario, source: str, target: str, route_factor: float = 1.5) -> dict:
    """RTT figures of one route over the scenario's span, its latency split and fibre.

    Fibre: great-circle distance x route_factor at 2/3 c, both ways (None when an end is a
    satellite). Latency parts are one-way means over the reachable steps, in ms.
    """
    series = route_series(scenario, [Route(source=source, target=target)], where="--")
    rtt = series.rtt_s[0] * 1e3
    ok = np.isfinite(rtt)
    stations = {s.name: s for s in scenario.stations()}
    report = {
        "from": source,
        "to": target,
        "steps": len(rtt),
        "reachable_fraction": float(ok.mean()) if len(rtt) else 0.0,
        "path_changes": int(series.path_changes[0]),
        "t_s": series.t_s,
        "rtt_ms": rtt,
    }
    if ok.any():
        hops = series.hops[0][ok]
        report["rtt_ms_min"], report["rtt_ms_median"], report["rtt_ms_max"] = (
            float(x) for x in np.percentile(rtt[ok], [0, 50, 100])
        )
        report["hops_min"], report["hops_max"] = int(hops.min()), int(hops.max())
        report["hops_median"] = float(np.median(hops))
        for name in ("up", "isl", "down", "processing"):
            report[f"{name}_ms"] = float(np.mean(getattr(series, f"{name}_s")[0][ok]) * 1e3)
    if source in stations and target in stations:
        a, b = stations[source], stations[target]
        gc = great_circle_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)
        report["great_circle_km"] = gc / 1e3
        report["route_factor"] = route_factor
        report["fibre_rtt_ms"] = 2 * gc * route_factor / FIBRE_SPEED_M_S * 1e3
    return report
