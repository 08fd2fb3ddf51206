"""CZML for CesiumJS: satellites moving over time, coloured by sunlight, ground stations, and
contacts and inter-satellite links as lines that exist while the link is up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from czml3 import Document, Packet
from czml3.properties import (
    Clock,
    Color,
    Label,
    Point,
    Polyline,
    PolylineMaterial,
    Position,
    PositionList,
    SolidColorMaterial,
)
from czml3.types import Cartesian2Value, IntervalValue, TimeInterval, TimeIntervalCollection

from orbitgrid.report.tracks import Tracks, run_tracks
from orbitgrid.results import Run
from orbitgrid.scenario import load_scenario

SUNLIT = [255, 214, 10, 255]
PENUMBRA = [255, 140, 0, 255]
UMBRA = [90, 120, 190, 255]
STATION = [80, 230, 120, 255]
CONTACT = [80, 230, 120, 200]
ISL = [230, 80, 230, 160]
# Lines drawn at most, contacts and links each.
MAX_LINES = 5000
# Column pairs naming a link's two ends, in the order they are looked for.
LINK_ENDS = (
    ("a", "b"),
    ("sat_a", "sat_b"),
    ("satellite_a", "satellite_b"),
    ("node_a", "node_b"),
    ("src", "dst"),
    ("from", "to"),
)


def sat_id(name: str) -> str:
    return f"sat/{name}"


def station_id(name: str) -> str:
    return f"station/{name}"


def czml_document(run: Run, tracks: Tracks | None = None) -> Document:
    """The run as a CZML document (positions from run_tracks(run) unless tracks are given)."""
    tracks = tracks or run_tracks(run)
    start = _utc(tracks.epoch)
    end = start + dt.timedelta(seconds=float(run.summary["duration_s"]))
    span = TimeInterval(start=start, end=end)
    packets = [
        Packet(
            id="document",
            name=run.summary["name"],
            version="1.0",
            clock=Clock(interval=span, currentTime=start, multiplier=60, range="LOOP_STOP"),
        )
    ]
    packets += _satellites(run, tracks, start, end)
    stations = _stations(run)
    packets += stations
    shown = {sat_id(n) for n in tracks.names} | {p.id for p in stations}
    packets += _contacts(run, shown, start)
    packets += _links(run, shown, start, end)
    return Document(packets=packets)


def write_czml(run: Run, path: str | Path, tracks: Tracks | None = None) -> Path:
    """Write the run's CZML to path."""
    path = Path(path)
    path.write_text(czml_document(run, tracks).dumps())
    return path


def _utc(t: np.datetime64) -> dt.datetime:
    ms = int(np.datetime64(t, "ms").astype(np.int64))
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)


def _satellites(run, tracks, start, end):
    shadow = _shadow_intervals(run)
    packets = []
    for k, name in enumerate(tracks.names):
        r = tracks.r_ecef_m[:, k]
        ok = np.isfinite(r).all(axis=1)
        if not ok.any():
            continue
        flat = np.column_stack([tracks.t_s[ok], r[ok]]).ravel().round(1).tolist()
        packets.append(
            Packet(
                id=sat_id(name),
                name=name,
                availability=TimeInterval(start=start, end=end),
                position=Position(
                    epoch=start,
                    cartesian=flat,
                    referenceFrame="FIXED",
                    interpolationAlgorithm="LAGRANGE",
                    interpolationDegree=5,
                ),
                point=Point(
                    pixelSize=5,
                    color=_colour_intervals(shadow.get(name, []), start, end),
                ),
            )
        )
    return packets


def _shadow_intervals(run):
    table = run.table("eclipses").sort_by([("satellite", "ascending"), ("start_time", "ascending")])
    out: dict[str, list] = {}
    for row in table.select(["satellite", "kind", "start_time", "end_time"]).to_pylist():
        out.setdefault(row["satellite"], []).append((row["start_time"], row["end_time"],
                                                      row["kind"]))
    return out


def _colour_intervals(shadows, start, end):
    """Sunlit between shadow intervals, umbra or penumbra colour inside them."""
    values, t = [], start
    for s, e, kind in shadows:
        s, e = max(s, start), min(e, end)
        if s > t:
            values.append(IntervalValue(start=t, end=s, value=Color(rgba=SUNLIT)))
        if e > s:
            colour = UMBRA if kind == "umbra" else PENUMBRA
            values.append(IntervalValue(start=s, end=e, value=Color(rgba=colour)))
        t = max(t, e)
    if t < end:
        values.append(IntervalValue(start=t, end=end, value=Color(rgba=SUNLIT)))
    return TimeIntervalCollection(values=values)


def _stations(run):
    stations = [s.model_dump() for s in load_scenario(run.path / "scenario.yaml").stations()]
    return [
        Packet(
            id=station_id(s["name"]),
            name=s["name"],
            position=Position(
                cartographicDegrees=[s["lon_deg"], s["lat_deg"], s.get("alt_m", 0.0)]
            ),
            point=Point(pixelSize=8, color=Color(rgba=STATION)),
            label=Label(
                text=s["name"], font="11pt sans-serif", pixelOffset=Cartesian2Value(values=[0, -16])
            ),
        )
        for s in stations
    ]


def _line(id_, a, b, intervals, colour):
    return Packet(
        id=id_,
        availability=intervals,
        polyline=Polyline(
            positions=PositionList(references=[f"{a}#position", f"{b}#position"]),
            width=1.5,
            material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=colour))),
        ),
    )


def _contacts(run, shown, start):
    table = run.table("contacts").select(["satellite", "station", "start_time", "end_time"])
    packets = []
    for k, row in enumerate(table.to_pylist()):
        a, b = sat_id(row["satellite"]), station_id(row["station"])
        if a in shown and b in shown and len(packets) < MAX_LINES:
            span = TimeInterval(start=row["start_time"], end=row["end_time"])
            packets.append(_line(f"contact/{k}", a, b, span, CONTACT))
    return packets


def _links(run, shown, start, end):
    """Inter-satellite links: time-tagged from link_steps (--save links), else from the links
    summary only those up for the whole run (a summary says how long, not when)."""
    step = dt.timedelta(seconds=float(run.summary["step_s"]))
    if "link_steps" in run.tables:
        table, timed = run.table("link_steps"), True
    elif "links" in run.tables:
        table, timed = run.table("links"), False
    else:
        return []
    ends = next((p for p in LINK_ENDS if set(p) <= set(table.column_names)), None)
    if ends is None:
        return []
    spans: dict[tuple[str, str], list] = {}
    for row in table.to_pylist():
        if row.get("kind", "isl") != "isl":
            continue  # ground links are drawn as contacts
        a, b = _node(row[ends[0]], shown), _node(row[ends[1]], shown)
        if a is None or b is None:
            continue
        if timed and row.get("time") is not None:
            span = (row["time"], row["time"] + step)
        elif row.get("up_s", 0) >= run.summary["duration_s"]:
            span = (start, end)
        else:
            continue
        spans.setdefault((a, b), []).append(span)
    packets = []
    for (a, b), intervals in list(spans.items())[:MAX_LINES]:
        merged = _merge(sorted(intervals))
        collection = TimeIntervalCollection(
            values=[TimeInterval(start=s, end=min(e, end)) for s, e in merged]
        )
        packets.append(_line(f"link/{a}/{b}", a, b, collection, ISL))
    return packets


def _node(name, shown):
    for candidate in (sat_id(str(name)), station_id(str(name))):
        if candidate in shown:
            return candidate
    return None


def _merge(intervals):
    out = []
    for s, e in intervals:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def czml_summary(czml: list[dict]) -> dict:
    """Satellite count and clock span of parsed CZML (a list of packets), for checks."""
    sats = [p for p in czml if str(p.get("id", "")).startswith("sat/")]
    start, end = czml[0]["clock"]["interval"].split("/")
    return {"satellites": len(sats), "start": start, "end": end}


# What the dashboard's globe shows at most: satellites, and satellite-samples in all.
GLOBE_MAX_SATELLITES = 300
GLOBE_MAX_SAMPLES = 150_000


def globe_czml(
    run: Run,
    max_satellites: int = GLOBE_MAX_SATELLITES,
    max_samples: int = GLOBE_MAX_SAMPLES,
) -> tuple[str, Tracks]:
    """CZML text for a globe, decimated to a sample of satellites and a coarser step."""
    tracks = run_tracks(run, max_satellites=max_satellites, max_samples=max_samples)
    return czml_document(run, tracks).dumps(), tracks
