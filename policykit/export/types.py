"""What an exporter is (pre-commit's ``Language`` protocol): the plugin protocol and
its error.

An exporter turns a :class:`~policykit.export.cases.CaseSet` into the files one
evaluation tool reads, as a mapping from relative path to text; writing them is the
caller's job, so an exporter never touches the disk and its output is easy to test.
The registry is :mod:`policykit.export.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from policykit.codes import PK501
from policykit.errors import UserError
from policykit.export.cases import CaseSet


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
