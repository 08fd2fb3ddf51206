"""orbitgrid.live.replay and report.loss on a small hand-made job: twin times of the logged
steps, the step time, the shadow merged over the satellites the job ran on."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import numpy as np
import pytest

from orbitgrid.live.replay import program_run, step_twin_s
from orbitgrid.report.loss import loss_svg, running_mean

EPOCH = datetime(2026, 6, 21, tzinfo=UTC)
SPEED = 100.0
# the clock: twin 600 s (00:10) at wall 1000 s, so twin = 600 + 100 x (wall - 1000)
JOB = {
    "id": "j1", "submitted": "2026-06-21T00:10:00Z", "end": "2026-06-21T01:00:00Z",
    "execution": {"running_twin_s": 40.0, "lost_twin_s": 0.0},
    "history": [
        {"state": "queued", "twin_time": "2026-06-21T00:10:00Z", "wall_time": 1000.0,
         "action": None, "detail": None},
        {"state": "running", "twin_time": "2026-06-21T00:10:00Z", "wall_time": 1000.0,
         "action": "start", "detail": {"satellite": "a"}},
        {"state": "running", "twin_time": "2026-06-21T00:11:00Z", "wall_time": 1000.6,
         "action": "pause", "detail": {"satellite": "a", "reason": "eclipse"}},
        {"state": "running", "twin_time": "2026-06-21T00:20:00Z", "wall_time": 1006.0,
         "action": "migrate", "detail": {"from": "a", "to": "b"}},
        {"state": "running", "twin_time": "2026-06-21T00:20:00Z", "wall_time": 1006.0,
         "action": "resume", "detail": {"satellite": "b"}},
    ]}
LOSS = """step,loss,wall_time,satellite
1,5.5,1000.1,a
2,5.0,1000.2,a
3,4.5,1000.3,a
4,4.0,1006.1,b
5,3.5,1006.3,b
"""
EVENTS = [
    {"type": "eclipse_in", "satellite": "a", "twin_time": "2026-06-21T00:20:00Z"},
    {"type": "eclipse_out", "satellite": "a", "twin_time": "2026-06-21T00:40:00Z"},
    {"type": "eclipse_in", "satellite": "b", "twin_time": "2026-06-21T00:30:00Z"},
    {"type": "eclipse_out", "satellite": "b", "twin_time": "2026-06-21T00:50:00Z"},
    {"type": "eclipse_in", "satellite": "c", "twin_time": "2026-06-21T00:55:00Z"},  # not its
    {"type": "upset", "satellite": "b", "twin_time": "2026-06-21T00:45:00Z"},
]


def test_a_program_run_is_read_back_in_twin_time():
    run = program_run(JOB, LOSS, EVENTS, EPOCH, SPEED)
    assert run.submitted_s == 600.0 and run.end_s == 3600.0 and run.steps == 5
    # twin = 600 + 100 x (wall - 1000)
    assert run.twin_s == pytest.approx([610.0, 620.0, 630.0, 1210.0, 1230.0])
    # a and b in the shadow 00:20-00:40 and 00:30-00:50: one interval, 1200-3000 s; c's not
    assert run.eclipses == ((1200.0, 3000.0),)
    assert run.faults == ((2700.0, "upset", "b"),)
    assert run.when("migrate") == [1200.0]
    # steps 1-2, 2-3 (10 s each) and 4-5 (20 s): 3-4 spans the pause, 40 / 3 s
    assert step_twin_s(run) == pytest.approx(40.0 / 3)


def test_the_loss_plot_shades_the_shadow_and_marks_the_history():
    svg = ET.fromstring(loss_svg(program_run(JOB, LOSS, EVENTS, EPOCH, SPEED)))
    ns = "{http://www.w3.org/2000/svg}"
    assert len([r for r in svg.iter(f"{ns}rect") if r.get("fill") == "#bbbbbb"]) == 1
    assert len([ln for ln in svg.iter(f"{ns}line") if ln.get("stroke-dasharray")]) == 2
    # the lines break at the pause: two pieces for the loss, two for its mean
    assert len(list(svg.iter(f"{ns}polyline"))) == 4


def test_running_mean():
    assert running_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2) == pytest.approx([1, 1.5, 2.5, 3.5])


def test_a_job_without_history_is_refused():
    with pytest.raises(ValueError, match="history"):
        program_run({**JOB, "history": []}, LOSS, EVENTS, EPOCH, SPEED)
