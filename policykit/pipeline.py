"""The pipeline: load → bind → analyze (validate) → resolve → build the spec (compile).

The library's entry points: what the CLI calls, and what Python users call. Compiling
imports resolution only when it runs, so validating never pays for it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from policykit.codes import PK114, diag
from policykit.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from policykit.load.project import find_project_file, load_sources
from policykit.load.reader import FAST_YAML, Limits
from policykit.schema.workspace import Workspace, bind
from policykit.util.text import suggest
from policykit.util.tuning import Tuning, bulk

if TYPE_CHECKING:
    from policykit.analyze.accept import Accepted
    from policykit.graph.objective import ObjectiveGraph
    from policykit.resolve.explain import Explanation
    from policykit.resolve.resolver import Resolution
    from policykit.spec.artifact import TargetBehaviorSpec


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    """What `validate` should do; travels down explicitly, never through globals."""

    limits: Limits = field(default_factory=Limits)
    analyze: bool = True
    """Run the conflict analysis after the files check clean."""
    tuning: Tuning = field(default_factory=Tuning)
    """Speed tricks the library may use (none by default; the command line uses all)."""
    tests: bool = False
    """Check the test files the project lists too (reading, schema, references): what
    ``validate`` does; compiling leaves them to ``policykit test``."""


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
    accepted: tuple[Accepted, ...] = ()
    """Findings the project accepts (``accept``), kept out of ``diagnostics``."""


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
                PK114,
                "PyYAML has no libyaml here; loading falls back to the slow pure-Python parser",
                str(find_project_file(path)),
            )
        )
    sources, diags = load_sources(path, options.limits, fork=options.tuning.fork)
    found.extend(diags)
    workspace = None
    files_read = 0
    dropped: frozenset[str] = frozenset()
    accepted: tuple[Accepted, ...] = ()
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
        if workspace.project.accept:
            from policykit.analyze.accept import apply_acceptances

            kept, accepted = apply_acceptances(workspace, found)
            found = list(kept)
    if workspace is not None and options.tests and workspace.project.tests:
        from policykit.testing import check_listed

        problems, read = check_listed(path, workspace, options.limits)
        found.extend(problems)
        files_read += read
    return ValidationResult(workspace, sort_diagnostics(found), files_read, dropped, accepted)


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
    accepted: tuple[Accepted, ...] = ()
    """Findings the project accepts, kept out of ``diagnostics``."""


def compile_project(
    path: str | os.PathLike[str], options: CompileOptions | None = None
) -> CompileResult:
    """Validate, analyse and resolve the project at ``path`` into a spec."""
    from policykit.graph.objective import ObjectiveGraph
    from policykit.resolve.resolver import resolve
    from policykit.spec.artifact import build_spec

    options = options or CompileOptions()
    result = validate_project(path, ValidateOptions(limits=options.limits, tuning=options.tuning))
    if result.workspace is None or has_errors(result.diagnostics):
        return CompileResult(None, result.diagnostics)
    # resolution and the spec allocate an object per cell and free almost none: the
    # collector's worst case, as in validation (see util.tuning.bulk)
    with bulk() if options.tuning.pause_gc else nullcontext():
        graph = ObjectiveGraph(result.workspace)
        resolution = resolve(graph, result.dropped)
        diagnostics = sort_diagnostics([*result.diagnostics, *resolution.diagnostics])
        if has_errors(resolution.diagnostics):
            return CompileResult(
                None, diagnostics, graph, resolution, result.dropped, result.accepted
            )
        spec = build_spec(graph, resolution)
    return CompileResult(spec, diagnostics, graph, resolution, result.dropped, result.accepted)


@dataclass(frozen=True, slots=True)
class ExplainResult:
    """One cell explained as far as the project lets it be resolved."""

    explanation: Explanation | None
    """None when the files themselves have errors, so no rule can be resolved."""
    errors: tuple[Diagnostic, ...]
    """The errors that touch the cell: on the behavior, in a context that may be the
    cell's, or on the files when nothing could be resolved."""
    excluded: frozenset[str] = frozenset()
    """Rules in error, left out so that the rest of the cell could be resolved."""


def explain_project(
    path: str | os.PathLike[str],
    behavior: str,
    context: Mapping[str, str],
    options: CompileOptions | None = None,
) -> ExplainResult:
    """Why ``behavior`` resolves as it does in ``context``, for a project with errors
    too: rules that an error points at are left out (and named), the rest resolved."""
    from policykit.analyze.accept import RuleIndex
    from policykit.graph.objective import ObjectiveGraph
    from policykit.resolve.explain import ExplainError, explain_cell
    from policykit.resolve.resolver import resolve

    options = options or CompileOptions()
    result = validate_project(path, ValidateOptions(limits=options.limits, tuning=options.tuning))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.workspace is None:
        return ExplainResult(None, tuple(errors))
    if behavior not in result.workspace.behaviors:
        raise ExplainError(
            f"unknown behavior {behavior!r}"
            + (f"; {hint}" if (hint := suggest(behavior, result.workspace.behaviors)) else ""),
            "behavior",
        )
    index = RuleIndex(result.workspace)
    graph = ObjectiveGraph(result.workspace)
    on_behavior = {r.id for r in graph.rules_for(behavior)}
    excluded: dict[str, str] = {}
    for d in errors:
        rule = index.rule_at(d)
        if rule is not None:
            excluded.setdefault(rule, f"{d.code}: {d.message}")
    resolution = resolve(graph, result.dropped | frozenset(excluded))
    errors += [d for d in resolution.diagnostics if d.severity is Severity.ERROR]
    if not any(b.cells for b in resolution.behaviors if b.behavior == behavior):
        # resolution refused the behavior (too many cells, PK216/PK218): nothing to explain
        on_it = [d for d in errors if d.behavior == behavior]
        return ExplainResult(None, tuple(sort_diagnostics(on_it or errors)))
    explanation = explain_cell(graph, resolution, behavior, context, excluded)
    cell = dict(explanation.context)
    # an error touches the cell when it is about a rule whose scope covers the cell;
    # one about no rule, when it is on the behavior and its witness may be the cell
    here = {r.rule for r in explanation.rules if r.status != "out of scope"}
    touching = tuple(
        d
        for d in sort_diagnostics(errors)
        if (rules := index.rules_of(d)) & here
        or (not rules and d.behavior == behavior and all(cell.get(k, v) == v for k, v in d.witness))
    )
    return ExplainResult(explanation, touching, frozenset(excluded) & on_behavior)
