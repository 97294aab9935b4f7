"""The indexed engine that finds overlapping pairs of rules without comparing all pairs.

Rules are first split by behavior. Within a behavior, rules with the same signature
(stakeholder, rank, bounds, target, permissions) and the same scope form one *class*:
they behave identically in every check, so each check runs once per pair of classes.
Classes are found through a per-dimension index: for every dimension value, a bit set
of the classes whose scope includes it. The classes overlapping a scope are the AND,
over the dimensions the scope narrows, of the OR of its values' bit sets; ANDing that
with the classes whose signatures can conflict gives exactly the candidate pairs, so
the work grows with the number of classes and findings, not with rules squared.

``tests/analyze/reference.py`` holds the all-pairs reference this engine is tested
against on random projects.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass

from policykit.analyze.conflicts import SYMMETRIC, pair_codes
from policykit.analyze.context import Context
from policykit.analyze.shadow import nullifies
from policykit.graph.objective import RuleRef, within_vectors
from policykit.graph.scope import Masks, covered, is_empty


@dataclass(frozen=True, slots=True)
class PairFinding:
    """Rule ``rule`` has finding ``code`` against ``count`` rules; ``other`` is the one
    of highest precedence (highest rank, then earliest in the project)."""

    code: str
    rule: RuleRef
    other: RuleRef
    count: int

    def key(self) -> tuple[str, int, int, int]:
        return (self.code, self.rule.order, self.other.order, self.count)


def precedence(r: RuleRef) -> tuple[int, int]:
    return (-r.rank, r.order)


def eligible(code: str, r: RuleRef, s: RuleRef) -> bool:
    """Whether a pair found from ``r``'s side is reported there (symmetric codes are
    reported once, on the rule of lower precedence)."""
    if s is r:
        return False
    return code not in SYMMETRIC or s.rank != r.rank or s.order < r.order


def signature(r: RuleRef, outcomes: Sequence[str]) -> Hashable:
    """Everything the checks look at in a rule, positionally (outcome names are gone, so
    behaviors with as many outcomes share signatures and their cached results)."""
    rule = r.rule
    within = within_vectors(rule.within, outcomes)
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


def _bits(x: int) -> Iterator[int]:
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


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
                for v in _bits(mask):
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
            for v in _bits(mask):
                union |= self.value_bits[d][v]
            result &= union
            if not result:
                break
        return result


def _collect(r: RuleRef, code: str, cls_list: list[_Class]) -> tuple[RuleRef, int] | None:
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


VIOLATIONS = frozenset({"PK404", "PK405"})


def behavior_findings(
    refs: Sequence[RuleRef], ctx: Context
) -> tuple[list[PairFinding], list[PairFinding]]:
    """The pair findings and the shadowed rules (as PK412 findings) of one behavior.

    A rule that violates a permission takes no part in resolution, so the other checks
    run again without the violators wherever there are any.
    """
    pairs, shadows = _findings(refs, ctx)
    dropped = {f.rule.order for f in pairs if f.code in VIOLATIONS}
    if not dropped:
        return pairs, shadows
    kept = [r for r in refs if r.order not in dropped]
    again, shadows = _findings(kept, ctx)
    pairs = [f for f in pairs if f.code in VIOLATIONS]
    pairs += [f for f in again if f.code not in VIOLATIONS]
    return pairs, shadows


def _findings(refs: Sequence[RuleRef], ctx: Context) -> tuple[list[PairFinding], list[PairFinding]]:
    outcomes = ctx.graph.outcomes[refs[0].behavior] if refs else ()
    index = BehaviorIndex(refs, ctx.graph.space.full, outcomes)
    nsig = len(index.sig_bits)
    # Checks look at two rules' signatures only; permissions granted by a `grant` also
    # depend on where the rules overlap, so behaviors with grants are checked per pair
    # of classes instead of per pair of signatures.
    per_class = bool(refs) and refs[0].behavior in ctx.grants
    codes_sig: list[list[tuple[str, ...]]] = []
    partners = [0] * nsig
    null_partners = [0] * nsig
    sigs = index.sigs
    cache = ctx.pair_cache
    for a in range(nsig):
        ra = index.sig_rep[a]
        codes_row: list[tuple[str, ...]] = []
        for b in range(nsig):
            key = (sigs[a], sigs[b])
            cached = cache.get(key) if not per_class else None
            if cached is None:
                rb = index.sig_rep[b]
                could_null = rb.hard and rb.rank > ra.rank
                cached = (
                    pair_codes(ra, rb, ctx),
                    could_null and (per_class or nullifies(ra, rb, ctx)),
                )
                if not per_class:
                    cache[key] = cached
            codes, null = cached
            codes_row.append(codes)
            if codes:
                partners[a] |= index.sig_bits[b]
            if null:
                null_partners[a] |= index.sig_bits[b]
        codes_sig.append(codes_row)

    pairs: list[PairFinding] = []
    shadows: list[PairFinding] = []
    classes = index.classes
    class_sig = index.class_sig
    for i, cls in enumerate(classes):
        sig = class_sig[i]
        rep = cls.rep
        overlap = index.overlapping(cls.masks)
        by_code: dict[str, list[_Class]] = {}
        for j in _bits(overlap & partners[sig]):
            other = classes[j]
            codes = pair_codes(rep, other.rep, ctx) if per_class else codes_sig[sig][class_sig[j]]
            for code in codes:
                by_code.setdefault(code, []).append(other)
        nullifying = [
            classes[j]
            for j in _bits(overlap & null_partners[sig])
            if (nullifies(rep, classes[j].rep, ctx) if per_class else True)
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
                hit = _collect(r, "PK412", nullifying)
                if hit is not None:
                    shadows.append(PairFinding("PK412", r, hit[0], hit[1]))
    return pairs, shadows
