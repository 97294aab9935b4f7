"""The obviously-correct, slow reference for the indexed pair engine. Used only by the
differential tests.

It shares with the engine only what both are about: the objective graph (rules, their
numbers and scopes). Nothing of ``policykit.analyze``, ``graph/permissions`` or the
shared arithmetic of ``graph/numbers`` is imported: the bounds arithmetic (meet,
feasibility, implied bounds, containment, Jensen–Shannon) is written again below, in
its textbook form, and every check is restated
here from its documentation (``docs/semantics.md``), every pair of rules on a behavior
is compared, who may adjust whom is worked out context by context (rights from
``adjustable_by``, passed on by grants to a fixed point), and a rule is shadowed when
every concrete context of its scope is covered by a rule that nullifies it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from policykit.graph.objective import GrantRef, ObjectiveGraph, RuleRef

EPS = 1e-9
Vector = tuple[float, ...]


# ---- the arithmetic, restated --------------------------------------------------------


def meet(a_lo: Vector, a_hi: Vector, b_lo: Vector, b_hi: Vector) -> tuple[Vector, Vector]:
    """Where both boxes hold: the larger lower and the smaller upper bound."""
    n = len(a_lo)
    return (
        tuple(max(a_lo[i], b_lo[i]) for i in range(n)),
        tuple(min(a_hi[i], b_hi[i]) for i in range(n)),
    )


def feasible(lo: Sequence[float], hi: Sequence[float]) -> bool:
    """A distribution lies in the box iff every lower bound is at most its upper bound
    and the lower bounds sum to at most 1 and the upper to at least 1."""
    if any(lo[i] > hi[i] + EPS for i in range(len(lo))):
        return False
    return math.fsum(lo) <= 1 + EPS and math.fsum(hi) >= 1 - EPS


def implied(lo: Vector, hi: Vector) -> tuple[Vector, Vector]:
    """The box's shadow on each axis of the simplex: outcome i can take at least
    1 - (the others' upper bounds) and at most 1 - (the others' lower bounds)."""
    if not feasible(lo, hi):
        return lo, hi
    n = len(lo)
    others_hi = [math.fsum(hi[j] for j in range(n) if j != i) for i in range(n)]
    others_lo = [math.fsum(lo[j] for j in range(n) if j != i) for i in range(n)]
    return (
        tuple(max(lo[i], 1.0 - others_hi[i]) for i in range(n)),
        tuple(min(hi[i], 1.0 - others_lo[i]) for i in range(n)),
    )


def inside(lo: Vector, hi: Vector, w_lo: Vector, w_hi: Vector) -> bool:
    """Whether box [lo, hi] lies in box [w_lo, w_hi]."""
    return all(lo[i] >= w_lo[i] - EPS and hi[i] <= w_hi[i] + EPS for i in range(len(lo)))


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """JS(p, q) = H(m) - (H(p) + H(q)) / 2 with m their mean, in bits."""

    def entropy(d: Sequence[float]) -> float:
        return -math.fsum(x * math.log(x) for x in d if x > 0) / math.log(2)

    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    return max(entropy(m) - (entropy(p) + entropy(q)) / 2, 0.0)


def within_vectors(
    within: Mapping[str, Any] | None, outcomes: Sequence[str]
) -> tuple[Vector, Vector] | None:
    """A `within:` mapping as a box over the outcomes (unnamed outcomes unbounded)."""
    if within is None:
        return None
    return (
        tuple(within[o].min if o in within else 0.0 for o in outcomes),
        tuple(within[o].max if o in within else 1.0 for o in outcomes),
    )


# ---- the checks ----------------------------------------------------------------------
VIOLATIONS = {"PK404", "PK405"}
SYMMETRIC = {"PK401", "PK410"}


class Finding(NamedTuple):
    code: str
    rule: RuleRef
    other: RuleRef
    count: int

    def key(self) -> tuple[str, int, int, int]:
        return (self.code, self.rule.order, self.other.order, self.count)


def naive_pairs(graph: ObjectiveGraph) -> list[Finding]:
    """Permission violations first; the other checks then without the violators."""
    checks = _Checks(graph)
    out: list[Finding] = []
    for behavior in graph.behaviors():
        refs = [r for r in graph.rules_for(behavior) if all(r.masks)]
        first = _all_pairs(refs, checks)
        dropped = {f.rule.order for f in first if f.code in VIOLATIONS}
        out += [f for f in first if f.code in VIOLATIONS]
        kept = [r for r in refs if r.order not in dropped]
        rest = [f for f in _all_pairs(kept, checks) if f.code not in VIOLATIONS]
        # an overridden rule does not decide its cells, so it shadows nothing
        weak = {f.rule.order for f in rest if f.code == "PK402"}
        if weak:
            again = _all_pairs(kept, checks, weak)
            rest = [f for f in rest if f.code != "PK412"] + [f for f in again if f.code == "PK412"]
        # a shadowed rule whose lock or within drops a lower rule takes effect
        violators = [f.rule for f in first if f.code in VIOLATIONS]
        out += [
            f
            for f in rest
            if f.code != "PK412"
            or not any(
                _overlap(v, f.rule) and set(checks.codes(v, f.rule)) & VIOLATIONS for v in violators
            )
        ]
    return out


def _overlap(r: RuleRef, s: RuleRef) -> bool:
    return all(a & b for a, b in zip(r.masks, s.masks, strict=True))


def _contexts(r: RuleRef) -> list[tuple[int, ...]]:
    """Every concrete context in the rule's scope, as one value index per dimension."""
    per_dim = [[v for v in range(m.bit_length()) if m >> v & 1] for m in r.masks]
    return list(itertools.product(*per_dim))


def _contains(s: RuleRef, context: tuple[int, ...]) -> bool:
    return _inside(s.masks, context)


def _inside(masks: tuple[int, ...], context: tuple[int, ...]) -> bool:
    return all(m >> v & 1 for m, v in zip(masks, context, strict=True))


def _precedence(r: RuleRef) -> tuple[int, int]:
    return (-r.rank, r.order)


def _all_pairs(
    refs: list[RuleRef], checks: _Checks, weak: frozenset[int] | set[int] = frozenset()
) -> list[Finding]:
    out: list[Finding] = []
    for r in refs:
        hits: dict[str, list[RuleRef]] = {}
        nulls: list[RuleRef] = []
        for s in refs:
            if s is r or not _overlap(r, s):
                continue
            for code in checks.codes(r, s):
                # symmetric codes are reported once, on the rule of lower precedence
                if code not in SYMMETRIC or s.rank != r.rank or s.order < r.order:
                    hits.setdefault(code, []).append(s)
            if s.order not in weak and checks.nullifies(r, s):
                nulls.append(s)
        for code, others in hits.items():
            out.append(Finding(code, r, min(others, key=_precedence), len(others)))
        if nulls and all(any(_contains(s, c) for s in nulls) for c in _contexts(r)):
            out.append(Finding("PK412", r, min(nulls, key=_precedence), len(nulls)))
    return out


class _Checks:
    """Each check of ``docs/diagnostics.md`` on one pair: ``r`` reported, ``s`` the other
    side, both on the same behavior with overlapping scopes."""

    def __init__(self, graph: ObjectiveGraph) -> None:
        self.graph = graph
        self.grants = list(graph.grants)
        self.threshold = graph.workspace.project.analysis.tension_threshold

    def rights_at(self, s: RuleRef, context: tuple[int, ...]) -> set[tuple[str, Vector, Vector]]:
        """Who may adjust hard ``s`` in one context, within which bounds: its
        ``adjustable_by`` within its ``within``; then whatever a grant covering the
        context passes on from a holder who is its grantor, to a fixed point."""
        if not s.hard or s.rule.is_locked:
            return set()
        outcomes = self.graph.outcomes[s.behavior]
        n = len(outcomes)
        full = ((0.0,) * n, (1.0,) * n)
        w = within_vectors(s.rule.within, outcomes) or full
        held = {(h, *w) for h in s.rule.adjustable_by}
        here: list[GrantRef] = [
            g for g in self.grants if g.grant.behavior == s.behavior and _inside(g.masks, context)
        ]
        while True:
            more = set()
            for holder, lo, hi in held:
                for g in here:
                    if g.stakeholder != holder:
                        continue
                    g_lo, g_hi = within_vectors(g.grant.within, outcomes) or full
                    m_lo, m_hi = meet(lo, hi, g_lo, g_hi)
                    more |= {(t, m_lo, m_hi) for t in g.grant.to}
            if more <= held:
                return held
            held |= more

    def standing(self, r: RuleRef, s: RuleRef) -> tuple[bool, bool, bool]:
        """Over the concrete contexts r and s share: whether r fits a right of its
        stakeholder somewhere, exceeds every right it has somewhere, has none
        somewhere. Within is judged on what r allows (its implied bounds)."""
        r_lo, r_hi = implied(r.lo, r.hi)
        fits = exceeds = unheld = False
        for c in _contexts(r):
            if not _contains(s, c):
                continue
            mine = [(lo, hi) for h, lo, hi in self.rights_at(s, c) if h == r.stakeholder]
            if not mine:
                unheld = True
            elif any(inside(r_lo, r_hi, lo, hi) for lo, hi in mine):
                fits = True
            else:
                exceeds = True
        return fits, exceeds, unheld

    def codes(self, r: RuleRef, s: RuleRef) -> list[str]:
        found = []
        both_hard = r.hard and s.hard
        contradict = both_hard and not feasible(*meet(r.lo, r.hi, s.lo, s.hi))
        if contradict and r.rank == s.rank:
            found.append("PK401")  # same rank, cannot both hold
        if contradict and s.rank > r.rank:
            fits, exceeds, unheld = self.standing(r, s)
            if unheld:
                found.append("PK402")  # overridden by the higher rule where r holds no right
            if fits:
                found.append("PK403")  # adjusts it within a right
            if exceeds:
                found.append("PK405")  # goes beyond every right it holds there
        if s.rank > r.rank and not s.hard and s.rule.locked and self._changes(r, s):
            found.append("PK404")  # would change a locked soft rule
        if (
            r.target is not None
            and s.target is not None
            and r.stakeholder != s.stakeholder
            and s.rank >= r.rank
            and not (s.rank > r.rank and s.rule.locked)
            and js_divergence(r.target, s.target) > self.threshold
        ):
            found.append("PK410")  # soft targets pull apart
        return sorted(found)

    @staticmethod
    def _changes(r: RuleRef, s: RuleRef) -> bool:
        """Whether ``r`` asks for something ``s``'s bounds or target do not allow."""
        if r.hard and s.hard:
            return not feasible(*meet(r.lo, r.hi, s.lo, s.hi))
        if r.target is not None and s.hard:
            return _outside(r.target, s)
        if s.target is not None and r.hard:
            return _outside(s.target, r)
        assert r.target is not None and s.target is not None
        return any(abs(a - b) > EPS for a, b in zip(r.target, s.target, strict=True))

    def nullifies(self, r: RuleRef, s: RuleRef) -> bool:
        """Whether higher-ranked hard ``s``, which nobody may adjust, leaves ``r``
        nothing to decide: a hard ``r`` it contradicts or implies, a soft ``r`` under
        bounds that allow one distribution only."""
        if not s.hard or s.rank <= r.rank or (s.rule.adjustable_by and not s.rule.is_locked):
            return False
        if r.hard:
            contradicts = not feasible(*meet(r.lo, r.hi, s.lo, s.hi))
            implied = all(
                ls >= lr - EPS and hs <= hr + EPS
                for ls, hs, lr, hr in zip(s.lo, s.hi, r.lo, r.hi, strict=True)
            )
            return contradicts or implied
        return math.fsum(s.lo) >= 1 - EPS or math.fsum(s.hi) <= 1 + EPS


def _outside(target: tuple[float, ...], s: RuleRef) -> bool:
    return any(p < lo - EPS or p > hi + EPS for p, lo, hi in zip(target, s.lo, s.hi, strict=True))
