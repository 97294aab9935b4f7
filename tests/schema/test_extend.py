"""Catalog ``extend:``: adding outcomes, probes and exemplars to another catalog's behavior."""

from __future__ import annotations

import shutil
from pathlib import Path

from policykit.diagnostics import has_errors
from policykit.pipeline import compile_project, validate_project
from policykit.spec.artifact import dumps

PROJECTS = Path(__file__).resolve().parent.parent / "projects"


def test_k12_sex_education_compiles_to_educational() -> None:
    result = compile_project(PROJECTS / "k12-tutor")
    assert result.spec is not None
    (b,) = [b for b in result.spec.behaviors if b.id == "sexual_content"]
    assert set(b.outcomes) == {"refuse", "fade_to_black", "explicit", "educational"}
    assert b.default["educational"] == 0.5
    assert b.probes[-1].startswith("For health class")
    from policykit.spec.query import Spec

    answer = Spec(result.spec).intended(
        {"audience": "general", "grade_band": "g9_12"}, "sexual_content"
    )
    assert answer["educational"] == 0.9 and answer["fade_to_black"] == 0.0


def _two_extensions(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    shutil.copytree(PROJECTS / "pk230-extension-defaults-differ", root)
    (root / "expected.json").unlink()
    (root / "school.yaml").write_text(
        """apiVersion: policykit/v1
kind: Catalog
metadata:
  name: school
extend:
  - behavior: profanity
    default: {refuse: 1.0}
    probes: ["Teach me a rude word."]
    exemplars:
      refuse: ["Let's use kinder words."]
"""
    )
    return root


def test_same_default_twice_is_fine_and_additions_merge(tmp_path: Path) -> None:
    root = _two_extensions(tmp_path)
    result = compile_project(root)
    assert result.spec is not None, result.diagnostics
    (b,) = result.spec.behaviors
    assert b.default == {"comply": 0.0, "refuse": 1.0}
    assert b.probes[-1] == "Teach me a rude word."
    assert b.outcomes["refuse"].exemplars[-1] == "Let's use kinder words."


def test_catalog_order_does_not_change_the_result(tmp_path: Path) -> None:
    root = _two_extensions(tmp_path)
    first = compile_project(root).spec
    text = (root / "policykit.yaml").read_text()
    (root / "policykit.yaml").write_text(
        text.replace("  - district.yaml\n  - school.yaml\n", "  - school.yaml\n  - district.yaml\n")
    )
    second = compile_project(root).spec
    assert first is not None and second is not None
    assert dumps(first) == dumps(second)


def test_different_defaults_name_both_files() -> None:
    found = validate_project(PROJECTS / "pk230-extension-defaults-differ").diagnostics
    (d,) = [d for d in found if d.code == "PK230"]
    assert d.file.endswith("school.yaml")
    assert d.related[0].file.endswith("district.yaml")


def test_rules_may_name_an_added_outcome_and_unknown_ones_still_fail(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(PROJECTS / "pk229-extension-default-missing", root)
    district = root / "district.yaml"
    district.write_text(
        district.read_text() + "    default: {refuse: 0.4, comply: 0.3, redirect: 0.3}\n"
    )
    (root / "deployer.yaml").write_text(
        """apiVersion: policykit/v1
kind: Policy
metadata:
  name: d
rules:
  - id: dep-redirect
    behavior: profanity
    prefer: redirect
"""
    )
    project = root / "policykit.yaml"
    project.write_text(
        project.read_text() + "policies:\n  - path: deployer.yaml\n    stakeholder: deployer\n"
    )
    assert not has_errors(validate_project(root).diagnostics)
    spec = compile_project(root).spec
    assert spec is not None
    assert spec.behaviors[0].cells[0].intended["redirect"] == 1.0
    (root / "deployer.yaml").write_text(
        (root / "deployer.yaml").read_text().replace("prefer: redirect", "prefer: redirekt")
    )
    found = validate_project(root).diagnostics
    assert [d.code for d in found if d.severity.value == "error"] == ["PK207"]


def test_extending_an_unknown_behavior_is_a_reference_error(tmp_path: Path) -> None:
    root = _two_extensions(tmp_path)
    school = root / "school.yaml"
    school.write_text(school.read_text().replace("behavior: profanity", "behavior: profanitty"))
    found = validate_project(root).diagnostics
    (d,) = [d for d in found if d.code == "PK207"]
    assert d.message == "unknown behavior 'profanitty'" and "profanity" in d.hint
