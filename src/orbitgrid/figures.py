"""What every figure of summary.json is: its meaning, unit and scope, in one table.

A key is the figure's dotted path, `[]` standing for every item of a list (constellations,
routes, policies). Scope says what the figure covers: the run, a sum over satellites, a mean per
satellite, a percentile over jobs... `cost.*` is not in summary.json: `run` and `compare` add it
from the scenario's `economics:` block. With several policies, `ops.policies[]` holds each
policy's figures under the same names as `ops` (which holds the first policy's), and
`physics.policies[]` each policy's closed loop under the names of `physics`.

docs/figures.md is this table, written by `python -m orbitgrid.figures docs/figures.md`; the
tests check that it is current and that a showcase run's summary has exactly these keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["FIGURES", "Figure", "figure", "flat_keys", "format_figure", "markdown"]

Kind = Literal["count", "number", "fraction", "text", "usd"]


@dataclass(frozen=True)
class Figure:
    """One figure: key (dotted path, [] for list items), label, unit and scope."""

    key: str
    label: str
    unit: str  # "fraction" (0-1 in summary.json, printed in %), "count", "text", "USD", or SI
    scope: str

    @property
    def kind(self) -> Kind:
        return {"fraction": "fraction", "count": "count", "text": "text", "USD": "usd"}.get(
            self.unit, "number")

    @property
    def title(self) -> str:
        """The label as printed: what, and over what."""
        return f"{self.label}, {self.scope}" if self.scope else self.label


# the same figures for each alert pipeline of sensing: (key, name, what it downlinks)
_PIPELINES = (("onboard", "on-board", "alerts"), ("bentpipe", "bent-pipe", "raw images"))
_PIPELINE = """
delivered | {name} alerts delivered | count | the run
p50_s | event to {name} alert | s | median over delivered alerts
p90_s | event to {name} alert | s | 90th percentile over delivered alerts
after_image_p50_s | image to {name} alert | s | median over delivered alerts
after_image_p90_s | image to {name} alert | s | 90th percentile over delivered alerts
bytes_downlinked | bytes downlinked {name} ({what}) | B | sum over delivered alerts
"""
_PIPELINE_ROWS = "\n".join(f"sensing.{key}.{line}" for key, name, what in _PIPELINES
                            for line in _PIPELINE.format(name=name, what=what).strip().split("\n"))

_PHYSICS = "physics.constellations[]."
_ROUTE = "network.routes[]."
_OPS = "ops."
_TABLE = f"""
name | scenario name | text | the run
epoch | start of the run (UTC) | text | the run
duration_s | length of the run | s | the run
step_s | time step | s | the run
seed | random seed | text | the run
satellites | satellites | count | whole fleet
ground_stations | ground stations | count | the run
propagation_errors | satellites that failed to propagate | count | whole fleet
eclipses | eclipses (umbra and penumbra) | count | whole fleet
umbra_hours | time in umbra | h | sum over all satellites
penumbra_hours | time in penumbra | h | sum over all satellites
contacts | ground contacts | count | whole fleet
contact_hours | time in contact | h | sum over all satellites
warnings | warnings of the run | text | the run
tables | tables written | text | the run
constellations[].name | constellation | text | each constellation
constellations[].satellites | satellites | count | the constellation
constellations[].shadow_fraction | time in shadow | fraction | mean per satellite
constellations[].contacts | ground contacts | count | sum over its satellites
constellations[].contact_hours | time in contact | h | sum over its satellites
physics.power_rows | rows of power.parquet | text | per orbit or per step
{_PHYSICS}name | constellation | text | each constellation with a satellite: block
{_PHYSICS}satellites | satellites | count | the constellation
{_PHYSICS}energy_harvested_kwh | energy harvested | kWh | sum over its satellites
{_PHYSICS}energy_consumed_kwh | energy consumed | kWh | sum over its satellites
{_PHYSICS}energy_curtailed_kwh | energy curtailed (battery full) | kWh | sum over its satellites
{_PHYSICS}energy_stored_kwh | change in stored energy | kWh | sum over its satellites
{_PHYSICS}energy_unmet_kwh | energy demanded but not available | kWh | sum over its satellites
{_PHYSICS}energy_balance_error | energy balance error | fraction | worst satellite
{_PHYSICS}sunlit_fraction | time in sunlight | fraction | mean per satellite
{_PHYSICS}mean_compute_w | compute power drawn | W | mean per satellite
{_PHYSICS}mean_compute_w_allowed | compute power allowed (capped at installed) | W | \
mean per satellite
{_PHYSICS}throttled_hours | time throttled by power or heat | h | sum over its satellites
{_PHYSICS}upsets_per_day | upsets reaching jobs (SDC + UECC) | 1/day | mean per satellite
{_PHYSICS}sefi_per_day | functional interrupts | 1/day | mean per satellite
{_PHYSICS}host_sefi_per_day | host CPU and RAM functional interrupts | 1/day | mean per satellite
{_PHYSICS}sdc_per_day | silent data corruptions | 1/day | mean per satellite
{_PHYSICS}uecc_per_day | uncorrectable memory errors | 1/day | mean per satellite
{_PHYSICS}bit_flips_per_day | corrected bit flips | 1/day | mean per satellite
{_PHYSICS}dose_rad_per_year | total ionising dose | rad/year | mean per satellite
{_PHYSICS}proton_flux_cm2_s | trapped proton flux (>10 MeV) | 1/cm2/s | mean per satellite
{_PHYSICS}electron_flux_cm2_s | trapped electron flux | 1/cm2/s | mean per satellite
{_PHYSICS}gcr_flux_cm2_s | cosmic-ray flux | 1/cm2/s | mean per satellite
{_PHYSICS}radiation_events.seu | upsets drawn (radiation.parquet) | count | \
sum over its satellites
{_PHYSICS}radiation_events.sefi | functional interrupts drawn | count | sum over its satellites
network.isls_per_satellite_mean | laser links | count | mean per satellite
network.isls_per_satellite_max | laser links | count | most on one satellite
{_ROUTE}from | route start | text | each route
{_ROUTE}to | route end | text | each route
{_ROUTE}reachable_fraction | steps with a path | fraction | the route
{_ROUTE}path_changes | path changes | count | the route, whole run
{_ROUTE}path_changes_per_hour | path changes | 1/h | the route
{_ROUTE}rtt_ms.min | round-trip time | ms | minimum over reachable steps
{_ROUTE}rtt_ms.p5 | round-trip time | ms | 5th percentile over reachable steps
{_ROUTE}rtt_ms.median | round-trip time | ms | median over reachable steps
{_ROUTE}rtt_ms.p95 | round-trip time | ms | 95th percentile over reachable steps
{_ROUTE}rtt_ms.max | round-trip time | ms | maximum over reachable steps
{_ROUTE}hops.min | hops | count | fewest over reachable steps
{_ROUTE}hops.max | hops | count | most over reachable steps
sensing.events | events to image | count | the run
sensing.imaged | events imaged | count | the run
sensing.revisit_p50_s | event to first image | s | median over imaged events
sensing.revisit_p90_s | event to first image | s | 90th percentile over imaged events
{_PIPELINE_ROWS}
{_OPS}policy | placement policy | text | the run
{_OPS}jobs | jobs | count | whole fleet
{_OPS}completed | jobs completed | count | whole fleet
{_OPS}corrupted | jobs completed with corrupted results | count | whole fleet
{_OPS}unfinished | jobs not finished at the end | count | whole fleet
{_OPS}useful_flop_per_day | work of completed jobs | FLOP/day | whole fleet
{_OPS}goodput_fraction | busy compute that went to kept work | fraction | whole fleet
{_OPS}utilisation | allowed compute that was busy | fraction | whole fleet
{_OPS}completion_p50_s | arrival to completion | s | median over completed jobs
{_OPS}completion_p99_s | arrival to completion | s | 99th percentile over completed jobs
{_OPS}deadline_misses | jobs that missed their deadline | count | whole fleet
{_OPS}work_lost_to_faults_flop | work lost to faults | FLOP | sum over jobs, whole run
{_OPS}energy_per_job_j | energy | J | mean per completed job
{_OPS}rollbacks | rollbacks to a checkpoint | count | sum over jobs
{_OPS}migrations | migrations | count | sum over jobs
{_OPS}bytes_moved | bytes moved (transfers and all-reduce) | B | sum over jobs
{_OPS}events | scheduler events | count | the run
{_OPS}waterfall[].step | waterfall step | text | each step
{_OPS}waterfall[].flop | compute of the step | FLOP | whole run, all satellites
{_OPS}waterfall[].left_flop | compute left after the step | FLOP | whole run, all satellites
{_OPS}binding_constraints[].group | plane or formation | text | each group
{_OPS}binding_constraints[].satellites | satellites | count | the group
{_OPS}binding_constraints[].binding | largest loss | text | the group
{_OPS}binding_constraints[].lost_fraction | peak compute lost to it | fraction | the group
{_OPS}binding_constraints[].note | why the group is not in the waterfall | text | the group
{_OPS}ground_baseline.completed | jobs completed on the ground | count | same jobs, no orbit
{_OPS}ground_baseline.useful_flop_per_day | work of completed jobs on the ground | FLOP/day | \
same jobs, no orbit
{_OPS}ground_baseline.utilisation | allowed compute that was busy on the ground | fraction | \
same jobs, no orbit
{_OPS}ground_baseline.completion_p50_s | arrival to completion on the ground | s | \
median over completed jobs
{_OPS}ground_baseline.completion_p99_s | arrival to completion on the ground | s | \
99th percentile over completed jobs
{_OPS}ground_baseline.deadline_misses | deadline misses on the ground | count | \
same jobs, no orbit
{_OPS}ground_baseline.energy_per_job_j | energy on the ground | J | mean per completed job
ground.it_power_mw | IT power | MW | the ground data centre
ground.accelerators | accelerators | count | the ground data centre
ground.run_it_energy_mwh | IT energy | MWh | the ground data centre, whole run
ground.run_grid_energy_mwh | grid energy (IT x PUE) | MWh | the ground data centre, whole run
ground.run_water_m3 | water | m3 | the ground data centre, whole run
ground.run_electricity_usd | electricity | USD | the ground data centre, whole run
ground.horizon_years | horizon | years | the ground data centre
ground.horizon_total_usd | cost of ownership | USD | the ground data centre, whole horizon
ground.usd_per_accelerator_hour | cost per accelerator-hour | USD | the ground data centre
ground.usd_per_mwh | cost per MWh of IT energy | USD | the ground data centre
cost.years | horizon | years | the scenario's economics
cost.orbit_total_usd | cost of ownership in orbit | USD | all satellites, whole horizon
cost.ground_total_usd | cost of ownership on the ground | USD | same IT power, whole horizon
cost.orbit_usd_per_accelerator_hour | orbit cost per accelerator-hour | USD | whole horizon
cost.ground_usd_per_accelerator_hour | ground cost per accelerator-hour | USD | whole horizon
cost.orbit_usd_per_mwh | orbit cost per MWh of IT energy | USD | whole horizon
cost.ground_usd_per_mwh | ground cost per MWh of IT energy | USD | whole horizon
cost.orbit_over_ground | orbit cost over ground cost | ratio | whole horizon
cost.break_even_usd_per_kg | launch price where orbit costs what ground does | USD | per kg
"""


def _parse(text: str) -> dict[str, Figure]:
    out = {}
    for line in text.replace("\\\n", "").strip().splitlines():
        key, label, unit, scope = (x.strip() for x in line.split("|"))
        out[key] = Figure(key, label, unit, scope)
    return out


FIGURES: dict[str, Figure] = _parse(_TABLE)


def plain_key(key: str) -> str:
    """The table's key for a policy's own figure: ops.policies[].X is ops.X, physics.policies[].X
    is physics.X (each policy's closed loop), and their `policy` names are ops.policy."""
    if key == "physics.policies[].policy":
        return "ops.policy"
    return key.replace("ops.policies[].", "ops.").replace("physics.policies[].", "physics.")


def figure(key: str) -> Figure:
    """The figure at key (dotted, [] for list items, see plain_key); a key not in the table (a
    figure added without its row, which the tests catch) gets its own name."""
    key = plain_key(key)
    return FIGURES.get(key) or Figure(key, key.rsplit(".", 1)[-1], "", "")


def flat_keys(summary: dict, prefix: str = "") -> set[str]:
    """Every key of a summary, dotted, [] for the items of a list of records."""
    out: set[str] = set()
    for k, v in summary.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flat_keys(v, key + ".")
        elif isinstance(v, list) and (not v or all(isinstance(x, dict) for x in v)) \
                and k not in ("warnings", "tables"):
            for item in v:
                out |= flat_keys(item, key + "[].")
        else:
            out.add(key)
    return out


def format_figure(value: Any, fig: Figure) -> str:
    """A value as printed, with its unit: fractions in %, money in $, '-' when absent."""
    return format_value(value, fig.kind, fig.unit)


def format_value(value: Any, kind: Kind, unit: str = "") -> str:
    """A value as printed: fractions in %, money in $, others with their unit; '-' if absent."""
    if value is None:
        return "-"
    if kind == "text" or not _is_number(value):
        return str(value)
    if kind == "fraction":
        return f"{100 * value:.3g}%"
    if kind == "usd":
        if abs(value) >= 1e6:
            return f"${value / 1e6:,.2f}M"
        return f"${value / 1e3:,.2f}k" if abs(value) >= 1e3 else f"${value:,.2f}"
    if kind == "count":
        return f"{value:,}"
    number = _four_digits(value)
    return f"{number} {unit}" if unit and unit != "ratio" else number


def _four_digits(x: float) -> str:
    """Four significant digits (all the integer ones), in plain notation from 0.001 to 10^6."""
    if x == 0 or not 1e-3 <= abs(x) < 1e6:
        return f"{x:.4g}"
    text = f"{x:,.{max(0, 3 - math.floor(math.log10(abs(x))))}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def markdown() -> str:
    """docs/figures.md: the table, with how to read it."""
    head = [
        "# The figures of a run",
        "",
        "Every figure of `summary.json`, as `orbitgrid run`, `orbitgrid compare` and the report",
        "print them. A key is the figure's path in `summary.json`, `[]` standing for each item",
        "of a list (constellations, routes, waterfall steps). Fractions are 0 to 1 in",
        "`summary.json` and printed in %. With several policies (`--policy a,b`),",
        "`ops.policies[]` holds each policy's figures under the names of `ops`, which holds the",
        "first policy's; `physics.policies[]` likewise holds each policy's closed loop (its",
        "batteries and radiators) under the names of `physics`. The `cost.*` figures are not in",
        "`summary.json`: `run` and `compare` add them from the scenario's `economics:` block",
        "(`orbitgrid cost` prints the whole model).",
        "Written by `python -m orbitgrid.figures docs/figures.md` from `orbitgrid/figures.py`.",
        "",
        "| key | figure | unit | scope |",
        "| --- | --- | --- | --- |",
    ]
    rows = [f"| `{f.key}` | {f.label} | {f.unit} | {f.scope} |" for f in FIGURES.values()]
    return "\n".join(head + rows) + "\n"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_text(markdown(), encoding="utf-8")
