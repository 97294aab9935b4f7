"""The query index against a slow, obviously-right reference: scan the cells for the one
whose scope holds the context."""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policykit.pipeline import compile_project
from policykit.spec.artifact import SPEC_VERSION, dumps
from policykit.spec.query import QueryError, Spec, SpecFormatError
from tests.spec.complete import complete_spec

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "examples" / "health_assistant"


def _reference(data: dict[str, Any], context: Mapping[str, str], behavior: str) -> dict[str, float]:
    """The intended distribution of the one cell whose ``when`` holds the context."""
    chosen = {d["id"]: context.get(d["id"], d["default"]) for d in data["dimensions"]}
    (b,) = [b for b in data["behaviors"] if b["id"] == behavior]
    (cell,) = [
        c for c in b["cells"] if all(chosen[name] in c["when"][name] for name in b["dimensions"])
    ]
    intended: dict[str, float] = cell["intended"]
    return intended


def _synthetic(seed: int) -> dict[str, Any]:
    """A spec-shaped dict with 0-4 dimensions and behaviors cut by random partitions."""
    rng = random.Random(seed)
    dims = [
        {"id": f"dim{i}", "values": [f"x{j}" for j in range(rng.randint(1, 5))]}
        for i in range(rng.randint(0, 4))
    ]
    for d in dims:
        d["default"] = rng.choice(d["values"])
    behaviors = []
    for k in range(rng.randint(1, 6)):
        outcomes = rng.sample(["refuse", "partial", "comply", "ask"], rng.randint(1, 4))
        dividing = [d for d in dims if rng.random() < 0.6]
        classes: dict[str, list[list[str]]] = {}
        for d in dividing:
            values = list(d["values"])
            rng.shuffle(values)
            cuts = sorted(rng.sample(range(1, len(values)), rng.randint(0, len(values) - 1)))
            classes[d["id"]] = [
                values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)], strict=True)
            ]
        cells = []
        for combo in itertools.product(*(classes[d["id"]] for d in dividing)):
            weights = [rng.choice((0.0, 0.25, 0.5, 1.0)) for _ in outcomes]
            weights[0] += 1.0
            intended = {o: w / sum(weights) for o, w in zip(outcomes, weights, strict=True)}
            when = {d["id"]: group for d, group in zip(dividing, combo, strict=True)}
            cells.append({"when": when, "intended": intended, "applied": ["r1"]})
        behaviors.append(
            {
                "id": f"beh{k}",
                "outcomes": {o: {"description": o} for o in outcomes},
                "dimensions": [d["id"] for d in dividing],
                "classes": classes,
                "cells": cells,
            }
        )
    return complete_spec({"apiVersion": SPEC_VERSION, "dimensions": dims, "behaviors": behaviors})


@st.composite
def spec_and_queries(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, str]]]:
    data = _synthetic(draw(st.integers(0, 2**32)))
    contexts = []
    for _ in range(draw(st.integers(1, 8))):
        context = {}
        for d in data["dimensions"]:
            if draw(st.booleans()) or draw(st.booleans()):  # most contexts are full
                context[d["id"]] = draw(st.sampled_from(d["values"]))
        items = list(context.items())
        contexts.append(dict(draw(st.permutations(items))))
    return data, contexts


@settings(max_examples=300, deadline=None)
@given(spec_and_queries())
def test_query_matches_a_scan_of_the_cells(case: tuple[dict[str, Any], list[dict[str, str]]]):
    data, contexts = case
    spec = Spec(data)
    for context in contexts:
        everything = spec.intended(context)
        assert set(everything) == {b["id"] for b in data["behaviors"]}
        for b in data["behaviors"]:
            expected = _reference(data, context, b["id"])
            for form in (context, MappingProxyType(context), defaultdict(str, context)):
                got = spec.intended(form, b["id"])
                assert dict(got) == expected
                assert isinstance(got, MappingProxyType)
            assert spec.intended(context, behavior=b["id"]) is everything[b["id"]]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32))
def test_mistakes_in_a_full_context_are_query_errors(seed: int) -> None:
    data = _synthetic(seed)
    spec = Spec(data)
    full = {d["id"]: d["default"] for d in data["dimensions"]}
    behavior = data["behaviors"][0]["id"]
    with pytest.raises(QueryError, match="unknown dimension 'extra'"):
        spec.intended({**full, "extra": "x0"}, behavior)
    with pytest.raises(QueryError, match="unknown behavior"):
        spec.intended(full, behavior + "x")
    if data["dimensions"]:
        name = data["dimensions"][-1]["id"]
        swapped = {**{k: v for k, v in full.items() if k != name}, "extra": "x0"}
        with pytest.raises(QueryError, match="unknown dimension 'extra'"):
            spec.intended(swapped, behavior)
        with pytest.raises(QueryError, match=f"unknown value 'nope' of dimension '{name}'"):
            spec.intended({**full, name: "nope"}, behavior)
        with pytest.raises(QueryError, match=f"unknown value 'nope' of dimension '{name}'"):
            spec.intended({**full, name: "nope"})


def test_a_defaultdict_context_is_not_changed() -> None:
    spec = Spec(
        complete_spec(
            {
                "apiVersion": SPEC_VERSION,
                "dimensions": [
                    {"id": "audience", "values": ["adult", "minor"], "default": "adult"},
                    {"id": "surface", "values": ["chat", "api"], "default": "chat"},
                ],
                "behaviors": [
                    {
                        "id": "tone",
                        "outcomes": {"formal": {}, "casual": {}},
                        "dimensions": ["audience"],
                        "classes": {"audience": [["adult"], ["minor"]]},
                        "cells": [
                            {"intended": {"formal": 0.5, "casual": 0.5}},
                            {"intended": {"formal": 1.0, "casual": 0.0}},
                        ],
                    }
                ],
            }
        )
    )
    context: defaultdict[str, str] = defaultdict(str, {"audience": "minor"})
    assert spec.intended(context, "tone") == {"formal": 1.0, "casual": 0.0}
    context["platform"] = "web"
    with pytest.raises(QueryError, match="unknown dimension 'platform'"):
        spec.intended(context, "tone")
    assert dict(context) == {"audience": "minor", "platform": "web"}


def test_distributions_are_read_only_and_shared() -> None:
    spec = Spec(_synthetic(7))
    for b in spec.behaviors:
        p = spec.intended({}, b)
        with pytest.raises(TypeError):
            p["refuse"] = 1.0  # type: ignore[index]
    everything = spec.intended({})
    assert all(everything[b] is spec.intended({}, b) for b in spec.behaviors)


def test_load_answers_as_the_parsed_json_does(tmp_path: Path) -> None:
    result = compile_project(HEALTH)
    assert result.spec is not None
    text = dumps(result.spec)
    path = tmp_path / "spec.json"
    path.write_text(text, encoding="utf-8")
    data = json.loads(text)
    loaded, parsed = Spec.load(path), Spec(data)
    assert loaded.behaviors == parsed.behaviors
    assert loaded.partitions == parsed.partitions and loaded.defaults == parsed.defaults
    dims = list(data["dimensions"])
    rng = random.Random(0)
    for _ in range(300):
        context = {d["id"]: rng.choice(d["values"]) for d in dims if rng.random() < 0.8}
        behavior = rng.choice(loaded.behaviors)
        expected = _reference(data, context, behavior)
        assert dict(loaded.intended(context, behavior)) == expected
        assert dict(parsed.intended(context, behavior)) == expected


def test_load_rejects_files_that_are_not_specs(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    for text, message in [
        ("{", "is not JSON"),
        ("[]", "is not a policykit.spec/v1 spec"),
        ('{"apiVersion": "v0"}', "not a policykit.spec/v1 spec"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SpecFormatError, match=message):
            Spec.load(path)
