"""`orbitgrid verify`: the command's output and exit status, and that a broken model fails its
case (each check compares a model with a reference that does not come from the model)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import orbitgrid.physics.radiation as radiation
from orbitgrid.verify import CASES, run_cases, run_verify

QUICK = "suncatcher-rates,young-daly,starcloud-radiator,suncatcher-launch-price"


def _verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orbitgrid.cli", "verify", *args],
                          capture_output=True, text=True, timeout=300)


def test_cases_named_in_the_issue_exist():
    names = {c.name for c in CASES}
    assert {"sgp4-skyfield", "sun-direction", "eclipse-edges", "contact-edges",
            "hypatia-kuiper-rtt", "j2-drift", "suncatcher-dose",
            "eclipse-closed-forms", "ap8-points", "ap8-orbit-averages", "starcloud-radiator",
            "suncatcher-launch-price", "young-daly", "makespan", "suncatcher-rates"} <= names


def test_json_rows_name_model_reference_tolerance_source_and_pass():
    done = _verify("--only", QUICK, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["case"] for r in rows} == set(QUICK.split(","))
    for r in rows:
        assert r["passed"] is True, r
        assert r["source"] and r["tolerance"]
        assert np.isfinite(r["model"]) and np.isfinite(r["reference"])
    # the published figures themselves, copied from their sources (REFERENCES.md)
    reference = {(r["case"], r["quantity"]): r["reference"] for r in rows}
    assert reference[("suncatcher-rates", "SDC per chip-year")] == 8.8  # Suncatcher s4.3
    assert reference[("starcloud-radiator", "radiator net")] == 633.08  # Starcloud p. 9


def test_table_and_report(tmp_path):
    page = tmp_path / "verify.html"
    done = _verify("--only", "young-daly,j2-drift", "--report", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "young-daly" in done.stdout and "pass" in done.stdout
    text = page.read_text()
    assert "<svg" in text and "j2-drift" in text and "<script" not in text


def test_unknown_case_is_one_line_exit_2():
    done = _verify("--only", "no-such-case")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no-such-case" in done.stderr


def test_a_broken_radiator_model_fails_its_case(monkeypatch):
    import orbitgrid.physics.thermal as thermal

    good = thermal.rejected_power_w
    monkeypatch.setattr(thermal, "rejected_power_w", lambda *a, **k: 0.95 * good(*a, **k))
    checks = run_cases(["starcloud-radiator"], progress=False)
    assert any(c.passed is False for c in checks)
    assert run_verify("starcloud-radiator", as_json=True, progress=False) == 1


def test_a_broken_trapped_table_fails_the_ap8_case(monkeypatch):
    """Protons doubled in the stored AP8 table: AP8 evaluated directly disagrees."""
    pytest.importorskip("aep8")
    good = radiation.trapped_table("min")
    doubled = radiation.TrappedTable(**{**good.__dict__,
                                        "log_proton": good.log_proton + np.float32(np.log10(2))})
    radiation.environment_grid.cache_clear()
    monkeypatch.setattr(radiation, "trapped_table", lambda solar="min": doubled)
    try:
        checks = run_cases(["ap8-points"], progress=False)
    finally:
        radiation.environment_grid.cache_clear()
    assert any(c.passed is False for c in checks)


def test_a_missing_reference_package_is_a_skip_not_a_failure(monkeypatch):
    monkeypatch.setitem(sys.modules, "aep8", None)  # import aep8 raises ImportError
    (c, *_) = run_cases(["ap8-points"], progress=False)
    assert c.passed is None and "aep8" in c.note
    assert run_verify("ap8-points", progress=False) == 0


def test_a_case_that_raises_fails_and_the_others_still_run(monkeypatch):
    import orbitgrid.verify.cases as cases

    def broken():
        raise RuntimeError("model exploded")

    monkeypatch.setattr(cases, "CASES", [cases.Case("broken", "nowhere", broken), *cases.CASES])
    monkeypatch.setattr("orbitgrid.verify.CASES", cases.CASES)
    checks = run_cases(["broken", "young-daly"], progress=False)
    assert [c.passed for c in checks] == [False, True]
    assert "model exploded" in checks[0].note
