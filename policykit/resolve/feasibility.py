"""What resolution can reject, found without resolving: how finely a behavior's rules
cut its context space (PK218, PK216), and hard rules of one rank that cannot all hold
in some cell (PK420).

Resolution meets these while it resolves; ``validate`` asks the same questions, through
this same code, so that it reports everything ``compile`` would reject (see
``docs/semantics.md``: validate has an error exactly when compile fails).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from policykit.codes import PK216, PK218, PK420, diag, over_cap
from policykit.diagnostics import Diagnostic, Related
from policykit.graph.context import excluded, only_excluded
from policykit.graph.numbers import TOLERANCE, Vector, bit_indices, bits, bitset, feasible, meet
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.permissions import Permissions
from policykit.graph.scope import Masks, is_empty


def holds(hard: Iterable[RuleRef]) -> bool:
    """Whether these hard rules can all hold together."""
    lo: tuple[float, ...] | None = None
    hi: tuple[float, ...] = ()
    for r in hard:
        if lo is None:
            lo, hi = r.lo, r.hi
        else:
            lo, hi = meet(lo, hi, r.lo, r.hi)
    return lo is None or feasible(lo, hi)


def contradiction(hard: Sequence[RuleRef]) -> Contradiction | None:
    """The highest rank whose hard rules (of one cell) cannot all hold, if any."""
    if holds(hard):
        return None
    ordered = sorted(hard, key=lambda r: (-r.rank, r.stakeholder, r.id))
    for rank, group in itertools.groupby(ordered, key=lambda r: r.rank):
        members = list(group)
        if not holds(members):
            return Contradiction(rank, tuple(r.id for r in members))
    return None


@dataclass(frozen=True, slots=True)
class Contradiction:
    """Hard rules of one rank that cannot all hold in a cell (PK420)."""

    rank: int
    rules: tuple[str, ...]

    def message(self) -> str:
        ids = ", ".join(repr(r) for r in self.rules)
        return f"hard rules of rank {self.rank} cannot all hold: {ids}"


def partition(
    graph: ObjectiveGraph, refs: Sequence[RuleRef], extra: Sequence[Masks] = ()
) -> tuple[list[int], list[list[int]], list[list[int]]]:
    """Cut the space for these rules: the dimensions that matter, their value classes
    (as masks) and, per class, the bit set of rules that cover it. ``extra`` scopes
    (the grants': where a right to adjust begins or ends) cut the space too; they take
    the bits after the rules'. Scopes that follow the rules' cuts change nothing."""
    dims: list[int] = []
    class_masks: list[list[int]] = []
    class_rules: list[list[int]] = []
    scopes = [r.masks for r in refs] + [m for m in extra if not is_empty(m)]
    n = len(scopes)
    for d, dim in enumerate(graph.space.dimensions):
        # per value, the rules covering it: built from each rule's values, so the work
        # is the rules' scopes, not every value times every rule
        full = graph.space.full[d]
        members: list[list[int]] = [[] for _ in dim.values]
        everywhere = []
        for i, masks in enumerate(scopes):
            mask = masks[d]
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


class Plan:
    """One behavior's rules and how they cut its context space, before any cell is
    resolved."""

    def __init__(
        self, graph: ObjectiveGraph, behavior: str, refs: list[RuleRef], gone: list[RuleRef]
    ) -> None:
        self.graph = graph
        self.behavior = behavior
        self.refs = refs
        self.gone = gone
        grants = Permissions(graph).grant_masks(behavior) if graph.grants else ()
        self.scopes = len(refs) + sum(1 for m in grants if not is_empty(m))
        self.dims, self.class_masks, self.class_rules = partition(graph, refs, grants)
        self.count = math.prod(len(c) for c in self.class_masks)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The dimensions that divide the behavior's cells, in the space's order."""
        return tuple(self.graph.space.dimensions[d].id for d in self.dims)

    @cached_property
    def classes(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """Per dimension above, its value classes (each a tuple of values)."""
        space = self.graph.space
        return tuple(
            tuple(tuple(space.values_of(d, m)) for m in masks)
            for d, masks in zip(self.dims, self.class_masks, strict=True)
        )

    def cells(self) -> Iterator[tuple[tuple[int, ...], int, Masks]]:
        """Each cell in row-major order: its class per dimension, the bit set of the
        rules (bits below ``len(refs)``) and grant scopes covering it, and its scope."""
        full = self.graph.space.full
        everyone = (1 << self.scopes) - 1
        for combo in itertools.product(*(range(len(c)) for c in self.class_masks)):
            members = everyone
            for d_index, c in enumerate(combo):
                members &= self.class_rules[d_index][c]
            scope = list(full)
            for d, masks_d, c in zip(self.dims, self.class_masks, combo, strict=True):
                scope[d] = masks_d[c]
            yield combo, members, tuple(scope)

    def contradictions(self) -> list[Diagnostic]:
        """PK420 for hard rules of one rank that cannot all hold in some cell though no
        two of them contradict each other (two that do are PK401, an error already).

        Each rank's hard rules are checked on the cells they alone cut, so a rank whose
        rules leave room even if they all met (nearly every one) costs one pass, and
        the others are walked over their own rules only."""
        ranks: dict[int, list[RuleRef]] = {}
        for r in self.refs:
            if r.hard:
                ranks.setdefault(r.rank, []).append(r)
        errors: list[Diagnostic] = []
        for rank in sorted(ranks, reverse=True):
            group = ranks[rank]
            if len(group) > 2 and not _sums_hold(group):
                errors += self._joint(rank, group)
        return errors

    def _joint(self, rank: int, group: list[RuleRef]) -> list[Diagnostic]:
        # whether rules can all hold depends only on which distinct bounds are among
        # them, and rules repeat a handful: the answer is kept per set of bounds
        kinds: dict[tuple[Vector, Vector], list[int]] = {}
        for i, r in enumerate(group):
            kinds.setdefault((r.lo, r.hi), []).append(i)
        reps = [group[ks[0]] for ks in kinds.values()]
        if not _may_fail_jointly(reps):
            return []
        kind_bits = [bitset(ks, len(group)) for ks in kinds.values()]
        graph, space = self.graph, self.graph.space
        dims, class_masks, class_rules = partition(graph, group)
        if math.prod(len(c) for c in class_masks) > graph.workspace.project.limits.max_cells:
            return []  # more cells than the project may have: PK218 or PK216 says so
        names = tuple(space.dimensions[d].id for d in dims)
        classes = tuple(
            tuple(tuple(space.values_of(d, m)) for m in masks)
            for d, masks in zip(dims, class_masks, strict=True)
        )
        everyone = (1 << len(group)) - 1
        verdict: dict[int, bool] = {}
        seen: set[int] = set()
        errors: list[Diagnostic] = []
        boxes = excluded(graph)
        for combo in itertools.product(*(range(len(c)) for c in class_masks)):
            members = everyone
            for d_index, c in enumerate(combo):
                members &= class_rules[d_index][c]
            if members in seen:
                continue
            if boxes:
                # a cell the project's context space excludes is never resolved for use:
                # compile reports PK420 only where an allowed context meets it
                box = list(space.full)
                for d, masks_d, c in zip(dims, class_masks, combo, strict=True):
                    box[d] = masks_d[c]
                if only_excluded(tuple(box), boxes):
                    continue
            seen.add(members)
            present = sum(1 << j for j, b in enumerate(kind_bits) if members & b)
            joint = verdict.get(present)
            if joint is None:
                here = [reps[j] for j in bits(present)]
                joint = verdict[present] = not (
                    len(here) < 3 or _sums_hold(here) or _pairwise(here)
                )
            if not joint:
                continue
            rules = [group[i] for i in bits(members)]
            ids = tuple(r.id for r in sorted(rules, key=lambda r: (r.stakeholder, r.id)))
            message = Contradiction(rank, ids).message()
            errors.append(cell_error(graph, self.behavior, rules, names, classes, combo, message))
        return errors


def _may_fail_jointly(reps: Sequence[RuleRef], budget: int = 4096) -> bool:
    """Whether some set of these bounds, no two of which contradict, fails in sum: only
    such a set can be a PK420 that is not a PK401. Failing in sum grows with the set,
    so the maximal sets free of contradicting pairs are tried (by backtracking, up to
    ``budget`` steps; past it the answer is "maybe")."""
    n = len(reps)
    clash = [0] * n
    for a, b in itertools.combinations(range(n), 2):
        if not holds((reps[a], reps[b])):
            clash[a] |= 1 << b
            clash[b] |= 1 << a
    steps = 0

    def grow(chosen: int, allowed: int) -> bool:
        nonlocal steps
        steps += 1
        if steps > budget:
            return True
        if not allowed:
            picked = [reps[i] for i in bits(chosen)]
            return len(picked) > 2 and not _sums_hold(picked)
        i = (allowed & -allowed).bit_length() - 1
        rest = allowed & ~(1 << i)
        if grow(chosen | 1 << i, rest & ~clash[i]):
            return True
        # leaving i out only matters if something that clashes with i can come in
        return bool(clash[i] & rest) and grow(chosen, rest)

    return grow(0, (1 << n) - 1)


def _sums_hold(hard: Sequence[RuleRef]) -> bool:
    """Whether the rules' strongest bounds per outcome leave room in sum: if so, any of
    them that cannot all hold have two that cannot (on one outcome's bounds)."""
    n = len(hard[0].lo)
    lo = math.fsum(max(r.lo[k] for r in hard) for k in range(n))
    hi = math.fsum(min(r.hi[k] for r in hard) for k in range(n))
    return lo <= 1 + TOLERANCE and hi >= 1 - TOLERANCE


def _pairwise(rules: Sequence[RuleRef]) -> bool:
    """Whether two of the rules cannot both hold: the analysis reports that pair as
    PK401, so PK420 would repeat it. Rules repeat a handful of bounds, so distinct
    bounds are compared; two whose bounds cross on one outcome are found first."""
    distinct = list({(r.lo, r.hi): r for r in rules}.values())
    n = len(distinct[0].lo)
    for k in range(n):
        if max(r.lo[k] for r in distinct) > min(r.hi[k] for r in distinct) + TOLERANCE:
            return True
    return any(not holds((a, b)) for a, b in itertools.combinations(distinct, 2))


def plan_of(graph: ObjectiveGraph, behavior: str, dropped: frozenset[str] = frozenset()) -> Plan:
    """How the behavior's rules, less the ``dropped`` ones, cut its context space."""
    all_refs = [r for r in graph.rules_for(behavior) if not is_empty(r.masks)]
    if not dropped:
        return Plan(graph, behavior, all_refs, [])
    refs = [r for r in all_refs if r.id not in dropped]
    gone = [r for r in all_refs if r.id in dropped]
    return Plan(graph, behavior, refs, gone)


def cap_errors(graph: ObjectiveGraph, counts: Sequence[tuple[str, int]]) -> list[Diagnostic]:
    """PK218 for each behavior cut into more cells than the cap, and PK216 when the
    others together have more than the project's cap (``counts``: every behavior's
    cell count, in the project's order)."""
    limits = graph.workspace.project.limits
    errors: list[Diagnostic] = []
    total = 0
    for behavior, count in counts:
        if count > limits.max_cells_per_behavior:
            errors.append(
                over_cap(
                    PK218,
                    behavior,
                    graph.workspace.origins[behavior].position(),
                    f"divide its context space into {count} cells",
                    limits.max_cells_per_behavior,
                    hint="use fewer distinct when value sets on the behavior, or raise "
                    "limits.max_cells_per_behavior in the project file",
                )
            )
        else:
            total += count
    if total > limits.max_cells:
        largest, most = max(counts, key=lambda bc: bc[1])
        file, line, col = graph.workspace.origins[largest].position()
        errors.append(
            diag(
                PK216,
                f"the rules divide the project's behaviors into {total} cells together, "
                f"more than the cap of {limits.max_cells} (the most: {most} in "
                f"{largest!r})",
                file,
                line,
                col,
                hint="use fewer distinct when value sets, or raise limits.max_cells in the "
                "project file",
            )
        )
    return errors


def cell_error(
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
