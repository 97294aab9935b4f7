"""The project's ``context:`` section: restriction, defaults and exclusions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policykit.diagnostics import has_errors
from policykit.pipeline import compile_project, validate_project
from policykit.spec.artifact import dumps

PROJECTS = Path(__file__).resolve().parent.parent / "projects"


@pytest.fixture
def shaped(tmp_path: Path) -> Path:
    shutil.copytree(PROJECTS / "shaped-context", tmp_path / "p")
    return tmp_path / "p"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_restriction_shapes_the_workspace_dimensions(shaped: Path) -> None:
    result = validate_project(shaped)
    assert result.workspace is not None
    dims = result.workspace.dimensions
    assert dims["audience"].values == ("general", "minor")  # catalog order, not project's
    assert dims["audience"].default == "minor"
    assert set(dims["audience"].labels) == {"general", "minor"}
    assert dims["region"].values == ("us",) and dims["region"].default == "us"
    assert dims["grade_band"].values == ("k2", "g3_5", "g6_8", "g9_12")
    assert result.workspace.exclusions == ((("audience", ("general",)), ("grade_band", ("k2",))),)


def test_the_spec_records_the_shape_and_its_cells_only_allowed_values(shaped: Path) -> None:
    spec = compile_project(shaped).spec
    assert spec is not None and spec.context is not None
    assert spec.context.restricted == {"audience": ["adult"], "region": ["eu"]}
    assert spec.context.exclude == [{"audience": ["general"], "grade_band": ["k2"]}]
    values = {v for b in spec.behaviors for c in b.cells for vs in c.when.values() for v in vs}
    assert "adult" not in values and "eu" not in values


def test_without_context_the_spec_has_no_context_key(shaped: Path) -> None:
    text = (shaped / "policykit.yaml").read_text()
    start = text.index("context:")
    end = text.index("policies:")
    (shaped / "policykit.yaml").write_text(text[:start] + text[end:])
    spec = compile_project(shaped).spec
    assert spec is not None and spec.context is None
    assert '"context"' not in dumps(spec)


def test_order_of_values_and_exclusions_does_not_change_the_spec(shaped: Path) -> None:
    first = compile_project(shaped).spec
    _edit(shaped / "policykit.yaml", "values: [minor, general]", "values: [general, minor]")
    _edit(
        shaped / "policykit.yaml",
        "- {grade_band: k2, audience: general}",
        "- {audience: [general], grade_band: k2}\n    - {grade_band: k2, audience: general}",
    )
    second = compile_project(shaped).spec
    assert first is not None and second is not None
    assert dumps(first) == dumps(second)


def test_unknown_dimension_and_value_name_the_place_with_a_hint(shaped: Path) -> None:
    _edit(shaped / "policykit.yaml", "region: {values: [us]}", "regoin: {values: [uss]}")
    found = validate_project(shaped).diagnostics
    (d,) = [d for d in found if d.code == "PK207"]
    assert d.message == "unknown dimension 'regoin'"
    assert (d.file.endswith("policykit.yaml"), d.line) == (True, 12)
    assert "region" in d.hint
    _edit(shaped / "policykit.yaml", "regoin: {values: [uss]}", "region: {values: [uss]}")
    (d,) = [d for d in validate_project(shaped).diagnostics if d.code == "PK207"]
    assert d.message == "unknown value 'uss' of dimension 'region'"
    assert "us" in d.hint


def test_default_must_be_allowed(shaped: Path) -> None:
    _edit(shaped / "policykit.yaml", "default: minor", "default: adult")
    found = validate_project(shaped).diagnostics
    assert [d.code for d in found if d.severity.value == "error"] == ["PK225"]


def test_restricted_away_catalog_default_needs_a_default(shaped: Path) -> None:
    _edit(
        shaped / "policykit.yaml",
        "values: [minor, general], default: minor",
        "values: [minor, adult]",
    )
    found = validate_project(shaped).diagnostics
    assert any(d.code == "PK225" and "'general'" in d.message for d in found)
    assert has_errors(found)


def test_rules_outside_the_space_are_reported_not_errors(shaped: Path) -> None:
    found = validate_project(shaped).diagnostics
    assert not has_errors(found)
    outside = sorted(d.message.split("'")[1] for d in found if d.code == "PK430")
    assert outside == ["dep-adults-may", "dep-k2-general"]
    (named,) = [d for d in found if d.code == "PK431"]
    assert "region=eu" in named.message
    # PK303 would call the rule's own when empty; the project's context made it so
    assert not [d for d in found if d.code == "PK303"]


def test_pair_findings_only_in_excluded_cells_are_not_reported(shaped: Path) -> None:
    # user requires comply in k2, deployer forbids it for minors; the only place they do
    # not meet is k2 x general, which is excluded; a user rule scoped to exactly the
    # excluded box meets nothing allowed
    (shaped / "policies" / "user.yaml").write_text(
        (shaped / "policies" / "user.yaml").read_text()
        + """  - id: usr-k2-general-soft
    behavior: profanity
    when: {grade_band: k2}
    prefer: refuse
"""
    )
    _edit(
        shaped / "policies" / "deployer.yaml",
        "    when: {grade_band: k2, audience: general}\n    require: comply",
        "    when: {grade_band: k2, audience: general}\n    prefer: comply",
    )
    found = validate_project(shaped).diagnostics
    tension = [d for d in found if d.code == "PK410" and "dep-k2-general" in d.message]
    assert tension == []
    # without the exclusion, the same pair is tension
    _edit(shaped / "policykit.yaml", "  exclude:\n    - {grade_band: k2, audience: general}\n", "")
    found = validate_project(shaped).diagnostics
    assert [d for d in found if d.code == "PK410" and "dep-k2-general" in str(d.to_json())]


def test_same_rank_contradiction_only_in_excluded_cells_compiles(shaped: Path) -> None:
    (shaped / "policies" / "deployer2.yaml").write_text(
        """apiVersion: policykit/v1
kind: Policy
metadata:
  name: school
rules:
  - id: sch-k2-general-refuse
    behavior: profanity
    when: {grade_band: k2, audience: general}
    require: refuse
"""
    )
    _edit(
        shaped / "policykit.yaml",
        "policies:\n",
        "policies:\n  - path: policies/deployer2.yaml\n    stakeholder: deployer\n",
    )
    result = compile_project(shaped)
    assert result.spec is not None
    assert not [d for d in result.diagnostics if d.code in ("PK420", "PK401")]
    _edit(shaped / "policykit.yaml", "  exclude:\n    - {grade_band: k2, audience: general}\n", "")
    again = compile_project(shaped)
    assert has_errors(again.diagnostics)


def test_explain_refuses_contexts_outside_the_space(shaped: Path) -> None:
    from policykit.cli import main

    base = ["explain", str(shaped), "--behavior", "profanity", "--context"]
    assert main([*base, "audience=general", "--context", "grade_band=k2"]) == 2
    assert main([*base, "audience=adult"]) == 2
    assert main([*base, "audience=general", "--context", "grade_band=g3_5"]) == 0


def test_contradiction_met_first_in_an_excluded_cell_is_still_reported(shaped: Path) -> None:
    # three same-rank bounds, pairwise compatible but not jointly (PK420). audience
    # divides the behavior (a rule on minors in g9_12), so the cells general x k2
    # (excluded, resolved first) and minor x k2 hold the same rules: the second is
    # answered from the first's cache, and must still report
    _edit(
        shaped / "catalog.yaml",
        "    default: {refuse: 0.5, comply: 0.5}",
        '      mock:\n        description: Mocks the user.\n        exemplars: ["Ha."]\n'
        "    default: {refuse: 0.5, comply: 0.5}",
    )
    (shaped / "policies" / "deployer.yaml").write_text(
        """apiVersion: policykit/v1
kind: Policy
metadata:
  name: district
rules:
  - id: dep-k2-comply
    behavior: profanity
    when: {grade_band: k2}
    bounds: {comply: {min: 0.5}}
  - id: dep-k2-refuse
    behavior: profanity
    when: {grade_band: k2}
    bounds: {refuse: {min: 0.4}}
  - id: dep-k2-mock
    behavior: profanity
    when: {grade_band: k2}
    bounds: {mock: {min: 0.3}}
  - id: dep-older-minors
    behavior: profanity
    when: {grade_band: g9_12, audience: minor}
    prefer: refuse
"""
    )
    (shaped / "policies" / "user.yaml").write_text(
        "apiVersion: policykit/v1\nkind: Policy\nmetadata:\n  name: student\n"
    )
    result = compile_project(shaped)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    assert [d.code for d in errors] == ["PK420"], errors
    # named by the cell validate finds it in: all of k2 (of which minor is allowed), never
    # by the excluded general x k2 alone
    assert errors[0].message.startswith(("in audience=minor, grade_band=k2:", "in grade_band=k2:"))


def test_joint_infeasibility_only_in_excluded_cells_passes_validate_and_compile(
    shaped: Path,
) -> None:
    """validate fails exactly when compile does, in a shaped space too: three same-rank
    bounds that cannot all hold only for general-audience kindergartners (excluded)."""
    _edit(
        shaped / "catalog.yaml",
        "    default: {refuse: 0.5, comply: 0.5}",
        '      mock:\n        description: Mocks the user.\n        exemplars: ["Ha."]\n'
        "    default: {refuse: 0.5, comply: 0.5}",
    )
    when = "{grade_band: k2, audience: general}"
    (shaped / "policies" / "deployer.yaml").write_text(
        "apiVersion: policykit/v1\nkind: Policy\nmetadata:\n  name: district\nrules:\n"
        + "".join(
            f"  - id: dep-{o}\n    behavior: profanity\n    when: {when}\n"
            f"    bounds: {{{o}: {{min: {p}}}}}\n"
            for o, p in (("comply", 0.5), ("refuse", 0.4), ("mock", 0.3))
        )
    )
    (shaped / "policies" / "user.yaml").write_text(
        "apiVersion: policykit/v1\nkind: Policy\nmetadata:\n  name: student\n"
    )
    assert not has_errors(validate_project(shaped).diagnostics)
    assert compile_project(shaped).spec is not None
    _edit(shaped / "policykit.yaml", "  exclude:\n    - {grade_band: k2, audience: general}\n", "")
    assert has_errors(validate_project(shaped).diagnostics)
    assert compile_project(shaped).spec is None
