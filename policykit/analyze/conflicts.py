"""Pairwise checks between two rules on the same behavior whose scopes overlap.

Each check is a predicate on a pair ``(r, s)``: ``r`` is the rule the finding is
reported on, ``s`` the other side. They look only at the two rules' stakeholders,
ranks, bounds, targets and permissions, never at their scopes beyond the overlap, so
the indexed engine in :mod:`policykit.analyze.pairs` can evaluate them once per group of
identical rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policykit.analyze.bounds import same_target, violates
from policykit.analyze.context import Context
from policykit.codes import PK401, PK402, PK403, PK404, PK405, PK410, Code
from policykit.diagnostics import Severity
from policykit.graph.numbers import TOLERANCE, compatible, js_divergence
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.scope import intersect

if TYPE_CHECKING:
    import numpy as np

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

VIOLATIONS = frozenset({PK404, PK405})
"""Permission violations: the rule takes no part in resolution."""

SYMMETRIC = frozenset({PK401, PK410})
"""Codes found from both sides of a pair; reported once, on the rule of lower
precedence (lower rank, or later in the project at equal rank)."""


def same_rank_contradiction(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """Two hard rules of stakeholders with the same rank cannot both hold somewhere."""
    return r.hard and s.hard and r.rank == s.rank and not compatible(r, s)


def overridden(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A hard rule contradicts a hard rule of a higher-ranked stakeholder where their
    scopes overlap, in contexts where it holds no right to adjust it; the higher rule
    wins there and the lower one is overridden. A hard rule is locked by default, and
    `locked: true` on it means the same: a lower hard rule that contradicts it is
    overridden.
    """
    return (
        r.hard and s.hard and s.rank > r.rank and not compatible(r, s) and ctx.standing(r, s).unheld
    )


def adjusted(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A lower-ranked hard rule changes a higher one that made itself adjustable by
    that stakeholder, and the change stays within the allowed bounds. Nothing is wrong;
    the note shows where a permission is used.
    """
    if not (r.hard and s.hard and s.rank > r.rank and not compatible(r, s)):
        return False
    return ctx.standing(r, s).fits


def changes_locked(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A rule of a lower-ranked stakeholder would change a soft rule marked `locked:
    true`: a different target, or hard bounds its target breaks. It is a permission
    violation: the rule takes no part in resolution. Where the project (or the policy
    entry) says `on_violation: drop`, the rule is dropped with a warning instead of
    stopping compilation. (A hard rule is locked whether or not it says so; a lower
    hard rule that contradicts it is overridden, PK402, and lower soft targets are
    pooled inside its bounds.)
    """
    if s.rank <= r.rank or s.hard or not s.rule.locked:
        return False
    assert s.target is not None
    if r.hard:
        return violates(s.target, r)
    assert r.target is not None and s.target is not None
    return not same_target(r.target, s.target)


def outside_within(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A lower-ranked hard rule adjusts a higher rule it may adjust, but goes beyond
    the `within` bounds the higher rule (or the grant) allows. It is a permission
    violation, handled like PK404.
    """
    if not (r.hard and s.hard and s.rank > r.rank and not compatible(r, s)):
        return False
    return ctx.standing(r, s).exceeds


def tension(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """Two stakeholders' soft targets for the same behavior differ by more than the
    project's threshold (Jensen–Shannon divergence, in bits) where their scopes
    overlap. The strategy will compromise between them; this says how far apart they
    started.
    """
    if r.target is None or s.target is None or r.stakeholder == s.stakeholder:
        return False
    if s.rank < r.rank or (s.rank > r.rank and s.rule.locked):
        return False
    return js_divergence(r.target, s.target) > ctx.threshold


@dataclass(frozen=True, slots=True)
class Wording:
    """What a finding's message is made of: the pair, and each side's directive as
    the message shows it (``rd`` for ``r``, ``sd`` for ``s``)."""

    graph: ObjectiveGraph
    ctx: Context
    r: RuleRef
    s: RuleRef
    rd: str
    sd: str


@dataclass(frozen=True, slots=True)
class PairCheck:
    """One check, whole: the code it reports, when it holds on a pair ``(r, s)``, and
    how it says so (the message and the hint)."""

    code: Code
    holds: Callable[[RuleRef, RuleRef, Context], bool]
    words: Callable[[Wording], tuple[str, str]]


def _contradiction_words(w: Wording) -> tuple[str, str]:
    r, s = w.r, w.s
    text = (
        f"{r.label()} ({w.rd}) contradicts {s.label()} ({w.sd}); both rank {r.rank}, so "
        "neither wins"
    )
    if r.stakeholder == s.stakeholder:
        return text, "make the rules agree, or narrow one rule's when so they no longer overlap"
    where = w.graph.space.describe_witness(intersect(r.masks, s.masks))
    return text, (
        f"make the rules agree, narrow one rule's when to leave out {where}, or rank "
        f"{r.stakeholder} and {s.stakeholder} differently in the project"
    )


def _overridden_words(w: Wording) -> tuple[str, str]:
    r, s = w.r, w.s
    return f"{r.label()} ({w.rd}) is overridden by higher-ranked {s.label()} ({w.sd})", (
        f"narrow the when of {r.id!r} to leave out {w.graph.space.describe(s.masks)}, or ask "
        f"{s.stakeholder} to add adjustable_by: [{r.stakeholder}] to {s.id!r}"
    )


def _adjusted_words(w: Wording) -> tuple[str, str]:
    return (
        f"{w.r.label()} ({w.rd}) adjusts {w.s.label()} ({w.sd}) within the allowed bounds",
        "no action needed",
    )


def _locked_words(w: Wording) -> tuple[str, str]:
    r, s = w.r, w.s
    return f"{r.label()} ({w.rd}) would change {s.label()} ({w.sd}), which is locked", (
        f"remove {r.id!r}, or ask {s.stakeholder} to drop locked: true from "
        f"{s.id!r}, so that lower stakeholders' targets are pooled with it"
    )


def _beyond_within_words(w: Wording) -> tuple[str, str]:
    r, s = w.r, w.s
    adj = w.ctx.standing(r, s).limit
    assert adj is not None
    outcomes = w.graph.outcomes[s.behavior]
    allowed = (
        ", ".join(
            f"{o} in [{lo:g}, {hi:g}]"
            for o, lo, hi in zip(outcomes, adj.lo, adj.hi, strict=True)
            if (lo, hi) != (0.0, 1.0)
        )
        or "no limits"
    )
    return (
        f"{r.label()} ({w.rd}) adjusts {s.label()} ({w.sd}) beyond its within bounds",
        f"keep the adjustment within: {allowed}",
    )


def _tension_words(w: Wording) -> tuple[str, str]:
    r, s = w.r, w.s
    assert r.target is not None and s.target is not None
    jsd = js_divergence(r.target, s.target)
    return (
        f"{r.label()} ({w.rd}) and {s.label()} ({w.sd}) pull apart: Jensen–Shannon "
        f"divergence {jsd:.2f} bits, above the threshold {w.ctx.threshold:g}"
    ), (
        "agree on closer targets, lower one rule's weight, or raise "
        "analysis.tension_threshold in the project"
    )


PAIR_CHECKS = (
    PairCheck(PK401, same_rank_contradiction, _contradiction_words),
    PairCheck(PK402, overridden, _overridden_words),
    PairCheck(PK403, adjusted, _adjusted_words),
    PairCheck(PK404, changes_locked, _locked_words),
    PairCheck(PK405, outside_within, _beyond_within_words),
    PairCheck(PK410, tension, _tension_words),
)
CHECKS = {check.code: check for check in PAIR_CHECKS}


# Two soft rules can only meet in PK404 (a changed locked target) and PK410 (tension):
# every other check needs a hard rule. Those two are computed for all pairs of soft
# signatures at once, on arrays, so thousands of distinct targets on one behavior cost
# a fraction of a second instead of millions of Python calls. A vectorized comparison
# costs about this many times less than one through `pair_codes`, which is how it
# counts against `limits.max_candidate_pairs`.
SOFT_PAIR_COST = 64
SOFT_ARRAYS_FROM = 48
"""Fewer soft signatures than this on a behavior are compared one pair at a time: the
arrays (and numpy's import, kept off validate's start-up) only pay for many."""
_BLOCK = 1 << 21  # array elements per block of rows


def soft_pair_codes(
    soft: Sequence[RuleRef], ctx: Context
) -> Iterator[tuple[int, dict[Code, np.ndarray]]]:
    """For each soft rule ``soft[a]`` (as ``r``), the rules of ``soft`` (as ``s``) against
    which `changes_locked` and `tension` hold, as boolean arrays: exactly
    ``pair_codes(soft[a], soft[b], ctx)`` restricted to those two codes. Yields rows in
    blocks, so memory stays bounded."""
    import numpy as np

    n = len(soft)
    if not n:
        return
    targets = np.array([r.target for r in soft], dtype=float)
    names = {name: i for i, name in enumerate(sorted({r.stakeholder for r in soft}))}
    who = np.array([names[r.stakeholder] for r in soft])
    rank = np.array([r.rank for r in soft])
    locked = np.array([bool(r.rule.locked) for r in soft])
    t_log = np.where(targets > 0, targets, 1.0)
    rows = max(1, _BLOCK // (n * targets.shape[1]))
    for start in range(0, n, rows):
        a = slice(start, min(n, start + rows))
        p, q = targets[a, None, :], targets[None, :, :]
        mid = (p + q) / 2
        safe_mid = np.where(mid > 0, mid, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            js = (
                np.where((p > 0) & (mid > 0), p * np.log2(t_log[a, None, :] / safe_mid), 0.0)
                + np.where((q > 0) & (mid > 0), q * np.log2(t_log[None, :, :] / safe_mid), 0.0)
            ).sum(axis=2) / 2
        js = np.maximum(js, 0.0)
        higher = rank[None, :] > rank[a, None]
        tense = (
            (who[a, None] != who[None, :])
            & ~(rank[None, :] < rank[a, None])
            & ~(higher & locked[None, :])
        )
        over = js > ctx.threshold
        # where floating-point order could tip the comparison, ask the scalar check
        near = tense & (np.abs(js - ctx.threshold) < 1e-9)
        for i, j in zip(*np.nonzero(near), strict=True):
            over[i, j] = tension(soft[start + i], soft[j], ctx)
        changed = np.abs(p - q).max(axis=2) > TOLERANCE
        lock = higher & locked[None, :] & changed
        for i in range(a.stop - start):
            yield start + i, {PK404: lock[i], PK410: tense[i] & over[i]}


def pair_codes(r: RuleRef, s: RuleRef, ctx: Context) -> tuple[Code, ...]:
    """The codes found on ``r`` against ``s`` (the order filter for symmetric codes is
    the caller's)."""
    return tuple(check.code for check in PAIR_CHECKS if check.holds(r, s, ctx))
