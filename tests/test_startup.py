"""An answer in one second (issue 17): `orbitgrid --help` and `orbitgrid validate` load none of
the heavy packages; the commands that use them import them themselves.

Each check runs in a fresh interpreter (a real subprocess) and reads its sys.modules. No timing
is asserted here: benchmarks/bench_startup.py measures the times.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap

import pytest

# Packages that only the commands using them may import: the sweep runner, plots, the web app,
# SQL, the network stack and compiled kernels, Parquet, verification's references.
HEAVY = ("ray", "plotly", "fastapi", "uvicorn", "duckdb", "pyarrow", "numba", "llvmlite",
         "scipy", "networkx", "optuna", "skyfield", "aep8", "httpx")
# The modules of orbitgrid that bring them, or are whole runs: never loaded to answer these.
ENGINE = ("orbitgrid.simulation", "orbitgrid.pipeline", "orbitgrid.network.isl",
          "orbitgrid.network.routing", "orbitgrid.orbits.trajectory", "orbitgrid.sweep",
          "orbitgrid.report", "orbitgrid.web", "orbitgrid.verify", "orbitgrid.ops.engine")
# A terminal's formatting: typer's rich help brings markdown-it and pygments. --help is click's
# plain help, and validate's lines and the one-line errors and warnings are click's too.
RICH = ("rich", "markdown_it", "pygments")


def loaded_after(code: str) -> set[str]:
    """The top-level packages and orbitgrid modules in sys.modules after code, run in a fresh
    interpreter."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import json, sys
        names = {m.split(".")[0] for m in sys.modules}
        names |= {m for m in sys.modules if m.startswith("orbitgrid.")}
        print("\\nLOADED " + json.dumps(sorted(names)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    line = done.stdout.rsplit("LOADED ", 1)[1]
    return set(json.loads(line))


def heavy_in(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if m in HEAVY or m.startswith(ENGINE))


def _command(*argv: str) -> str:
    return f"""
        from orbitgrid.cli import app
        try:
            app({list(argv)!r})
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
    """


def test_importing_the_cli_loads_nothing_heavy():
    loaded = loaded_after("import orbitgrid.cli")
    assert "orbitgrid.cli" in loaded
    assert heavy_in(loaded) == []


def test_importing_orbitgrid_loads_nothing_heavy_until_a_name_is_used():
    assert heavy_in(loaded_after("import orbitgrid")) == []
    loaded = loaded_after("import orbitgrid\norbitgrid.simulate")
    assert {"orbitgrid.simulation", "pyarrow"} <= loaded


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["validate", "showcase"],
                                  ["validate", "demo"], ["scenarios"]],
                         ids=lambda a: " ".join(a))
def test_quick_commands_load_nothing_heavy(argv):
    loaded = loaded_after(_command(*argv))
    assert heavy_in(loaded) == []


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["validate", "showcase"]],
                         ids=lambda a: " ".join(a))
def test_help_and_validate_load_no_rich(argv):
    assert sorted(m for m in loaded_after(_command(*argv)) if m in RICH) == []


def test_a_table_still_loads_rich():
    """The check can fail: `scenarios` prints a rich table."""
    assert "rich" in loaded_after(_command("scenarios"))


def test_plain_help_lists_each_command_with_its_whole_first_sentence():
    """click's plain formatter cuts a command's help at the width with '...'; ours wraps it."""
    done = subprocess.run([sys.executable, "-m", "orbitgrid.cli", "--help"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    listing = done.stdout.split("Commands:")[1]
    assert "..." not in listing and "╭" not in done.stdout
    listing = " ".join(listing.split())
    assert ("query Run SQL over a run's tables with DuckDB (read-only: it writes no file). "
            "compare Two runs") in listing
    assert listing.endswith("keys API keys of the live service's tenants.")


def test_ops_names_are_those_of_their_modules():
    """orbitgrid.ops imports its public names on first use; each is its module's object, and
    importing ops.jobs (the scenario's workload schema) leaves the engine unloaded."""
    loaded = loaded_after("import orbitgrid.ops.jobs")
    assert "orbitgrid.ops.jobs" in loaded and "orbitgrid.ops.engine" not in loaded
    import orbitgrid.ops
    from orbitgrid.ops import engine, job_state, jobs, policies, timelines

    assert orbitgrid.ops.Engine is engine.Engine and orbitgrid.ops.run_ops is engine.run_ops
    assert orbitgrid.ops.StateChange is job_state.StateChange
    assert orbitgrid.ops.Workload is jobs.Workload
    assert orbitgrid.ops.load_policy is policies.load_policy
    assert orbitgrid.ops.young_daly_s is timelines.young_daly_s
    assert all(hasattr(orbitgrid.ops, name) for name in orbitgrid.ops.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        orbitgrid.ops.Nothing  # noqa: B018


def test_the_check_can_fail():
    """Loading the engine is seen: the pipeline brings numba, scipy (ISL layouts) and more."""
    loaded = heavy_in(loaded_after("import orbitgrid.pipeline"))
    assert {"numba", "scipy", "orbitgrid.pipeline", "orbitgrid.network.isl"} <= set(loaded)


def test_a_cold_kernel_cache_is_said_once(tmp_path):
    """With an empty numba cache (a fresh install) the first run says it compiles; the kernels
    it compiled are cached, so the second run says nothing and takes a fraction of the CPU
    time (compiling is most of a short run's work)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    said, cpu_s = [], []
    for k in (1, 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "orbitgrid.cli", "run", "demo", "--duration", "10min",
             "--out", str(tmp_path / f"run{k}")],
            capture_output=True, text=True, timeout=600, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr
        said.append("compiling kernels (once per install)..." in done.stderr)
        cpu_s.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    assert said == [True, False]
    assert any((tmp_path / "numba-cache").rglob("*.nbi"))
    assert cpu_s[1] < cpu_s[0] / 2, cpu_s


def test_scenarios_read_by_libyaml_are_what_pyyaml_reads():
    """load_scenario reads YAML with libyaml, the faster path: every preset's data is PyYAML's."""
    import yaml

    from orbitgrid.scenario import _read_yaml, preset_names, preset_path

    for name in preset_names():
        text = preset_path(name).read_text(encoding="utf-8")
        assert _read_yaml(text) == yaml.safe_load(text), name


def test_a_yaml_syntax_error_names_the_character(tmp_path):
    """On a syntax error the message is PyYAML's, which names the character (libyaml's does
    not); one line, exit 2."""
    bad = tmp_path / "tabbed.yaml"
    bad.write_text("name: x\n\tduration: 1h\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "orbitgrid.cli", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: {bad}:2: YAML syntax error: found character '\\t' "
                                   "that cannot start any token")
