"""The real-program tests of test_exec on `--executor ray`: each job a Ray task on a real local
Ray cluster that the service starts (num_cpus = --workers, no dashboard)."""

from __future__ import annotations

import os
import shutil

import pytest
from live_support import EPOCH, SCENARIO, LiveServer
from test_exec import (  # noqa: F401  (collected here, against this module's service)
    HERE,
    PROGRAMS,
    test_a_program_past_its_memory_limit_fails_alone,
    test_a_program_runs_to_done_and_its_output_comes_down,
    test_a_program_that_ignores_sigterm_is_killed_after_grace,
    test_a_tenant_without_execute_gets_403_and_an_unknown_program_422,
    test_environment_is_clean_limits_applied_and_inputs_arrive,
    test_no_step_runs_while_its_satellite_may_not_compute,
    test_output_names_outside_the_output_are_refused,
)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The service on a local Ray cluster of 2 CPUs, with the tenants runner and plain."""
    from orbitgrid.live.tenants import add_tenant

    folder = tmp_path_factory.mktemp("exec-ray")
    for f in HERE.glob("*.py"):
        shutil.copy(f, folder / f.name)
    scenario = folder / "exec.yaml"
    scenario.write_text(SCENARIO + PROGRAMS)
    keys = folder / "keys.json"
    runner = add_tenant(keys, "runner", execute=True)
    plain = add_tenant(keys, "plain")
    os.environ["ORBITGRID_TEST_SECRET"] = "server-side secret"  # must not reach a program
    s = LiveServer(scenario, folder / "state", "--keys", str(keys), "--executor", "ray",
                   "--workers", "2")
    s.start(EPOCH)
    yield s, runner, plain
    s.stop()
    del os.environ["ORBITGRID_TEST_SECRET"]
