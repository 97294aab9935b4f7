"""A slow, obviously-correct reference for what a compiled spec must intend.

It restates DESIGN.md's resolution and the exact permission semantics of issue #12,
context by context (every concrete context is resolved on its own, nothing is cut into
cells), and imports nothing of policykit. Where those texts leave a case open, the
reference does not guess: it raises :class:`Unsure` and the property skips the example.

Per behavior and context:

1. Collect the rules whose `when` covers the context.
2. Permissions. A rule ``r`` *changes* a higher-ranked rule ``s`` when both are hard and
   cannot hold together, when one is hard and the other's target lies outside it, or
   when both are soft with different targets. If ``r``'s stakeholder holds the right to
   adjust ``s`` here (``adjustable_by`` naming it or its kind, or a grant covering this
   context from a stakeholder that holds the right here, chains included), ``r``
   adjusts ``s`` when what ``r`` allows lies within the `within` bounds on the way
   (judged on the bounds implied over the simplex); otherwise it violates. Without the
   right, changing a locked ``s`` is a violation. Violating rules take no part anywhere
   (``on_violation: drop``).

   DESIGN.md leaves two things open, and the issue only asks that an explicit `locked:
   true` and the default lock of a hard rule agree. First, whether a lower rule that
   cannot hold with a locked *hard* rule, or whose target lies outside it, is a
   violation or is overridden where they meet (its target projected): ``mode`` strict
   (both violate), mixed (hard rules violate, targets are projected) or lenient
   (neither). Second, whether a violating rule is dropped everywhere or only where it
   violates (``percell``). The reference computes every reading; a compiled spec must
   match one.
3. Hard rules, highest rank first, meet into bounds; a rule that cannot hold with the
   bounds so far is overridden; a rule ``r`` adjusts replaces its bounds by its
   `within` (none: no bounds).
4. Soft targets: each stakeholder's rules merged (mean weighted by rule weight), with
   influence ``stakeholder weight x mean rule weight``; ``weighted_linear`` pools them
   by influence; the pool (or, with no soft rule, the catalog default) is projected
   onto the bounds (Euclidean projection onto the box within the simplex).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from tests.semantics.gen import BEHAVIORS, DEFAULTS, DIMS, Proj

EPS = 1e-9
Box = tuple[tuple[float, ...], tuple[float, ...]]


class Unsure(Exception):
    """A case the issue and DESIGN.md leave open; the reference does not guess it."""


class Infeasible(Exception):
    """Rules of one rank that cannot all hold: the project must not compile."""


@dataclass(frozen=True)
class R:
    id: str
    stakeholder: str
    rank: int
    behavior: str
    when: dict[str, list[str]]
    box: Box | None
    """Hard rules: per-outcome (lo, hi); soft: None."""
    target: tuple[float, ...] | None
    weight: float
    locked: bool
    adjustable_by: tuple[str, ...]
    within: Box | None

    def covers(self, ctx: dict[str, str]) -> bool:
        return all(ctx[d] in vs for d, vs in self.when.items())


def box_of(outs: list[str], bounds: dict[str, dict[str, float]]) -> Box:
    lo = tuple(float(bounds.get(o, {}).get("min", 0.0)) for o in outs)
    hi = tuple(float(bounds.get(o, {}).get("max", 1.0)) for o in outs)
    return lo, hi


def _rule(proj: Proj, stakeholder: str, r: dict[str, Any]) -> R:
    b = r["behavior"]
    outs = BEHAVIORS[b]
    box: Box | None = None
    target = None
    if "require" in r:
        box = box_of(outs, {r["require"]: {"min": 1.0}})
    elif "forbid" in r:
        forbid = r["forbid"] if isinstance(r["forbid"], list) else [r["forbid"]]
        box = box_of(outs, {o: {"max": 0.0} for o in forbid})
    elif "bounds" in r:
        box = box_of(outs, r["bounds"])
    elif "target" in r:
        target = tuple(float(r["target"].get(o, 0.0)) for o in outs)
    else:
        target = tuple(1.0 if o == r["prefer"] else 0.0 for o in outs)
    hard = box is not None
    adjustable = tuple(r.get("adjustable_by", ()))
    locked = bool(r.get("locked", hard and not adjustable))
    within = box_of(outs, r["within"]) if "within" in r else None
    return R(
        r["id"],
        stakeholder,
        proj.principals[stakeholder].rank,
        b,
        r.get("when", {}),
        box,
        target,
        float(r.get("weight", 1.0)),
        locked,
        adjustable,
        within,
    )


def implied(box: Box) -> Box | None:
    """The tightest box of the distributions inside ``box``; None if there is none."""
    lo, hi = box
    if math.fsum(lo) > 1 + EPS or math.fsum(hi) < 1 - EPS:
        return None
    if any(a > b + EPS for a, b in zip(lo, hi, strict=True)):
        return None
    n = len(lo)
    ilo = tuple(max(lo[i], 1 - math.fsum(hi[j] for j in range(n) if j != i)) for i in range(n))
    ihi = tuple(min(hi[i], 1 - math.fsum(lo[j] for j in range(n) if j != i)) for i in range(n))
    return ilo, ihi


def meet(a: Box, b: Box) -> Box:
    return (
        tuple(max(x, y) for x, y in zip(a[0], b[0], strict=True)),
        tuple(min(x, y) for x, y in zip(a[1], b[1], strict=True)),
    )


def feasible(box: Box) -> bool:
    return implied(box) is not None


def inside_box(point: tuple[float, ...], box: Box) -> bool:
    return all(lo - EPS <= p <= hi + EPS for p, lo, hi in zip(point, *box, strict=True))


def allows_within(r: R, within: Box | None) -> bool:
    """Whether everything ``r`` allows lies within ``within`` (judged on implied bounds)."""
    if within is None:
        return True
    if r.target is not None:
        return inside_box(r.target, within)
    assert r.box is not None
    mine = implied(r.box)
    assert mine is not None
    return all(
        wl - EPS <= lo and hi <= wh + EPS for lo, hi, wl, wh in zip(*mine, *within, strict=True)
    )


def changes(r: R, s: R) -> bool:
    if r.box is not None and s.box is not None:
        return not feasible(meet(r.box, s.box))
    if r.target is not None and s.box is not None:
        return not inside_box(r.target, s.box)
    if s.target is not None and r.box is not None:
        return not inside_box(s.target, r.box)
    assert r.target is not None and s.target is not None
    return any(abs(a - b) > EPS for a, b in zip(r.target, s.target, strict=True))


class Reference:
    def __init__(self, proj: Proj, mode: str = "strict", percell: bool = False) -> None:
        self.proj = proj
        self.mode = mode
        self.percell = percell
        self.where: dict[tuple[tuple[str, str], ...], set[str]] = {}
        """Per context, the rules that violate a permission there."""
        self.rules = [_rule(proj, s, r) for s, r in proj.all_rules()]

    def contexts(self) -> list[dict[str, str]]:
        names = list(DIMS)
        return [dict(zip(names, vs, strict=True)) for vs in itertools.product(*DIMS.values())]

    def _named(self, who: tuple[str, ...] | list[str], stakeholder: str) -> bool:
        return any(stakeholder in self.proj.members(w) for w in who)

    def rights(self, stakeholder: str, s: R, ctx: dict[str, str]) -> list[Box | None]:
        """The `within` bounds of every way ``stakeholder`` holds the right to adjust
        ``s`` in ``ctx`` (empty: it holds none)."""
        found: list[Box | None] = []
        self._rights(stakeholder, s, ctx, s.within, set(), found)
        return found

    def _rights(
        self,
        who: str,
        s: R,
        ctx: dict[str, str],
        within: Box | None,
        seen: set[str],
        found: list[Box | None],
    ) -> None:
        if who in seen:
            return
        if self.proj.principals[who].rank >= s.rank:
            return
        if self._named(s.adjustable_by, who):
            found.append(within)
        outs = BEHAVIORS[s.behavior]
        for grantor, grants in self.proj.grants.items():
            for g in grants:
                if g["behavior"] != s.behavior or not self._named(g["to"], who):
                    continue
                if not all(ctx[d] in vs for d, vs in g.get("when", {}).items()):
                    continue
                if self.proj.principals[grantor].rank <= self.proj.principals[who].rank:
                    continue
                w = within
                if "within" in g:
                    gb = box_of(outs, g["within"])
                    w = gb if w is None else meet(w, gb)
                upstream: list[Box | None] = []
                self._rights(grantor, s, ctx, w, seen | {who}, upstream)
                found.extend(upstream)

    def violators(self) -> set[str]:
        """Rules that violate a permission somewhere, and the adjustments per context."""
        bad: set[str] = set()
        victims: set[str] = set()
        for ctx in self.contexts():
            for b in self.proj.behaviors:
                here = [r for r in self.rules if r.behavior == b and r.covers(ctx)]
                for r in here:
                    for s in here:
                        if s.rank <= r.rank or not changes(r, s):
                            continue
                        kind = self._judge(r, s, ctx)
                        if kind == "violates":
                            bad.add(r.id)
                            self.where.setdefault(tuple(sorted(ctx.items())), set()).add(r.id)
                            victims.add(s.id)
        self._grants_clear()
        if bad & victims:
            raise Unsure("a violating rule is itself violated: the order of dropping is open")
        return bad

    def _grants_clear(self) -> None:
        """Whether a grant reaches, somewhere in its scope, a hard rule its grantor does
        not itself hold the right to adjust: error or not is open."""
        for grantor, grants in self.proj.grants.items():
            rank = self.proj.principals[grantor].rank
            for g in grants:
                for ctx in self.contexts():
                    if not all(ctx[d] in vs for d, vs in g.get("when", {}).items()):
                        continue
                    for s in self.rules:
                        if s.behavior != g["behavior"] or s.box is None or not s.covers(ctx):
                            continue
                        if s.stakeholder == grantor or (
                            s.rank > rank and not self.rights(grantor, s, ctx)
                        ):
                            raise Unsure("a grant over more than its grantor holds")

    def _judge(self, r: R, s: R, ctx: dict[str, str]) -> str:
        """What ``r`` does to the higher ``s`` it changes: adjusts, violates, or nothing
        (lower rules that are overridden or projected)."""
        ways = self.rights(r.stakeholder, s, ctx)
        if ways:
            if r.box is None:
                raise Unsure("a soft rule against a hard rule it may adjust")
            ok = [allows_within(r, w) for w in ways]
            if all(ok):
                return "adjusts"
            if not any(ok):
                return "violates"
            raise Unsure("several ways to hold the right, with different within bounds")
        if not s.locked:
            return "nothing"
        if s.box is None or self.mode == "strict":
            return "violates"
        return "violates" if self.mode == "mixed" and r.box is not None else "nothing"

    def intended(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, ...]]:
        """P_intended per (behavior, context) as a vector in the catalog's outcome order.
        Raises Infeasible when the project must not compile."""
        dropped = self.violators()
        out = {}
        for ctx in self.contexts():
            if self.percell:
                dropped = self.where.get(tuple(sorted(ctx.items())), set())
            kept = [r for r in self.rules if r.id not in dropped]
            for b in self.proj.behaviors:
                here = [r for r in kept if r.behavior == b and r.covers(ctx)]
                out[(b, tuple(sorted(ctx.items())))] = self._cell(b, here, ctx)
        return out

    def _cell(self, b: str, here: list[R], ctx: dict[str, str]) -> tuple[float, ...]:
        outs = BEHAVIORS[b]
        n = len(outs)
        adjusted: dict[str, Box | None] = {}
        adjusters: set[str] = set()
        for r in here:
            for s in here:
                if s.rank > r.rank and changes(r, s) and self._judge(r, s, ctx) == "adjusts":
                    adjusted[s.id] = s.within
                    adjusters.add(r.id)
        box: Box = ((0.0,) * n, (1.0,) * n)
        hard = [r for r in here if r.box is not None]
        for rank in sorted({r.rank for r in hard}, reverse=True):
            group = [r for r in hard if r.rank == rank]
            boxes = []
            for r in group:
                if r.id in adjusted:
                    w = adjusted[r.id]
                    boxes.append(w if w is not None else ((0.0,) * n, (1.0,) * n))
                else:
                    assert r.box is not None
                    boxes.append(r.box)
            joint = boxes[0]
            for x in boxes[1:]:
                joint = meet(joint, x)
            written = group[0].box
            for r in group[1:]:
                assert written is not None and r.box is not None
                written = meet(written, r.box)
            assert written is not None
            if feasible(joint) and not feasible(written):
                raise Unsure("same-rank rules that contradict as written but not as adjusted")
            if not feasible(joint):
                raise Infeasible(f"rules of rank {rank} cannot all hold: {[r.id for r in group]}")
            if feasible(meet(box, joint)):
                box = meet(box, joint)
                continue
            if len(group) > 1 or any(r.id in adjusters for r in group):
                raise Unsure("which of a rank's rules a higher rank overrides is open")
            # overridden by the higher ranks; a rule that contradicts locked higher
            # bounds only jointly, no one rule alone, may be a violation or an override
            higher = [s for s in hard if s.rank > rank]
            jointly = not any(changes(group[0], s) for s in higher)
            if self.mode != "lenient" and jointly and any(s.locked for s in higher):
                raise Unsure("contradicts locked higher bounds only jointly")
        soft = [r for r in here if r.target is not None]
        if not soft:
            return project(tuple(DEFAULTS[b][o] for o in outs), box)
        per: dict[str, list[R]] = {}
        for r in soft:
            per.setdefault(r.stakeholder, []).append(r)
        pooled = [0.0] * n
        total = 0.0
        for name, rules in per.items():
            ws = [r.weight for r in rules]
            merged = [
                math.fsum(w * (r.target or ())[k] for w, r in zip(ws, rules, strict=True))
                / math.fsum(ws)
                for k in range(n)
            ]
            influence = self.proj.principals[name].weight * math.fsum(ws) / len(ws)
            total += influence
            for k in range(n):
                pooled[k] += influence * merged[k]
        return project(tuple(p / total for p in pooled), box)


def project(p: tuple[float, ...], box: Box) -> tuple[float, ...]:
    """Euclidean projection onto {q: lo <= q <= hi, sum q = 1}: clip(p - tau) for the tau
    where the sum is 1, found by bisection (slow and plain)."""
    lo, hi = box

    def at(tau: float) -> list[float]:
        return [min(max(x - tau, a), b) for x, a, b in zip(p, lo, hi, strict=True)]

    a, b = -2.0, 2.0
    for _ in range(200):
        mid = (a + b) / 2
        if math.fsum(at(mid)) > 1:
            a = mid
        else:
            b = mid
    return tuple(at((a + b) / 2))


Expected = tuple[str, object, set[str]]
READINGS = [
    ("strict", False),
    ("strict", True),
    ("mixed", False),
    ("mixed", True),
    ("lenient", False),
]


def readings(proj: Proj) -> list[Expected | None]:
    """What each reading expects: ("fails", None, set()) or ("values", intended,
    violators); None where the reading is unsure."""
    out: list[Expected | None] = []
    for mode, percell in READINGS:
        ref = Reference(proj, mode, percell)
        try:
            out.append(("values", ref.intended(), ref.violators()))
        except Infeasible:
            out.append(("fails", None, set()))
        except Unsure:
            out.append(None)
    return out
