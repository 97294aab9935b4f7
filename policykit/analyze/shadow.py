"""Rules that can never take effect, and exact duplicates."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from policykit.analyze.base import report
from policykit.analyze.bounds import implies, pinned
from policykit.analyze.conflicts import Wording
from policykit.analyze.context import Context
from policykit.codes import PK413
from policykit.diagnostics import Diagnostic
from policykit.graph.numbers import compatible
from policykit.graph.objective import ObjectiveGraph, RuleRef


def nullifies(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """Wherever the rule applies, hard rules of higher-ranked stakeholders already decide
    the outcome, so the rule can never take effect: a hard rule is contradicted or
    implied by them; a soft target meets bounds that leave only one distribution.

    Only a rule nobody may adjust can nullify: an adjustment by any lower stakeholder
    relaxes it in resolution, and the rule it seemed to nullify may then take effect
    (PK412 promises that removing the rule leaves the spec unchanged).
    """
    if not s.hard or s.rank <= r.rank or ctx.rights(s):
        return False
    if r.hard:
        return not compatible(r, s) or implies(s, r)
    return pinned(s)


def shadowed_words(w: Wording) -> tuple[str, str]:
    """The message and hint of a shadowed rule: ``w.r`` never takes effect, first
    because of ``w.s``."""
    r, s = w.r, w.s
    return (
        f"{r.label()} ({w.rd}) never takes effect: higher-ranked hard rules decide "
        f"the outcome wherever it applies, first {s.label()} ({w.sd})"
    ), f"remove {r.id!r}, or narrow its when to contexts {s.id!r} does not cover"


def duplicate_key(r: RuleRef) -> Hashable:
    """Two rules say exactly the same thing about the same behavior in the same scope."""
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
                    PK413,
                    r,
                    f"{r.label()} duplicates {s.label()}",
                    other=s,
                    hint=f"remove {r.id!r} if it adds nothing",
                )
            )
        else:
            first[key] = r
    return out
