"""The library's entry points: what the CLI calls, and what Python users call."""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field

from policykit.codes import diag
from policykit.diagnostics import Diagnostic, has_errors, sort_diagnostics
from policykit.load.project import find_project_file, load_sources
from policykit.load.reader import FAST_YAML, Limits
from policykit.schema.workspace import Workspace, bind
from policykit.util.tuning import Tuning, bulk


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    """What `validate` should do; travels down explicitly, never through globals."""

    limits: Limits = field(default_factory=Limits)
    analyze: bool = True
    """Run the conflict analysis after the files check clean."""
    tuning: Tuning = field(default_factory=Tuning)
    """Speed tricks the library may use (none by default; the command line uses all)."""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The diagnostics of a project, and its workspace when it has no errors."""

    workspace: Workspace | None
    diagnostics: tuple[Diagnostic, ...]
    files_read: int = 0
    """How many files were read: the project file and everything it includes."""
    dropped: frozenset[str] = frozenset()
    """The rules the analysis dropped for violating a permission (``on_violation:
    drop``): resolution leaves them out."""


def validate_project(
    path: str | os.PathLike[str], options: ValidateOptions | None = None
) -> ValidationResult:
    """Load, check and analyse the project at ``path`` (a project file or its folder)."""
    options = options or ValidateOptions()
    with bulk() if options.tuning.pause_gc else nullcontext():
        return _validate(path, options)


def _validate(path: str | os.PathLike[str], options: ValidateOptions) -> ValidationResult:
    found: list[Diagnostic] = []
    if not FAST_YAML:
        found.append(
            diag(
                "PK114",
                "PyYAML has no libyaml here; loading falls back to the slow pure-Python parser",
                str(find_project_file(path)),
            )
        )
    sources, diags = load_sources(path, options.limits, fork=options.tuning.fork)
    found.extend(diags)
    workspace = None
    files_read = 0
    dropped: frozenset[str] = frozenset()
    if sources is not None:
        files_read = 1 + len(sources.catalogs) + len(sources.policies)
        workspace, diags = bind(sources)
        found.extend(diags)
    if has_errors(found):
        workspace = None
    elif workspace is not None and options.analyze:
        from policykit.analyze import analyze
        from policykit.graph.objective import ObjectiveGraph

        analysis = analyze(ObjectiveGraph(workspace), options.tuning)
        found.extend(analysis.diagnostics)
        dropped = analysis.dropped
    return ValidationResult(workspace, sort_diagnostics(found), files_read, dropped)
