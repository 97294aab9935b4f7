"""Checks on grants: a stakeholder can pass on only the rights it holds."""

from __future__ import annotations

from policykit.analyze.base import rule_related
from policykit.analyze.context import Context
from policykit.codes import PK406, diag
from policykit.diagnostics import Diagnostic
from policykit.graph.numbers import inside
from policykit.graph.objective import GrantRef, within_vectors
from policykit.graph.scope import intersect, overlaps
from policykit.schema.errors import locate


def _describe(within: dict[str, tuple[float, float]]) -> str:
    return ", ".join(f"{o} in [{lo:g}, {hi:g}]" for o, (lo, hi) in within.items())


def grant_exceeds(ctx: Context, g: GrantRef) -> Diagnostic | None:
    """A grant passes on the right to adjust a higher stakeholder's rule that the
    grantor may not adjust itself, or passes it on with wider `within` bounds than the
    grantor was given.
    """
    graph = ctx.graph
    outcomes = graph.outcomes[g.grant.behavior]
    n = len(outcomes)
    g_lo, g_hi = within_vectors(g.grant.within, outcomes) or ((0.0,) * n, (1.0,) * n)
    for s in graph.rules_for(g.grant.behavior):
        if s.rank <= g.rank or not overlaps(s.masks, g.masks):
            continue
        if not (s.hard or s.rule.locked):
            continue  # soft defaults may be overridden by anyone below anyway
        if s.rule.locked or g.stakeholder not in s.adjusters:
            reason = f"{g.stakeholder} may not adjust {s.label()} itself"
            hint = (
                f"narrow the grant's when to leave out {graph.space.describe(s.masks)}, or "
                f"ask {s.stakeholder} to make {s.id!r} adjustable_by: [{g.stakeholder}]"
            )
        else:
            s_lo, s_hi = within_vectors(s.rule.within, outcomes) or ((0.0,) * n, (1.0,) * n)
            if inside(g_lo, g_hi, s_lo, s_hi):
                continue
            allowed = {
                o: (s_lo[k], s_hi[k])
                for k, o in enumerate(outcomes)
                if (s_lo[k], s_hi[k]) != (0.0, 1.0)
            }
            reason = (
                f"the grant's within is wider than what {s.label()} allows "
                f"{g.stakeholder} ({_describe(allowed)})"
            )
            hint = f"narrow the grant's within to {_describe(allowed)}"
        line, col = locate(g.policy.document, ("grants", g.index))
        witness = graph.space.witness(intersect(s.masks, g.masks))
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
