"""The `orbitgrid` command: parse, call the library, present."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from orbitgrid.errors import ScenarioError
from orbitgrid.fleet import build_fleet
from orbitgrid.results import Run
from orbitgrid.scenario import load_scenario, preset_names, preset_path
from orbitgrid.simulation import OPTIONAL_TABLES, simulate

DEFAULT_SCENARIO = "showcase"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="orbitgrid: digital twin and operating system for computing in orbit.",
)
console = Console()
err = Console(stderr=True)


def fail(message: str) -> None:
    """Print one line to stderr and exit with status 2."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _load(scenario: str, duration: str | None = None, step: str | None = None):
    overrides = {k: v for k, v in (("duration", duration), ("step", step)) if v is not None}
    try:
        return load_scenario(scenario, overrides)
    except ScenarioError as exc:
        fail(str(exc))


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="Scenario file or preset name.")
    ] = DEFAULT_SCENARIO,
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default runs/<name>-<UTC time>).")
    ] = None,
    duration: Annotated[str | None, typer.Option(help="Override the duration, e.g. 2h.")] = None,
    step: Annotated[str | None, typer.Option(help="Override the step, e.g. 30s.")] = None,
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
) -> None:
    """Simulate a scenario and write its run folder."""
    sc = _load(scenario, duration, step)
    if policy is not None:
        sc = _with_policy(sc, policy)
    for name in save:
        if name not in OPTIONAL_TABLES:
            fail(f"--save: unknown table {name!r} (choose from {', '.join(OPTIONAL_TABLES)})")
    if out is not None and out.exists():
        fail(f"--out: {out} already exists")
    started = time.perf_counter()
    result = _simulate(sc, out, save)
    _print_summary(result, time.perf_counter() - started)
    _print_highlights(result, sc)
    _print_next(result, scenario, sc.step, duration)
    if report:
        from orbitgrid.report import write_report

        console.print(f"wrote {write_report(result)}")


def _simulate(sc, out: Path | None = None, save: list[str] | tuple[str, ...] = ()) -> Run:
    """simulate() behind a progress bar on stderr (when it is a terminal)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=None)
        try:
            return simulate(
                sc,
                out=out,
                save=save,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except ScenarioError as exc:
            fail(str(exc))


def _with_policy(sc, policy: str):
    """The scenario with workload.policy replaced; every policy checked before the run."""
    from orbitgrid.ops import Workload, load_policy

    if sc.workload is None and sc.jobs_file is None:
        fail("--policy: the scenario has no workload: or jobs_file:")
    try:
        for name in policy.split(","):
            load_policy(name.strip(), where="--policy")
    except ScenarioError as exc:
        fail(str(exc))
    workload = (sc.workload or Workload()).model_copy(update={"policy": policy})
    return sc.model_copy(update={"workload": workload})


def _print_ops(ops: dict) -> None:
    from orbitgrid.ops.report import side_by_side

    console.print(side_by_side(ops.get("policies", [ops])), highlight=False)
    for b in ops["binding_constraints"]:
        if b["binding"] is None:
            console.print(f"{b['group']}: {b['note']}, not in the waterfall", highlight=False)
        else:
            console.print(f"{b['group']}: binding constraint {b['binding']} "
                          f"({100 * b['lost_fraction']:.0f}% of peak)", highlight=False)


def _print_summary(result: Run, seconds: float) -> None:
    s = result.summary
    table = Table(
        title=f"{s['name']}: {s['duration_s'] / 3600:g} h from {s['epoch']} at {s['step_s']:g} s"
    )
    for column in ("constellation", "satellites", "in shadow", "contacts", "contact hours"):
        table.add_column(column, justify="left" if column == "constellation" else "right")
    for c in s["constellations"]:
        table.add_row(
            c["name"],
            str(c["satellites"]),
            f"{100 * c['shadow_fraction']:.1f}%",
            str(c["contacts"]),
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
    from orbitgrid.compare import cost_figures, format_value, highlights

    try:
        cost = cost_figures(sc)
    except (ScenarioError, ValueError) as exc:
        fail(f"cost: {str(exc).splitlines()[0]}")
    rows = highlights({**result.summary, "cost": cost} if cost else result.summary)
    if not rows:
        return
    table = Table("section", "figure", "value", title=f"{result.summary['name']}: figures")
    section = None
    for r in rows:
        table.add_row(r.section if r.section != section else "", r.metric,
                      format_value(r.a, r.kind))
        section = r.section
    console.print(table)


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


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario file or preset name.")],
) -> None:
    """Check a scenario without running it."""
    sc = _load(scenario)
    try:
        satellites = len(build_fleet(sc))
        stations = len(sc.stations())
    except ScenarioError as exc:
        fail(str(exc))
    console.print(
        f"{scenario}: ok ({satellites} satellites, {stations} ground stations, "
        f"{sc.duration / 3600:g} h at {sc.step:g} s)"
    )


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    table = Table("preset", "description")
    for name in preset_names():
        first = preset_path(name).read_text().splitlines()[0].lstrip("# ").strip()
        table.add_row(name, first)
    console.print(table)


@app.command()
def query(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder.")],
    sql: Annotated[str, typer.Argument(help="DuckDB SQL; tables are named after their files.")],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Run SQL over a run's tables with DuckDB."""
    try:
        result = Run(run_dir).query(sql)
    except FileNotFoundError as exc:
        fail(str(exc))
    except duckdb.Error as exc:
        fail(f"query: {str(exc).splitlines()[0]}")
    if csv:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result, sys.stdout.buffer)
        return
    table = Table(*result.column_names)
    for row in result.to_pylist():
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


def _compared(arg: str, which: str, duration: str | None, step: str | None) -> dict:
    """The summary of a run folder, or of a scenario run first; with its `cost` block."""
    from orbitgrid.compare import cost_figures

    path = Path(arg)
    if path.is_dir():
        try:
            run = Run(path)
        except FileNotFoundError:
            fail(f"{which}: {arg} is not a run folder (no summary.json)")
        sc = _load(str(path / "scenario.yaml"))
    elif path.is_file() or arg in preset_names():
        sc = _load(arg, duration, step)
        run = _simulate(sc)
        err.print(f"{which}: ran {sc.name} into {run.path}", highlight=False, soft_wrap=True)
    else:
        fail(f"{which}: {arg!r} is not a run folder, a scenario file or a preset "
             "(`orbitgrid scenarios` lists them)")
    try:
        cost = cost_figures(sc)
    except (ScenarioError, ValueError) as exc:
        fail(f"{which}: cost: {str(exc).splitlines()[0]}")
    return {**run.summary, "cost": cost} if cost else run.summary


@app.command("compare")
def compare_command(
    a: Annotated[str, typer.Argument(metavar="A", help="Run folder, scenario file or preset.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Run folder, scenario file or preset.")],
    duration: Annotated[
        str | None, typer.Option(help="Override the scenarios' duration, e.g. 2h.")
    ] = None,
    step: Annotated[
        str | None, typer.Option(help="Override the scenarios' step, e.g. 30s.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows for programs.")] = False,
) -> None:
    """Two runs or scenarios side by side: figures by section, with B/A or B - A."""
    import json

    from orbitgrid.compare import compare_summaries, format_change, format_value

    if (duration is not None or step is not None) and Path(a).is_dir() and Path(b).is_dir():
        fail(f"--{'duration' if duration is not None else 'step'}: A and B are run folders; "
             "it applies to scenarios only")
    sa, sb = _compared(a, "A", duration, step), _compared(b, "B", duration, step)
    rows = compare_summaries(sa, sb)
    if as_json:
        print(json.dumps({"a": a, "b": b, "rows": [r.as_dict() for r in rows]}, indent=2))
        return
    table = Table(title=f"A = {a}, B = {b}")
    table.add_column("metric", no_wrap=True)
    for name in ("A", "B", "B/A or B-A"):
        table.add_column(name, justify="right", overflow="fold")
    section = None
    for r in rows:
        if r.section != section:
            table.add_row(f"[bold]{r.section}[/]", end_section=False)
            section = r.section
        table.add_row(f"  {r.metric}", format_value(r.a, r.kind), format_value(r.b, r.kind),
                      format_change(r))
    console.print(table)


def _run(run_dir: Path) -> Run:
    try:
        return Run(run_dir)
    except FileNotFoundError as exc:
        fail(str(exc))


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder.")],
    out: Annotated[Path | None, typer.Option(help="HTML file (default RUN/report.html).")] = None,
    satellite: Annotated[
        list[str], typer.Option(help="Satellite to plot power for (repeat; default one each).")
    ] = [],  # noqa: B006
) -> None:
    """Write a run's HTML report: one file that opens offline."""
    from orbitgrid.report import write_report

    try:
        path = write_report(_run(run_dir), out, satellite or None)
    except KeyError as exc:
        fail(f"--satellite: {exc.args[0]}")
    console.print(f"wrote {path}")


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder.")],
    czml: Annotated[Path | None, typer.Option(help="Write CZML for CesiumJS here.")] = None,
    oem: Annotated[
        Path | None, typer.Option(help="Write CCSDS OEM files (one per satellite) here.")
    ] = None,
    step: Annotated[str | None, typer.Option(help="Time step of the positions, e.g. 5min.")] = None,
    max_satellites: Annotated[
        int | None, typer.Option(help="CZML: show an even sample of this many satellites.")
    ] = None,
) -> None:
    """Export a run's trajectories: CZML (--czml) and/or CCSDS OEM (--oem)."""
    from orbitgrid.report import run_tracks, write_czml, write_oem
    from orbitgrid.scenario import parse_duration

    if czml is None and oem is None:
        fail("export: say --czml FILE and/or --oem DIR")
    result = _run(run_dir)
    try:
        step_s = parse_duration(step) if step is not None else None
    except ValueError as exc:
        fail(f"--step: {exc}")
    if czml is not None:
        tracks = run_tracks(result, step_s=step_s, max_satellites=max_satellites)
        write_czml(result, czml, tracks)
        console.print(f"wrote {czml} ({tracks.decimation.describe()}, from {tracks.source})")
    if oem is not None:
        paths = write_oem(result, oem, step_s=step_s)
        console.print(f"wrote {len(paths)} OEM files to {oem}")


@app.command()
def serve(
    runs: Annotated[Path, typer.Option(help="Folder of run folders.")] = Path("runs"),
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the dashboard: runs, plots and a 3D globe, all offline."""
    import uvicorn

    from orbitgrid.web import create_app

    console.print(f"orbitgrid dashboard on http://{host}:{port} (runs in {runs})")
    uvicorn.run(create_app(runs), host=host, port=port, log_level="warning")


@app.command("size")
def size_command(
    it_power: Annotated[str, typer.Option("--it-power", help="IT power to reach, e.g. 40MW.")],
    orbit: Annotated[
        str,
        typer.Option(help="dawn-dusk:650km, noon-midnight:550km, sso-1030:500km, "
                     "inclined:550km:53deg."),
    ] = "dawn-dusk:650km",
    accelerator: Annotated[str, typer.Option(help="Catalogue accelerator.")] = "h100",
    satellite_power: Annotated[
        str, typer.Option(help="IT power per satellite, e.g. 100kW.")
    ] = "100kW",
    launcher: Annotated[
        list[str], typer.Option(help="Catalogue launcher (default: all).")
    ] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for programs.")] = False,
) -> None:
    """Size a constellation for an IT power goal: satellites, areas, masses, launches, cost."""
    import json

    from orbitgrid.sizing import SizingGoal, parse_power_w, size_or_error

    try:
        goal = SizingGoal(
            it_power_w=parse_power_w(it_power), orbit=orbit, accelerator=accelerator,
            satellite_it_power_w=parse_power_w(satellite_power), launchers=tuple(launcher),
        )
        result = size_or_error(goal)
    except (ValueError, ScenarioError) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result.as_dict(), indent=2))
        return
    o, m = result.orbit, result.mass_kg
    table = Table(title=f"{it_power} of {accelerator} in {orbit}", show_header=False)
    for name, value in (
        ("satellites", f"{result.satellites:,}"),
        ("accelerators per satellite", f"{result.accelerators_per_satellite}"),
        ("IT / total load per satellite", f"{result.it_power_w / 1e3:,.1f} / "
         f"{result.load_w / 1e3:,.1f} kW"),
        ("longest eclipse, eclipsed time", f"{o['longest_eclipse_s'] / 60:.1f} min, "
         f"{100 * o['eclipse_fraction']:.2f}% of the year"),
        ("solar array", f"{result.array_area_m2:,.1f} m2 ({result.array_power_w / 1e3:,.1f} kW)"),
        ("radiator", f"{result.radiator_area_m2:,.1f} m2 ({result.radiator_net_w_m2:,.0f} W/m2)"),
        ("battery", f"{result.battery_capacity_wh / 1e3:,.1f} kWh"),
        ("mass per satellite", f"{m['satellite']:,.0f} kg"),
        ("constellation mass", f"{m['satellite'] * result.satellites / 1e3:,.1f} t"),
    ):
        table.add_row(name, value)
    console.print(table)
    launches = Table("launcher", "satellites per launch", "launches", "cost", "$/W")
    for line in result.launches:
        if line["launches"] is None:
            launches.add_row(line["launcher"], "0", "too heavy", "", "")
            continue
        launches.add_row(line["launcher"], str(line["satellites_per_launch"]),
                         str(line["launches"]), f"${line['cost_usd'] / 1e6:,.0f}M",
                         f"{line['usd_per_w']:.2f}")
    console.print(launches)


@app.command()
def route(
    scenario: Annotated[str, typer.Argument(help="Scenario file or preset name.")],
    source: Annotated[str, typer.Option("--from", help="Station or satellite name.")],
    target: Annotated[str, typer.Option("--to", help="Station or satellite name.")],
    duration: Annotated[str | None, typer.Option(help="Override the duration, e.g. 2h.")] = None,
    step: Annotated[str | None, typer.Option(help="Override the step, e.g. 30s.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write RTT over time (.html or .png).")] = None,
    route_factor: Annotated[float, typer.Option(help="Fibre path / great circle.")] = 1.5,
) -> None:
    """RTT of one route over time: min/median/max, hops, path changes, latency split, fibre."""
    from orbitgrid.network.stage import route_report

    if plot is not None and plot.suffix.lower() not in (".html", ".png"):
        fail(f"--plot: {plot} must end in .html or .png")
    sc = _load(scenario, duration, step)
    try:
        r = route_report(sc, source, target, route_factor)
    except ScenarioError as exc:
        fail(str(exc))
    console.print(
        f"{source} -> {target}: {r['steps']} steps, reachable {100 * r['reachable_fraction']:.1f}%,"
        f" {r['path_changes']} path changes"
    )
    if "rtt_ms_min" in r:
        console.print(
            f"RTT ms: min {r['rtt_ms_min']:.2f}, median {r['rtt_ms_median']:.2f},"
            f" max {r['rtt_ms_max']:.2f}; hops {r['hops_min']}-{r['hops_max']}"
            f" (median {r['hops_median']:g})"
        )
        console.print(
            f"one-way ms (mean): up {r['up_ms']:.2f}, ISL hops {r['isl_ms']:.2f},"
            f" down {r['down_ms']:.2f}, processing {r['processing_ms']:.2f}"
        )
    if "fibre_rtt_ms" in r:
        console.print(
            f"terrestrial fibre: {r['great_circle_km']:.0f} km great circle x {route_factor:g}"
            f" at 2/3 c: RTT {r['fibre_rtt_ms']:.2f} ms"
        )
    if plot is not None:
        import plotly.graph_objects as go

        fig = go.Figure(go.Scatter(x=r["t_s"] / 60, y=r["rtt_ms"], mode="lines", name="RTT"))
        if "fibre_rtt_ms" in r:
            fig.add_hline(y=r["fibre_rtt_ms"], line_dash="dot", annotation_text="fibre")
        fig.update_layout(
            title=f"{source} -> {target}", xaxis_title="minutes", yaxis_title="RTT (ms)"
        )
        if plot.suffix.lower() == ".html":
            fig.write_html(plot, include_plotlyjs=True)
        else:
            try:
                fig.write_image(plot)
            except (ImportError, ValueError, RuntimeError) as exc:
                fail(f"--plot: cannot write PNG ({str(exc).splitlines()[0]}); use .html")
        console.print(f"wrote {plot}")


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(metavar="SWEEP.yaml", help="Sweep file.")],
    out: Annotated[
        Path | None, typer.Option(help="Sweep folder (default sweeps/<sweep file name>).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Address of an existing Ray cluster (default: start one).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Points run at once (default: every core).")
    ] = None,
    retries: Annotated[int, typer.Option(min=0, help="Tries again for a failed point.")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue the sweep in --out.")] = False,
    keep: Annotated[str, typer.Option(help="Run folders to keep: all or none.")] = "all",
) -> None:
    """Run every point of a sweep on Ray into sweep.duckdb, one row per point."""
    from orbitgrid.sweep import KEEP, SweepError, load_sweep, run_sweep

    if keep not in KEEP:
        fail(f"--keep: {keep!r} is not one of {', '.join(KEEP)}")
    try:
        spec = load_sweep(sweep_file)
    except ScenarioError as exc:
        fail(str(exc))
    out = out or Path("sweeps") / sweep_file.stem
    started = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} points, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"sweeping {sweep_file.name}", total=spec.total, failed=0)
        try:
            db = run_sweep(
                spec,
                out,
                address=address,
                workers=workers,
                retries=retries,
                resume=resume,
                keep=keep,
                progress=lambda done, total, failed: bar.update(
                    task, completed=done, total=total, failed=failed
                ),
            )
        except SweepError as exc:
            fail(str(exc))
    with duckdb.connect(str(db), read_only=True) as con:
        done, failed = con.execute(
            "select count(*) filter (status = 'done'), count(*) filter (status = 'failed') "
            "from points"
        ).fetchone()
    console.print(
        f"wrote {db}: {done} points done, {failed} failed, "
        f"in {time.perf_counter() - started:.1f} s",
        soft_wrap=True,
    )


@app.command("sweep-report")
def sweep_report(
    db: Annotated[Path, typer.Argument(metavar="sweep.duckdb", help="A sweep's database.")],
    out: Annotated[
        Path | None, typer.Option(help="HTML file (default sweep-report.html beside the database).")
    ] = None,
) -> None:
    """Plot a sweep: objectives against parameters, and the Pareto front (HTML)."""
    from orbitgrid.sweep import SweepError, write_sweep_report

    try:
        path = write_sweep_report(db, out)
    except SweepError as exc:
        fail(str(exc))
    console.print(f"wrote {path}", soft_wrap=True)

@app.command()
def cost(
    scenario: Annotated[str, typer.Argument(help="Scenario file or preset name.")],
    years: Annotated[
        float | None, typer.Option(help="Horizon in years (default: the scenario's).")
    ] = None,
    against: Annotated[
        str | None, typer.Option(help="Scenario whose `ground:` block is the ground baseline.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for programs.")] = False,
) -> None:
    """Cost of ownership over a horizon: orbit against ground, $/accelerator-hour, $/MWh."""
    import json

    from orbitgrid.catalog import CatalogError
    from orbitgrid.economics import compare

    if years is not None and not years > 0:
        fail(f"--years: must be a positive number of years, got {years:g}")
    sc = _load(scenario)
    ground = None
    if against is not None:
        ground = _load(against).ground
        if ground is None:
            fail(f"--against: {against} has no `ground:` block")
    try:
        result = compare(sc, years, ground)
    except (ScenarioError, CatalogError, ValueError) as exc:
        fail(str(exc).splitlines()[0])
    if json_out:
        print(json.dumps(result, indent=2))
        return
    _print_cost(result)


def _money(usd: float | None) -> str:
    return "-" if usd is None else f"${usd / 1e6:,.2f}M"


def _print_cost(r: dict) -> None:
    sides = [s for s in ("orbit", "ground") if s in r]
    table = Table(title=f"{r['scenario']}: cost of ownership over {r['years']:g} years")
    for side in sides:
        table.add_column(f"{side}: line")
        table.add_column("USD", justify="right")
    lines = [list(r[s]["lines_usd"].items()) for s in sides]
    for k in range(max(len(x) for x in lines)):
        row = []
        for x in lines:
            row += [x[k][0], _money(x[k][1])] if k < len(x) else ["", ""]
        table.add_row(*row)
    for label, key, fmt in (
        ("total", "total_usd", _money),
        ("accelerator-hours", "accelerator_hours", lambda v: f"{v:,.0f}"),
        ("$/accelerator-hour", "usd_per_accelerator_hour", lambda v: f"{v:,.3f}"),
        ("$/MWh of IT energy", "usd_per_mwh", lambda v: f"{v:,.1f}"),
    ):
        row = []
        for s in sides:
            v = r[s][key]
            row += [f"[bold]{label}[/]", "-" if v is None else fmt(v)]
        table.add_row(*row)
    console.print(table)
    if "orbit" in r:
        f = r["orbit"]["figures"]
        console.print(
            f"orbit: {f['satellites']} satellites, {f['accelerators']:,} accelerators, "
            f"{f['it_power_mw']:,.3f} MW IT, {f['launched_mass_kg'] / 1e3:,.1f} t launched "
            f"({f['launcher']}, ${f['launch_usd_per_kg'] or 0:,.0f}/kg)"
        )
    if "launch_sensitivity" in r:
        s = r["launch_sensitivity"]
        sens = Table(title="orbit total against launch price (flat $/kg)")
        sens.add_column("launch $/kg", justify="right")
        sens.add_column("orbit total", justify="right")
        sens.add_column("vs ground", justify="right")
        ground_total = r["ground"]["total_usd"]
        for row in s["rows"]:
            ratio = row["orbit_total_usd"] / ground_total if ground_total else float("nan")
            sens.add_row(f"{row['usd_per_kg']:,.0f}", _money(row["orbit_total_usd"]),
                         f"{ratio:.2f}x")
        console.print(sens)
        even = s["break_even_usd_per_kg"]
        console.print(
            f"break-even launch price: ${even:,.0f}/kg" if even is not None
            else "break-even launch price: none (orbit costs more than ground even at $0/kg)"
        )
    pub = r.get("published")
    if pub and pub["name"] == "starcloud-40mw":
        t = Table(title="Starcloud 40 MW, 10 years: published table recomputed from its inputs")
        for c in ("side", "line", "published", "recomputed"):
            t.add_column(c, justify="left" if c in ("side", "line") else "right")
        for side in ("ground", "orbit"):
            for line, usd in pub["published_usd"][side].items():
                t.add_row(side, line, _money(usd), _money(pub["computed_usd"][side][line]))
        console.print(t)
        console.print(f"source: {pub['source']}")
    if pub and pub["name"] == "suncatcher":
        t = Table(title="Suncatcher launched-power price, Starlink V2 mini (575 kg, 28 kW, 5 y)")
        for c in ("launch $/kg", "published $/kW/y", "recomputed $/kW/y"):
            t.add_column(c, justify="right")
        for row in pub["rows"]:
            t.add_row(f"{row['launch_usd_per_kg']:,.0f}", f"{row['published']:,.0f}",
                      f"{row['computed']:,.0f}")
        console.print(t)
        console.print(f"source: {pub['source']}")
    for note in r.get("differences", []):
        console.print(f"- {note}", highlight=False)


from orbitgrid.live.cli import register as _register_live  # noqa: E402

_register_live(app)  # orbitgrid live, orbitgrid keys add

if __name__ == "__main__":
    app()
