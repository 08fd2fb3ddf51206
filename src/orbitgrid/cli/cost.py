"""`size` and `cost`: a constellation sized for an IT power goal, and its cost of ownership."""

from __future__ import annotations

from typing import Annotated

import typer

from orbitgrid.cli.base import AS_JSON, SCENARIO, console, fail, load


def size(
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
    as_json: Annotated[bool, AS_JSON] = False,
) -> None:
    """Size a constellation for an IT power goal: satellites, areas, masses, launches, cost."""
    import json

    from rich.table import Table

    from orbitgrid.sizing import SizingGoal, parse_power_w, size_or_error

    try:
        goal = SizingGoal(
            it_power_w=parse_power_w(it_power), orbit=orbit, accelerator=accelerator,
            satellite_it_power_w=parse_power_w(satellite_power), launchers=tuple(launcher),
        )
        result = size_or_error(goal)
    except ValueError as exc:
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


def cost(
    scenario: Annotated[str, SCENARIO],
    years: Annotated[
        float | None, typer.Option(help="Horizon in years (default: the scenario's).")
    ] = None,
    against: Annotated[
        str | None, typer.Option(help="Scenario whose `ground:` block is the ground baseline.")
    ] = None,
    as_json: Annotated[bool, AS_JSON] = False,
) -> None:
    """Cost of ownership over a horizon: orbit against ground, $/accelerator-hour, $/MWh."""
    import json

    from orbitgrid.economics import compare

    if years is not None and not years > 0:
        fail(f"--years: must be a positive number of years, got {years:g}")
    sc = load(scenario)
    ground = None
    if against is not None:
        ground = load(against).ground
        if ground is None:
            fail(f"--against: {against} has no `ground:` block")
    try:
        result = compare(sc, years, ground)
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    if as_json:
        print(json.dumps(result, indent=2))
        return
    _print_cost(result)


def _money(usd: float | None) -> str:
    return "-" if usd is None else f"${usd / 1e6:,.2f}M"


def _print_cost(r: dict) -> None:
    from rich.table import Table

    sides = [s for s in ("orbit", "ground") if s in r]
    table = Table(title=f"{r['scenario']}: cost of ownership over {r['years']:g} years",
                  caption="USD: totals over the horizon, every satellite or the whole data centre")
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
        ("accelerator-hours, all accelerators", "accelerator_hours", lambda v: f"{v:,.0f}"),
        ("cost per accelerator-hour", "usd_per_accelerator_hour", lambda v: f"${v:,.3f}"),
        ("cost per MWh of IT energy", "usd_per_mwh", lambda v: f"${v:,.1f}"),
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
            f"orbit, whole fleet: {f['satellites']} satellites, {f['accelerators']:,} "
            f"accelerators, {f['it_power_mw']:,.3f} MW IT, {f['launched_mass_kg'] / 1e3:,.1f} t "
            "launched "
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


