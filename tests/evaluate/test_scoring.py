"""How exemplars of different number and length become P_model (no model needed)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policykit.evaluate.scoring import ExemplarScore, outcome_distribution, outcome_scores

E = ExemplarScore


def test_mean_per_token_makes_length_irrelevant() -> None:
    # the same per-token log-probability, one exemplar three times as long
    _, p = outcome_distribution({"a": [E(-10.0, 10)], "b": [E(-30.0, 30)]})
    assert p["a"] == pytest.approx(0.5)
    _, p = outcome_distribution({"a": [E(-10.0, 10)], "b": [E(-30.0, 30)]}, normalize="sum")
    assert p["a"] == pytest.approx(1 / (1 + math.exp(-20)))


def test_more_exemplars_do_not_make_an_outcome_more_likely() -> None:
    one = outcome_distribution({"a": [E(-20.0, 10)], "b": [E(-20.0, 10)]})[1]
    many = outcome_distribution({"a": [E(-20.0, 10)] * 5, "b": [E(-20.0, 10)]})[1]
    assert one == pytest.approx(many)
    assert many == pytest.approx({"a": 0.5, "b": 0.5})


def test_outcome_score_is_log_mean_exp_of_exemplar_scores() -> None:
    scores = outcome_scores({"a": [E(-10.0, 10), E(-30.0, 10)]})
    assert scores["a"] == pytest.approx(math.log((math.exp(-1) + math.exp(-3)) / 2))


def test_softmax_over_outcome_scores() -> None:
    scores, p = outcome_distribution({"a": [E(-5.0, 5)], "b": [E(-20.0, 10)], "c": [E(-9.0, 3)]})
    assert scores == pytest.approx({"a": -1.0, "b": -2.0, "c": -3.0})
    z = math.exp(-1) + math.exp(-2) + math.exp(-3)
    assert p == pytest.approx({"a": math.exp(-1) / z, "b": math.exp(-2) / z, "c": math.exp(-3) / z})


scores_st = st.lists(
    st.tuples(st.floats(-500, 0), st.integers(1, 80)).map(lambda t: E(*t)), min_size=1, max_size=4
)


@given(st.dictionaries(st.sampled_from("abcd"), scores_st, min_size=1))
def test_distribution_is_a_distribution(exemplars: dict[str, list[ExemplarScore]]) -> None:
    _, p = outcome_distribution(exemplars)
    assert set(p) == set(exemplars)
    assert math.fsum(p.values()) == pytest.approx(1.0)
    assert all(0 <= x <= 1 for x in p.values())


@given(st.dictionaries(st.sampled_from("abcd"), scores_st, min_size=2))
def test_duplicating_exemplars_changes_nothing(exemplars: dict[str, list[ExemplarScore]]) -> None:
    doubled = {o: v * 2 for o, v in exemplars.items()}
    assert outcome_distribution(doubled)[1] == pytest.approx(outcome_distribution(exemplars)[1])
