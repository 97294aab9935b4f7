"""Rules that can never take effect, and exact duplicates."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from policykit.analyze.base import check, report
from policykit.analyze.bounds import implies, pinned
from policykit.analyze.context import Context
from policykit.diagnostics import Diagnostic, Severity
from policykit.graph.numbers import compatible
from policykit.graph.objective import ObjectiveGraph, RuleRef


@check("PK412", "Rule is shadowed by higher-ranked hard rules", Severity.WARNING)
def nullifies(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """Wherever the rule applies, hard rules of higher-ranked stakeholders already decide
    the outcome, so the rule can never take effect: a hard rule is contradicted or
    implied by them; a soft target meets bounds that leave only one distribution.

    Conflicting example:
        # developer
        - id: dev-no-weapons
          behavior: cbrn_weapons_uplift
          require: refuse
        # deployer
        - id: dep-weapons-lab
          behavior: cbrn_weapons_uplift
          when: {domain: education}
          prefer: safe_complete

    How to resolve:
        Remove the rule, or narrow its `when` to contexts the higher rules do not
        cover.
    """
    if not s.hard or s.rank <= r.rank or ctx.adjustment(r, s) is not None:
        return False
    if r.hard:
        return not compatible(r, s) or implies(s, r)
    return pinned(s)


@check("PK413", "Exact duplicate rule", Severity.INFO)
def duplicate_key(r: RuleRef) -> Hashable:
    """Two rules say exactly the same thing about the same behavior in the same scope.

    Conflicting example:
        # developer
        - id: dev-no-cbrn
          behavior: cbrn_weapons_uplift
          forbid: comply
        # society
        - id: soc-no-cbrn
          behavior: cbrn_weapons_uplift
          forbid: comply

    How to resolve:
        Nothing is wrong if both stakeholders mean it; remove one copy if they are the
        same author's.
    """
    rule = r.rule
    return (
        rule.behavior,
        r.masks,
        rule.directive,
        r.lo,
        r.hi,
        r.target,
        rule.weight if not rule.hard else None,
    )


def duplicates(graph: ObjectiveGraph, refs: Iterable[RuleRef]) -> list[Diagnostic]:
    first: dict[Hashable, RuleRef] = {}
    out = []
    for r in refs:
        key = duplicate_key(r)
        if key in first:
            s = first[key]
            out.append(
                report(
                    graph,
                    "PK413",
                    r,
                    f"{r.label()} duplicates {s.label()}",
                    other=s,
                    hint=f"remove {r.id!r} if it adds nothing",
                )
            )
        else:
            first[key] = r
    return out
