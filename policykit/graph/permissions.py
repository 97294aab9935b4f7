"""Who may adjust whose rule, and within which bounds.

Both the analysis (which reports adjustments and violations) and the resolver (which
applies adjustments) ask this question, so it is answered here, below both of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from policykit.graph.numbers import Vector, meet
from policykit.graph.objective import GrantRef, ObjectiveGraph, RuleRef, within_vectors
from policykit.graph.scope import contains, intersect


@dataclass(frozen=True)
class Adjustment:
    """How a lower rule may adjust a higher one: the bounds it must stay within."""

    lo: Vector
    hi: Vector
    grant: GrantRef | None = None


class Permissions:
    """The permissions of one graph: ``adjustable_by`` on rules and the grants."""

    def __init__(self, graph: ObjectiveGraph) -> None:
        self.graph = graph
        grants: dict[str, list[GrantRef]] = defaultdict(list)
        for g in graph.grants:
            grants[g.grant.behavior].append(g)
        self.grants = dict(grants)

    def adjustment(self, r: RuleRef, s: RuleRef) -> Adjustment | None:
        """Whether ``r``'s stakeholder may adjust ``s`` where they overlap, and within
        which bounds: directly (``adjustable_by``) or through a grant from a
        stakeholder who may."""
        if s.rule.locked:
            return None
        outcomes = self.graph.outcomes[s.behavior]
        n = len(outcomes)
        full: tuple[Vector, Vector] = ((0.0,) * n, (1.0,) * n)
        w_lo, w_hi = within_vectors(s.rule.within, outcomes) or full
        if r.stakeholder in s.adjusters:
            return Adjustment(w_lo, w_hi)
        overlap = intersect(r.masks, s.masks)
        for g in self.grants.get(s.behavior, ()):
            if (
                g.stakeholder in s.adjusters
                and r.stakeholder in g.to
                and contains(g.masks, overlap)
            ):
                g_lo, g_hi = within_vectors(g.grant.within, outcomes) or full
                lo, hi = meet(w_lo, w_hi, g_lo, g_hi)
                return Adjustment(lo, hi, g)
        return None
