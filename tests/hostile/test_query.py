"""Issue #14, section 5: ``query`` crashes (RecursionError) on a valid spec with 3,000
dimensions. ``query`` must work at any number of dimensions the compiler accepts, or
the compiler must cap dimensions with a diagnostic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile import shapes
from tests.hostile.harness import CODE, assert_no_traceback, run


def _wide_project(root: Path, dims: int) -> Path:
    """``dims`` two-valued dimensions; one user rule narrows the last one, so the
    behavior is divided and every dimension is in the spec."""
    names = [f"d{i}" for i in range(dims)]
    cat = shapes.catalog([shapes.dimension(d, 2) for d in names], [shapes.behavior("b0")])
    rule = {"id": "u0", "behavior": "b0", "when": {names[-1]: ["v1"]}, "prefer": "comply"}
    prefs = shapes.policy("prefs", "user", [rule])
    return shapes.write_project(root, cat, {"user.yaml": ("user", prefs)})


@pytest.fixture(scope="module")
def wide_spec(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The 3,000-dimension spec, or None when the compiler refused it with a cap."""
    root = _wide_project(tmp_path_factory.mktemp("wide"), 3000)
    spec = root / "spec.json"
    result = run(["compile", str(root), "-o", str(spec)], timeout=60)
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    if result.rc == 0:
        return spec
    # the other way the issue allows: the compiler caps dimensions, with a diagnostic
    assert result.rc == 1, result.describe()
    assert CODE.search(result.err), result.describe()
    return None


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--behavior", "b0"],
        ["--context", "d2999=v1"],
        ["--context", "d0=v1", "--context", "d2999=v1", "--behavior", "b0"],
        ["--format", "json"],
    ],
    ids=["all", "behavior", "last-dimension", "full", "json"],
)
def test_query_works_at_3000_dimensions(args: list[str], wide_spec: Path | None) -> None:
    """Query: "query crashes (RecursionError) on a valid spec with 3,000 dimensions":
    every query of a spec the compiler wrote answers, exit 0, no traceback."""
    if wide_spec is None:
        return  # the compiler capped dimensions: the fixture checked its diagnostic
    result = run(["query", str(wide_spec), *args], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 0, result.describe()
    assert "b0" in result.out


def test_query_answer_at_3000_dimensions_is_the_rule(wide_spec: Path | None) -> None:
    """Query: at 3,000 dimensions the answer is still right: where the user's rule
    applies (d2999=v1) ``comply`` is preferred, elsewhere the default holds."""
    if wide_spec is None:
        return
    answers = {}
    for value in ("v0", "v1"):
        result = run(
            ["query", str(wide_spec), "--context", f"d2999={value}", "--format", "json"],
            timeout=30,
        )
        assert result.rc == 0, result.describe()
        answers[value] = json.loads(result.out)["intended"]["b0"]
    assert answers["v1"]["comply"] > answers["v0"]["comply"]
    assert answers["v0"] == pytest.approx(
        {"refuse": 0.333333, "partial": 0.333333, "comply": 0.333334}, abs=1e-5
    )
