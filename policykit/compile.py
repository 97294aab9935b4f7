"""Compiling a project into its target behavior spec."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from policykit.api import ValidateOptions, validate_project
from policykit.diagnostics import Diagnostic, has_errors, sort_diagnostics
from policykit.graph.objective import ObjectiveGraph
from policykit.load.reader import Limits
from policykit.resolve.resolver import Resolution, resolve
from policykit.spec.artifact import TargetBehaviorSpec, build_spec
from policykit.util.tuning import Tuning


@dataclass(frozen=True, slots=True)
class CompileOptions:
    limits: Limits = field(default_factory=Limits)
    tuning: Tuning = field(default_factory=Tuning)
    """Speed tricks the library may use (none by default; the command line uses all)."""


@dataclass(frozen=True, slots=True)
class CompileResult:
    """The spec, or None when errors stopped compilation; and every diagnostic."""

    spec: TargetBehaviorSpec | None
    diagnostics: tuple[Diagnostic, ...]
    graph: ObjectiveGraph | None = None
    resolution: Resolution | None = None
    dropped: frozenset[str] = frozenset()
    """The rules left out of resolution for violating a permission (``on_violation:
    drop``)."""


def compile_project(
    path: str | os.PathLike[str], options: CompileOptions | None = None
) -> CompileResult:
    """Validate, analyse and resolve the project at ``path`` into a spec."""
    options = options or CompileOptions()
    result = validate_project(path, ValidateOptions(limits=options.limits, tuning=options.tuning))
    if result.workspace is None or has_errors(result.diagnostics):
        return CompileResult(None, result.diagnostics)
    graph = ObjectiveGraph(result.workspace)
    resolution = resolve(graph, result.dropped)
    diagnostics = sort_diagnostics([*result.diagnostics, *resolution.diagnostics])
    if has_errors(resolution.diagnostics):
        return CompileResult(None, diagnostics, graph, resolution, result.dropped)
    spec = build_spec(graph, resolution)
    return CompileResult(spec, diagnostics, graph, resolution, result.dropped)
