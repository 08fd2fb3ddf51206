"""The environment as the operating system sees it: per satellite and step, piecewise constant.

Step k covers [t_s[k], t_s[k + 1]). A quantity that is a rate (compute capacity, link rate) is
integrated once into a running total (T + 1, N); the time at which a job's work or a transfer's
bytes are done is then found by inverting that total (binary search plus linear interpolation),
so a job costs O(log T) whatever its length, and no per-step event is needed.

A service that runs without an end keeps the timelines a window: `append` adds a block of steps
after the last one and `forget_before` drops the steps before a time. Running totals continue
across both (each window carries the totals accrued before its first step), so a time or an
amount the engine holds from an earlier window stays valid, and a window built block by block
holds the very numbers of the same steps given at once.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np

FAULT_DTYPE = np.dtype([("time_s", "f8"), ("satellite", "i8"), ("kind", "U8")])


@dataclass(frozen=True, eq=False)
class Timelines:
    """Everything the scheduler reads. Arrays (T, N) unless said otherwise; SI units. Any real
    dtype will do (the stage keeps float32 and uint8 to save memory).

    t_s (T + 1,): step edges, the last one the end of the run.
    capacity: fraction of peak compute that power and heat allow, in [0, 1].
    sunlit: illumination fraction in [0, 1] (lit: >= 0.5).
    battery: state of charge above the floor, in [0, 1] (1 when unknown).
    ground_bps: rate to the ground (best station in view), 0 out of contact.
    peak_flops: {precision: (N,)} dense peak of the whole payload, op/s.
    power_w (N,): payload electrical power at full load.
    isl_bps: rate of the satellite's best usable inter-satellite link, 0 when the Earth blocks
    them all; None: no ISLs anywhere. A satellite has ISLs when its rate is > 0 at some step.
    group (N,): cluster label (formation or plane) for distributed training.
    faults: FAULT_DTYPE events, kind "seu" (upset) or "sefi" (functional interrupt).
    seu_rate_s (N,): mean upset rate, for the Young/Daly interval.
    power_capacity: the fraction power alone allows (>= capacity); None: not split from heat.
    isl_capable (N,): the satellites with ISL terminals; None: those whose rate is > 0 at some
    step.
    work_at_start (N,), ground_at_start (N,), relay_at_start: the running totals (compute in
    capacity-seconds, ground and relay bits) accrued before t_s[0]; None: 0 (see `append`).
    """

    t_s: np.ndarray
    capacity: np.ndarray
    sunlit: np.ndarray
    peak_flops: dict[str, np.ndarray]
    power_w: np.ndarray
    battery: np.ndarray | None = None
    ground_bps: np.ndarray | None = None
    isl_bps: np.ndarray | None = None
    group: np.ndarray | None = None
    faults: np.ndarray = field(default_factory=lambda: np.empty(0, FAULT_DTYPE))
    seu_rate_s: np.ndarray | None = None
    names: list[str] | None = None
    power_capacity: np.ndarray | None = None
    group_names: list[str] | None = None
    isl_capable: np.ndarray | None = None
    work_at_start: np.ndarray | None = None
    ground_at_start: np.ndarray | None = None
    relay_at_start: float = 0.0

    @property
    def n(self) -> int:
        return self.capacity.shape[1]

    @cached_property
    def has_isl(self) -> np.ndarray:
        """(N,) bool: the satellite has ISLs (isl_capable, else its rate is > 0 at some step)."""
        if self.isl_capable is not None:
            return np.asarray(self.isl_capable, dtype=bool)
        if self.isl_bps is None:
            return np.zeros(self.n, dtype=bool)
        return self.isl_bps.max(axis=0) > 0

    @property
    def satellite_names(self) -> list[str]:
        """names, or sat0, sat1, ... when the timelines carry none."""
        return list(self.names or default_names(self.n))

    @property
    def end_s(self) -> float:
        return float(self.t_s[-1])

    @cached_property
    def dt(self) -> np.ndarray:
        return np.diff(self.t_s)

    @cached_property
    def work_rows(self) -> np.ndarray:
        """Running total (N, T + 1) of capacity x dt: seconds of full-rate compute, one row per
        satellite (the engine's look-ups read rows)."""
        return running_rows(self.capacity, self.dt, self.work_at_start)

    @property
    def work_cum(self) -> np.ndarray:
        """work_rows as (T + 1, N) (a view)."""
        return self.work_rows.T

    @cached_property
    def ground_rows(self) -> np.ndarray:
        """Running total (N, T + 1) of ground bits per satellite."""
        if self.ground_bps is None:
            return np.zeros((self.n, len(self.t_s)))
        return running_rows(self.ground_bps, self.dt, self.ground_at_start)

    @cached_property
    def relay_bps(self) -> np.ndarray:
        """(T,) best ground rate over the satellites with ISLs: the ground segment that data
        relayed over ISLs goes through (0 when none has ISLs or there are no stations)."""
        relays = self.has_isl
        if self.ground_bps is None or not relays.any():
            return np.zeros(len(self.dt))
        return self.ground_bps[:, relays].max(axis=1).astype(float)

    @cached_property
    def relay_cum(self) -> np.ndarray:
        """Running total (T + 1,) of relay_bps: bits through the relay ground segment."""
        return running_total(self.relay_bps, self.dt, self.relay_at_start)

    @cached_property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Sunlight transitions: (time_s, satellite) of eclipse entries and of exits."""
        return sunlight_edges(self.sunlit, self.t_s)

    def edges_from(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """The sunlight transitions at t_s (a step edge) and after: those an appended block
        brought, the one at its first edge included."""
        k = max(int(self.t_s.searchsorted(t_s)) - 1, 0)
        return sunlight_edges(self.sunlit[k:], self.t_s[k:])

    def append(self, block: Timelines) -> Timelines:
        """These timelines followed by block's steps (block.t_s[0] must be this end_s); the
        per-satellite fields (peaks, power, groups, names, upset rates) stay these. Running
        totals continue, and a satellite has ISLs if it has them in either. The arrays are
        views of buffers with room to spare (Room), written in place when these timelines are
        the last grown from them: an engine extended step by step copies no window."""
        if block.t_s[0] != self.t_s[-1] or block.n != self.n:
            raise ValueError(f"append: a block of {block.n} satellites from {block.t_s[0]} s "
                             f"does not follow {self.n} satellites ending at {self.end_s} s")
        for name in PER_STEP:
            if (getattr(self, name) is None) != (getattr(block, name) is None):
                raise ValueError(f"append: {name} is given in one part only")
        rows = self.__dict__.get("work_rows")  # worked out already: continued, not redone
        more = None
        if rows is not None and len(block.t_s) == 2:  # running_rows' sum for one step
            h = block.t_s[1] - block.t_s[0]  # its dt
            more = (block.capacity[0].astype(float) * h + rows[:, -1])[:, None]
        elif rows is not None:
            more = running_rows(block.capacity, block.dt, rows[:, -1])[:, 1:]
        room = self.__dict__.get("_room")
        if room is None or not room.fits(self, block, rows is not None):
            room = Room(self, block, rows)
        steps = room.write(block, more)
        if len(block.faults) or self.faults.dtype != FAULT_DTYPE:
            faults = np.concatenate([self.faults, block.faults]).astype(FAULT_DTYPE)
        else:  # the common step without an upset: the same events (never written to)
            faults = self.faults
        isl = self.has_isl if self.has_isl.all() else self.has_isl | block.has_isl
        out = self.replaced(t_s=room.t_s[:room.end + 1], faults=faults, isl_capable=isl,
                            **steps)
        out.__dict__["dt"] = room.dt[:room.end]
        if rows is not None:
            out.__dict__["work_rows"] = room.work[:, :room.end + 1]
        out.__dict__["_room"] = room
        return out

    def forget_before(self, t_s: float) -> Timelines:
        """These timelines from the step holding t_s on (the steps before dropped, their
        running totals carried); the same object when nothing is dropped."""
        k = self.step_at(t_s)
        if k == 0:
            return self
        steps = {name: None if getattr(self, name) is None else getattr(self, name)[k:]
                 for name in PER_STEP}
        keep = self.faults["time_s"] >= self.t_s[k]
        return self.replaced(t_s=self.t_s[k:], faults=self.faults[keep],
                       isl_capable=self.has_isl, work_at_start=self.work_rows[:, k].copy(),
                       ground_at_start=self.ground_rows[:, k].copy(),
                       relay_at_start=float(self.relay_cum[k]), **steps)

    def replaced(self, **changes) -> Timelines:
        """These timelines with the fields in changes replaced (dataclasses.replace without
        the cost of __init__, which checks nothing; the cached properties are not carried)."""
        out = object.__new__(type(self))
        d, mine = out.__dict__, self.__dict__
        for name in FIELDS:
            d[name] = mine[name]
        d.update(changes)
        return out

    def step_at(self, t: float) -> int:
        """Index of the step holding time t (clipped to the run)."""
        k = int(self.t_s.searchsorted(t, side="right")) - 1
        return min(max(k, 0), len(self.t_s) - 2)

    def value_at(self, name: str, t: float) -> np.ndarray:
        """(N,) of a (T, N) timeline at time t."""
        arr = getattr(self, name)
        if arr is None:
            return np.ones(self.n)
        return arr[self.step_at(t)]


FIELDS = tuple(f.name for f in fields(Timelines))
# the fields of Timelines with one row per step
PER_STEP = ("capacity", "sunlit", "battery", "ground_bps", "isl_bps", "power_capacity")


class Room:
    """Buffers with spare steps behind a window that grows (Timelines.append): t_s, dt, the
    per-step fields and work_rows, filled up to `end` steps. The timelines grown last from them are
    views of their first `end` steps; the steps after are nobody's, so an append writes them."""

    def __init__(self, env: Timelines, block: Timelines, rows: np.ndarray | None):
        t = len(env.t_s) - 1
        size = 2 * (t + len(block.t_s) - 1) + 64
        self.end = t
        self.t_s = np.empty(size + 1)
        self.t_s[:t + 1] = env.t_s
        self.dt = np.empty(size)
        self.dt[:t] = env.dt
        self.steps = {}
        for name in PER_STEP:
            a = getattr(env, name)
            if a is not None:
                dtype = np.result_type(a, getattr(block, name))  # as np.concatenate's
                self.steps[name] = np.empty((size, a.shape[1]), dtype)
                self.steps[name][:t] = a
        self.work = None
        if rows is not None:
            self.work = np.empty((rows.shape[0], size + 1))
            self.work[:, :t + 1] = rows

    def fits(self, env: Timelines, block: Timelines, rows: bool) -> bool:
        """Whether env is the window grown last from these buffers, block's steps fit behind it
        and keep their dtypes."""
        steps = len(block.t_s) - 1
        return (len(env.t_s) - 1 == self.end and self.end + steps < len(self.t_s)
                and (self.work is not None) == rows
                and all(getattr(block, name).dtype == a.dtype for name, a in self.steps.items()))

    def write(self, block: Timelines, work: np.ndarray | None) -> dict[str, np.ndarray]:
        """Write block's steps (and work, the running totals (N, steps) at their ends) after
        the end; the per-step fields' views up to the new end."""
        t, steps = self.end, len(block.t_s) - 1
        self.t_s[t + 1:t + steps + 1] = block.t_s[1:]
        # np.diff's differences (block.t_s[0] is the window's end)
        np.subtract(block.t_s[1:], block.t_s[:-1], out=self.dt[t:t + steps])
        out = {}
        for name, a in self.steps.items():
            a[t:t + steps] = getattr(block, name)
            out[name] = a[:t + steps]
        if work is not None:
            self.work[:, t + 1:t + steps + 1] = work
        self.end = t + steps
        return out


def sunlight_edges(sunlit: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time_s, satellite) of eclipse entries and of exits between the steps of sunlit (T, N)."""
    lit = sunlit >= 0.5
    was, now = lit[:-1], lit[1:]
    k_in, s_in = (was > now).nonzero()
    k_out, s_out = (was < now).nonzero()
    return _pairs(t_s[k_in + 1], s_in), _pairs(t_s[k_out + 1], s_out)


def _pairs(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(M, 2) float64 rows (t, s): np.stack([t, s], axis=1) without its overhead."""
    out = np.empty((len(t), 2))
    out[:, 0] = t
    out[:, 1] = s
    return out


def running_total(rate: np.ndarray, dt: np.ndarray, start=None) -> np.ndarray:
    """Cumulative integral (T + 1, ...) of a piecewise constant rate (T, ...), from start (the
    amount before the first step; None: 0). Summed in order, step after step, so a total
    continued from an earlier one's last value holds the same numbers as one over all steps."""
    out = np.zeros((rate.shape[0] + 1, *rate.shape[1:]))
    amount = rate * dt.reshape(-1, *([1] * (rate.ndim - 1)))
    if start is not None and len(amount):
        out[0] = start
        amount[0] += start
    np.cumsum(amount, axis=0, out=out[1:])
    return out


def running_rows(rate: np.ndarray, dt: np.ndarray, start: np.ndarray | None = None,
                 chunk: int = 1024) -> np.ndarray:
    """Running totals (N, T + 1) of a piecewise constant rate (T, N), float64, from start (N,)
    (None: 0), built a chunk of satellites at a time so no (T, N) float64 temporary is needed."""
    out = np.zeros((rate.shape[1], rate.shape[0] + 1))
    for k in range(0, rate.shape[1], chunk):
        amount = rate[:, k:k + chunk].T * dt
        if start is not None and amount.shape[1]:
            out[k:k + chunk, 0] = start[k:k + chunk]
            amount[:, 0] += start[k:k + chunk]
        np.cumsum(amount, axis=1, out=out[k:k + chunk, 1:])
    return out


def total_at(cum: np.ndarray, t_s: list, t: float) -> float:
    """Running total cum (T + 1,) at time t (linear within a step); t_s the step edges as a
    list (plain floats: the engine's per-event look-ups)."""
    k = bisect.bisect_right(t_s, t) - 1
    if k >= len(t_s) - 1:
        return float(cum[-1])
    k = max(k, 0)
    c0, c1 = float(cum[k]), float(cum[k + 1])
    return c0 + (c1 - c0) * (t - t_s[k]) / (t_s[k + 1] - t_s[k])


def totals_at(rows: np.ndarray, t_s: list, t: float, which=slice(None)) -> np.ndarray:
    """total_at for several running totals at once: rows[which] (M, T + 1) at time t, (M,)
    (only the columns needed are read)."""
    k = bisect.bisect_right(t_s, t) - 1
    if k >= len(t_s) - 1:
        return rows[which, -1].astype(float)
    k = max(k, 0)
    c0, c1 = rows[which, k], rows[which, k + 1]
    return c0 + (c1 - c0) * (t - t_s[k]) / (t_s[k + 1] - t_s[k])


def time_to_reach(cum: np.ndarray, t_s: list, target: float) -> float:
    """Earliest time the running total cum (T + 1,) reaches target; inf: not within t_s."""
    if target > cum[-1]:  # the common case of an engine extended step by step: no search
        return np.inf
    k = int(cum.searchsorted(target, side="left"))
    if k == 0:
        return float(t_s[0])
    if k >= len(cum):
        return np.inf
    c0, c1 = float(cum[k - 1]), float(cum[k])
    return t_s[k - 1] + (target - c0) / (c1 - c0) * (t_s[k] - t_s[k - 1])


def advance(cum: np.ndarray, t_s: list, t: float, amount: float) -> float:
    """Time at which amount more of the running total cum has accrued after t (inf: never)."""
    return time_to_reach(cum, t_s, total_at(cum, t_s, t) + amount)


def accrued(cum: np.ndarray, t_s: list, t0: float, t1: float) -> float:
    """Amount of the running total cum accrued between t0 and t1 (>= 0)."""
    return max(total_at(cum, t_s, t1) - total_at(cum, t_s, t0), 0.0)


def default_names(n: int) -> list[str]:
    """Satellite names when the timelines carry none: sat0, sat1, ..."""
    return [f"sat{k}" for k in range(n)]


def ring_allreduce_s(bytes_: float, n: int, link_bps: float, hop_latency_s: float = 0.0) -> float:
    """Ring all-reduce time of bytes_ over n nodes: 2 (n - 1) / n x bits / rate (+ latencies)."""
    if n <= 1:
        return 0.0
    if link_bps <= 0:
        return np.inf
    return 2 * (n - 1) / n * bytes_ * 8.0 / link_bps + 2 * (n - 1) * hop_latency_s


def young_daly_s(checkpoint_s: float, mtbf_s: float) -> float:
    """Young's optimal checkpoint interval sqrt(2 C M) (Young 1974; Daly 2006 first order)."""
    return float(np.sqrt(2.0 * checkpoint_s * mtbf_s))


def constant(
    n: int,
    duration_s: float,
    step_s: float,
    peak_flops: float = 1e15,
    power_w: float = 1000.0,
    capacity: float | np.ndarray = 1.0,
    sunlit: float | np.ndarray = 1.0,
    **kw,
) -> Timelines:
    """Timelines for tests and benchmarks: n identical satellites, arrays broadcast to (T, N)
    (an isl_bps of shape (N,) too: a rate constant over the run, as a view)."""
    t = np.arange(0.0, duration_s + step_s / 2, step_s)
    shape = (len(t) - 1, n)
    if kw.get("isl_bps") is not None:
        kw["isl_bps"] = np.broadcast_to(np.asarray(kw["isl_bps"], float), shape)
    return Timelines(
        t_s=t,
        capacity=np.broadcast_to(np.asarray(capacity, float), shape).copy(),
        sunlit=np.broadcast_to(np.asarray(sunlit, float), shape).copy(),
        peak_flops={p: np.full(n, peak_flops) for p in ("fp8", "bf16", "fp16", "fp32", "int8")},
        power_w=np.full(n, power_w),
        **kw,
    )
