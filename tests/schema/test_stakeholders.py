"""Named principals in the project file: any name with a kind, rank and weight; the
built-in names keep their defaults; bindings, adjustable_by and grants name them."""

from __future__ import annotations

from pathlib import Path

import pytest

from policykit.pipeline import validate_project
from policykit.schema.models import DEFAULT_STAKEHOLDERS, Project, StakeholderSettings
from tests.minimal import CATALOG, FILES, write_tree

HEAD = """\
apiVersion: policykit/v1
kind: Project
metadata: {name: tutor}
deployment: {description: A homework tutor.}
catalogs: [catalog.yaml]
"""

NAMED = """\
stakeholders:
  developer: {rank: 40}
  society:   {rank: 40}
  district:  {kind: deployer, rank: 30, weight: 0.9, description: Lakeview USD}
  parent:    {kind: user, rank: 20, weight: 0.8}
  student:   {kind: user, rank: 10, weight: 0.6}
"""


def _project(extra: str = "") -> Project:
    return Project.model_validate(
        {
            "apiVersion": "policykit/v1",
            "kind": "Project",
            "metadata": {"name": "p"},
            "deployment": {"description": "d"},
            "catalogs": ("c.yaml",),
            "stakeholders": {
                "developer": StakeholderSettings(rank=40),
                "district": StakeholderSettings(kind="deployer", rank=30),
                "parent": StakeholderSettings(kind="user", rank=20),
                "student": StakeholderSettings(kind="user", rank=10),
                **({"user": StakeholderSettings(kind="deployer", rank=5)} if extra else {}),
            },
        }
    )


def _policy(stakeholder: str, rules: str = "", grants: str = "") -> str:
    return (
        "apiVersion: policykit/v1\nkind: Policy\nmetadata: {name: "
        + stakeholder
        + "}\nrules:\n"
        + (rules or "  - {id: " + stakeholder + "-r, behavior: profanity, prefer: refuse}\n")
        + grants
    )


def _diags(root: Path, project: str, policies: dict[str, str]) -> list[tuple[str, str, int, int]]:
    write_tree(root, {"policykit.yaml": project, "catalog.yaml": CATALOG, **policies})
    return [(d.code, d.message, d.line, d.column) for d in validate_project(root).diagnostics]


def test_built_in_names_keep_their_kind_and_defaults() -> None:
    project = _project()
    assert project.kind_of("user") == "user"
    assert project.settings("user") == DEFAULT_STAKEHOLDERS["user"]
    assert project.kind_of("parent") == "user"
    assert project.stakeholder_names == (
        "society",
        "developer",
        "deployer",
        "user",
        "district",
        "parent",
        "student",
    )


def test_a_kind_means_every_stakeholder_of_that_kind() -> None:
    project = _project()
    assert project.expand(("user",)) == {"user", "parent", "student"}
    assert project.expand(("parent",)) == {"parent"}
    assert project.expand(("deployer", "student")) == {"deployer", "district", "student"}
    assert project.expand(("nobody",)) == frozenset()


def test_a_built_in_name_declared_with_another_kind_means_only_itself() -> None:
    project = _project(extra="user")
    assert project.kind_of("user") == "deployer"
    assert project.expand(("user",)) == {"user"}
    assert project.expand(("deployer",)) == {"deployer", "district", "user"}


def test_a_named_project_validates(tmp_path: Path) -> None:
    project = (
        HEAD
        + NAMED
        + (
            "policies:\n"
            "  - {path: parent.yaml, stakeholder: parent}\n"
            "  - {path: student.yaml, stakeholder: student, weight: 0.5}\n"
        )
    )
    student = "  - {id: s, behavior: profanity, when: {audience: minor}, prefer: refuse}\n"
    policies = {"parent.yaml": _policy("parent"), "student.yaml": _policy("student", student)}
    assert _diags(tmp_path, project, policies) == []


def test_a_name_without_kind_is_an_error(tmp_path: Path) -> None:
    project = HEAD + "stakeholders:\n  parent: {rank: 1}\n"
    assert _diags(tmp_path, project, {}) == [
        (
            "PK220",
            "stakeholder 'parent' has no kind: a name other than society, developer, "
            "deployer or user says which kind it is",
            7,
            3,
        )
    ]


def test_a_binding_to_an_undeclared_name_is_an_error(tmp_path: Path) -> None:
    project = HEAD + NAMED + "policies:\n  - {path: p.yaml, stakeholder: parnet}\n"
    write_tree(tmp_path, {"policykit.yaml": project, "catalog.yaml": CATALOG})
    write_tree(tmp_path, {"p.yaml": _policy("parnet")})
    (d,) = validate_project(tmp_path).diagnostics
    assert (d.code, d.message, d.line, d.column, d.hint, d.path) == (
        "PK221",
        "policy file is bound to unknown stakeholder 'parnet'",
        13,
        33,
        "did you mean 'parent'?",
        "policies[0].stakeholder",
    )


def test_unknown_adjusters_and_grantees_are_reported_in_the_policy(tmp_path: Path) -> None:
    rules = "  - {id: d, behavior: profanity, require: refuse, adjustable_by: [parnt]}\n"
    grants = "grants:\n  - {behavior: profanity, to: [studnt]}\n"
    project = HEAD + NAMED + "policies:\n  - {path: d.yaml, stakeholder: district}\n"
    got = _diags(tmp_path, project, {"d.yaml": _policy("district", rules, grants)})
    assert got == [
        ("PK222", "unknown stakeholder or kind 'parnt'", 5, 67),
        ("PK222", "unknown stakeholder or kind 'studnt'", 7, 32),
    ]


def test_a_kind_reaching_a_stakeholder_not_ranked_below_is_pk213(tmp_path: Path) -> None:
    # district (30) may not make its rule adjustable by every deployer: that is itself
    rules = "  - {id: d, behavior: profanity, require: refuse, adjustable_by: [deployer]}\n"
    project = HEAD + NAMED + "policies:\n  - {path: d.yaml, stakeholder: district}\n"
    got = _diags(tmp_path, project, {"d.yaml": _policy("district", rules)})
    assert got == [
        (
            "PK213",
            "'deployer' (as 'district') does not rank below 'district', so it cannot be "
            "given the right to adjust",
            5,
            67,
        )
    ]
    rules = rules.replace("[deployer]", "[user]")
    assert _diags(tmp_path, project, {"d.yaml": _policy("district", rules)}) == []


def test_the_claim_is_checked_by_name(tmp_path: Path) -> None:
    policy = _policy("parent").replace("{name: parent}", "{name: parent, stakeholder: user}")
    project = HEAD + NAMED + "policies:\n  - {path: p.yaml, stakeholder: parent}\n"
    got = _diags(tmp_path, project, {"p.yaml": policy})
    assert [(c, m) for c, m, _, _ in got] == [
        (
            "PK209",
            "this policy says it speaks for 'user', but the project binds it to 'parent'",
        )
    ]


@pytest.mark.parametrize(
    ("stakeholders", "expected"),
    [
        ("  district: {kind: deployer, rank: 3}\n", ["district"]),
        ("  district: {kind: deployer, rank: 3, rank_intended: true}\n", []),
        ("  district: {kind: deployer, rank: 2}\n", []),
        ("  user: {rank: 3}\n  deployer: {rank: 4}\n", ["deployer", "user"]),
        ("  developer: {rank: 1}\n", ["deployer", "user"]),
    ],
)
def test_pk414_deployer_or_user_at_or_above_developer_or_society(
    tmp_path: Path, stakeholders: str, expected: list[str]
) -> None:
    write_tree(tmp_path, {**FILES, "policykit.yaml": HEAD + "stakeholders:\n" + stakeholders})
    diags = validate_project(tmp_path).diagnostics
    assert all(d.code == "PK414" and d.severity.value == "warning" for d in diags)
    assert sorted(d.message.split("'")[1] for d in diags) == expected
