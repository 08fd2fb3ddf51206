"""A program's loss curve against twin time as a static SVG (no plotting dependency): the loss
per step, its running mean, the Earth's shadow shaded, and the job's history marked (upsets,
interrupts, migrations, restarts after a pause)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import numpy as np

if TYPE_CHECKING:
    from orbitgrid.live.replay import ProgramRun

WIDTH, HEIGHT = 900, 400
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 40, 90
MEAN_STEPS = 50  # steps in the running mean
GAP_STEPS = 10  # a gap of more than this many typical steps breaks the line
MARKS = {  # history action -> (colour, legend text)
    "upset": ("#d62728", "upset: killed, restarted from its checkpoint"),
    "interrupt": ("#ff7f0e", "interrupt: satellite down"),
    "migrate": ("#1f77b4", "migration over the optical link"),
    "resume": ("#2ca02c", "resumed after an eclipse pause"),
}


def running_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last min(n, i + 1) values at each i."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(i - n, 0)
    return (c[i] - c[lo]) / (i - lo)


def loss_svg(run: ProgramRun, title: str | None = None) -> str:
    """The SVG text: x twin hours after submission, y loss in nats per byte."""
    t0 = run.submitted_s
    t_end = run.end_s if np.isfinite(run.end_s) else float(run.twin_s.max())
    span_h = max((t_end - t0) / 3600.0, 1e-3)
    top = float(np.ceil(run.loss.max() * 2) / 2)
    w, h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t_s):
        return LEFT + w * (np.asarray(t_s) - t0) / 3600.0 / span_h

    def y(v):
        return TOP + h * (1 - np.asarray(v) / top)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    text = title or (f"{run.job_id}: loss per step against twin time ({run.steps:,} steps, "
                     f"speed {run.speed:g})")
    out.append(f'<text x="{LEFT}" y="22" font-size="14">{escape(text)}</text>')
    for a, b in run.eclipses:  # shadow
        a, b = max(a, t0), min(b, t_end)
        if b > a:
            out.append(f'<rect x="{x(a):.1f}" y="{TOP}" width="{x(b) - x(a):.1f}" '
                       f'height="{h}" fill="#bbbbbb" fill-opacity="0.45"/>')
    for k in range(int(top * 2) + 1):  # y grid and ticks every 0.5
        v = k / 2
        out.append(f'<line x1="{LEFT}" x2="{LEFT + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="#eeeeee"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" '
                   f'text-anchor="end">{v:g}</text>')
    every_h = next(s for s in (0.25, 0.5, 1, 2, 4, 6, 12, 24, 48) if span_h / s <= 12)
    for k in range(int(span_h / every_h) + 1):
        hx = x(t0 + k * every_h * 3600.0)
        out.append(f'<line x1="{hx:.1f}" x2="{hx:.1f}" y1="{TOP + h}" y2="{TOP + h + 5}" '
                   f'stroke="black"/><text x="{hx:.1f}" y="{TOP + h + 18}" '
                   f'text-anchor="middle">{k * every_h:g}</text>')
    out.append(f'<text x="{LEFT + w / 2}" y="{TOP + h + 34}" text-anchor="middle">twin time '
               f'after submission (h); grey: in the Earth\'s shadow</text>')
    out.append(f'<text transform="translate(16 {TOP + h / 2}) rotate(-90)" '
               f'text-anchor="middle">loss (nats per byte)</text>')
    # the lines break where the process did not run (a pause, a restart's start-up)
    dt = np.diff(run.twin_s)
    cut = np.flatnonzero(dt > GAP_STEPS * np.median(dt)) + 1 if len(dt) else []
    mean = running_mean(run.loss, MEAN_STEPS)
    for values, colour, width in ((run.loss, "#9ecae1", 0.8), (mean, "#08306b", 1.8)):
        for tt, vv in zip(np.split(x(run.twin_s), cut), np.split(y(values), cut), strict=True):
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(tt, vv, strict=True))
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                       f'stroke-width="{width}"/>')
    for action, (colour, _) in reversed(MARKS.items()):  # migrations and upsets on top
        for t in run.when(action):
            out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{TOP}" y2="{TOP + h}" '
                       f'stroke="{colour}" stroke-width="1.4" stroke-dasharray="4 3"/>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{w}" height="{h}" fill="none" '
               f'stroke="black"/>')
    legend = [("#9ecae1", "loss per step"), ("#08306b", f"mean of {MEAN_STEPS} steps"),
              *MARKS.values()]
    for k, (colour, label) in enumerate(legend):
        lx, ly = LEFT + (k % 3) * 280, HEIGHT - 28 + (k // 3) * 16
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2"/><text x="{lx + 24}" y="{ly}" '
                   f'font-size="11">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
