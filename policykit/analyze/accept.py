"""Accepted findings: deliberate warnings and notes a project names, with a reason.

A project's ``accept`` entries each name a code and a rule (and optionally a scope the
finding's witness must lie in). A finding matches when it has that code and is about
that rule: it points at the rule, or names it as the other side. Matched findings are
set apart as accepted, so they are still reported but no longer fail a strict check;
errors are never accepted. An entry that matches nothing is itself a warning (PK415),
so acceptances do not outlive the findings they were written for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from policykit.codes import PK415, diag
from policykit.diagnostics import Diagnostic, Severity
from policykit.schema.errors import locate
from policykit.schema.models import Acceptance
from policykit.schema.workspace import Workspace

_RULE_PATH = re.compile(r"^rules\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Accepted:
    """A finding the project accepts, and why."""

    diagnostic: Diagnostic
    reason: str
    location: str
    """``file:line:col`` of the acceptance in the project file."""

    def to_json(self) -> dict[str, object]:
        """The finding's JSON, with the reason and where it was accepted."""
        return {**self.diagnostic.to_json(), "reason": self.reason, "accepted_at": self.location}


class RuleIndex:
    """Which rule a finding is about: by the rule's position, or a key path into it."""

    def __init__(self, workspace: Workspace) -> None:
        self._at: dict[tuple[str, int, int], str] = {}
        self._by_index: dict[tuple[str, int], str] = {}
        for pf, i, rule in workspace.rules():
            line, col = pf.rule_position(i)
            self._at[(pf.document.file, line, col)] = rule.id
            self._by_index[(pf.document.file, i)] = rule.id

    def rule_at(self, d: Diagnostic) -> str | None:
        """The rule ``d`` points at, if it points at one."""
        m = _RULE_PATH.match(d.path)
        if m:
            by_path = self._by_index.get((d.file, int(m.group(1))))
            if by_path is not None:
                return by_path
        return self._at.get((d.file, d.line, d.column))

    def rules_of(self, d: Diagnostic) -> frozenset[str]:
        """The rules ``d`` points at or names as its other side."""
        found = set()
        own = self.rule_at(d)
        if own is not None:
            found.add(own)
        for r in d.related:
            other = self._at.get((r.file, r.line, r.column))
            if other is not None:
                found.add(other)
        return frozenset(found)


def matches(
    d: Diagnostic, code: str, rule: str, when: Mapping[str, Sequence[str]], rules: frozenset[str]
) -> bool:
    """Whether finding ``d`` (about ``rules``) has ``code``, is about ``rule`` and, for
    each dimension of ``when``, has a witness value among its values."""
    if d.code != code or rule not in rules:
        return False
    witness = dict(d.witness)
    return all(witness.get(dim) in values for dim, values in when.items())


def apply_acceptances(
    workspace: Workspace, diagnostics: Iterable[Diagnostic]
) -> tuple[tuple[Diagnostic, ...], tuple[Accepted, ...]]:
    """The findings left after the project's acceptances (with a PK415 warning for each
    acceptance that matches nothing), and the findings accepted."""
    found = list(diagnostics)
    entries: Sequence[Acceptance] = workspace.project.accept
    if not entries:
        return tuple(found), ()
    index = RuleIndex(workspace)
    document = workspace.project_document
    sites = []
    for i in range(len(entries)):
        line, col = locate(document, ("accept", i))
        sites.append(f"{document.file}:{line}:{col}")
    met = [False] * len(entries)
    """Per entry: it matched some finding (an error, perhaps)."""
    took = [False] * len(entries)
    """Per entry: it accepted some finding."""
    kept: list[Diagnostic] = []
    accepted: list[Accepted] = []
    # entries by (code, rule): each finding looks only at the entries naming it, so
    # the work grows with findings plus entries, not with their product
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, entry in enumerate(entries):
        by_key.setdefault((entry.code, entry.rule), []).append(i)
    for d in found:
        rules = index.rules_of(d)
        taken = None
        candidates = sorted(i for r in rules for i in by_key.get((d.code, r), ()))
        for i in candidates:
            entry = entries[i]
            if matches(d, entry.code, entry.rule, entry.when, rules):
                met[i] = True
                if d.severity is not Severity.ERROR and taken is None:
                    taken = i
        if taken is None:
            kept.append(d)
        else:
            took[taken] = True
            accepted.append(Accepted(d, entries[taken].reason, sites[taken]))
    for i, entry in enumerate(entries):
        if took[i]:
            continue
        line, col = locate(document, ("accept", i))
        why = "matches only errors, which cannot be accepted" if met[i] else "matches no finding"
        kept.append(
            diag(
                PK415,
                f"acceptance of {entry.code} about rule {entry.rule!r} {why}",
                document.file,
                line,
                col,
                path=f"accept[{i}]",
                hint="remove it, or correct its code, rule or when",
            )
        )
    return tuple(kept), tuple(accepted)
