"""The issue's invariants, checked on every engine run in tests/ops: the test modules import
run_ops from here, which runs the real engine and then asserts them on what it produced.

- bytes moved never exceed link capacity x time, per directed link (a satellite's ISL terminal,
  its ground uplink and downlink, the relay's uplink and downlink): a link's transfers do not
  overlap, and each one moved at most the link's time-varying capacity (ISL or ground rate per
  step, the same ground rate up and down) integrated over its [start, end]; on an ISL terminal
  a training ring's all-reduce bytes (rows of kind allreduce, cut at the transfers' starts and
  ends) plus each transfer's bytes fit in that capacity over the transfer, and the ring's pieces
  alone fit over theirs;
- no satellite runs two jobs at once, and no job is in two places at once;
- no job drew more compute power than power and heat allowed (energy <= payload power x allowed
  fraction integrated over its intervals);
- every completed job had at least its work's worth of peak compute in its intervals.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.ops import engine
from orbitgrid.ops.engine import default_names

REL = 1e-9  # float rounding in running totals


def run_ops(jobs, env, policy="first-fit", protection=None, seed=0):
    """engine.run_ops, then every invariant asserted on its result."""
    result = engine.run_ops(jobs, env, policy, protection, seed)
    check(result, env)
    return result


def check(result, env) -> None:
    check_links(result.transfers, env)
    check_schedule(result, env)


def _integral(rate: np.ndarray, t_s: np.ndarray, t0: float, t1: float) -> float:
    """Integral of a piecewise constant rate (T,) on the step edges t_s over [t0, t1]."""
    cum = np.r_[0.0, np.cumsum(np.asarray(rate, float) * np.diff(t_s))]
    return float(np.interp(t1, t_s, cum) - np.interp(t0, t_s, cum))


def link_rate(env, link: str) -> np.ndarray:
    """(T,) capacity in bit/s of a link named as in OpsResult.transfers (isl:, up:, down:), at
    each step."""
    kind, _, name = link.partition(":")
    assert kind in ("isl", "up", "down"), link
    steps = len(env.t_s) - 1
    isl = env.isl_bps if env.isl_bps is not None else np.zeros((steps, env.n))
    ground = env.ground_bps if env.ground_bps is not None else np.zeros((steps, env.n))
    if name == "relay":  # the best contact among the satellites that ever have ISLs
        return np.asarray(ground, float)[:, (isl > 0).any(axis=0)].max(axis=1)
    s = list(env.names or default_names(env.n)).index(name)
    return np.asarray((isl if kind == "isl" else ground)[:, s], float)


def check_links(transfers: dict, env) -> None:
    links = transfers["link"]
    kind = transfers.get("kind", np.full(len(links), "transfer", dtype=object))
    ring_rows = kind == "allreduce"
    for link in dict.fromkeys(links.tolist()):
        on = links == link
        rate = link_rate(env, link)
        start, end, nbytes = _sorted(transfers, on & ~ring_rows)
        assert (start[1:] >= end[:-1]).all(), f"{link}: transfers overlap"
        r_start, r_end, r_bytes = _sorted(transfers, on & ring_rows)
        assert not len(r_start) or link.startswith("isl:"), f"{link}: an all-reduce off an ISL"
        assert (r_start[1:] >= r_end[:-1]).all(), f"{link}: all-reduces overlap"
        for s, e, b in zip(r_start, r_end, r_bytes, strict=True):
            assert b * 8.0 <= _integral(rate, env.t_s, s, e) * (1 + REL) + 1e-6, link
        for s, e, b in zip(start, end, nbytes, strict=True):
            beside = (r_start < e) & (r_end > s)
            inside = (r_start >= s) & (r_end <= e)
            assert not (beside & ~inside).any(), f"{link}: all-reduce rows not cut at {s}, {e}"
            if np.isfinite(e):  # an unfinished transfer moved less than its bytes
                bits = (b + r_bytes[inside].sum()) * 8.0  # the ring shares the terminal
                assert bits <= _integral(rate, env.t_s, s, e) * (1 + REL) + 1e-6, link


def _sorted(transfers: dict, on: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    start, end, nbytes = transfers["start"][on], transfers["end"][on], transfers["bytes"][on]
    order = np.argsort(start, kind="stable")
    return start[order], end[order], nbytes[order]


def check_schedule(result, env) -> None:
    sched, jobs = result.schedule, result.jobs
    for key in ("satellite", "job"):
        for value in dict.fromkeys(sched[key].tolist()):
            on = sched[key] == value
            spans = sorted(set(zip(sched["start"][on].tolist(), sched["end"][on].tolist(),
                                   strict=True)))
            for (_, e0), (s1, _) in zip(spans[:-1], spans[1:], strict=True):
                assert s1 >= e0, f"{key} {value} is in two places at {s1}"
    names = list(env.names or default_names(env.n))
    sat = np.array([names.index(x) for x in sched["satellite"].tolist()], dtype=int)
    allowed_j: dict[str, float] = {}
    cap_s: dict[str, list] = {}
    for job, s, t0, t1 in zip(sched["job"].tolist(), sat.tolist(), sched["start"].tolist(),
                              sched["end"].tolist(), strict=True):
        cap = _integral(env.capacity[:, s], env.t_s, t0, t1)
        allowed_j[job] = allowed_j.get(job, 0.0) + float(env.power_w[s]) * cap
        cap_s.setdefault(job, []).append((s, cap))
    for i, job in enumerate(jobs["job"].tolist()):
        assert jobs["energy_j"][i] <= allowed_j.get(job, 0.0) * (1 + REL) + 1e-6, job
        if jobs["state"][i] == "done":  # the table has no precision: the fastest bounds it
            most = max(sum(p[s] * c for s, c in cap_s.get(job, []))
                       for p in env.peak_flops.values())
            assert most >= jobs["work_flop"][i] * (1 - REL), f"{job} finished short of its work"
