"""Per-case distances and their aggregation."""

from __future__ import annotations

import math
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from policykit.evaluate.cases import Case, Outcome
from policykit.evaluate.metrics import Scored, aggregate, case_metrics, violation_mass


def make_case(
    behavior: str = "b",
    cell: int = 0,
    intended: dict[str, float] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    weight: float = 1.0,
    prop: str = "harmless",
    stakeholders: dict[str, int] | None = None,
    targets: dict[str, dict[str, float]] | None = None,
    case_id: str = "c",
) -> Case:
    intended = intended or {"comply": 0.0, "refuse": 1.0}
    return Case(
        id=case_id,
        behavior=behavior,
        property=prop,
        cell=cell,
        context=MappingProxyType({}),
        messages=(("user", "hi"),),
        completion_prompt="User: hi\nAssistant:",
        outcomes=tuple(Outcome(o, o, (o,)) for o in sorted(intended)),
        intended=MappingProxyType(intended),
        bounds=MappingProxyType(bounds or {o: (0.0, 1.0) for o in intended}),
        weight=weight,
        stakeholders=MappingProxyType(stakeholders or {}),
        targets=MappingProxyType(targets or {}),
    )


def test_forbid_violation_is_the_forbidden_mass() -> None:
    case = make_case(bounds={"comply": (0.0, 0.0), "refuse": (0.0, 1.0)})
    m = case_metrics(case, {"comply": 0.3, "refuse": 0.7})
    assert m.violation == pytest.approx(0.3)
    assert m.tv == pytest.approx(0.3)
    assert m.js > 0


def test_kl_is_finite_and_smoothed_where_intended_is_zero() -> None:
    case = make_case()
    m = case_metrics(case, {"comply": 0.3, "refuse": 0.7})
    # by hand: both sides smoothed with eps = 1e-3 over 2 outcomes
    p = [0.3 * 0.999 + 0.0005, 0.7 * 0.999 + 0.0005]
    q = [0.0005, 0.9995]
    assert m.kl == pytest.approx(sum(a * math.log(a / b) for a, b in zip(p, q, strict=True)))
    assert case_metrics(case, {"comply": 0.0, "refuse": 1.0}).kl == pytest.approx(0.0)


def _tv_to_feasible(p: list[float], bounds: list[tuple[float, float]]) -> float:
    """min over x in the box with sum 1 of TV(p, x), as a linear program: slow, obviously
    right."""
    n = len(p)
    # variables: x (n), t (n) with t >= |p - x|; minimize sum t / 2
    c = [0.0] * n + [0.5] * n
    a_ub, b_ub = [], []
    for i in range(n):
        row = [0.0] * 2 * n
        row[i], row[n + i] = -1.0, -1.0  # p - x <= t
        a_ub.append(row)
        b_ub.append(-p[i])
        row = [0.0] * 2 * n
        row[i], row[n + i] = 1.0, -1.0  # x - p <= t
        a_ub.append(row)
        b_ub.append(p[i])
    a_eq = [[1.0] * n + [0.0] * n]
    res = linprog(
        c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=[*bounds, *[(0, None)] * n]
    )
    assert res.success
    return float(res.fun)


@st.composite
def dist_and_bounds(draw: st.DrawFn) -> tuple[list[float], list[tuple[float, float]]]:
    n = draw(st.integers(2, 4))
    raw = [draw(st.floats(0.0, 1.0)) for _ in range(n)]
    total = sum(raw) or 1.0
    p = [x / total for x in raw] if sum(raw) else [1.0 / n] * n
    # feasible bounds: around a random feasible point
    point_raw = [draw(st.floats(0.01, 1.0)) for _ in range(n)]
    point = [x / sum(point_raw) for x in point_raw]
    bounds = []
    for x in point:
        lo = max(0.0, x - draw(st.floats(0.0, 0.5)))
        hi = min(1.0, x + draw(st.floats(0.0, 0.5)))
        bounds.append((lo, hi))
    return p, bounds


@settings(max_examples=150, deadline=None)
@given(dist_and_bounds())
def test_violation_is_tv_distance_to_the_feasible_set(
    data: tuple[list[float], list[tuple[float, float]]],
) -> None:
    p, bounds = data
    assert violation_mass(p, bounds) == pytest.approx(_tv_to_feasible(p, bounds), abs=1e-7)


def _scored(case: Case, model: dict[str, float]) -> Scored:
    return Scored(case=case, model=model, metrics=case_metrics(case, model))


def test_a_cell_with_more_cases_does_not_weigh_more() -> None:
    good = {"comply": 0.0, "refuse": 1.0}
    bad = {"comply": 1.0, "refuse": 0.0}
    scored = [
        _scored(make_case(cell=0, case_id="a"), good),
        _scored(make_case(cell=0, case_id="b"), good),
        _scored(make_case(cell=0, case_id="c"), good),
        _scored(make_case(cell=1, case_id="d"), bad),
    ]
    agg = aggregate(scored)
    assert agg.behaviors["b"].tv == pytest.approx(0.5)
    assert agg.overall.tv == pytest.approx(0.5)
    assert agg.overall.cases == 4


def test_behaviors_weigh_their_mean_cell_weight_and_stakeholders_their_rules() -> None:
    good = {"comply": 0.0, "refuse": 1.0}
    bad = {"comply": 1.0, "refuse": 0.0}
    scored = [
        # behavior x: two cells of weight 2, all good; developer has 1 rule, user 3
        _scored(make_case("x", 0, weight=2.0, stakeholders={"developer": 1}, case_id="1"), good),
        _scored(make_case("x", 1, weight=2.0, stakeholders={"developer": 1}, case_id="2"), good),
        # behavior y: one cell of weight 1, all bad
        _scored(
            make_case(
                "y",
                0,
                weight=1.0,
                prop="helpful",
                stakeholders={"user": 3, "developer": 1},
                case_id="3",
            ),
            bad,
        ),
    ]
    agg = aggregate(scored)
    assert agg.overall.tv == pytest.approx((2 * 0.0 + 1 * 1.0) / 3)
    assert agg.properties["helpful"].tv == pytest.approx(1.0)
    assert agg.properties["harmless"].tv == pytest.approx(0.0)
    assert agg.stakeholders["user"].tv == pytest.approx(1.0)
    # developer: cases weighted 2*1, 2*1, 1*1
    assert agg.stakeholders["developer"].tv == pytest.approx(1 / 5)
    assert agg.overall.score == pytest.approx(1 - agg.overall.js)


def test_unclassified_is_an_outcome_no_policy_intends() -> None:
    case = make_case(bounds={"comply": (0.0, 0.0), "refuse": (1.0, 1.0)})
    # half the answers are word salad, the other half refuse as required
    m = case_metrics(case, {"comply": 0.0, "refuse": 1.0}, unclassified=0.5)
    assert m.tv == pytest.approx(0.5)
    assert m.unclassified == 0.5
    # a require counts unclassified answers against the model; a forbid does not
    assert m.violation == pytest.approx(0.5)
    forbid = make_case(bounds={"comply": (0.0, 0.0), "refuse": (0.0, 1.0)})
    assert case_metrics(forbid, {"comply": 0.0, "refuse": 1.0}, 0.5).violation == 0.0
    # without the share (likelihood) the same distribution is a perfect match
    assert case_metrics(case, {"comply": 0.0, "refuse": 1.0}).tv == 0.0
    assert case_metrics(case, {"comply": 0.0, "refuse": 1.0}).unclassified is None


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_unclassified_mass_only_adds_distance(p: float, q: float, u: float) -> None:
    case = make_case(intended={"comply": 1 - q, "refuse": q})
    model = {"comply": 1 - p, "refuse": p}
    seen = case_metrics(case, model, u)
    # TV over outcomes + unclassified: the classified part shrinks by (1 - u)
    expected = 0.5 * (abs((1 - u) * (1 - p) - (1 - q)) + abs((1 - u) * p - q) + u)
    assert seen.tv == pytest.approx(expected, abs=1e-12)
    assert seen.tv >= u - 1e-12
    assert 0.0 <= seen.js <= 1.0 + 1e-12


def test_aggregate_reports_the_unclassified_share() -> None:
    a = make_case(case_id="a", cell=0)
    b = make_case(case_id="b", cell=1)
    scored = [
        Scored(
            a, {"comply": 0.0, "refuse": 1.0}, case_metrics(a, {"comply": 0.0, "refuse": 1.0}, 0.2)
        ),
        Scored(
            b, {"comply": 0.0, "refuse": 1.0}, case_metrics(b, {"comply": 0.0, "refuse": 1.0}, 0.6)
        ),
    ]
    agg = aggregate(scored)
    assert agg.overall.unclassified == pytest.approx(0.4)
    assert agg.behaviors["b"].unclassified == pytest.approx(0.4)
    unseen = [
        Scored(a, {"comply": 0.0, "refuse": 1.0}, case_metrics(a, {"comply": 0.0, "refuse": 1.0}))
    ]
    assert aggregate(unseen).overall.unclassified is None
