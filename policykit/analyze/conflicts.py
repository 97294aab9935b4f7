"""Pairwise checks between two rules on the same behavior whose scopes overlap.

Each check is a predicate on a pair ``(r, s)``: ``r`` is the rule the finding is
reported on, ``s`` the other side. They look only at the two rules' stakeholders,
ranks, bounds, targets and permissions, never at their scopes beyond the overlap, so
the indexed engine in :mod:`policykit.analyze.pairs` can evaluate them once per group of
identical rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from policykit.analyze.bounds import same_target, violates
from policykit.analyze.context import Context
from policykit.codes import PK401, PK402, PK403, PK404, PK405, PK410, Code
from policykit.diagnostics import Severity
from policykit.graph.numbers import TOLERANCE, compatible, js_divergence
from policykit.graph.objective import RuleRef

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


PAIR_CHECKS = (
    (PK401, same_rank_contradiction),
    (PK402, overridden),
    (PK403, adjusted),
    (PK404, changes_locked),
    (PK405, outside_within),
    (PK410, tension),
)


# Two soft rules can only meet in PK404 (a changed locked target) and PK410 (tension):
# every other check needs a hard rule. Those two are computed for all pairs of soft
# signatures at once, on arrays, so thousands of distinct targets on one behavior cost
# a fraction of a second instead of millions of Python calls. A vectorized comparison
# costs about this many times less than one through `pair_codes`, which is how it
# counts against `limits.max_candidate_pairs`.
SOFT_PAIR_COST = 64
_BLOCK = 1 << 21  # array elements per block of rows


def soft_pair_codes(
    soft: Sequence[RuleRef], ctx: Context
) -> Iterator[tuple[int, dict[Code, np.ndarray]]]:
    """For each soft rule ``soft[a]`` (as ``r``), the rules of ``soft`` (as ``s``) against
    which `changes_locked` and `tension` hold, as boolean arrays: exactly
    ``pair_codes(soft[a], soft[b], ctx)`` restricted to those two codes. Yields rows in
    blocks, so memory stays bounded."""
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
    return tuple(code for code, fn in PAIR_CHECKS if fn(r, s, ctx))
