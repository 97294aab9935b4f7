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

from policykit.codes import PK216, PK218, PK420, diag
from policykit.diagnostics import Diagnostic, Related
from policykit.graph.context import excluded, only_excluded
from policykit.graph.numbers import (
    Vector,
    bit_indices,
    bits,
    bitset,
    compatible,
    feasible,
    inside,
    meet,
)
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.permissions import Adjustment, Permissions
from policykit.graph.scope import Masks, is_empty
from policykit.resolve.distributions import kl, project
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
class Contradiction:
    """Hard rules of one rank that cannot all hold in a cell (PK420)."""

    rank: int
    rules: tuple[str, ...]

    def message(self) -> str:
        ids = ", ".join(repr(r) for r in self.rules)
        return f"hard rules of rank {self.rank} cannot all hold: {ids}"


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


def partition(
    graph: ObjectiveGraph, refs: Sequence[RuleRef]
) -> tuple[list[int], list[list[int]], list[list[int]]]:
    """Cut the space for these rules: the dimensions that matter, their value classes
    (as masks) and, per class, the bit set of rules that cover it."""
    dims: list[int] = []
    class_masks: list[list[int]] = []
    class_rules: list[list[int]] = []
    n = len(refs)
    for d, dim in enumerate(graph.space.dimensions):
        # per value, the rules covering it: built from each rule's values, so the work
        # is the rules' scopes, not every value times every rule
        full = graph.space.full[d]
        members: list[list[int]] = [[] for _ in dim.values]
        everywhere = []
        for i, r in enumerate(refs):
            mask = r.masks[d]
            if mask == full:
                everywhere.append(i)
            else:
                for v in bit_indices(mask):
                    members[v].append(i)
        if len(everywhere) == n:
            continue
        base = bitset(everywhere, n)
        groups: dict[int, int] = {}
        for v, covering in enumerate(members):
            key = base | bitset(covering, n) if covering else base
            groups[key] = groups.get(key, 0) | (1 << v)
        if len(groups) < 2:
            continue
        # classes in the order of their first value, so cells are stable
        ordered = sorted(groups.items(), key=lambda kv: kv[1] & -kv[1])
        dims.append(d)
        class_masks.append([m for _, m in ordered])
        class_rules.append([c for c, _ in ordered])
    return dims, class_masks, class_rules


def stakeholder_targets(soft: Sequence[RuleRef]) -> list[Target]:
    """One target per stakeholder: the weight-averaged targets of its rules, with the
    stakeholder's weight times its mean rule weight as influence."""
    by_stakeholder: dict[str, list[RuleRef]] = defaultdict(list)
    for r in soft:
        by_stakeholder[r.stakeholder].append(r)
    out = []
    for name in sorted(by_stakeholder):
        rules = sorted(by_stakeholder[name], key=lambda r: r.id)
        weights = [r.rule.weight for r in rules]
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

    def hard_bounds(self, hard: Sequence[RuleRef]) -> HardBounds:
        """Bounds from the hard rules, rank by rank, up to the first rank whose rules
        cannot all hold."""
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
            g_lo, g_hi = self.full
            for r in members:
                g_lo, g_hi = meet(g_lo, g_hi, r.lo, r.hi)
            if not feasible(g_lo, g_hi):
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
                    adj = self.ctx.adjustment(r, s)
                    if adj is None or not inside(r.lo, r.hi, adj.lo, adj.hi):
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

    def resolve(self, classes: tuple[int, ...], rules: Sequence[RuleRef]) -> CellOutcome:
        hard = [r for r in rules if r.hard]
        soft = [r for r in rules if not r.hard]
        bounds = self.hard_bounds(hard)
        lo, hi = bounds.lo, bounds.hi
        targets = stakeholder_targets(soft)
        if bounds.contradiction is not None:
            intended = self.default
        elif targets:
            intended = self.strategy(targets, lo, hi)
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
            math.fsum(self.graph.workspace.project.settings(s).weight for s in stakeholders)  # type: ignore[arg-type]
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
    limits = graph.workspace.project.limits
    plans = []
    diagnostics: list[Diagnostic] = []
    total = 0
    for behavior in graph.behaviors():
        all_refs = [r for r in graph.rules_for(behavior) if not is_empty(r.masks)]
        refs = [r for r in all_refs if r.id not in dropped]
        gone = [r for r in all_refs if r.id in dropped]
        plan = _Plan(graph, behavior, refs, gone)
        if plan.count > limits.max_cells_per_behavior:
            diagnostics.append(plan.too_many(limits.max_cells_per_behavior))
        else:
            total += plan.count
        plans.append(plan)
    if total > limits.max_cells:
        largest = max(plans, key=lambda p: p.count)
        file, line, col = graph.workspace.origins[largest.behavior].position()
        diagnostics.append(
            diag(
                PK216,
                f"the rules divide the project's behaviors into {total} cells together, "
                f"more than the cap of {limits.max_cells} (the most: {largest.count} in "
                f"{largest.behavior!r})",
                file,
                line,
                col,
                hint="use fewer distinct when value sets, or raise limits.max_cells in the "
                "project file",
            )
        )
    if diagnostics:
        return Resolution(tuple(p.empty() for p in plans), tuple(diagnostics))
    behaviors = []
    for plan in plans:
        resolved, errors = _resolve_behavior(graph, ctx, plan)
        behaviors.append(resolved)
        diagnostics += errors
    return Resolution(tuple(behaviors), tuple(diagnostics))


class _Plan:
    """One behavior's rules and how they cut its context space, before any cell is
    resolved."""

    def __init__(
        self, graph: ObjectiveGraph, behavior: str, refs: list[RuleRef], gone: list[RuleRef]
    ) -> None:
        self.graph = graph
        self.behavior = behavior
        self.refs = refs
        self.gone = gone
        self.dims, self.class_masks, self.class_rules = partition(graph, refs)
        space = graph.space
        self.count = math.prod(len(c) for c in self.class_masks)
        self.names = tuple(space.dimensions[d].id for d in self.dims)
        self.classes = tuple(
            tuple(tuple(space.values_of(d, m)) for m in masks)
            for d, masks in zip(self.dims, self.class_masks, strict=True)
        )

    def empty(self) -> BehaviorResolution:
        outcomes = self.graph.outcomes[self.behavior]
        return BehaviorResolution(self.behavior, outcomes, self.names, self.classes, ())

    def too_many(self, cap: int) -> Diagnostic:
        file, line, col = self.graph.workspace.origins[self.behavior].position()
        return diag(
            PK218,
            f"the rules on {self.behavior!r} divide its context space into {self.count} "
            f"cells, more than the cap of {cap}",
            file,
            line,
            col,
            behavior=self.behavior,
            hint="use fewer distinct when value sets on the behavior, or raise "
            "limits.max_cells_per_behavior in the project file",
        )


def _resolve_behavior(
    graph: ObjectiveGraph, ctx: Permissions, plan: _Plan
) -> tuple[BehaviorResolution, list[Diagnostic]]:
    """The behavior's cells, and its errors."""
    behavior, refs, gone = plan.behavior, plan.refs, plan.gone
    resolver = _CellResolver(graph, ctx, behavior)
    dims, class_masks, class_rules = plan.dims, plan.class_masks, plan.class_rules
    names, classes = plan.names, plan.classes
    everyone = (1 << len(refs)) - 1
    cache: dict[int, ResolvedCell] = {}
    cells = []
    errors: list[Diagnostic] = []
    boxes = excluded(graph)
    unreported: dict[int, str] = {}  # contradictions met only in excluded cells so far
    for combo in itertools.product(*(range(len(c)) for c in class_masks)):
        members = everyone
        for d_index, c in enumerate(combo):
            members &= class_rules[d_index][c]
        rules = [refs[i] for i in bits(members)]
        gone_here = tuple(sorted(r.id for r in gone if _covers(r.masks, dims, class_masks, combo)))
        cached = cache.get(members)
        if cached is None:
            outcome = resolver.resolve(tuple(combo), rules)
            cell = outcome.cell
            if outcome.contradiction is not None:
                message = outcome.contradiction.message()
                if boxes and only_excluded(_cell_box(graph, dims, class_masks, combo), boxes):
                    unreported[members] = message  # reported if an allowed cell meets it
                else:
                    errors.append(
                        _cell_error(graph, behavior, rules, names, classes, combo, message)
                    )
            cache[members] = cell
        else:
            cell = replace(cached, classes=tuple(combo))
            pending = unreported.get(members)
            if pending is not None and not only_excluded(
                _cell_box(graph, dims, class_masks, combo), boxes
            ):
                del unreported[members]
                errors.append(_cell_error(graph, behavior, rules, names, classes, combo, pending))
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


def _cell_error(
    graph: ObjectiveGraph,
    behavior: str,
    rules: Sequence[RuleRef],
    names: tuple[str, ...],
    classes: tuple[tuple[tuple[str, ...], ...], ...],
    combo: tuple[int, ...],
    message: str,
) -> Diagnostic:
    where = (
        ", ".join(
            f"{name}={classes[i][c][0]}"
            for i, (name, c) in enumerate(zip(names, combo, strict=True))
        )
        or "every context"
    )
    hard = sorted((r for r in rules if r.hard), key=lambda r: r.order)
    first = hard[0]
    line, col = first.position()
    return diag(
        PK420,
        f"in {where}: {message}",
        first.file,
        line,
        col,
        related=tuple(Related(f"{r.label()}", r.file, *r.position()) for r in hard[1:]),
        behavior=behavior,
        stakeholders=tuple(sorted({r.stakeholder for r in hard})),
        hint="loosen one of the bounds, or narrow a rule's when so they no longer meet",
    )
