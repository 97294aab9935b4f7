"""Checks on the catalog's relations between behaviors."""

from __future__ import annotations

from collections.abc import Iterable

from policykit.analyze.base import report
from policykit.analyze.bounds import pushes
from policykit.codes import PK301, PK303, PK411, diag
from policykit.diagnostics import Diagnostic, Related
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.scope import is_empty, overlaps


def refines_cycles(graph: ObjectiveGraph) -> list[Diagnostic]:
    """`refines` relations form a cycle: a behavior would be a special case of itself.
    One cycle is reported per strongly connected component.
    """
    edges = [(a, b) for a, b, _ in graph.relations("refines")]
    if _acyclic(edges):
        return []  # the usual case, settled without importing networkx (a tenth of a second)
    import networkx as nx

    g: nx.DiGraph[str] = nx.DiGraph(edges)
    origins = {
        (rel.from_, rel.to): origin
        for rel, origin in graph.relation_origins()
        if rel.type == "refines"
    }
    out = []
    for component in nx.strongly_connected_components(g):
        nodes = sorted(component)
        if len(nodes) == 1 and not g.has_edge(nodes[0], nodes[0]):
            continue
        start = nodes[0]
        cycle = [e[0] for e in nx.find_cycle(g.subgraph(component), source=start)]
        path = " --> ".join([*cycle, cycle[0]])
        edges = list(zip(cycle, [*cycle[1:], cycle[0]], strict=True))
        file, line, col = origins[edges[0]].position()
        related = tuple(
            Related(f"{a} refines {b}", *origins[(a, b)].position()) for a, b in edges[1:]
        )
        out.append(
            diag(
                PK301,
                f"refines relations form a cycle: {path}",
                file,
                line,
                col,
                related=related,
                hint=f"remove one of the {len(cycle)} refines relations in the cycle",
                behavior=cycle[0],
            )
        )
    return out


def _acyclic(edges: list[tuple[str, str]]) -> bool:
    """Whether the directed graph of ``edges`` has no cycle (Kahn's algorithm: peel
    off nodes with no incoming edge; what cannot be peeled lies on or behind a cycle)."""
    incoming: dict[str, int] = {}
    successors: dict[str, list[str]] = {}
    for a, b in set(edges):
        incoming.setdefault(a, 0)
        incoming[b] = incoming.get(b, 0) + 1
        successors.setdefault(a, []).append(b)
    ready = [n for n, k in incoming.items() if k == 0]
    peeled = 0
    while ready:
        node = ready.pop()
        peeled += 1
        for nxt in successors.get(node, ()):
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                ready.append(nxt)
    return peeled == len(incoming)


def declared_conflicts(graph: ObjectiveGraph) -> list[Diagnostic]:
    """The catalog declares that two behaviors conflict at given outcomes, and rules
    push both behaviors toward those outcomes (at least half the probability) in an
    overlapping scope. Reported on the rule about the relation's `to` behavior.
    """
    out = []
    for a, b, rel in graph.relations("conflicts"):
        if a == b or rel.from_outcome is None or rel.to_outcome is None:
            continue
        ka = graph.outcomes[a].index(rel.from_outcome)
        kb = graph.outcomes[b].index(rel.to_outcome)
        left = [r for r in graph.rules_for(a) if pushes(r, ka) and not is_empty(r.masks)]
        if not left:
            continue
        for r in graph.rules_for(b):
            if not pushes(r, kb) or is_empty(r.masks):
                continue
            hits = [s for s in left if overlaps(s.masks, r.masks)]
            if not hits:
                continue
            s = hits[0]
            out.append(
                report(
                    graph,
                    PK411,
                    r,
                    f"{r.label()} pushes {b!r} toward {rel.to_outcome!r} while "
                    f"{s.label()} pushes {a!r} toward {rel.from_outcome!r}, and the "
                    "catalog says these conflict",
                    other=s,
                    more=len(hits) - 1,
                    hint="lower one target below 0.5, or narrow the scopes so the rules "
                    "no longer meet",
                )
            )
    return out


def empty_scopes(graph: ObjectiveGraph, refs: Iterable[RuleRef]) -> list[Diagnostic]:
    """A `when` lists no value for some dimension, so the rule applies nowhere."""
    out = []
    for r in refs:
        if not is_empty(r.masks):
            continue
        # a `when` whose values the project's context restricted away is PK430's
        dims = [
            d
            for d, m in zip(graph.space.names, r.masks, strict=True)
            if not m and not r.rule.when.get(d)
        ]
        if not dims:
            continue
        out.append(
            report(
                graph,
                PK303,
                r,
                f"{r.label()} applies nowhere: `when` lists no value for " + ", ".join(dims),
                at=("when", dims[0]),
                hint="list at least one value, or leave the dimension out to mean all",
            )
        )
    return out
