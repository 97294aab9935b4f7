"""What the graph and the models share to save memory changes no value."""

from __future__ import annotations

import math
from pathlib import Path

from policykit.graph.objective import ObjectiveGraph
from policykit.pipeline import ValidateOptions, validate_project
from policykit.schema.models import Bound, Rule
from tests.minimal import project

POLICY = """\
apiVersion: policykit/v1
kind: Policy
metadata:
  name: dep
rules:
  - {id: a, behavior: profanity, bounds: {comply: {max: 0.0}}}
  - {id: b, behavior: profanity, bounds: {comply: {max: -0.0}}}
  - {id: c, behavior: profanity, when: {audience: minor}, bounds: {comply: {max: 0.0}}}
  - {id: d, behavior: profanity, target: {refuse: 0.5, comply: 0.5}}
  - {id: e, behavior: profanity, target: {refuse: 0.5, comply: 0.5}, weight: 0.5}
"""


def _graph(tmp_path: Path) -> ObjectiveGraph:
    result = validate_project(project(tmp_path, deployer=POLICY), ValidateOptions(analyze=False))
    assert result.workspace is not None, result.diagnostics
    return ObjectiveGraph(result.workspace)


def test_equal_vectors_are_shared(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    a, _, c, d, e = graph.rules
    assert a.hi is c.hi and a.lo is c.lo
    assert d.target is e.target == (0.5, 0.5)


def test_zero_and_negative_zero_are_not_merged(tmp_path: Path) -> None:
    a, b, *_ = _graph(tmp_path).rules
    assert a.hi == b.hi
    assert math.copysign(1.0, a.hi[1]) == 1.0
    assert math.copysign(1.0, b.hi[1]) == -1.0


def test_models_report_the_fields_they_were_given() -> None:
    hard = Rule.model_validate({"id": "a", "behavior": "b", "require": "x"})
    soft = Rule.model_validate({"id": "s", "behavior": "b", "prefer": "x", "weight": 0.5})
    again = Rule.model_validate({"id": "t", "behavior": "b", "prefer": "y", "weight": 0.4})
    assert hard.model_fields_set == {"id", "behavior", "require"}
    assert soft.model_fields_set == again.model_fields_set == {"id", "behavior", "prefer", "weight"}
    assert (hard.directive, hard.hard, soft.directive, soft.hard) == (
        "require",
        True,
        "prefer",
        False,
    )
    changed = soft.model_copy(update={"rationale": "why"})
    assert changed.model_fields_set == {"id", "behavior", "prefer", "weight", "rationale"}
    assert again.model_fields_set == {"id", "behavior", "prefer", "weight"}
    assert Bound.model_validate({"max": 0.5}).model_fields_set == {"max"}
    assert Bound.model_validate({"min": 0.1}).model_fields_set == {"min"}
    assert soft.model_dump(exclude_unset=True) == {
        "id": "s",
        "behavior": "b",
        "prefer": "x",
        "weight": 0.5,
    }
