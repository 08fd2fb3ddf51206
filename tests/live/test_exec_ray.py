"""The real-program tests of test_exec on `--executor ray`: each job a Ray task on a real local
Ray cluster that the service starts (num_cpus = --workers, no dashboard)."""

from __future__ import annotations

import os

import pytest
from test_exec import (  # noqa: F401  (collected here, against this module's service)
    start_service,
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
    s, runner, plain = start_service(tmp_path_factory.mktemp("exec-ray"), "--executor", "ray",
                                     "--workers", "2")
    yield s, runner, plain
    s.stop()
    del os.environ["ORBITGRID_TEST_SECRET"]
