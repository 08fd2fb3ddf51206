"""Every figure says what it is: summary.json's keys are exactly the table of docs/figures.md,
`orbitgrid run` prints labels with units and scope (fractions in %), no run table has a column
named with an SQL keyword, and a training job's bytes_moved holds its all-reduce.

One real showcase run (an hour, two policies) through the command line serves every test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orbitgrid import simulate
from orbitgrid.figures import FIGURES, flat_keys, markdown
from orbitgrid.report.html import summary_html
from orbitgrid.results import Run
from orbitgrid.scenario import load_scenario

DOCS = Path(__file__).resolve().parents[1] / "docs" / "figures.md"


@pytest.fixture(scope="module")
def showcase(tmp_path_factory):
    """The default run (the showcase) for an hour under two policies: (stdout, run)."""
    folder = tmp_path_factory.mktemp("figures") / "showcase"
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "orbitgrid.cli", "run", "--duration", "1h", "--policy",
         "first-fit,energy-aware", "--out", str(folder)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, Run(folder)


def test_docs_figures_md_is_the_table():
    assert DOCS.read_text() == markdown(), "regenerate: python -m orbitgrid.figures docs/figures.md"


def test_every_summary_key_is_in_the_table_and_every_row_in_a_summary(showcase, tmp_path):
    _, run = showcase
    ground = simulate(load_scenario("ground-40mw", {"duration": "1h"}), out=tmp_path / "ground")
    keys = flat_keys(run.summary) | flat_keys(ground.summary)
    undocumented = {k for k in keys if k.replace("ops.policies[].", "ops.") not in FIGURES}
    assert not undocumented, f"add to orbitgrid/figures.py (docs/figures.md): {undocumented}"
    # cost.* comes from the scenario's economics (printed, not in summary.json); warnings only
    # when a run has some
    expected = {k for k in FIGURES if not k.startswith("cost.") and k != "warnings"}
    assert expected - keys == set(), "rows of docs/figures.md that no summary has"
    # with two policies, each has the space OS figures under ops.policies[]
    assert {k for k in keys if k.startswith("ops.policies[].")} == {
        "ops.policies[]." + k[4:] for k in expected
        if k.startswith("ops.") and not k.startswith("ops.ground_baseline")}


def test_run_prints_labels_units_and_scope(showcase):
    out, run = showcase
    ops = run.summary["ops"]
    for raw in ("throttled_hours", "goodput_fraction", "useful_flop_per_day", "mean_compute_w"):
        assert raw not in out  # keys are for programs; people read labels
    lines = out.splitlines()

    def row(label):
        line = next(x for x in lines if label in x)
        return [c.strip() for c in line.split("│")[1:-1]]

    # fractions in % everywhere, the same way: the summary's 0-1 value times 100
    busy = row("allowed compute that was busy, whole fleet")
    assert busy[1:] == [f"{100 * p['utilisation']:.3g}%" for p in ops["policies"]]
    assert row("busy compute that went to kept work")[1].endswith("%")
    assert row("work of completed jobs, whole fleet")[1].endswith(" FLOP/day")
    shell = next(c for c in run.summary["physics"]["constellations"] if c["name"] == "shell")
    throttled = row("shell: time throttled by power or heat, sum over its satellites")
    hours = float(throttled[-1].removesuffix(" h").replace(",", ""))
    assert hours == pytest.approx(shell["throttled_hours"], rel=1e-3)
    assert row("shell: compute power drawn, mean per satellite")[-1].endswith(" W")
    assert any(line.startswith("shows: ") for line in lines)


def test_report_says_which_flop_is_which(showcase):
    _, run = showcase
    page = summary_html(run)
    assert "compute of the step, whole run, all satellites" in page
    assert "work of completed jobs, whole fleet" in page
    assert '"flop"' not in page  # the waterfall is a table of its own, not JSON in a cell


def test_no_column_is_named_with_an_sql_keyword(showcase):
    _, run = showcase
    reserved = {k for (k,) in duckdb.sql(
        "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'"
    ).fetchall()}
    assert "end" in reserved
    for name in run.tables:
        columns = pq.read_schema(run.path / f"{name}.parquet").names
        assert not reserved & set(columns), (name, reserved & set(columns))
    took = run.query("select max(epoch(end_time - start_time)) as longest_s from jobs")
    assert took.to_pylist()[0]["longest_s"] > 0


def test_a_training_job_counts_its_all_reduce_in_bytes_moved(showcase):
    _, run = showcase
    moved = run.query(
        "select j.policy, j.bytes_moved, sum(t.bytes) as ring from jobs j join transfers t "
        "on t.job = j.job and t.policy = j.policy and t.kind = 'allreduce' "
        "where j.kind = 'training' group by all").to_pylist()
    assert len(moved) == 2  # one training job per policy, each with an all-reduce
    for row in moved:
        assert row["ring"] > 0 and row["bytes_moved"] >= row["ring"], row
    summary = json.loads((run.path / "summary.json").read_text())
    assert summary["ops"]["bytes_moved"] >= moved[0]["ring"]
