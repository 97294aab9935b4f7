"""The weighted objective graph: stakeholders, rules, behaviors and HHH properties.

A small typed class over a frozen networkx ``MultiDiGraph``. Callers ask domain
questions (``rules_for(behavior)``, ``rules_in(behavior, context)``,
``authority_over(rule)``); raw graph calls stay in this module.

Nodes (ids are prefixed by kind, so names never collide):
  ``stakeholder:<name>``  ``rule:<id>``  ``behavior:<id>``  ``property:<name>``
Edges:
  rule --authored_by--> stakeholder   (weight: the stakeholder's weight)
  rule --targets--> behavior          (weight: the rule's weight; directive)
  behavior --serves--> property
  behavior --conflicts|supports|refines--> behavior   (from the catalog's relations)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NewType

from policykit.graph.numbers import Vector
from policykit.graph.scope import Masks, Space, contains, overlaps
from policykit.schema.errors import locate
from policykit.schema.models import Behavior, Grant, Relation, Rule
from policykit.schema.workspace import Origin, PolicyFile, Workspace
from policykit.util.frozen import direct_init

if TYPE_CHECKING:
    import networkx as nx

NodeId = NewType("NodeId", str)


def stakeholder_node(name: str) -> NodeId:
    return NodeId(f"stakeholder:{name}")


def rule_node(rule_id: str) -> NodeId:
    return NodeId(f"rule:{rule_id}")


def behavior_node(behavior_id: str) -> NodeId:
    return NodeId(f"behavior:{behavior_id}")


def property_node(name: str) -> NodeId:
    return NodeId(f"property:{name}")


Numbers = tuple[Vector, Vector, Vector | None]
"""A rule's ``lo``, ``hi`` and ``target``."""


@direct_init
@dataclass(frozen=True, slots=True, eq=False)
class RuleRef:
    """A rule as the analysis sees it: where it came from, its scope and its numbers.

    ``lo``/``hi`` are per-outcome bounds (hard rules; [0, 1] everywhere for soft ones)
    and ``target`` the soft target (``prefer`` is a target of probability 1), both in
    the behavior's outcome order. ``order`` is the rule's place in the project (policy
    files in project order, rules in file order): the tie-breaker everywhere.
    ``stakeholder`` is the name the project binds the rule's file to, ``kind`` that
    stakeholder's kind. ``weight`` is the stakeholder's weight and ``file_weight`` the
    binding's. ``adjusters`` are the stakeholders ``adjustable_by`` means, kinds
    expanded to every stakeholder of the kind (once, here).
    """

    order: int
    rule: Rule
    policy: PolicyFile
    index: int
    stakeholder: str
    rank: int
    weight: float
    masks: Masks
    lo: Vector
    hi: Vector
    target: Vector | None
    kind: str = ""
    file_weight: float = 1.0
    adjusters: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def behavior(self) -> str:
        return self.rule.behavior

    @property
    def hard(self) -> bool:
        return self.target is None

    @property
    def file(self) -> str:
        return self.policy.document.file

    def position(self, *path: str | int) -> tuple[int, int]:
        """Line and column of the rule (or of a key inside it)."""
        if not path:
            return self.policy.rule_position(self.index)
        return locate(self.policy.document, ("rules", self.index, *path))

    def label(self) -> str:
        return f"{self.stakeholder} rule {self.id!r}"


@dataclass(frozen=True, slots=True, eq=False)
class GrantRef:
    order: int
    grant: Grant
    policy: PolicyFile
    index: int
    stakeholder: str
    rank: int
    masks: Masks
    to: frozenset[str] = frozenset()
    """The stakeholders the grant's ``to`` means, kinds expanded."""


def _bounds_of(rule: Rule, outcomes: Sequence[str]) -> tuple[Vector, Vector]:
    n = len(outcomes)
    lo = [0.0] * n
    hi = [1.0] * n
    if rule.require is not None:
        hi = [0.0] * n
        k = outcomes.index(rule.require)
        lo[k] = hi[k] = 1.0
    elif rule.forbid is not None:
        for o in rule.forbid:
            hi[outcomes.index(o)] = 0.0
    elif rule.bounds is not None:
        for o, b in rule.bounds.items():
            k = outcomes.index(o)
            lo[k], hi[k] = b.min, b.max
    return tuple(lo), tuple(hi)


def _target_of(rule: Rule, outcomes: Sequence[str]) -> Vector | None:
    if rule.prefer is not None:
        return tuple(1.0 if o == rule.prefer else 0.0 for o in outcomes)
    if rule.target is not None:
        return tuple(rule.target.get(o, 0.0) for o in outcomes)
    return None


def within_vectors(
    within: Mapping[str, Any] | None, outcomes: Sequence[str]
) -> tuple[Vector, Vector] | None:
    if within is None:
        return None
    lo = [0.0] * len(outcomes)
    hi = [1.0] * len(outcomes)
    for o, b in within.items():
        k = outcomes.index(o)
        lo[k], hi[k] = b.min, b.max
    return tuple(lo), tuple(hi)


class _SharedVectors:
    """One copy of each distinct vector: rules repeat a handful of directives, and a
    tuple per rule and vector is most of the graph's memory. Keyed by the floats'
    bytes, so that 0.0 and -0.0 (equal, but printed differently) stay apart."""

    def __init__(self) -> None:
        self.by_bytes: dict[bytes, Vector] = {}
        self.packers: dict[int, Callable[..., bytes]] = {}
        self.free: dict[int, tuple[Vector, Vector]] = {}
        self.by_name: dict[tuple[tuple[str, ...], str, object], Numbers] = {}

    def __call__(self, vector: Vector) -> Vector:
        pack = self.packers.get(len(vector))
        if pack is None:
            pack = self.packers[len(vector)] = struct.Struct(f"{len(vector)}d").pack
        return self.by_bytes.setdefault(pack(*vector), vector)

    def numbers(self, rule: Rule, outcomes: tuple[str, ...]) -> Numbers:
        """A rule's ``lo``, ``hi`` and ``target`` vectors, shared."""
        directive = rule.directive
        if directive in ("require", "forbid", "prefer"):
            # named by outcome ids alone: one computation per distinct directive
            key = (outcomes, directive, getattr(rule, directive))
            found = self.by_name.get(key)
            if found is None:
                found = self.by_name[key] = self._numbers(rule, outcomes)
            return found
        return self._numbers(rule, outcomes)

    def _numbers(self, rule: Rule, outcomes: tuple[str, ...]) -> Numbers:
        if rule.hard:  # bounds only; never a target
            lo, hi = _bounds_of(rule, outcomes)
            return self(lo), self(hi), None
        n = len(outcomes)
        free = self.free.get(n)
        if free is None:  # a soft rule's bounds: [0, 1] everywhere
            free = self.free[n] = (self((0.0,) * n), self((1.0,) * n))
        target = _target_of(rule, outcomes)
        assert target is not None
        return free[0], free[1], self(target)


class ObjectiveGraph:
    """The objective graph of a workspace. Frozen once built."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        project = workspace.project
        self.space = Space.of(workspace.dimensions.values())
        outcomes_of = {b.id: tuple(b.outcomes) for b in workspace.behaviors.values()}
        self.outcomes: Mapping[str, tuple[str, ...]] = MappingProxyType(outcomes_of)
        rules: list[RuleRef] = []
        by_behavior: dict[str, list[RuleRef]] = {b: [] for b in workspace.behaviors}
        grants: list[GrantRef] = []
        masks_of: dict[tuple[tuple[str, tuple[str, ...]], ...], Masks] = {}
        dimension_masks: dict[tuple[int, tuple[str, ...]], int] = {}
        full = self.space.full
        shared = _SharedVectors()
        expanded: dict[tuple[str, ...], frozenset[str]] = {(): frozenset()}

        def expand(names: tuple[str, ...]) -> frozenset[str]:
            found = expanded.get(names)
            if found is None:
                found = expanded[names] = project.expand(names)
            return found

        for pf in workspace.policies:
            settings = project.settings(pf.stakeholder)
            kind = project.kind_of(pf.stakeholder)
            for i, rule in enumerate(pf.model.rules):
                lo, hi, target = shared.numbers(rule, outcomes_of[rule.behavior])
                when_key = tuple(rule.when.items())
                masks = masks_of.get(when_key)
                if masks is None:
                    masks = masks_of[when_key] = self._masks(rule.when, full, dimension_masks)
                ref = RuleRef(
                    order=len(rules),
                    rule=rule,
                    policy=pf,
                    index=i,
                    stakeholder=pf.stakeholder,
                    rank=settings.rank,
                    weight=settings.weight,
                    masks=masks,
                    lo=lo,
                    hi=hi,
                    target=target,
                    kind=kind,
                    file_weight=pf.weight,
                    adjusters=expand(rule.adjustable_by),
                )
                rules.append(ref)
                by_behavior[rule.behavior].append(ref)
            for i, grant in enumerate(pf.model.grants):
                grants.append(
                    GrantRef(
                        len(grants),
                        grant,
                        pf,
                        i,
                        pf.stakeholder,
                        settings.rank,
                        self.space.masks(grant.when),
                        expand(grant.to),
                    )
                )
        self.rules: tuple[RuleRef, ...] = tuple(rules)
        self.grants: tuple[GrantRef, ...] = tuple(grants)
        self._by_behavior: Mapping[str, tuple[RuleRef, ...]] = MappingProxyType(
            {b: tuple(rs) for b, rs in by_behavior.items()}
        )
        self._by_id: Mapping[str, RuleRef] = MappingProxyType({r.id: r for r in rules})
        self._graph: nx.MultiDiGraph[NodeId] | None = None

    def _masks(
        self,
        when: Mapping[str, tuple[str, ...]],
        full: Masks,
        memo: dict[tuple[int, tuple[str, ...]], int],
    ) -> Masks:
        """``self.space.masks(when)``, one dimension at a time: scopes are all
        different, but each dimension's value lists are few."""
        out = []
        for i, dim in enumerate(self.space.dimensions):
            values = when.get(dim.id)
            if values is None:
                out.append(full[i])
                continue
            mask = memo.get((i, values))
            if mask is None:
                mask = memo[(i, values)] = self.space.masks({dim.id: values})[i]
            out.append(mask)
        return tuple(out)

    def _build(self) -> nx.MultiDiGraph[NodeId]:
        """The networkx graph, built on first use: the checks work from the rule
        indexes, so `validate` does not pay for nodes it never walks."""
        import networkx as nx

        workspace = self.workspace
        project = workspace.project
        g: nx.MultiDiGraph[NodeId] = nx.MultiDiGraph()
        for name in project.stakeholder_names:
            s = project.settings(name)
            kind = project.kind_of(name)
            # a named principal's kind; the built-in names' nodes keep their attributes
            extra = {"stakeholder_kind": kind} if kind != name else {}
            g.add_node(
                stakeholder_node(name),
                kind="stakeholder",
                name=name,
                rank=s.rank,
                weight=s.weight,
                **extra,
            )
        for prop in ("helpful", "honest", "harmless"):
            g.add_node(property_node(prop), kind="property", name=prop)
        for b in workspace.behaviors.values():
            node = behavior_node(b.id)
            g.add_node(
                node,
                kind="behavior",
                name=b.id,
                description=b.description,
                property=b.property,
            )
            g.add_edge(node, property_node(b.property), key="serves", kind="serves")
        for rel, _origin in workspace.relations:
            g.add_edge(
                behavior_node(rel.from_),
                behavior_node(rel.to),
                key=rel.type,
                kind=rel.type,
                from_outcome=rel.from_outcome,
                to_outcome=rel.to_outcome,
            )
        for ref in self.rules:
            rule = ref.rule
            node = rule_node(rule.id)
            g.add_node(
                node,
                kind="rule",
                name=rule.id,
                directive=rule.directive,
                hard=rule.hard,
                stakeholder=ref.stakeholder,
            )
            g.add_edge(
                node,
                stakeholder_node(ref.stakeholder),
                key="authored_by",
                kind="authored_by",
                weight=ref.weight,
            )
            g.add_edge(
                node,
                behavior_node(rule.behavior),
                key="targets",
                kind="targets",
                weight=rule.weight if not rule.hard else 1.0,
                directive=rule.directive,
            )
        nx.freeze(g)
        return g

    # -- domain questions --------------------------------------------------------------

    @property
    def nx(self) -> nx.MultiDiGraph[NodeId]:
        """The underlying (frozen) networkx graph."""
        if self._graph is None:
            self._graph = self._build()
        return self._graph

    def behavior(self, behavior_id: str) -> Behavior:
        return self.workspace.behaviors[behavior_id]

    def behaviors(self) -> Iterator[str]:
        return iter(self.workspace.behaviors)

    def rule(self, rule_id: str) -> RuleRef:
        return self._by_id[rule_id]

    def rules_for(self, behavior_id: str) -> tuple[RuleRef, ...]:
        """The rules about a behavior, in project order."""
        return self._by_behavior.get(behavior_id, ())

    def rules_in(self, behavior_id: str, context: Mapping[str, str]) -> tuple[RuleRef, ...]:
        """The rules about a behavior that apply in one concrete context (missing
        dimensions take their defaults)."""
        point = self.space.masks(
            {d.id: (context.get(d.id, d.default),) for d in self.space.dimensions}
        )
        return tuple(r for r in self.rules_for(behavior_id) if overlaps(r.masks, point))

    def authority_over(self, ref: RuleRef) -> tuple[RuleRef, ...]:
        """The chain of authority over a rule: rules of higher-ranked stakeholders on
        the same behavior whose scope overlaps it, highest rank first."""
        above = [
            r
            for r in self.rules_for(ref.behavior)
            if r.rank > ref.rank and overlaps(r.masks, ref.masks)
        ]
        return tuple(sorted(above, key=lambda r: (-r.rank, r.order)))

    def covering(self, ref: RuleRef) -> tuple[RuleRef, ...]:
        """Rules on the same behavior whose scope contains this rule's whole scope."""
        return tuple(
            r for r in self.rules_for(ref.behavior) if r is not ref and contains(r.masks, ref.masks)
        )

    def relations(self, kind: str) -> Iterator[tuple[str, str, Relation]]:
        """The catalog's relations of one kind: (from, to, relation)."""
        for rel, _origin in self.workspace.relations:
            if rel.type == kind:
                yield rel.from_, rel.to, rel

    def relation_origins(self) -> Iterable[tuple[Relation, Origin]]:
        return self.workspace.relations

    def stakeholder_kind(self, name: str) -> str:
        return self.workspace.project.kind_of(name)

    def stakeholder_weight(self, name: str) -> float:
        return float(self.nx.nodes[stakeholder_node(name)]["weight"])
