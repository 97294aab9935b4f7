"""Permission fields that would have no effect on the rule they are written on."""

from __future__ import annotations

from collections.abc import Iterable

from policykit.analyze.base import report
from policykit.codes import PK219
from policykit.diagnostics import Diagnostic
from policykit.graph.objective import ObjectiveGraph, RuleRef


def inert_permissions(graph: ObjectiveGraph, refs: Iterable[RuleRef]) -> list[Diagnostic]:
    """`within` on a soft rule, and `locked: false` on a hard rule, are rejected: a
    soft rule's targets are pooled with lower stakeholders' wherever it is not locked,
    so a `within` would be a limit nobody enforces; and a hard rule is locked unless it
    says `adjustable_by`, so `locked: false` would promise a freedom nobody has."""
    out = []
    for r in refs:
        rule = r.rule
        if rule.within is not None and not r.hard:
            out.append(
                report(
                    graph,
                    PK219,
                    r,
                    f"{r.label()}: within has no effect on a soft rule; lower stakeholders' "
                    "targets are pooled with it, not held within bounds",
                    at=("within",),
                    hint="write the limits as a hard bounds rule (adjustable_by and within "
                    "if they may move), or make the soft rule locked: true",
                )
            )
        if rule.locked is False and r.hard:
            out.append(
                report(
                    graph,
                    PK219,
                    r,
                    f"{r.label()}: locked: false has no effect on a hard rule; a hard rule "
                    "is locked unless it says adjustable_by",
                    at=("locked",),
                    hint="remove locked: false, or name who may adjust the rule with "
                    "adjustable_by (and within)",
                )
            )
    return out
