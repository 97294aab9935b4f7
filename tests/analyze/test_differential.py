"""The indexed engine finds exactly what the all-pairs reference finds."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings, target

from policykit.analyze import find_pairs
from policykit.analyze.context import Context
from policykit.graph.objective import ObjectiveGraph
from policykit.pipeline import ValidateOptions, validate_project
from tests.analyze.reference import naive_pairs
from tests.analyze.strategies import projects, write

_COUNTER = itertools.count()


def _graph(files: dict[str, Any], root: Path) -> ObjectiveGraph | None:
    path = write(files, root / f"p{next(_COUNTER)}")
    result = validate_project(path, ValidateOptions(analyze=False))
    return ObjectiveGraph(result.workspace) if result.workspace is not None else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_indexed_engine_matches_all_pairs_reference(files: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        graph = _graph(files, Path(tmp))
        assert graph is not None, "the generator makes valid projects"
        ctx = Context(graph)
        fast = sorted(f.key() for f in find_pairs(graph, ctx))
        slow = sorted(f.key() for f in naive_pairs(graph))
        codes = {key[0] for key in slow}
        for code in codes:
            event(code)
        target(float(len(codes)), label="distinct codes found")
        assert fast == slow
