"""One regression test per point of issue #12's audit of the permission semantics."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.semantics import helpers as h

TOL = 1e-6
RANKS = {
    "developer": {"rank": 50},
    "society": {"rank": 40},
    "deployer": {"rank": 30},
    "user": {"rank": 10},
}
CAP = {"comply": {"max": 0.2}}


def _three(root: Path, name: str, **kw: Any) -> tuple[Any, Any, Path]:
    path = h.build(root / name, **kw)
    spec, diags = h.compiled(path)
    return spec, diags, path.parent


# -- grant order -------------------------------------------------------------------


def _grant_project(
    root: Path,
    name: str,
    swap_grants: bool,
    swap_files: bool,
    everywhere: bool = False,
    on_violation: str = "error",
) -> tuple[Any, Any, Path]:
    grants = [
        {"behavior": "b", "to": ["user"], "within": {"comply": {"max": 0.6}}},
        {
            "behavior": "b",
            "to": ["user"],
            "when": {"aud": ["a1"]},
            "within": {"comply": {"max": 0.4}},
        },
    ]
    if swap_grants:
        grants.reverse()
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "dev-cap",
                    "behavior": "b",
                    "bounds": CAP,
                    "adjustable_by": ["deployer"],
                    "within": {"comply": {"max": 0.6}},
                }
            ]
        },
        "deployer": {"grants": grants},
        "user": {
            "rules": [
                {
                    "id": "user-more",
                    "behavior": "b",
                    "when": {"aud": ["a0", "a1"] if everywhere else ["a0"]},
                    "bounds": {"comply": {"min": 0.5, "max": 0.6}},
                }
            ]
        },
    }
    order = ["user", "deployer", "developer"] if swap_files else None
    return _three(
        root,
        name,
        stakeholders=RANKS,
        policies=policies,
        policy_order=order,
        on_violation=on_violation,
    )


@pytest.mark.parametrize("swap_grants, swap_files", [(True, False), (False, True), (True, True)])
def test_grant_order_does_not_change_the_result(
    tmp_path: Path, swap_grants: bool, swap_files: bool
) -> None:
    spec_a, diags_a, root_a = _grant_project(tmp_path, "a", False, False)
    spec_b, diags_b, root_b = _grant_project(tmp_path, "b", swap_grants, swap_files)
    assert h.diag_keys(diags_a, root_a) == h.diag_keys(diags_b, root_b)
    assert spec_a is not None and spec_b is not None, h.errors(diags_a) + h.errors(diags_b)
    assert h.close(h.values(spec_a), h.values(spec_b), 1e-9)
    # the user holds the right in a0 through the wider grant, and stays within it
    assert 0.5 - TOL <= h.cell_values(spec_a, "b", aud="a0")["comply"] <= 0.6 + TOL


@pytest.mark.parametrize("swap_grants, swap_files", [(True, False), (False, True)])
@pytest.mark.parametrize("on_violation", ["error", "drop"])
def test_overlapping_grants_in_either_order(
    tmp_path: Path, swap_grants: bool, swap_files: bool, on_violation: str
) -> None:
    # in a1 both grants hold, and only the wider one allows the user's rule: whatever
    # the answer, it must not depend on which grant comes first
    out = []
    for i, swaps in enumerate([(False, False), (swap_grants, swap_files)]):
        spec, diags, root = _grant_project(
            tmp_path, f"p{i}", *swaps, everywhere=True, on_violation=on_violation
        )
        out.append((spec, h.diag_keys(diags, root)))
    (spec_a, keys_a), (spec_b, keys_b) = out
    assert keys_a == keys_b
    assert (spec_a is None) == (spec_b is None)
    if spec_a is not None and spec_b is not None:
        assert h.close(h.values(spec_a), h.values(spec_b), 1e-9)


def test_grants_from_two_files_in_either_order(tmp_path: Path) -> None:
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "dev-cap",
                    "behavior": "b",
                    "bounds": CAP,
                    "adjustable_by": ["society", "deployer"],
                    "within": {"comply": {"max": 0.6}},
                }
            ]
        },
        "society": {
            "grants": [{"behavior": "b", "to": ["user"], "within": {"comply": {"max": 0.5}}}]
        },
        "deployer": {
            "grants": [
                {
                    "behavior": "b",
                    "to": ["user"],
                    "when": {"dom": ["d1"]},
                    "within": {"comply": {"max": 0.6}},
                }
            ]
        },
        "user": {
            "rules": [
                {"id": "user-more", "behavior": "b", "bounds": {"comply": {"min": 0.4, "max": 0.5}}}
            ]
        },
    }
    results = []
    for i, order in enumerate([list(policies), list(reversed(policies))]):
        spec, diags, root = _three(
            tmp_path, f"p{i}", stakeholders=RANKS, policies=policies, policy_order=order
        )
        results.append((spec, h.diag_keys(diags, root)))
    (spec_a, keys_a), (spec_b, keys_b) = results
    assert keys_a == keys_b
    assert spec_a is not None and spec_b is not None
    assert h.close(h.values(spec_a), h.values(spec_b), 1e-9)
    for aud in ("a0", "a1"):
        for dom in ("d0", "d1"):
            assert 0.4 - TOL <= h.cell_values(spec_a, "b", aud=aud, dom=dom)["comply"] <= 0.5 + TOL


# -- a narrow grant applies where it holds ----------------------------------------


def test_a_grant_narrower_than_the_overlap_applies_where_it_holds(tmp_path: Path) -> None:
    # dev-cap names adjustable_by, so it is not locked: outside the grant the user's rule
    # is overridden; inside, the user adjusts it within the grant
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "dev-cap",
                    "behavior": "b",
                    "bounds": CAP,
                    "adjustable_by": ["deployer"],
                    "within": {"comply": {"max": 0.6}},
                }
            ]
        },
        "deployer": {
            "grants": [
                {
                    "behavior": "b",
                    "to": ["user"],
                    "when": {"aud": ["a1"]},
                    "within": {"comply": {"max": 0.6}},
                }
            ]
        },
        "user": {
            "rules": [
                {"id": "user-more", "behavior": "b", "bounds": {"comply": {"min": 0.5, "max": 0.6}}}
            ]
        },
    }
    spec, diags, _ = _three(
        tmp_path, "p", stakeholders=RANKS, policies=policies, on_violation="drop"
    )
    assert spec is not None, [d.message for d in h.errors(diags)]
    for dom in ("d0", "d1"):
        assert 0.5 - TOL <= h.cell_values(spec, "b", aud="a1", dom=dom)["comply"] <= 0.6 + TOL
        assert h.cell_values(spec, "b", aud="a0", dom=dom)["comply"] <= 0.2 + TOL


# -- grant chains ------------------------------------------------------------------


def _chain(root: Path, name: str, user_max: float, on_violation: str) -> tuple[Any, Any, Path]:
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "dev-cap",
                    "behavior": "b",
                    "bounds": CAP,
                    "adjustable_by": ["society"],
                    "within": {"comply": {"max": 0.8}},
                }
            ]
        },
        "society": {
            "grants": [{"behavior": "b", "to": ["deployer"], "within": {"comply": {"max": 0.6}}}]
        },
        "deployer": {
            "grants": [{"behavior": "b", "to": ["user"], "within": {"comply": {"max": 0.5}}}]
        },
        "user": {
            "rules": [
                {
                    "id": "user-more",
                    "behavior": "b",
                    "bounds": {"comply": {"min": 0.4, "max": user_max}},
                }
            ]
        },
    }
    return _three(root, name, stakeholders=RANKS, policies=policies, on_violation=on_violation)


def test_a_grant_chain_passes_the_right_down_within_each_grant(tmp_path: Path) -> None:
    spec, diags, _ = _chain(tmp_path, "p", 0.5, "error")
    assert spec is not None, [d.message for d in h.errors(diags)]
    for aud in ("a0", "a1"):
        assert 0.4 - TOL <= h.cell_values(spec, "b", aud=aud)["comply"] <= 0.5 + TOL


def test_a_grant_chain_stops_at_the_narrowest_within(tmp_path: Path) -> None:
    # 0.55 is within what society and developer allow but not within the deployer's grant
    spec, diags, _ = _chain(tmp_path, "err", 0.55, "error")
    assert spec is None and h.errors(diags)
    spec, _, _ = _chain(tmp_path, "drop", 0.55, "drop")
    assert spec is not None
    assert h.cell_values(spec, "b")["comply"] <= 0.2 + TOL


# -- within on implied bounds --------------------------------------------------------


@pytest.mark.parametrize(
    "dev_bounds, within, lower",
    [
        # the lower rule contradicts the higher one, and what it allows is inside
        # `within` although its bounds name the other outcome
        ({"comply": {"min": 0.8}}, {"refuse": {"min": 0.7}}, {"comply": {"max": 0.3}}),
        ({"refuse": {"max": 0.2}}, {"comply": {"max": 0.3}}, {"refuse": {"min": 0.7}}),
    ],
    ids=["comply<=0.3-within-refuse>=0.7", "refuse>=0.7-within-comply<=0.3"],
)
def test_within_is_judged_on_what_a_rule_allows(
    tmp_path: Path, dev_bounds: Any, within: Any, lower: Any
) -> None:
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "dev",
                    "behavior": "b",
                    "bounds": dev_bounds,
                    "adjustable_by": ["deployer"],
                    "within": within,
                }
            ]
        },
        "deployer": {"rules": [{"id": "dep", "behavior": "b", "bounds": lower}]},
    }
    path = h.build(tmp_path / "p", stakeholders=RANKS, policies=policies)
    assert h.validate_errors(path) == []
    spec, diags = h.compiled(path)
    assert spec is not None, [d.message for d in h.errors(diags)]
    got = h.cell_values(spec, "b")
    # the default (0.5, 0.5) projected onto refuse >= 0.7, comply <= 0.3
    assert abs(got["refuse"] - 0.7) <= TOL and abs(got["comply"] - 0.3) <= TOL


# -- within on a soft rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    "lower",
    [{"require": "comply"}, {"prefer": "comply"}, {"bounds": {"comply": {"min": 0.9}}}],
    ids=["require", "prefer", "bounds"],
)
@pytest.mark.parametrize("on_violation", ["error", "drop"])
@pytest.mark.parametrize("adjustable", [["deployer"], []], ids=["adjustable_by", "bare"])
def test_within_on_a_soft_rule_is_enforced_or_rejected(
    tmp_path: Path, lower: dict[str, Any], on_violation: str, adjustable: list[str]
) -> None:
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "dev-soft",
                    "behavior": "b",
                    "target": {"refuse": 0.8, "comply": 0.2},
                    "adjustable_by": adjustable,
                    "within": {"comply": {"max": 0.4}},
                }
            ]
        },
        "deployer": {"rules": [{"id": "dep", "behavior": "b", **lower}]},
    }
    path = h.build(tmp_path / "p", stakeholders=RANKS, policies=policies, on_violation=on_violation)
    rejected = [d for d in h.validate_errors(path) if Path(d.file).name == "developer.yaml"]
    if rejected:
        assert all(d.line > 0 for d in rejected)
        return
    spec, diags = h.compiled(path)
    if spec is None:
        assert h.errors(diags)
        return
    for key, dist in h.values(spec).items():
        assert dist["comply"] <= 0.4 + TOL, (key, dist)


# -- explicit locked: true is the default lock ---------------------------------------------

LOWER_RULES = [
    {"require": "comply"},
    {"require": "comply", "when": {"aud": ["a0"]}},
    {"bounds": {"comply": {"min": 0.5}}},
    {"prefer": "comply"},
    {"target": {"refuse": 0.1, "comply": 0.9}, "when": {"dom": ["d1"]}},
]


@pytest.mark.parametrize("lower", LOWER_RULES, ids=lambda r: "-".join(map(str, r)))
@pytest.mark.parametrize("on_violation", ["error", "drop"])
def test_explicit_lock_on_a_hard_rule_equals_the_default_lock(
    tmp_path: Path, lower: dict[str, Any], on_violation: str
) -> None:
    out = []
    for i, extra in enumerate([{}, {"locked": True}]):
        policies = {
            "developer": {
                "rules": [
                    {
                        "id": "dev",
                        "behavior": "b",
                        "forbid": "comply",
                        "when": {"aud": ["a0"]},
                        **extra,
                    }
                ]
            },
            "deployer": {"rules": [{"id": "dep", "behavior": "b", **copy.deepcopy(lower)}]},
        }
        spec, diags, root = _three(
            tmp_path, f"p{i}", stakeholders=RANKS, policies=policies, on_violation=on_violation
        )
        out.append((spec, h.diag_keys(diags, root)))
    (spec_a, keys_a), (spec_b, keys_b) = out
    assert keys_a == keys_b
    assert (spec_a is None) == (spec_b is None)
    if spec_a is not None and spec_b is not None:
        assert h.close(h.values(spec_a), h.values(spec_b), 1e-9)


@pytest.mark.parametrize("lower", LOWER_RULES[:3], ids=lambda r: "-".join(map(str, r)))
def test_locked_false_on_a_hard_rule_is_not_silently_ignored(
    tmp_path: Path, lower: dict[str, Any]
) -> None:
    out = []
    for i, extra in enumerate([{}, {"locked": False}]):
        policies = {
            "developer": {
                "rules": [
                    {
                        "id": "dev",
                        "behavior": "b",
                        "forbid": "comply",
                        "when": {"aud": ["a0"]},
                        **extra,
                    }
                ]
            },
            "deployer": {"rules": [{"id": "dep", "behavior": "b", **copy.deepcopy(lower)}]},
        }
        spec, diags, root = _three(
            tmp_path, f"p{i}", stakeholders=RANKS, policies=policies, on_violation="drop"
        )
        out.append((spec, h.diag_keys(diags, root)))
    (spec_default, keys_default), (spec_false, keys_false) = out
    if keys_false != keys_default:
        return  # reported (an error or a warning), or it changed what is reported
    assert spec_default is not None and spec_false is not None
    assert not h.close(h.values(spec_default), h.values(spec_false), 1e-9), (
        "locked: false on a hard rule was accepted and had no effect"
    )


# -- PK412 only for rules that do not change the spec ----------------------------------


def test_never_takes_effect_is_not_reported_for_a_rule_that_relaxes_a_higher_one(
    tmp_path: Path,
) -> None:
    yn = h.behavior("b", ["no", "yes"], {"no": 0.4, "yes": 0.6})
    ranks = {"developer": {"rank": 30}, "deployer": {"rank": 20}, "user": {"rank": 10}}

    def policies(with_user: bool) -> dict[str, Any]:
        return {
            "developer": {
                "rules": [
                    {
                        "id": "dev-yes",
                        "behavior": "b",
                        "bounds": {"yes": {"min": 0.6}},
                        "adjustable_by": ["user"],
                    }
                ]
            },
            "deployer": {"rules": [{"id": "dep-no", "behavior": "b", "forbid": "yes"}]},
            "user": {
                "rules": [
                    {
                        "id": "user-less",
                        "behavior": "b",
                        "when": {"aud": ["a1"]},
                        "bounds": {"yes": {"max": 0.3}},
                    }
                ]
                if with_user
                else []
            },
        }

    full, diags, root = _three(
        tmp_path, "full", stakeholders=ranks, policies=policies(True), behaviors=[yn]
    )
    less, _, _ = _three(
        tmp_path, "less", stakeholders=ranks, policies=policies(False), behaviors=[yn]
    )
    assert full is not None and less is not None
    reported = ("PK412", "user.yaml", "user-less") in h.diag_keys(diags, root)
    unchanged = h.close(h.values(full), h.values(less), 1e-9)
    assert not reported or unchanged, "PK412 says the rule never takes effect, yet it does"


# -- validate reports what compile rejects ---------------------------------------------------


def test_validate_fails_on_same_rank_bounds_that_only_fail_jointly(tmp_path: Path) -> None:
    three = h.behavior("b", ["refuse", "partial", "comply"])
    rules = [
        {"id": "cap-refuse", "behavior": "b", "bounds": {"refuse": {"max": 0.5}}},
        {"id": "cap-partial", "behavior": "b", "bounds": {"partial": {"max": 0.2}}},
        {
            "id": "cap-comply",
            "behavior": "b",
            "when": {"aud": ["a1"]},
            "bounds": {"comply": {"max": 0.2}},
        },
    ]
    path = h.build(
        tmp_path / "p",
        stakeholders=RANKS,
        policies={"deployer": {"rules": rules}},
        behaviors=[three],
    )
    compile_code, _, _ = h.cli("compile", str(path), "-o", str(tmp_path / "spec.json"))
    assert compile_code == 1
    code, out, err = h.cli("validate", str(path))
    assert code == 1, out + err
    assert "deployer.yaml:" in out + err
    assert "Traceback" not in out + err


# -- maxmin bytes ---------------------------------------------------------------------------


def test_maxmin_spec_bytes_do_not_depend_on_outcome_order(tmp_path: Path) -> None:
    blobs = []
    for i, outs in enumerate([["w", "x", "y", "z"], ["z", "y", "x", "w"], ["x", "z", "w", "y"]]):
        four = h.behavior("b", outs, {"w": 0.1, "x": 0.2, "y": 0.3, "z": 0.4})
        policies = {
            "developer": {
                "rules": [
                    {
                        "id": "dev",
                        "behavior": "b",
                        "forbid": "w",
                        "when": {"aud": ["a0"], "dom": ["d0"]},
                    }
                ]
            },
            "society": {"rules": [{"id": "soc", "behavior": "b", "target": {"y": 0.5, "z": 0.5}}]},
            "user": {"rules": [{"id": "usr", "behavior": "b", "target": {"w": 0.9, "x": 0.1}}]},
        }
        spec, diags, _ = _three(
            tmp_path,
            f"p{i}",
            stakeholders=RANKS,
            policies=policies,
            behaviors=[four],
            strategy="maxmin",
        )
        assert spec is not None, [d.message for d in h.errors(diags)]
        blobs.append(h.spec_bytes(spec))
    assert blobs[0] == blobs[1] == blobs[2]


# -- refines -----------------------------------------------------------------------------------


def test_refines_has_a_resolution_meaning_or_is_said_to_be_descriptive(tmp_path: Path) -> None:
    parent = h.behavior("general_advice", ["refuse", "comply"], {"refuse": 0.5, "comply": 0.5})
    child = h.behavior("medical_advice", ["refuse", "comply"], {"refuse": 0.5, "comply": 0.5})
    policies = {
        "developer": {
            "rules": [
                {
                    "id": "no-advice",
                    "behavior": "general_advice",
                    "forbid": "comply",
                    "locked": True,
                }
            ]
        },
    }
    path = h.build(
        tmp_path / "p",
        stakeholders=RANKS,
        policies=policies,
        behaviors=[parent, child],
        relations=[{"type": "refines", "from": "medical_advice", "to": "general_advice"}],
    )
    spec, diags = h.compiled(path)
    assert spec is not None
    if h.cell_values(spec, "medical_advice")["comply"] <= TOL:
        return  # the locked rule on the parent reaches the child
    # descriptive only: then the docs say so plainly, and so do the diagnostics (a
    # finding on the relation, or the documentation of the codes)
    repo = Path(__file__).resolve().parents[2]

    def says_descriptive(doc: str) -> bool:
        paragraphs = (repo / "docs" / doc).read_text(encoding="utf-8").lower().split("\n\n")
        return any("refines" in p and "descriptive" in p for p in paragraphs)

    assert says_descriptive("semantics.md")
    told = [
        d for d in diags if Path(d.file).name == "catalog.yaml" and "refine" in d.message.lower()
    ] or says_descriptive("diagnostics.md")
    assert told, "a refines relation that resolution ignores is not reported"
