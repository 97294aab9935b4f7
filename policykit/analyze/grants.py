"""Checks on grants: a stakeholder can pass on only the rights it holds."""

from __future__ import annotations

from policykit.analyze.base import rule_related
from policykit.analyze.context import Context
from policykit.codes import PK406, diag
from policykit.diagnostics import Diagnostic
from policykit.graph.numbers import implied, inside
from policykit.graph.objective import GrantRef, within_vectors
from policykit.graph.scope import covered, intersect, overlaps
from policykit.schema.errors import locate


def _describe(within: dict[str, tuple[float, float]]) -> str:
    return ", ".join(f"{o} in [{lo:g}, {hi:g}]" for o, (lo, hi) in within.items())


def grant_exceeds(ctx: Context, g: GrantRef) -> Diagnostic | None:
    """A grant passes on the right to adjust a higher stakeholder's rule where the
    grantor holds no such right (neither by the rule's `adjustable_by` nor by a grant
    it received), or passes it on with wider `within` bounds than the grantor holds
    there. `within` is judged on what the bounds allow (their implied bounds).
    """
    graph = ctx.graph
    outcomes = graph.outcomes[g.grant.behavior]
    n = len(outcomes)
    g_lo, g_hi = within_vectors(g.grant.within, outcomes) or ((0.0,) * n, (1.0,) * n)
    g_lo, g_hi = implied(g_lo, g_hi)
    for s in graph.rules_for(g.grant.behavior):
        if s.rank <= g.rank or not overlaps(s.masks, g.masks):
            continue
        if not (s.hard or s.rule.locked):
            continue  # soft defaults may be overridden by anyone below anyway
        where = intersect(s.masks, g.masks)
        mine = ctx.held(g.stakeholder, s, where)
        if covered(where, [p.masks for p in mine]) is not True:
            reason = f"{g.stakeholder} may not adjust {s.label()} itself"
            hint = (
                f"narrow the grant's when to leave out {graph.space.describe(s.masks)}, or "
                f"ask {s.stakeholder} to make {s.id!r} adjustable_by: [{g.stakeholder}]"
            )
        else:
            fit = [p.masks for p in mine if inside(g_lo, g_hi, p.lo, p.hi)]
            if covered(where, fit) is True:
                continue
            widest = next(p for p in mine if not inside(g_lo, g_hi, p.lo, p.hi))
            allowed = {
                o: (widest.lo[k], widest.hi[k])
                for k, o in enumerate(outcomes)
                if (widest.lo[k], widest.hi[k]) != (0.0, 1.0)
            }
            reason = (
                f"the grant's within is wider than what {s.label()} allows "
                f"{g.stakeholder} ({_describe(allowed)})"
            )
            hint = f"narrow the grant's within to {_describe(allowed)}"
        line, col = locate(g.policy.document, ("grants", g.index))
        witness = graph.space.witness(where)
        return diag(
            PK406,
            f"{g.stakeholder}'s grant on {g.grant.behavior!r} to "
            f"{', '.join(g.grant.to)} gives more than it holds: {reason}",
            g.policy.document.file,
            line,
            col,
            path=f"grants[{g.index}]",
            hint=hint,
            related=(rule_related(s, f"the rule the grant reaches: {s.label()}"),),
            behavior=g.grant.behavior,
            stakeholders=(s.stakeholder, g.stakeholder),
            witness=witness,
        )
    return None
