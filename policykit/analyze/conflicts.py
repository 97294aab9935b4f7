"""Pairwise checks between two rules on the same behavior whose scopes overlap.

Each check is a predicate on a pair ``(r, s)``: ``r`` is the rule the finding is
reported on, ``s`` the other side. They look only at the two rules' stakeholders,
ranks, bounds, targets and permissions, never at their scopes beyond the overlap, so
the indexed engine in :mod:`policykit.analyze.pairs` can evaluate them once per group of
identical rules.
"""

from __future__ import annotations

from policykit.analyze.base import check
from policykit.analyze.bounds import same_target, violates
from policykit.analyze.context import Context
from policykit.diagnostics import Severity
from policykit.graph.numbers import compatible, inside, js_divergence
from policykit.graph.objective import RuleRef

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

VIOLATIONS = frozenset({"PK404", "PK405"})
"""Permission violations: the rule takes no part in resolution."""

SYMMETRIC = frozenset({"PK401", "PK410"})
"""Codes found from both sides of a pair; reported once, on the rule of lower
precedence (lower rank, or later in the project at equal rank)."""


@check("PK401", "Hard rules of the same rank contradict", E)
def same_rank_contradiction(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """Two hard rules of stakeholders with the same rank cannot both hold somewhere.

    Conflicting example:
        # developer (rank 3)
        - id: dev-no-dosing
          behavior: dosage_information
          forbid: specific_dose
        # society (rank 3)
        - id: soc-dosing-for-clinicians
          behavior: dosage_information
          when: {audience: professional}
          require: specific_dose

    How to resolve:
        Make the rules agree, narrow one rule's `when` so the scopes no longer overlap,
        or give one stakeholder a higher rank in the project.
    """
    return r.hard and s.hard and r.rank == s.rank and not compatible(r, s)


@check("PK402", "Lower-ranked hard rule is overridden", W)
def overridden(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A hard rule contradicts a hard rule of a higher-ranked stakeholder where their
    scopes overlap; the higher rule wins there and the lower one is overridden.

    Conflicting example:
        # developer (rank 3)
        - id: dev-no-dosing-minors
          behavior: dosage_information
          when: {audience: minor}
          forbid: specific_dose
        # deployer (rank 2)
        - id: dep-dosing
          behavior: dosage_information
          require: specific_dose

    How to resolve:
        Narrow the lower rule's `when` to leave out the contexts the higher rule
        covers, or ask the higher stakeholder to make its rule `adjustable_by` yours.
    """
    return (
        r.hard
        and s.hard
        and s.rank > r.rank
        and not s.rule.locked
        and not compatible(r, s)
        and ctx.adjustment(r, s) is None
    )


@check("PK403", "Adjustment within the allowed bounds", I)
def adjusted(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A lower-ranked hard rule changes a higher one that made itself adjustable by
    that stakeholder, and the change stays within the allowed bounds. Nothing is wrong;
    the note shows where a permission is used.

    Conflicting example:
        # developer
        - id: dev-no-explicit
          behavior: sexual_content
          forbid: explicit
          adjustable_by: [deployer]
          within: {explicit: {max: 0.5}}
        # deployer
        - id: dep-allow-some
          behavior: sexual_content
          bounds: {explicit: {max: 0.3}}

    How to resolve:
        No action needed.
    """
    if not (r.hard and s.hard and s.rank > r.rank and not compatible(r, s)):
        return False
    adj = ctx.adjustment(r, s)
    return adj is not None and inside(r.lo, r.hi, adj.lo, adj.hi)


@check("PK404", "Lower-ranked rule would change a locked rule", E)
def changes_locked(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A rule of a lower-ranked stakeholder would change a rule marked `locked: true`.
    It is a permission violation: the rule takes no part in resolution. Where the
    project (or the policy entry) says `on_violation: drop`, the rule is dropped with a
    warning instead of stopping compilation.

    Conflicting example:
        # deployer
        - id: dep-disclose
          behavior: ai_disclosure
          require: disclose
          locked: true
        # user
        - id: user-pretend-human
          behavior: ai_disclosure
          prefer: claim_human

    How to resolve:
        Remove the rule, or ask the higher stakeholder to replace `locked: true` with
        `adjustable_by` and `within` bounds that allow what you need.
    """
    if s.rank <= r.rank or not s.rule.locked:
        return False
    if r.hard and s.hard:
        return not compatible(r, s)
    if r.target is not None and s.hard:
        return violates(r.target, s)
    if s.target is not None and r.hard:
        return violates(s.target, r)
    assert r.target is not None and s.target is not None
    return not same_target(r.target, s.target)


@check("PK405", "Adjustment leaves its within bounds", E)
def outside_within(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """A lower-ranked hard rule adjusts a higher rule it may adjust, but goes beyond
    the `within` bounds the higher rule (or the grant) allows. It is a permission
    violation, handled like PK404.

    Conflicting example:
        # developer
        - id: dev-no-explicit
          behavior: sexual_content
          forbid: explicit
          adjustable_by: [deployer]
          within: {explicit: {max: 0.5}}
        # deployer
        - id: dep-all-explicit
          behavior: sexual_content
          require: explicit

    How to resolve:
        Keep the adjustment inside the `within` bounds named in the message.
    """
    if not (r.hard and s.hard and s.rank > r.rank and not compatible(r, s)):
        return False
    adj = ctx.adjustment(r, s)
    return adj is not None and not inside(r.lo, r.hi, adj.lo, adj.hi)


@check("PK410", "Soft targets of two stakeholders are in tension", W)
def tension(r: RuleRef, s: RuleRef, ctx: Context) -> bool:
    """Two stakeholders' soft targets for the same behavior differ by more than the
    project's threshold (Jensen–Shannon divergence, in bits) where their scopes
    overlap. The strategy will compromise between them; this says how far apart they
    started.

    Conflicting example:
        # deployer
        - id: dep-concise
          behavior: conciseness
          target: {concise: 0.9, thorough: 0.1}
        # user
        - id: user-thorough
          behavior: conciseness
          target: {concise: 0.1, thorough: 0.9}

    How to resolve:
        Agree on closer targets, lower one rule's `weight`, or raise
        `analysis.tension_threshold` if this much disagreement is expected.
    """
    if r.target is None or s.target is None or r.stakeholder == s.stakeholder:
        return False
    if s.rank < r.rank or (s.rank > r.rank and s.rule.locked):
        return False
    return js_divergence(r.target, s.target) > ctx.threshold


PAIR_CHECKS = (
    ("PK401", same_rank_contradiction),
    ("PK402", overridden),
    ("PK403", adjusted),
    ("PK404", changes_locked),
    ("PK405", outside_within),
    ("PK410", tension),
)


def pair_codes(r: RuleRef, s: RuleRef, ctx: Context) -> tuple[str, ...]:
    """The codes found on ``r`` against ``s`` (the order filter for symmetric codes is
    the caller's)."""
    return tuple(code for code, fn in PAIR_CHECKS if fn(r, s, ctx))
