"""Two runs side by side: the figures of two summaries as rows, grouped by section.

compare_summaries(a, b) is a pure function of two summary.json dicts (optionally carrying a
`cost` block from cost_figures): one Row per metric present in either, with B/A where a ratio
means something (counts, energies, times, money) and B - A where a difference does (fractions,
which are compared in points). Values are the summaries' own, unconverted; each row carries
its figure's label, unit and scope from orbitgrid.figures (docs/figures.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from orbitgrid.figures import Kind, figure, format_value

__all__ = ["Row", "compare_summaries", "cost_figures", "format_value", "SECTIONS"]

Change = Literal["ratio", "difference"]

SECTIONS = ("run", "fleet", "sunlight", "power", "network", "sensing", "space OS", "ground",
            "cost")


@dataclass(frozen=True)
class Row:
    """One metric of A and B; path locates it in a summary (named list items by their name);
    metric is its key (with the item's name), label what it is and over what, unit its unit."""

    section: str
    metric: str
    path: tuple[str, ...]
    kind: Kind
    a: Any
    b: Any
    change: Change | None = None
    value: float | None = None  # B/A or B - A; None where undefined (a side missing, A = 0)
    label: str = ""
    unit: str = ""

    def shown(self, value: Any) -> str:
        """A or B as printed, with the unit."""
        return format_value(value, self.kind, self.unit)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = list(self.path)
        return d


# the keys compared in each block (their figures in orbitgrid.figures)
_CONSTELLATION = ("satellites", "contacts", "contact_hours")
_PHYSICS = ("sunlit_fraction", "energy_harvested_kwh", "energy_consumed_kwh",
            "energy_curtailed_kwh", "energy_unmet_kwh", "mean_compute_w",
            "mean_compute_w_allowed", "throttled_hours", "upsets_per_day", "sefi_per_day",
            "dose_rad_per_year")
_ROUTE = ("reachable_fraction", "rtt_ms.median", "rtt_ms.p95", "hops.max",
          "path_changes_per_hour")
_PIPELINE = ("delivered", "p50_s", "p90_s", "after_image_p50_s", "after_image_p90_s",
             "bytes_downlinked")
_OPS = ("policy", "jobs", "completed", "unfinished", "corrupted", "deadline_misses",
        "useful_flop_per_day", "goodput_fraction", "utilisation", "completion_p50_s",
        "completion_p99_s", "energy_per_job_j", "work_lost_to_faults_flop", "rollbacks",
        "migrations", "bytes_moved")
_COST = ("years", "orbit_total_usd", "ground_total_usd", "orbit_usd_per_accelerator_hour",
         "ground_usd_per_accelerator_hour", "orbit_usd_per_mwh", "ground_usd_per_mwh",
         "orbit_over_ground", "break_even_usd_per_kg")


def _get(block: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(block, dict):
            return None
        block = block.get(part)
    return block


def _named(items: list[dict] | None, key=lambda x: x["name"]) -> dict[str, dict]:
    return {key(x): x for x in items or []}


def _route_name(r: dict) -> str:
    return f"{r['from']} -> {r['to']}"


def _change(a: Any, b: Any, change: Change | None) -> float | None:
    if change is None or not _is_number(a) or not _is_number(b):
        return None
    if change == "difference":
        return float(b) - float(a)
    return float(b) / float(a) if a != 0 else None


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _rows(section: str, prefix: str, path: tuple[str, ...], a: dict | None, b: dict | None,
          keys: Iterable[str], where: str, label_prefix: str | None = None) -> Iterator[Row]:
    """Rows of keys in blocks a and b; where is the blocks' key pattern ("ops.", ...); the
    labels start with label_prefix (default prefix, the item's name)."""
    for key in keys:
        va, vb = _get(a, key), _get(b, key)
        if va is None and vb is None:
            continue
        fig = figure(where + key)
        change = {"text": None, "fraction": "difference"}.get(fig.kind, "ratio")
        label = f"{prefix if label_prefix is None else label_prefix}{fig.title}"
        yield Row(section, f"{prefix}{key}", path + tuple(key.split(".")), fig.kind, va, vb,
                  change, _change(va, vb, change), label, fig.unit)


def _each(section: str, path: tuple[str, ...], a: dict[str, dict], b: dict[str, dict],
          keys: Iterable[str], where: str) -> Iterator[Row]:
    """Rows for named items (constellations, routes, policies) present in A or B, A's first."""
    for name in list(a) + [n for n in b if n not in a]:
        yield from _rows(section, f"{name}: ", path + (name,), a.get(name), b.get(name), keys,
                         where)


def _flat(section: str, path: tuple[str, ...], a: dict | None, b: dict | None,
          where: str) -> Iterator[Row]:
    """Every scalar of a flat block (a ground data centre's figures), in A's key order."""
    a, b = a or {}, b or {}
    keys = list(a) + [k for k in b if k not in a]
    yield from _rows(section, "", path, a, b,
                     [k for k in keys if _is_number(a.get(k)) or _is_number(b.get(k))], where)


def compare_summaries(a: dict, b: dict) -> list[Row]:
    """Rows of every metric present in summary a or b, by section (see SECTIONS)."""
    rows: list[Row] = []
    rows += _rows("run", "", (), a, b, ("name", "epoch", "duration_s", "step_s", "seed"), "")
    rows += _rows("fleet", "", (), a, b, ("satellites", "ground_stations", "propagation_errors",
                                           "contacts", "contact_hours"), "")
    ca, cb = _named(a.get("constellations")), _named(b.get("constellations"))
    rows += _each("fleet", ("constellations",), ca, cb, _CONSTELLATION, "constellations[].")
    rows += _rows("sunlight", "", (), a, b, ("eclipses", "umbra_hours", "penumbra_hours"), "")
    rows += _each("sunlight", ("constellations",), ca, cb, ("shadow_fraction",),
                  "constellations[].")
    pa_, pb = _named(_get(a, "physics.constellations")), _named(_get(b, "physics.constellations"))
    rows += _each("power", ("physics", "constellations"), pa_, pb, _PHYSICS,
                  "physics.constellations[].")
    na, nb = a.get("network"), b.get("network")
    rows += _rows("network", "", ("network",), na, nb,
                  ("isls_per_satellite_mean", "isls_per_satellite_max"), "network.")
    rows += _each("network", ("network", "routes"), _named(_get(a, "network.routes"), _route_name),
                  _named(_get(b, "network.routes"), _route_name), _ROUTE, "network.routes[].")
    sa, sb = a.get("sensing"), b.get("sensing")
    rows += _rows("sensing", "", ("sensing",), sa, sb,
                  ("events", "imaged", "revisit_p50_s", "revisit_p90_s"), "sensing.")
    for pipeline in ("onboard", "bentpipe"):
        rows += _rows("sensing", f"{pipeline}: ", ("sensing", pipeline), _get(sa, pipeline),
                      _get(sb, pipeline), _PIPELINE, f"sensing.{pipeline}.", "")
    oa, ob = a.get("ops"), b.get("ops")
    if (oa and "policies" in oa) or (ob and "policies" in ob):
        rows += _each("space OS", ("ops", "policies"),
                      _named(_get(oa, "policies") or ([oa] if oa else []), lambda x: x["policy"]),
                      _named(_get(ob, "policies") or ([ob] if ob else []), lambda x: x["policy"]),
                      _OPS, "ops.")
    else:
        rows += _rows("space OS", "", ("ops",), oa, ob, _OPS, "ops.")
    rows += _flat("ground", ("ground",), a.get("ground"), b.get("ground"), "ground.")
    rows += _rows("cost", "", ("cost",), a.get("cost"), b.get("cost"), _COST, "cost.")
    return rows


def cost_figures(scenario) -> dict[str, Any] | None:
    """The `cost` block compare_summaries reads: orbitgrid.economics.compare's totals, $/hour,
    $/MWh, orbit/ground and break-even $/kg; None when the scenario has no economics: or ground:
    block (no cost model was asked for)."""
    from orbitgrid.economics import compare

    if scenario.economics is None and scenario.ground is None:
        return None
    r = compare(scenario)
    out: dict[str, Any] = {"years": r["years"]}
    for side in ("orbit", "ground"):
        if side in r:
            out[f"{side}_total_usd"] = r[side]["total_usd"]
            out[f"{side}_usd_per_accelerator_hour"] = r[side]["usd_per_accelerator_hour"]
            out[f"{side}_usd_per_mwh"] = r[side]["usd_per_mwh"]
    if "orbit" in r and "ground" in r and r["ground"]["total_usd"]:
        out["orbit_over_ground"] = round(r["orbit"]["total_usd"] / r["ground"]["total_usd"], 6)
    if "launch_sensitivity" in r:
        out["break_even_usd_per_kg"] = r["launch_sensitivity"]["break_even_usd_per_kg"]
    return out


def format_change(row: Row) -> str:
    """B/A as 'x1.23', B - A as '+1.5 pts' (fractions) or '+3'; '' when undefined."""
    if row.value is None:
        return ""
    if row.change == "ratio":
        return f"x{row.value:.3g}"
    if row.kind == "fraction":
        return f"{100 * row.value:+.3g} pts"
    return f"{row.value:+,.6g}"


# The figures a finished run prints under its tables (orbitgrid run): (section, path ending)
_HIGHLIGHTS = {
    "power": {("sunlit_fraction",), ("mean_compute_w",), ("throttled_hours",),
              ("upsets_per_day",)},
    "network": {("isls_per_satellite_mean",), ("reachable_fraction",), ("rtt_ms", "median")},
    "sensing": {("events",), ("imaged",), ("revisit_p50_s",), ("onboard", "after_image_p50_s"),
                ("bentpipe", "after_image_p50_s"), ("onboard", "p50_s"), ("bentpipe", "p50_s"),
                ("onboard", "bytes_downlinked"), ("bentpipe", "bytes_downlinked")},
    "cost": {("years",), ("orbit_total_usd",), ("ground_total_usd",), ("orbit_over_ground",),
             ("orbit_usd_per_accelerator_hour",), ("ground_usd_per_accelerator_hour",),
             ("break_even_usd_per_kg",)},
}


def highlights(summary: dict) -> list[Row]:
    """The main figures of one summary (power, network, sensing, cost), as rows with b=None."""
    out = []
    for r in compare_summaries(summary, {}):
        ends = _HIGHLIGHTS.get(r.section, ())
        if r.a is not None and any(r.path[-len(e):] == e for e in ends):
            out.append(r)
    return out
