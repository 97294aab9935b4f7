"""The indexed engine that finds overlapping pairs of rules without comparing all pairs.

Rules are first split by behavior. Within a behavior, rules with the same signature
(stakeholder, rank, bounds, target, permissions) and the same scope form one *class*:
they behave identically in every check, so each check runs once per pair of classes.
Classes are found through a per-dimension index: for every dimension value, a bit set
of the classes whose scope includes it. The classes overlapping a scope are the AND,
over the dimensions the scope narrows, of the OR of its values' bit sets; ANDing that
with the classes whose signatures can conflict gives exactly the candidate pairs, so
the work grows with the number of classes and findings, not with rules squared.

Behaviors without grants (nearly all) take a faster road over the same idea: the
checks then depend on signatures alone, so the partners of a rule for each code are
the AND of two bit sets *over rules* (those overlapping it, those whose signature yields
the code against its own), counted with a popcount; and a rule is shadowed when its
cells are inside the union of the cells of every rule whose signature can nullify its
own, which is one AND over the (small) context space. A hot behavior's thousands of
rules then cost a few integer operations each instead of a walk over every
overlapping class.

``tests/analyze/reference.py`` holds the all-pairs reference this engine is tested
against on random projects.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from policykit.analyze.conflicts import (
    SOFT_ARRAYS_FROM,
    SOFT_PAIR_COST,
    SYMMETRIC,
    VIOLATIONS,
    pair_codes,
    soft_pair_codes,
)
from policykit.analyze.context import Context
from policykit.analyze.shadow import nullifies
from policykit.codes import PK402, PK412, Code
from policykit.graph.context import excluded, overlap_excluded
from policykit.graph.numbers import bit_indices, bits, bitset
from policykit.graph.objective import RuleRef, within_vectors
from policykit.graph.scope import COVER_LIMIT, Masks, covered, is_empty, overlaps
from policykit.util.frozen import direct_init


@direct_init
@dataclass(frozen=True, slots=True)
class PairFinding:
    """Rule ``rule`` has finding ``code`` against ``count`` rules; ``other`` is the one
    of highest precedence (highest rank, then earliest in the project)."""

    code: Code
    rule: RuleRef
    other: RuleRef
    count: int

    def key(self) -> tuple[str, int, int, int]:
        return (self.code, self.rule.order, self.other.order, self.count)


def precedence(r: RuleRef) -> tuple[int, int]:
    return (-r.rank, r.order)


def eligible(code: Code, r: RuleRef, s: RuleRef) -> bool:
    """Whether a pair found from ``r``'s side is reported there (symmetric codes are
    reported once, on the rule of lower precedence)."""
    if s is r:
        return False
    return code not in SYMMETRIC or s.rank != r.rank or s.order < r.order


def signature(r: RuleRef, outcomes: Sequence[str]) -> Hashable:
    """Everything the checks look at in a rule, positionally (outcome names are gone, so
    behaviors with as many outcomes share signatures and their cached results)."""
    rule = r.rule
    within = None if rule.within is None else within_vectors(rule.within, outcomes)
    return (
        r.stakeholder,
        r.rank,
        r.lo,
        r.hi,
        r.target,
        rule.locked,
        rule.adjustable_by,
        within,
        r.policy.on_violation,
    )


class _Class:
    __slots__ = ("masks", "members", "orders", "rep")

    def __init__(self, rep: RuleRef) -> None:
        self.rep = rep
        self.masks = rep.masks
        self.members: list[RuleRef] = []
        self.orders: list[int] = []


class BehaviorIndex:
    """The classes of one behavior's rules and the per-dimension bit sets over them."""

    def __init__(self, refs: Sequence[RuleRef], full: Masks, outcomes: Sequence[str]) -> None:
        by_key: dict[tuple[Hashable, Masks], _Class] = {}
        sig_of: dict[Hashable, int] = {}
        self.sigs: list[Hashable] = []
        self.classes: list[_Class] = []
        class_sig: list[int] = []
        for r in refs:
            if is_empty(r.masks):
                continue
            sig = signature(r, outcomes)
            key = (sig, r.masks)
            cls = by_key.get(key)
            if cls is None:
                cls = by_key[key] = _Class(r)
                self.classes.append(cls)
                if sig not in sig_of:
                    sig_of[sig] = len(self.sigs)
                    self.sigs.append(sig)
                class_sig.append(sig_of[sig])
            cls.members.append(r)
            cls.orders.append(r.order)
        self.full = full
        self.class_sig = class_sig
        self.sig_bits = [0] * len(sig_of)
        for i, s in enumerate(class_sig):
            self.sig_bits[s] |= 1 << i
        self.sig_rep = [self.classes[(b & -b).bit_length() - 1].rep for b in self.sig_bits]
        self.value_bits: list[list[int]] = [[0] * f.bit_length() for f in full]
        for i, cls in enumerate(self.classes):
            bit = 1 << i
            for d, mask in enumerate(cls.masks):
                if mask == full[d]:
                    continue
                for v in bit_indices(mask):
                    self.value_bits[d][v] |= bit
        # Classes that do not narrow a dimension match every value of it.
        self.unnarrowed = [0] * len(full)
        for i, cls in enumerate(self.classes):
            for d, mask in enumerate(cls.masks):
                if mask == full[d]:
                    self.unnarrowed[d] |= 1 << i

    def overlapping(self, masks: Masks) -> int:
        """The bit set of classes whose scope overlaps ``masks``."""
        result = (1 << len(self.classes)) - 1
        for d, mask in enumerate(masks):
            if mask == self.full[d]:
                continue
            union = self.unnarrowed[d]
            for v in bit_indices(mask):
                union |= self.value_bits[d][v]
            result &= union
            if not result:
                break
        return result


def _collect(r: RuleRef, code: Code, cls_list: list[_Class]) -> tuple[RuleRef, int] | None:
    """The counterpart of highest precedence among the classes, and how many there are."""
    first: RuleRef | None = None
    count = 0
    for cls in cls_list:
        rep = cls.rep
        if code in SYMMETRIC and rep.rank == r.rank:
            n = bisect.bisect_left(cls.orders, r.order)
            members = cls.members[:n]
        else:
            members = [m for m in cls.members if m is not r]
        if not members:
            continue
        count += len(members)
        if first is None or precedence(members[0]) < precedence(first):
            first = members[0]
    return (first, count) if first is not None else None


def behavior_findings(
    refs: Sequence[RuleRef], ctx: Context
) -> tuple[list[PairFinding], list[PairFinding]]:
    """The pair findings and the shadowed rules (as PK412 findings) of one behavior.

    A rule that violates a permission takes no part in resolution, so the other checks
    run again without the violators wherever there are any.
    """
    pairs, shadows = _findings(refs, ctx)
    boxes = excluded(ctx.graph)
    if boxes:
        pairs = _allowed(pairs, boxes)
    dropped = {f.rule.order for f in pairs if f.code in VIOLATIONS}
    kept = refs
    if dropped:
        kept = [r for r in refs if r.order not in dropped]
        again, shadows = _findings(kept, ctx)
        if boxes:
            again = _allowed(again, boxes)
        pairs = [f for f in pairs if f.code in VIOLATIONS]
        pairs += [f for f in again if f.code not in VIOLATIONS]
    # A rule overridden by a higher one does not decide its cells, so it cannot make a
    # lower rule ineffective: the shadows are found again without such nullifiers.
    weak = frozenset(f.rule.order for f in pairs if f.code == PK402)
    if shadows and weak:
        _, shadows = _findings(kept, ctx, weak)
    return pairs, _locks_at_work(shadows, [f for f in pairs if f.code in VIOLATIONS], ctx)


# A shadowed rule with a lock or a `within` can still drop the lower rules that break it;
# past this many (candidate, violator) comparisons such rules are simply not reported.
_LOCK_CHECKS = 200_000


def _locks_at_work(
    shadows: list[PairFinding], violations: list[PairFinding], ctx: Context
) -> list[PairFinding]:
    """The shadows whose rule takes no effect through its permissions either: a rule
    whose lock (PK404) or `within` (PK405) a lower rule breaks has that rule dropped, so
    removing it would change the spec, and PK412 would be wrong."""
    if not shadows or not violations:
        return shadows
    named = {f.other.order for f in violations}
    several = [f.rule for f in violations if f.count > 1]
    guarded = [f for f in shadows if f.rule.rule.is_locked or f.rule.rule.within is not None]
    exhaustive = len(several) * len(guarded) <= _LOCK_CHECKS
    out = []
    for f in shadows:
        r = f.rule
        if r.order in named:
            continue
        guarding = several and (r.rule.is_locked or r.rule.within is not None)
        if guarding and (
            not exhaustive
            or any(
                overlaps(v.masks, r.masks) and VIOLATIONS.intersection(pair_codes(v, r, ctx))
                for v in several
            )
        ):
            continue
        out.append(f)
    return out


def _allowed(pairs: list[PairFinding], boxes: tuple[Masks, ...]) -> list[PairFinding]:
    """The findings that hold somewhere in the project's context space: a pair whose
    rules meet only in excluded contexts is left out. A finding against several rules
    names one of them; it is kept unless that one is its only partner (the others may
    meet the rule in allowed contexts), so exclusions never hide a real finding, at the
    price of keeping some against excluded-only partners (documented in the README)."""
    return [
        f
        for f in pairs
        if not (f.count == 1 and overlap_excluded(f.rule.masks, f.other.masks, boxes))
    ]


def candidate_pairs(refs: Sequence[RuleRef], ctx: Context) -> int:
    """How many pairs the checks of one behavior may compare, counted before any is
    compared: pairs of signatures, and on a behavior with grants also the pairs of
    classes (rules alike in signature and scope) whose scopes meet."""
    if not refs:
        return 0
    outcomes = ctx.graph.outcomes[refs[0].behavior]
    if refs[0].behavior not in ctx.grants:
        # pairs of soft signatures are compared on arrays: SOFT_PAIR_COST of them cost
        # about what one other pair does
        reps = {signature(r, outcomes): r.target is not None for r in refs}
        distinct, soft = len(reps), sum(reps.values())
        if soft < SOFT_ARRAYS_FROM:
            return distinct * distinct
        return distinct * distinct - soft * soft + soft * soft // SOFT_PAIR_COST
    index = BehaviorIndex(refs, ctx.graph.space.full, outcomes)
    overlapping = sum(index.overlapping(cls.masks).bit_count() for cls in index.classes)
    return len(index.sigs) ** 2 + overlapping


def _soft_rows(
    soft: list[int],
    sig_rep: list[RuleRef],
    sig_members: list[list[int]],
    m: int,
    ctx: Context,
) -> dict[int, dict[Code, int]]:
    """Per soft signature, for each code, the bit set of the rules (of soft signatures)
    it is found against."""
    import numpy as np

    # rule k of a soft signature stands at column place[k] of the soft signatures
    column = np.full(m, -1)
    for i, a in enumerate(soft):
        column[sig_members[a]] = i
    on = column >= 0
    where = np.where(on, column, 0)
    out: dict[int, dict[Code, int]] = {}
    for i, found in soft_pair_codes([sig_rep[a] for a in soft], ctx):
        row: dict[Code, int] = {}
        for code, hits in found.items():
            if hits.any():
                per_rule = hits[where] & on
                row[code] = int.from_bytes(np.packbits(per_rule, bitorder="little"), "little")
        if row:
            out[soft[i]] = row
    return out


def _findings(
    refs: Sequence[RuleRef], ctx: Context, weak: frozenset[int] = frozenset()
) -> tuple[list[PairFinding], list[PairFinding]]:
    """Pair findings and shadows; the rules whose ``order`` is in ``weak`` are not
    counted as nullifiers."""
    # Permissions granted by a `grant` depend on where two rules overlap, not only on
    # their signatures: behaviors with grants are checked per pair of classes.
    if refs and refs[0].behavior not in ctx.grants:
        return _rule_findings(refs, ctx, weak)
    return _class_findings(refs, ctx, weak)


def _signature_partners(index: BehaviorIndex, ctx: Context) -> tuple[list[int], list[int]]:
    """Per signature, the classes of the signatures that its representative has a
    finding against, and of those that may nullify it (hard and of higher rank)."""
    nsig = len(index.sigs)
    partners = [0] * nsig
    null_partners = [0] * nsig
    for a in range(nsig):
        ra = index.sig_rep[a]
        for b in range(nsig):
            rb = index.sig_rep[b]
            if pair_codes(ra, rb, ctx):
                partners[a] |= index.sig_bits[b]
            if rb.hard and rb.rank > ra.rank:
                null_partners[a] |= index.sig_bits[b]
    return partners, null_partners


def _class_findings(
    refs: Sequence[RuleRef], ctx: Context, weak: frozenset[int] = frozenset()
) -> tuple[list[PairFinding], list[PairFinding]]:
    """The findings of one behavior with grants, per pair of overlapping classes: a
    `grant`'s permissions depend on where two rules overlap, so the checks run on the
    classes themselves, not on their signatures alone (nor are they cached)."""
    outcomes = ctx.graph.outcomes[refs[0].behavior] if refs else ()
    index = BehaviorIndex(refs, ctx.graph.space.full, outcomes)
    partners, null_partners = _signature_partners(index, ctx)
    pairs: list[PairFinding] = []
    shadows: list[PairFinding] = []
    classes = index.classes
    class_sig = index.class_sig
    for i, cls in enumerate(classes):
        sig = class_sig[i]
        rep = cls.rep
        overlap = index.overlapping(cls.masks)
        by_code: dict[Code, list[_Class]] = {}
        for j in bits(overlap & partners[sig]):
            other = classes[j]
            for code in pair_codes(rep, other.rep, ctx):
                by_code.setdefault(code, []).append(other)
        nullifying = [
            classes[j]
            for j in bits(overlap & null_partners[sig])
            # the members of a class are alike: overridden all, or none
            if classes[j].rep.order not in weak and nullifies(rep, classes[j].rep, ctx)
        ]
        shadowed = (
            bool(nullifying) and covered(cls.masks, sorted({c.masks for c in nullifying})) is True
        )
        if not by_code and not shadowed:
            continue
        for r in cls.members:
            for code, cls_list in by_code.items():
                hit = _collect(r, code, cls_list)
                if hit is not None:
                    pairs.append(PairFinding(code, r, hit[0], hit[1]))
            if shadowed:
                hit = _collect(r, PK412, nullifying)
                if hit is not None:
                    shadows.append(PairFinding(PK412, r, hit[0], hit[1]))
    return pairs, shadows


class _Cells:
    """Scopes as bit sets over the cells of a small context space: cell
    ``sum(v[d] * stride[d])`` for value ``v[d]`` of each dimension, the last dimension
    varying fastest. A scope is the product over its dimensions of
    ``sum(2 ** (v * stride))`` for its values: the terms never carry into each other,
    so the product has exactly the bits of the scope's cells."""

    def __init__(self, full: Masks, memo: dict[Masks, int]) -> None:
        strides = []
        stride = 1
        for f in reversed(full):
            strides.append(stride)
            stride *= f.bit_length()
        self.strides = strides[::-1]
        self.factors: list[dict[int, int]] = [{} for _ in full]
        self.memo = memo

    def of(self, masks: Masks) -> int:
        cells = self.memo.get(masks)
        if cells is None:
            cells = 1
            for d, mask in enumerate(masks):
                factor = self.factors[d].get(mask)
                if factor is None:
                    stride = self.strides[d]
                    factor = self.factors[d][mask] = sum(1 << (v * stride) for v in bits(mask))
                cells *= factor
            self.memo[masks] = cells
        return cells


def _space_cells(full: Masks) -> int:
    n = 1
    for f in full:
        n *= f.bit_length()
    return n


class _RuleSets:
    """One behavior's rules as bit sets over them: bit ``k`` stands for ``rules[k]``, in
    project order, so among rules of one rank the lowest bit is the one of highest
    precedence. Holds the rules of each signature and of each rank, and per dimension
    the rules that include each value, from which :meth:`overlapping` finds the rules
    that meet a scope."""

    __slots__ = (
        "everyone",
        "full",
        "meets",
        "rank_bits",
        "ranks",
        "rule_sig",
        "rules",
        "sig_bits",
        "sig_members",
        "sig_rep",
        "sigs",
        "unnarrowed",
        "value_bits",
    )

    def __init__(self, rules: list[RuleRef], outcomes: Sequence[str], full: Masks) -> None:
        m = len(rules)
        sig_of: dict[Hashable, int] = {}
        sigs: list[Hashable] = []
        sig_members: list[list[int]] = []
        sig_rep: list[RuleRef] = []
        rule_sig: list[int] = []
        by_rank: dict[int, list[int]] = {}
        # per dimension, the rules by their mask on it: a dimension has few distinct masks
        by_mask: list[dict[int, list[int]]] = [{} for _ in full]
        for k, r in enumerate(rules):
            sig = signature(r, outcomes)
            a = sig_of.get(sig)
            if a is None:
                a = sig_of[sig] = len(sigs)
                sigs.append(sig)
                sig_members.append([])
                sig_rep.append(r)
            sig_members[a].append(k)
            rule_sig.append(a)
            by_rank.setdefault(r.rank, []).append(k)
            for groups, mask in zip(by_mask, r.masks, strict=True):
                group = groups.get(mask)
                if group is None:
                    groups[mask] = [k]
                else:
                    group.append(k)
        self.rules = rules
        self.sigs = sigs
        """The distinct signatures, in order of first appearance."""
        self.sig_members = sig_members
        """Per signature, the indices of its rules."""
        self.sig_rep = sig_rep
        """Per signature, its first rule."""
        self.sig_bits = [bitset(ks, m) for ks in sig_members]
        self.rule_sig = rule_sig
        """Per rule, its signature."""
        self.rank_bits = {rank: bitset(ks, m) for rank, ks in by_rank.items()}
        self.ranks = sorted(self.rank_bits, reverse=True)
        self.full = full
        self.everyone = (1 << m) - 1
        self.value_bits = [[0] * f.bit_length() for f in full]
        """Per dimension and value, the rules that narrow the dimension to values
        including it."""
        self.unnarrowed = [0] * len(full)
        """Per dimension, the rules that do not narrow it."""
        for d, groups in enumerate(by_mask):
            for mask, ks in groups.items():
                having = bitset(ks, m)
                if mask == full[d]:
                    self.unnarrowed[d] = having
                else:
                    for v in bit_indices(mask):
                        self.value_bits[d][v] |= having
        self.meets: list[dict[int, int]] = [{} for _ in full]
        """Per dimension and mask, the rules whose scope meets the mask on it."""

    def overlapping(self, masks: Masks) -> int:
        """The rules whose scope overlaps ``masks``: the AND, over the dimensions that
        ``masks`` narrows, of the rules that meet it there."""
        overlap = self.everyone
        full, meets = self.full, self.meets
        for d, mask in enumerate(masks):
            if mask == full[d]:
                continue
            met = meets[d].get(mask)
            if met is None:
                met = self.unnarrowed[d]
                for v in bit_indices(mask):
                    met |= self.value_bits[d][v]
                meets[d][mask] = met
            overlap &= met
            if not overlap:
                break
        return overlap

    def first(self, hits: int) -> RuleRef:
        """The rule of highest precedence among ``hits``: highest rank, then earliest."""
        for rank in self.ranks:
            h = hits & self.rank_bits[rank]
            if h:
                return self.rules[(h & -h).bit_length() - 1]
        raise AssertionError("no rule in an empty set")


def _signature_rows(
    sets: _RuleSets, ctx: Context
) -> tuple[list[dict[Code, int]], list[int], list[list[int]]]:
    """Per signature: for each code, the rules it is found against; the rules that can
    nullify it; and the signatures that can. The checks' results are shared across
    behaviors by signature pair (``ctx.pair_cache``)."""
    sigs, sig_rep, sig_bits = sets.sigs, sets.sig_rep, sets.sig_bits
    nsig = len(sigs)
    cache = ctx.pair_cache
    code_bits: list[dict[Code, int]] = []
    null_bits: list[int] = []
    null_sigs: list[list[int]] = []
    # pairs of soft signatures are compared on arrays, all at once (see
    # conflicts.soft_pair_codes); every other pair through the checks themselves
    soft = [a for a in range(nsig) if sig_rep[a].target is not None]
    is_soft = [False] * nsig
    for a in soft:
        is_soft[a] = True
    vectorized = len(soft) >= SOFT_ARRAYS_FROM
    m = len(sets.rules)
    soft_rows = _soft_rows(soft, sig_rep, sets.sig_members, m, ctx) if vectorized else {}
    for a in range(nsig):
        ra = sig_rep[a]
        row: dict[Code, int] = dict(soft_rows.get(a, {}))
        nulls = 0
        null_sigs.append([])
        for b in range(nsig):
            if vectorized and is_soft[a] and is_soft[b]:
                continue
            key = (sigs[a], sigs[b])
            cached = cache.get(key)
            if cached is None:
                rb = sig_rep[b]
                could_null = rb.hard and rb.rank > ra.rank
                cached = cache[key] = (
                    pair_codes(ra, rb, ctx),
                    could_null and nullifies(ra, rb, ctx),
                )
            codes, null = cached
            for code in codes:
                row[code] = row.get(code, 0) | sig_bits[b]
            if null:
                nulls |= sig_bits[b]
                null_sigs[a].append(b)
        code_bits.append(row)
        null_bits.append(nulls)
    return code_bits, null_bits, null_sigs


def _null_cells(
    sets: _RuleSets, null_sigs: list[list[int]], cells: _Cells, weak: frozenset[int]
) -> list[int]:
    """Per signature, the union of the cells of the rules that can nullify it (those of
    its ``null_sigs``, less the ``weak`` rules)."""
    rules, sig_members = sets.rules, sets.sig_members
    sig_cells: dict[int, int] = {}
    null_cells: list[int] = []
    for nullifiers in null_sigs:
        union = 0
        for b in nullifiers:
            if b not in sig_cells:
                sig_cells[b] = 0
                for k in sig_members[b]:
                    if rules[k].order not in weak:
                        sig_cells[b] |= cells.of(rules[k].masks)
            union |= sig_cells[b]
        null_cells.append(union)
    return null_cells


def _rule_findings(
    refs: Sequence[RuleRef], ctx: Context, weak: frozenset[int] = frozenset()
) -> tuple[list[PairFinding], list[PairFinding]]:
    """The findings of one behavior without grants, from bit sets over its rules (see
    :class:`_RuleSets`): per rule, the AND of the rules it overlaps with the rules its
    signature yields each code against."""
    rules = [r for r in refs if not is_empty(r.masks)]
    if not rules:
        return [], []
    full = ctx.graph.space.full
    sets = _RuleSets(rules, ctx.graph.outcomes[rules[0].behavior], full)
    code_bits, null_bits, null_sigs = _signature_rows(sets, ctx)
    if weak:
        overridden = bitset([k for k, r in enumerate(rules) if r.order in weak], len(rules))
        null_bits = [nulls & ~overridden for nulls in null_bits]
    # A rule is shadowed when the rules that can nullify it cover its whole scope.
    # Over a space of at most COVER_LIMIT cells the covering test of `covered` can
    # never run out of pieces (they are disjoint and non-empty), so the exact cell
    # test below gives the same answer; larger spaces use `covered` itself.
    cells = _Cells(full, ctx.scope_cells) if _space_cells(full) <= COVER_LIMIT else None
    null_cells = _null_cells(sets, null_sigs, cells, weak) if cells is not None else []

    # the per-rule loop is the hot one: what it reads is hoisted into locals
    rule_sig, rank_bits = sets.rule_sig, sets.rank_bits
    first, overlapping = sets.first, sets.overlapping
    overlap_of: dict[Masks, int] = {}
    pairs: list[PairFinding] = []
    shadows: list[PairFinding] = []
    for k, r in enumerate(rules):
        a = rule_sig[k]
        row = code_bits[a]
        nulls = null_bits[a]
        if not row and not nulls:
            continue
        overlap = overlap_of.get(r.masks)
        if overlap is None:
            overlap = overlap_of[r.masks] = overlapping(r.masks)
        bit = 1 << k
        for code, partners in row.items():
            hits = overlap & partners
            if hits & bit:
                hits ^= bit
            if code in SYMMETRIC:
                # at equal rank, reported once: on the later rule, against earlier ones
                same = hits & rank_bits[r.rank]
                hits ^= same & ~(bit - 1)
            if hits:
                pairs.append(PairFinding(code, r, first(hits), hits.bit_count()))
        hits = overlap & nulls
        if hits:
            if cells is not None:
                shadowed = not cells.of(r.masks) & ~null_cells[a]
            else:
                covers = sorted({rules[j].masks for j in bits(hits)})
                shadowed = covered(r.masks, covers) is True
            if shadowed:
                shadows.append(PairFinding(PK412, r, first(hits), hits.bit_count()))
    return pairs, shadows
