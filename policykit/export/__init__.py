"""Export: a target behavior spec turned into eval cases and the files of eval tools.

    spec ──▶ cases (build_cases) ──▶ exporter.render ──▶ files (write_export)

Nothing here imports an evaluation tool: the exporters write text, and the files they
copy to run inside a tool (``runtime/``) are never imported by policykit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
from policykit.spec.reader import read_spec

load_spec = read_spec
"""The spec reader, under the name export used before there was one."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    format: str
    cases: int
    files: tuple[Path, ...]
    run_command: str | None
    """How to run the export in its tool (None for the native cases)."""


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
