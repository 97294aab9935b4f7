"""The registry of exporters (pre-commit's ``all_languages``), and writing their files.

Built-in exporters are modules that satisfy
:class:`~policykit.export.types.Exporter`; third parties add theirs under the
``policykit.exporters`` entry-point group, each entry point naming an object (a module,
a class instance) that satisfies the protocol. The exporters import only
:mod:`policykit.export.types`, never this module, so there is no import cycle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import cast

from policykit.export import (
    inspect_task,
    jsonl,
    lm_eval,
    openai_evals,
    openai_evals_api,
    promptfoo,
)
from policykit.export.types import Exporter, ExportError
from policykit.util.plugins import find_plugin, plugin_names

ENTRY_POINT_GROUP = "policykit.exporters"


def builtin_exporters() -> dict[str, Exporter]:
    builtins: dict[str, Exporter] = {
        "jsonl": jsonl,
        "inspect": inspect_task,
        "lm-eval": lm_eval,
        "promptfoo": promptfoo,
        "openai-evals": openai_evals,
        "openai-evals-api": openai_evals_api,
    }
    return builtins


def exporter_names() -> list[str]:
    """Built-in names first, then plugins' names, sorted; a plugin never shadows a
    built-in."""
    return plugin_names(builtin_exporters(), ENTRY_POINT_GROUP)


def get_exporter(name: str) -> Exporter:
    found = find_plugin(
        name,
        builtin_exporters(),
        ENTRY_POINT_GROUP,
        kind="export format",
        plural="formats",
        valid=lambda x: isinstance(x, Exporter),
        invalid="lacks DESCRIPTION, render or run_command",
        error=ExportError,
    )
    return cast(Exporter, found)


def safe_relative(path: str) -> PurePosixPath:
    """``path`` if it stays inside the output folder, else ExportError."""
    pure = PurePosixPath(path)
    if (
        not path
        or pure.is_absolute()
        or "\\" in path
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise ExportError(f"exporter returned an unsafe path {path!r}")
    return pure


def write_export(files: Mapping[str, str], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``files`` under ``out_dir``, each atomically; returns the paths written."""
    from policykit.util.output import write_atomic

    root = Path(out_dir)
    checked = [(safe_relative(name), text) for name, text in sorted(files.items())]
    written = []
    for rel, text in checked:
        target = root.joinpath(*rel.parts)
        write_atomic(target, text, root=root)
        written.append(target)
    return written
