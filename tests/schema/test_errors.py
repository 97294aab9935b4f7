from __future__ import annotations

import pytest
from pydantic import BaseModel

from policykit.load.reader import parse
from policykit.schema.errors import format_path, locate, raw_text, value_at
from policykit.schema.models import Catalog, Policy, Project
from policykit.schema.workspace import validate_model
from policykit.util.text import suggest

# (code, message, line, column, key path, hint)
Finding = tuple[str, str, int, int, str, str]

POLICY_HEAD = "apiVersion: policykit/v1\nkind: Policy\nmetadata:\n  name: dep\n"
RULE_HEAD = POLICY_HEAD + "rules:\n  - id: r1\n    behavior: b\n"


def check(text: str, model: type[BaseModel] = Policy, what: str = "the policy") -> list[Finding]:
    document = parse(text, "p.yaml")
    result, diags = validate_model(model, document, what)
    assert (result is None) == bool(diags)
    assert all(d.file == "p.yaml" for d in diags)
    return [(d.code, d.message, d.line, d.column, d.path, d.hint) for d in diags]


# -- helpers -------------------------------------------------------------------------


def test_format_path() -> None:
    assert format_path(("rules", 2, "target", "refuse")) == "rules[2].target.refuse"
    assert format_path((0, "a")) == "[0].a"
    assert format_path(()) == ""


def test_locate_walks_as_far_as_the_data_goes() -> None:
    doc = parse("a:\n  b: [x, y]\nc: 1\n", "f.yaml")
    assert locate(doc, ("a", "b", 1)) == (2, 10)
    assert locate(doc, ("a", "b")) == (2, 6)
    assert locate(doc, ("a", "b"), key=True) == (2, 3)
    assert locate(doc, ("a", "missing", 3)) == (2, 3)
    assert locate(doc, ("c", 0)) == (3, 4)
    assert locate(doc, ()) == (1, 1)


def test_value_at() -> None:
    doc = parse("a:\n  b: [x, y]\n", "f.yaml")
    assert value_at(doc, ("a", "b", 1)) == "y"
    assert value_at(doc, ("a", "b", 5)) is None
    assert value_at(doc, ("a", 0)) is None


def test_raw_text_is_what_was_typed() -> None:
    doc = parse("a: 1.10  # comment\nb: [12:30, no]\n", "f.yaml")
    assert raw_text(doc, 1, 4) == "1.10"
    assert raw_text(doc, 2, 5) == "12:30"
    assert raw_text(doc, 2, 12) == "no"


def test_suggest() -> None:
    assert suggest("behaviour", ["behavior", "when"]) == "did you mean 'behavior'?"
    assert suggest("zzz", ["behavior", "when"]) == ""


# -- unknown and missing fields ------------------------------------------------------


def test_unknown_top_level_field() -> None:
    assert check(POLICY_HEAD + "rulez: []\n") == [
        ("PK201", "unknown field 'rulez' in the policy", 5, 1, "rulez", "did you mean 'rules'?")
    ]


def test_unknown_nested_field() -> None:
    text = POLICY_HEAD.replace("  name: dep\n", "  name: dep\n  stakeholdr: user\n")
    assert check(text) == [
        (
            "PK201",
            "unknown field 'stakeholdr' in metadata",
            5,
            3,
            "metadata.stakeholdr",
            "did you mean 'stakeholder'?",
        )
    ]


def test_misspelt_field_is_unknown_and_the_right_one_missing() -> None:
    text = POLICY_HEAD + "rules:\n  - id: r1\n    behaviour: b\n    require: a\n"
    assert check(text) == [
        ("PK202", "missing field 'behavior' in rules[0]", 6, 5, "rules[0].behavior", ""),
        (
            "PK201",
            "unknown field 'behaviour' in rules[0]",
            7,
            5,
            "rules[0].behaviour",
            "did you mean 'behavior'?",
        ),
    ]


def test_unknown_field_without_a_near_miss_lists_the_fields() -> None:
    text = "apiVersion: policykit/v1\nkind: Catalog\nmetadata:\n  name: c\n  zzz: 1\n"
    assert check(text, Catalog, "the catalog") == [
        (
            "PK201",
            "unknown field 'zzz' in metadata",
            5,
            3,
            "metadata.zzz",
            "expected one of: name, description, version, owners",
        )
    ]


def test_unknown_field_inside_a_dict_of_models() -> None:
    text = RULE_HEAD + "    bounds: {a: {min: 0.1, maxx: 0.5}}\n"
    assert check(text) == [
        (
            "PK201",
            "unknown field 'maxx' in rules[0].bounds.a",
            8,
            28,
            "rules[0].bounds.a.maxx",
            "did you mean 'max'?",
        )
    ]


def test_missing_field() -> None:
    assert check("apiVersion: policykit/v1\nkind: Policy\n") == [
        ("PK202", "missing field 'metadata' in the policy", 1, 1, "metadata", "")
    ]


# -- YAML 1.1 values in string fields ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "described"),
    [
        ("no", "boolean false"),
        ("yes", "boolean true"),
        ("off", "boolean false"),
        ("1.10", "number 1.1"),
        ("12:30", "number 750"),
        ("1.0e+3", "number 1000.0"),
        ("2024-01-02", "date 2024-01-02"),
        ("2024-01-02 10:00:00", "date 2024-01-02T10:00:00"),
        ("010", "number 8"),
    ],
)
def test_non_string_in_string_field(raw: str, described: str) -> None:
    text = POLICY_HEAD.replace("name: dep", f"name: dep\n  version: {raw}  # quote me")
    assert check(text) == [
        (
            "PK204",
            f"{raw!r} at metadata.version in the policy is read as {described}, not a string",
            5,
            12,
            "metadata.version",
            f"quote it: '{raw}'",
        )
    ]


def test_quoted_value_is_a_string() -> None:
    text = POLICY_HEAD.replace("name: dep", "name: dep\n  version: '1.10'")
    assert check(text) == []


def test_non_string_in_a_list_of_names() -> None:
    text = RULE_HEAD + "    when: {region: [se, no]}\n    require: a\n"
    assert check(text) == [
        (
            "PK204",
            "'no' at rules[0].when.region[1] in the policy is read as boolean false, not a string",
            8,
            25,
            "rules[0].when.region[1]",
            "quote it: 'no'",
        )
    ]


def test_non_string_in_catalog_values() -> None:
    text = (
        "apiVersion: policykit/v1\nkind: Catalog\nmetadata:\n  name: c\n"
        "dimensions:\n  - id: region\n    values: [no, se, dk]\n    default: se\n"
    )
    assert check(text, Catalog, "the catalog") == [
        (
            "PK204",
            "'no' at dimensions[0].values[0] in the catalog is read as boolean false, not a string",
            7,
            14,
            "dimensions[0].values[0]",
            "quote it: 'no'",
        )
    ]


# -- numbers out of range ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (".nan", "input should be a finite number"),
        (".inf", "input should be a finite number"),
        ("-.inf", "input should be a finite number"),
        ("0", "input should be greater than 0"),
        ("-0.5", "input should be greater than 0"),
        ("1.5", "input should be less than or equal to 1"),
    ],
)
def test_weight_out_of_range(raw: str, message: str) -> None:
    text = RULE_HEAD + f"    prefer: a\n    weight: {raw}\n"
    assert check(text) == [
        (
            "PK205",
            f"{raw} at rules[0].weight in the policy is out of range: {message}",
            9,
            13,
            "rules[0].weight",
            "",
        )
    ]


def test_probability_out_of_range() -> None:
    text = RULE_HEAD + "    target: {a: -0.1, b: 1.1}\n"
    assert check(text) == [
        (
            "PK205",
            "-0.1 at rules[0].target.a in the policy is out of range: input should be "
            "greater than or equal to 0",
            8,
            17,
            "rules[0].target.a",
            "",
        ),
        (
            "PK205",
            "1.1 at rules[0].target.b in the policy is out of range: input should be "
            "less than or equal to 1",
            8,
            26,
            "rules[0].target.b",
            "",
        ),
    ]


def test_bound_out_of_range() -> None:
    text = RULE_HEAD + "    bounds: {a: {min: 0, max: 1.2}}\n"
    assert check(text) == [
        (
            "PK205",
            "1.2 at rules[0].bounds.a.max in the policy is out of range: input should be "
            "less than or equal to 1",
            8,
            31,
            "rules[0].bounds.a.max",
            "",
        )
    ]


def test_distribution_sum() -> None:
    text = RULE_HEAD + "    target: {a: 0.5, b: 0.4}\n"
    assert check(text) == [
        (
            "PK206",
            "rules[0].target in the policy: probabilities sum to 0.9, not 1",
            8,
            13,
            "rules[0].target",
            "",
        )
    ]


def test_distribution_sum_tolerance() -> None:
    assert check(RULE_HEAD + "    target: {a: 0.5, b: 0.5000005}\n") == []
    assert [c for c, *_ in check(RULE_HEAD + "    target: {a: 0.5, b: 0.500002}\n")] == ["PK206"]


def test_stakeholder_weight_range() -> None:
    text = (
        "apiVersion: policykit/v1\nkind: Project\nmetadata: {name: p}\n"
        "deployment: {description: d}\ncatalogs: [c.yaml]\n"
        "stakeholders:\n  user: {rank: 1, weight: 0}\n"
    )
    assert check(text, Project, "the project") == [
        (
            "PK205",
            "0 at stakeholders.user.weight in the project is out of range: input should be "
            "greater than 0",
            7,
            27,
            "stakeholders.user.weight",
            "",
        )
    ]


# -- directives, kinds and other shapes ----------------------------------------------


@pytest.mark.parametrize(
    ("lines", "code", "message", "path"),
    [
        (
            "    require: a\n    prefer: a\n",
            "PK211",
            "rules[0] in the policy: a rule has exactly one of require, forbid, bounds, "
            "target, prefer (found: require, prefer)",
            "rules[0]",
        ),
        (
            "",
            "PK211",
            "rules[0] in the policy: a rule has exactly one of require, forbid, bounds, "
            "target, prefer (found: none)",
            "rules[0]",
        ),
        (
            "    require: a\n    weight: 0.5\n",
            "PK211",
            "rules[0] in the policy: weight applies to soft rules (target, prefer) only",
            "rules[0]",
        ),
        (
            "    require: a\n    locked: true\n    adjustable_by: [user]\n",
            "PK213",
            "rules[0] in the policy: a rule cannot be both locked and adjustable_by",
            "rules[0]",
        ),
        (
            "    require: a\n    within: {a: {min: 0.5}}\n",
            "PK213",
            "rules[0] in the policy: within limits an adjustment: give adjustable_by too",
            "rules[0]",
        ),
    ],
    ids=["two-directives", "no-directive", "weight-on-hard", "locked-adjustable", "within"],
)
def test_rule_shape(lines: str, code: str, message: str, path: str) -> None:
    assert check(RULE_HEAD + lines) == [(code, message, 6, 5, path, "")]


def test_bounds_in_order() -> None:
    text = RULE_HEAD + "    bounds: {a: {min: 0.7, max: 0.2}}\n"
    assert check(text) == [
        (
            "PK213",
            "rules[0].bounds.a in the policy: min 0.7 is above max 0.2",
            8,
            17,
            "rules[0].bounds.a",
            "",
        )
    ]


def test_bound_minimums_over_one() -> None:
    text = RULE_HEAD + "    bounds: {a: {min: 0.6}, b: {min: 0.5}}\n"
    assert check(text) == [
        (
            "PK213",
            "rules[0] in the policy: the bounds' minimums add up to 1.1, more than 1",
            6,
            5,
            "rules[0]",
            "",
        )
    ]


def test_conflicts_relation_without_outcomes() -> None:
    text = (
        "apiVersion: policykit/v1\nkind: Catalog\nmetadata: {name: c}\n"
        "relations:\n  - {type: conflicts, from: a, to: b}\n"
    )
    assert check(text, Catalog, "the catalog") == [
        (
            "PK213",
            "relations[0] in the catalog: a conflicts relation names from_outcome and to_outcome",
            5,
            5,
            "relations[0]",
            "",
        )
    ]


@pytest.mark.parametrize(
    ("old", "new", "message", "line", "col", "path"),
    [
        ("kind: Policy", "kind: Polcy", "kind is 'Polcy'; expected 'Policy'", 2, 7, "kind"),
        (
            "kind: Policy",
            "kind: Catalog",
            "this file is a Catalog, but it is included as a Policy",
            2,
            7,
            "kind",
        ),
        (
            "policykit/v1",
            "policykit/v2",
            "apiVersion is 'policykit/v2'; expected 'policykit/v1'",
            1,
            13,
            "apiVersion",
        ),
    ],
)
def test_wrong_kind_or_api_version(
    old: str, new: str, message: str, line: int, col: int, path: str
) -> None:
    assert check(POLICY_HEAD.replace(old, new)) == [("PK210", message, line, col, path, "")]


def test_literal_with_suggestion() -> None:
    text = (
        "apiVersion: policykit/v1\nkind: Project\nmetadata: {name: p}\n"
        "deployment: {description: d}\ncatalogs: [c.yaml]\nstrategy: maxmn\n"
    )
    assert check(text, Project, "the project") == [
        (
            "PK203",
            "'maxmn' is not allowed at strategy in the project; expected "
            "'weighted_linear', 'weighted_log', 'maxmin' or 'chain_of_command'",
            6,
            11,
            "strategy",
            "did you mean 'maxmin'?",
        )
    ]


def test_a_stakeholder_claim_is_a_name() -> None:
    # named principals: the claim is checked against the binding (PK209), not a list
    text = POLICY_HEAD.replace("name: dep", "name: dep\n  stakeholder: parent")
    assert check(text) == []


def test_bad_name() -> None:
    assert check(POLICY_HEAD.replace("name: dep", "name: 'my policy'")) == [
        (
            "PK203",
            "'my policy' at metadata.name in the policy is not a valid name: use letters, "
            "digits, '_' and '-', starting with a letter",
            4,
            9,
            "metadata.name",
            "",
        )
    ]


@pytest.mark.parametrize(
    ("lines", "message", "line", "col", "path"),
    [
        (
            "    prefer: a\n    weight: high\n",
            "rules[0].weight in the policy should be a number, got string 'high'",
            9,
            13,
            "rules[0].weight",
        ),
        (
            "    require: a\n    locked: 1\n",
            "rules[0].locked in the policy should be true or false, got number 1",
            9,
            13,
            "rules[0].locked",
        ),
        (
            "    require: [a]\n",
            "rules[0].require in the policy should be a string, got a list",
            8,
            14,
            "rules[0].require",
        ),
        (
            "    target: [a]\n",
            "rules[0].target in the policy should be a mapping, got a list",
            8,
            13,
            "rules[0].target",
        ),
    ],
)
def test_wrong_type(lines: str, message: str, line: int, col: int, path: str) -> None:
    assert check(RULE_HEAD + lines) == [("PK203", message, line, col, path, "")]


def test_wrong_type_of_a_section() -> None:
    assert check(POLICY_HEAD + "rules: {a: 1}\n") == [
        ("PK203", "rules in the policy should be a list, got a mapping", 5, 8, "rules", "")
    ]
    assert check(POLICY_HEAD.replace("  name: dep\n", "")) == [
        ("PK203", "metadata in the policy should be a mapping, got null", 3, 10, "metadata", "")
    ]


def test_every_error_is_reported_once() -> None:
    text = (
        POLICY_HEAD
        + "rules:\n"
        + "  - {id: a, behavior: b, prefer: x, weight: 2}\n"
        + "  - {id: b, behavior: b, require: x, extra: 1}\n"
    )
    found = check(text)
    assert [(code, line, path) for code, _, line, _, path, _ in found] == [
        ("PK205", 6, "rules[0].weight"),
        ("PK201", 7, "rules[1].extra"),
    ]


def test_valid_policy_has_no_findings() -> None:
    text = RULE_HEAD + "    when: {audience: minor}\n    forbid: comply\n"
    assert check(text) == []


def test_unquoted_single_value_in_a_scope_gets_the_quote_hint() -> None:
    """`region: no` stands for a one-item list, so it gets PK204 like `region: [no]`."""
    assert check(RULE_HEAD + "    when: {region: no}\n    require: a\n") == [
        (
            "PK204",
            "'no' at rules[0].when.region[0] in the policy is read as boolean false, not a string",
            8,
            20,
            "rules[0].when.region[0]",
            "quote it: 'no'",
        )
    ]
