"""The resolved permission semantics of docs/semantics.md, one regression test per point
of the audit in issue 12 (each failed before the fix)."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from policykit.pipeline import CompileResult, compile_project, validate_project
from policykit.spec.artifact import dumps
from policykit.spec.query import Spec
from tests.analyze.strategies import write

_COUNTER = itertools.count()
DIMS = {"audience": ["general", "minor", "adult"], "domain": ["general", "medical"]}


def _catalog(outcomes: list[str] | None = None, relations: list[Any] | None = None) -> Any:
    outcomes = outcomes or ["refuse", "partial", "comply"]
    behaviors = [
        {
            "id": b,
            "description": b,
            "property": "harmless",
            "outcomes": {o: {"description": o, "exemplars": [o]} for o in outcomes},
            "default": {"refuse": 1.0},
            "probes": ["p"],
        }
        for b in ("b", "c")
    ]
    return {
        "apiVersion": "policykit/v1",
        "kind": "Catalog",
        "metadata": {"name": "cat"},
        "dimensions": [{"id": d, "values": v, "default": v[0]} for d, v in DIMS.items()],
        "behaviors": behaviors,
        **({"relations": relations} if relations else {}),
    }


def _policy(name: str, rules: list[Any] = (), grants: list[Any] = ()) -> Any:  # type: ignore[assignment]
    doc: dict[str, Any] = {
        "apiVersion": "policykit/v1",
        "kind": "Policy",
        "metadata": {"name": name},
        "rules": list(rules),
    }
    if grants:
        doc["grants"] = list(grants)
    return doc


def _project(
    policies: dict[str, tuple[str, Any]],
    ranks: dict[str, int] | None = None,
    catalog: Any = None,
    strategy: str | None = None,
) -> dict[str, Any]:
    """Files of a project: ``policies`` maps file name to (stakeholder, document)."""
    project: dict[str, Any] = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "semantics"},
        "deployment": {"description": "a test"},
        "catalogs": ["catalog.yaml"],
        "policies": [{"path": f, "stakeholder": s} for f, (s, _doc) in policies.items()],
    }
    if ranks:
        project["stakeholders"] = {s: {"rank": r} for s, r in ranks.items()}
    if strategy:
        project["strategy"] = strategy
    files = {"policykit.yaml": project, "catalog.yaml": catalog or _catalog()}
    files.update({f: doc for f, (_s, doc) in policies.items()})
    return files


def _write(files: dict[str, Any], tmp: Path) -> Path:
    return write(files, tmp / f"p{next(_COUNTER)}")


def _codes(files: dict[str, Any], tmp: Path) -> list[tuple[str, str]]:
    result = validate_project(_write(files, tmp))
    return sorted((d.code, d.message) for d in result.diagnostics)


def _compile(files: dict[str, Any], tmp: Path) -> CompileResult:
    return compile_project(_write(files, tmp))


def _spec_bytes(result: CompileResult, key: str | None = None) -> str:
    """The spec's bytes less the hash of its input files (which differ whenever the
    files do, for instance in one ``locked: true``); with ``key``, that part only."""
    assert result.spec is not None, [d.message for d in result.diagnostics]
    data = json.loads(dumps(result.spec))
    data.pop("inputs_hash")
    return json.dumps(data[key] if key else data, sort_keys=True)


def _intended(result: CompileResult, behavior: str, **context: str) -> dict[str, float]:
    assert result.spec is not None, [d.message for d in result.diagnostics]
    return dict(Spec(result.spec.model_dump(mode="json")).intended(context, behavior))


DEV_ADJUSTABLE = {
    "id": "dev-no-comply",
    "behavior": "b",
    "forbid": "comply",
    "adjustable_by": ["deployer"],
    "within": {"comply": {"max": 0.5}},
}


# -- 1. grant order ----------------------------------------------------------------------


def _two_grants(tmp: Path, swap: bool, across: bool) -> tuple[list[Any], CompileResult]:
    g1 = {"behavior": "b", "to": ["user"], "within": {"comply": {"max": 0.2}}}
    g2 = {"behavior": "b", "to": ["user"], "within": {"comply": {"max": 0.4}}}
    grants = [g2, g1] if swap else [g1, g2]
    user = {"id": "usr-some", "behavior": "b", "bounds": {"comply": {"min": 0.3, "max": 0.35}}}
    policies: dict[str, tuple[str, Any]] = {
        "dev.yaml": ("developer", _policy("dev", [DEV_ADJUSTABLE]))
    }
    if across:
        policies["dep1.yaml"] = ("deployer", _policy("dep1", grants=[grants[0]]))
        policies["dep2.yaml"] = ("deployer", _policy("dep2", grants=[grants[1]]))
    else:
        policies["dep.yaml"] = ("deployer", _policy("dep", grants=grants))
    policies["usr.yaml"] = ("user", _policy("usr", [user]))
    files = _project(policies)
    return _codes(files, tmp), _compile(files, tmp)


@pytest.mark.parametrize("across", [False, True], ids=["one file", "two files"])
def test_grant_order_does_not_change_the_result(tmp_path: Path, across: bool) -> None:
    codes_a, compiled_a = _two_grants(tmp_path, swap=False, across=across)
    codes_b, compiled_b = _two_grants(tmp_path, swap=True, across=across)
    assert [c for c, _ in codes_a] == [c for c, _ in codes_b] == ["PK403"]
    assert codes_a == codes_b
    # across files the spec lists the files (and their rules) in project order
    key = "behaviors" if across else None
    assert _spec_bytes(compiled_a, key) == _spec_bytes(compiled_b, key)
    assert _intended(compiled_a, "b")["comply"] == pytest.approx(0.3)


# -- 2. grants per context, and chains ---------------------------------------------------


def test_a_narrow_grant_applies_where_it_holds(tmp_path: Path) -> None:
    files = _project(
        {
            "dev.yaml": ("developer", _policy("dev", [DEV_ADJUSTABLE])),
            "dep.yaml": (
                "deployer",
                _policy(
                    "dep",
                    grants=[
                        {
                            "behavior": "b",
                            "to": ["user"],
                            "when": {"audience": ["adult"]},
                            "within": {"comply": {"max": 0.5}},
                        }
                    ],
                ),
            ),
            "usr.yaml": (
                "user",
                _policy(
                    "usr",
                    [
                        {
                            "id": "usr-some",
                            "behavior": "b",
                            "bounds": {"comply": {"min": 0.2, "max": 0.4}},
                        }
                    ],
                ),
            ),
        }
    )
    codes = [c for c, _ in _codes(files, tmp_path)]
    # adjusting for adults, overridden elsewhere: both are reported
    assert codes == ["PK402", "PK403"]
    compiled = _compile(files, tmp_path)
    assert _intended(compiled, "b", audience="adult")["comply"] >= 0.2 - 1e-9
    assert _intended(compiled, "b", audience="minor")["comply"] == 0.0
    assert _intended(compiled, "b")["comply"] == 0.0


CHAIN_RANKS = {"developer": 4, "society": 3, "deployer": 2, "user": 1}


def _chain(deployer_within: float) -> dict[str, Any]:
    dev = {
        "id": "dev-no-comply",
        "behavior": "b",
        "forbid": "comply",
        "adjustable_by": ["society"],
        "within": {"comply": {"max": 0.5}},
    }
    soc_grant = {"behavior": "b", "to": ["deployer"], "within": {"comply": {"max": 0.4}}}
    dep_grant = {"behavior": "b", "to": ["user"], "within": {"comply": {"max": deployer_within}}}
    user = {"id": "usr-some", "behavior": "b", "bounds": {"comply": {"min": 0.1, "max": 0.2}}}
    return _project(
        {
            "dev.yaml": ("developer", _policy("dev", [dev])),
            "soc.yaml": ("society", _policy("soc", grants=[soc_grant])),
            "dep.yaml": ("deployer", _policy("dep", grants=[dep_grant])),
            "usr.yaml": ("user", _policy("usr", [user])),
        },
        ranks=CHAIN_RANKS,
    )


def test_a_grant_chain_within_what_each_grantor_holds_is_allowed(tmp_path: Path) -> None:
    files = _chain(0.3)
    assert [c for c, _ in _codes(files, tmp_path)] == ["PK403"]
    compiled = _compile(files, tmp_path)
    assert 0.1 - 1e-9 <= _intended(compiled, "b")["comply"] <= 0.2 + 1e-9


def test_a_chain_link_giving_more_than_it_holds_is_pk406(tmp_path: Path) -> None:
    codes = _codes(_chain(0.45), tmp_path)
    assert [c for c, _ in codes] == ["PK403", "PK406"]
    assert "wider than what developer rule 'dev-no-comply' allows deployer" in codes[1][1]


# -- 3. within judged on implied bounds --------------------------------------------------


def test_within_is_judged_on_what_a_rule_allows(tmp_path: Path) -> None:
    catalog = _catalog(["refuse", "comply"])
    dev = {
        "id": "dev-refuse",
        "behavior": "b",
        "require": "refuse",
        "adjustable_by": ["deployer"],
        "within": {"refuse": {"min": 0.7}},
    }
    dep = {"id": "dep-some", "behavior": "b", "bounds": {"comply": {"min": 0.1, "max": 0.3}}}
    grant = {"behavior": "b", "to": ["user"], "within": {"comply": {"max": 0.3}}}
    files = _project(
        {
            "dev.yaml": ("developer", _policy("dev", [dev])),
            "dep.yaml": ("deployer", _policy("dep", [dep], grants=[grant])),
        },
        catalog=catalog,
    )
    # comply <= 0.3 allows exactly refuse >= 0.7 on two outcomes: inside both withins
    assert [c for c, _ in _codes(files, tmp_path)] == ["PK403"]


# -- 4. PK219 ----------------------------------------------------------------------------


def test_within_on_a_soft_rule_and_locked_false_on_a_hard_rule_are_pk219(tmp_path: Path) -> None:
    soft = {
        "id": "dev-soft",
        "behavior": "b",
        "target": {"refuse": 0.5, "comply": 0.5},
        "adjustable_by": ["user"],
        "within": {"comply": {"max": 0.6}},
    }
    hard = {"id": "dev-hard", "behavior": "c", "forbid": "comply", "locked": False}
    files = _project({"dev.yaml": ("developer", _policy("dev", [soft, hard]))})
    codes = _codes(files, tmp_path)
    assert [c for c, _ in codes] == ["PK219", "PK219"]
    assert "within has no effect on a soft rule" in codes[0][1] + codes[1][1]
    assert "locked: false has no effect on a hard rule" in codes[0][1] + codes[1][1]


# -- 5. the lock ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lower",
    [
        {"id": "usr-hard", "behavior": "b", "bounds": {"comply": {"min": 0.5}}},
        {"id": "usr-soft", "behavior": "b", "target": {"refuse": 0.2, "comply": 0.8}},
    ],
    ids=["hard", "soft"],
)
def test_locked_true_on_a_hard_rule_is_the_default_lock(tmp_path: Path, lower: Any) -> None:
    results = []
    for locked in (False, True):
        dev = {"id": "dev-no-comply", "behavior": "b", "forbid": "comply"}
        if locked:
            dev["locked"] = True
        files = _project(
            {
                "dev.yaml": ("developer", _policy("dev", [dev])),
                "usr.yaml": ("user", _policy("usr", [lower])),
            }
        )
        results.append((_codes(files, tmp_path), _spec_bytes(_compile(files, tmp_path))))
    assert results[0] == results[1]
    # a lower hard rule is overridden (shadowed here); a soft target is pooled inside
    assert [c for c, _ in results[0][0]] == (["PK412"] if "bounds" in lower else [])


def test_a_locked_soft_rule_is_still_protected(tmp_path: Path) -> None:
    dev = {"id": "dev-soft", "behavior": "b", "target": {"refuse": 1.0}, "locked": True}
    usr = {"id": "usr-soft", "behavior": "b", "target": {"refuse": 0.2, "comply": 0.8}}
    files = _project(
        {
            "dev.yaml": ("developer", _policy("dev", [dev])),
            "usr.yaml": ("user", _policy("usr", [usr])),
        }
    )
    assert [c for c, _ in _codes(files, tmp_path)] == ["PK404"]


# -- 6. PK412 only for rules that cannot change the spec ----------------------------------


def test_no_pk412_for_a_rule_an_adjustment_lets_take_effect(tmp_path: Path) -> None:
    dep = {"id": "dep-some", "behavior": "b", "bounds": {"comply": {"min": 0.1, "max": 0.5}}}
    usr = {"id": "usr-more", "behavior": "b", "bounds": {"comply": {"min": 0.3}}}
    with_user = _project(
        {
            "dev.yaml": ("developer", _policy("dev", [DEV_ADJUSTABLE])),
            "dep.yaml": ("deployer", _policy("dep", [dep])),
            "usr.yaml": ("user", _policy("usr", [usr])),
        }
    )
    without = copy.deepcopy(with_user)
    without["usr.yaml"]["rules"] = []
    assert "PK412" not in [c for c, _ in _codes(with_user, tmp_path)]
    assert _spec_bytes(_compile(with_user, tmp_path)) != _spec_bytes(_compile(without, tmp_path))


# -- 7. validate <=> compile ---------------------------------------------------------------


def test_validate_reports_same_rank_bounds_that_fail_only_jointly(tmp_path: Path) -> None:
    rules = [
        {"id": "dev-a", "behavior": "b", "bounds": {"refuse": {"min": 0.4}}},
        {"id": "dev-b", "behavior": "b", "bounds": {"partial": {"min": 0.4}}},
        {
            "id": "dev-c",
            "behavior": "b",
            "when": {"audience": ["minor"]},
            "bounds": {"comply": {"min": 0.4}},
        },
    ]
    files = _project({"dev.yaml": ("developer", _policy("dev", rules))})
    result = validate_project(_write(files, tmp_path))
    assert [d.code for d in result.diagnostics] == ["PK420"]
    assert result.diagnostics[0].message.startswith("in audience=minor: hard rules of rank 3")
    assert _compile(files, tmp_path).spec is None


def test_validate_reports_the_cell_cap(tmp_path: Path) -> None:
    rules = [
        {"id": f"dev-{v}", "behavior": "b", "when": {"audience": [v]}, "target": {"refuse": 1.0}}
        for v in DIMS["audience"]
    ]
    files = _project({"dev.yaml": ("developer", _policy("dev", rules))})
    files["policykit.yaml"]["limits"] = {"max_cells_per_behavior": 2}
    result = validate_project(_write(files, tmp_path))
    assert [d.code for d in result.diagnostics] == ["PK218"]


# -- 8. maxmin and the order of outcomes ---------------------------------------------------


def test_maxmin_bytes_do_not_depend_on_the_order_of_outcomes(tmp_path: Path) -> None:
    outcomes = ["refuse", "partial", "comply"]
    dep = {
        "id": "dep-t",
        "behavior": "b",
        "target": {"refuse": 0.15, "partial": 0.25, "comply": 0.6},
    }
    usr = {"id": "usr-t", "behavior": "b", "target": {"refuse": 0.7, "partial": 0.1, "comply": 0.2}}
    dev = {"id": "dev-cap", "behavior": "b", "bounds": {"comply": {"max": 0.45}}}
    seen = set()
    for order in itertools.permutations(outcomes):
        files = _project(
            {
                "dev.yaml": ("developer", _policy("dev", [dev])),
                "dep.yaml": ("deployer", _policy("dep", [dep])),
                "usr.yaml": ("user", _policy("usr", [usr])),
            },
            catalog=_catalog(list(order)),
            strategy="maxmin",
        )
        intended = _intended(_compile(files, tmp_path), "b")
        seen.add(tuple(sorted(intended.items())))
    assert len(seen) == 1


# -- 9. refines is descriptive -------------------------------------------------------------


def test_refines_has_no_meaning_in_resolution(tmp_path: Path) -> None:
    dev = {"id": "dev-no-comply", "behavior": "c", "forbid": "comply"}
    plain = _project({"dev.yaml": ("developer", _policy("dev", [dev]))})
    related = copy.deepcopy(plain)
    related["catalog.yaml"]["relations"] = [{"type": "refines", "from": "b", "to": "c"}]
    a, b = _compile(plain, tmp_path), _compile(related, tmp_path)
    # the locked rule on the general behavior does not reach the special one
    assert _intended(b, "b") == _intended(a, "b") == {"refuse": 1.0, "partial": 0.0, "comply": 0.0}
    from policykit.pipeline import explain_project

    explained = explain_project(_write(related, tmp_path), "b", {})
    assert explained.explanation is not None
    assert any("descriptive only" in n for n in explained.explanation.notes)
