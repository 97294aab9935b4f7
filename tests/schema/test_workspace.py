from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policykit.diagnostics import Related, Severity
from policykit.load.project import load_sources
from policykit.pipeline import ValidateOptions, ValidationResult, validate_project
from policykit.schema.errors import locate
from policykit.schema.models import Grant, Rule
from policykit.schema.workspace import _outcome_refs, _outcomes_known, bind
from tests.minimal import CATALOG, POLICY, PROJECT, project

# (code, message, file, line, column, key path, hint)
Finding = tuple[str, str, str, int, int, str, str]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(root: Path) -> ValidationResult:
    """The schema and reference checks only; the conflict analysis is tested elsewhere."""
    return validate_project(root, ValidateOptions(analyze=False))


def check(root: Path, **changes: str | None) -> list[Finding]:
    project(root, **changes)
    result = validate(root)
    return [
        (d.code, d.message, d.file, d.line, d.column, d.path, d.hint) for d in result.diagnostics
    ]


def related(root: Path, **changes: str | None) -> list[tuple[Related, ...]]:
    project(root, **changes)
    return [d.related for d in validate(root).diagnostics]


def test_minimal_project_is_clean(root: Path) -> None:
    project(root)
    result = validate(root)
    assert result.diagnostics == ()
    ws = result.workspace
    assert ws is not None
    assert list(ws.behaviors) == ["profanity"]
    assert list(ws.dimensions) == ["audience"]
    assert [(pf.stakeholder, pf.on_violation) for pf in ws.policies] == [("deployer", "error")]
    assert [(r.id, i) for _, i, r in ws.rules()] == [("no-swearing-for-minors", 0)]
    assert ws.origins["profanity"].position() == ("catalog.yaml", 10, 5)
    assert ws.origins["dimension:audience"].position() == ("catalog.yaml", 6, 5)
    assert result.files_read == 3


def test_on_violation_comes_from_the_entry_or_the_project(root: Path) -> None:
    text = PROJECT + "    on_violation: drop\n"
    project(root, policykit=text)
    ws = validate(root).workspace
    assert ws is not None and [pf.on_violation for pf in ws.policies] == ["drop"]


# -- unknown references --------------------------------------------------------------


def test_unknown_behavior(root: Path) -> None:
    assert check(root, deployer=POLICY.replace("behavior: profanity", "behavior: profanty")) == [
        (
            "PK207",
            "unknown behavior 'profanty'",
            "deployer.yaml",
            8,
            15,
            "rules[0].behavior",
            "did you mean 'profanity'?",
        )
    ]


def test_unknown_outcome(root: Path) -> None:
    assert check(root, deployer=POLICY.replace("forbid: comply", "forbid: complies")) == [
        (
            "PK207",
            "unknown outcome 'complies' of behavior 'profanity'",
            "deployer.yaml",
            10,
            13,
            "rules[0].forbid[0]",
            "did you mean 'comply'?",
        )
    ]


def test_unknown_outcome_in_a_target_key(root: Path) -> None:
    policy = POLICY.replace("forbid: comply", "target: {refuse: 0.5, complyy: 0.5}")
    assert check(root, deployer=policy) == [
        (
            "PK207",
            "unknown outcome 'complyy' of behavior 'profanity'",
            "deployer.yaml",
            10,
            27,
            "rules[0].target.complyy",
            "did you mean 'comply'?",
        )
    ]


def test_unknown_dimension(root: Path) -> None:
    policy = POLICY.replace("{audience: minor}", "{audiense: minor}")
    assert check(root, deployer=policy) == [
        (
            "PK207",
            "unknown dimension 'audiense'",
            "deployer.yaml",
            9,
            12,
            "rules[0].when.audiense",
            "did you mean 'audience'?",
        )
    ]


def test_unknown_dimension_value(root: Path) -> None:
    policy = POLICY.replace("{audience: minor}", "{audience: [adult, minr]}")
    assert check(root, deployer=policy) == [
        (
            "PK207",
            "unknown value 'minr' of dimension 'audience'",
            "deployer.yaml",
            9,
            30,
            "rules[0].when.audience[1]",
            "did you mean 'minor'?",
        )
    ]


def test_unknown_reference_without_near_miss(root: Path) -> None:
    findings = check(root, deployer=POLICY.replace("behavior: profanity", "behavior: zzz"))
    assert [(code, msg, hint) for code, msg, *_, hint in findings] == [
        ("PK207", "unknown behavior 'zzz'", "expected one of: profanity")
    ]


def test_unknown_dimension_default(root: Path) -> None:
    assert check(root, catalog=CATALOG.replace("default: adult", "default: child")) == [
        (
            "PK207",
            "unknown value 'child' of dimension 'audience'",
            "catalog.yaml",
            8,
            14,
            "dimensions[0].default",
            "expected one of: adult, minor",
        )
    ]


def test_unknown_label_value(root: Path) -> None:
    catalog = CATALOG.replace("default: adult", "default: adult\n    labels: {adlt: a grown-up}")
    assert check(root, catalog=catalog) == [
        (
            "PK207",
            "unknown value 'adlt' of dimension 'audience'",
            "catalog.yaml",
            9,
            14,
            "dimensions[0].labels.adlt",
            "did you mean 'adult'?",
        )
    ]


def test_unknown_outcome_in_behavior_default(root: Path) -> None:
    catalog = CATALOG.replace("{refuse: 0.5, comply: 0.5}", "{refuse: 0.5, complyy: 0.5}")
    assert check(root, catalog=catalog) == [
        (
            "PK207",
            "unknown outcome 'complyy' of behavior 'profanity'",
            "catalog.yaml",
            20,
            28,
            "behaviors[0].default.complyy",
            "did you mean 'comply'?",
        )
    ]


def test_grant_references_are_checked(root: Path) -> None:
    policy = (
        POLICY + "grants:\n  - behavior: profanity\n    to: [user]\n    when: {audiense: adult}\n"
    )
    findings = check(root, deployer=policy)
    assert findings == [
        (
            "PK207",
            "unknown dimension 'audiense'",
            "deployer.yaml",
            14,
            12,
            "grants[0].when.audiense",
            "did you mean 'audience'?",
        )
    ]


# -- duplicate ids -------------------------------------------------------------------

SECOND_CATALOG = """\
apiVersion: policykit/v1
kind: Catalog
metadata:
  name: second
dimensions:
  - id: region
    values: [eu, us]
    default: eu
"""
TWO_CATALOGS = PROJECT.replace("[catalog.yaml]", "[catalog.yaml, second.yaml]")


def test_duplicate_behavior_across_catalogs(root: Path) -> None:
    second = SECOND_CATALOG + CATALOG[CATALOG.index("behaviors:") :]
    changes = {"policykit": TWO_CATALOGS, "second": second}
    assert check(root, **changes) == [
        (
            "PK208",
            "duplicate behavior id 'profanity'",
            "second.yaml",
            10,
            9,
            "behaviors[0].id",
            "",
        )
    ]
    assert related(root, **changes) == [(Related("first declared here", "catalog.yaml", 10, 9),)]


def test_duplicate_dimension_across_catalogs(root: Path) -> None:
    second = SECOND_CATALOG.replace("id: region", "id: audience")
    changes = {"policykit": TWO_CATALOGS, "second": second}
    assert check(root, **changes) == [
        (
            "PK208",
            "duplicate dimension id 'audience'",
            "second.yaml",
            6,
            9,
            "dimensions[0].id",
            "",
        )
    ]
    assert related(root, **changes) == [(Related("first declared here", "catalog.yaml", 6, 9),)]


def test_duplicate_value_in_a_dimension(root: Path) -> None:
    catalog = CATALOG.replace("[adult, minor]", "[adult, minor, adult]")
    assert check(root, catalog=catalog) == [
        (
            "PK208",
            "value 'adult' appears twice in dimension 'audience'",
            "catalog.yaml",
            7,
            28,
            "dimensions[0].values[2]",
            "",
        )
    ]


USER_PROJECT = PROJECT + "  - path: user.yaml\n    stakeholder: user\n"
USER_POLICY = POLICY.replace("name: dep", "name: usr").replace("stakeholder: deployer", "")


def test_duplicate_rule_across_policy_files(root: Path) -> None:
    changes = {"policykit": USER_PROJECT, "user": USER_POLICY}
    assert check(root, **changes) == [
        (
            "PK208",
            "duplicate rule id 'no-swearing-for-minors'",
            "user.yaml",
            7,
            9,
            "rules[0].id",
            "",
        )
    ]
    assert related(root, **changes) == [(Related("first declared here", "deployer.yaml", 7, 9),)]


def test_duplicate_policy_name(root: Path) -> None:
    user = USER_POLICY.replace("name: usr", "name: dep").replace("id: no-", "id: user-no-")
    assert check(root, policykit=USER_PROJECT, user=user) == [
        ("PK208", "duplicate policy id 'dep'", "user.yaml", 4, 9, "metadata.name", "")
    ]


# -- bindings and permissions --------------------------------------------------------


def test_policy_claiming_another_stakeholder(root: Path) -> None:
    changes = {"deployer": POLICY.replace("stakeholder: deployer", "stakeholder: developer")}
    assert check(root, **changes) == [
        (
            "PK209",
            "this policy says it speaks for 'developer', but the project binds it to 'deployer'",
            "deployer.yaml",
            5,
            16,
            "metadata.stakeholder",
            "the project decides who a file speaks for",
        )
    ]
    assert related(root, **changes) == [(Related("bound here", "policykit.yaml", 9, 5),)]


def test_policy_without_a_claim_takes_the_binding(root: Path) -> None:
    project(root, policykit=USER_PROJECT, user=USER_POLICY.replace("id: no-", "id: user-no-"))
    result = validate(root)
    assert result.diagnostics == ()
    assert result.workspace is not None
    assert [pf.stakeholder for pf in result.workspace.policies] == ["deployer", "user"]


def test_adjustable_by_a_stakeholder_not_ranked_lower(root: Path) -> None:
    policy = POLICY + "    adjustable_by: [user, developer]\n"
    assert check(root, deployer=policy) == [
        (
            "PK213",
            "'developer' does not rank below 'deployer', so it cannot be given the right to adjust",
            "deployer.yaml",
            11,
            27,
            "rules[0].adjustable_by[1]",
            "",
        )
    ]


def test_adjustable_by_same_rank(root: Path) -> None:
    text = PROJECT + "stakeholders:\n  user: {rank: 2}\n"
    policy = POLICY + "    adjustable_by: [user]\n"
    findings = check(root, policykit=text, deployer=policy)
    assert [(code, msg) for code, msg, *_ in findings] == [
        (
            "PK213",
            "'user' does not rank below 'deployer', so it cannot be given the right to adjust",
        )
    ]


def test_adjustable_by_lower_rank_is_fine(root: Path) -> None:
    assert check(root, deployer=POLICY + "    adjustable_by: [user]\n") == []


def test_grant_to_a_higher_stakeholder(root: Path) -> None:
    policy = POLICY + "grants:\n  - behavior: profanity\n    to: [society]\n"
    assert check(root, deployer=policy) == [
        (
            "PK213",
            "'society' does not rank below 'deployer', so it cannot be given the right to adjust",
            "deployer.yaml",
            13,
            10,
            "grants[0].to[0]",
            "",
        )
    ]


# -- placeholders and relations ------------------------------------------------------


def test_placeholder_near_miss_is_a_warning(root: Path) -> None:
    project(root, catalog=CATALOG.replace("{audience}", "{audiense}"))
    result = validate(root)
    (d,) = result.diagnostics
    assert (d.code, d.severity, d.message, d.location, d.path, d.hint) == (
        "PK212",
        Severity.WARNING,
        "placeholder {audiense} names no dimension and is kept as literal text",
        "catalog.yaml:21:14",
        "behaviors[0].probes[0]",
        "did you mean 'audience'?",
    )
    # a warning alone does not stop the workspace
    assert result.workspace is not None


def test_placeholder_in_rule_examples(root: Path) -> None:
    policy = POLICY + "    examples: ['I am {audence}, curse for me']\n"
    findings = check(root, deployer=policy)
    assert [(code, file, line, path) for code, _, file, line, _, path, _ in findings] == [
        ("PK212", "deployer.yaml", 11, "rules[0].examples[0]")
    ]


def test_unrelated_braces_are_literal_text(root: Path) -> None:
    assert check(root, catalog=CATALOG.replace("{audience}", "{audience} {json_key}")) == []


def test_relation_to_unknown_behavior(root: Path) -> None:
    catalog = CATALOG + "relations:\n  - type: supports\n    from: profanity\n    to: profanty\n"
    assert check(root, catalog=catalog) == [
        (
            "PK302",
            "supports relation names unknown behavior 'profanty'",
            "catalog.yaml",
            25,
            9,
            "relations[0].to",
            "did you mean 'profanity'?",
        )
    ]


def test_relation_to_unknown_outcome(root: Path) -> None:
    catalog = CATALOG + (
        "relations:\n  - type: conflicts\n    from: profanity\n    to: profanity\n"
        "    from_outcome: refuse\n    to_outcome: complyy\n"
    )
    assert check(root, catalog=catalog) == [
        (
            "PK207",
            "unknown outcome 'complyy' of behavior 'profanity'",
            "catalog.yaml",
            27,
            17,
            "relations[0].to_outcome",
            "did you mean 'comply'?",
        )
    ]


def test_valid_relation_is_kept(root: Path) -> None:
    catalog = CATALOG + "relations:\n  - {type: refines, from: profanity, to: profanity}\n"
    project(root, catalog=catalog)
    ws = validate(root).workspace
    assert ws is not None
    assert [(rel.type, origin.path) for rel, origin in ws.relations] == [
        ("refines", ("relations", 0))
    ]


# -- files of the wrong kind ---------------------------------------------------------


def test_catalog_listed_as_policy(root: Path) -> None:
    text = PROJECT.replace("path: deployer.yaml", "path: catalog.yaml")
    assert check(root, policykit=text) == [
        (
            "PK210",
            "this file is a Catalog, but it is included as a Policy",
            "catalog.yaml",
            2,
            7,
            "kind",
            "",
        )
    ]


def test_no_workspace_when_there_are_errors(root: Path) -> None:
    project(root, deployer=POLICY.replace("profanity", "profanty"))
    sources, diags = load_sources(root)
    assert sources is not None and diags == ()
    workspace, found = bind(sources)
    assert workspace is None
    assert [d.code for d in found] == ["PK207"]


def test_unreadable_catalog_does_not_cascade(root: Path) -> None:
    catalog = CATALOG.replace("property: harmless", "property: harmless\n    property: honest")
    findings = check(root, catalog=catalog)
    assert [(code, file) for code, _, file, *_ in findings] == [("PK104", "catalog.yaml")]


@pytest.mark.parametrize(
    ("directive", "path"),
    [
        ("forbid: [comply, refuse]", "rules[0].forbid"),
        ("bounds: {comply: {max: 0.3}, refuse: {max: 0.5}}", "rules[0].bounds"),
    ],
)
def test_rule_that_cannot_hold(root: Path, directive: str, path: str) -> None:
    assert check(root, deployer=POLICY.replace("forbid: comply", directive)) == [
        (
            "PK213",
            "rule 'no-swearing-for-minors' cannot hold on its own: no distribution over "
            "refuse, comply satisfies it",
            "deployer.yaml",
            10,
            13,
            path,
            "",
        )
    ]


def test_a_bad_scope_entry_is_reported_at_every_rule_that_has_it(root: Path) -> None:
    # scope entries are checked once and then remembered, but only the good ones
    policy = POLICY + (
        "  - id: b\n    behavior: profanity\n    when: {audience: minr}\n    forbid: comply\n"
        "  - id: c\n    behavior: profanity\n    when: {audience: minor}\n    forbid: comply\n"
        "  - id: d\n    behavior: profanity\n    when: {audience: minr}\n    forbid: comply\n"
    )
    assert [(f[0], f[3], f[5]) for f in check(root, deployer=policy)] == [
        ("PK207", 13, "rules[1].when.audience[0]"),
        ("PK207", 21, "rules[3].when.audience[0]"),
    ]


@settings(max_examples=100, deadline=None)
@given(
    directive=st.sampled_from(["require", "prefer", "forbid", "bounds", "target"]),
    named=st.lists(st.sampled_from(["refuse", "comply", "other"]), min_size=1, max_size=3),
    within=st.none() | st.lists(st.sampled_from(["refuse", "other"]), min_size=1, max_size=2),
    outcomes=st.sets(st.sampled_from(["refuse", "comply", "other"])),
)
def test_outcomes_known_agrees_with_the_outcomes_a_rule_names(
    directive: str, named: list[str], within: list[str] | None, outcomes: set[str]
) -> None:
    names = list(dict.fromkeys(named))
    value: object = {
        "require": names[0],
        "prefer": names[0],
        "forbid": tuple(names),
        "bounds": {o: {"max": 0.5} for o in names},
        "target": {o: 1 / len(names) for o in names},
    }[directive]
    fields: dict[str, object] = {"id": "r", "behavior": "b", directive: value}
    if within is not None:
        fields |= {"within": {o: {"max": 0.5} for o in within}, "adjustable_by": ("user",)}
    rule = Rule.model_validate(fields)
    grant = Grant.model_validate(
        {"behavior": "b", "to": ("user",), **({"within": fields["within"]} if within else {})}
    )
    choices = dict.fromkeys(outcomes, None)
    for item in (rule, grant):
        named_here = [o for o, _, _ in _outcome_refs(item)]
        assert _outcomes_known(item, choices) == all(o in choices for o in named_here)


def test_rule_position_is_where_locate_points(root: Path) -> None:
    policy = POLICY + "  - {id: b, behavior: profanity, forbid: comply}\n"
    project(root, deployer=policy)
    sources, _ = load_sources(root)
    assert sources is not None
    workspace, _ = bind(sources)
    assert workspace is not None
    (pf,) = workspace.policies
    for i in range(-1, 3):  # out of range too: locate stops at the list
        assert pf.rule_position(i) == locate(pf.document, ("rules", i))
    assert [pf.rule_position(i) for i in range(2)] == [(7, 5), (11, 5)]
