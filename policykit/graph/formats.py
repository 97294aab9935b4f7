"""The objective graph as DOT, Mermaid or node-link JSON.

Ids and descriptions are data: every name is escaped so that any text yields a valid
DOT or Mermaid document (quotes, brackets, `-->`, `<script>`, newlines included).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from policykit.graph.objective import NodeId, ObjectiveGraph, behavior_node

_SHAPES = {"stakeholder": "house", "rule": "note", "behavior": "box", "property": "ellipse"}
_STYLE = {
    "authored_by": 'color="#888888"',
    "targets": 'color="#1f77b4"',
    "serves": 'color="#2ca02c" style=dashed',
    "conflicts": 'color="#d62728" penwidth=2',
    "supports": 'color="#2ca02c"',
    "refines": 'color="#9467bd" style=dotted',
}


def subgraph_nodes(graph: ObjectiveGraph, behavior: str | None) -> set[NodeId]:
    """All nodes, or those around one behavior: its rules and their stakeholders, its
    property, and the behaviors related to it."""
    g = graph.nx
    if behavior is None:
        return set(g.nodes)
    center = behavior_node(behavior)
    keep = {center}
    keep.update(g.successors(center))
    keep.update(g.predecessors(center))
    for node in list(keep):
        if g.nodes[node]["kind"] == "rule":
            keep.update(g.successors(node))
    return keep


def _label(data: dict[str, Any]) -> str:
    kind = data["kind"]
    name = str(data["name"])
    if kind == "stakeholder":
        return f"{name}\nrank {data['rank']}, weight {data['weight']:g}"
    if kind == "rule":
        return f"{name}\n{data['directive']}"
    return name


def _dot_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: ObjectiveGraph, nodes: Iterable[NodeId]) -> str:
    g = graph.nx
    keep = set(nodes)
    out = ["digraph policykit {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node in sorted(keep):
        data = g.nodes[node]
        out.append(
            f"  {_dot_quote(node)} [label={_dot_quote(_label(data))} "
            f"shape={_SHAPES[data['kind']]}];"
        )
    for u, v, key, data in sorted(g.edges(keys=True, data=True)):
        if u in keep and v in keep:
            label = key if key != "targets" else f"{data['directive']} w={data['weight']:g}"
            out.append(
                f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(label)} {_STYLE[key]}];"
            )
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: anything but plain characters becomes an
    entity code, so no input can close the label or start a new statement."""
    safe = []
    for ch in text:
        if ch.isalnum() or ch in " _.,:/()=+-":
            safe.append(ch)
        elif ch == "\n":
            safe.append("<br/>")
        else:
            safe.append(f"#{ord(ch)};")
    return "".join(safe)


_MERMAID_SHAPE = {
    "stakeholder": ("[/", "\\]"),
    "rule": ("[", "]"),
    "behavior": ("[[", "]]"),
    "property": ("([", "])"),
}
_MERMAID_ARROW = {
    "authored_by": "-.->",
    "targets": "-->",
    "serves": "-.->",
    "conflicts": "==>",
    "supports": "-->",
    "refines": "-.->",
}


def to_mermaid(graph: ObjectiveGraph, nodes: Iterable[NodeId]) -> str:
    g = graph.nx
    keep = sorted(set(nodes))
    ids = {node: f"n{i}" for i, node in enumerate(keep)}
    out = ["flowchart LR"]
    for node in keep:
        data = g.nodes[node]
        left, right = _MERMAID_SHAPE[data["kind"]]
        out.append(f'  {ids[node]}{left}"{_mermaid_text(_label(data))}"{right}')
    for u, v, key, data in sorted(g.edges(keys=True, data=True)):
        if u in ids and v in ids:
            label = key if key != "targets" else f"{data['directive']} w={data['weight']:g}"
            out.append(f'  {ids[u]} {_MERMAID_ARROW[key]}|"{_mermaid_text(label)}"| {ids[v]}')
    return "\n".join(out) + "\n"


def to_json(graph: ObjectiveGraph, nodes: Iterable[NodeId]) -> str:
    """networkx node-link data of the (sub)graph."""
    import networkx as nx

    sub = graph.nx.subgraph(set(nodes))
    data = nx.node_link_data(sub, edges="edges")
    data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
    data["edges"] = sorted(data["edges"], key=lambda e: (e["source"], e["target"], e["key"]))
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


FORMATS = {"dot": to_dot, "mermaid": to_mermaid, "json": to_json}
