"""The fast roads the analysis takes at scale give what the plain ones give."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.analyze import find_pairs, pairs
from policykit.analyze.context import Context
from policykit.analyze.relations import _acyclic
from tests.analyze.reference import naive_pairs
from tests.analyze.strategies import graph_of, projects


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_engine_without_cell_sets_matches_the_reference(files: dict[str, Any]) -> None:
    """Over a context space too large for cell bit sets, shadowing is decided by
    `covered` itself; the findings are the same."""
    with tempfile.TemporaryDirectory() as tmp:
        graph = graph_of(files, Path(tmp))
        ctx = Context(graph)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pairs, "COVER_LIMIT", 0)
            fast = sorted(f.key() for f in find_pairs(graph, ctx))
        assert fast == sorted(f.key() for f in naive_pairs(graph))


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from("abcde")), max_size=8))
def test_acyclic_agrees_with_networkx(edges: list[tuple[str, str]]) -> None:
    assert _acyclic(edges) == nx.is_directed_acyclic_graph(nx.DiGraph(edges))
