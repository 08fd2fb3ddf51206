"""The round-trip time of one route over a run's span, as a figure (`orbitgrid route --plot`)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from orbitgrid.errors import OrbitgridError

ROUTE_PLOT_SUFFIXES = (".html", ".png")


def route_figure(report: dict) -> go.Figure:
    """RTT (ms) against minutes from the start, with the fibre RTT when the report has one.

    report is network.stage.route_report's: from, to, t_s, rtt_ms and maybe fibre_rtt_ms.
    """
    fig = go.Figure(go.Scatter(x=report["t_s"] / 60, y=report["rtt_ms"], mode="lines", name="RTT"))
    if "fibre_rtt_ms" in report:
        fig.add_hline(y=report["fibre_rtt_ms"], line_dash="dot", annotation_text="fibre")
    fig.update_layout(
        title=f"{report['from']} -> {report['to']}", xaxis_title="minutes", yaxis_title="RTT (ms)"
    )
    return fig


def write_route_plot(report: dict, path: str | Path) -> Path:
    """Write route_figure to path: a self-contained .html page, or a .png (needs kaleido)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ROUTE_PLOT_SUFFIXES:
        raise OrbitgridError(f"{path}: a route plot must end in .html or .png")
    fig = route_figure(report)
    if suffix == ".html":
        fig.write_html(path, include_plotlyjs=True)
        return path
    try:
        fig.write_image(path)
    except (ImportError, ValueError, RuntimeError) as exc:
        raise OrbitgridError(
            f"{path}: cannot write PNG ({str(exc).splitlines()[0]}); use .html"
        ) from None
    return path
