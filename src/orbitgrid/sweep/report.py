"""The sweep report: each objective against each parameter, and the Pareto front (HTML)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from orbitgrid.figures import FIGURES
from orbitgrid.sweep.pareto import pareto_front
from orbitgrid.sweep.store import read_points

_UNITS = {
    "_km": "km",
    "_m": "m",
    "_m2": "m²",
    "_deg": "deg",
    "_hours": "h",
    "_s": "s",
    "_w": "W",
    "_kw": "kW",
    "_wh": "Wh",
    "_kg": "kg",
    "_bps": "bit/s",
    "_fraction": "fraction, 0-1",
    "_usd": "USD",
}


def axis_title(name: str) -> str:
    """A figure's name with its unit: a summary figure with what it is and over what (from
    orbitgrid.figures), a parameter with the unit its suffix says: 'altitude_km [km]'."""
    fig = FIGURES.get(re.sub(r"\.\d+(?=\.|$)", "[]", name).replace("ops.policies[].", "ops."))
    if fig is not None:
        unit = {"fraction": "fraction, 0-1", "text": "-"}.get(fig.unit, fig.unit)
        return f"{name}: {fig.title} [{unit}]"
    last = name.rsplit(".", 1)[-1].lower()
    unit = next((u for suffix, u in _UNITS.items() if last.endswith(suffix)), None)
    if unit is None:
        unit = (
            "count" if last in {"satellites", "contacts", "eclipses"} or last.endswith("s") else "-"
        )
    return f"{name} [{unit}]"


def write_sweep_report(db: str | Path, out: str | Path | None = None) -> Path:
    """Write a self-contained HTML page: each objective against each parameter, and the Pareto
    front of the objectives (the best point when there is one objective). Returns its path."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    db = Path(db)
    table, objectives, parameters = read_points(db)
    out = Path(out) if out else db.with_name("sweep-report.html")
    keys = [next(iter(o.values())) for o in objectives]
    directions = [next(iter(o)) for o in objectives]
    rows = table.to_pylist()
    done = [r for r in rows if r["status"] == "done"]
    values = np.array([[np.nan if r[k] is None else r[k] for k in keys] for r in done], float)
    front = pareto_front(values.reshape(len(done), len(keys)), directions)
    labels = [f"point {r['point_id']}" for r in done]
    colours = ["crimson" if f else "steelblue" for f in front]

    grid = make_subplots(
        rows=len(keys),
        cols=len(parameters),
        subplot_titles=[f"{k} against {p}" for k in keys for p in parameters],
    )
    for i, key in enumerate(keys, start=1):
        for j, name in enumerate(parameters, start=1):
            grid.add_trace(
                go.Scatter(
                    x=[r[name] for r in done],
                    y=values[:, i - 1],
                    mode="markers",
                    text=labels,
                    marker={"color": colours, "size": 8},
                    showlegend=False,
                ),
                row=i,
                col=j,
            )
            grid.update_xaxes(title_text=axis_title(name), row=i, col=j)
            grid.update_yaxes(title_text=axis_title(key), row=i, col=j)
    grid.update_layout(
        title=f"Objectives against parameters ({len(done)} points; Pareto front in red)",
        height=350 * len(keys),
    )

    pareto = go.Figure()
    if len(keys) >= 2:
        order = np.argsort(values[front, 0])
        for on, colour, name in ((False, "steelblue", "dominated"), (True, "crimson", "front")):
            mask = front == on
            pareto.add_trace(
                go.Scatter(
                    x=values[mask, 0],
                    y=values[mask, 1],
                    mode="markers",
                    name=name,
                    text=[t for t, m in zip(labels, mask, strict=True) if m],
                    marker={"color": colour, "size": 9},
                )
            )
        pareto.add_trace(
            go.Scatter(
                x=values[front, 0][order],
                y=values[front, 1][order],
                mode="lines",
                line={"color": "crimson", "dash": "dot"},
                showlegend=False,
            )
        )
        title = f"Pareto front: {directions[0]} {keys[0]}, {directions[1]} {keys[1]}"
        pareto.update_layout(
            title=title, xaxis_title=axis_title(keys[0]), yaxis_title=axis_title(keys[1])
        )
    else:
        pareto.add_trace(
            go.Scatter(
                x=[r["point_id"] for r in done],
                y=values[:, 0],
                mode="markers",
                text=labels,
                marker={"color": colours, "size": 9},
            )
        )
        pareto.update_layout(
            title=f"{directions[0]} {keys[0]}: the best point in red",
            xaxis_title="point id [-]",
            yaxis_title=axis_title(keys[0]),
        )
    failed = [r for r in rows if r["status"] != "done"]
    best = "".join(
        f"<tr><td>{r['point_id']}</td>"
        + "".join(f"<td>{r[p]}</td>" for p in parameters)
        + "".join(f"<td>{r[k]:.6g}</td>" for k in keys)
        + "</tr>"
        for r, f in zip(done, front, strict=True)
        if f
    )
    head = "".join(f"<th>{h}</th>" for h in ["point", *parameters, *map(axis_title, keys)])
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Sweep report: {db}</title></head><body style='font-family:sans-serif'>"
        f"<h1>Sweep report</h1><p>{db}: {len(rows)} points, {len(done)} done, "
        f"{len(failed)} failed.</p>"
        + grid.to_html(full_html=False, include_plotlyjs=True, div_id="objectives")
        + pareto.to_html(full_html=False, include_plotlyjs=False, div_id="pareto")
        + f"<h2>Pareto front</h2><table border='1'><tr>{head}</tr>{best}</table>"
        + "</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
