"""`run`, `validate` and `scenarios`: simulate a scenario and present its figures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orbitgrid.cli.base import (
    DEFAULT_SCENARIO,
    DURATION,
    ON_BAD_ELEMENTS,
    SCENARIO,
    STEP,
    console,
    fail,
    load,
    print_warnings,
)
from orbitgrid.results import OPTIONAL_TABLES

if TYPE_CHECKING:
    from orbitgrid.results import Run


def run(
    scenario: Annotated[str, SCENARIO] = DEFAULT_SCENARIO,
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default runs/<name>-<UTC time>).")
    ] = None,
    duration: Annotated[str | None, DURATION] = None,
    step: Annotated[str | None, STEP] = None,
    save: Annotated[
        list[str], typer.Option(help=f"Extra table to write: {', '.join(OPTIONAL_TABLES)}.")
    ] = [],  # noqa: B006
    report: Annotated[
        bool, typer.Option("--report", help="Write RUN/report.html at the end.")
    ] = False,
    policy: Annotated[
        str | None,
        typer.Option(help="Placement policies to compare, comma-separated: built-in names or "
                     "module:Class (overrides workload.policy)."),
    ] = None,
    on_bad_elements: Annotated[str | None, ON_BAD_ELEMENTS] = None,
) -> None:
    """Simulate a scenario and write its run folder."""
    from orbitgrid.cli.progress import simulate_shown

    sc = load(scenario, duration, step, on_bad_elements)
    if policy is not None:
        sc = _with_policy(sc, policy)
    for name in save:
        if name not in OPTIONAL_TABLES:
            fail(f"--save: unknown table {name!r} (choose from {', '.join(OPTIONAL_TABLES)})")
    if out is not None and out.exists():
        fail(f"--out: {out} already exists")
    started = time.perf_counter()
    result = simulate_shown(sc, out, save)
    print_warnings(result.summary.get("warnings", []))
    _print_summary(result, time.perf_counter() - started)
    _print_highlights(result, sc)
    _print_shows(result.summary)
    _print_next(result, scenario, sc.step, duration)
    if report:
        from orbitgrid.report import write_report

        console.print(f"wrote {write_report(result)}")


def _with_policy(sc, policy: str):
    """The scenario with workload.policy replaced; every policy checked before the run."""
    from orbitgrid.ops import Workload, load_policy

    if sc.workload is None and sc.jobs_file is None:
        fail("--policy: the scenario has no workload: or jobs_file:")
    for name in policy.split(","):
        load_policy(name.strip(), where="--policy")
    workload = (sc.workload or Workload()).model_copy(update={"policy": policy})
    return sc.model_copy(update={"workload": workload})


# the space OS figures a run prints, one column per policy (orbitgrid.figures has them all)
OPS_FIGURES = ("jobs", "completed", "unfinished", "deadline_misses", "utilisation",
               "goodput_fraction", "useful_flop_per_day", "completion_p50_s", "completion_p99_s",
               "energy_per_job_j", "work_lost_to_faults_flop", "bytes_moved", "migrations")


def _print_ops(ops: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    from orbitgrid.figures import figure, format_figure

    policies = ops.get("policies", [ops])
    table = Table(title="space OS (one column per placement policy)")
    table.add_column("figure")
    for p in policies:
        table.add_column(p["policy"], justify="right")
    for key in OPS_FIGURES:
        fig = figure(f"ops.{key}")
        table.add_row(escape(fig.title), *(format_figure(p.get(key), fig) for p in policies))
    console.print(table)
    for b in ops["binding_constraints"]:
        if b["binding"] is None:
            console.print(f"{b['group']}: {b['note']}, not in the waterfall", highlight=False)
        else:
            console.print(f"{b['group']}: binding constraint {b['binding']} "
                          f"(lost {100 * b['lost_fraction']:.0f}% of its peak compute)",
                          highlight=False)


def _print_summary(result: Run, seconds: float) -> None:
    from rich.table import Table

    s = result.summary
    table = Table(
        title=f"{s['name']}: {s['duration_s'] / 3600:g} h from {s['epoch']} at {s['step_s']:g} s",
        caption="in shadow: share of time, mean per satellite; contacts and hours: sums over "
                "the constellation's satellites",
    )
    for column in ("constellation", "satellites", "in shadow (%)", "ground contacts",
                   "contact hours"):
        table.add_column(column, justify="left" if column == "constellation" else "right")
    for c in s["constellations"]:
        table.add_row(
            c["name"],
            str(c["satellites"]),
            f"{100 * c['shadow_fraction']:.1f}%",
            f"{c['contacts']:,}",
            f"{c['contact_hours']:.1f}",
        )
    console.print(table)
    if "ops" in s:
        _print_ops(s["ops"])
    if s["propagation_errors"]:
        console.print(
            f"[yellow]{s['propagation_errors']} satellites failed to propagate; "
            "see the satellites table[/]"
        )
    console.print(f"wrote {result.path} ({', '.join(result.tables)}) in {seconds:.1f} s")


def _print_highlights(result: Run, sc) -> None:
    """The run's main figures by section: power, network, sensing and cost."""
    from rich.markup import escape
    from rich.table import Table

    from orbitgrid.cli.compare import with_cost
    from orbitgrid.compare import highlights

    rows = highlights(with_cost(result.summary, sc))
    if not rows:
        return
    table = Table("section", "figure", "value", title=f"{result.summary['name']}: figures",
                  caption="every figure's key, unit and scope: docs/figures.md")
    section = None
    for r in rows:
        table.add_row(r.section if r.section != section else "", escape(r.label), r.shown(r.a))
        section = r.section
    console.print(table)


def _print_shows(summary: dict) -> None:
    """One line: what the run's space OS shows (runs with a workload)."""
    ops = summary.get("ops")
    if ops is None:
        return
    policies = ops.get("policies", [ops])
    busy = ", ".join(f"{p['policy']} {100 * p['utilisation']:.0f}%" for p in policies)
    missed = ", ".join(f"{p['policy']} {p['deadline_misses']:,}" for p in policies)
    console.print(
        f"shows: {ops['jobs']:,} jobs placed on {summary['satellites']} satellites whose power, "
        f"heat, links and upsets change by the step; allowed compute busy: {busy}; deadlines "
        f"missed: {missed}"
        + ("" if len(policies) > 1 else
           " (compare placements: --policy first-fit,energy-aware,follow-the-sun)"),
        highlight=False, soft_wrap=True)


def _print_next(result: Run, scenario: str, step_s: float, duration: str | None) -> None:
    """The commands that open the run next, with its own path."""
    import shlex

    run = shlex.quote(str(result.path))
    runs = shlex.quote(str(result.path.parent))
    lines = [f"orbitgrid report {run}", f"orbitgrid serve --runs {runs}"]
    if "contacts" in result.tables:
        lines.append(f"orbitgrid query {run} \"select station, count(*) as passes, "
                     "round(sum(duration_s) / 60) as minutes from contacts group by station\"")
    again = f" --duration {shlex.quote(duration)}" if duration is not None else ""
    lines.append(f"orbitgrid compare {run} {shlex.quote(scenario)}{again} --step {2 * step_s:g}s")
    console.print("next: an HTML report, the dashboard and 3D globe, SQL over the tables, and "
                  "this run against the same scenario at twice the step:", highlight=False)
    for line in lines:
        console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


def validate(
    scenario: Annotated[str, SCENARIO],
    on_bad_elements: Annotated[str | None, ON_BAD_ELEMENTS] = None,
) -> None:
    """Check a scenario without running it."""
    from orbitgrid.budget import check_fits, estimate_run
    from orbitgrid.fleet import build_fleet

    sc = load(scenario, on_bad_elements=on_bad_elements)
    estimate = estimate_run(sc) if sc.constellations else None
    if estimate is not None:
        check_fits(estimate)  # before the fleet is built: that alone may not fit
    fleet = build_fleet(sc)
    stations = len(sc.stations())
    print_warnings(fleet.warnings)
    # plain lines (click): validate answers without loading rich
    typer.echo(f"{scenario}: ok ({len(fleet)} satellites, {stations} ground stations, "
               f"{sc.duration / 3600:g} h at {sc.step:g} s)")
    if estimate is not None:
        typer.echo(f"estimate: {estimate.describe()}")


def scenarios() -> None:
    """List the built-in scenarios."""
    from rich.table import Table

    from orbitgrid.scenario import preset_names, preset_path

    table = Table("preset", "description")
    for name in preset_names():
        first = preset_path(name).read_text().splitlines()[0].lstrip("# ").strip()
        table.add_row(name, first)
    console.print(table)


