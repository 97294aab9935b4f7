"""Invariants of issue #12 on random small projects with named principals."""

from __future__ import annotations

import copy
import functools
import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from tests.semantics import helpers as h
from tests.semantics.gen import BEHAVIORS, Order, Principal, Proj, projects, write
from tests.semantics.reference import Expected, readings

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # no shrinking: each example compiles several projects, and a failing example is
    # small already; this keeps a failing run within the suite's time budget
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
_N = itertools.count()


@functools.cache
def _named_principals_compile() -> bool:
    proj = Proj(
        {
            "lab": Principal("lab", "developer", 20, 1.0),
            "parent": Principal("parent", "user", 10, 1.0),
        },
        ["b0", "b1"],
        {
            "lab": [{"id": "lab-r", "behavior": "b0", "forbid": "comply"}],
            "parent": [{"id": "parent-r", "behavior": "b1", "prefer": "yes"}],
        },
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec, _ = h.compiled(write(proj, Path(tmp)))
    return spec is not None


def _needs_named(builtin: bool = False) -> None:
    """Fail at once, not after hundreds of rejected examples, where a plain project with
    named principals does not compile: every property below would be vacuous."""
    if not builtin:
        assert _named_principals_compile(), "a project with named principals does not compile"


def _folder(tmp: str) -> Path:
    return Path(tmp) / f"p{next(_N)}"


orders = st.builds(
    Order,
    seed=st.integers(0, 2**16),
    rules=st.booleans(),
    policies=st.booleans(),
    grants=st.booleans(),
    outcomes=st.booleans(),
)


@SETTINGS
@pytest.mark.parametrize("builtin", [False, True], ids=["named", "builtin-names"])
@given(data=st.data(), order=orders)
def test_order_does_not_change_diagnostics_or_values(
    builtin: bool, data: st.DataObject, order: Order
) -> None:
    proj = data.draw(projects(builtin=builtin))
    _needs_named(builtin)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _folder(tmp), _folder(tmp)
        spec_a, diags_a = h.compiled(write(proj, a))
        spec_b, diags_b = h.compiled(write(proj, b, order))
        assert h.order_free_keys(diags_a, a) == h.order_free_keys(diags_b, b)
        assert (spec_a is None) == (spec_b is None)
        if spec_a is not None and spec_b is not None:
            assert h.close(h.values(spec_a), h.values(spec_b), 1e-9)
            assert h.close(h.bounds(spec_a), h.bounds(spec_b), 1e-9)
            assert h.dropped(spec_a) == h.dropped(spec_b)


@SETTINGS
@pytest.mark.parametrize("builtin", [False, True], ids=["named", "builtin-names"])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_maxmin_bytes_do_not_depend_on_outcome_order(
    builtin: bool, data: st.DataObject, seed: int
) -> None:
    proj = data.draw(projects(strategy="maxmin", builtin=builtin))
    _needs_named(builtin)
    # the spec lists outcomes sorted (json sort_keys), so its bytes are canonical in
    # the outcome order; the numbers must be too
    with tempfile.TemporaryDirectory() as tmp:
        spec_a, _ = h.compiled(write(proj, _folder(tmp)))
        spec_b, _ = h.compiled(write(proj, _folder(tmp), Order(seed=seed, outcomes=True)))
        assume(spec_a is not None)
        assert spec_b is not None
        assert h.spec_bytes(spec_a) == h.spec_bytes(spec_b)


@SETTINGS
@pytest.mark.parametrize("builtin", [False, True], ids=["named", "builtin-names"])
@given(data=st.data(), on_violation=st.sampled_from(["error", "drop"]))
def test_validate_fails_exactly_when_compile_fails(
    builtin: bool, data: st.DataObject, on_violation: str
) -> None:
    proj = data.draw(projects(builtin=builtin))
    _needs_named(builtin)
    proj.on_violation = on_violation
    with tempfile.TemporaryDirectory() as tmp:
        path = write(proj, _folder(tmp))
        code, _, _ = h.cli("validate", str(path))
        out = path.parent / "spec.json"
        compile_code, _, _ = h.cli("compile", str(path), "-o", str(out))
        assert code in (0, 1) and compile_code in (0, 1)
        assert (code == 1) == (compile_code != 0), (code, compile_code)
        assert out.exists() == (compile_code == 0)


@SETTINGS
@pytest.mark.parametrize("builtin", [False, True], ids=["named", "builtin-names"])
@given(data=st.data())
def test_a_rule_reported_as_never_taking_effect_does_not_change_the_spec(
    builtin: bool, data: st.DataObject
) -> None:
    proj = data.draw(projects(builtin=builtin))
    _needs_named(builtin)
    with tempfile.TemporaryDirectory() as tmp:
        folder = _folder(tmp)
        spec, diags = h.compiled(write(proj, folder))
        assume(spec is not None)
        assert spec is not None
        never = {k[2] for k in h.diag_keys(diags, folder) if k[0] == "PK412"}
        assume(never)
        for rule_id in sorted(never):
            smaller, _ = h.compiled(write(proj.without(rule_id), _folder(tmp)))
            if smaller is None:
                # its permissions held up a grant: without it the grant gives more
                # than its grantor holds, and there is no spec to compare
                continue
            assert h.close(h.values(spec), h.values(smaller), 1e-9), rule_id
            assert h.close(h.bounds(spec), h.bounds(smaller), 1e-9), rule_id


def _no_rights_from(proj: Proj, rank: int) -> tuple[Proj, Proj]:
    """The project with every stakeholder of ``rank`` or above giving no rights away
    (no `adjustable_by`, `within`, grants), and the same with only those stakeholders'
    rules."""
    rules = {}
    for name, rs in proj.rules.items():
        out = []
        for r in rs:
            r = copy.deepcopy(r)
            if proj.principals[name].rank >= rank:
                r.pop("adjustable_by", None)
                r.pop("within", None)
            out.append(r)
        rules[name] = out
    full = Proj(proj.principals, proj.behaviors, rules, {}, proj.strategy, "drop")
    high = {n: rs if proj.principals[n].rank >= rank else [] for n, rs in rules.items()}
    return full, Proj(proj.principals, proj.behaviors, high, {}, proj.strategy, "drop")


@SETTINGS
@given(projects(), st.data())
def test_lower_named_stakeholders_never_escape_higher_locked_bounds(
    proj: Proj, data: st.DataObject
) -> None:
    _needs_named()
    ranks = sorted({p.rank for p in proj.principals.values()})
    threshold = data.draw(st.sampled_from(ranks[1:]))
    full, high = _no_rights_from(proj, threshold)
    with tempfile.TemporaryDirectory() as tmp:
        spec_high, _ = h.compiled(write(high, _folder(tmp)))
        spec_full, _ = h.compiled(write(full, _folder(tmp)))
        assume(spec_high is not None and spec_full is not None)
        assert spec_high is not None and spec_full is not None
        allowed = h.bounds(spec_high)
        for key, dist in h.values(spec_full).items():
            for outcome, p in dist.items():
                lo, hi = allowed[key][outcome]
                assert lo - 1e-9 <= p <= hi + 1e-9, (key, outcome, p, lo, hi)


def _matches(spec: object, diags: object, expected: Expected) -> bool:
    kind, intended, violators = expected
    if kind == "fails":
        return spec is None
    if spec is None:
        return False
    # a rule a reading drops may instead be reported as never taking effect: then it is
    # overridden wherever it applies, the values are the same, and it is not "dropped"
    if not h.dropped(spec) <= violators:  # type: ignore[arg-type]
        return False
    got = h.values(spec)  # type: ignore[arg-type]
    for (b, ctx), vector in intended.items():  # type: ignore[attr-defined]
        want = dict(zip(BEHAVIORS[b], vector, strict=True))
        if any(abs(got[(b, ctx)][o] - want[o]) > 1e-6 for o in want):
            return False
    return True


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # no shrinking: each example compiles several projects, and a failing example is
    # small already; this keeps a failing run within the suite's time budget
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@pytest.mark.parametrize("builtin", [False, True], ids=["named", "builtin-names"])
@given(data=st.data())
def test_compiled_values_match_the_reference(builtin: bool, data: st.DataObject) -> None:
    proj = data.draw(projects(builtin=builtin))
    _needs_named(builtin)
    expected = readings(proj)
    with tempfile.TemporaryDirectory() as tmp:
        spec, diags = h.compiled(write(proj, _folder(tmp)))
    if any(e is not None and _matches(spec, diags, e) for e in expected):
        return
    assume(None not in expected)  # the reading that is unsure might have matched
    problems = [f"{d.code} {d.message}" for d in h.errors(diags)]
    raise AssertionError(f"matches no reading: compiled={spec is not None} {problems}")
