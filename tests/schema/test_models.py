from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policykit.schema.models import (
    KINDS,
    Behavior,
    Bound,
    Dimension,
    Metadata,
    Project,
    Relation,
    Rule,
    StakeholderSettings,
)


def rule(**fields: Any) -> Rule:
    return Rule.model_validate({"id": "r", "behavior": "b", **fields})


def errors(model: type[Any], data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(e["loc"], e["type"]) for e in info.value.errors()]


def rule_errors(**fields: Any) -> list[str]:
    with pytest.raises(ValidationError) as info:
        rule(**fields)
    return [e["msg"] for e in info.value.errors()]


# -- strictness ----------------------------------------------------------------------


def test_unknown_field_is_rejected() -> None:
    assert errors(Rule, {"id": "r", "behavior": "b", "require": "x", "behaviour": "b"}) == [
        (("behaviour",), "extra_forbidden")
    ]


def test_no_coercion_of_strings() -> None:
    assert errors(Metadata, {"name": "n", "version": 1.1}) == [(("version",), "string_type")]
    assert errors(Metadata, {"name": False}) == [(("name",), "string_type")]


def test_no_coercion_of_numbers() -> None:
    assert errors(Rule, {"id": "r", "behavior": "b", "prefer": "x", "weight": "0.5"}) == [
        (("weight",), "float_type")
    ]
    assert errors(StakeholderSettings, {"rank": 2.0}) == [(("rank",), "int_type")]


def test_no_coercion_of_booleans() -> None:
    assert errors(Rule, {"id": "r", "behavior": "b", "require": "x", "locked": "yes"}) == [
        (("locked",), "bool_type")
    ]


def test_non_finite_numbers_are_rejected() -> None:
    for value in (float("nan"), float("inf")):
        assert errors(Rule, {"id": "r", "behavior": "b", "prefer": "x", "weight": value}) == [
            (("weight",), "finite_number")
        ]


def test_lists_must_be_sequences_read_from_yaml() -> None:
    # strict: the reader gives tuples (YSeq); a Python list is not accepted either
    assert errors(Rule, {"id": "r", "behavior": "b", "forbid": ["a"]}) == [
        (("forbid",), "tuple_type")
    ]


def test_a_single_scalar_stands_for_a_one_item_list() -> None:
    rule = Rule.model_validate({"id": "r", "behavior": "b", "forbid": "a", "when": {"d": "v"}})
    assert rule.forbid == ("a",)
    assert rule.when == {"d": ("v",)}
    # any scalar is wrapped, so a YAML 1.1 boolean meets the string check of the item
    assert errors(Rule, {"id": "r", "behavior": "b", "require": "a", "when": {"d": False}}) == [
        (("when", "d", 0), "string_type")
    ]


def test_models_are_frozen() -> None:
    r = rule(require="refuse")
    with pytest.raises(ValidationError):
        r.require = "comply"  # type: ignore[misc]


def test_ids_must_be_names() -> None:
    assert errors(Rule, {"id": "two words", "behavior": "b", "require": "x"}) == [
        (("id",), "string_pattern_mismatch")
    ]
    assert rule(require="_x-1").require == "_x-1"


def test_kinds_registry() -> None:
    assert {k: m.__name__ for k, m in KINDS.items()} == {
        "Project": "Project",
        "Catalog": "Catalog",
        "Policy": "Policy",
    }


# -- directives ----------------------------------------------------------------------


def test_require() -> None:
    r = rule(require="refuse")
    assert (r.directive, r.hard, r.require) == ("require", True, "refuse")


@pytest.mark.parametrize(("given", "stored"), [("comply", ("comply",)), (("a", "b"), ("a", "b"))])
def test_forbid_one_or_many(given: Any, stored: tuple[str, ...]) -> None:
    r = rule(forbid=given)
    assert (r.directive, r.hard, r.forbid) == ("forbid", True, stored)


def test_forbid_needs_an_outcome() -> None:
    assert errors(Rule, {"id": "r", "behavior": "b", "forbid": ()}) == [(("forbid",), "too_short")]


def test_bounds() -> None:
    r = rule(bounds={"refuse": {"min": 0.2}})
    assert (r.directive, r.hard) == ("bounds", True)
    assert r.bounds == {"refuse": Bound(min=0.2, max=1.0)}


def test_target() -> None:
    r = rule(target={"refuse": 0.25, "comply": 0.75}, weight=0.5)
    assert (r.directive, r.hard, r.weight) == ("target", False, 0.5)


def test_prefer() -> None:
    r = rule(prefer="comply")
    assert (r.directive, r.hard, r.weight) == ("prefer", False, 1.0)


def test_exactly_one_directive() -> None:
    assert rule_errors() == [
        "a rule has exactly one of require, forbid, bounds, target, prefer (found: none)"
    ]
    assert rule_errors(require="a", prefer="a", forbid="b") == [
        "a rule has exactly one of require, forbid, bounds, target, prefer "
        "(found: require, forbid, prefer)"
    ]


@pytest.mark.parametrize(
    "directive",
    [{"require": "a"}, {"forbid": "a"}, {"bounds": {"a": {"max": 0.5}}}],
    ids=["require", "forbid", "bounds"],
)
def test_weight_only_on_soft_rules(directive: dict[str, Any]) -> None:
    assert rule_errors(**directive, weight=0.5) == [
        "weight applies to soft rules (target, prefer) only"
    ]
    # the default weight is not "given"
    assert rule(**directive).weight == 1.0


@pytest.mark.parametrize("weight", [0.0, -0.5, 1.000001])
def test_weight_range(weight: float) -> None:
    assert len(rule_errors(prefer="a", weight=weight)) == 1


def test_weight_upper_edge() -> None:
    assert rule(prefer="a", weight=1.0).weight == 1.0


# -- permissions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "locked"),
    [
        ({"require": "a"}, True),
        ({"forbid": "a"}, True),
        ({"bounds": {"a": {"min": 0.1}}}, True),
        ({"require": "a", "adjustable_by": ("user",)}, False),
        ({"require": "a", "locked": False}, False),
        ({"prefer": "a"}, False),
        ({"target": {"a": 1.0}}, False),
        ({"prefer": "a", "locked": True}, True),
        ({"prefer": "a", "adjustable_by": ("user",)}, False),
    ],
)
def test_is_locked_defaults(fields: dict[str, Any], locked: bool) -> None:
    assert rule(**fields).is_locked is locked


def test_locked_and_adjustable_by_contradict() -> None:
    assert rule_errors(require="a", locked=True, adjustable_by=("user",)) == [
        "a rule cannot be both locked and adjustable_by"
    ]


def test_within_needs_adjustable_by() -> None:
    assert rule_errors(require="a", within={"a": {"min": 0.5}}) == [
        "within limits an adjustment: give adjustable_by too"
    ]
    r = rule(require="a", adjustable_by=("user",), within={"a": {"min": 0.5}})
    assert r.within == {"a": Bound(min=0.5)}


def test_adjustable_by_names_stakeholders() -> None:
    # names, checked against the project later (PK222); here only their spelling
    assert errors(
        Rule, {"id": "r", "behavior": "b", "require": "a", "adjustable_by": ("a parent",)}
    ) == [(("adjustable_by", 0), "string_pattern_mismatch")]
    rule = Rule.model_validate(
        {"id": "r", "behavior": "b", "require": "a", "adjustable_by": ("parent",)}
    )
    assert rule.adjustable_by == ("parent",)


# -- numbers -------------------------------------------------------------------------


def test_bounds_ordered() -> None:
    assert Bound(min=0.3, max=0.3).min == 0.3
    with pytest.raises(ValidationError) as info:
        Bound(min=0.7, max=0.2)
    assert [e["msg"] for e in info.value.errors()] == ["min 0.7 is above max 0.2"]


@pytest.mark.parametrize("field", ["min", "max"])
@pytest.mark.parametrize("value", [-0.1, 1.2])
def test_bound_is_a_probability(field: str, value: float) -> None:
    assert [t for _, t in errors(Bound, {field: value})] in (
        ["greater_than_equal"],
        ["less_than_equal"],
    )


@pytest.mark.parametrize("total", [1.0 + 5e-7, 1.0 - 5e-7, 1.0])
def test_distribution_sums_to_one_within_tolerance(total: float) -> None:
    r = rule(target={"a": 0.5, "b": total - 0.5})
    assert r.target is not None and set(r.target) == {"a", "b"}


@pytest.mark.parametrize(
    ("total", "shown"), [(1.0 + 2e-6, "1.000002"), (1.0 - 2e-6, "0.999998"), (0.9, "0.9")]
)
def test_distribution_off_by_more_than_tolerance(total: float, shown: str) -> None:
    assert rule_errors(target={"a": 0.5, "b": total - 0.5}) == [
        f"probabilities sum to {shown}, not 1"
    ]


def test_distribution_probabilities_in_range() -> None:
    assert errors(Rule, {"id": "r", "behavior": "b", "target": {"a": -0.1, "b": 1.1}}) == [
        (("target", "a"), "greater_than_equal"),
        (("target", "b"), "less_than_equal"),
    ]


def test_distribution_not_empty() -> None:
    assert errors(Rule, {"id": "r", "behavior": "b", "target": {}}) == [(("target",), "too_short")]


# -- catalog and project -------------------------------------------------------------

BEHAVIOR: dict[str, Any] = {
    "id": "b",
    "description": "d",
    "property": "harmless",
    "outcomes": {
        "refuse": {"description": "r", "exemplars": ("no",)},
        "comply": {"description": "c", "exemplars": ("yes",)},
    },
    "default": {"refuse": 1.0},
    "probes": ("p",),
}


def test_behavior_is_valid() -> None:
    b = Behavior.model_validate(BEHAVIOR)
    assert list(b.outcomes) == ["refuse", "comply"]


def test_behavior_needs_two_outcomes() -> None:
    data = {**BEHAVIOR, "outcomes": {"refuse": BEHAVIOR["outcomes"]["refuse"]}}
    assert errors(Behavior, data) == [(("outcomes",), "too_short")]


def test_behavior_default_sums_to_one() -> None:
    assert errors(Behavior, {**BEHAVIOR, "default": {"refuse": 0.5}}) == [
        (("default",), "distribution_sum")
    ]


def test_behavior_property() -> None:
    assert errors(Behavior, {**BEHAVIOR, "property": "helpfull"}) == [
        (("property",), "literal_error")
    ]


def test_dimension_needs_values() -> None:
    assert errors(Dimension, {"id": "d", "values": (), "default": "x"}) == [
        (("values",), "too_short")
    ]


def test_conflicts_relation_names_outcomes() -> None:
    with pytest.raises(ValidationError) as info:
        Relation.model_validate({"type": "conflicts", "from": "a", "to": "b"})
    assert [e["msg"] for e in info.value.errors()] == [
        "a conflicts relation names from_outcome and to_outcome"
    ]
    rel = Relation.model_validate({"type": "supports", "from": "a", "to": "b"})
    assert (rel.from_, rel.to) == ("a", "b")


def test_relation_from_is_spelled_from() -> None:
    assert errors(Relation, {"type": "supports", "from_": "a", "to": "b"}) == [
        (("from",), "missing"),
        (("from_",), "extra_forbidden"),
    ]


PROJECT: dict[str, Any] = {
    "apiVersion": "policykit/v1",
    "kind": "Project",
    "metadata": {"name": "p"},
    "deployment": {"description": "d"},
    "catalogs": ("c.yaml",),
}


def test_project_defaults() -> None:
    p = Project.model_validate(PROJECT)
    assert (p.strategy, p.on_violation, p.analysis.tension_threshold) == (
        "weighted_linear",
        "error",
        0.1,
    )
    assert [p.settings(s).rank for s in ("society", "developer", "deployer", "user")] == [
        3,
        3,
        2,
        1,
    ]


def test_project_stakeholder_settings_override() -> None:
    p = Project.model_validate({**PROJECT, "stakeholders": {"user": {"rank": 5, "weight": 0.5}}})
    assert p.settings("user") == StakeholderSettings(rank=5, weight=0.5)
    assert p.settings("deployer").rank == 2


def test_project_needs_a_catalog() -> None:
    assert errors(Project, {**PROJECT, "catalogs": ()}) == [(("catalogs",), "too_short")]


def test_project_api_version() -> None:
    assert errors(Project, {**PROJECT, "apiVersion": "policykit/v2"}) == [
        (("apiVersion",), "literal_error")
    ]


def test_policy_ref_stakeholder_required() -> None:
    assert errors(Project, {**PROJECT, "policies": ({"path": "p.yaml"},)}) == [
        (("policies", 0, "stakeholder"), "missing")
    ]


def test_a_directive_given_as_null_is_not_given() -> None:
    r = rule(require=None, forbid="a")
    assert (r.directive, r.hard, r.forbid) == ("forbid", True, ("a",))
    assert rule_errors(require=None) == [
        "a rule has exactly one of require, forbid, bounds, target, prefer (found: none)"
    ]
    assert rule_errors(prefer=None, target={"a": 1.0}, require="a") == [
        "a rule has exactly one of require, forbid, bounds, target, prefer (found: require, target)"
    ]
