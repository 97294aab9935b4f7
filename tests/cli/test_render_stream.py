"""The JSON and SARIF reports are written without json's encoder, in pieces: the text is
exactly what ``json.dumps(doc, indent=2, ensure_ascii=False)`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policykit
import policykit.analyze  # registers the analysis codes, which CODES then holds
from policykit.cli import render
from policykit.codes import CODES
from policykit.diagnostics import Diagnostic, Related, Severity

# Every kind of character JSON escapes or keeps: quotes, backslashes, control
# characters, non-ASCII (kept as is), and characters outside the BMP.
TEXT = st.text(
    alphabet=st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1b", "/", "a", "–", "é", "𝄞"])
    | st.characters(),
    max_size=12,
)
SMALL_INT = st.integers(min_value=0, max_value=10**6)

related = st.builds(Related, TEXT, TEXT, SMALL_INT, SMALL_INT)
diagnostics = st.builds(
    Diagnostic,
    code=st.sampled_from(sorted(CODES)),
    severity=st.sampled_from(list(Severity)),
    message=TEXT,
    file=TEXT,
    line=SMALL_INT,
    column=SMALL_INT,
    path=TEXT,
    hint=TEXT,
    related=st.lists(related, max_size=3).map(tuple),
    behavior=TEXT,
    stakeholders=st.lists(TEXT, max_size=3).map(tuple),
    # repeated dimensions too: to_json keeps the last value of each
    witness=st.lists(st.tuples(TEXT, TEXT), max_size=3).map(tuple),
)


def _json_reference(diags: list[Diagnostic]) -> str:
    doc = {
        "diagnostics": [d.to_json() for d in diags],
        "accepted": [],
        "summary": render.summary(diags, 7),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(diagnostics, max_size=6))
def test_json_is_what_json_dumps_writes(diags: list[Diagnostic]) -> None:
    assert "".join(render.iter_json(diags, 7)) == _json_reference(diags)


@pytest.mark.parametrize("n", [0, 1, render.CHUNK - 1, render.CHUNK, render.CHUNK + 1, 1100])
def test_json_pieces_join_to_the_whole_at_every_chunk_boundary(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    diags = [
        Diagnostic("PK207", Severity.ERROR, f"m{i}", "a.yaml", i, 1, stakeholders=("user",))
        for i in range(n)
    ]
    pieces = list(render.iter_json(diags, 7))
    assert "".join(pieces) == _json_reference(diags)
    assert len(pieces) == 3 + -(-n // render.CHUNK) + (n > 0)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": []},
        {"a": {}},
        {"a": [1, {"b": None}], "c": True, "d": 1.5, "e": float("inf")},
        {1: "int key", None: "null key", 2.5: "float key"},
        [Severity.ERROR, (1, 2)],
    ],
)
def test_dump_is_json_dumps_for_any_value(value: Any) -> None:
    assert render._dump(value, "\n") == json.dumps(value, indent=2, ensure_ascii=False)


def _old_sarif(diags: list[Diagnostic], root: Path) -> str:
    """The SARIF document as it was built before it was streamed."""
    used = sorted({d.code for d in diags})
    rules = [
        {
            "id": code,
            "name": CODES[code].summary.title().replace(" ", ""),
            "shortDescription": {"text": CODES[code].summary},
            "help": {"text": CODES[code].fix},
            "defaultConfiguration": {"level": render._SARIF_LEVEL[CODES[code].severity]},
        }
        for code in used
        if code in CODES
    ]
    results = []
    for d in diags:
        text = d.message + (f" ({d.hint})" if d.hint else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": render._SARIF_LEVEL[d.severity],
            "message": {"text": text},
            "locations": [render._sarif_location(d.file, d.line, d.column, root)],
        }
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.message},
                    **render._sarif_location(r.file, r.line, r.column, root),
                }
                for i, r in enumerate(d.related)
            ]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policykit",
                        "version": policykit.__version__,
                        "informationUri": "https://pypi.org/project/policykit-align/",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)


sarif_diagnostics = st.builds(
    Diagnostic,
    code=st.sampled_from(sorted(CODES)),
    severity=st.sampled_from(list(Severity)),
    message=TEXT,
    # file names that resolve: relative ones inside the root, absolute ones outside
    file=st.sampled_from(["a.yaml", "dir with space/b.yaml", "/elsewhere/c.yaml", "ü.yaml"]),
    line=SMALL_INT,
    column=SMALL_INT,
    hint=TEXT,
    related=st.lists(
        st.builds(Related, TEXT, st.sampled_from(["a.yaml", "/x/y.yaml"]), SMALL_INT, SMALL_INT),
        max_size=2,
    ).map(tuple),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(sarif_diagnostics, max_size=5))
def test_sarif_is_what_json_dumps_writes(diags: list[Diagnostic]) -> None:
    root = render._repo_root(Path.cwd().resolve())
    assert "".join(render.iter_sarif(diags)) == _old_sarif(diags, root)


def test_sarif_pieces_join_to_the_whole_across_chunks() -> None:
    root = render._repo_root(Path.cwd().resolve())
    diags = [
        Diagnostic("PK207", Severity.ERROR, f"m{i}", "a.yaml", i, 1)
        for i in range(render.CHUNK + 3)
    ]
    pieces = list(render.iter_sarif(diags))
    assert len(pieces) > 3
    assert "".join(pieces) == _old_sarif(diags, root)


def test_github_pieces_join_to_the_whole_across_chunks() -> None:
    diags = [
        Diagnostic("PK207", Severity.ERROR, f"m{i}", "a.yaml", i, 1)
        for i in range(render.CHUNK + 3)
    ]
    pieces = list(render.iter_github(diags))
    assert len(pieces) == 2
    assert "".join(pieces) == "\n".join(render._github_line(d) for d in diags)
    assert list(render.iter_github([])) == []
