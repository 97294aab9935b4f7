"""The obviously-correct, slow reference for the indexed pair engine. Used only by the
differential tests.

It shares with the engine only what both are about: the objective graph (rules, their
numbers and scopes), who may adjust whom (``graph/permissions``) and the arithmetic of
``graph/numbers``. Nothing of ``policykit.analyze`` is imported: every check is restated
here from its documentation, every pair of rules on a behavior is compared, and a rule
is shadowed when every concrete context of its scope is covered by a rule that
nullifies it, context by context.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

from policykit.graph.numbers import feasible, inside, js_divergence, meet
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.permissions import Permissions

EPS = 1e-9
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
        out += [f for f in _all_pairs(kept, checks) if f.code not in VIOLATIONS]
    return out


def _overlap(r: RuleRef, s: RuleRef) -> bool:
    return all(a & b for a, b in zip(r.masks, s.masks, strict=True))


def _contexts(r: RuleRef) -> list[tuple[int, ...]]:
    """Every concrete context in the rule's scope, as one value index per dimension."""
    per_dim = [[v for v in range(m.bit_length()) if m >> v & 1] for m in r.masks]
    return list(itertools.product(*per_dim))


def _contains(s: RuleRef, context: tuple[int, ...]) -> bool:
    return all(m >> v & 1 for m, v in zip(s.masks, context, strict=True))


def _precedence(r: RuleRef) -> tuple[int, int]:
    return (-r.rank, r.order)


def _all_pairs(refs: list[RuleRef], checks: _Checks) -> list[Finding]:
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
            if checks.nullifies(r, s):
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
        self.permissions = Permissions(graph)
        self.threshold = graph.workspace.project.analysis.tension_threshold

    def codes(self, r: RuleRef, s: RuleRef) -> list[str]:
        found = []
        both_hard = r.hard and s.hard
        contradict = both_hard and not feasible(*meet(r.lo, r.hi, s.lo, s.hi))
        adj = self.permissions.adjustment(r, s)
        if contradict and r.rank == s.rank:
            found.append("PK401")  # same rank, cannot both hold
        if contradict and s.rank > r.rank:
            if not s.rule.locked and adj is None:
                found.append("PK402")  # overridden by the higher rule
            if adj is not None:
                within = inside(r.lo, r.hi, adj.lo, adj.hi)
                found.append("PK403" if within else "PK405")  # adjusts, inside or not
        if s.rank > r.rank and s.rule.locked and self._changes(r, s):
            found.append("PK404")  # would change a locked rule
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
        """Whether higher-ranked hard ``s``, which ``r`` may not adjust, leaves ``r``
        nothing to decide: a hard ``r`` it contradicts or implies, a soft ``r`` under
        bounds that allow one distribution only."""
        if not s.hard or s.rank <= r.rank or self.permissions.adjustment(r, s) is not None:
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
