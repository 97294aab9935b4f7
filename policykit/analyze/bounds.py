"""Arithmetic on rules' per-outcome bounds and targets, shared by the checks."""

from __future__ import annotations

from policykit.graph.objective import RuleRef, Vector

EPS = 1e-9


def feasible(lo: Vector, hi: Vector) -> bool:
    """Whether some distribution satisfies ``lo <= p <= hi``."""
    if any(a > b + EPS for a, b in zip(lo, hi, strict=True)):
        return False
    return sum(lo) <= 1 + EPS and sum(hi) >= 1 - EPS


def meet(a_lo: Vector, a_hi: Vector, b_lo: Vector, b_hi: Vector) -> tuple[Vector, Vector]:
    lo = tuple(max(x, y) for x, y in zip(a_lo, b_lo, strict=True))
    hi = tuple(min(x, y) for x, y in zip(a_hi, b_hi, strict=True))
    return lo, hi


def compatible(r: RuleRef, s: RuleRef) -> bool:
    """Whether two hard rules can both hold."""
    return feasible(*meet(r.lo, r.hi, s.lo, s.hi))


def implies(s: RuleRef, r: RuleRef) -> bool:
    """Whether ``s``'s bounds already guarantee ``r``'s (r adds nothing under s)."""
    return all(
        ls >= lr - EPS and hs <= hr + EPS
        for ls, hs, lr, hr in zip(s.lo, s.hi, r.lo, r.hi, strict=True)
    )


def pinned(s: RuleRef) -> bool:
    """Whether ``s``'s bounds leave exactly one distribution."""
    return sum(s.lo) >= 1 - EPS or sum(s.hi) <= 1 + EPS


def inside(lo: Vector, hi: Vector, w_lo: Vector, w_hi: Vector) -> bool:
    """Whether bounds ``[lo, hi]`` stay inside ``[w_lo, w_hi]`` on every outcome."""
    return all(
        a >= wa - EPS and b <= wb + EPS for a, b, wa, wb in zip(lo, hi, w_lo, w_hi, strict=True)
    )


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
