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

from policykit.schema.models import Catalog, Policy, Project

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "project": Project,
    "catalog": Catalog,
    "policy": Policy,
}
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one file kind."""
    model = SCHEMA_MODELS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"policykit/v1 {model.__name__}",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_file_name(kind: str) -> str:
    return f"{kind}.schema.json"
