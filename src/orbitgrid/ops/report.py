"""Summary figures of an operations run and its delivered-compute waterfall.

The waterfall starts from peak: every satellite at full accelerator throughput for the whole
run, and removes, in this order, what power (battery and array) did not allow, what heat
rejection did not allow, what sat idle (no job placed: scheduling and queue), what went to
waiting for data and links (staging input or checkpoints, all-reduce communication), what went
to faults and recovery (rolled-back work, checkpoint writes and reads, satellites down), and
what redundancy replicated; what is left is what jobs got. Amounts are FLOP at each satellite's
reference precision (bf16 if it has one).
"""

from __future__ import annotations

import numpy as np

SECONDS_PER_DAY = 86_400.0
LOSSES = ("power", "heat", "idle", "data_and_links", "faults_and_recovery", "redundancy")


def _r(x: float) -> float:
    return float(f"{float(x):.6g}") if np.isfinite(x) else float(x)


def power_heat_lost_s(env, steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per satellite, full-rate seconds that power and heat did not allow over env's first
    `steps` steps (None: all)."""
    dt = env.dt[:steps, None]
    cap = env.capacity[:steps]
    if env.power_capacity is not None:
        p = np.minimum(env.power_capacity[:steps], 1.0)
        return ((1.0 - p) * dt).sum(axis=0), ((p - cap) * dt).sum(axis=0)
    return ((1.0 - cap) * dt).sum(axis=0), np.zeros(env.n)


def losses_sat_s(env, acc: dict[str, np.ndarray], forgotten=None) -> dict[str, np.ndarray]:
    """Per satellite, seconds at full rate in each bucket; they sum to the run's length.
    forgotten (engine.Forgotten): what the steps before env's first one added (None: none)."""
    power, heat = power_heat_lost_s(env)
    span = np.full(env.n, float(env.dt.sum()))
    if forgotten is not None:
        power, heat = power + forgotten.power_s, heat + forgotten.heat_s
        span += forgotten.span_s
    available = env.work_cum[-1]
    busy = sum(acc[k] for k in ("staging", "restore_ckpt", "lost", "redundancy", "comm",
                                "delivered"))
    out = {
        "power": power,
        "heat": heat,
        "idle": np.maximum(available - busy - acc["down"], 0.0),
        "data_and_links": acc["staging"] + acc["comm"],
        "faults_and_recovery": acc["restore_ckpt"] + acc["lost"] + acc["down"],
        "redundancy": acc["redundancy"],
        "delivered": acc["delivered"],
    }
    out["peak"] = span
    return out


def summarise(table, schedule, env, acc, policy: str, events: int, forgotten=None) -> dict:
    """summary.json figures of one policy's run (forgotten: see losses_sat_s)."""
    duration = env.end_s - float(env.t_s[0]) + (forgotten.span_s if forgotten else 0.0)
    state = table["state"]
    done = state == "done"
    took = (table["end"] - table["arrival"])[done]
    has_deadline = np.isfinite(table["deadline"])
    ref_precision = "bf16" if "bf16" in env.peak_flops else next(iter(env.peak_flops))
    ref = env.peak_flops[ref_precision]
    b = losses_sat_s(env, acc, forgotten)
    flop = {k: float((v * ref).sum()) for k, v in b.items()}
    busy = flop["peak"] - flop["power"] - flop["heat"] - flop["idle"]
    available = flop["peak"] - flop["power"] - flop["heat"]
    waterfall, left = [{"step": "peak", "flop": _r(flop["peak"])}], flop["peak"]
    for k in LOSSES:
        left -= flop[k]
        waterfall.append({"step": f"lost to {k.replace('_', ' ')}", "flop": _r(-flop[k]),
                          "left_flop": _r(left)})
    waterfall.append({"step": "delivered to jobs", "flop": _r(flop["delivered"])})
    groups = env.group if env.group is not None else np.zeros(env.n, dtype=int)
    binding = []
    for g in dict.fromkeys(groups.tolist()):
        m = groups == g
        label = env.group_names[g] if env.group_names is not None else str(g)
        peak = flop_peak(b, ref, m)
        if peak <= 0:  # no peak at the reference precision: outside the waterfall
            binding.append({"group": label, "satellites": int(m.sum()), "binding": None,
                            "lost_fraction": None, "note": f"no {ref_precision} peak"})
            continue
        lost = {k: float((b[k][m] * ref[m]).sum()) for k in LOSSES}
        worst = max(lost, key=lambda k: (lost[k], k))
        binding.append({"group": label, "satellites": int(m.sum()), "binding": worst,
                        "lost_fraction": _r(lost[worst] / peak)})
    return {
        "policy": policy,
        "jobs": int(len(state)),
        "completed": int(done.sum()),
        "corrupted": int((state == "corrupted").sum()),
        "unfinished": int((state == "unfinished").sum()),
        "useful_flop_per_day": _r(table["work_flop"][done].sum() / duration * SECONDS_PER_DAY),
        "goodput_fraction": _r(flop["delivered"] / busy) if busy > 0 else 0.0,
        "utilisation": _r(busy / available) if available > 0 else 0.0,
        "completion_p50_s": _r(np.percentile(took, 50)) if took.size else None,
        "completion_p99_s": _r(np.percentile(took, 99)) if took.size else None,
        "deadline_misses": int((has_deadline & ~table["deadline_met"]).sum()),
        "work_lost_to_faults_flop": _r(table["lost_flop"].sum()
                                       + table["work_flop"][state == "corrupted"].sum()),
        "energy_per_job_j": _r(table["energy_j"][done].mean()) if done.any() else None,
        "rollbacks": int(table["rollbacks"].sum()),
        "migrations": int(table["migrations"].sum()),
        "bytes_moved": _r(table["bytes_moved"].sum()),
        "events": int(events),
        "waterfall": waterfall,
        "binding_constraints": binding,
    }


def flop_peak(b, ref, mask) -> float:
    return float((b["peak"][mask] * ref[mask]).sum())


def side_by_side(summaries: list[dict]) -> str:
    """A plain-text table of policies in columns."""
    rows = ("completed", "unfinished", "deadline_misses", "useful_flop_per_day",
            "goodput_fraction", "utilisation", "completion_p50_s", "completion_p99_s",
            "energy_per_job_j", "work_lost_to_faults_flop", "migrations")
    head = ["", *[s["policy"] for s in summaries]]
    body = [[r, *[_fmt(s.get(r)) for s in summaries]] for r in rows]
    widths = [max(len(str(x[c])) for x in [head, *body]) for c in range(len(head))]
    lines = ["  ".join(str(x).rjust(w) if c else str(x).ljust(w)
                       for c, (x, w) in enumerate(zip(row, widths, strict=True)))
             for row in [head, *body]]
    return "\n".join(lines)


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)
