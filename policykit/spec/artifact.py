"""The target behavior spec: ``P_intended(y | x)`` made explicit (``policykit.spec/v1``).

This is what policykit emits, so it is a versioned artifact with its own JSON Schema
(``policykit/schemas/spec.schema.json``), separate from the authored models. Its bytes
are deterministic: behaviors, rules and every mapping are sorted, numbers are rounded to
12 digits, and nothing depends on the order of files, rules or keys in the input. The
``inputs_hash`` covers a canonical form of everything that was compiled, so two specs
with the same hash came from the same intent.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from policykit import __version__
from policykit.spec.version import SPEC_VERSION

if TYPE_CHECKING:
    from policykit.graph.objective import ObjectiveGraph, RuleRef
    from policykit.resolve.resolver import BehaviorResolution, Resolution, ResolvedCell
    from policykit.schema.models import Behavior as CatalogBehavior
    from policykit.schema.models import Project as ProjectModel
    from policykit.schema.models import StakeholderSettings

# The models here are what every command that reads a spec validates it against; the
# compiler's modules (graph, resolve, schema) are imported only by what builds one.


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Bound(_Out):
    min: float
    max: float


class Override(_Out):
    rule: str
    """The overridden rule."""
    by: str
    """The higher-ranked rule that won."""
    reason: str


class Adjusted(_Out):
    rule: str
    """The higher rule whose bounds were relaxed to its `within`."""
    by: str
    """The lower rule that adjusted it."""
    within: dict[str, Bound]


class StakeholderTarget(_Out):
    target: dict[str, float]
    """The stakeholder's merged soft target in this cell."""
    influence: float
    """Its weight in the pool: stakeholder weight times mean rule weight."""
    cost: float
    """KL(target || intended) in nats, ε-smoothed: what the compromise costs it."""


class KindTarget(_Out):
    """The stakeholders of one kind in one cell, together."""

    stakeholders: list[str]
    """The named stakeholders of this kind with a soft target here."""
    influence: float
    """Their influences, summed."""
    cost: float
    """Their costs, averaged by influence."""


def _absent(value: object) -> bool:
    return value is None


class Cell(_Out):
    when: dict[str, list[str]]
    """Per dividing dimension, the values of this cell (all other dimensions: any)."""
    intended: dict[str, float]
    """P_intended over the outcomes; sums to 1."""
    bounds: dict[str, Bound]
    """Per-outcome bounds every model response distribution must respect here."""
    weight: float
    """Summed weights of the stakeholders with a rule here (1 where only the default
    applies)."""
    applied: list[str]
    """Rules whose scope covers this cell (dropped rules excluded)."""
    winners: list[str]
    """Hard rules that set the bounds, and the soft rules that decided the target."""
    overridden: list[Override]
    adjusted: list[Adjusted]
    dropped: list[str]
    """Rules dropped for a permission violation (on_violation: drop)."""
    stakeholders: dict[str, StakeholderTarget]
    """Per named stakeholder with a soft target here: its target, influence and cost."""
    kinds: dict[str, KindTarget] | None = Field(default=None, exclude_if=_absent)
    """Per kind, the stakeholders of that kind together. Present only where some
    stakeholder here is a named principal (a name other than its kind)."""


class Outcome(_Out):
    description: str
    exemplars: list[str]


class Behavior(_Out):
    id: str
    description: str
    property: Literal["helpful", "honest", "harmless"]
    outcomes: dict[str, Outcome]
    """The response classes. Like every mapping in a policykit file, the order they were
    written in carries no meaning, so they are listed sorted."""
    default: dict[str, float]
    probes: list[str]
    dimensions: list[str]
    """The dimensions that divide this behavior's cells; the others do not matter."""
    classes: dict[str, list[list[str]]]
    """Per dividing dimension, its value classes, in cell order."""
    cells: list[Cell]
    """Row-major over `classes`, in the order of `dimensions`."""


class Dimension(_Out):
    id: str
    values: list[str]
    default: str
    labels: dict[str, str]
    description: str


class RuleGrant(_Out):
    to: list[str]
    """The lower stakeholders the rule's policy passes the right to adjust on to."""
    when: dict[str, list[str]]
    """Where the grant applies; empty means everywhere."""
    within: dict[str, Bound] | None
    """Bounds the grantees' adjustments must respect; null: the grantor's own."""


class Permissions(_Out):
    locked: bool
    """Whether lower stakeholders are kept from changing the rule (as resolved: hard
    rules are locked unless they name `adjustable_by`)."""
    adjustable_by: list[str]
    """The lower stakeholders allowed to change the rule."""
    within: dict[str, Bound] | None
    """Bounds an adjustment by `adjustable_by` must respect; null: none."""
    grants: list[RuleGrant]
    """The grants the rule's policy makes on the rule's behavior."""


class Rule(_Out):
    id: str
    stakeholder: str
    behavior: str
    policy: str
    """The policy's metadata name."""
    directive: str
    when: dict[str, list[str]]
    rationale: str
    examples: list[str]
    permissions: Permissions | None = None
    """Who may change the rule, and how far. Absent in specs written before policykit
    recorded it."""


class Stakeholder(_Out):
    rank: int
    weight: float
    kind: str | None = Field(default=None, exclude_if=_absent)
    """developer, deployer, user or society. Absent for the four built-in names, whose
    kind is their name."""


class ContextSpace(_Out):
    """How the project shaped the catalogs' context space. `dimensions` above already
    hold only the allowed values and the project's defaults."""

    restricted: dict[str, list[str]]
    """Per dimension the project restricted, the catalog values it left out."""
    exclude: list[dict[str, list[str]]]
    """Excluded combinations: a context matching every entry of one is outside the
    space. Queries refuse it and no eval case is made for it."""


class TargetBehaviorSpec(_Out):
    apiVersion: Literal["policykit.spec/v1"]
    policykit_version: str
    inputs_hash: str
    """sha256 of a canonical form of the compiled inputs (order-independent)."""
    project: str
    description: str
    deployment: dict[str, str]
    strategy: str
    stakeholders: dict[str, Stakeholder]
    dimensions: list[Dimension]
    behaviors: list[Behavior]
    rules: list[Rule]
    context: ContextSpace | None = None
    """The project's shaped context space; absent when the project has no `context:`
    (the whole space of its catalogs)."""


def _probs(outcomes: tuple[str, ...], values: tuple[float, ...]) -> dict[str, float]:
    from policykit.resolve.distributions import rounded

    return dict(zip(outcomes, rounded(values), strict=True))


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _project_data(project: ProjectModel) -> dict[str, Any]:
    # the caps bound the cost of compiling; accept, tests and include_roots say how
    # the project is checked and read: none is what it intends, none changes the hash
    data = project.model_dump(
        mode="json",
        exclude={
            "policies",
            "catalogs",
            "limits",
            "accept",
            "tests",
            "include_roots",
            "stakeholders",
            # the context as written is hashed as it resolves: restricted dimensions
            # and the normalized exclusions (below), so writing order never matters
            "context",
        },
    )
    # fields added to a stakeholder later are hashed only when set, so a project that
    # sets none of them keeps its hash
    data["stakeholders"] = {
        name: s.model_dump(mode="json", exclude=_unset_later_fields(s))
        for name, s in project.stakeholders.items()
    }
    return data


def _unset_later_fields(s: StakeholderSettings) -> set[str]:
    out = set()
    if s.kind is None:
        out.add("kind")
    if not s.rank_intended:
        out.add("rank_intended")
    return out


def inputs_hash(graph: ObjectiveGraph) -> str:
    ws = graph.workspace
    project = ws.project
    data: dict[str, Any] = {
        # the caps bound the cost of compiling; accept, tests and include_roots say how
        # the project is checked and read: none is what it intends, none changes the hash
        "project": _project_data(project),
        "dimensions": sorted(
            (d.model_dump(mode="json") for d in ws.dimensions.values()), key=lambda d: d["id"]
        ),
        "behaviors": sorted(
            (b.model_dump(mode="json") for b in ws.behaviors.values()), key=lambda b: b["id"]
        ),
        "relations": sorted(
            json.dumps(r.model_dump(mode="json", by_alias=True), sort_keys=True)
            for r, _ in ws.relations
        ),
        "policies": sorted(
            (
                {
                    "stakeholder": pf.stakeholder,
                    "on_violation": pf.on_violation,
                    # a field added later is hashed only when set, so older hashes hold
                    **({"weight": pf.weight} if pf.weight != 1.0 else {}),
                    "name": pf.model.metadata.name,
                    "rules": [
                        r.model_dump(mode="json")
                        for r in sorted(pf.model.rules, key=lambda r: r.id)
                    ],
                    "grants": sorted(
                        json.dumps(g.model_dump(mode="json"), sort_keys=True)
                        for g in pf.model.grants
                    ),
                }
                for pf in ws.policies
            ),
            key=lambda p: (p["name"], p["stakeholder"]),
        ),
    }
    if project.context is not None:  # only then: unshaped projects keep their hash
        data["context"] = [[list(part) for part in e] for e in ws.exclusions]
    return "sha256:" + hashlib.sha256(_canonical(data)).hexdigest()


def _bounds(bounds: Mapping[str, Any] | None) -> dict[str, Bound] | None:
    if bounds is None:
        return None
    return {o: Bound(min=round(b.min, 12), max=round(b.max, 12)) for o, b in sorted(bounds.items())}


def _permissions(ref: RuleRef) -> Permissions:
    rule = ref.rule
    grants = sorted(
        (
            RuleGrant(
                to=sorted(g.to),
                when={k: list(v) for k, v in sorted(g.when.items())},
                within=_bounds(g.within),
            )
            for g in ref.policy.model.grants
            if g.behavior == rule.behavior
        ),
        key=lambda g: json.dumps(g.model_dump(mode="json"), sort_keys=True),
    )
    return Permissions(
        locked=rule.is_locked,
        adjustable_by=sorted(rule.adjustable_by),
        within=_bounds(rule.within),
        grants=grants,
    )


def _kinds(
    project: ProjectModel,
    targets: tuple[tuple[str, tuple[float, ...], float], ...],
    costs: Mapping[str, float],
) -> dict[str, KindTarget] | None:
    """Per kind, its stakeholders' influence and cost in a cell; None where every
    stakeholder with a target is a built-in one (specs of such projects keep their
    bytes)."""
    if all(project.kind_of(name) == name for name, _, _ in targets):
        return None
    members: dict[str, list[tuple[str, float]]] = {}
    for name, _target, influence in targets:
        members.setdefault(project.kind_of(name), []).append((name, influence))
    out = {}
    for kind, group in sorted(members.items()):
        total = math.fsum(i for _, i in group)
        cost = math.fsum(i * costs[n] for n, i in group) / total if total > 0 else 0.0
        out[kind] = KindTarget(
            stakeholders=sorted(n for n, _ in group),
            influence=round(total, 12),
            cost=round(cost, 12),
        )
    return out


def build_spec(graph: ObjectiveGraph, resolution: Resolution) -> TargetBehaviorSpec:
    """The spec of a resolved project: its behaviors with their cells, its rules, and
    the project's settings they were resolved under."""
    ws = graph.workspace
    project = ws.project
    return TargetBehaviorSpec(
        apiVersion=SPEC_VERSION,
        policykit_version=__version__,
        inputs_hash=inputs_hash(graph),
        project=project.metadata.name,
        description=project.metadata.description,
        deployment={
            "description": project.deployment.description,
            "context_template": project.deployment.context_template,
        },
        strategy=project.strategy,
        stakeholders={
            name: Stakeholder(
                rank=project.settings(name).rank,
                weight=project.settings(name).weight,
                kind=None if project.kind_of(name) == name else project.kind_of(name),
            )
            for name in project.stakeholder_names
        },
        dimensions=[
            Dimension(
                id=d.id,
                values=list(d.values),
                default=d.default,
                labels=dict(d.labels),
                description=d.description,
            )
            for d in graph.space.dimensions
        ],
        behaviors=[
            _behavior(ws.behaviors[br.behavior], br, project)
            for br in sorted(resolution.behaviors, key=lambda b: b.behavior)
        ],
        rules=sorted((_rule(r) for r in graph.rules), key=lambda r: r.id),
        context=_context_space(graph),
    )


def _behavior(b: CatalogBehavior, br: BehaviorResolution, project: ProjectModel) -> Behavior:
    """One behavior as the spec records it: its catalog entry, the dimensions that
    divide it, and its resolved cells in row-major order."""
    outcomes = br.outcomes
    return Behavior(
        id=b.id,
        description=b.description,
        property=b.property,
        outcomes={
            o: Outcome(description=v.description, exemplars=list(v.exemplars))
            for o, v in b.outcomes.items()
        },
        default={o: round(b.default.get(o, 0.0), 12) for o in outcomes},
        probes=list(b.probes),
        dimensions=list(br.dimensions),
        classes={name: [list(c) for c in br.classes[i]] for i, name in enumerate(br.dimensions)},
        cells=[_cell(br, cell, project) for cell in br.cells],
    )


def _cell(br: BehaviorResolution, cell: ResolvedCell, project: ProjectModel) -> Cell:
    """One resolved cell: where it lies, what is intended and allowed there, and which
    rules and stakeholders decided it (numbers rounded to 12 places)."""
    outcomes = br.outcomes
    costs = dict(cell.costs)
    return Cell(
        when={
            name: list(br.classes[i][c])
            for i, (name, c) in enumerate(zip(br.dimensions, cell.classes, strict=True))
        },
        intended=_probs(outcomes, cell.intended),
        bounds=_rounded_bounds(outcomes, zip(cell.lo, cell.hi, strict=True)),
        weight=round(cell.weight, 12),
        applied=list(cell.applied),
        winners=list(cell.winners),
        overridden=[Override(rule=o.rule, by=o.by, reason=o.reason) for o in cell.overridden],
        adjusted=[
            Adjusted(rule=a.rule, by=a.by, within=_rounded_bounds(outcomes, a.within))
            for a in cell.adjusted
        ],
        dropped=list(cell.dropped),
        stakeholders={
            name: StakeholderTarget(
                target=_probs(outcomes, target),
                influence=round(influence, 12),
                cost=round(costs[name], 12),
            )
            for name, target, influence in cell.targets
        },
        kinds=_kinds(project, cell.targets, costs),
    )


def _rounded_bounds(
    outcomes: tuple[str, ...], bounds: Iterable[tuple[float, float]]
) -> dict[str, Bound]:
    """Per outcome, its (lo, hi) bound rounded to 12 places."""
    return {
        o: Bound(min=round(lo, 12), max=round(hi, 12))
        for o, (lo, hi) in zip(outcomes, bounds, strict=True)
    }


def _rule(r: RuleRef) -> Rule:
    """One rule as authored, with the policy it came from and its permissions."""
    return Rule(
        id=r.id,
        stakeholder=r.stakeholder,
        behavior=r.behavior,
        policy=r.policy.model.metadata.name,
        directive=r.rule.directive,
        when={k: list(v) for k, v in r.rule.when.items()},
        rationale=r.rule.rationale,
        examples=list(r.rule.examples),
        permissions=_permissions(r),
    )


def _context_space(graph: ObjectiveGraph) -> ContextSpace | None:
    ws = graph.workspace
    shape = ws.project.context
    if shape is None:
        return None
    from policykit.schema.context import catalog_values

    restricted = {}
    for name in sorted(shape.dimensions):
        allowed = ws.dimensions[name].value_set
        restricted[name] = [v for v in catalog_values(ws, name) if v not in allowed]
    return ContextSpace(
        restricted=restricted,
        exclude=[{name: list(values) for name, values in e} for e in ws.exclusions],
    )


def dumps(spec: TargetBehaviorSpec) -> str:
    """The artifact's bytes (as text): sorted keys, one-space indent, final newline."""
    data = spec.model_dump(mode="json")
    if data["context"] is None:  # a spec of an unshaped space keeps its earlier bytes
        del data["context"]
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def spec_json_schema() -> dict[str, Any]:
    from policykit.schema.jsonschema import model_schema

    title = "policykit target behavior spec (policykit.spec/v1)"
    return model_schema(TargetBehaviorSpec, title, "serialization")
