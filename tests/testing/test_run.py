"""``policykit test``: assertions over scopes, failures that say where and what, JUnit
XML, coverage, and clear errors for bad test files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from policykit.cli import main
from policykit.testing import run_tests
from tests.minimal import FILES, POLICY, PROJECT, write_tree

TESTS = """\
apiVersion: policykit/v1
kind: Test
metadata: {name: mini}
tests:
  - name: minors never get swearing
    behavior: profanity
    when: {audience: minor}
    expect:
      intended: {comply: {max: 0.0}}
      bounds: {comply: {max: 0.0}}
      applies: [no-swearing-for-minors]
      wins: [no-swearing-for-minors]
  - name: adults get the default
    behavior: profanity
    when: {audience: adult}
    expect:
      intended: {comply: {min: 0.5, max: 0.5}}
"""

FAILING = """\
apiVersion: policykit/v1
kind: Test
metadata: {name: failing}
tests:
  - name: everyone gets swearing
    behavior: profanity
    expect:
      intended: {comply: {min: 0.4}}
"""


def _project(root: Path, tests: str = TESTS, listed: bool = True) -> Path:
    project = PROJECT + ("tests: [mini.test.yaml]\n" if listed else "")
    return write_tree(root, {**FILES, "policykit.yaml": project, "mini.test.yaml": tests})


def test_passing_tests_listed_by_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    assert main(["test", str(root)]) == 0
    out = capsys.readouterr().out
    assert "PASS minors never get swearing" in out
    assert out.endswith("2 passed, 0 failed\n")
    assert "coverage: 1 of 1 behaviors, 1 of 1 rules touched by a test" in out


def test_a_failure_names_place_context_expected_and_actual(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, FAILING)
    monkeypatch.chdir(tmp_path)
    assert main(["test", "."]) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL everyone gets swearing\n"
        "  --> mini.test.yaml:5:5\n"
        "  in audience=minor: intended comply = 0, expected at least 0.4\n"
    ) in out
    assert out.endswith("0 passed, 1 failed\n")


def test_rule_assertions_hold_in_every_context_of_the_scope(tmp_path: Path) -> None:
    tests = TESTS.replace("when: {audience: minor}", "when: {}")
    run = run_tests(_project(tmp_path, tests))
    (first, second) = run.results
    assert [f.describe() for f in first.failures] == [
        "in audience=adult: intended comply = 0.5, expected at most 0",
        "in audience=adult: upper bound of comply = 1, expected at most 0 (bounds [0, 1])",
        "in audience=adult: expected rule 'no-swearing-for-minors' to apply; applied: none",
        "in audience=adult: expected rule 'no-swearing-for-minors' to win; won: none",
    ]
    assert second.passed


def test_expected_diagnostics_are_matched_by_code_and_rule(tmp_path: Path) -> None:
    user = POLICY.replace("name: dep", "name: usr").replace("stakeholder: deployer", "")
    user = user.replace("no-swearing-for-minors", "usr-swear").replace(
        "forbid: comply", "require: comply"
    )
    project = (
        PROJECT
        + "  - {path: user.yaml, stakeholder: user, on_violation: drop}\n"
        + "tests: [mini.test.yaml]\n"
    )
    tests = """\
apiVersion: policykit/v1
kind: Test
metadata: {name: diags}
tests:
  - name: the user cannot get swearing for minors
    expect_diagnostics: [{code: PK412, rule: usr-swear}]
  - name: a wrong expectation
    expect_diagnostics: [{code: PK412, rule: no-swearing-for-minors, when: {audience: adult}}]
"""
    root = write_tree(
        tmp_path,
        {**FILES, "policykit.yaml": project, "user.yaml": user, "mini.test.yaml": tests},
    )
    good, bad = run_tests(root).results
    assert good.passed
    assert [f.describe() for f in bad.failures] == [
        "expected diagnostic PK412 about rule 'no-swearing-for-minors'; "
        "PK412 is reported about: no-swearing-for-minors, usr-swear"
    ]


def test_junit_xml_for_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, listed=False)
    write_tree(tmp_path, {"failing.test.yaml": FAILING})
    args = ["test", str(root), str(root / "mini.test.yaml"), str(tmp_path / "failing.test.yaml")]
    assert main([*args, "--format", "junit"]) == 1
    doc = ET.fromstring(capsys.readouterr().out)
    assert (doc.tag, doc.get("tests"), doc.get("failures"), doc.get("errors")) == (
        "testsuites",
        "3",
        "1",
        "0",
    )
    suites = {s.get("name"): s for s in doc}
    assert set(suites) == {"mini", "failing"}
    (case,) = suites["failing"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "in audience=minor: intended comply = 0, expected at least 0.4"
    out = tmp_path / "report.xml"
    assert main([*args, "--format", "junit", "-o", str(out)]) == 1
    assert ET.parse(out).getroot().get("failures") == "1"


def test_a_bad_reference_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, TESTS.replace("behavior: profanity", "behavior: profanty", 1))
    monkeypatch.chdir(tmp_path)
    assert main(["test", "."]) == 1
    captured = capsys.readouterr()
    assert "error[PK207]: unknown behavior 'profanty'" in captured.err
    assert "--> mini.test.yaml:6:15" in captured.err
    assert "did you mean 'profanity'?" in captured.err
    assert captured.out.endswith("1 passed, 0 failed, 1 error in the test files\n")


def test_a_malformed_test_file_is_a_schema_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(
        tmp_path,
        TESTS.replace(
            "    expect:\n      intended: {comply: {min",
            "    expct:\n      intended: {comply: {min",
        ),
    )
    monkeypatch.chdir(tmp_path)
    assert main(["test", "."]) == 1
    err = capsys.readouterr().err
    assert "error[PK201]: unknown field 'expct' in tests[1]" in err


def test_a_listed_test_file_outside_the_project_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    write_tree(root, {**FILES, "policykit.yaml": PROJECT + "tests: [../mini.test.yaml]\n"})
    write_tree(tmp_path, {"mini.test.yaml": TESTS})
    assert main(["test", str(root)]) == 1
    assert "error[PK111]: include '../mini.test.yaml' points outside" in capsys.readouterr().err


def test_no_tests_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path, FILES)
    assert main(["test", str(root)]) == 2
    assert "no tests" in capsys.readouterr().err


def test_a_project_that_does_not_compile_fails_every_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    (root / "deployer.yaml").write_text(POLICY.replace("behavior: profanity", "behavior: nope"))
    assert main(["test", str(root)]) == 1
    captured = capsys.readouterr()
    assert "the project does not compile: 1 errors" in captured.out
    assert "error[PK207]" in captured.err


@pytest.mark.parametrize("example", ["health_assistant", "creative_writing"])
def test_the_bundled_examples_ship_passing_tests(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / example
    run = run_tests(root)
    assert len(run.results) >= 5 and run.ok, [r.failures for r in run.results]


def test_validate_checks_the_listed_test_files_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, TESTS.replace("applies: [no-swearing-for-minors]", "applies: [nope]"))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--format", "short", "."]) == 1
    out = capsys.readouterr().out
    assert "mini.test.yaml:11:17: error[PK207] unknown rule 'nope'" in out
    assert out.endswith("failed: 1 error, 0 warnings, 0 infos in 4 files\n")
    # compiling leaves the test files to policykit test
    assert main(["compile", ".", "-o", "spec.json"]) == 0
    capsys.readouterr()
    (tmp_path / "policykit.yaml").write_text(PROJECT + "tests: [missing.test.yaml]\n")
    assert main(["validate", "--format", "short", "."]) == 1
    assert (
        "error[PK100] included file 'missing.test.yaml' does not exist" in capsys.readouterr().out
    )
