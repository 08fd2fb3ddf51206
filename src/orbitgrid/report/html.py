"""The HTML report: one self-contained file (plotly.js inline) that opens offline."""

from __future__ import annotations

import html
import json
from pathlib import Path

import plotly.io as pio
import pyarrow.parquet as pq
from plotly.offline import get_plotlyjs

from orbitgrid.figures import figure, format_figure
from orbitgrid.report.plots import Plot, chosen_satellites, plots
from orbitgrid.results import Run

# Rows shown of a table that no plot draws.
PREVIEW_ROWS = 20
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em;
       color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.plot { margin: 1em 0; } .muted { color: #777; font-size: 0.9em; }
"""


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return html.escape(json.dumps(value))
    return html.escape(str(value))


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p class=muted>none</p>"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(c, ''))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(run: Run) -> str:
    """The scenario summary: each figure with what it is, its unit and scope (docs/figures.md);
    the scalars first, then each list of records (constellations, routes, waterfall...) as its
    own table."""
    parts = ["<h2 id=summary>Scenario summary</h2>",
             _table(list(_scalar_rows(run.summary, ""))),
             "<p class=muted>Fractions in %. Each figure's key, unit and scope: "
             "docs/figures.md.</p>"]
    for key, items in _record_lists(run.summary, ""):
        pattern = f"{key}[]."
        columns = [k for k in dict.fromkeys(k for x in items for k in x)
                   if not isinstance(items[0].get(k), list | dict)]
        rows = [{figure(pattern + c).title: format_figure(x.get(c), figure(pattern + c))
                 for c in columns} for x in items]
        parts += [f"<h3>{html.escape(key)}</h3>", _table(rows)]
    return "\n".join(parts)


def _scalar_rows(block: dict, prefix: str):
    """(figure, key, value) of every scalar of a summary, nested blocks included."""
    for k, v in block.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _scalar_rows(v, key + ".")
        elif not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v)):
            fig = figure(key)
            shown = ", ".join(map(str, v)) if isinstance(v, list) else format_figure(v, fig)
            yield {"figure": fig.title, "key": key, "value": shown}


def _record_lists(block: dict, prefix: str):
    """(key, items) of every list of records of a summary, nested blocks included."""
    for k, v in block.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _record_lists(v, key + ".")
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            yield key, v


def tables_html(run: Run, plotted: set[str]) -> str:
    """Every table: rows and columns; the first rows of those no plot draws."""
    parts = ["<h2 id=tables>Tables</h2>"]
    for name in run.tables:
        meta = pq.ParquetFile(run.path / f"{name}.parquet")
        columns = ", ".join(meta.schema_arrow.names)
        parts.append(
            f"<h3>{html.escape(name)}</h3><p class=muted>{meta.metadata.num_rows} rows: "
            f"{html.escape(columns)}</p>"
        )
        if name not in plotted and name not in ("ephemeris", "satellites"):
            rows = run.query(f'select * from "{name}" limit {PREVIEW_ROWS}').to_pylist()
            parts.append(_table(rows))
    return "\n".join(parts)


def plot_html(plot: Plot) -> str:
    div = pio.to_html(
        plot.figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"plot-{plot.key}",
        config=PLOT_CONFIG,
    )
    return f'<div class=plot data-title="{html.escape(plot.title)}">{div}</div>'


def report_body(run: Run, satellites: list[str] | None = None) -> str:
    """The report without page chrome: summary, plots, tables."""
    found = plots(run, satellites)
    chosen = ", ".join(chosen_satellites(run, satellites))
    return "\n".join(
        [
            summary_html(run),
            "<h2 id=plots>Plots</h2>",
            f"<p class=muted>Chosen satellites: {html.escape(chosen)}</p>",
            *(plot_html(p) for p in found),
            tables_html(run, {p.table for p in found}),
        ]
    )


def report_html(run: Run, satellites: list[str] | None = None) -> str:
    """The whole report as one HTML page with plotly.js inline."""
    title = f"orbitgrid report: {run.summary['name']}"
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=muted>{html.escape(str(run.path))}</p>"
        f"{report_body(run, satellites)}</body></html>\n"
    )


def write_report(
    run: Run, out: str | Path | None = None, satellites: list[str] | None = None
) -> Path:
    """Write the report (default RUN/report.html) and return its path."""
    path = Path(out) if out is not None else run.path / "report.html"
    path.write_text(report_html(run, satellites), encoding="utf-8")
    return path
