"""The library's entry points: what the CLI calls, and what Python users call."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from policykit.codes import diag
from policykit.diagnostics import Diagnostic, has_errors, sort_diagnostics
from policykit.load.project import find_project_file, load_sources
from policykit.load.reader import FAST_YAML, Limits
from policykit.schema.workspace import Workspace, bind


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    """What `validate` should do; travels down explicitly, never through globals."""

    limits: Limits = field(default_factory=Limits)
    analyze: bool = True
    """Run the conflict analysis after the files check clean."""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The diagnostics of a project, and its workspace when it has no errors."""

    workspace: Workspace | None
    diagnostics: tuple[Diagnostic, ...]
    files_read: int = 0
    """How many files were read: the project file and everything it includes."""


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a project is loaded and checked.

    Validation allocates hundreds of thousands of long-lived objects and frees almost
    none of them, which is the worst case for the collector: every young collection
    promotes survivors and every full one walks all of them, so the time per rule grew
    about fourfold from 10k to 100k rules. Nothing built here forms cycles that need
    collecting before the run ends; the collector is restored however the block exits.

    On the way out, everything allocated meanwhile is moved straight to the oldest
    generation (``gc.freeze()`` then ``gc.unfreeze()``, which only relinks lists):
    otherwise the first collections after the block would scan all of it as young
    objects, twice, which took longer than the analysis. Skipped when the caller has
    frozen objects of its own, since unfreezing would release them too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def validate_project(
    path: str | os.PathLike[str], options: ValidateOptions | None = None
) -> ValidationResult:
    """Load, check and analyse the project at ``path`` (a project file or its folder)."""
    options = options or ValidateOptions()
    with bulk():
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
    sources, diags = load_sources(path, options.limits)
    found.extend(diags)
    workspace = None
    files_read = 0
    if sources is not None:
        files_read = 1 + len(sources.catalogs) + len(sources.policies)
        workspace, diags = bind(sources)
        found.extend(diags)
    if has_errors(found):
        workspace = None
    elif workspace is not None and options.analyze:
        from policykit.analyze import analyze
        from policykit.graph.objective import ObjectiveGraph

        found.extend(analyze(ObjectiveGraph(workspace)))
    return ValidationResult(workspace, sort_diagnostics(found), files_read)
