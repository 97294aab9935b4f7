"""Export: a target behavior spec turned into eval cases and the files of eval tools.

    spec ──▶ cases (build_cases) ──▶ exporter.render ──▶ files (write_export)

Nothing here imports an evaluation tool: the exporters write text, and the files they
copy to run inside a tool (``runtime/``) are never imported by policykit.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from policykit.export.cases import (
    CASES_VERSION,
    CaseOptions,
    CaseSet,
    EvalCase,
    build_cases,
    cases_json_schema,
    cases_jsonl,
)
from policykit.export.registry import (
    ENTRY_POINT_GROUP,
    builtin_exporters,
    exporter_names,
    get_exporter,
    write_export,
)
from policykit.export.types import Exporter, ExportError
from policykit.spec.artifact import SPEC_VERSION, TargetBehaviorSpec
from policykit.spec.query import SpecFormatError


@dataclass(frozen=True, slots=True)
class ExportResult:
    format: str
    cases: int
    files: tuple[Path, ...]
    run_command: str | None
    """How to run the export in its tool (None for the native cases)."""


def load_spec(path: str | os.PathLike[str]) -> TargetBehaviorSpec:
    """The spec at ``path`` as a validated TargetBehaviorSpec; SpecFormatError when it
    is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecFormatError(f"{os.fspath(path)} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("apiVersion") != SPEC_VERSION:
        found = data.get("apiVersion") if isinstance(data, dict) else None
        raise SpecFormatError(
            f"{os.fspath(path)} is not a {SPEC_VERSION} spec (apiVersion is {found!r})"
        )
    try:
        spec = TargetBehaviorSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SpecFormatError(
            f"{os.fspath(path)} is not a valid {data.get('apiVersion')} spec: at {where}: "
            f"{first['msg']} ({exc.error_count()} problem{'s' * (exc.error_count() != 1)})"
        ) from None
    for b in spec.behaviors:
        for i, cell in enumerate(b.cells):
            if not set(cell.intended) == set(cell.bounds) == set(b.outcomes):
                raise SpecFormatError(
                    f"{os.fspath(path)} is not a valid {SPEC_VERSION} spec: at behaviors."
                    f"{b.id}.cells.{i}: intended and bounds must name exactly the outcomes"
                )
    return spec


def export(case_set: CaseSet, fmt: str, out_dir: str | os.PathLike[str]) -> ExportResult:
    """Render ``case_set`` with the exporter ``fmt`` and write its files under
    ``out_dir`` (each atomically)."""
    exporter = get_exporter(fmt)
    files = exporter.render(case_set)
    written = write_export(files, out_dir)
    return ExportResult(
        format=fmt,
        cases=len(case_set.cases),
        files=tuple(written),
        run_command=exporter.run_command(case_set, os.fspath(out_dir)),
    )


__all__ = [
    "CASES_VERSION",
    "ENTRY_POINT_GROUP",
    "CaseOptions",
    "CaseSet",
    "EvalCase",
    "ExportError",
    "ExportResult",
    "Exporter",
    "build_cases",
    "builtin_exporters",
    "cases_json_schema",
    "cases_jsonl",
    "export",
    "exporter_names",
    "get_exporter",
    "load_spec",
    "write_export",
]
