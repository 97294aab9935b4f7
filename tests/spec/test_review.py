"""``policykit diff`` as a reviewer reads it: the rules behind each change, permission
changes, vocabulary changes, and the exit status under --exit-code and --fail-above."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policykit.cli import main
from policykit.pipeline import compile_project
from policykit.spec.artifact import dumps
from policykit.spec.diff import read_spec_data, review
from tests.minimal import FILES, POLICY, write_tree

SOFT = """\
  - id: dep-mild
    behavior: profanity
    target: {refuse: 0.7, comply: 0.3}
"""


def _compile(root: Path, name: str, **files: str) -> Path:
    project = write_tree(root / name, {**FILES, **files})
    result = compile_project(project)
    assert result.spec is not None, result.diagnostics
    out = root / f"{name}.json"
    out.write_text(dumps(result.spec), encoding="utf-8")
    return out


def test_spec_records_each_rules_permissions(tmp_path: Path) -> None:
    spec = json.loads(_compile(tmp_path, "a").read_text())
    (rule,) = spec["rules"]
    assert rule["permissions"] == {
        "locked": True,
        "adjustable_by": [],
        "within": None,
        "grants": [],
    }


def test_unlocking_a_rule_is_a_change_that_fails_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _compile(tmp_path, "old")
    unlocked = POLICY + "    adjustable_by: [user]\n    within: {comply: {max: 0.2}}\n"
    new = _compile(tmp_path, "new", **{"deployer.yaml": unlocked})
    found = review(read_spec_data(old), read_spec_data(new))
    assert found.changes == ()  # intended behavior is the same...
    (change,) = found.rules  # ...but the permissions are not
    assert (change.rule, change.kind) == ("no-swearing-for-minors", "permissions")
    assert change.describe() == (
        "rule 'no-swearing-for-minors': locked -> not locked; adjustable_by: [user]; "
        "within: comply in [0, 0.2]"
    )
    assert main(["diff", str(old), str(new), "--exit-code"]) == 1
    out = capsys.readouterr().out
    assert "no change" not in out
    assert "rule 'no-swearing-for-minors': locked -> not locked" in out
    assert main(["diff", str(old), str(old), "--exit-code"]) == 0


def test_changes_name_the_rules_that_caused_them(tmp_path: Path) -> None:
    old = _compile(tmp_path, "old")
    new = _compile(tmp_path, "new", **{"deployer.yaml": POLICY + SOFT})
    found = review(read_spec_data(old), read_spec_data(new))
    assert {c.rules for c in found.changes} == {("dep-mild",)}
    assert [c.when for c in found.changes] == [(("audience", ("adult",)),)]
    assert [(r.rule, r.kind) for r in found.rules] == [("dep-mild", "added")]


def test_a_new_dimension_value_is_a_change(tmp_path: Path) -> None:
    from tests.minimal import CATALOG

    old = _compile(tmp_path, "old")
    teen = CATALOG.replace("values: [adult, minor]", "values: [adult, minor, teen]")
    new = _compile(tmp_path, "new", **{"catalog.yaml": teen})
    found = review(read_spec_data(old), read_spec_data(new))
    assert [v.describe() for v in found.vocabulary] == ["value audience=teen added"]
    assert found.fails()
    assert main(["diff", str(old), str(new), "--exit-code"]) == 1


def test_fail_above_sets_the_threshold_for_intended_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = POLICY + SOFT
    old = _compile(tmp_path, "old", **{"deployer.yaml": base})
    nudged = base.replace("{refuse: 0.7, comply: 0.3}", "{refuse: 0.65, comply: 0.35}")
    new = _compile(tmp_path, "new", **{"deployer.yaml": nudged})
    assert main(["diff", str(old), str(new), "--fail-above", "0.1"]) == 0
    assert main(["diff", str(old), str(new), "--fail-above", "0.01"]) == 1
    assert main(["diff", str(old), str(new)]) == 0  # without a gate: a report only
    capsys.readouterr()


def test_markdown_is_a_pull_request_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _compile(tmp_path, "old")
    new = _compile(tmp_path, "new", **{"deployer.yaml": POLICY + SOFT})
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| TV | behavior | where | old | new | rules |" in out
    assert "| 0.200 | `profanity` | audience in {adult} | comply 0.500  refuse 0.500 |" in out
    assert "| `dep-mild` | added | - | not locked |" in out


def test_json_reports_every_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _compile(tmp_path, "old")
    new = _compile(tmp_path, "new", **{"deployer.yaml": POLICY + SOFT})
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["changes", "rules", "vocabulary", "permissions_unrecorded"]
    assert doc["changes"][0]["rules"] == ["dep-mild"]


def test_a_spec_that_is_not_one_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"apiVersion": "v0"}')
    assert main(["diff", str(bad), str(bad)]) == 1
    assert "is not a policykit.spec/v1 spec" in capsys.readouterr().err


def test_grants_are_recorded_and_a_narrower_grant_is_a_permission_change(
    tmp_path: Path,
) -> None:
    import shutil

    creative = Path(__file__).resolve().parents[2] / "examples" / "creative_writing"
    project = tmp_path / "creative"
    shutil.copytree(creative, project)
    old = compile_project(project)
    assert old.spec is not None
    rules = {r.id: r for r in old.spec.rules}
    permissions = rules["dep-romance-adult-mature"].permissions
    assert permissions is not None
    (grant,) = permissions.grants
    assert grant.to == ["user"]
    assert grant.when == {
        "audience": ["adult"],
        "domain": ["creative"],
        "project_rating": ["mature"],
    }
    assert grant.within is not None and grant.within["explicit"].max == 0.5
    deployer = project / "policies" / "deployer.yaml"
    text = deployer.read_text(encoding="utf-8")
    deployer.write_text(
        text.replace("      explicit: {max: 0.5}\n", "      explicit: {max: 0.45}\n")
    )
    new = compile_project(project)
    assert new.spec is not None
    found = review(old.spec.model_dump(mode="json"), new.spec.model_dump(mode="json"))
    changed = {r.rule for r in found.rules if r.kind == "permissions"}
    # every deployer rule on the behavior carries the policy's grant on it
    assert "dep-romance-adult-mature" in changed
    assert all(rules[r].behavior == "sexual_content" for r in changed)
