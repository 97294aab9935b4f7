"""What the checks need besides the two rules they compare: permissions and settings."""

from __future__ import annotations

from collections.abc import Hashable

from policykit.codes import Code
from policykit.graph.objective import ObjectiveGraph
from policykit.graph.permissions import Adjustment, Permissions
from policykit.graph.scope import Masks

__all__ = ["Adjustment", "Context"]


class Context(Permissions):
    def __init__(self, graph: ObjectiveGraph) -> None:
        super().__init__(graph)
        self.threshold = graph.workspace.project.analysis.tension_threshold
        self.pair_cache: dict[tuple[Hashable, Hashable], tuple[tuple[Code, ...], bool]] = {}
        """Check results by pair of rule signatures: the checks see only signatures
        (outside grants), so behaviors with the same outcome vectors share them."""
        self.scope_cells: dict[Masks, int] = {}
        """Scopes as bit sets over the context space's cells, by masks (filled by the
        pair engine when the space is small enough; shared by every behavior)."""
