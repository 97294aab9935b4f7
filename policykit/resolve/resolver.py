"""Resolution: from the objective graph to an intended distribution in every cell.

For each behavior the context space is cut into *cells*: along each dimension, values
that the same rules cover form one class, and a cell is one class per dimension. Every
context in a cell sees the same rules, so resolving once per cell is exact for every
context without enumerating the product of all dimensions.

In each cell, following DESIGN.md:

1. **Permissions.** Rules that violate a permission (PK404, PK405) take no part; with
   errors the project does not compile at all, so only dropped rules (``on_violation:
   drop``) get here.
2. **Hard constraints** become per-outcome bounds, highest rank first. A lower rule that
   cannot hold together with the bounds so far is overridden, unless every higher rule
   it contradicts made itself adjustable by that stakeholder and the rule stays within
   the allowed bounds: then those higher rules are relaxed to their ``within`` bounds
   (the adjustment). Same-rank rules that cannot all hold are an error (PK420).
3. **Soft targets** are combined by the project's strategy inside the bounds. Each
   stakeholder's rules in the cell are first merged into one target (their mean,
   weighted by rule weight), with influence ``stakeholder weight × mean rule weight``:
   writing many rules does not buy more influence.
4. With no soft target, the behavior's default, projected onto the bounds, holds.

Each cell records its provenance and each stakeholder's cost ``KL(target || intended)``.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from policykit.diagnostics import Diagnostic
from policykit.graph.context import excluded, only_excluded
from policykit.graph.numbers import (
    Vector,
    bits,
    compatible,
    feasible,
    meet,
)
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.permissions import Adjustment, Permissions
from policykit.graph.scope import Masks
from policykit.resolve.distributions import kl, project
from policykit.resolve.feasibility import (
    Contradiction,
    Plan,
    cap_errors,
    cell_error,
    holds,
    plan_of,
)
from policykit.resolve.strategies import STRATEGIES, Target


@dataclass(frozen=True, slots=True)
class Override:
    rule: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class Adjusted:
    rule: str
    by: str
    within: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ResolvedCell:
    """The intended distribution in one cell and where it came from."""

    classes: tuple[int, ...]
    intended: Vector
    lo: Vector
    hi: Vector
    applied: tuple[str, ...]
    winners: tuple[str, ...]
    overridden: tuple[Override, ...]
    adjusted: tuple[Adjusted, ...]
    dropped: tuple[str, ...]
    targets: tuple[tuple[str, Vector, float], ...]
    """Each stakeholder's merged soft target and its influence."""
    costs: tuple[tuple[str, float], ...]
    weight: float
    """How much stakeholder intent is at stake: the summed weights of the stakeholders
    with a rule in the cell (1 where only the catalog default applies)."""


@dataclass(frozen=True)
class BehaviorResolution:
    behavior: str
    outcomes: tuple[str, ...]
    dimensions: tuple[str, ...]
    """The dimensions that divide this behavior's cells, in the space's order."""
    classes: tuple[tuple[tuple[str, ...], ...], ...]
    """Per dimension above, its value classes (each a tuple of values)."""
    cells: tuple[ResolvedCell, ...]
    """In row-major order over ``classes``."""


@dataclass(frozen=True)
class Resolution:
    """Every behavior resolved, and the errors met on the way (PK420, PK218)."""

    behaviors: tuple[BehaviorResolution, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class HardBounds:
    """The bounds a cell's hard rules leave, and what became of each rule. With a
    ``contradiction``, the rules of higher ranks as far as they were applied."""

    lo: Vector
    hi: Vector
    kept: tuple[RuleRef, ...]
    overridden: tuple[Override, ...]
    adjusted: tuple[Adjusted, ...]
    contradiction: Contradiction | None = None


@dataclass(frozen=True, slots=True)
class CellOutcome:
    """One cell resolved, and why it could not be, if it could not."""

    cell: ResolvedCell
    contradiction: Contradiction | None


def stakeholder_targets(soft: Sequence[RuleRef]) -> list[Target]:
    """One target per named stakeholder: the weight-averaged targets of its rules, with
    the stakeholder's weight times its mean rule weight as influence. A rule's weight
    counts times its file's binding weight (1 unless the project says), so the
    stakeholder's weight stays shared among all its rules, whichever file they are in."""
    by_stakeholder: dict[str, list[RuleRef]] = defaultdict(list)
    for r in soft:
        by_stakeholder[r.stakeholder].append(r)
    out = []
    for name in sorted(by_stakeholder):
        rules = sorted(by_stakeholder[name], key=lambda r: r.id)
        weights = [r.rule.weight * r.file_weight for r in rules]
        total = math.fsum(weights)
        n = len(rules[0].target or ())
        merged = tuple(
            math.fsum(w * (r.target or ())[k] for w, r in zip(weights, rules, strict=True)) / total
            for k in range(n)
        )
        out.append(Target(name, rules[0].rank, merged, rules[0].weight * total / len(rules)))
    return out


class _CellResolver:
    def __init__(self, graph: ObjectiveGraph, ctx: Permissions, behavior: str) -> None:
        self.graph = graph
        self.ctx = ctx
        self.behavior = graph.behavior(behavior)
        self.outcomes = graph.outcomes[behavior]
        self.strategy = STRATEGIES[graph.workspace.project.strategy]
        n = len(self.outcomes)
        self.default = tuple(self.behavior.default.get(o, 0.0) for o in self.outcomes)
        self.full: tuple[Vector, Vector] = ((0.0,) * n, (1.0,) * n)
        # the strategy sees the outcomes sorted by name, so that the catalog's order of
        # outcomes cannot change a float of the result (maxmin's solver is iterative)
        order = sorted(range(n), key=lambda k: self.outcomes[k])
        self.order = None if order == list(range(n)) else order

    def pool(self, targets: Sequence[Target], lo: Vector, hi: Vector) -> Vector:
        """The strategy's answer, computed in the canonical outcome order."""
        order = self.order
        if order is None:
            return self.strategy(targets, lo, hi)

        def canon(v: Vector) -> Vector:
            return tuple(v[k] for k in order)

        found = self.strategy(
            [replace(t, distribution=canon(t.distribution)) for t in targets], canon(lo), canon(hi)
        )
        out = [0.0] * len(order)
        for i, k in enumerate(order):
            out[k] = found[i]
        return tuple(out)

    def hard_bounds(self, hard: Sequence[RuleRef], cell: Masks) -> HardBounds:
        """Bounds from the hard rules in one cell (``cell``: its scope), rank by rank,
        up to the first rank whose rules cannot all hold."""
        effective: dict[str, tuple[Vector, Vector]] = {}
        kept: list[RuleRef] = []
        overridden: list[Override] = []
        adjusted: list[Adjusted] = []
        lo, hi = self.full
        for r in hard:
            lo, hi = meet(lo, hi, r.lo, r.hi)
        if feasible(lo, hi):
            # the common case: everything holds together, nothing is overridden
            return HardBounds(lo, hi, tuple(hard), (), ())
        lo, hi = self.full

        def meet_all() -> tuple[Vector, Vector]:
            a, b = self.full
            for b_lo, b_hi in effective.values():
                a, b = meet(a, b, b_lo, b_hi)
            return a, b

        ordered = sorted(hard, key=lambda r: (-r.rank, r.stakeholder, r.id))
        for rank, group in itertools.groupby(ordered, key=lambda r: r.rank):
            members = list(group)
            if not holds(members):
                contradiction = Contradiction(rank, tuple(r.id for r in members))
                return HardBounds(
                    lo, hi, tuple(kept), tuple(overridden), tuple(adjusted), contradiction
                )
            for r in members:
                t_lo, t_hi = meet(lo, hi, r.lo, r.hi)
                if feasible(t_lo, t_hi):
                    lo, hi = t_lo, t_hi
                    effective[r.id] = (r.lo, r.hi)
                    kept.append(r)
                    continue
                above = [s for s in kept if s.rank > r.rank]
                contradicted = [s for s in above if not compatible(r, s)]
                grants: list[tuple[RuleRef, Adjustment]] = []
                for s in contradicted:
                    adj = self.ctx.adjustment_at(r, s, cell)
                    if adj is None:
                        break
                    grants.append((s, adj))
                if contradicted and len(grants) == len(contradicted):
                    trial = dict(effective)
                    for s, adj in grants:
                        trial[s.id] = (adj.lo, adj.hi)
                    trial[r.id] = (r.lo, r.hi)
                    saved, effective = effective, trial
                    a, b = meet_all()
                    if feasible(a, b):
                        lo, hi = a, b
                        kept.append(r)
                        adjusted += [
                            Adjusted(s.id, r.id, tuple(zip(adj.lo, adj.hi, strict=True)))
                            for s, adj in grants
                        ]
                        continue
                    effective = saved
                # Not empty: r is of a lower rank than the first group, which is kept
                # whole (its rules hold together, so each of them joins).
                by = contradicted[0] if contradicted else above[0]
                reason = (
                    f"contradicts higher-ranked {by.stakeholder} rule {by.id!r}"
                    if contradicted
                    else "cannot hold together with the higher-ranked rules"
                )
                overridden.append(Override(r.id, by.id, reason))
        return HardBounds(lo, hi, tuple(kept), tuple(overridden), tuple(adjusted))

    def resolve(
        self, classes: tuple[int, ...], rules: Sequence[RuleRef], scope: Masks
    ) -> CellOutcome:
        hard = [r for r in rules if r.hard]
        soft = [r for r in rules if not r.hard]
        bounds = self.hard_bounds(hard, scope)
        lo, hi = bounds.lo, bounds.hi
        targets = stakeholder_targets(soft)
        if bounds.contradiction is not None:
            intended = self.default
        elif targets:
            intended = self.pool(targets, lo, hi)
        else:
            intended = project(self.default, lo, hi)
        top_rank = max((t.rank for t in targets), default=None)
        deciding = [
            r.id
            for r in soft
            if self.graph.workspace.project.strategy != "chain_of_command" or r.rank == top_rank
        ]
        costs = tuple((t.stakeholder, kl(t.distribution, intended)) for t in targets)
        stakeholders = {r.stakeholder for r in rules}
        weight = (
            math.fsum(self.graph.workspace.project.settings(s).weight for s in stakeholders)
            if stakeholders
            else 1.0
        )
        cell = ResolvedCell(
            classes=classes,
            intended=intended,
            lo=lo,
            hi=hi,
            applied=tuple(sorted(r.id for r in rules)),
            winners=tuple(sorted([r.id for r in bounds.kept] + deciding)),
            overridden=tuple(sorted(bounds.overridden, key=lambda o: o.rule)),
            adjusted=tuple(sorted(bounds.adjusted, key=lambda a: (a.rule, a.by))),
            dropped=(),
            targets=tuple((t.stakeholder, t.distribution, t.influence) for t in targets),
            costs=costs,
            weight=weight,
        )
        return CellOutcome(cell, bounds.contradiction)


def resolve(graph: ObjectiveGraph, dropped: frozenset[str] = frozenset()) -> Resolution:
    """Resolve every behavior of the graph, leaving out the ``dropped`` rules.

    The cells of every behavior are counted first, and nothing is resolved when a
    behavior has more than ``limits.max_cells_per_behavior`` (PK218) or all together
    more than ``limits.max_cells`` (PK216): the count is cheap, the cells are not.
    """
    ctx = Permissions(graph)
    plans = [plan_of(graph, behavior, dropped) for behavior in graph.behaviors()]
    diagnostics = cap_errors(graph, [(p.behavior, p.count) for p in plans])
    if diagnostics:
        return Resolution(tuple(_empty(p) for p in plans), tuple(diagnostics))
    behaviors = []
    for plan in plans:
        resolved, errors = _resolve_behavior(graph, ctx, plan)
        behaviors.append(resolved)
        diagnostics += errors
    return Resolution(tuple(behaviors), tuple(diagnostics))


def _empty(plan: Plan) -> BehaviorResolution:
    outcomes = plan.graph.outcomes[plan.behavior]
    return BehaviorResolution(plan.behavior, outcomes, plan.names, plan.classes, ())


def _resolve_behavior(
    graph: ObjectiveGraph, ctx: Permissions, plan: Plan
) -> tuple[BehaviorResolution, list[Diagnostic]]:
    """The behavior's cells, and its errors."""
    behavior, refs, gone = plan.behavior, plan.refs, plan.gone
    resolver = _CellResolver(graph, ctx, behavior)
    dims, class_masks = plan.dims, plan.class_masks
    names, classes = plan.names, plan.classes
    low = (1 << len(refs)) - 1
    cache: dict[int, ResolvedCell] = {}
    cells = []
    errors: list[Diagnostic] = []
    boxes = excluded(graph)
    unreported: dict[int, str] = {}  # contradictions met only in excluded cells so far
    for combo, members, scope in plan.cells():
        rules = [refs[i] for i in bits(members & low)]
        gone_here = tuple(sorted(r.id for r in gone if _covers(r.masks, dims, class_masks, combo)))
        cached = cache.get(members)
        if cached is None:
            outcome = resolver.resolve(tuple(combo), rules, scope)
            cell = outcome.cell
            if outcome.contradiction is not None:
                message = outcome.contradiction.message()
                if boxes and only_excluded(_cell_box(graph, dims, class_masks, combo), boxes):
                    unreported[members] = message  # reported if an allowed cell meets it
                else:
                    errors.append(
                        cell_error(graph, behavior, rules, names, classes, combo, message)
                    )
            cache[members] = cell
        else:
            cell = replace(cached, classes=tuple(combo))
            pending = unreported.get(members)
            if pending is not None and not only_excluded(
                _cell_box(graph, dims, class_masks, combo), boxes
            ):
                del unreported[members]
                errors.append(cell_error(graph, behavior, rules, names, classes, combo, pending))
        if gone_here:
            cell = replace(cell, dropped=gone_here)
        cells.append(cell)
    return BehaviorResolution(behavior, resolver.outcomes, names, classes, tuple(cells)), errors


def _cell_box(
    graph: ObjectiveGraph, dims: list[int], class_masks: list[list[int]], combo: tuple[int, ...]
) -> Masks:
    """The contexts of one cell, as masks (its class on each dividing dimension)."""
    box = list(graph.space.full)
    for i, (d, c) in enumerate(zip(dims, combo, strict=True)):
        box[d] = class_masks[i][c]
    return tuple(box)


def _covers(
    masks: Masks, dims: list[int], class_masks: list[list[int]], combo: tuple[int, ...]
) -> bool:
    return all(
        masks[d] & class_masks[i][c] for i, (d, c) in enumerate(zip(dims, combo, strict=True))
    )
