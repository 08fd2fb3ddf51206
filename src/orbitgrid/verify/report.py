"""verify.html: the checks as one offline page, the plots as inline SVG (no scripts, no network)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orbitgrid.verify.cases import Check

__all__ = ["write_report"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}
.pass{color:#070}.fail{color:#b00;font-weight:bold}.skip{color:#a60}
figure{display:inline-block;margin:1em}figcaption{font-size:13px}"""
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def write_report(checks: list[Check], path: Path) -> None:
    """Write the page to path (the folder must exist); one row per check, then the plots."""
    rows = []
    for c in checks:
        verdict = {True: ("pass", "pass"), False: ("fail", "FAIL"), None: ("skip", "skip")}
        cls, word = verdict[c.passed]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (
            c.case, c.quantity, _fmt(c.model, c.unit), _fmt(c.reference, c.unit), c.tolerance))
            + f'<td class="{cls}">{word} {html.escape(c.note)}</td>'
            f"<td>{html.escape(c.source)}</td></tr>")
    plots = [_svg(c) for c in checks if c.plot]
    failed = sum(c.passed is False for c in checks)
    body = (f"<h1>orbitgrid verify</h1><p>{len(checks)} checks, {failed} failed.</p>"
            "<table><tr><th>case</th><th>quantity</th><th>model</th><th>reference</th>"
            "<th>tolerance</th><th>result</th><th>source</th></tr>" + "".join(rows)
            + "</table>" + "".join(plots))
    Path(path).write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>orbitgrid "
                          f"verify</title><style>{_STYLE}</style></head><body>{body}</body>"
                          "</html>\n", encoding="utf-8")


def _fmt(x: float | None, unit: str) -> str:
    return "-" if x is None else f"{x:.6g} {unit}".strip()


def _svg(c: Check, width: int = 480, height: int = 240) -> str:
    """A line plot of c.plot's series over x (and optional reference points)."""
    p = c.plot or {}
    x = [float(v) for v in p.get("x", [])]
    series = {k: [float(v) for v in ys] for k, ys in p.get("series", {}).items()}
    points = {k: ([float(v) for v in xs], [float(v) for v in ys])
              for k, (xs, ys) in p.get("points", {}).items()}
    ys_all = [v for ys in series.values() for v in ys if math.isfinite(v)]
    ys_all += [v for _, ys in points.values() for v in ys]
    if not x or not ys_all:
        return ""
    x0, x1 = min(x), max(x)
    y0, y1 = min(ys_all), max(ys_all)
    y1 = y1 if y1 > y0 else y0 + 1.0
    x1 = x1 if x1 > x0 else x0 + 1.0
    m = 40

    def sx(v):
        return m + (v - x0) / (x1 - x0) * (width - 2 * m)

    def sy(v):
        return height - m - (v - y0) / (y1 - y0) * (height - 2 * m)

    parts = [f'<rect x="{m}" y="{m}" width="{width - 2 * m}" height="{height - 2 * m}" '
             'fill="none" stroke="#999"/>',
             f'<text x="{m}" y="{height - 8}" font-size="11">{x0:.4g}</text>',
             f'<text x="{width - m}" y="{height - 8}" font-size="11" text-anchor="end">'
             f'{x1:.4g} {html.escape(p.get("x_label", ""))}</text>',
             f'<text x="2" y="{m}" font-size="11">{y1:.4g}</text>',
             f'<text x="2" y="{height - m}" font-size="11">{y0:.4g}</text>']
    for k, (name, ys) in enumerate(series.items()):
        pts = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(x, ys, strict=False)
                       if math.isfinite(b))
        colour = _COLOURS[k % len(_COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" points="{pts}"/>')
        parts.append(f'<text x="{m + 4}" y="{m + 14 + 14 * k}" font-size="11" '
                     f'fill="{colour}">{html.escape(name)}</text>')
    for k, (name, (xs, ys)) in enumerate(points.items(), start=len(series)):
        colour = _COLOURS[k % len(_COLOURS)]
        parts += [f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="3" fill="{colour}"/>'
                  for a, b in zip(xs, ys, strict=True)]
        parts.append(f'<text x="{m + 4}" y="{m + 14 + 14 * k}" font-size="11" '
                     f'fill="{colour}">{html.escape(name)}</text>')
    title = html.escape(f"{c.case}: {p.get('title', c.quantity)}")
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            + "".join(parts) + f"</svg><figcaption>{title}</figcaption></figure>")
