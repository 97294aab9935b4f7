"""The evaluator's per-kind aggregation: named principals are reported one by one and,
per kind, together; projects with only the built-in names get no kinds at all."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from types import MappingProxyType

import pytest

from policykit.evaluate.cases import Case
from policykit.evaluate.metrics import aggregate
from policykit.evaluate.report import render_html
from policykit.evaluate.results import dumps
from policykit.evaluate.run import RunSettings, evaluate
from policykit.evaluate.types import Estimate, EvalOptions, Progress
from tests.evaluate.test_metrics import _scored, make_case

GOOD = {"comply": 0.0, "refuse": 1.0}
BAD = {"comply": 1.0, "refuse": 0.0}


def _named(case_id: str, cell: int, stakeholders: dict[str, int], kinds: dict[str, str]) -> Case:
    case = make_case("b", cell, stakeholders=stakeholders, case_id=case_id)
    return dataclasses.replace(case, kinds=MappingProxyType(kinds))


def test_kinds_pool_the_stakeholders_of_a_kind() -> None:
    scored = [
        # cell 0: the parent's 1 rule covers it, the model is right
        _scored(_named("1", 0, {"parent": 1}, {"parent": "user"}), GOOD),
        # cell 1: the student's 2 rules and the developer's 1 cover it, the model is wrong
        _scored(_named("2", 1, {"student": 2, "developer": 1}, {"student": "user"}), BAD),
    ]
    agg = aggregate(scored)
    assert agg.stakeholders["parent"].tv == pytest.approx(0.0)
    assert agg.stakeholders["student"].tv == pytest.approx(1.0)
    assert agg.kinds is not None
    # user: weighted by rules, 1 * 0.0 and 2 * 1.0
    assert agg.kinds["user"].tv == pytest.approx(2 / 3)
    assert agg.kinds["developer"].tv == pytest.approx(1.0)
    assert set(agg.kinds) == {"user", "developer"}


def test_built_in_names_only_give_no_kinds() -> None:
    scored = [_scored(make_case(stakeholders={"user": 1, "developer": 1}), GOOD)]
    assert aggregate(scored).kinds is None


class _Intended:
    """A backend whose model does exactly what each case intends."""

    name = "intended"
    model_name = "oracle"
    device = "cpu"
    model_seconds = 0.0

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        return [Estimate(c.id, dict(c.intended)) for c in cases]


def test_health_results_and_report_aggregate_patient_and_caregiver_per_kind(
    cases: tuple[Case, ...],
) -> None:
    results = evaluate(
        "health", "sha", cases, _Intended(), EvalOptions(), RunSettings("intended", "spec.json")
    )
    assert {"patient", "caregiver"} <= set(results.stakeholders)
    assert results.kinds is not None
    assert results.kinds["user"].stakeholders == ["caregiver", "patient"]
    assert results.kinds["user"].rules == (
        results.stakeholders["patient"].rules + results.stakeholders["caregiver"].rules
    )
    assert set(results.kinds) == {"developer", "deployer", "society", "user"}
    assert "kinds" in json.loads(dumps(results))
    assert "By kind" in render_html(results)


def test_results_of_built_in_names_have_no_kinds(cases: tuple[Case, ...]) -> None:
    plain = tuple(dataclasses.replace(c, kinds=MappingProxyType({})) for c in cases[:20])
    results = evaluate(
        "health", "sha", plain, _Intended(), EvalOptions(), RunSettings("intended", "spec.json")
    )
    assert results.kinds is None
    assert "kinds" not in json.loads(dumps(results))
    assert "By kind" not in render_html(results)
