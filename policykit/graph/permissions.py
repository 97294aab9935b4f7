"""Who may adjust whose rule, where, and within which bounds.

Both the analysis (which reports adjustments and violations) and the resolver (which
applies adjustments) ask this question, so it is answered here, below both of them.

The answer is a set of *rights* per rule: a right is held by one stakeholder over one
higher hard rule, in a scope (a box of contexts), with ``within`` bounds the adjusted
rule must stay inside. A hard rule's ``adjustable_by`` gives each named stakeholder a
right over the rule's whole scope, within the rule's ``within``. A grant passes on a
right its grantor holds: the grantee gets it where the right and the grant's ``when``
meet, within both ``within`` bounds (never more than the grantor holds). Rights passed
on can be passed on again (developer → society → deployer → user); the set is computed
to a fixed point, so the order of grants, in one file or across files, never matters.
Where several rights cover a context, a rule that stays inside any of them may adjust
there. See ``docs/semantics.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policykit.graph.numbers import Vector, implied, inside, meet
from policykit.graph.objective import GrantRef, ObjectiveGraph, RuleRef, within_vectors
from policykit.graph.scope import Masks, contains, covered, intersect, is_empty, overlaps


def may_adjust(stakeholder: str, names: Iterable[str]) -> bool:
    """Whether ``stakeholder`` is one of ``names`` (an ``adjustable_by`` list, a grant's
    ``to``, or the holder of a right). Every permission comparison of stakeholders goes
    through here, so that names standing for several stakeholders expand in one place."""
    return stakeholder in names


@dataclass(frozen=True, slots=True)
class Right:
    """``holder`` may adjust one rule in ``masks``, staying inside ``[lo, hi]``."""

    holder: str
    masks: Masks
    lo: Vector
    hi: Vector


@dataclass(frozen=True)
class Adjustment:
    """How a lower rule may adjust a higher one: the bounds it must stay within."""

    lo: Vector
    hi: Vector
    grant: GrantRef | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    """How a lower hard rule stands against a higher hard rule where they overlap.
    Each flag says whether SOME context of the overlap is so: a grant scoped narrower
    than the overlap makes a rule adjusting in some contexts and not in others."""

    fits: bool
    """Somewhere a right of the rule's stakeholder covers it and it stays inside."""
    exceeds: bool
    """Somewhere rights cover it, yet it goes beyond the within of every one of them."""
    unheld: bool
    """Somewhere its stakeholder holds no right over the higher rule."""
    limit: Adjustment | None
    """The within of a right it exceeds (for the message), if ``exceeds``."""


class Permissions:
    """The permissions of one graph: ``adjustable_by`` on rules and the grants."""

    def __init__(self, graph: ObjectiveGraph) -> None:
        self.graph = graph
        grants: dict[str, list[GrantRef]] = defaultdict(list)
        for g in graph.grants:
            grants[g.grant.behavior].append(g)
        self.grants = dict(grants)
        self._rights: dict[int, tuple[Right, ...]] = {}
        self._standing: dict[tuple[int, int], Standing] = {}

    def _full(self, behavior: str) -> tuple[Vector, Vector]:
        n = len(self.graph.outcomes[behavior])
        return (0.0,) * n, (1.0,) * n

    def rights(self, s: RuleRef) -> tuple[Right, ...]:
        """Every right over the hard rule ``s``: from its ``adjustable_by``, and passed
        on by grants, to a fixed point. Empty for a locked rule and for soft rules
        (which lower stakeholders override anyway unless they are locked)."""
        found = self._rights.get(s.order)
        if found is not None:
            return found
        if not s.hard or s.rule.is_locked or not s.adjusters:
            self._rights[s.order] = ()
            return ()
        outcomes = self.graph.outcomes[s.behavior]
        w_lo, w_hi = within_vectors(s.rule.within, outcomes) or self._full(s.behavior)
        held: dict[Right, None] = {}
        for name in s.adjusters:
            held.setdefault(Right(name, s.masks, w_lo, w_hi), None)
        grants = [
            (g, within_vectors(g.grant.within, outcomes) or self._full(s.behavior))
            for g in self.grants.get(s.behavior, ())
            if overlaps(g.masks, s.masks)
        ]
        frontier = list(held)
        while frontier and grants:
            nxt: list[Right] = []
            for p in frontier:
                for g, (g_lo, g_hi) in grants:
                    if not may_adjust(g.stakeholder, (p.holder,)):
                        continue
                    masks = intersect(p.masks, g.masks)
                    if is_empty(masks):
                        continue
                    lo, hi = meet(p.lo, p.hi, g_lo, g_hi)
                    for t in g.to:
                        q = Right(t, masks, lo, hi)
                        if q not in held:
                            held[q] = None
                            nxt.append(q)
            frontier = nxt
        # a canonical order, so that nothing downstream depends on the grants' order
        out = tuple(sorted(held, key=lambda p: (p.holder, p.masks, p.lo, p.hi)))
        self._rights[s.order] = out
        return out

    def held(self, stakeholder: str, s: RuleRef, where: Masks) -> list[Right]:
        """The rights of ``stakeholder`` over ``s`` that meet ``where``, cut to it."""
        return [
            Right(p.holder, intersect(p.masks, where), p.lo, p.hi)
            for p in self.rights(s)
            if may_adjust(stakeholder, (p.holder,)) and overlaps(p.masks, where)
        ]

    def standing(self, r: RuleRef, s: RuleRef) -> Standing:
        """How hard ``r`` stands against higher hard ``s`` over their overlap. ``within``
        is judged on what ``r`` allows (its implied bounds), not on its bounds as
        written."""
        key = (r.order, s.order)
        found = self._standing.get(key)
        if found is None:
            found = self._standing[key] = self._stand(r, s)
        return found

    def _stand(self, r: RuleRef, s: RuleRef) -> Standing:
        overlap = intersect(r.masks, s.masks)
        mine = self.held(r.stakeholder, s, overlap)
        if not mine:
            return Standing(False, False, True, None)
        r_lo, r_hi = implied(r.lo, r.hi)
        fit = [p.masks for p in mine if inside(r_lo, r_hi, p.lo, p.hi)]
        miss = [p for p in mine if not inside(r_lo, r_hi, p.lo, p.hi)]
        beyond = [p for p in miss if covered(p.masks, fit) is not True]
        unheld = covered(overlap, [p.masks for p in mine]) is not True
        limit = Adjustment(beyond[0].lo, beyond[0].hi) if beyond else None
        return Standing(bool(fit), bool(beyond), unheld, limit)

    def adjustment_at(self, r: RuleRef, s: RuleRef, cell: Masks) -> Adjustment | None:
        """Whether ``r`` may adjust ``s`` in one cell (a box no right's scope cuts), and
        the bounds ``s`` is relaxed to: the meet of the within of every right of
        ``r``'s stakeholder there that ``r`` stays inside (so the choice never depends
        on the order of the rights)."""
        r_lo, r_hi = implied(r.lo, r.hi)
        fitting = [
            p
            for p in self.rights(s)
            if may_adjust(r.stakeholder, (p.holder,))
            and contains(p.masks, cell)
            and inside(r_lo, r_hi, p.lo, p.hi)
        ]
        if not fitting:
            return None
        lo, hi = fitting[0].lo, fitting[0].hi
        for p in fitting[1:]:
            lo, hi = meet(lo, hi, p.lo, p.hi)
        return Adjustment(lo, hi)

    def grant_masks(self, behavior: str) -> Sequence[Masks]:
        """The scopes of the grants on a behavior: where a right may begin or end, so
        resolution cuts cells along them too."""
        return [g.masks for g in self.grants.get(behavior, ())]
