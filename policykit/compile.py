"""Compiling a project into its target behavior spec."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from policykit.api import ValidateOptions, validate_project
from policykit.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from policykit.graph.objective import ObjectiveGraph
from policykit.load.reader import Limits
from policykit.resolve.resolver import Resolution, resolve
from policykit.spec.artifact import TargetBehaviorSpec, build_spec

_RULE_PATH = re.compile(r"^rules\[(\d+)\]")
VIOLATIONS = frozenset({"PK404", "PK405"})


@dataclass(frozen=True, slots=True)
class CompileOptions:
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True, slots=True)
class CompileResult:
    """The spec, or None when errors stopped compilation; and every diagnostic."""

    spec: TargetBehaviorSpec | None
    diagnostics: tuple[Diagnostic, ...]
    graph: ObjectiveGraph | None = None
    resolution: Resolution | None = None


def dropped_rules(graph: ObjectiveGraph, diagnostics: tuple[Diagnostic, ...]) -> set[str]:
    """The rules the analysis found violating a permission and dropped (warnings under
    on_violation: drop; as errors they stop compilation before resolution)."""
    where = {(r.file, r.index): r.id for r in graph.rules}
    out = set()
    for d in diagnostics:
        match = _RULE_PATH.match(d.path)
        if d.code in VIOLATIONS and d.severity is Severity.WARNING and match:
            out.add(where[(d.file, int(match.group(1)))])
    return out


def compile_project(
    path: str | os.PathLike[str], options: CompileOptions | None = None
) -> CompileResult:
    """Validate, analyse and resolve the project at ``path`` into a spec."""
    options = options or CompileOptions()
    result = validate_project(path, ValidateOptions(limits=options.limits))
    if result.workspace is None or has_errors(result.diagnostics):
        return CompileResult(None, result.diagnostics)
    graph = ObjectiveGraph(result.workspace)
    resolution = resolve(graph, dropped_rules(graph, result.diagnostics))
    diagnostics = sort_diagnostics([*result.diagnostics, *resolution.diagnostics])
    if has_errors(resolution.diagnostics):
        return CompileResult(None, diagnostics, graph, resolution)
    return CompileResult(build_spec(graph, resolution), diagnostics, graph, resolution)
