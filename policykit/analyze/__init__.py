"""Conflict analysis: every finding about how the stakeholders' rules interact.

Each family of checks lives in its own module; :func:`analyze` runs them all over an
:class:`~policykit.graph.objective.ObjectiveGraph` and returns an :class:`Analysis`: the
diagnostics (it never raises for a finding) and the rules dropped for violating a
permission, which resolution must leave out. Codes PK3xx are graph structure, PK4xx
conflicts and permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policykit.analyze import fork
from policykit.analyze.base import other_side, report
from policykit.analyze.cells import behavior_cells, cell_caps
from policykit.analyze.conflicts import CHECKS, VIOLATIONS, Wording, pair_codes
from policykit.analyze.context import Context
from policykit.analyze.grants import grant_exceeds
from policykit.analyze.locks import inert_permissions
from policykit.analyze.pairs import PairFinding, behavior_findings, candidate_pairs
from policykit.analyze.relations import declared_conflicts, empty_scopes, refines_cycles
from policykit.analyze.shadow import duplicates, shadowed_words
from policykit.codes import PK217, PK402, PK412, over_cap
from policykit.diagnostics import Diagnostic, Related, Row, Severity
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.util.tuning import Tuning

__all__ = ["Analysis", "PairFinding", "analyze", "dropped_by", "emit", "find_pairs", "pair_codes"]


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the analysis found: every diagnostic, and the rules that violate a
    permission under ``on_violation: drop`` (reported as warnings), which take no part
    in resolution. Under the default ``on_violation: error`` a violation is an error
    and compilation stops before resolution, so those rules are not listed here."""

    diagnostics: tuple[Diagnostic, ...]
    dropped: frozenset[str]
    """Ids of the dropped rules."""
    cells: tuple[tuple[str, int], ...] = ()
    """How many cells resolution will cut each behavior into (for the caps)."""


def find_pairs(
    graph: ObjectiveGraph, ctx: Context, behaviors: Iterable[str] | None = None
) -> list[PairFinding]:
    """Every pair finding and shadowed rule (of these behaviors, or of all), through the
    indexed engine."""
    out: list[PairFinding] = []
    for behavior in graph.behaviors() if behaviors is None else behaviors:
        refs = graph.rules_for(behavior)
        if refs:
            pairs, shadows = behavior_findings(refs, ctx)
            out += pairs
            out += shadows
    return out


def dropped_by(findings: Iterable[PairFinding]) -> frozenset[str]:
    """The rules these findings drop: violators whose policy says ``on_violation: drop``."""
    return frozenset(
        f.rule.id for f in findings if f.code in VIOLATIONS and f.rule.policy.on_violation == "drop"
    )


def _directive(r: RuleRef) -> str:
    rule = r.rule
    if rule.require is not None:
        return f"require: {rule.require}"
    if rule.forbid is not None:
        return f"forbid: {', '.join(rule.forbid)}"
    if rule.bounds is not None:
        parts = [f"{o} in [{b.min:g}, {b.max:g}]" for o, b in rule.bounds.items()]
        return f"bounds: {', '.join(parts)}"
    if rule.prefer is not None:
        return f"prefer: {rule.prefer}"
    assert rule.target is not None
    return "target: " + ", ".join(f"{o} {p:g}" for o, p in rule.target.items())


def emit(graph: ObjectiveGraph, ctx: Context, findings: Iterable[PairFinding]) -> list[Diagnostic]:
    """Diagnostics for pair findings. A shadowed rule is reported as shadowed rather
    than overridden, and a rule that violates a permission is not also called shadowed."""
    findings = list(findings)
    codes_of: dict[int, set[str]] = {}
    for f in findings:
        codes_of.setdefault(f.rule.order, set()).add(f.code)
    out = []
    # A few hundred rules are the other side of tens of thousands of findings: their
    # directive and location are written once.
    sides: dict[RuleRef, tuple[str, Related]] = {}
    for f in findings:
        codes = codes_of[f.rule.order]
        if f.code == PK402 and PK412 in codes:
            continue
        if f.code == PK412 and codes & VIOLATIONS:
            continue
        side = sides.get(f.other)
        if side is None:
            side = sides[f.other] = (_directive(f.other), other_side(f.other))
        out.append(_message(graph, ctx, f, side))
    return out


def _message(
    graph: ObjectiveGraph, ctx: Context, f: PairFinding, side: tuple[str, Related]
) -> Diagnostic:
    r, s, more = f.rule, f.other, f.count - 1
    (sd, related) = side
    words = Wording(graph, ctx, r, s, _directive(r), sd)
    if f.code == PK412:
        text, hint = shadowed_words(words)
        return report(
            graph, f.code, r, text, other=s, related=related, more=more, hint=hint, scope=r.masks
        )
    text, hint = CHECKS[f.code].words(words)
    severity = None
    if f.code in VIOLATIONS and r.policy.on_violation == "drop":
        severity = Severity.WARNING
        text += "; the rule is dropped (on_violation: drop)"
    return report(
        graph, f.code, r, text, other=s, related=related, more=more, hint=hint, severity=severity
    )


def analyze(graph: ObjectiveGraph, tuning: Tuning | None = None) -> Analysis:
    """Every check over the graph (on a large project with a forked child's help, where
    ``tuning`` allows it)."""
    ctx = Context(graph)

    cap = graph.workspace.project.limits.max_candidate_pairs

    def check_behavior(behavior: str) -> Analysis:
        pairs = candidate_pairs(graph.rules_for(behavior), ctx)
        if pairs > cap:
            # an error, not a skipped check: a permission violation in these rules would
            # otherwise go unfound, and the rule be applied
            too_many = over_cap(
                PK217,
                behavior,
                graph.workspace.origins[behavior].position(),
                f"make {pairs} candidate pairs for the conflict checks",
                cap,
                hint="write fewer distinct rules on the behavior (rules alike are compared "
                "once), or raise limits.max_candidate_pairs in the project file",
            )
            return Analysis((too_many,), frozenset())
        findings = find_pairs(graph, ctx, (behavior,))
        dropped = dropped_by(findings)
        count, infeasible = behavior_cells(graph, behavior, dropped)
        diagnostics = (*emit(graph, ctx, findings), *infeasible)
        return Analysis(diagnostics, dropped, ((behavior, count),))

    def across_behaviors() -> tuple[list[Diagnostic], list[Diagnostic]]:
        before = refines_cycles(graph) + empty_scopes(graph, graph.rules)
        before += inert_permissions(graph, graph.rules)
        after = declared_conflicts(graph) + duplicates(graph, graph.rules)
        after += [d for g in graph.grants if (d := grant_exceeds(ctx, g)) is not None]
        return before, after

    # The pair checks of each behavior stand alone: on a large project a forked child
    # takes some of them (see policykit/analyze/fork.py).
    behaviors = [b for b in graph.behaviors() if graph.rules_for(b)]
    per_behavior, (before, after) = fork.each(
        behaviors,
        check_behavior,
        len(graph.rules),
        across_behaviors,
        allowed=(tuning or Tuning()).fork,
        encode=_encode,
        decode=_decode,
    )
    pairs = [d for a in per_behavior for d in a.diagnostics]
    dropped = frozenset().union(*(a.dropped for a in per_behavior))
    counts = tuple(c for a in per_behavior for c in a.cells)
    caps = cell_caps(graph, counts)
    return Analysis((*before, *pairs, *after, *caps), dropped, counts)


_Encoded = tuple[list[Row], tuple[str, ...], tuple[tuple[str, int], ...]]


def _encode(a: Analysis) -> _Encoded:
    return [d.to_row() for d in a.diagnostics], tuple(a.dropped), a.cells


def _decode(encoded: _Encoded) -> Analysis:
    rows, dropped, cells = encoded
    return Analysis(
        tuple(Diagnostic.from_row(row) for row in rows),
        frozenset(dropped),
        tuple((b, int(n)) for b, n in cells),
    )
