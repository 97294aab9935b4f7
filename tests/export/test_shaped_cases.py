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


def test_random_exclusions_cases_and_queries_agree(spec) -> None:  # type: ignore[no-untyped-def]
    import itertools

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from policykit.spec.reader import validate_spec

    dims = {d.id: d.values for d in spec.dimensions}
    defaults = {d.id: d.default for d in spec.dimensions}

    @st.composite
    def exclusion(draw):  # type: ignore[no-untyped-def]
        names = draw(st.lists(st.sampled_from(sorted(dims)), min_size=1, unique=True))
        out = {
            n: sorted(draw(st.sets(st.sampled_from(dims[n]), min_size=1)), key=dims[n].index)
            for n in names
        }
        if all(defaults[n] in v for n, v in out.items()):
            out[names[0]] = [v for v in dims[names[0]] if v != defaults[names[0]]] or out[names[0]]
        return out

    @settings(max_examples=40, deadline=None)
    @given(st.lists(exclusion(), max_size=4))
    def check(exclusions):  # type: ignore[no-untyped-def]
        exclusions = [
            e
            for e in exclusions
            if not all(defaults[n] in v for n, v in e.items()) and all(e.values())
        ]
        data = spec.model_dump(mode="json")
        data["context"]["exclude"] = exclusions
        shaped = validate_spec(data)
        index = Spec(shaped)

        def out(context):  # type: ignore[no-untyped-def]
            return any(all(context[n] in v for n, v in e.items()) for e in exclusions)

        for values in itertools.product(*dims.values()):
            context = dict(zip(dims, values, strict=True))
            if out(context):
                with pytest.raises(QueryError):
                    index.intended(context, "profanity")
            else:
                index.intended(context, "profanity")
        cases = build_cases(shaped).cases
        assert not [c for c in cases if out(c.context)]
        behavior = shaped.behaviors[0]
        for i, cell in enumerate(behavior.cells):
            inside = [
                dict(zip(dims, values, strict=True))
                for values in itertools.product(*((cell.when.get(n) or dims[n]) for n in dims))
            ]
            has_allowed = any(not out(c) for c in inside)
            assert has_allowed == any(c.cell == i for c in cases)

    check()
