"""Plotly figures of a run, each built only when the run has the table it needs.

Every figure has a title and axis titles with units. Tables other stages add later (power,
radiation, links, routes, jobs, schedule, costs) are picked up by name and column when present.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from orbitgrid.results import Run

# Bars drawn at most in one timeline.
MAX_BARS = 3000
# Satellites chosen by default: this many per constellation, at most MAX_CHOSEN in all.
PER_CONSTELLATION = 1
MAX_CHOSEN = 6
COLOURS = {"umbra": "#3b5998", "penumbra": "#f28e2b", "contact": "#59a14f"}


@dataclass(frozen=True)
class Plot:
    """A figure with the table it came from."""

    key: str
    title: str
    table: str
    figure: go.Figure


def chosen_satellites(run: Run, satellites: list[str] | None = None) -> list[str]:
    """The satellites named, or the first of each constellation (at most MAX_CHOSEN)."""
    table = run.table("satellites")
    names = table.column("satellite").to_pylist()
    if satellites:
        missing = sorted(set(satellites) - set(names))
        if missing:
            raise KeyError(f"no satellite named {', '.join(missing)} in {run.path}")
        return list(satellites)
    groups = table.column("constellation").to_pylist()
    chosen, seen = [], {}
    for name, group in zip(names, groups, strict=True):
        if seen.get(group, 0) < PER_CONSTELLATION:
            seen[group] = seen.get(group, 0) + 1
            chosen.append(name)
    return chosen[:MAX_CHOSEN]


def plots(run: Run, satellites: list[str] | None = None) -> list[Plot]:
    """Every figure the run's tables allow, in report order."""
    chosen = chosen_satellites(run, satellites)
    out = []
    for builder in BUILDERS:
        out.extend(p for p in builder(run, chosen) if p is not None)
    return out


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title},
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        margin={"l": 70, "r": 20, "t": 60, "b": 50},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _times(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).cast(pa.timestamp("ms")).to_numpy()


def _time_column(table: pa.Table) -> str | None:
    names = table.column_names
    return next((c for c in ("time", "start_time", "arrival_time") if c in names), None)


def _has(run: Run, name: str, *columns: str) -> pa.Table | None:
    if name not in run.tables:
        return None
    table = run.table(name)
    return table if set(columns) <= set(table.column_names) else None


def _timeline(rows: pa.Table, lane: str, colour_by: str | None, title: str, y: str) -> go.Figure:
    """Horizontal bars from start_time to end_time, one lane per value of column lane."""
    fig = go.Figure()
    groups = rows.column(colour_by).to_pylist() if colour_by else ["interval"] * rows.num_rows
    start, end = _times(rows, "start_time"), _times(rows, "end_time")
    lanes = np.array(rows.column(lane).to_pylist(), dtype=object)
    for group in dict.fromkeys(groups):
        m = np.array([g == group for g in groups])
        fig.add_trace(
            go.Bar(
                name=str(group),
                y=lanes[m],
                base=start[m],
                x=(end[m] - start[m]).astype("timedelta64[ms]").astype(np.int64),
                orientation="h",
                marker_color=COLOURS.get(str(group)),
            )
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", type="category")
    height = max(300, min(900, 60 + 18 * len(set(lanes))))
    return _layout(fig, title, "time (UTC)", y, height)


def _histogram(values: np.ndarray, title: str, x: str, key: str, table: str) -> Plot | None:
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    counts, edges = np.histogram(values, bins=min(40, max(5, len(values) // 5)))
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges)))
    return Plot(key, title, table, _layout(fig, title, x, "count"))


def eclipse_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    table = run.table("eclipses")
    rows = table.filter(pc.is_in(table.column("satellite"), pa.array(chosen)))
    out = []
    if rows.num_rows:
        title = "Eclipse timeline of chosen satellites (UTC)"
        fig = _timeline(rows, "satellite", "kind", title, "satellite")
        out.append(Plot("eclipse-timeline", title, "eclipses", fig))
    minutes = table.column("duration_s").to_numpy() / 60
    out.append(
        _histogram(
            minutes,
            "Eclipse duration distribution (all satellites)",
            "eclipse duration (min)",
            "eclipse-durations",
            "eclipses",
        )
    )
    return out


def contact_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    table = run.table("contacts")
    if not table.num_rows:
        return []
    rows = table.sort_by("start_time")
    note = ""
    if rows.num_rows > MAX_BARS:
        rows = rows.slice(0, MAX_BARS)
        note = f", first {MAX_BARS} of {table.num_rows}"
    title = f"Ground contacts by station (UTC{note})"
    fig = _timeline(rows, "station", None, title, "ground station")
    fig.update_traces(marker_color=COLOURS["contact"], name="contact")
    minutes = table.column("duration_s").to_numpy() / 60
    return [
        Plot("contact-timeline", title, "contacts", fig),
        _histogram(
            minutes,
            "Contact duration distribution",
            "contact duration (min)",
            "contact-durations",
            "contacts",
        ),
    ]


def _lines(table, time, series, title, y, key, source) -> Plot | None:
    """One line per value of series over time, for each numeric column asked."""
    fig = go.Figure()
    names = table.column(series).to_pylist()
    t = _times(table, time)
    for name in dict.fromkeys(names):
        m = np.array([n == name for n in names])
        for column, label in y[1]:
            if column in table.column_names:
                fig.add_trace(
                    go.Scatter(
                        x=t[m],
                        y=table.column(column).to_numpy(zero_copy_only=False)[m],
                        mode="lines",
                        name=f"{name} {label}".strip(),
                    )
                )
    if not fig.data:
        return None
    return Plot(key, title, source, _layout(fig, title, "time (UTC)", y[0]))


def power_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    table = _has(run, "power", "satellite")
    time = _time_column(table) if table is not None else None
    if table is None or time is None:
        return []
    rows = table.filter(pc.is_in(table.column("satellite"), pa.array(chosen))).sort_by(time)
    spec = [
        (
            "power",
            "Power generated and used by chosen satellites",
            (
                "power (W)",
                [
                    ("generated_w", "generated"),
                    ("load_w", "load"),
                    ("compute_w_allowed", "compute allowed"),
                ],
            ),
        ),
        (
            "battery",
            "Battery energy of chosen satellites",
            ("battery energy (Wh)", [("battery_wh", "")]),
        ),
        (
            "radiator",
            "Radiator temperature of chosen satellites",
            ("radiator temperature (K)", [("radiator_temp_k", "")]),
        ),
    ]
    return [_lines(rows, time, "satellite", title, y, key, "power") for key, title, y in spec]


def radiation_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    table = _has(run, "radiation", "time")
    if table is None or not table.num_rows:
        return []
    t = _times(table, "time").astype(np.int64) / 3.6e6
    hours = t - np.floor(t.min())
    counts = np.bincount(hours.astype(int))
    x = np.datetime64(int(np.floor(t.min())), "h") + np.arange(len(counts)).astype("timedelta64[h]")
    fig = go.Figure(go.Bar(x=x, y=counts))
    title = "Radiation events per hour (all satellites)"
    return [
        Plot("radiation", title, "radiation", _layout(fig, title, "time (UTC)", "events per hour"))
    ]


def route_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    table = _has(run, "routes", "time", "src", "dst", "rtt_ms")
    if table is None:
        return []
    src, dst = (pc.cast(table.column(c), pa.string()) for c in ("src", "dst"))
    pair = pc.binary_join_element_wise(src, dst, " → ")
    table = table.append_column("route", pair)
    title = "Route round-trip time"
    return [
        _lines(
            table,
            "time",
            "route",
            title,
            ("round-trip time (ms)", [("rtt_ms", "")]),
            "route-rtt",
            "routes",
        ),
        _lines(
            table,
            "time",
            "route",
            "Route latency split (one way: up, ISL hops, down)",
            ("latency (ms)", [("up_ms", "up"), ("isl_ms", "ISL"), ("down_ms", "down")]),
            "route-split",
            "routes",
        ),
        _histogram(
            table.column("rtt_ms").to_numpy(zero_copy_only=False).astype(float),
            "Route round-trip time distribution",
            "round-trip time (ms)",
            "route-rtt-distribution",
            "routes",
        ),
    ]


def link_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    """Distance and light time of each link (links table); links up over time (link_steps)."""
    out: list[Plot | None] = []
    links = run.table("links") if "links" in run.tables else None
    if links is not None:
        names = links.column_names
        column = next((c for c in ("mean_distance_km", "distance_km") if c in names), None)
        if column is not None:
            km = links.column(column).to_numpy(zero_copy_only=False).astype(float)
            out.append(
                _histogram(
                    km,
                    "Link distance distribution (mean per link)",
                    "mean link distance (km)",
                    "link-distance",
                    "links",
                )
            )
            out.append(
                _histogram(
                    km / 299_792.458 * 1e3,
                    "Link one-way light time distribution",
                    "one-way light time (ms)",
                    "link-light-time",
                    "links",
                )
            )
    steps = _has(run, "link_steps", "time")
    if steps is not None and steps.num_rows:
        kind = steps.column("kind") if "kind" in steps.column_names else None
        fig = go.Figure()
        for name in ["isl", "ground"] if kind is not None else [None]:
            rows = steps if name is None else steps.filter(pc.equal(kind, name))
            counts = sorted(
                pc.value_counts(rows.column("time")).to_pylist(), key=lambda c: c["values"]
            )
            fig.add_trace(
                go.Scatter(
                    x=[c["values"] for c in counts],
                    y=[c["counts"] for c in counts],
                    mode="lines",
                    name=name or "links",
                )
            )
        title = "Links up over time"
        out.append(
            Plot(
                "links-up",
                title,
                "link_steps",
                _layout(fig, title, "time (UTC)", "links up (count)"),
            )
        )
    return out


def job_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    out = []
    schedule = _has(run, "schedule", "job", "satellite", "start_time", "end_time")
    if schedule is not None and schedule.num_rows:
        rows = schedule.sort_by("start_time").slice(0, MAX_BARS)
        title = "Job schedule on satellites (Gantt, UTC)"
        fig = _timeline(rows, "satellite", None, title, "satellite")
        out.append(Plot("job-gantt", title, "schedule", fig))
        out.append(_utilisation(run, schedule))
    jobs = _has(run, "jobs", "job", "start_time", "end_time")
    if jobs is not None and jobs.num_rows:
        if schedule is None:
            rows = jobs.filter(pc.is_valid(jobs.column("start_time"))).sort_by("start_time")
            kind = "kind" if "kind" in jobs.column_names else None
            title = "Jobs (Gantt, UTC)"
            fig = _timeline(rows.slice(0, MAX_BARS), "job", kind, title, "job")
            out.append(Plot("job-gantt", title, "jobs", fig))
        if "arrival_time" in jobs.column_names:
            done = jobs.filter(pc.is_valid(jobs.column("end_time")))
            took = _times(done, "end_time") - _times(done, "arrival_time")
            latency = took.astype(np.int64) / 6e4
            out.append(
                _histogram(
                    latency.astype(float),
                    "Job completion time distribution",
                    "arrival to end (min)",
                    "job-latency",
                    "jobs",
                )
            )
    return out


def _utilisation(run: Run, schedule: pa.Table) -> Plot:
    epoch = np.datetime64(run.summary["epoch"].rstrip("Z"), "ms")
    step = np.timedelta64(int(max(run.summary["step_s"], 60) * 1e3), "ms")
    grid = epoch + np.arange(0, int(run.summary["duration_s"] * 1e3) + 1, int(step.astype(int)))
    grid = grid.astype("datetime64[ms]")
    start, end = _times(schedule, "start_time"), _times(schedule, "end_time")
    busy = np.searchsorted(np.sort(start), grid, "right") - np.searchsorted(
        np.sort(end), grid, "right"
    )
    fig = go.Figure(
        go.Scatter(
            x=grid, y=100 * busy / max(run.summary["satellites"], 1), mode="lines", name="busy"
        )
    )
    title = "Fleet utilisation (share of satellites running a job)"
    return Plot(
        "utilisation", title, "schedule", _layout(fig, title, "time (UTC)", "satellites busy (%)")
    )


def cost_plots(run: Run, chosen: list[str]) -> list[Plot | None]:
    """A waterfall of the first cost table with an item column and a USD column."""
    out = []
    for name in run.tables:
        if not name.startswith("cost"):
            continue
        table = run.table(name)
        label = next((c for c in ("item", "component", "name") if c in table.column_names), None)
        value = next((c for c in table.column_names if c.endswith("usd")), None)
        if label and value:
            fig = go.Figure(
                go.Waterfall(x=table.column(label).to_pylist(), y=table.column(value).to_pylist())
            )
            title = f"Cost waterfall ({name})"
            out.append(Plot(f"cost-{name}", title, name, _layout(fig, title, label, "cost (USD)")))
    return out


BUILDERS: list[Callable[[Run, list[str]], list[Plot | None]]] = [
    eclipse_plots,
    contact_plots,
    power_plots,
    radiation_plots,
    link_plots,
    route_plots,
    job_plots,
    cost_plots,
]
