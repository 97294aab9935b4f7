"""What compile would reject in resolution, found by validate: PK218 and PK216 (too
many cells) and PK420 (hard rules of one rank that cannot all hold in some cell).

The questions are asked through resolution's own code
(:mod:`policykit.resolve.feasibility`), never restated, so that validate and compile
cannot disagree: validate has an error exactly when compile fails. The cost is bounded:
counting cells is a pass over the rules' scopes, and only behaviors whose hard rules of
some rank cannot all hold even ignoring their scopes (nearly none) have cells walked.
"""

from __future__ import annotations

from collections.abc import Iterable

from policykit.diagnostics import Diagnostic
from policykit.graph.objective import ObjectiveGraph


def behavior_cells(
    graph: ObjectiveGraph, behavior: str, dropped: frozenset[str]
) -> tuple[int, list[Diagnostic]]:
    """How many cells resolution will cut the behavior into (its rules less the
    ``dropped`` ones), and the PK420 errors it will meet there. A behavior over the
    per-behavior cap is not walked: PK218 stops compilation before any cell."""
    from policykit.resolve.feasibility import plan_of

    plan = plan_of(graph, behavior, dropped)
    if plan.count > graph.workspace.project.limits.max_cells_per_behavior:
        return plan.count, []
    return plan.count, plan.contradictions()


def cell_caps(graph: ObjectiveGraph, counts: Iterable[tuple[str, int]]) -> list[Diagnostic]:
    """PK218 and PK216 from every behavior's cell count (a behavior with no count has
    no rules: one cell)."""
    from policykit.resolve.feasibility import cap_errors

    known = dict(counts)
    return cap_errors(graph, [(b, known.get(b, 1)) for b in graph.behaviors()])
