"""Distribution arithmetic: exact projection onto bounds, smoothing and divergences.

Every function takes and returns plain tuples of floats in a behavior's outcome order.
Feasibility, the tolerance and the Jensen–Shannon divergence are the analysis's too and
live in :mod:`policykit.graph.numbers`; they are named here as well, for the evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from policykit.graph.numbers import TOLERANCE, Vector, feasible, js_divergence

__all__ = [
    "EPSILON",
    "TOLERANCE",
    "Vector",
    "feasible",
    "js",
    "kl",
    "normalize",
    "project",
    "rounded",
    "smooth",
    "tv",
    "within",
]

EPSILON = 1e-3
"""Smoothing used wherever a logarithm meets a zero: ``x -> (1 - ε) x + ε / n``.
A `prefer` is a target of probability 1 on one outcome; without smoothing it would veto
every other outcome in a logarithmic pool and make every cost infinite."""


def smooth(p: Sequence[float], eps: float = EPSILON) -> Vector:
    n = len(p)
    return tuple((1 - eps) * x + eps / n for x in p)


def normalize(p: Sequence[float]) -> Vector:
    total = math.fsum(p)
    return tuple(x / total for x in p)


def kl(p: Sequence[float], q: Sequence[float]) -> float:
    """KL(p || q) in nats, on smoothed distributions (finite even with zeros)."""
    ps, qs = smooth(p), smooth(q)
    return max(math.fsum(a * math.log(a / b) for a, b in zip(ps, qs, strict=True)), 0.0)


def js(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen–Shannon divergence in bits (0 identical, 1 disjoint): the analysis's
    measure of soft tension, shared so the two never disagree."""
    return js_divergence(p, q)


def tv(p: Sequence[float], q: Sequence[float]) -> float:
    """Total variation distance (half the L1 distance)."""
    return math.fsum(abs(a - b) for a, b in zip(p, q, strict=True)) / 2


def within(p: Sequence[float], lo: Sequence[float], hi: Sequence[float]) -> bool:
    return all(a - TOLERANCE <= x <= b + TOLERANCE for x, a, b in zip(p, lo, hi, strict=True))


def project(p: Sequence[float], lo: Sequence[float], hi: Sequence[float]) -> Vector:
    """The Euclidean projection of ``p`` onto {q : lo <= q <= hi, sum q = 1}, exactly.

    The projection is ``clip(p - τ, lo, hi)`` for the τ where it sums to 1. That sum is
    piecewise linear and non-increasing in τ, with breakpoints at ``p - lo`` and
    ``p - hi``; τ is found between two consecutive breakpoints and solved for exactly.
    """
    if not feasible(lo, hi):
        raise ValueError("bounds admit no distribution")
    n = len(p)

    def total(tau: float) -> float:
        return math.fsum(min(max(p[i] - tau, lo[i]), hi[i]) for i in range(n))

    points = sorted({p[i] - lo[i] for i in range(n)} | {p[i] - hi[i] for i in range(n)})
    # total() is non-increasing; find consecutive breakpoints a <= b with
    # total(a) >= 1 >= total(b) (outside all breakpoints it is constant).
    if total(points[0]) < 1 - TOLERANCE or total(points[-1]) > 1 + TOLERANCE:
        # only possible within tolerance of a degenerate box: fall back to clipping
        q = [min(max(x, a), b) for x, a, b in zip(p, lo, hi, strict=True)]
        return _fix_sum(q, lo, hi)
    a, b = points[0], points[-1]
    for x in points:
        if total(x) >= 1:
            a = x
        else:
            b = x
            break
    ta, tb = total(a), total(b)
    tau = a if ta == tb else a + (ta - 1) * (b - a) / (ta - tb)
    q = [min(max(p[i] - tau, lo[i]), hi[i]) for i in range(n)]
    return _fix_sum(q, lo, hi)


def _fix_sum(q: list[float], lo: Sequence[float], hi: Sequence[float]) -> Vector:
    """Remove the last rounding error so the result sums to 1 and stays in bounds."""
    diff = 1.0 - math.fsum(q)
    for i in sorted(range(len(q)), key=lambda i: -(hi[i] - q[i] if diff > 0 else q[i] - lo[i])):
        if abs(diff) <= 1e-15:
            break
        room = hi[i] - q[i] if diff > 0 else q[i] - lo[i]
        step = min(abs(diff), max(room, 0.0))
        q[i] += step if diff > 0 else -step
        diff = 1.0 - math.fsum(q)
    return tuple(q)


def rounded(p: Sequence[float], digits: int = 12) -> Vector:
    """Rounded for the artifact, so platform-level float noise never changes its bytes."""
    return tuple(round(x, digits) + 0.0 for x in p)
