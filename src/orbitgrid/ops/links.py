"""Links as resources that transfers share, each serving its transfers one at a time in the order
they are asked for (FIFO), and the training rings that load ISL terminals.

The links of a fleet (Links): the ISL terminal of each satellite (isl:NAME), the ground downlink
and uplink of each satellite (down:NAME, up:NAME: full duplex, each at the timelines' one ground
rate), and the relay ground segment for the satellites with ISLs (down:relay, up:relay: the best
contact among them, Timelines.relay_bps). A transfer starts when it is asked for and every link
it uses is free, then takes the bits at the link's rate integrated over time; an ISL transfer
between two known satellites holds both terminals at the slower of their two rates at each
step. Every link held is one row (link, job, start, end, bytes, kind "transfer").

A training cluster's ring all-reduce (Ring) starts when every member's terminal has finished the
transfers queued on it and holds until the job leaves; meanwhile each member's terminal carries
load(t) = capacity(t) x b / (c + b / r(t)) bit/s (b the bits a member sends per step, c the
compute time of a step, r the slowest member's ISL rate), and a transfer beside it gets the
terminal's rate less that load. Its rows (kind "allreduce") are cut at the starts and ends of
the transfers beside it. See the engine module's docstring for the model.

A request is a Leg: one hop through one or two links, asked for at a time or when the hop
before it ends. Over timelines that grow (Timelines.append; open_ended), a leg whose bits are
not all through by the end of the known steps stays open: it holds its links' queues (legs
asked after it on them wait, in order), and `retry` settles the open legs in the order they
were asked once more steps are known, so they get the times they would have had over all the
steps at once (given that those steps see them through). `close` settles what is still open as
a run that ends there does (inf: never).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orbitgrid.ops.timelines import Timelines, advance

TRANSFER, ALLREDUCE = "transfer", "allreduce"  # kinds of rows in OpsResult.transfers


class Link:
    """One link: its name, when the last transfer booked on it ends, and (an ISL terminal) the
    ring it carries."""

    __slots__ = ("index", "name", "free_at", "ring", "waiting")

    def __init__(self, index: int, name: str):
        self.index = index
        self.name = name
        self.free_at = -np.inf
        self.ring: Ring | None = None
        self.waiting = 0  # open legs and rings queued on it


class Leg:
    """One hop of a data movement: nbytes of job over the ISL terminals of a and b (b = -1: the
    relay's ground segment, whose terminal is not booked; links those terminals) or through a
    ground link (links that link), asked for at `asked` or, chained, when `after` ends. start
    and end once known (end None: not yet, open; inf: never)."""

    __slots__ = ("job", "nbytes", "a", "b", "links", "ground", "after", "asked", "start", "end")

    def __init__(self, job: int, nbytes: float, a: int, b: int, links: tuple[Link, ...],
                 after: Leg | float, ground: bool = False):
        self.job, self.nbytes, self.a, self.b, self.links = job, nbytes, a, b, links
        self.ground = ground
        self.after = after if isinstance(after, Leg) else None
        self.asked = None if isinstance(after, Leg) else after
        self.start: float | None = None
        self.end: float | None = None

    def asked_s(self) -> float | None:
        return self.asked if self.after is None else self.after.end


@dataclass
class Ring:
    """A training cluster's all-reduce on its members' ISL terminals, from t0 until the job
    leaves them (t0 inf while a member's terminal waits for a transfer beyond the timelines)."""

    job: int
    sats: np.ndarray
    asked: float  # when the cluster was ready to compute; it waited until t0 for its terminals
    t0: float
    step_c: float  # compute time of one step (s)
    bit_s: float  # bits a member sends per step
    cuts: dict[int, list[float]] = field(default_factory=dict)  # member -> transfer edges
    # what it waited for is accounted (once it started: see Engine.forget_before)
    waited_done: bool = False
    # its running total of bits per member (times, bits) over steps forgotten since it started,
    # at its start, the members' cuts and the forget times (Links.carry_ring)
    kept_t: list[float] = field(default_factory=list)
    kept_bits: list[float] = field(default_factory=list)

    def load_bps(self, env: Timelines, k0: int, k1: int) -> np.ndarray:
        """bit/s the ring takes on each member's terminal at steps k0..k1 - 1."""
        cap = env.capacity[k0:k1, self.sats].min(axis=1).astype(float)
        r = env.isl_bps[k0:k1, self.sats].min(axis=1).astype(float)
        return cap * (self.bit_s * r / (self.step_c * r + self.bit_s))


class Links:
    """Every link of a fleet and the rows booked on them: (link index, job index, start, end,
    bytes, kind). Link indices: the ISL terminal of satellite s is s, its downlink n + s, its
    uplink 2 n + s, the relay's downlink 3 n and uplink 3 n + 1."""

    def __init__(self, env: Timelines, has_isl: list[bool], open_ended: bool = False):
        names = env.satellite_names
        n = env.n
        self.all = [Link(k, f"{kind}:{x}") for k, (kind, x) in enumerate(
            [("isl", x) for x in names] + [("down", x) for x in names]
            + [("up", x) for x in names] + [("down", "relay"), ("up", "relay")])]
        self.isl = self.all[:n]
        self.has_isl = has_isl
        self.open_ended = open_ended  # the timelines will grow: see Leg
        self.rows: list[tuple] = []
        self.open: list[Leg | Ring] = []  # legs and rings waiting for their times, as asked
        self.use(env)

    def use(self, env: Timelines) -> None:
        """Read rates from env (the same steps as before, maybe more of them)."""
        self.env = env
        self.t_list = env.t_s.tolist()

    def ground_link(self, s: int, up: bool) -> Link:
        """Satellite s's ground link (s = -1: the relay's), up or down."""
        n = self.env.n
        return self.all[3 * n + up if s < 0 else (2 if up else 1) * n + s]

    def over_isl(self, job: int, a: int, b: int, after: Leg | float, nbytes: float) -> Leg:
        """nbytes between satellites a and b over ISLs (b = -1: the relay, whose terminal is not
        booked), asked for at after (a time, or when that leg ends)."""
        if nbytes <= 0 or a == b:
            return self.request(Leg(job, nbytes, a, b, (), after))
        leg = Leg(job, nbytes, a, b, (self.isl[a],) if b < 0 else (self.isl[a], self.isl[b]),
                  after)
        if not (self.has_isl[a] and (b < 0 or self.has_isl[b])):
            leg.end = np.inf
            return leg
        return self.request(leg)

    def over_ground(self, job: int, s: int, after: Leg | float, nbytes: float,
               up: bool = False) -> Leg:
        """nbytes down (up: up) through satellite s's contacts (s = -1: the relay segment),
        asked for at after (a time, or when that leg ends)."""
        link = self.ground_link(s, up)
        return self.request(Leg(job, nbytes, s, -1, (link,) if nbytes > 0 else (), after, True))

    def request(self, leg: Leg) -> Leg:
        """Book leg now if it can be (its times known), else queue it as open."""
        if not self.settle(leg):
            self.wait(leg)
        return leg

    def wait(self, item: Leg | Ring) -> None:
        self.open.append(item)
        for x in self.links_of(item):
            x.waiting += 1

    def links_of(self, item: Leg | Ring) -> list[Link]:
        return [self.isl[s] for s in item.sats.tolist()] if isinstance(item, Ring) else item.links

    def settle(self, leg: Leg, final: bool = False) -> bool:
        """Fix leg's start and end and book it; False: it stays open (a leg before it, or on
        one of its links, is open; or its bits are not through within the timelines). final:
        as a run that ends with these timelines does (never booked, or booked to inf), as
        every leg is when the timelines do not grow."""
        final = final or not self.open_ended
        if leg.end is not None:
            return True
        asked = leg.asked_s()
        if asked is None:
            return False
        if not leg.links:
            leg.end = asked
            return True
        if not final and any(x.waiting for x in leg.links):
            return False
        start = max(asked, *[x.free_at for x in leg.links])
        if start == np.inf:  # a transfer ahead never finishes
            leg.end = np.inf
            return True
        if leg.ground:
            cum = self.env.relay_cum if leg.a < 0 else self.env.ground_rows[leg.a]
            end = advance(cum, self.t_list, start, leg.nbytes * 8.0)
        else:
            end = self.isl_end(leg.a, leg.b, start, leg.nbytes * 8.0)
        if end == np.inf and not final:
            return False
        leg.start, leg.end = start, end
        for x in leg.links:
            self.book(x, leg.job, start, end, leg.nbytes)
        return True

    def retry(self) -> list[Ring]:
        """Settle the open legs and rings in the order they were asked (after the timelines
        grew); returns the rings that could start."""
        for item in self.open:  # the links open items wait on: every other one waits for none
            for x in self.links_of(item):
                x.waiting = 0
        items, self.open, started = self.open, [], []
        for item in items:
            if isinstance(item, Ring):
                if self.start_ring(item):
                    started.append(item)
                    continue
            elif self.settle(item):
                continue
            self.wait(item)
        return started

    def close(self) -> None:
        """Settle what is still open as a run ending with these timelines does."""
        for item in self.open:
            if isinstance(item, Ring):
                for x in self.links_of(item):
                    x.free_at = np.inf
            else:
                self.settle(item, final=True)
        self.open = []

    def isl_end(self, a: int, b: int, t: float, bits: float) -> float:
        """Time at which bits sent from t at the per-step rate of a's ISL (the slower of a's and
        b's when b >= 0) have arrived; inf: not within the timelines. Integrates the rate a
        window of steps at a time, growing, so a transfer costs the steps it spans."""
        t_s, t_list = self.env.t_s, self.t_list
        steps = len(t_list) - 1
        k = self.env.step_at(t)
        width = 4
        while k < steps and t < t_list[-1]:
            hi = min(k + width, steps)
            rate = self.free_bps(a, k, hi)
            if b >= 0:
                rate = np.minimum(rate, self.free_bps(b, k, hi))
            edges = t_s[k:hi + 1].copy()
            edges[0] = t
            cum = np.cumsum(rate * np.diff(edges))
            j = int(np.searchsorted(cum, bits))
            if j < len(cum):
                before = float(cum[j - 1]) if j else 0.0
                return float(edges[j]) + (bits - before) / float(rate[j])
            bits -= float(cum[-1])
            k, t, width = hi, t_list[hi], width * 4
        return np.inf

    def free_bps(self, s: int, k: int, hi: int) -> np.ndarray:
        """ISL rate of s's terminal at steps k..hi - 1 less its ring's load (bit/s)."""
        rate = self.env.isl_bps[k:hi, s]
        ring = self.isl[s].ring
        return rate if ring is None else np.maximum(rate - ring.load_bps(self.env, k, hi), 0.0)

    def book(self, link: Link, job: int, start: float, end: float, nbytes: float) -> None:
        link.free_at = end
        self.rows.append((link.index, job, start, end, nbytes, TRANSFER))
        if link.ring is not None:
            link.ring.cuts.setdefault(link.index, []).extend((start, end))

    def book_ring(self, job: int, sats: np.ndarray, t: float, step_c: float,
                  bit_s: float) -> Ring | None:
        """Book a cluster's ring on its members' terminals from when they are all free (>= t;
        t0 inf while one waits for an open leg, see retry); None: no ring (nothing to
        exchange)."""
        if step_c <= 0 or bit_s <= 0:
            return None
        ring = Ring(job, sats, t, np.inf, step_c, bit_s)
        if not self.start_ring(ring):
            self.wait(ring)
        return ring

    def start_ring(self, ring: Ring) -> bool:
        members = self.links_of(ring)
        if any(x.waiting for x in members):
            return False
        ring.t0 = max(ring.asked, *[x.free_at for x in members])
        for x in members:  # the legs settled before it keep their rates
            x.free_at = ring.t0
            x.ring = ring
        return True

    def ring_bits(self, ring: Ring, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(times, bits): the running total of bits a started ring sent per member from its
        start to t, exact at the times given (those kept, then the timelines' step edges)."""
        env = self.env
        start = ring.kept_t[-1] if ring.kept_t else ring.t0
        k0, k1 = env.step_at(start), env.step_at(t) + 1
        edges = env.t_s[k0:k1 + 1]
        cum = np.r_[0.0, np.cumsum(ring.load_bps(env, k0, k1) * np.diff(edges))]
        if not ring.kept_t:
            return edges, cum
        cum += ring.kept_bits[-1] - np.interp(start, edges, cum)
        return np.r_[ring.kept_t, edges[edges > start]], np.r_[ring.kept_bits, cum[edges > start]]

    def carry_ring(self, ring: Ring, until: float) -> None:
        """Keep in the ring its running total up to `until` (the timelines' steps before it are
        about to be forgotten), at every time close_ring may ask for there."""
        start = ring.kept_t[-1] if ring.kept_t else ring.t0
        if until <= start:
            return
        times, bits = self.ring_bits(ring, until)
        cuts = {c for member in ring.cuts.values() for c in member if start < c < until}
        at = [*([] if ring.kept_t else [start]), *sorted(cuts), until]
        ring.kept_t += at
        ring.kept_bits += np.interp(at, times, bits).tolist()

    def close_ring(self, ring: Ring, t: float) -> float:
        """End the ring at t: its terminals released, its bytes recorded per member, cut at the
        transfers beside it; returns the bytes its members sent."""
        if ring in self.open:  # still waiting for its terminals
            self.open.remove(ring)
            for x in self.links_of(ring):
                x.waiting -= 1
        job, sent = ring.job, 0.0
        if t > ring.t0:
            edges, cum = self.ring_bits(ring, t)
        for s in ring.sats.tolist():
            self.isl[s].ring = None
            if t <= ring.t0:
                continue
            at = [ring.t0, *sorted({c for c in ring.cuts.get(s, ()) if ring.t0 < c < t}), t]
            bits = np.diff(np.interp(at, edges, cum))
            for a, b, nbits in zip(at[:-1], at[1:], bits.tolist(), strict=True):
                self.rows.append((s, job, a, b, nbits / 8.0, ALLREDUCE))
                sent += nbits / 8.0
        return sent
