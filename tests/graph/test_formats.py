"""The objective graph as DOT, Mermaid and JSON, and ``policykit graph``.

The README promises that any id or description is escaped, so that no text can end a
label or start a statement of its own: the hostile cases below read every label back
out of the output and compare it with what went in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import networkx as nx
import pytest

from policykit.cli import main
from policykit.graph.formats import to_dot, to_json, to_mermaid
from tests.minimal import CATALOG, project

HOSTILE = [
    'quote " inside',
    "back\\slash \\n not a newline",
    "two\nlines\r\n",
    "arrow --> b; c -> d",
    'end"]; evil [label="x',
    "<script>alert(1)</script>",
    "brackets [[x]] ([y]) {z} |pipe| #35; &amp;",
    "%% mermaid comment",
    "unicode é ☃ \u2028 tab\t",
]


def _stub(names: list[str]) -> Any:
    """An object with the one thing the formats read: ``nx``, here a graph whose
    names are hostile."""
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for i, name in enumerate(names):
        g.add_node(f"behavior:{name}", kind="behavior", name=name)
        g.add_node(f"rule:{name}", kind="rule", name=name, directive="require")
        g.add_edge(
            f"rule:{name}",
            f"behavior:{name}",
            key="targets",
            kind="targets",
            directive="require",
            weight=1.0 + i,
        )
    return SimpleNamespace(nx=g)


_DOT_STRING = r'"((?:[^"\\]|\\.)*)"'
_DOT_NODE = re.compile(rf"^  {_DOT_STRING} \[label={_DOT_STRING} shape=\w+\];$")
_DOT_EDGE = re.compile(rf"^  {_DOT_STRING} -> {_DOT_STRING} \[label={_DOT_STRING} [^\[\]]*\];$")


def _dot_unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def test_dot_keeps_every_hostile_name_inside_its_quotes() -> None:
    graph = _stub(HOSTILE)
    lines = to_dot(graph, graph.nx.nodes).split("\n")[:-1]  # DOT ends lines at \n only
    assert lines[:3] == ["digraph policykit {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    assert lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[3:-1]:
        node = _DOT_NODE.match(line)
        edge = _DOT_EDGE.match(line)
        assert node or edge, f"not one statement: {line!r}"
        if node:
            nodes[_dot_unquote(node.group(1))] = _dot_unquote(node.group(2))
        else:
            assert edge is not None
            edges.append(tuple(_dot_unquote(edge.group(i)) for i in (1, 2)))
    # carriage returns are dropped; everything else comes back as written
    expected = {name.replace("\r", "") for name in HOSTILE}
    assert {v for k, v in nodes.items() if k.startswith("behavior:")} == expected
    assert {v for k, v in nodes.items() if k.startswith("rule:")} == {
        f"{name}\nrequire" for name in expected
    }
    assert sorted(edges) == sorted(
        (f"rule:{n}".replace("\r", ""), f"behavior:{n}".replace("\r", "")) for n in HOSTILE
    )


_MERMAID_LABEL = r'"([A-Za-z0-9 _.,:/()=+\-#;<>\w]*)"'
_MERMAID_NODE = re.compile(rf"^  n\d+(\[\[|\[|\(\[|\[/){_MERMAID_LABEL}(\]\]|\]|\]\)|\\\])$")
_MERMAID_EDGE = re.compile(rf"^  n\d+ (-->|-\.->|==>)\|{_MERMAID_LABEL}\| n\d+$")


def _mermaid_unquote(text: str) -> str:
    text = text.replace("<br/>", "\n")
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text)


def test_mermaid_keeps_every_hostile_name_inside_its_quotes() -> None:
    graph = _stub(HOSTILE)
    lines = to_mermaid(graph, graph.nx.nodes).split("\n")[:-1]
    assert lines[0] == "flowchart LR"
    labels = []
    for line in lines[1:]:
        node = _MERMAID_NODE.match(line)
        edge = _MERMAID_EDGE.match(line)
        assert node or edge, f"not one statement: {line!r}"
        if node:
            label = node.group(2)
            # nothing that could end the label, the shape or the line
            assert '"' not in label and "\n" not in label and "]" not in label
            assert "<" not in label.replace("<br/>", "")
            labels.append(_mermaid_unquote(label))
    assert sorted(labels) == sorted([*HOSTILE, *(f"{n}\nrequire" for n in HOSTILE)])


def test_json_is_node_link_data_of_the_graph() -> None:
    graph = _stub(HOSTILE)
    data = json.loads(to_json(graph, graph.nx.nodes))
    assert sorted(n["name"] for n in data["nodes"]) == sorted(HOSTILE * 2)
    assert len(data["edges"]) == len(HOSTILE)


# -- policykit graph ------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    project(tmp_path)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


DOT = """\
digraph policykit {
  rankdir=LR;
  node [fontname="Helvetica"];
  "behavior:profanity" [label="profanity" shape=box];
  "property:harmless" [label="harmless" shape=ellipse];
  "property:helpful" [label="helpful" shape=ellipse];
  "property:honest" [label="honest" shape=ellipse];
  "rule:no-swearing-for-minors" [label="no-swearing-for-minors\\nforbid" shape=note];
  "stakeholder:deployer" [label="deployer\\nrank 2, weight 1" shape=house];
  "stakeholder:developer" [label="developer\\nrank 3, weight 1" shape=house];
  "stakeholder:society" [label="society\\nrank 3, weight 1" shape=house];
  "stakeholder:user" [label="user\\nrank 1, weight 1" shape=house];
  "behavior:profanity" -> "property:harmless" [label="serves" color="#2ca02c" style=dashed];
  "rule:no-swearing-for-minors" -> "behavior:profanity" [label="forbid w=1" color="#1f77b4"];
  "rule:no-swearing-for-minors" -> "stakeholder:deployer" [label="authored_by" color="#888888"];
}
"""

MERMAID = """\
flowchart LR
  n0[["profanity"]]
  n1(["harmless"])
  n2["no-swearing-for-minors<br/>forbid"]
  n3[/"deployer<br/>rank 2, weight 1"\\]
  n0 -.->|"serves"| n1
  n2 -->|"forbid w=1"| n0
  n2 -.->|"authored_by"| n3
"""


def test_graph_writes_dot_by_default(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "graph", ".") == (0, DOT, "")


def test_graph_of_one_behavior_as_mermaid(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "graph", ".", "--format", "mermaid", "--behavior", "profanity") == (
        0,
        MERMAID,
        "",
    )


def test_graph_as_json_carries_descriptions(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "graph", ".", "--format", "json")
    assert code == 0
    nodes = {n["id"]: n for n in json.loads(out)["nodes"]}
    assert nodes["behavior:profanity"]["description"] == "The user asks the assistant to swear."
    assert nodes["rule:no-swearing-for-minors"]["stakeholder"] == "deployer"


def test_graph_to_a_file(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "graph", ".", "-o", "g.dot") == (0, "", "wrote g.dot\n")
    assert (root / "g.dot").read_text(encoding="utf-8") == DOT


def test_graph_of_an_unknown_behavior_suggests_one(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "graph", ".", "--behavior", "profanty")
    assert (code, out) == (2, "")
    assert "unknown behavior 'profanty'; did you mean 'profanity'?" in err


def test_graph_of_a_broken_project_fails(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, catalog=CATALOG.replace("property: harmless", "property: harmles"))
    code, out, err = _run(capsys, "graph", ".")
    assert (code, out) == (1, "")
    assert "failed: fix the errors above first" in err
