"""The arithmetic that the analysis and the resolver share: per-outcome bounds, their
feasibility and meet, divergences, and bit sets.

It lives in ``graph/`` because that is the lowest stage both ``analyze/`` and
``resolve/`` stand on, and because the vectors it works on are the graph's own: every
:class:`~policykit.graph.objective.RuleRef` carries its bounds and target as tuples of
floats in its behavior's outcome order. Having one copy matters: when validate and
compile computed feasibility with different sums, they could disagree about the same
rules at a float boundary. Sums of probabilities are ``math.fsum`` everywhere here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Protocol

Vector = tuple[float, ...]
"""Numbers per outcome, in a behavior's outcome order."""

TOLERANCE = 1e-9
"""How far a bound may be missed by rounding and still count as met."""


class Bounded(Protocol):
    """Anything with per-outcome bounds: a rule, or an adjustment's ``within``."""

    @property
    def lo(self) -> Vector: ...

    @property
    def hi(self) -> Vector: ...


def feasible(lo: Sequence[float], hi: Sequence[float]) -> bool:
    """Whether some distribution satisfies ``lo <= p <= hi``."""
    if any(a > b + TOLERANCE for a, b in zip(lo, hi, strict=True)):
        return False
    return math.fsum(lo) <= 1 + TOLERANCE and math.fsum(hi) >= 1 - TOLERANCE


def meet(a_lo: Vector, a_hi: Vector, b_lo: Vector, b_hi: Vector) -> tuple[Vector, Vector]:
    """The bounds that hold where both ``[a_lo, a_hi]`` and ``[b_lo, b_hi]`` do."""
    lo = tuple(max(x, y) for x, y in zip(a_lo, b_lo, strict=True))
    hi = tuple(min(x, y) for x, y in zip(a_hi, b_hi, strict=True))
    return lo, hi


def compatible(r: Bounded, s: Bounded) -> bool:
    """Whether two sets of bounds can both hold."""
    return feasible(*meet(r.lo, r.hi, s.lo, s.hi))


def inside(lo: Vector, hi: Vector, w_lo: Vector, w_hi: Vector) -> bool:
    """Whether bounds ``[lo, hi]`` stay inside ``[w_lo, w_hi]`` on every outcome."""
    return all(
        a >= wa - TOLERANCE and b <= wb + TOLERANCE
        for a, b, wa, wb in zip(lo, hi, w_lo, w_hi, strict=True)
    )


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen–Shannon divergence in bits (0 for identical, 1 for disjoint supports): the
    analysis's measure of soft tension and one of the evaluator's distances."""
    total = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        # m underflows to 0 only when a and b are subnormal: their terms are ~1e-323
        if a > 0 and m > 0:
            total += a * math.log2(a / m)
        if b > 0 and m > 0:
            total += b * math.log2(b / m)
    return max(total / 2, 0.0)


def bits(x: int) -> Iterator[int]:
    """The indices of the set bits of ``x``, lowest first."""
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


@lru_cache(maxsize=4096)
def bit_indices(mask: int) -> tuple[int, ...]:
    """``tuple(bits(mask))``, kept: a dimension's few masks recur for every rule."""
    return tuple(bits(mask))


def bitset(indices: Iterable[int], size: int) -> int:
    """The int whose set bits are ``indices`` (built in one pass, not bit by bit)."""
    buf = bytearray((size + 7) // 8)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def implied(lo: Vector, hi: Vector) -> tuple[Vector, Vector]:
    """The bounds ``[lo, hi]`` imply over the simplex: what they ALLOW, not what they
    say. On two outcomes ``comply <= 0.3`` says nothing of ``refuse``, yet allows only
    ``refuse >= 0.7``. Each bound is tightened by what the others leave:
    ``lo_i' = max(lo_i, 1 - sum_{j != i} hi_j)``, ``hi_i' = min(hi_i, 1 - sum_{j != i} lo_j)``.
    For a box met with the simplex one pass is exact (the result is the box's shadow on
    each axis), so ``inside(*implied(a), *b)`` is containment of what ``a`` allows in
    what ``b`` allows. Bounds that allow nothing are returned as they are."""
    if not feasible(lo, hi):
        return lo, hi
    s_lo = math.fsum(lo)
    s_hi = math.fsum(hi)
    t_lo = tuple(max(a, 1.0 - (s_hi - b)) for a, b in zip(lo, hi, strict=True))
    t_hi = tuple(min(b, 1.0 - (s_lo - a)) for a, b in zip(lo, hi, strict=True))
    return t_lo, t_hi
