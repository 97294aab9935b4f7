"""Questions the checks ask about rules' bounds and targets, on the shared arithmetic
of :mod:`policykit.graph.numbers`."""

from __future__ import annotations

import math

from policykit.graph.numbers import TOLERANCE as EPS
from policykit.graph.numbers import Vector
from policykit.graph.objective import RuleRef


def implies(s: RuleRef, r: RuleRef) -> bool:
    """Whether ``s``'s bounds already guarantee ``r``'s (r adds nothing under s)."""
    return all(
        ls >= lr - EPS and hs <= hr + EPS
        for ls, hs, lr, hr in zip(s.lo, s.hi, r.lo, r.hi, strict=True)
    )


def pinned(s: RuleRef) -> bool:
    """Whether ``s``'s bounds leave exactly one distribution."""
    return math.fsum(s.lo) >= 1 - EPS or math.fsum(s.hi) <= 1 + EPS


def violates(target: Vector, s: RuleRef) -> bool:
    """Whether a target puts probability outside ``s``'s bounds."""
    return any(p < lo - EPS or p > hi + EPS for p, lo, hi in zip(target, s.lo, s.hi, strict=True))


def same_target(a: Vector, b: Vector) -> bool:
    return all(abs(x - y) <= EPS for x, y in zip(a, b, strict=True))


def pushes(r: RuleRef, k: int) -> bool:
    """Whether a rule pushes toward outcome ``k`` (at least half the probability)."""
    if r.target is not None:
        return r.target[k] >= 0.5
    return r.lo[k] >= 0.5
