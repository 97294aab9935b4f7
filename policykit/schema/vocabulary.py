"""The vocabulary a project can use: dimensions with their values and defaults, and
behaviors with their outcomes and default distributions; what ``policykit catalog``
lists. For a project it is the project's own (its catalogs, merged as the workspace
merged them); without one, the standard library's catalogs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policykit.codes import PK210
from policykit.diagnostics import Diagnostic, PolicykitError
from policykit.load.project import STD_PREFIX, source_path, std_entries
from policykit.load.reader import Limits, read_file
from policykit.schema.models import Behavior, Catalog, Dimension
from policykit.schema.workspace import Workspace, validate_model


@dataclass(frozen=True, slots=True)
class RuleSummary:
    id: str
    stakeholder: str
    directive: str
    location: str


@dataclass(frozen=True, slots=True)
class Vocabulary:
    dimensions: tuple[Dimension, ...]
    behaviors: tuple[Behavior, ...]
    """Sorted by id."""
    files: tuple[str, ...]
    """The catalog files it comes from (std: entries for the standard library)."""
    rules: Mapping[str, tuple[RuleSummary, ...]]
    """Per behavior, the project's rules on it (empty without a project)."""
    std_files: tuple[str, ...] = ()
    """Every file of the standard library, catalogs and policies."""

    def behavior(self, name: str) -> Behavior | None:
        return next((b for b in self.behaviors if b.id == name), None)


def project_vocabulary(workspace: Workspace) -> Vocabulary:
    rules: dict[str, list[RuleSummary]] = {}
    for pf, i, rule in workspace.rules():
        line, col = pf.rule_position(i)
        rules.setdefault(rule.behavior, []).append(
            RuleSummary(rule.id, pf.stakeholder, rule.directive, f"{pf.document.file}:{line}:{col}")
        )
    return Vocabulary(
        tuple(workspace.dimensions.values()),
        tuple(sorted(workspace.behaviors.values(), key=lambda b: b.id)),
        tuple(c.document.file for c in workspace.catalogs),
        {b: tuple(r) for b, r in rules.items()},
        tuple(std_entries()),
    )


def std_vocabulary(limits: Limits | None = None) -> tuple[Vocabulary, tuple[Diagnostic, ...]]:
    """The standard library's catalogs, read and checked as any catalog is."""
    problems: list[Diagnostic] = []
    dimensions: dict[str, Dimension] = {}
    behaviors: dict[str, Behavior] = {}
    files = []
    entries = std_entries()
    for entry in entries:
        try:
            doc = read_file(source_path(entry), entry, limits or Limits())
        except PolicykitError as exc:
            problems.extend(exc.diagnostics)
            continue
        if doc.data.get("kind") != "Catalog":
            continue
        model, found = validate_model(Catalog, doc, "the catalog")
        problems.extend(d for d in found if d.code != PK210)
        if model is None:
            continue
        files.append(entry)
        for d in model.dimensions:
            dimensions.setdefault(d.id, d)
        for b in model.behaviors:
            behaviors.setdefault(b.id, b)
    vocabulary = Vocabulary(
        tuple(dimensions.values()),
        tuple(sorted(behaviors.values(), key=lambda b: b.id)),
        tuple(files),
        {},
        tuple(e for e in entries if e.startswith(STD_PREFIX)),
    )
    return vocabulary, tuple(problems)
