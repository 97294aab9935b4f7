"""The project's excluded combinations as boxes of the graph's context space.

Restriction needs nothing here: the workspace's dimensions are already restricted, so
every scope's masks lie inside the allowed values. Exclusions are a few boxes; a finding
whose region lies inside their union exists only in contexts that cannot occur, and is
not reported (:func:`only_excluded`).
"""

from __future__ import annotations

from policykit.graph.objective import ObjectiveGraph
from policykit.graph.scope import Masks, covered, intersect


def excluded(graph: ObjectiveGraph) -> tuple[Masks, ...]:
    """The exclusions as masks (empty for a project without ``context: exclude``)."""
    exclusions = graph.workspace.exclusions
    if not exclusions:
        return ()
    return tuple(graph.space.masks(dict(e)) for e in exclusions)


def only_excluded(region: Masks, boxes: tuple[Masks, ...]) -> bool:
    """Whether every context of ``region`` is excluded. Undecided (the union would cut
    the region into more than ``COVER_LIMIT`` pieces) counts as not excluded, so a
    finding is never hidden on a guess."""
    return bool(boxes) and covered(region, boxes) is True


def overlap_excluded(a: Masks, b: Masks, boxes: tuple[Masks, ...]) -> bool:
    """Whether two scopes meet only in excluded contexts."""
    return bool(boxes) and only_excluded(intersect(a, b), boxes)
