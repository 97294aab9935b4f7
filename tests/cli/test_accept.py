"""Gating CI: accepted findings, --severity, --format short, a quiet compile, and
explain on a project with errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policykit.cli import main
from tests.minimal import FILES, POLICY, PROJECT, write_tree

TENSION_USER = """\
apiVersion: policykit/v1
kind: Policy
metadata: {name: usr}
rules:
  - {id: usr-swear, behavior: profanity, target: {refuse: 0.05, comply: 0.95}}
"""
TENSION_DEP = (
    POLICY + "  - {id: dep-clean, behavior: profanity, target: {refuse: 0.95, comply: 0.05}}\n"
)
WITH_USER = PROJECT + "  - {path: user.yaml, stakeholder: user}\n"
ACCEPT = "accept:\n  - {code: PK410, rule: usr-swear, reason: The user's taste is noted.}\n"


def _project(root: Path, extra: str = "") -> Path:
    return write_tree(
        root,
        {
            **FILES,
            "policykit.yaml": WITH_USER + extra,
            "deployer.yaml": TENSION_DEP,
            "user.yaml": TENSION_USER,
        },
    )


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_strict_fails_on_a_warning_until_it_is_accepted(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(here)
    assert main(["validate", "--strict", "."]) == 1
    assert "warning[PK410]" in capsys.readouterr().out
    _project(here, ACCEPT)
    assert main(["validate", "--strict", "."]) == 0
    out = capsys.readouterr().out
    assert "accepted[PK410]: user rule 'usr-swear'" in out
    assert "= accepted at policykit.yaml:13:5: The user's taste is noted." in out
    assert out.endswith("ok: 0 errors, 0 warnings, 0 infos, 1 accepted in 4 files\n")


def test_an_acceptance_needs_a_reason(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(here, "accept:\n  - {code: PK410, rule: usr-swear}\n")
    assert main(["validate", "--format", "short", "."]) == 1
    assert "error[PK202] missing field 'reason' in accept[0]" in capsys.readouterr().out


def test_an_acceptance_that_matches_nothing_is_a_warning(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(here, ACCEPT.replace("usr-swear", "usr-nothing"))
    assert main(["validate", "--strict", "--format", "short", "."]) == 1
    out = capsys.readouterr().out
    assert (
        "policykit.yaml:13:5: warning[PK415] acceptance of PK410 about rule 'usr-nothing' "
        "matches no finding\n"
    ) in out


def test_errors_cannot_be_accepted(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same_rank = POLICY.replace(
        "forbid: comply",
        "forbid: comply\n  - {id: dep-swear, behavior: profanity, require: comply}",
    )
    accept = "accept:\n  - {code: PK401, rule: dep-swear, reason: We like it.}\n"
    write_tree(here, {**FILES, "policykit.yaml": PROJECT + accept, "deployer.yaml": same_rank})
    assert main(["validate", "--format", "short", "."]) == 1
    out = capsys.readouterr().out
    assert "error[PK401]" in out and "accepted[" not in out
    assert (
        "warning[PK415] acceptance of PK401 about rule 'dep-swear' matches only errors, "
        "which cannot be accepted"
    ) in out


def test_severity_filters_what_is_shown_not_what_is_counted(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(here)
    assert main(["validate", "--severity", "error", "."]) == 0
    out = capsys.readouterr().out
    assert "PK410" not in out
    assert out.endswith(
        "ok: 0 errors, 1 warning, 0 infos in 4 files; by stakeholders: deployer vs user 1\n"
    )
    assert main(["validate", "--severity", "error", "--format", "json", "."]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["diagnostics"] == [] and doc["summary"]["warnings"] == 1


def test_short_format_is_one_line_per_finding(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(here)
    assert main(["validate", "--format", "short", "."]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("user.yaml:5:5: warning[PK410] user rule 'usr-swear'")
    assert (
        lines[1]
        == "ok: 0 errors, 1 warning, 0 infos in 4 files; by stakeholders: deployer vs user 1"
    )


def test_accepted_findings_in_json_and_sarif(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(here, ACCEPT)
    main(["validate", "--format", "json", "."])
    doc = json.loads(capsys.readouterr().out)
    (accepted,) = doc["accepted"]
    assert (accepted["code"], accepted["reason"]) == ("PK410", "The user's taste is noted.")
    assert doc["summary"]["accepted"] == 1 and doc["diagnostics"] == []
    main(["validate", "--format", "sarif", "."])
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert result["suppressions"] == [
        {"kind": "external", "justification": "The user's taste is noted."}
    ]


def test_compile_counts_warnings_instead_of_repeating_them(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(here)
    assert main(["compile", ".", "-o", "spec.json"]) == 0
    err = capsys.readouterr().err
    assert "PK410" not in err
    assert "1 warning (policykit validate . shows them; so does compile --warnings)" in err
    assert main(["compile", ".", "-o", "spec.json", "--warnings"]) == 0
    assert "warning[PK410]" in capsys.readouterr().err


def test_explain_works_on_a_project_with_errors(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same_rank = POLICY.replace(
        "forbid: comply",
        "forbid: comply\n  - {id: dep-swear, behavior: profanity, require: comply}",
    )
    write_tree(here, {**FILES, "deployer.yaml": same_rank})
    assert main(["validate", "."]) == 1
    capsys.readouterr()
    args = ["explain", ".", "--behavior", "profanity", "--context", "audience=minor"]
    assert main([*args, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    statuses = {r["rule"]: r["status"] for r in doc["rules"]}
    assert "excluded" in statuses.values()
    assert [e["code"] for e in doc["errors"]] == ["PK401"]
    assert doc["intended"] and abs(sum(doc["intended"].values()) - 1) < 1e-9
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "1 error touches this cell" in out
    assert "error[PK401]" in out
