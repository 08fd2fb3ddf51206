"""The info API a program asks the twin about itself: ORBITGRID_INFO_URL (read-only).

The paths of Celestial's info API, so programs written for Celestial run unchanged, under
/v1/info/{token} where the token is the job's own (it names the job, hence its tenant):
  /self                 its satellite, with what the field's emulators cannot answer: position,
                        sunlight, battery, radiator temperature, compute power allowed now,
                        the next eclipse and the next ground contact
  /info                 the constellations (shells) and ground stations
  /shell/{shell}/{id}   satellite id of constellation (shell) number `shell`, as /self
  /gst/{name}           a ground station
  /path/{a}/{b}         between two satellites (names, or SHELL-ID): the shortest-latency
                        path over the lasers usable now (network.routing.isl_route): delay,
                        distance, bandwidth (its narrowest link), hops and the satellites on
                        it; blocked when no path links them; a station and a satellite: the
                        contact's rate, blocked when none
It shows satellites and stations, never another job or tenant.
"""

from __future__ import annotations

import numpy as np
from fastapi import FastAPI, HTTPException

from orbitgrid.live.supervisor import positions_m
from orbitgrid.network.routing import isl_route


def add_info_routes(app: FastAPI, twin) -> None:
    """The info API's routes on app (see the module docstring)."""

    def run_of(token: str):
        sup = twin.supervisor
        run = None if sup is None else sup.by_token.get(token)
        if run is None:
            raise HTTPException(404, "token: no running job has this token")
        return run

    def index_of(name: str) -> int:
        if name in twin.names:
            return twin.names.index(name)
        shell, _, i = name.rpartition("-")
        if shell.isdigit() and i.isdigit():
            return shell_index(int(shell), int(i))
        raise HTTPException(404, f"no satellite {name!r}")

    def shell_index(shell: int, i: int) -> int:
        fleet = twin.env.fleet
        members = np.flatnonzero(np.asarray(fleet.constellation) == shell)
        if not 0 <= i < len(members):
            raise HTTPException(404, f"no satellite {i} in shell {shell}")
        return int(members[i])

    def describe(s: int) -> dict:
        fleet = twin.env.fleet
        shell = int(fleet.constellation[s])
        members = np.flatnonzero(np.asarray(fleet.constellation) == shell)
        state = next(x for x in twin.satellites() if x["name"] == twin.names[s])
        nxt = upcoming(s)
        return {"type": "SAT", "shell": shell, "id": int(np.searchsorted(members, s)),
                "name": twin.names[s], "twin_time": twin.iso(twin.reached_s),
                "position": {"lat_deg": state["lat_deg"], "lon_deg": state["lon_deg"],
                             "alt_km": state["alt_km"]},
                "sunlit": state["illumination"], "battery_wh": state["battery_wh"],
                "radiator_temp_k": state["radiator_temp_k"],
                "compute_w_allowed": state["compute_w_allowed"], **nxt}

    def upcoming(s: int) -> dict:
        """The next eclipse and ground contact within the environment computed ahead."""
        with twin.lock:
            ahead = twin.engine.ahead(twin.reached_s)
        if ahead is None:
            return {"next_eclipse": None, "next_contact": None}
        times, sunlit, ground = ahead
        lit, contact = sunlit[:, s] >= 1, ground[:, s] > 0
        return {"next_eclipse": twin.iso(_next_edge(times, lit, fall=True)),
                "next_contact": twin.iso(_next_edge(times, contact, fall=False))}

    @app.get("/v1/info/{token}/self", include_in_schema=False)
    def self_(token: str) -> dict:
        run = run_of(token)
        if run.satellite is None:
            raise HTTPException(409, "the job has not run on a satellite yet")
        return {**describe(twin.names.index(run.satellite)), "job": run.job_id}

    @app.get("/v1/info/{token}/info", include_in_schema=False)
    def info(token: str) -> dict:
        run_of(token)
        fleet = twin.env.fleet
        counts = np.bincount(np.asarray(fleet.constellation),
                             minlength=len(fleet.constellation_names))
        return {"shells": [{"shell": k, "name": n, "sats": int(counts[k])}
                           for k, n in enumerate(fleet.constellation_names)],
                "groundstations": [{"name": g.name} for g in twin.scenario.stations()],
                "twin_time": twin.iso(twin.reached_s), "speed": twin.speed}

    @app.get("/v1/info/{token}/shell/{shell}/{sat}", include_in_schema=False)
    def shell(token: str, shell: int, sat: int) -> dict:
        run_of(token)
        return describe(shell_index(shell, sat))

    @app.get("/v1/info/{token}/gst/{name}", include_in_schema=False)
    def gst(token: str, name: str) -> dict:
        run_of(token)
        for g in twin.scenario.stations():
            if g.name == name:
                return {"type": "GST", "name": g.name, "lat_deg": g.lat_deg,
                        "lon_deg": g.lon_deg}
        raise HTTPException(404, f"no ground station {name!r}")

    @app.get("/v1/info/{token}/path/{a}/{b}", include_in_schema=False)
    def path(token: str, a: str, b: str) -> dict:
        run_of(token)
        stations = {g.name for g in twin.scenario.stations()}
        if a in stations or b in stations:
            sat = index_of(b if a in stations else a)
            rate = current(lambda tl, k: None if tl.ground_bps is None
                           else float(tl.ground_bps[k, sat]))
            blocked = not rate
            return {"from": a, "to": b, "blocked": blocked, "hops": None if blocked else 1,
                    "bandwidth_bps": rate or 0.0, "delay_s": None}
        way = isl_route(twin.env.world.isl, positions_m(twin.env, twin.reached_s),
                        index_of(a), index_of(b))
        if way is None:
            return {"from": a, "to": b, "blocked": True, "hops": None, "distance_m": None,
                    "delay_s": None, "bandwidth_bps": 0.0, "path": []}
        return {"from": a, "to": b, "blocked": False, "hops": way.hops,
                "distance_m": way.distance_m, "delay_s": way.delay_s,
                "bandwidth_bps": way.bottleneck_bps,
                "path": [twin.names[k] for k in way.nodes]}

    def current(read):
        with twin.lock:
            tl = twin.engine.timelines
            t = twin.reached_s
            if tl is None or not tl.t_s[0] <= t < tl.end_s:
                return None
            return read(tl, tl.step_at(t))


def _next_edge(times: np.ndarray, flag: np.ndarray | None, fall: bool) -> float | None:
    """The first time after the first step at which flag turns False (fall) or True."""
    if flag is None or len(flag) < 2:
        return None
    change = np.flatnonzero(flag[:-1] & ~flag[1:] if fall else ~flag[:-1] & flag[1:])
    return float(times[change[0] + 1]) if len(change) else None
