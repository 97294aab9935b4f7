"""The worked example in policykit/resolve/strategies.py, checked."""

from __future__ import annotations

import pytest

from policykit.resolve.distributions import kl
from policykit.resolve.strategies import STRATEGIES, Target, maxmin, worst_cost

TARGETS = [Target("deployer", 2, (0.2, 0.8), 1.0), Target("user", 1, (0.6, 0.4), 0.5)]
FREE = ((0.0, 0.0), (1.0, 1.0))
CAPPED = ((0.0, 0.0), (1.0, 0.6))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("weighted_linear", (0.333, 0.667)),
        ("weighted_log", (0.313, 0.687)),
        ("maxmin", (0.394, 0.606)),
        ("chain_of_command", (0.2, 0.8)),
    ],
)
def test_worked_example_without_bounds(name: str, expected: tuple[float, float]) -> None:
    assert STRATEGIES[name](TARGETS, *FREE) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_worked_example_with_a_cap(name: str) -> None:
    assert STRATEGIES[name](TARGETS, *CAPPED) == pytest.approx((0.4, 0.6), abs=1e-9)


def test_maxmin_equalizes_the_costs_at_its_optimum() -> None:
    p = maxmin(TARGETS, *FREE)
    costs = [kl(t.distribution, p) for t in TARGETS]
    assert costs[0] == pytest.approx(costs[1], abs=1e-5)
    for other in ("weighted_linear", "weighted_log", "chain_of_command"):
        assert worst_cost(TARGETS, p) <= worst_cost(TARGETS, STRATEGIES[other](TARGETS, *FREE))


def test_maxmin_with_one_target_minimizes_its_kl_not_the_euclidean_distance() -> None:
    # refuse >= 0.5 and a target (0.2, 0.3, 0.5): KL(t || p) is smallest where the other
    # outcomes keep the target's 3:5 ratio, (0.5, 0.1875, 0.3125); the Euclidean
    # projection (0.5, 0.15, 0.35) costs more. (Found by the invariants test.)
    target = [Target("deployer", 0, (0.2, 0.3, 0.5), 1.0)]
    got = maxmin(target, (0.5, 0.0, 0.0), (1.0, 1.0, 1.0))
    assert got == pytest.approx((0.5, 0.1875, 0.3125), abs=1e-3)
    assert worst_cost(target, got) < worst_cost(target, (0.5, 0.15, 0.35)) - 0.009
    for name, strategy in STRATEGIES.items():
        other = strategy(target, (0.5, 0.0, 0.0), (1.0, 1.0, 1.0))
        assert worst_cost(target, got) <= worst_cost(target, other) + 1e-9, name


def test_a_prefer_does_not_veto_other_outcomes_in_the_log_pool() -> None:
    point = Target("developer", 3, (0.0, 1.0), 0.5)
    soft = Target("user", 1, (0.5, 0.5), 1.0)
    p = STRATEGIES["weighted_log"]([point, soft], *FREE)
    assert 0.0 < p[0] < 0.5


def test_stakeholder_weight_is_shared_among_its_rules() -> None:
    """Writing many rules does not buy more influence."""
    from types import SimpleNamespace

    from policykit.resolve.resolver import stakeholder_targets

    def ref(
        stakeholder: str, target: tuple[float, float], weight: float = 1.0, file: float = 1.0
    ) -> object:
        return SimpleNamespace(
            stakeholder=stakeholder,
            rank=1,
            weight=1.0,
            id=f"{stakeholder}{target}{file}",
            target=target,
            rule=SimpleNamespace(weight=weight),
            file_weight=file,
        )

    one = stakeholder_targets([ref("user", (0.0, 1.0)), ref("deployer", (1.0, 0.0))])  # type: ignore[list-item]
    many = stakeholder_targets(
        [ref("user", (0.0, 1.0)) for _ in range(5)] + [ref("deployer", (1.0, 0.0))]  # type: ignore[list-item]
    )
    assert [(t.stakeholder, t.influence) for t in one] == [
        (t.stakeholder, t.influence) for t in many
    ]
    # a second file, however weighted, buys no more influence than the stakeholder's
    # weight; a file weighted 0.25 pulls the merged target a quarter as hard
    (two,) = stakeholder_targets(
        [ref("parent", (1.0, 0.0)), ref("parent", (0.0, 1.0), file=0.25)]  # type: ignore[list-item]
    )
    assert two.influence == pytest.approx((1.0 + 0.25) / 2)
    assert two.distribution == pytest.approx((1 / 1.25, 0.25 / 1.25))
