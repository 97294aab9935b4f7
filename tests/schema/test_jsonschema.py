from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from policykit.load.reader import YMap, YSeq, read_file
from policykit.schema.jsonschema import (
    SCHEMA_DIR,
    SCHEMA_MODELS,
    dumps,
    json_schema,
    schema_file_name,
)

REPO = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate with: policykit schema --write policykit/schemas (or make schemas)"
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def yaml_files() -> list[Path]:
    return sorted(p for folder in ("examples", "policies") for p in (REPO / folder).rglob("*.yaml"))


def plain(value: Any) -> Any:
    """YMap/YSeq as the dicts and lists a JSON Schema validator expects."""
    if isinstance(value, YMap):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, YSeq):
        return [plain(v) for v in value]
    return value


def committed(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (SCHEMA_DIR / schema_file_name(kind)).read_text(encoding="utf-8")
    )
    return schema


@pytest.mark.parametrize("kind", sorted(SCHEMA_MODELS))
def test_committed_schema_matches_the_models(kind: str) -> None:
    path = SCHEMA_DIR / schema_file_name(kind)
    assert path.is_file(), f"{path} is missing; {REGENERATE}"
    assert path.read_text(encoding="utf-8") == dumps(json_schema(kind)), (
        f"{path.name} differs from the {SCHEMA_MODELS[kind].__name__} model; {REGENERATE}"
    )


@pytest.mark.parametrize("kind", sorted(SCHEMA_MODELS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    schema = committed(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == f"policykit/v1 {SCHEMA_MODELS[kind].__name__}"


def test_schema_carries_field_docstrings() -> None:
    rule = committed("policy")["$defs"]["Rule"]["properties"]
    assert rule["weight"]["description"] == "Soft rules only: how strongly, in (0, 1]."


def test_schema_rejects_what_the_models_reject() -> None:
    validator = Draft202012Validator(committed("policy"))
    good = {
        "apiVersion": "policykit/v1",
        "kind": "Policy",
        "metadata": {"name": "p"},
        "rules": [{"id": "r", "behavior": "b", "prefer": "x", "weight": 0.5}],
    }
    assert list(validator.iter_errors(good)) == []
    bad = {**good, "rules": [{"id": "r", "behavior": "b", "prefer": "x", "weight": 1.5}]}
    assert [e.message for e in validator.iter_errors(bad)] == [
        "1.5 is greater than the maximum of 1.0"
    ]
    extra = {**good, "rulez": []}
    assert [e.validator for e in validator.iter_errors(extra)] == ["additionalProperties"]


def test_there_are_files_to_check() -> None:
    # the examples are part of the repository; the check below must not pass vacuously
    assert any(p.is_relative_to(REPO / "examples") for p in yaml_files())


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_yaml_file_validates_against_its_schema(path: Path) -> None:
    doc = read_file(path)
    kind = doc.data.get("kind")
    assert isinstance(kind, str) and kind.lower() in SCHEMA_MODELS, f"unknown kind {kind!r}"
    first = doc.text.splitlines()[0]
    match = SCHEMA_LINE.match(first)
    assert match, f"first line should be '# yaml-language-server: $schema=...', got {first!r}"
    schema_path = (path.parent / match.group(1)).resolve()
    assert schema_path.is_file(), f"{match.group(1)} does not exist"
    assert schema_path.name == schema_file_name(kind.lower())
    validator = Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(plain(doc.data))
    ]
    assert errors == []
