"""The compiled artifact: schema, determinism, query, diff, and the CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from policykit.cli import main
from policykit.pipeline import compile_project
from policykit.spec.artifact import dumps, spec_json_schema
from policykit.spec.diff import diff_specs
from policykit.spec.query import QueryError, Spec

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "examples" / "health_assistant"
CREATIVE = ROOT / "examples" / "creative_writing"


@pytest.fixture(scope="module")
def health_spec_text() -> str:
    result = compile_project(HEALTH)
    assert result.spec is not None
    return dumps(result.spec)


def test_committed_spec_schema_matches_the_model() -> None:
    committed = json.loads((ROOT / "policykit/schemas/spec.schema.json").read_text())
    assert committed == spec_json_schema(), (
        "regenerate with: policykit schema --write policykit/schemas"
    )


@pytest.mark.parametrize("example", [HEALTH, CREATIVE], ids=lambda p: p.name)
def test_real_output_validates_against_the_committed_schema(example: Path) -> None:
    result = compile_project(example)
    assert result.spec is not None
    schema = json.loads((ROOT / "policykit/schemas/spec.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(dumps(result.spec)))


def test_compiling_twice_gives_identical_bytes(health_spec_text: str) -> None:
    again = compile_project(HEALTH)
    assert again.spec is not None
    assert dumps(again.spec) == health_spec_text


def test_spec_records_version_and_inputs_hash(health_spec_text: str) -> None:
    data = json.loads(health_spec_text)
    assert data["apiVersion"] == "policykit.spec/v1"
    assert data["policykit_version"]
    assert data["inputs_hash"].startswith("sha256:") and len(data["inputs_hash"]) == 71


def test_query_answers_with_defaults_for_missing_dimensions(health_spec_text: str) -> None:
    spec = Spec(json.loads(health_spec_text))
    # patients (the default role) get general ranges, never a specific dose
    p = spec.intended({}, "dosage_information")
    assert p["specific_dose"] == 0.0
    assert sum(p.values()) == pytest.approx(1.0)
    clinician = spec.intended({"role": "clinician"}, "dosage_information")
    assert clinician["specific_dose"] > 0
    everything = spec.intended({"audience": "minor"})
    assert set(everything) == set(spec.behaviors)


@pytest.mark.parametrize(
    ("context", "behavior", "message"),
    [
        ({"audiense": "minor"}, "tone", "unknown dimension 'audiense' (did you mean 'audience'?)"),
        (
            {"audience": "minr"},
            "tone",
            "unknown value 'minr' of dimension 'audience' (did you mean 'minor'?)",
        ),
        ({}, "tonne", "unknown behavior 'tonne' (did you mean 'tone'?)"),
        ({"audiense": "minor"}, None, "unknown dimension 'audiense' (did you mean 'audience'?)"),
    ],
)
def test_query_errors_are_clear(
    health_spec_text: str, context: dict[str, str], behavior: str | None, message: str
) -> None:
    spec = Spec(json.loads(health_spec_text))
    with pytest.raises(QueryError) as info:
        spec.intended(context, behavior)
    assert str(info.value).startswith(message)


def test_diff_of_a_spec_with_itself_is_empty(health_spec_text: str) -> None:
    spec = Spec(json.loads(health_spec_text))
    assert diff_specs(spec, spec) == []


def test_diff_finds_a_changed_target_and_sorts_by_size(tmp_path: Path) -> None:
    project = tmp_path / "health"
    import shutil

    shutil.copytree(HEALTH, project)
    old = compile_project(project)
    deployer = project / "policies" / "deployer.yaml"
    text = deployer.read_text()
    assert "target: {concise: 0.9, thorough: 0.1}" in text
    deployer.write_text(
        text.replace(
            "target: {concise: 0.9, thorough: 0.1}", "target: {concise: 0.2, thorough: 0.8}"
        )
    )
    new = compile_project(project)
    assert old.spec is not None and new.spec is not None
    changes = diff_specs(
        Spec(old.spec.model_dump(mode="json")), Spec(new.spec.model_dump(mode="json"))
    )
    assert changes and {c.behavior for c in changes} == {"conciseness"}
    assert [c.distance for c in changes] == sorted((c.distance for c in changes), reverse=True)


def test_cli_compile_query_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "spec.json"
    assert main(["compile", str(HEALTH), "-o", str(out)]) == 0
    assert "compiled: 35 behaviors" in capsys.readouterr().err
    assert (
        main(
            [
                "query",
                str(out),
                "--context",
                "role=clinician",
                "--behavior",
                "dosage_information",
                "--format",
                "json",
            ]
        )
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["context"]["role"] == "clinician"
    assert answer["intended"]["dosage_information"]["specific_dose"] > 0
    assert main(["query", str(out), "--context", "role"]) == 2
    assert "is not DIMENSION=VALUE" in capsys.readouterr().err
    assert main(["diff", str(out), str(out), "--exit-code"]) == 0
    other = tmp_path / "other.json"
    assert main(["compile", str(CREATIVE), "-o", str(other)]) == 0
    capsys.readouterr()
    assert main(["diff", str(out), str(other), "--exit-code", "--format", "json"]) == 1
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert changes[0]["total_variation"] >= changes[-1]["total_variation"]


def test_a_failed_compile_leaves_the_previous_spec_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    project = tmp_path / "health"
    shutil.copytree(HEALTH, project)
    out = tmp_path / "spec.json"
    assert main(["compile", str(project), "-o", str(out)]) == 0
    before = out.read_bytes()
    deployer = project / "policies" / "deployer.yaml"
    deployer.write_text(
        deployer.read_text().replace(
            "behavior: dosage_information", "behavior: dosage_informaton", 1
        )
    )
    assert main(["compile", str(project), "-o", str(out)]) == 1
    assert "PK207" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".spec")] == []


def test_explain_names_rules_bounds_targets_and_costs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(
            [
                "explain",
                str(HEALTH),
                "--behavior",
                "dosage_information",
                "--context",
                "role=patient",
                "--format",
                "json",
            ]
        )
        == 0
    )
    e = json.loads(capsys.readouterr().out)
    statuses = {r["rule"]: r["status"] for r in e["rules"]}
    assert statuses["usr-exact-doses"] == "dropped"
    assert statuses["dep-patient-no-specific-dose"] == "applied"
    assert statuses["dep-clinician-specific-dosing"] == "out of scope"
    assert e["bounds"]["specific_dose"] == [0.0, 0.0]
    assert e["intended"]["specific_dose"] == 0.0
    assert all(":" in r["location"] for r in e["rules"])
    assert main(["explain", str(HEALTH), "--behavior", "dosage_informaton"]) == 2
    assert "did you mean 'dosage_information'" in capsys.readouterr().err
