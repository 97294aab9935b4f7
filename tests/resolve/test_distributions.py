from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policykit.resolve.distributions import feasible, js, kl, project, tv, within


def _reference_projection(p, lo, hi):
    """Bisection on τ: slow and obviously right."""
    a, b = min(p) - 2.0, max(p) + 2.0
    for _ in range(200):
        mid = (a + b) / 2
        total = sum(min(max(x - mid, l), h) for x, l, h in zip(p, lo, hi, strict=True))
        if total > 1:
            a = mid
        else:
            b = mid
    return [min(max(x - a, l), h) for x, l, h in zip(p, lo, hi, strict=True)]


@st.composite
def boxes(draw):
    n = draw(st.integers(2, 5))
    lo, hi = [], []
    for _ in range(n):
        x = draw(st.floats(0, 1))
        y = draw(st.floats(0, 1))
        lo.append(min(x, y) / n)
        hi.append(max(x, y))
    if sum(hi) < 1:
        hi[0] = 1.0
    p = [draw(st.floats(-1, 2)) for _ in range(n)]
    return p, lo, hi


@settings(max_examples=300, deadline=None)
@given(boxes())
def test_projection_is_exact_and_feasible(box):
    p, lo, hi = box
    q = project(p, lo, hi)
    assert math.isclose(sum(q), 1.0, abs_tol=1e-12)
    assert within(q, lo, hi)
    ref = _reference_projection(p, lo, hi)
    assert max(abs(a - b) for a, b in zip(q, ref, strict=True)) < 1e-9


def test_projection_keeps_a_feasible_point():
    assert project((0.2, 0.3, 0.5), (0, 0, 0), (1, 1, 1)) == pytest.approx((0.2, 0.3, 0.5))


def test_projection_worked_example():
    # comply capped at 0.6: (1/3, 2/3) moves to (0.4, 0.6)
    assert project((1 / 3, 2 / 3), (0.0, 0.0), (1.0, 0.6)) == pytest.approx((0.4, 0.6))


def test_infeasible_bounds_raise():
    assert not feasible((0.6, 0.6), (1, 1))
    with pytest.raises(ValueError):
        project((0.5, 0.5), (0.6, 0.6), (1, 1))


def test_divergences():
    assert js((1, 0), (0, 1)) == pytest.approx(1.0)
    assert js((0.5, 0.5), (0.5, 0.5)) == 0.0
    assert tv((1, 0), (0.25, 0.75)) == pytest.approx(0.75)
    assert kl((0.5, 0.5), (0.5, 0.5)) == pytest.approx(0.0, abs=1e-12)
    assert math.isfinite(kl((1, 0), (0, 1)))  # smoothed: finite even for disjoint supports
