"""JSON Schemas of the authored file kinds, for editors and for review.

The committed copies under ``policykit/schemas/`` are what example files point their
``# yaml-language-server: $schema=`` line at; a test fails when they drift from the
models (regenerate with ``python -m policykit schema --write policykit/schemas``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from policykit.schema.models import Catalog, Policy, Project
from policykit.schema.testfile import TestFile

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "project": Project,
    "catalog": Catalog,
    "policy": Policy,
    "test": TestFile,
}
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def model_schema(model: type[BaseModel], title: str, mode: JsonSchemaMode) -> dict[str, Any]:
    """A model's JSON Schema (draft 2020-12) under ``title``: the envelope of every
    schema policykit commits (file kinds, the spec, eval cases, results)."""
    schema = model.model_json_schema(by_alias=True, mode=mode)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        **{k: v for k, v in schema.items() if k != "title"},
    }


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one file kind."""
    model = SCHEMA_MODELS[kind]
    return model_schema(model, f"policykit/v1 {model.__name__}", "validation")


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_file_name(kind: str) -> str:
    return f"{kind}.schema.json"
