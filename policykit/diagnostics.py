"""Diagnostics: every finding policykit reports is one of these values.

A diagnostic is data, never an exception: each stage collects them and the caller decides
pass or fail at the end. Codes are stable and documented in :mod:`policykit.codes`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from policykit.util.frozen import direct_init


class Severity(enum.StrEnum):
    """How bad a finding is; the order is error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


@direct_init
@dataclass(frozen=True, slots=True)
class Related:
    """Another place a diagnostic points at: the other side of a conflict."""

    message: str
    file: str
    line: int
    column: int


Row = tuple[
    str,
    str,
    str,
    str,
    int,
    int,
    str,
    str,
    tuple[tuple[str, str, int, int], ...],
    str,
    tuple[str, ...],
    tuple[tuple[str, str], ...],
]
"""A diagnostic as builtins (see :meth:`Diagnostic.to_row`)."""

_SEVERITY = {s.value: s for s in Severity}


@direct_init
@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, with the place it was found.

    ``file`` is the path as the user would type it (relative to the working directory
    where possible); ``line`` and ``column`` are 1-based, 0 when a finding concerns a
    whole file. ``path`` is the key path inside the document (``rules[2].target``).
    """

    code: str
    severity: Severity
    message: str
    file: str
    line: int = 0
    column: int = 0
    path: str = ""
    hint: str = ""
    related: tuple[Related, ...] = ()
    behavior: str = ""
    stakeholders: tuple[str, ...] = field(default=())
    witness: tuple[tuple[str, str], ...] = ()
    """For conflicts: one concrete context (dimension, value) where both sides apply."""

    @property
    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.code, self.message)

    def to_row(self) -> Row:
        """The diagnostic as builtins only, for handing it to another process: those
        pickle and unpickle several times faster than the dataclasses."""
        return (
            self.code,
            self.severity.value,
            self.message,
            self.file,
            self.line,
            self.column,
            self.path,
            self.hint,
            tuple((r.message, r.file, r.line, r.column) for r in self.related),
            self.behavior,
            self.stakeholders,
            self.witness,
        )

    @classmethod
    def from_row(cls, row: Row) -> Diagnostic:
        """The diagnostic :meth:`to_row` gave ``row`` for."""
        (code, severity, message, file, line, column, path, hint, related, *_) = row
        return cls(
            code,
            _SEVERITY[severity],
            message,
            file,
            line,
            column,
            path,
            hint,
            tuple(Related(*r) for r in related),
            row[9],
            row[10],
            row[11],
        )

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "hint": self.hint,
            "behavior": self.behavior,
            "stakeholders": list(self.stakeholders),
            "witness": dict(self.witness),
            "related": [
                {"message": r.message, "file": r.file, "line": r.line, "column": r.column}
                for r in self.related
            ],
        }


class PolicykitError(Exception):
    """A stage cannot go on; carries the diagnostics that explain why."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("; ".join(f"{d.location}: {d.message}" for d in self.diagnostics))


def has_errors(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    """Whether these findings fail a check (warnings too, when ``strict``)."""
    floor = Severity.WARNING.rank if strict else Severity.ERROR.rank
    return any(d.severity.rank >= floor for d in diagnostics)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Diagnostics in a stable order (file, position, code), duplicates removed."""
    return tuple(sorted(set(diagnostics), key=Diagnostic.sort_key))
