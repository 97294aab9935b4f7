"""Pairwise checks between two rules on the same behavior whose scopes overlap.

Each check is a predicate on a pair ``(r, s)``: ``r`` is the rule the finding is
reported on, ``s`` the other side. They look only at the two rules' stakeholders,
ranks, bounds, targets and permissions, never at their scopes beyond the overlap, so
the indexed engine in :mod:`policykit.analyze.pairs` can evaluate them once per group of
identical rules.
"""

from __future__ import annotations

from policykit.analyze.bounds import same_target, violates
from policykit.analyze.context import Context
from policykit.codes import PK401, PK402, PK403, PK404, PK405, PK410, Code
from policykit.diagnostics import Severity
from policykit.graph.numbers import compatible, js_divergence
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


def pair_codes(r: RuleRef, s: RuleRef, ctx: Context) -> tuple[Code, ...]:
    """The codes found on ``r`` against ``s`` (the order filter for symmetric codes is
    the caller's)."""
    return tuple(code for code, fn in PAIR_CHECKS if fn(r, s, ctx))
