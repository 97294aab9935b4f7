"""The exporter plugin interface and the registry of exporters.

An exporter turns a :class:`~policykit.export.cases.CaseSet` into the files one
evaluation tool reads, as a mapping from relative path to text; writing them is the
caller's job, so an exporter never touches the disk and its output is easy to test.
Built-in exporters are modules that satisfy :class:`Exporter` (pre-commit's
``Language`` protocol and ``all_languages``); third parties add theirs under the
``policykit.exporters`` entry-point group, each entry point naming an object (a module,
a class instance) that satisfies the protocol.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Protocol, cast, runtime_checkable

from policykit.codes import PK501
from policykit.errors import UserError
from policykit.export.cases import CaseSet
from policykit.util.plugins import find_plugin, plugin_names

ENTRY_POINT_GROUP = "policykit.exporters"


@runtime_checkable
class Exporter(Protocol):
    DESCRIPTION: str
    """One line for ``policykit export --help``."""

    def render(self, case_set: CaseSet) -> Mapping[str, str]:
        """The files to write: relative POSIX path -> text. Same cases, same bytes."""
        ...

    def run_command(self, case_set: CaseSet, out_dir: str) -> str | None:
        """The shell command that runs the export in its tool (None: there is no tool),
        for messages and docs."""
        ...


class ExportError(UserError, ValueError):
    """An exporter that does not exist, cannot be loaded, or returned unsafe paths."""

    code = PK501


def builtin_exporters() -> dict[str, Exporter]:
    from policykit.export import inspect_task, jsonl, lm_eval, openai_evals, promptfoo

    builtins: dict[str, Exporter] = {
        "jsonl": jsonl,
        "inspect": inspect_task,
        "lm-eval": lm_eval,
        "promptfoo": promptfoo,
        "openai-evals": openai_evals,
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
