"""``policykit catalog`` and the vocabulary in messages: PK207 lists the valid choices,
PK113's advice is true, and standard-library files are named std:... everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policykit.cli import main
from policykit.codes import PK113
from tests.minimal import FILES, POLICY, PROJECT, write_tree

ROOT = Path(__file__).resolve().parents[2]


def test_catalog_of_the_standard_library_without_a_project(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "  std:core/catalog.yaml\n" in out
    assert "  audience: general* | minor | adult | professional\n" in out
    assert "  ai_disclosure (honest): disclose 1  deflect 0  claim_human 0\n" in out


def test_catalog_of_a_project_and_one_behavior(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, FILES)
    monkeypatch.chdir(tmp_path)
    assert main(["catalog", ".", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dimensions"] == [
        {"id": "audience", "values": ["adult", "minor"], "default": "adult", "description": ""}
    ]
    (b,) = doc["behaviors"]
    assert (b["id"], b["default"]) == ("profanity", {"refuse": 0.5, "comply": 0.5})
    assert b["rules"] == [
        {
            "id": "no-swearing-for-minors",
            "stakeholder": "deployer",
            "directive": "forbid",
            "location": "deployer.yaml:7:5",
        }
    ]
    assert main(["catalog", ".", "--behavior", "profanity"]) == 0
    out = capsys.readouterr().out
    assert "  refuse 0.5: Declines to swear.\n" in out
    assert "  no-swearing-for-minors (deployer, forbid)  deployer.yaml:7:5\n" in out
    assert main(["catalog", ".", "--behavior", "profanty"]) == 2
    assert "did you mean 'profanity'?" in capsys.readouterr().err


def test_pk207_lists_the_choices_when_none_is_close(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {**FILES, "deployer.yaml": POLICY.replace("profanity", "zzz")})
    monkeypatch.chdir(tmp_path)
    assert main(["validate", ".", "--format", "json"]) == 1
    (d,) = json.loads(capsys.readouterr().out)["diagnostics"]
    assert (d["code"], d["message"], d["hint"]) == (
        "PK207",
        "unknown behavior 'zzz'",
        "expected one of: profanity",
    )


def test_pk113_lists_the_standard_library_and_its_advice_is_true(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = PROJECT.replace("catalogs: [catalog.yaml]", "catalogs: [std:nothing-like-it]")
    write_tree(tmp_path, {**FILES, "policykit.yaml": project})
    monkeypatch.chdir(tmp_path)
    assert main(["validate", ".", "--format", "json"]) == 1
    diags = json.loads(capsys.readouterr().out)["diagnostics"]
    (d,) = [d for d in diags if d["code"] == "PK113"]
    assert d["hint"].startswith("expected one of: std:core/catalog.yaml, ")
    # the fix the code table gives names a command that exists and lists the library
    assert "`policykit catalog`" in PK113.fix
    assert main(["catalog"]) == 0
    assert "std:developer/baseline.yaml" in capsys.readouterr().out


def test_standard_library_files_are_named_std_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = PROJECT.replace("catalogs: [catalog.yaml]", "catalogs: [std:core/catalog.yaml]")
    project += "  - {path: std:developer/baseline.yaml, stakeholder: developer}\n"
    policy = POLICY.replace("behavior: profanity", "behavior: profanity\n    when: {}").replace(
        "    when: {audience: minor}\n    forbid: comply", "    prefer: use_freely"
    )
    write_tree(tmp_path, {"policykit.yaml": project, "deployer.yaml": policy})
    monkeypatch.chdir(tmp_path)
    main(["validate", ".", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    related = [r["file"] for d in doc["diagnostics"] for r in d["related"]]
    assert related and all(f == "std:developer/baseline.yaml" for f in related)
    main(["validate", ".", "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    uris = [
        loc["physicalLocation"]["artifactLocation"]
        for res in sarif["runs"][0]["results"]
        for loc in res.get("relatedLocations", [])
    ]
    assert uris and all(u == {"uri": "std:developer/baseline.yaml"} for u in uris)
    main(["validate", "."])
    out = capsys.readouterr().out
    assert "site-packages" not in out and str(ROOT / "policies") not in out
    assert "std:developer/baseline.yaml:" in out
