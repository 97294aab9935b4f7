"""``jsonl``: the native cases, one JSON object a line (schema: cases.schema.json)."""

from __future__ import annotations

from collections.abc import Mapping

from policykit.export.cases import CaseSet, cases_jsonl

DESCRIPTION = "policykit's own eval cases as JSON Lines (cases.jsonl)"


def render(case_set: CaseSet) -> Mapping[str, str]:
    return {"cases.jsonl": cases_jsonl(case_set)}


def run_command(case_set: CaseSet, out_dir: str) -> str | None:
    return None
