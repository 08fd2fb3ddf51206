"""Remote sensing: events on the ground, imaging passes, and two ways to raise an alert.

An event (a flood, a fire) starts at a place and time. A satellite of an imaging constellation
images it the first time its swath covers the place after the event starts: the swath's half
width w on the ground is an elevation mask at the event, tan(el) = (cos(w/R) - R/r) / sin(w/R),
so the passes come from the run's own stream (orbitgrid.pipeline: the same trajectory, the same
gone rule) and contact search (orbits.contacts); Alerts.add takes each chunk of it.

Two pipelines on the same image:
  on-board    infer on the satellite's accelerator (ops / (peak * count * utilisation)), then send
              the alert down at the satellite's next ground contact or, with ISLs, relay it over
              the constellation's lasers to a satellite in contact: the ISL graph of each step
              (the world's ISL layouts, network.isl), each hop costing
              distance / c + hop_delay_s + alert bits / hop capacity, the shortest path taken;
  bent-pipe   store the raw image, downlink it through the satellite's contacts in order (FIFO
              behind earlier images), process it on the ground (ground_processing_s).
Downlinks run at the station's ground link rate (network.links.ground_link_rate_bps: range and
elevation along the pass, the best station in view), capped by the satellite's downlink_mbps
when given; the rate is sampled every RATE_STEP_S and integrated piecewise linearly. Both add
delivery_s (ground network to the user). Latencies are from the event's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from orbitgrid.constants import EARTH_RADIUS_M, SPEED_OF_LIGHT_M_S
from orbitgrid.errors import ScenarioError
from orbitgrid.network.isl import IslLayout, isl_edges
from orbitgrid.network.links import GroundLink, ground_link_rate_bps
from orbitgrid.orbits.contacts import Stations, contact_intervals
from orbitgrid.orbits.events import Intervals, stitch
from orbitgrid.orbits.samples import Samples
from orbitgrid.orbits.trajectory import Trajectory
from orbitgrid.pipeline import Chunk, World, stream
from orbitgrid.results import utc_timestamps
from orbitgrid.units import parse_duration, utc_seconds_after

if TYPE_CHECKING:
    from orbitgrid.scenario import Scenario
    from orbitgrid.sensing.schema import SensingSpec

RATE_STEP_S = 10.0  # downlink rate samples along a pass, s

__all__ = ["AlertModel", "alerts", "summarise", "swath_mask_rad"]


def swath_mask_rad(swath_km: float, radius_m: float) -> float:
    """Elevation (rad) at a ground point that sits on the edge of a swath swath_km wide, seen
    from a satellite at radius_m (spherical Earth): atan2(cos L - R/r, sin L), L = w / 2R."""
    lam = swath_km * 1e3 / 2.0 / EARTH_RADIUS_M
    return math.atan2(math.cos(lam) - EARTH_RADIUS_M / radius_m, math.sin(lam))


def _event_arrays(spec: SensingSpec, scenario: Scenario):
    names, kinds, lat, lon, t = [], [], [], [], []
    for k, ev in enumerate(spec.events):
        if isinstance(ev.at, str) and "T" in ev.at:
            at = utc_seconds_after(scenario.epoch64, ev.at)
        else:
            at = parse_duration(ev.at) if isinstance(ev.at, str) else float(ev.at)
        names.append(ev.name or f"event-{k}")
        kinds.append(ev.kind)
        lat.append(ev.lat_deg)
        lon.append(ev.lon_deg)
        t.append(at)
    if spec.random_events:
        r = spec.random_events
        rng = np.random.default_rng(scenario.seed if r.seed is None else r.seed)
        s = np.sin(np.deg2rad(r.max_lat_deg))
        lat += list(np.rad2deg(np.arcsin(rng.uniform(-s, s, r.count))))
        lon += list(rng.uniform(-180.0, 180.0, r.count))
        t += list(np.sort(rng.uniform(0.0, scenario.duration, r.count)))
        kinds += [r.kinds[k] for k in rng.integers(0, len(r.kinds), r.count)]
        names += [f"random-{k}" for k in range(r.count)]
    return names, kinds, np.array(lat, float), np.array(lon, float), np.array(t, float)


def _stitched(parts: list[Intervals], n_targets: int, first: int) -> dict[str, np.ndarray]:
    """Intervals of a constellation's satellites (fleet indices from `first`) over n_targets
    points, searched chunk by chunk and joined."""
    if not parts:
        parts = [Intervals.empty()]
    key, start, end, _ = stitch(parts)
    n = max(n_targets, 1)
    return {"satellite": key // n + first, "target": key % n, "start_s": start, "end_s": end}


def _columns(traj: Trajectory, members: slice) -> Trajectory:
    """The trajectory of a contiguous block of satellites."""
    return Trajectory(traj.epoch, traj.t_s, traj.r[:, members], traj.v[:, members])


def _merge(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals, sorted."""
    if len(start) == 0:
        return start, end
    order = np.argsort(start)
    s, e = start[order], np.maximum.accumulate(end[order])
    new = np.r_[True, s[1:] > e[:-1]]
    last = np.r_[np.flatnonzero(new)[1:] - 1, len(s) - 1]
    return s[new], e[last]


def _next_window(start, end, t: float) -> float:
    """First time >= t inside one of the (sorted, disjoint) windows; NaN if none."""
    k = np.searchsorted(end, t, side="right")
    return math.nan if k >= len(start) else max(float(start[k]), t)


class _Downlink:
    """One satellite's downlink rate (bit/s) over the run: pieces [a, b] inside its contact
    windows, linear from ra to rb; zero between windows."""

    def __init__(self, a, b, ra, rb):
        self.a, self.b, self.ra, self.rb = a, b, ra, rb
        self.cum = np.cumsum((b - a) * (ra + rb) / 2.0)  # bits down by the end of each piece

    def _bits_by(self, t: float) -> float:
        """Bits the link could carry from the start of the run to time t."""
        k = int(np.searchsorted(self.b, t, side="right"))
        done = float(self.cum[k - 1]) if k else 0.0
        if k < len(self.a) and t > self.a[k]:
            x = t - self.a[k]
            slope = (self.rb[k] - self.ra[k]) / (self.b[k] - self.a[k])
            done += self.ra[k] * x + slope * x * x / 2.0
        return done

    def done(self, t: float, bits: float) -> float:
        """When `bits` sent from time t (the link free from then on) are all down; NaN if never."""
        if not math.isfinite(t):
            return math.nan
        target = self._bits_by(t) + bits
        j = int(np.searchsorted(self.cum, target, side="left"))
        if j >= len(self.a):
            return math.nan
        rest = target - (float(self.cum[j - 1]) if j else 0.0)
        ra = float(self.ra[j])
        slope = (float(self.rb[j]) - ra) / (float(self.b[j]) - float(self.a[j]))
        # ra x + slope x^2 / 2 = rest, in the form that is exact when slope = 0
        x = 2.0 * rest / (ra + math.sqrt(max(ra * ra + 2.0 * slope * rest, 0.0)))
        return max(float(self.a[j]) + x, t)


def _downlink_profile(world: World, s: int, links, ceiling_bps: float | None,
                      contacts: dict[str, np.ndarray]) -> _Downlink:
    """Satellite s's downlink: at each sample of its passes the best rate among the stations in
    view (ground_link_rate_bps of range and elevation, capped at ceiling_bps). Exact states in
    its contact windows, which the gone rule has already cut."""
    ground = world.ground
    on = contacts["satellite"] == s
    station, a, b = contacts["target"][on], contacts["start_s"][on], contacts["end_s"][on]
    ws, we = _merge(a, b)
    if not len(ws):
        empty = np.zeros(0)
        return _Downlink(empty, empty, empty, empty)
    grid = [np.arange(x, y, RATE_STEP_S) for x, y in zip(ws, we, strict=True)]
    t = np.unique(np.concatenate([*grid, we, a, b]))
    r, v = world.exact_states(t, slice(s, s + 1))
    r = Samples(world.epoch, t, r, v).r_ecef[:, 0]
    rate = np.zeros(len(t))
    for k in np.unique(station):
        order = np.argsort(a[station == k])
        ka, kb = a[station == k][order], b[station == k][order]
        w = np.searchsorted(ka, t, side="right") - 1
        inside = (w >= 0) & (t <= kb[np.maximum(w, 0)])
        d = r - ground.ecef[k]
        rng = np.linalg.norm(d, axis=-1)
        el = np.arcsin(np.clip(d @ ground.up[k] / rng, -1.0, 1.0))
        r_k = ground_link_rate_bps(rng, el, links[k])
        if ceiling_bps is not None:
            r_k = np.minimum(r_k, ceiling_bps)
        rate = np.where(inside, np.maximum(rate, r_k), rate)
    w = np.searchsorted(ws, t, side="right") - 1  # merged window of each sample
    piece = (w[:-1] == w[1:]) & (t[1:] <= we[w[1:]])
    return _Downlink(t[:-1][piece], t[1:][piece], rate[:-1][piece], rate[1:][piece])


class _Relay:
    """A constellation's ISL graph at each step, from the world's layout (network.isl) on the
    members alone, edges weighted by distance / c + hop_delay_s + bits / capacity (seconds)."""

    def __init__(self, world: World, members: np.ndarray, layout: IslLayout, bits: float,
                 gone_from_s: np.ndarray):
        self.world, self.isl, self.bits = world, layout.config, bits
        self.members = members
        self.block = slice(int(members[0]), int(members[-1]) + 1)
        self.gone_from_s = gone_from_s
        self.graphs: dict[int, Any] = {}
        first, n = int(members[0]), len(members)
        self.layout = replace(  # the same links, indexed by member
            layout, members=layout.members - first, n_nodes=n,
            edges=None if layout.edges is None else layout.edges - first,
            plane=None if layout.plane is None else layout.plane[self.block])

    def _graph(self, step: int):
        from scipy.sparse import csr_matrix  # scipy only for runs with relayed alerts

        n = len(self.members)
        t = np.array([step * self.world.scenario.step])
        pos = self.world.exact_states(t, self.block, self.gone_from_s)[0][0]
        e, length, capacity = isl_edges(self.layout, pos)
        w = length / SPEED_OF_LIGHT_M_S + self.isl.hop_delay_s + self.bits / capacity
        return csr_matrix((np.r_[w, w], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
                          shape=(n, n))

    def latency_s(self, step: int, source: int) -> np.ndarray:
        """Shortest relay time (s) from member `source` (local index) to every member at step."""
        from scipy.sparse.csgraph import dijkstra

        if step not in self.graphs:
            self.graphs[step] = self._graph(step)
        return dijkstra(self.graphs[step], indices=source)

    def send(self, source: int, t: float, group, windows) -> tuple[float, int]:
        """Earliest time >= t the alert can leave a member in contact, and that member (fleet
        index); the graph of a step holds until the next. (NaN, -1) if never."""
        owner, start, end = windows
        step_s = self.world.scenario.step
        while True:
            t = _next_window(*group, t)  # nothing leaves while no member is in contact
            if not math.isfinite(t):
                return math.nan, -1
            step = math.floor(t / step_s + 1e-9)
            t_next = (step + 1) * step_s
            near = np.flatnonzero((start < t_next) & (end >= t))
            arrival = t + self.latency_s(step, source)[owner[near]]
            leave = np.maximum(start[near], arrival)
            ok = np.isfinite(arrival) & (leave <= end[near])
            if ok.any():
                j = int(np.argmin(np.where(ok, leave, np.inf)))
                return float(leave[j]), int(self.members[owner[near][j]])
            t = t_next


@dataclass(frozen=True)
class _Imager:
    """One imaging constellation: its members, inference time per image (s), and the events
    as points its swath covers (an elevation mask from its mean radius)."""

    k: int
    idx: np.ndarray
    members: slice
    inference_s: float
    targets: Stations


class AlertModel:
    """The alerts of one run: checked against the world at once, imaging and ground passes
    searched on each chunk of the stream (add), the alerts worked out at the end (table)."""

    def __init__(self, world: World):
        scenario = world.scenario
        spec: SensingSpec = scenario.sensing
        self.world, self.spec = world, spec
        self.names, self.kinds, self.lat, self.lon, self.t_event = _event_arrays(spec, scenario)
        wanted = spec.constellations or [c.name for c in scenario.constellations]
        known = [c.name for c in scenario.constellations]
        for name in wanted:
            if name not in known:
                raise ScenarioError(f"sensing.constellations: no constellation {name!r}")
        if not world.stations:
            raise ScenarioError("sensing: needs ground_stations to deliver alerts and images")
        n_ev = len(self.t_event)
        self.imagers: list[_Imager] = []
        self.relayed: list[int] = []  # constellations whose alerts go over their lasers
        for k, c in enumerate(scenario.constellations):
            idx = world.members(k)
            if c.name not in wanted or len(idx) == 0:
                continue
            sat = world.satellites[k]
            acc = sat.accelerator if sat is not None else None
            if acc is None or sat.payload.count == 0:
                raise ScenarioError(f"sensing: constellation {c.name!r} has no accelerator for "
                                    "on-board inference (give it satellite.payload.accelerator)")
            try:
                peak = acc.peak_ops_per_s(spec.precision)
            except KeyError as exc:
                raise ScenarioError(f"sensing.precision: {exc.args[0]}") from None
            t_inf = spec.inference_ops / (peak * sat.payload.count * spec.utilisation)
            members = slice(int(idx[0]), int(idx[-1]) + 1)
            radius = float(np.mean(world.fleet.a_m[members]))
            mask = np.rad2deg(swath_mask_rad(spec.swath_km, radius))
            targets = Stations.from_geodetic(self.lat, self.lon, np.zeros(n_ev),
                                             np.full(n_ev, mask))
            self.imagers.append(_Imager(k, idx, members, t_inf, targets))
            has_isl = world.isl[k] is not None
            if spec.isl and not has_isl:
                raise ScenarioError(f"sensing.isl: constellation {c.name!r} has no lasers to "
                                    "relay alerts (give it isl: with a topology)")
            if has_isl and spec.isl is not False:
                self.relayed.append(k)
        self.resolution_s = min(scenario.step, 1.0)
        self.looks: dict[int, list[Intervals]] = {im.k: [] for im in self.imagers}
        self.contacts: dict[int, list[Intervals]] = {im.k: [] for im in self.imagers}

    def add(self, chunk: Chunk) -> None:
        """Search one chunk of the run's trajectory for imaging and ground passes."""
        for im in self.imagers:
            traj = _columns(chunk.trajectory, im.members)
            if len(self.t_event):
                self.looks[im.k].append(
                    contact_intervals(traj, im.targets, self.resolution_s)[0])
            self.contacts[im.k].append(
                contact_intervals(traj, self.world.ground, self.resolution_s)[0])

    def table(self, gone_from_s: np.ndarray) -> pa.Table:
        """One row per event: first image, on-board and bent-pipe alert times and latencies.
        gone_from_s: the run's gone record at its end (relays lose gone satellites)."""
        world, spec, fleet = self.world, self.spec, self.world.fleet
        t_event, epoch = self.t_event, world.epoch
        links = [st.link or GroundLink() for st in world.stations]
        ceiling = None if spec.downlink_mbps is None else spec.downlink_mbps * 1e6
        image_bits, alert_bits = spec.image_bytes * 8.0, spec.alert_kb * 1e3 * 8.0
        n_ev = len(t_event)
        best = np.full(n_ev, np.inf)
        best_sat = np.full(n_ev, -1)
        infer_s = np.full(n_ev, np.nan)
        windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        group_windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        member_windows: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        contacts_of: dict[int, dict[str, np.ndarray]] = {}
        for im in self.imagers:
            k, idx = im.k, im.idx
            looks = (_stitched(self.looks[k], n_ev, im.members.start) if n_ev else None)
            if looks is not None and len(looks["start_s"]):
                ev = looks["target"]
                ok = looks["end_s"] >= t_event[ev]
                t_img = np.maximum(looks["start_s"], t_event[ev])
                for j in np.flatnonzero(ok):
                    e = ev[j]
                    if t_img[j] < best[e]:
                        best[e], best_sat[e] = t_img[j], looks["satellite"][j]
                        infer_s[e] = im.inference_s
            contacts = contacts_of[k] = _stitched(self.contacts[k], len(world.ground),
                                                  im.members.start)
            owner, w_start, w_end = [], [], []
            for local, s in enumerate(idx):
                on = contacts["satellite"] == s
                windows[int(s)] = _merge(contacts["start_s"][on], contacts["end_s"][on])
                owner.append(np.full(len(windows[int(s)][0]), local))
                w_start.append(windows[int(s)][0])
                w_end.append(windows[int(s)][1])
            member_windows[k] = (np.concatenate(owner), np.concatenate(w_start),
                                 np.concatenate(w_end))
            group_windows[k] = _merge(contacts["start_s"], contacts["end_s"])
        relays = {k: _Relay(world, world.members(k), world.isl[k], alert_bits, gone_from_s)
                  for k in self.relayed}
        onboard = np.full(n_ev, np.nan)
        bentpipe = np.full(n_ev, np.nan)
        link_free = {s: 0.0 for s in windows}
        profiles: dict[int, _Downlink] = {}

        def profile(s: int) -> _Downlink:
            if s not in profiles:
                contacts = contacts_of[int(fleet.constellation[s])]
                profiles[s] = _downlink_profile(world, s, links, ceiling, contacts)
            return profiles[s]

        for e in np.argsort(best):
            s = int(best_sat[e])
            if s < 0:
                continue
            k = int(fleet.constellation[s])
            ready = best[e] + infer_s[e]
            if k in relays:
                local = int(np.searchsorted(relays[k].members, s))
                send, sender = relays[k].send(local, ready, group_windows[k], member_windows[k])
            else:
                send, sender = _next_window(*windows[s], ready), s
            if sender >= 0 and math.isfinite(send):
                onboard[e] = profile(sender).done(send, alert_bits) + spec.delivery_s
            down = profile(s).done(max(best[e], link_free[s]), image_bits)
            if math.isfinite(down):
                link_free[s] = down
            bentpipe[e] = down + spec.ground_processing_s + spec.delivery_s
        imaged = best_sat >= 0
        image_time = np.where(imaged, best, np.nan)
        return pa.table({
            "event": pa.array(self.names, type=pa.string()),
            "kind": pa.array(self.kinds, type=pa.string()),
            "lat_deg": self.lat,
            "lon_deg": self.lon,
            "event_time": utc_timestamps(epoch, t_event),
            "satellite": pa.array([fleet.names[s] if s >= 0 else None for s in best_sat],
                                  type=pa.string()),
            "image_time": utc_timestamps(epoch, image_time),
            "inference_s": np.round(infer_s, 6),
            "onboard_alert_time": utc_timestamps(epoch, onboard),
            "onboard_latency_s": np.round(onboard - t_event, 3),
            "bentpipe_alert_time": utc_timestamps(epoch, bentpipe),
            "bentpipe_latency_s": np.round(bentpipe - t_event, 3),
            "image_bytes": np.full(n_ev, spec.image_bytes),
            "alert_bytes": np.full(n_ev, spec.alert_kb * 1e3),
        })


def alerts(world: World) -> pa.Table:
    """The alerts of the world's run on their own (no run folder): the stream's chunks through
    an AlertModel; the same table as the sensing stage of a run writes."""
    model = AlertModel(world)
    gone = None
    for block in stream(world, 0.0, world.scenario.duration):
        if block.opens_chunk:
            model.add(block.chunk)
        gone = block.gone
    return model.table(gone.first_error_s)


def summarise(table: pa.Table) -> dict[str, Any]:
    """Counts, latency percentiles (s) and bytes downlinked for each pipeline."""
    out: dict[str, Any] = {"events": table.num_rows,
                           "imaged": int(table["satellite"].is_valid().to_numpy().sum())}
    image_bytes = table["image_bytes"].to_numpy()
    alert_bytes = table["alert_bytes"].to_numpy()
    seen = table["image_time"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    event = table["event_time"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    wait = (seen.astype(float) - event) / 1e3  # event to image, s
    out["revisit_p50_s"], out["revisit_p90_s"] = _percentiles(wait)
    for name, size in (("onboard", alert_bytes), ("bentpipe", image_bytes)):
        lat = table[f"{name}_latency_s"].to_numpy(zero_copy_only=False)
        ok = np.isfinite(lat)
        p50, p90 = _percentiles(lat)
        after50, after90 = _percentiles(lat - wait)
        out[name] = {
            "delivered": int(ok.sum()),
            "p50_s": p50,
            "p90_s": p90,
            "after_image_p50_s": after50,
            "after_image_p90_s": after90,
            "bytes_downlinked": float(size[ok].sum()),
        }
    return out


def _percentiles(x: np.ndarray) -> tuple[float | None, float | None]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if not len(x):
        return None, None
    return round(float(np.percentile(x, 50)), 3), round(float(np.percentile(x, 90)), 3)
