"""Reports of a run: an HTML report with plots, CZML for CesiumJS and CCSDS OEM files."""

from orbitgrid.report.czml import czml_document, czml_summary, globe_czml, write_czml
from orbitgrid.report.html import report_body, report_html, write_report
from orbitgrid.report.oem import read_oem, write_oem
from orbitgrid.report.plots import Plot, chosen_satellites, plots
from orbitgrid.report.route import ROUTE_PLOT_SUFFIXES, route_figure, write_route_plot
from orbitgrid.report.tracks import Decimation, Tracks, run_tracks

__all__ = [
    "Decimation",
    "Plot",
    "ROUTE_PLOT_SUFFIXES",
    "Tracks",
    "chosen_satellites",
    "czml_document",
    "czml_summary",
    "globe_czml",
    "plots",
    "read_oem",
    "report_body",
    "report_html",
    "route_figure",
    "run_tracks",
    "write_czml",
    "write_oem",
    "write_report",
    "write_route_plot",
]
