"""Named principals (issue #12): any number of stakeholders, each of a kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.semantics import helpers as h
from tests.semantics import k12

REPO = Path(__file__).resolve().parents[2]
TOL = 1e-6


def _project(root: Path, **files: str) -> Path:
    return h.write_files(root, {**k12.FILES, **files})


def test_the_issues_named_principals_project_compiles(tmp_path: Path) -> None:
    path = _project(tmp_path)
    code, out, err = h.cli("validate", str(path))
    assert code == 0, out + err
    spec, diags = h.compiled(path)
    assert spec is not None, [d.message for d in h.errors(diags)]
    data = json.loads(h.spec_bytes(spec))
    answer = next(b for b in data["behaviors"] if b["id"] == "answer_directly")
    # each named stakeholder keeps its own target and cost in the cell
    for cell in answer["cells"]:
        assert {"parent", "student"} <= set(cell["stakeholders"])


def test_parent_and_student_targets_are_not_silently_averaged(tmp_path: Path) -> None:
    path = _project(tmp_path)
    spec, diags = h.compiled(path)
    assert spec is not None
    tension = [
        d
        for d in diags
        if {"parent", "student"} <= set(d.stakeholders)
        or ("parent" in d.message and "student" in d.message)
    ]
    assert tension, "the parent's and the student's targets pull apart, and nothing says so"


def _district_rule(adjustable_by: str) -> str:
    return k12.policy(
        "district",
        k12.rule(
            "district-cap-direct",
            "answer_directly",
            f"bounds: {{direct: {{max: 0.3}}}}\nadjustable_by: [{adjustable_by}]",
        ),
    )


def _more_direct(name: str) -> str:
    return k12.policy(
        name, k12.rule(f"{name}-more-direct", "answer_directly", "bounds: {direct: {min: 0.6}}")
    )


def _direct(spec: object) -> float:
    return h.cell_values(spec, "answer_directly")["direct"]  # type: ignore[arg-type]


def test_adjustable_by_a_name_does_not_empower_another_of_its_kind(tmp_path: Path) -> None:
    # two empty files need two names: policy ids are unique in a project (PK208)
    empty, nothing = k12.policy("parent-none"), k12.policy("student-none")
    base = {"policies/district.yaml": _district_rule("parent"), "prefs/parents.yaml": empty}
    alone, _ = h.compiled(_project(tmp_path / "alone", **base, **{"prefs/student.yaml": nothing}))
    student, diags = h.compiled(
        _project(tmp_path / "student", **base, **{"prefs/student.yaml": _more_direct("student")})
    )
    parent, _ = h.compiled(
        _project(
            tmp_path / "parent",
            **{**base, "prefs/parents.yaml": _more_direct("parent")},
            **{"prefs/student.yaml": nothing},
        )
    )
    assert alone is not None and student is not None and parent is not None
    assert _direct(alone) <= 0.3 + TOL
    assert _direct(student) <= 0.3 + TOL, "the student used a right given to the parent"
    assert any(Path(d.file).name == "student.yaml" and d.severity.rank >= 1 for d in diags), (
        "the student's rule that oversteps is not reported"
    )
    assert _direct(parent) >= 0.6 - TOL, "the parent could not use its right"


def test_a_kind_in_adjustable_by_means_every_stakeholder_of_that_kind(tmp_path: Path) -> None:
    empty, nothing = k12.policy("parent-none"), k12.policy("student-none")
    for who in ("parent", "student"):
        files = {
            "policies/district.yaml": _district_rule("user"),
            "prefs/parents.yaml": _more_direct("parent") if who == "parent" else empty,
            "prefs/student.yaml": _more_direct("student") if who == "student" else nothing,
        }
        path = _project(tmp_path / who, **files)
        spec, diags = h.compiled(path)
        assert spec is not None, [d.message for d in h.errors(diags)]
        assert _direct(spec) >= 0.6 - TOL, f"the {who} (a user) could not adjust"
        assert not [
            d for d in diags if d.severity.rank >= 1 and Path(d.file).name != "policykit.yaml"
        ]


def _school_project(root: Path, school_rank: int) -> Path:
    project = k12.PROJECT.replace(
        "school:    {kind: deployer, rank: 25}",
        f"school:    {{kind: deployer, rank: {school_rank}}}",
    )
    project = project.replace(
        "  - {path: prefs/parents.yaml",
        "  - {path: policies/school.yaml, stakeholder: school, on_violation: drop}\n"
        "  - {path: prefs/parents.yaml",
    )
    school = k12.policy("school", k12.rule("school-direct", "answer_directly", "require: direct"))
    return _project(
        root,
        **{
            "policykit.yaml": project,
            "policies/district.yaml": _district_rule("parent"),
            "policies/school.yaml": school,
        },
    )


def test_a_school_ranked_below_its_district_is_overridden_not_an_error(tmp_path: Path) -> None:
    spec, diags = h.compiled(_school_project(tmp_path / "below", 25))
    assert spec is not None, [d.message for d in h.errors(diags)]
    assert _direct(spec) <= 0.3 + TOL, "the district's rule should win over the school's"
    # the same disagreement at the same rank cannot be decided: an error
    same, _ = h.compiled(_school_project(tmp_path / "same", 30))
    assert same is None


def test_a_policy_claiming_another_named_stakeholder_is_an_error(tmp_path: Path) -> None:
    parents = k12.PARENTS.replace("  name: parents\n", "  name: parents\n  stakeholder: student\n")
    path = _project(tmp_path / "bad", **{"prefs/parents.yaml": parents})
    code, out, err = h.cli("validate", str(path))
    assert code == 1
    assert "parents.yaml:" in out
    assert "Traceback" not in out + err
    wrong = [d for d in h.validate_errors(path) if Path(d.file).name == "parents.yaml"]
    assert wrong and all(d.line > 0 for d in wrong)
    good = k12.PARENTS.replace("  name: parents\n", "  name: parents\n  stakeholder: parent\n")
    assert h.validate_errors(_project(tmp_path / "good", **{"prefs/parents.yaml": good})) == []


@pytest.mark.parametrize("rank", [40, 45])
def test_a_deployer_ranked_at_or_above_a_developer_is_reported(tmp_path: Path, rank: int) -> None:
    project = k12.PROJECT.replace("rank: 30, weight: 0.9", f"rank: {rank}, weight: 0.9")
    path = _project(tmp_path / "high", **{"policykit.yaml": project})
    found = [
        d
        for d in h.validate_project_diagnostics(path)
        if d.severity.rank >= 1
        and Path(d.file).name == "policykit.yaml"
        and "district" in d.message
    ]
    assert found, "district (a deployer) ranked at or above developer and society"
    assert all(d.line > 0 for d in found)
    fine = [
        d
        for d in h.validate_project_diagnostics(_project(tmp_path / "fine"))
        if Path(d.file).name == "policykit.yaml"
        and d.severity.rank >= 1
        and "district" in d.message
    ]
    assert fine == [], "district ranked below developer and society is reported all the same"


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in (REPO / "examples").glob("*/policykit.yaml"))
)
def test_examples_validate_clean_and_compile(tmp_path: Path, example: str) -> None:
    folder = REPO / "examples" / example
    code, out, err = h.cli("validate", str(folder))
    assert code == 0, out + err
    code, out, err = h.cli("compile", str(folder), "-o", str(tmp_path / "spec.json"))
    assert code == 0, out + err
    assert (tmp_path / "spec.json").stat().st_size > 0


def test_the_four_built_in_names_keep_working(tmp_path: Path) -> None:
    policies = {
        name: {
            "rules": [
                {"id": f"{name}-r", "behavior": "b", "target": {"refuse": p, "comply": 1 - p}}
            ]
        }
        for name, p in [("developer", 0.9), ("society", 0.7), ("deployer", 0.4), ("user", 0.1)]
    }
    path = h.build(tmp_path / "p", stakeholders={}, policies=policies)
    spec, diags = h.compiled(path)
    assert spec is not None, [d.message for d in h.errors(diags)]
    assert {"developer", "society", "deployer", "user"} <= set(spec.stakeholders)
