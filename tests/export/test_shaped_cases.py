"""Cases and queries over a shaped context space cover only the allowed contexts."""

from __future__ import annotations

from pathlib import Path

import pytest

from policykit.export.cases import build_cases
from policykit.pipeline import compile_project
from policykit.spec.artifact import dumps
from policykit.spec.query import QueryError, Spec
from policykit.spec.reader import SpecFormatError, read_spec

PROJECTS = Path(__file__).resolve().parent.parent / "projects"


@pytest.fixture(scope="module")
def spec():  # type: ignore[no-untyped-def]
    compiled = compile_project(PROJECTS / "shaped-context").spec
    assert compiled is not None
    return compiled


def test_cases_never_render_an_excluded_or_restricted_context(spec) -> None:  # type: ignore[no-untyped-def]
    cases = build_cases(spec).cases
    assert cases
    for case in cases:
        assert not (case.context["audience"] == "general" and case.context["grade_band"] == "k2")
        assert case.context["region"] == "us"
        assert case.context["audience"] in ("minor", "general")
    # the excluded cell (general x k2) has no case; every other cell has
    assert {c.cell for c in cases} == set(range(1, len(spec.behaviors[0].cells)))


def test_prompts_describe_the_restricted_default(spec) -> None:  # type: ignore[no-untyped-def]
    minor = [c for c in build_cases(spec).cases if c.context["audience"] == "minor"]
    assert minor
    for case in minor:
        assert "a minor (under 18)" in case.messages[0].content
        assert "general public" not in case.messages[0].content


def test_queries_outside_the_space_are_errors(spec) -> None:  # type: ignore[no-untyped-def]
    index = Spec(spec)
    assert index.intended({}, "profanity")["refuse"] == 1.0  # default audience: minor
    with pytest.raises(QueryError, match="excluded by the project's context space"):
        index.intended({"audience": "general", "grade_band": "k2", "region": "us"}, "profanity")
    with pytest.raises(QueryError, match="excluded"):
        index.intended({"audience": "general", "grade_band": "k2"})
    with pytest.raises(QueryError, match="restricted away"):
        index.intended({"audience": "adult"}, "profanity")


def test_reader_round_trips_and_checks_the_shape(spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "spec.json"
    path.write_text(dumps(spec))
    assert dumps(read_spec(path)) == dumps(spec)
    bad = dumps(spec).replace(
        '"restricted": {\n   "audience": [\n    "adult"',
        '"restricted": {\n   "audience": [\n    "minor"',
    )
    assert bad != dumps(spec)
    path.write_text(bad)
    with pytest.raises(SpecFormatError, match="restricted-away values"):
        read_spec(path)


def test_diff_across_spaces_reports_excluded_cells_and_the_shape(spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from policykit.spec.diff import review

    root = tmp_path / "p"
    shutil.copytree(PROJECTS / "shaped-context", root)
    text = (root / "policykit.yaml").read_text()
    (root / "policykit.yaml").write_text(
        text[: text.index("context:")] + text[text.index("policies:") :]
    )
    unshaped = compile_project(root).spec
    assert unshaped is not None
    old, new = unshaped.model_dump(mode="json"), spec.model_dump(mode="json")
    result = review(old, new)
    gone = [c for c in result.changes if c.new is None]
    assert [dict(c.when) for c in gone] == [{"audience": ("general",), "grade_band": ("k2",)}]
    assert {(v.kind, v.name, v.change) for v in result.vocabulary} == {
        ("value", "audience=adult", "removed"),
        ("value", "region=eu", "removed"),
        ("exclusion", "audience=general, grade_band=k2", "added"),
    }
    back = review(new, old)
    assert [c for c in back.changes if c.old is None]
