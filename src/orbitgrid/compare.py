"""Two runs side by side: the figures of two summaries as rows, grouped by section.

compare_summaries(a, b) is a pure function of two summary.json dicts (optionally carrying a
`cost` block from cost_figures): one Row per metric present in either, with B/A where a ratio
means something (counts, energies, times, money) and B - A where a difference does (fractions,
which are compared in points). Values are the summaries' own, unconverted; units are in the names.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Row", "compare_summaries", "cost_figures", "format_value", "SECTIONS"]

Change = Literal["ratio", "difference"]
Kind = Literal["count", "number", "fraction", "text", "usd"]

SECTIONS = ("run", "fleet", "sunlight", "power", "network", "sensing", "space OS", "ground",
            "cost")


@dataclass(frozen=True)
class Row:
    """One metric of A and B; path locates it in a summary (named list items by their name)."""

    section: str
    metric: str
    path: tuple[str, ...]
    kind: Kind
    a: Any
    b: Any
    change: Change | None = None
    value: float | None = None  # B/A or B - A; None where undefined (a side missing, A = 0)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = list(self.path)
        return d


# (key, kind, change): one metric of a summary block
Spec = tuple[str, Kind, "Change | None"]

_CONSTELLATION: list[Spec] = [
    ("satellites", "count", "ratio"),
    ("contacts", "count", "ratio"),
    ("contact_hours", "number", "ratio"),
]
_PHYSICS: list[Spec] = [
    ("sunlit_fraction", "fraction", "difference"),
    ("energy_harvested_kwh", "number", "ratio"),
    ("energy_consumed_kwh", "number", "ratio"),
    ("energy_curtailed_kwh", "number", "ratio"),
    ("energy_unmet_kwh", "number", "ratio"),
    ("mean_compute_w", "number", "ratio"),
    ("mean_compute_w_allowed", "number", "ratio"),
    ("throttled_hours", "number", "ratio"),
    ("upsets_per_day", "number", "ratio"),
    ("sefi_per_day", "number", "ratio"),
    ("dose_rad_per_year", "number", "ratio"),
]
_ROUTE: list[Spec] = [
    ("reachable_fraction", "fraction", "difference"),
    ("rtt_ms.median", "number", "ratio"),
    ("rtt_ms.p95", "number", "ratio"),
    ("hops.max", "count", "ratio"),
    ("path_changes_per_hour", "number", "ratio"),
]
_PIPELINE: list[Spec] = [
    ("delivered", "count", "ratio"),
    ("p50_s", "number", "ratio"),
    ("p90_s", "number", "ratio"),
    ("after_image_p50_s", "number", "ratio"),
    ("after_image_p90_s", "number", "ratio"),
    ("bytes_downlinked", "number", "ratio"),
]
_OPS: list[Spec] = [
    ("policy", "text", None),
    ("jobs", "count", "ratio"),
    ("completed", "count", "ratio"),
    ("unfinished", "count", "ratio"),
    ("corrupted", "count", "ratio"),
    ("deadline_misses", "count", "ratio"),
    ("useful_flop_per_day", "number", "ratio"),
    ("goodput_fraction", "fraction", "difference"),
    ("utilisation", "fraction", "difference"),
    ("completion_p50_s", "number", "ratio"),
    ("completion_p99_s", "number", "ratio"),
    ("energy_per_job_j", "number", "ratio"),
    ("work_lost_to_faults_flop", "number", "ratio"),
    ("rollbacks", "count", "ratio"),
    ("migrations", "count", "ratio"),
    ("bytes_moved", "number", "ratio"),
]
_COST: list[Spec] = [
    ("years", "number", "ratio"),
    ("orbit_total_usd", "usd", "ratio"),
    ("ground_total_usd", "usd", "ratio"),
    ("orbit_usd_per_accelerator_hour", "usd", "ratio"),
    ("ground_usd_per_accelerator_hour", "usd", "ratio"),
    ("orbit_usd_per_mwh", "usd", "ratio"),
    ("ground_usd_per_mwh", "usd", "ratio"),
    ("orbit_over_ground", "number", "ratio"),
    ("break_even_usd_per_kg", "usd", "ratio"),
]


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
          specs: list[Spec]) -> Iterator[Row]:
    for key, kind, change in specs:
        va, vb = _get(a, key), _get(b, key)
        if va is None and vb is None:
            continue
        metric = f"{prefix}{key}"
        yield Row(section, metric, path + tuple(key.split(".")), kind, va, vb, change,
                  _change(va, vb, change))


def _each(section: str, path: tuple[str, ...], a: dict[str, dict], b: dict[str, dict],
          specs: list[Spec]) -> Iterator[Row]:
    """Rows for named items (constellations, routes, policies) present in A or B, A's first."""
    for name in list(a) + [n for n in b if n not in a]:
        yield from _rows(section, f"{name}: ", path + (name,), a.get(name), b.get(name), specs)


def _flat(section: str, path: tuple[str, ...], a: dict | None, b: dict | None,
          change: Change = "ratio") -> Iterator[Row]:
    """Every scalar of a flat block (a ground data centre's figures), in A's key order."""
    a, b = a or {}, b or {}
    keys = list(a) + [k for k in b if k not in a]
    specs: list[Spec] = [(k, "number", change) for k in keys
                         if _is_number(a.get(k)) or _is_number(b.get(k))]
    yield from _rows(section, "", path, a, b, specs)


def compare_summaries(a: dict, b: dict) -> list[Row]:
    """Rows of every metric present in summary a or b, by section (see SECTIONS)."""
    rows: list[Row] = []
    rows += _rows("run", "", (), a, b, [("name", "text", None), ("epoch", "text", None),
                                         ("duration_s", "number", "ratio"),
                                         ("step_s", "number", "ratio"), ("seed", "count", None)])
    rows += _rows("fleet", "", (), a, b, [("satellites", "count", "ratio"),
                                           ("ground_stations", "count", "ratio"),
                                           ("propagation_errors", "count", "ratio"),
                                           ("contacts", "count", "ratio"),
                                           ("contact_hours", "number", "ratio")])
    ca, cb = _named(a.get("constellations")), _named(b.get("constellations"))
    rows += _each("fleet", ("constellations",), ca, cb, _CONSTELLATION)
    rows += _rows("sunlight", "", (), a, b, [("eclipses", "count", "ratio"),
                                              ("umbra_hours", "number", "ratio"),
                                              ("penumbra_hours", "number", "ratio")])
    rows += _each("sunlight", ("constellations",), ca, cb,
                  [("shadow_fraction", "fraction", "difference")])
    pa_, pb = _named(_get(a, "physics.constellations")), _named(_get(b, "physics.constellations"))
    rows += _each("power", ("physics", "constellations"), pa_, pb, _PHYSICS)
    na, nb = a.get("network"), b.get("network")
    rows += _rows("network", "", ("network",), na, nb,
                  [("isls_per_satellite_mean", "number", "ratio"),
                   ("isls_per_satellite_max", "count", "ratio")])
    rows += _each("network", ("network", "routes"), _named(_get(a, "network.routes"), _route_name),
                  _named(_get(b, "network.routes"), _route_name), _ROUTE)
    sa, sb = a.get("sensing"), b.get("sensing")
    rows += _rows("sensing", "", ("sensing",), sa, sb,
                  [("events", "count", "ratio"), ("imaged", "count", "ratio"),
                   ("revisit_p50_s", "number", "ratio"), ("revisit_p90_s", "number", "ratio")])
    for pipeline in ("onboard", "bentpipe"):
        rows += _rows("sensing", f"{pipeline}: ", ("sensing", pipeline), _get(sa, pipeline),
                      _get(sb, pipeline), _PIPELINE)
    oa, ob = a.get("ops"), b.get("ops")
    if (oa and "policies" in oa) or (ob and "policies" in ob):
        rows += _each("space OS", ("ops", "policies"),
                      _named(_get(oa, "policies") or ([oa] if oa else []), lambda x: x["policy"]),
                      _named(_get(ob, "policies") or ([ob] if ob else []), lambda x: x["policy"]),
                      _OPS)
    else:
        rows += _rows("space OS", "", ("ops",), oa, ob, _OPS)
    rows += _flat("ground", ("ground",), a.get("ground"), b.get("ground"))
    rows += _rows("cost", "", ("cost",), a.get("cost"), b.get("cost"), _COST)
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


def format_value(value: Any, kind: Kind) -> str:
    """A value as the table shows it: fractions in %, money in $, '-' when absent."""
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
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:.4g}"


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
