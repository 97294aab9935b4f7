"""From source files to a checked, typed workspace.

Every file is validated against its model; then references are checked across files:
behaviors, outcomes, dimensions and values that rules and relations name must exist,
ids must be unique across the whole project (both places are named), and a policy file
may not claim to speak for a stakeholder other than the one the project binds it to.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar, cast

from pydantic import BaseModel, ValidationError

from policykit.codes import (
    PK207,
    PK208,
    PK209,
    PK210,
    PK212,
    PK213,
    PK214,
    PK215,
    PK220,
    PK221,
    PK222,
    PK302,
    PK414,
    Code,
    diag,
)
from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.load.project import IncludeSite, Source, SourceSet, std_root
from policykit.load.reader import Document, YSeq, unpack
from policykit.schema.context import Exclusion, Shaped, check_scopes, shape
from policykit.schema.errors import format_path, locate, to_diagnostics
from policykit.schema.extend import apply_extensions
from policykit.schema.models import (
    DEFAULT_STAKEHOLDERS,
    Behavior,
    Catalog,
    Dimension,
    Grant,
    Limits,
    OnViolation,
    Policy,
    Project,
    Relation,
    Rule,
    Stakeholder,
)
from policykit.util.text import suggest, suggest_or_list

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class CatalogFile:
    model: Catalog
    document: Document


@dataclass(frozen=True, slots=True)
class PolicyFile:
    model: Policy
    document: Document
    stakeholder: Stakeholder
    on_violation: OnViolation
    site: IncludeSite
    weight: float = 1.0
    """The binding's ``weight``: how much this file's soft rules count among its
    stakeholder's rules."""

    def rule_position(self, index: int) -> tuple[int, int]:
        """Line and column of rule ``index``: ``locate(document, ("rules", index))``
        without the walk, since findings point at rules by the ten thousand."""
        rules = self.document.data.get("rules")
        if isinstance(rules, YSeq) and 0 <= index < len(rules):
            return unpack(rules.item_position(index))
        return locate(self.document, ("rules", index))


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a catalog entry was declared."""

    catalog: CatalogFile
    path: tuple[str | int, ...]

    def position(self) -> tuple[str, int, int]:
        line, col = locate(self.catalog.document, self.path)
        return self.catalog.document.file, line, col


@dataclass(frozen=True)
class Workspace:
    """A project whose files are all valid and whose references all resolve."""

    root: Path
    project: Project
    project_document: Document
    catalogs: tuple[CatalogFile, ...]
    policies: tuple[PolicyFile, ...]
    dimensions: Mapping[str, Dimension]
    behaviors: Mapping[str, Behavior]
    relations: tuple[tuple[Relation, Origin], ...]
    origins: Mapping[str, Origin]
    exclusions: tuple[Exclusion, ...] = ()
    """The combinations the project's ``context:`` excludes (``dimensions`` are already
    restricted to its allowed values)."""

    def rules(self) -> Iterator[tuple[PolicyFile, int, Rule]]:
        for pf in self.policies:
            for i, rule in enumerate(pf.model.rules):
                yield pf, i, rule


def validate_model(
    model: type[M], document: Document, what: str
) -> tuple[M | None, list[Diagnostic]]:
    """``document`` as a ``model``, or the diagnostics that say why not."""
    kind = document.data.get("kind")
    expected = model.__name__
    api = document.data.get("apiVersion")
    if isinstance(api, str) and api.startswith("policykit.") and api != "policykit/v1":
        # an artifact policykit wrote (policykit.spec/v1, ...), not a file people write
        line, col = locate(document, ("apiVersion",))
        return None, [
            diag(
                PK210,
                f"this file is a {api} artifact that policykit wrote, not a {expected}",
                document.file,
                line,
                col,
                path="apiVersion",
                hint="give the project it was compiled from (its policykit.yaml or folder)"
                if expected == "Project"
                else "",
            )
        ]
    if isinstance(kind, str) and kind != expected and kind in ("Project", "Catalog", "Policy"):
        line, col = locate(document, ("kind",))
        return None, [
            diag(
                PK210,
                f"this file is a {kind}, but it is included as a {expected}",
                document.file,
                line,
                col,
                path="kind",
            )
        ]
    try:
        return model.model_validate(document.data), []
    except ValidationError as exc:
        return None, to_diagnostics(exc, model, document, what)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


SUGGESTION_BUDGET = 20_000
"""How many names "did you mean" may compare against, over one project: difflib costs
~25 us a comparison, and a hostile file can hold thousands of typos of a 1,000-value
dimension. Past it, findings come without the hint."""


class _Checker:
    def __init__(self, limits: Limits | None = None) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.limits = limits or Limits()
        self.suggestions_left = SUGGESTION_BUDGET

    def add(
        self,
        code: Code,
        message: str,
        document: Document,
        path: tuple[str | int, ...],
        *,
        key: bool = False,
        hint: str = "",
        related: tuple[Related, ...] = (),
        severity: Severity | None = None,
    ) -> None:
        line, col = locate(document, path, key=key)
        self.diagnostics.append(
            diag(
                code,
                message,
                document.file,
                line,
                col,
                path=format_path(path),
                hint=hint,
                related=related,
                severity=severity,
            )
        )

    def unique(
        self,
        what: str,
        seen: dict[str, tuple[Document, tuple[str | int, ...]]],
        name: str,
        document: Document,
        path: tuple[str | int, ...],
    ) -> bool:
        """Record an id; report it (naming both places) if already taken."""
        if name in seen:
            other_doc, other_path = seen[name]
            line, col = locate(other_doc, other_path)
            self.add(
                PK208,
                f"duplicate {what} id {name!r}",
                document,
                path,
                related=(Related("first declared here", other_doc.file, line, col),),
            )
            return False
        seen[name] = (document, path)
        return True

    def reference(
        self,
        what: str,
        name: str,
        choices: Collection[str],
        document: Document,
        path: tuple[str | int, ...],
        *,
        key: bool = False,
        context: str = "",
    ) -> bool:
        if name in choices:
            return True
        hint = ""
        if self.suggestions_left > 0:
            self.suggestions_left -= len(choices)
            hint = suggest_or_list(name, choices, "policykit catalog lists them")
        self.add(PK207, f"unknown {what} {name!r}{context}", document, path, key=key, hint=hint)
        return False


def _outcome_refs(rule: Rule | Grant) -> Iterator[tuple[str, tuple[str | int, ...], bool]]:
    """Every outcome a rule or grant names: (outcome, key path, is-a-key)."""
    if isinstance(rule, Rule):
        if rule.require is not None:
            yield rule.require, ("require",), False
        if rule.prefer is not None:
            yield rule.prefer, ("prefer",), False
        if rule.forbid is not None:
            for i, o in enumerate(rule.forbid):
                yield o, ("forbid", i), False
        for o in rule.bounds or ():
            yield o, ("bounds", o), True
        for o in rule.target or ():
            yield o, ("target", o), True
    for o in rule.within or ():
        yield o, ("within", o), True


def bind(sources: SourceSet) -> tuple[Workspace | None, tuple[Diagnostic, ...]]:
    """Validate every source and check references; a workspace only if all is well."""
    project, diags = validate_model(Project, sources.project, "the project")
    check = _Checker(project.limits if project is not None else None)
    check.diagnostics.extend(diags)

    catalogs = _valid_catalogs(check, sources.catalogs)
    # With a catalog missing, "unknown behavior" would bury the real error.
    vocabulary_complete = sources.catalogs_complete and len(catalogs) == len(sources.catalogs)
    dimensions, behaviors, origins = _declared(check, catalogs)
    _check_catalog_entries(check, catalogs, dimensions)
    shaped: Shaped | None = None
    if vocabulary_complete:  # else an extended behavior may be in the missing catalog
        apply_extensions(check, catalogs, behaviors, origins)
        if project is not None and project.context is not None:
            shaped = shape(check, project.context, sources.project, dimensions)
    relations = _relations(check, catalogs, behaviors)
    policies = _policy_files(
        check, sources, project, dimensions, behaviors, check_rules=vocabulary_complete
    )
    if shaped is not None:
        _check_shaped_scopes(check, sources.project, policies, shaped, dimensions)
        dimensions = shaped.dimensions

    diagnostics = tuple(check.diagnostics)
    if project is None or any(d.severity is Severity.ERROR for d in diagnostics):
        return None, diagnostics
    workspace = Workspace(
        root=sources.root,
        project=project,
        project_document=sources.project,
        catalogs=tuple(catalogs),
        policies=tuple(policies),
        dimensions=MappingProxyType(dimensions),
        behaviors=MappingProxyType(behaviors),
        relations=tuple(relations),
        origins=MappingProxyType(origins),
        exclusions=shaped.exclusions if shaped is not None else (),
    )
    return workspace, diagnostics


def _valid_catalogs(check: _Checker, sources: tuple[Source, ...]) -> list[CatalogFile]:
    """The catalog sources that are valid catalogs; the others are reported."""
    catalogs: list[CatalogFile] = []
    for src in sources:
        model, diags = validate_model(Catalog, src.document, "the catalog")
        check.diagnostics.extend(diags)
        if model is not None:
            catalogs.append(CatalogFile(model, src.document))
    return catalogs


def _declared(
    check: _Checker, catalogs: list[CatalogFile]
) -> tuple[dict[str, Dimension], dict[str, Behavior], dict[str, Origin]]:
    """The dimensions and behaviors the catalogs declare, by id, and where each was
    declared (a dimension's origin under ``dimension:<id>``). An id declared twice is
    reported and keeps its first declaration; each dimension's values are checked."""
    dimensions: dict[str, Dimension] = {}
    behaviors: dict[str, Behavior] = {}
    origins: dict[str, Origin] = {}
    seen_dims: dict[str, tuple[Document, tuple[str | int, ...]]] = {}
    seen_behaviors: dict[str, tuple[Document, tuple[str | int, ...]]] = {}
    for cf in catalogs:
        doc = cf.document
        for i, dim in enumerate(cf.model.dimensions):
            path: tuple[str | int, ...] = ("dimensions", i, "id")
            if check.unique("dimension", seen_dims, dim.id, doc, path):
                dimensions[dim.id] = dim
                origins[f"dimension:{dim.id}"] = Origin(cf, ("dimensions", i))
            _check_dimension(check, dim, doc, ("dimensions", i))
        for i, beh in enumerate(cf.model.behaviors):
            path = ("behaviors", i, "id")
            if check.unique("behavior", seen_behaviors, beh.id, doc, path):
                behaviors[beh.id] = beh
                origins[beh.id] = Origin(cf, ("behaviors", i))
    return dimensions, behaviors, origins


def _check_catalog_entries(
    check: _Checker, catalogs: list[CatalogFile], dimensions: Mapping[str, Dimension]
) -> None:
    """Check each behavior (outcome cap, default, probes) and the probes extensions
    add, once every dimension a probe's placeholders may name is known."""
    for cf in catalogs:
        for i, beh in enumerate(cf.model.behaviors):
            _check_behavior(check, beh, cf.document, ("behaviors", i), dimensions)
        for i, ext in enumerate(cf.model.extend):
            for j, probe in enumerate(ext.probes):
                path = ("extend", i, "probes", j)
                _check_placeholders(check, probe, cf.document, path, dimensions)


def _relations(
    check: _Checker, catalogs: list[CatalogFile], behaviors: Mapping[str, Behavior]
) -> list[tuple[Relation, Origin]]:
    """The catalogs' relations whose behaviors exist, with where each was declared; an
    unknown behavior (the relation is left out) or outcome is reported."""
    relations: list[tuple[Relation, Origin]] = []
    for cf in catalogs:
        for i, rel in enumerate(cf.model.relations):
            base: tuple[str | int, ...] = ("relations", i)
            ok = True
            for end, field in ((rel.from_, "from"), (rel.to, "to")):
                if end not in behaviors:
                    ok = False
                    check.add(
                        PK302,
                        f"{rel.type} relation names unknown behavior {end!r}",
                        cf.document,
                        (*base, field),
                        hint=suggest(end, behaviors),
                    )
            if not ok:
                continue
            for beh_id, outcome, field in (
                (rel.from_, rel.from_outcome, "from_outcome"),
                (rel.to, rel.to_outcome, "to_outcome"),
            ):
                if outcome is not None:
                    check.reference(
                        "outcome",
                        outcome,
                        behaviors[beh_id].outcomes,
                        cf.document,
                        (*base, field),
                        context=f" of behavior {beh_id!r}",
                    )
            relations.append((rel, Origin(cf, base)))
    return relations


def _policy_files(
    check: _Checker,
    sources: SourceSet,
    project: Project | None,
    dimensions: Mapping[str, Dimension],
    behaviors: Mapping[str, Behavior],
    *,
    check_rules: bool,
) -> list[PolicyFile]:
    """The policy sources that are valid policies bound to a known stakeholder, with
    their bindings; the project's stakeholders are checked first. ``check_rules``:
    whether the rules' references can be checked (every catalog was read)."""
    known_stakeholders = _check_stakeholders(check, project, sources.project)
    policies: list[PolicyFile] = []
    seen_policies: dict[str, tuple[Document, tuple[str | int, ...]]] = {}
    seen_rules: dict[str, tuple[Document, tuple[str | int, ...]]] = {}
    valid_scopes: set[ScopeEntry] = set()
    for src in sources.policies:
        policy, diags = validate_model(Policy, src.document, "the policy")
        check.diagnostics.extend(diags)
        if policy is None or project is None or src.stakeholder is None:
            continue
        if src.stakeholder not in known_stakeholders:
            check.add(
                PK221,
                f"policy file is bound to unknown stakeholder {src.stakeholder!r}",
                sources.project,
                ("policies", src.index, "stakeholder"),
                hint=suggest_or_list(
                    src.stakeholder, known_stakeholders, "declare it under stakeholders:"
                ),
            )
            continue
        pf = PolicyFile(
            policy,
            src.document,
            src.stakeholder,
            cast(OnViolation, src.on_violation or project.on_violation),
            src.site,
            project.policies[src.index].weight,
        )
        check.unique(
            "policy", seen_policies, policy.metadata.name, src.document, ("metadata", "name")
        )
        if check_rules:
            _check_policy(check, pf, src, project, dimensions, behaviors, seen_rules, valid_scopes)
        policies.append(pf)
    return policies


def _check_shaped_scopes(
    check: _Checker,
    project_doc: Document,
    policies: list[PolicyFile],
    shaped: Shaped,
    dimensions: Mapping[str, Dimension],
) -> None:
    """Check the project's own rules against its shaped context space
    (:func:`check_scopes`); ``dimensions`` are the catalogs' unrestricted ones."""
    site = locate(project_doc, ("context",), key=True)
    shaped_here = Related("the project's context space", project_doc.file, *site)
    # The standard library is written for every deployment: its rules about contexts
    # this one never meets (adults, the EU, voice) are expected, not findings.
    library = std_root().resolve()

    def from_library(file: str) -> bool:
        return file.startswith("std:") or Path(file).resolve().is_relative_to(library)

    check_scopes(
        check,
        [
            (rule, pf.document, ("rules", i), shaped_here)
            for pf in policies
            if not from_library(pf.document.file)
            for i, rule in enumerate(pf.model.rules)
        ],
        shaped,
        dimensions,
    )


_RANKED_BELOW = ("deployer", "user")
_RANKED_ABOVE = ("developer", "society")


def _kind_hint(name: str) -> str:
    near = suggest(name, DEFAULT_STAKEHOLDERS)
    add = "add kind: developer, deployer, user or society"
    return f"{near} Or, for a named stakeholder, {add}" if near else add


def _check_stakeholders(check: _Checker, project: Project | None, doc: Document) -> frozenset[str]:
    """Check the declared stakeholders; return every name a binding may use."""
    if project is None:
        return frozenset()
    for name, settings in project.stakeholders.items():
        if settings.kind is None and name not in DEFAULT_STAKEHOLDERS:
            check.add(
                PK220,
                f"stakeholder {name!r} has no kind: a name other than society, developer, "
                "deployer or user says which kind it is",
                doc,
                ("stakeholders", name),
                key=True,
                hint=_kind_hint(name),
            )
    names = project.stakeholder_names
    # the lowest-ranked stakeholder of a kind that should rank above the others: any
    # deployer or user at or above it is reported, once, without comparing all pairs
    above = [n for n in names if project.kind_of(n) in _RANKED_ABOVE]
    if above:
        lowest = min(above, key=lambda n: project.settings(n).rank)  # the first of equals
        floor = project.settings(lowest).rank
        for name in names:
            settings = project.settings(name)
            if (
                project.kind_of(name) in _RANKED_BELOW
                and settings.rank >= floor
                and not settings.rank_intended
            ):
                in_file = name in project.stakeholders
                check.add(
                    PK414,
                    f"{project.kind_of(name)} stakeholder {name!r} (rank {settings.rank}) ranks "
                    f"at or above {project.kind_of(lowest)} stakeholder {lowest!r} "
                    f"(rank {project.settings(lowest).rank})",
                    doc,
                    ("stakeholders", name, "rank") if in_file else ("stakeholders",),
                    hint="lower its rank, or set rank_intended: true on it if this is deliberate",
                )
    return frozenset(names)


def _check_dimension(
    check: _Checker, dim: Dimension, doc: Document, base: tuple[str | int, ...]
) -> None:
    seen: set[str] = set()
    for j, value in enumerate(dim.values):
        if value in seen:
            check.add(
                PK208,
                f"value {value!r} appears twice in dimension {dim.id!r}",
                doc,
                (*base, "values", j),
            )
        seen.add(value)
    check.reference(
        "value",
        dim.default,
        dim.values,
        doc,
        (*base, "default"),
        context=f" of dimension {dim.id!r}",
    )
    for value in dim.labels:
        check.reference(
            "value",
            value,
            dim.values,
            doc,
            (*base, "labels", value),
            key=True,
            context=f" of dimension {dim.id!r}",
        )


def _check_behavior(
    check: _Checker,
    beh: Behavior,
    doc: Document,
    base: tuple[str | int, ...],
    dimensions: Mapping[str, Dimension],
) -> None:
    cap = check.limits.max_outcomes
    if len(beh.outcomes) > cap:
        check.add(
            PK214,
            f"behavior {beh.id!r} has {len(beh.outcomes)} outcomes, more than the cap of {cap}",
            doc,
            (*base, "outcomes"),
            hint="merge outcomes into fewer response classes, or raise limits.max_outcomes "
            "in the project file",
        )
    for outcome in beh.default:
        check.reference(
            "outcome",
            outcome,
            beh.outcomes,
            doc,
            (*base, "default", outcome),
            key=True,
            context=f" of behavior {beh.id!r}",
        )
    for j, probe in enumerate(beh.probes):
        _check_placeholders(check, probe, doc, (*base, "probes", j), dimensions)


def _check_placeholders(
    check: _Checker,
    text: str,
    doc: Document,
    path: tuple[str | int, ...],
    dimensions: Mapping[str, Dimension],
) -> None:
    for name in _PLACEHOLDER.findall(text):
        if name in dimensions:
            continue
        hint = suggest(name, dimensions)
        if hint:  # a near miss is a typo; anything else is literal text on purpose
            check.add(
                PK212,
                f"placeholder {{{name}}} names no dimension and is kept as literal text",
                doc,
                path,
                hint=hint,
            )


ScopeEntry = tuple[str, tuple[str, ...]]


def _check_scope(
    check: _Checker,
    when: Mapping[str, tuple[str, ...]],
    doc: Document,
    base: tuple[str | int, ...],
    dimensions: Mapping[str, Dimension],
    valid: set[ScopeEntry],
) -> None:
    # Runs for every rule, whose scopes repeat a few hundred (dimension, values)
    # entries: each is checked once, then found in ``valid``.
    for entry in when.items():
        if entry in valid:
            continue
        dim_id, values = entry
        cap = check.limits.max_when_values
        if len(values) > cap:
            check.add(
                PK215,
                f"the when list of {dim_id!r} has {len(values)} values, more than the cap of {cap}",
                doc,
                (*base, "when", dim_id),
                hint="list each value once, or leave the dimension out to mean every value; "
                "the project file can raise limits.max_when_values",
            )
            continue
        dim = dimensions.get(dim_id)
        if dim is None:
            check.reference("dimension", dim_id, dimensions, doc, (*base, "when", dim_id), key=True)
            continue
        allowed = dim.value_set
        ok = True
        for j, value in enumerate(values):
            if value not in allowed:
                ok = False
                check.reference(
                    "value",
                    value,
                    allowed,
                    doc,
                    (*base, "when", dim_id, j),
                    context=f" of dimension {dim_id!r}",
                )
        if ok:
            valid.add(entry)


def _outcomes_known(item: Rule | Grant, outcomes: Mapping[str, object]) -> bool:
    """Whether every outcome a rule or grant names is one of ``outcomes``: what
    :func:`_outcome_refs` finds, without building a key path for each."""
    names = outcomes.keys()
    if isinstance(item, Rule):
        value = getattr(item, item.directive)
        if isinstance(value, str):
            if value not in names:
                return False
        elif isinstance(value, dict):
            if not names >= value.keys():
                return False
        elif not all(o in names for o in value):
            return False
    return item.within is None or names >= item.within.keys()


def _satisfiable(rule: Rule, outcomes: Collection[str]) -> bool:
    """Whether some distribution over ``outcomes`` meets a hard rule by itself."""
    if rule.forbid is not None:
        return not set(outcomes) <= set(rule.forbid)
    if rule.bounds is not None:
        hi = math.fsum(rule.bounds[o].max if o in rule.bounds else 1.0 for o in outcomes)
        return hi >= 1 - 1e-9
    return True


def _ranked_below_check(
    check: _Checker, project: Project, pf: PolicyFile
) -> Callable[[tuple[Stakeholder, ...], tuple[str | int, ...]], None]:
    """The check that every stakeholder a policy file gives the right to adjust (a
    rule's ``adjustable_by``, a grant's ``to``, at key path ``path``) is known and ranks
    below the file's own stakeholder. A closure, since it runs for every rule that
    names any: names repeat over a file's rules, so each is judged once."""
    doc = pf.document
    rank = project.settings(pf.stakeholder).rank
    known = project.stakeholder_names
    not_below: dict[str, str] = {}  # per name: the first stakeholder it reaches not below

    def check_lower(names: tuple[Stakeholder, ...], path: tuple[str | int, ...]) -> None:
        for j, name in enumerate(names):
            if name not in known:
                check.add(
                    PK222,
                    f"unknown stakeholder or kind {name!r}",
                    doc,
                    (*path, j),
                    hint=suggest_or_list(name, known, "the project's stakeholders: lists them"),
                )
                continue
            # a kind names all its stakeholders; each must rank below (in project order)
            higher = not_below.get(name)
            if higher is None:
                meant = project.expand((name,))
                higher = not_below[name] = next(
                    (n for n in known if n in meant and project.settings(n).rank >= rank), ""
                )
            if higher:
                who = f"{name!r}" if higher == name else f"{name!r} (as {higher!r})"
                check.add(
                    PK213,
                    f"{who} does not rank below {pf.stakeholder!r}, so it cannot be "
                    "given the right to adjust",
                    doc,
                    (*path, j),
                )

    return check_lower


def _check_policy(
    check: _Checker,
    pf: PolicyFile,
    src: Source,
    project: Project,
    dimensions: Mapping[str, Dimension],
    behaviors: Mapping[str, Behavior],
    seen_rules: dict[str, tuple[Document, tuple[str | int, ...]]],
    valid_scopes: set[ScopeEntry],
) -> None:
    """Check a policy file's claim to its stakeholder, then its rules and grants: ids,
    who may adjust them, placeholders, what they are about, and that a hard rule can
    hold on its own."""
    doc = pf.document
    claimed = pf.model.metadata.stakeholder
    if claimed is not None and claimed != pf.stakeholder:
        check.add(
            PK209,
            f"this policy says it speaks for {claimed!r}, but the project binds it to "
            f"{pf.stakeholder!r}",
            doc,
            ("metadata", "stakeholder"),
            related=(Related("bound here", src.site.file, src.site.line, src.site.column),),
            hint="the project decides who a file speaks for",
        )
    check_lower = _ranked_below_check(check, project, pf)
    # Runs for every rule: names that resolve cost a lookup, only misses a report.
    for i, rule in enumerate(pf.model.rules):
        base: tuple[str | int, ...] = ("rules", i)
        check.unique("rule", seen_rules, rule.id, doc, (*base, "id"))
        if rule.adjustable_by:
            check_lower(rule.adjustable_by, (*base, "adjustable_by"))
        for j, example in enumerate(rule.examples):
            _check_placeholders(check, example, doc, (*base, "examples", j), dimensions)
        outcomes = _check_about(check, rule, doc, base, dimensions, behaviors, valid_scopes)
        if (
            outcomes is not None
            and rule.directive in ("forbid", "bounds")
            and not _satisfiable(rule, outcomes)
        ):
            check.add(
                PK213,
                f"rule {rule.id!r} cannot hold on its own: no distribution over "
                f"{', '.join(outcomes)} satisfies it",
                doc,
                (*base, rule.directive),
            )
    for i, grant in enumerate(pf.model.grants):
        base = ("grants", i)
        check_lower(grant.to, (*base, "to"))
        _check_about(check, grant, doc, base, dimensions, behaviors, valid_scopes)


def _check_about(
    check: _Checker,
    item: Rule | Grant,
    doc: Document,
    base: tuple[str | int, ...],
    dimensions: Mapping[str, Dimension],
    behaviors: Mapping[str, Behavior],
    valid_scopes: set[ScopeEntry],
) -> Mapping[str, object] | None:
    """Check what a rule or grant is about: its behavior, scope and the outcomes it
    names. Returns the behavior's outcomes if all of them resolve, else None."""
    behavior = behaviors.get(item.behavior)
    if behavior is None:
        check.reference("behavior", item.behavior, behaviors, doc, (*base, "behavior"))
        return None
    if item.when:
        _check_scope(check, item.when, doc, base, dimensions, valid_scopes)
    outcomes = behavior.outcomes
    if _outcomes_known(item, outcomes):
        return outcomes
    for outcome, path, key in _outcome_refs(item):
        if outcome not in outcomes:
            check.reference(
                "outcome",
                outcome,
                outcomes,
                doc,
                (*base, *path),
                key=key,
                context=f" of behavior {item.behavior!r}",
            )
    return None
