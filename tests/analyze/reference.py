"""The obviously-correct, slow reference for the indexed pair engine: every pair of
rules on a behavior is compared. Used only by the differential tests."""

from __future__ import annotations

from policykit.analyze.conflicts import pair_codes
from policykit.analyze.context import Context
from policykit.analyze.pairs import PairFinding, eligible, precedence
from policykit.analyze.shadow import nullifies
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.scope import covered, is_empty, overlaps

VIOLATIONS = {"PK404", "PK405"}


def naive_pairs(graph: ObjectiveGraph, ctx: Context) -> list[PairFinding]:
    """Permission violations first; the other checks then without the violators."""
    out: list[PairFinding] = []
    for behavior in graph.behaviors():
        refs = [r for r in graph.rules_for(behavior) if not is_empty(r.masks)]
        first = _all_pairs(refs, ctx)
        dropped = {f.rule.order for f in first if f.code in VIOLATIONS}
        out += [f for f in first if f.code in VIOLATIONS]
        kept = [r for r in refs if r.order not in dropped]
        out += [f for f in _all_pairs(kept, ctx) if f.code not in VIOLATIONS]
    return out


def _all_pairs(refs: list[RuleRef], ctx: Context) -> list[PairFinding]:
    out: list[PairFinding] = []
    for r in refs:
        hits: dict[str, list[RuleRef]] = {}
        nulls: list[RuleRef] = []
        for s in refs:
            if s is r or not overlaps(r.masks, s.masks):
                continue
            for code in pair_codes(r, s, ctx):
                if eligible(code, r, s):
                    hits.setdefault(code, []).append(s)
            if s.hard and s.rank > r.rank and nullifies(r, s, ctx):
                nulls.append(s)
        for code, others in hits.items():
            out.append(PairFinding(code, r, min(others, key=precedence), len(others)))
        if nulls and covered(r.masks, sorted({s.masks for s in nulls})) is True:
            out.append(PairFinding("PK412", r, min(nulls, key=precedence), len(nulls)))
    return out
