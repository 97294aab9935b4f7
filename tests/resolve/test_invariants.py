"""Properties of resolution and the spec, on random projects (hypothesis)."""

from __future__ import annotations

import copy
import itertools
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policykit.analyze.context import Context
from policykit.diagnostics import has_errors
from policykit.pipeline import CompileResult, compile_project, validate_project
from policykit.resolve.distributions import within
from policykit.resolve.resolver import _CellResolver
from policykit.resolve.strategies import STRATEGIES, worst_cost
from policykit.spec.artifact import dumps
from policykit.spec.query import Spec
from tests.analyze.strategies import DIMS, projects, write

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _compile(files: dict[str, Any], strategy: str | None = None) -> CompileResult:
    files = copy.deepcopy(files)
    files["policykit.yaml"]["on_violation"] = "drop"
    if strategy:
        files["policykit.yaml"]["strategy"] = strategy
    with tempfile.TemporaryDirectory() as tmp:
        return compile_project(write(files, Path(tmp)))


def _contexts() -> list[dict[str, str]]:
    names = sorted(DIMS)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(DIMS[n] for n in names))
    ]


@SETTINGS
@given(projects(compilable=True), st.sampled_from(sorted(STRATEGIES)))
def test_cells_agree_with_resolving_every_concrete_context(
    files: dict[str, Any], strategy: str
) -> None:
    result = _compile(files, strategy)
    assume(result.spec is not None)
    assert result.graph is not None and result.spec is not None
    graph = result.graph
    spec = Spec(result.spec.model_dump(mode="json"))
    dropped = result.dropped
    ctx = Context(graph)
    for behavior in graph.behaviors():
        resolver = _CellResolver(graph, ctx, behavior)
        for context in _contexts():
            rules = [r for r in graph.rules_in(behavior, context) if r.id not in dropped]
            rules = [r for r in rules if all(r.masks)]
            point = graph.space.masks({k: (v,) for k, v in context.items()})
            outcome = resolver.resolve((), rules, point)
            assert outcome.contradiction is None
            cell = outcome.cell
            got = spec.intended(context, behavior)
            for o, p in zip(graph.outcomes[behavior], cell.intended, strict=True):
                assert got[o] == pytest.approx(p, abs=1e-9)


@SETTINGS
@given(projects(compilable=True), st.sampled_from(sorted(STRATEGIES)))
def test_distributions_sum_to_one_and_respect_bounds(files: dict[str, Any], strategy: str) -> None:
    result = _compile(files, strategy)
    assume(result.resolution is not None and result.spec is not None)
    assert result.resolution is not None
    for b in result.resolution.behaviors:
        for cell in b.cells:
            assert sum(cell.intended) == pytest.approx(1.0, abs=1e-9)
            assert within(cell.intended, cell.lo, cell.hi)


@SETTINGS
@given(projects(compilable=True))
def test_top_rank_rules_nobody_may_adjust_always_hold(files: dict[str, Any]) -> None:
    """Whatever lower stakeholders write, a hard rule of the highest rank that is not
    adjustable holds in every context it covers."""
    result = _compile(files)
    assume(result.spec is not None)
    assert result.graph is not None and result.spec is not None
    spec = Spec(result.spec.model_dump(mode="json"))
    top = max(r.rank for r in result.graph.rules) if result.graph.rules else 0
    for r in result.graph.rules:
        if not r.hard or r.rank != top or r.rule.adjustable_by:
            continue
        for context in _contexts():
            if r in result.graph.rules_in(r.behavior, context):
                p = spec.intended(context, r.behavior)
                dist = [p[o] for o in result.graph.outcomes[r.behavior]]
                assert within(dist, r.lo, r.hi), (r.id, context, dist)


@SETTINGS
@given(projects(compilable=True), st.data())
def test_a_user_rule_never_changes_a_behavior_no_user_may_adjust(
    files: dict[str, Any], data: st.DataObject
) -> None:
    """Pin b1 with a society `require` nobody may adjust; then any user rule on b1 leaves
    every context's intended distribution of b1 as it was."""
    files = copy.deepcopy(files)
    files["society.yaml"]["rules"].append({"id": "pin", "behavior": "b1", "require": "no"})
    before = _compile(files)
    assume(before.spec is not None)
    after_files = copy.deepcopy(files)
    outcome = data.draw(st.sampled_from(["yes", "no"]))
    rule = data.draw(
        st.sampled_from(
            [
                {"prefer": outcome},
                {"require": outcome},
                {"forbid": outcome},
                {"target": {"yes": 0.5, "no": 0.5}, "weight": 1.0},
            ]
        )
    )
    after_files["user.yaml"]["rules"].append({"id": "user-new", "behavior": "b1", **rule})
    after = _compile(after_files)
    assume(after.spec is not None)
    assert before.spec is not None and after.spec is not None
    old = Spec(before.spec.model_dump(mode="json"))
    new = Spec(after.spec.model_dump(mode="json"))
    for context in _contexts():
        assert dict(old.intended(context, "b1")) == dict(new.intended(context, "b1"))


@SETTINGS
@given(projects(compilable=True))
def test_maxmin_worst_cost_is_never_above_another_strategy(files: dict[str, Any]) -> None:
    results = {s: _compile(files, s) for s in STRATEGIES}
    assume(all(r.resolution is not None and r.spec is not None for r in results.values()))
    mm = results["maxmin"].resolution
    assert mm is not None
    for name, other in results.items():
        assert other.resolution is not None
        for b_mm, b_other in zip(mm.behaviors, other.resolution.behaviors, strict=True):
            for c_mm, c_other in zip(b_mm.cells, b_other.cells, strict=True):
                if not c_mm.targets:
                    continue
                from policykit.resolve.strategies import Target

                targets = [Target(n, 0, t, i) for n, t, i in c_mm.targets]
                assert (
                    worst_cost(targets, c_mm.intended)
                    <= worst_cost(targets, c_other.intended) + 1e-9
                ), name


@SETTINGS
@given(projects(compilable=True))
def test_chain_of_command_returns_the_highest_ranks_target_where_feasible(
    files: dict[str, Any],
) -> None:
    result = _compile(files, "chain_of_command")
    assume(result.resolution is not None and result.spec is not None)
    assert result.resolution is not None
    for b in result.resolution.behaviors:
        for cell in b.cells:
            if not cell.targets:
                continue
            top = max(
                result.graph.workspace.project.settings(n).rank  # type: ignore[union-attr,arg-type]
                for n, _, _ in cell.targets
            )
            tops = [
                (t, i)
                for n, t, i in cell.targets
                if result.graph.workspace.project.settings(n).rank == top  # type: ignore[union-attr,arg-type]
            ]
            if len(tops) != 1:
                continue
            target = tops[0][0]
            if within(target, cell.lo, cell.hi):
                assert cell.intended == pytest.approx(target, abs=1e-9)


def _shuffled(files: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)

    def shuffle(node: Any) -> Any:
        if isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)
            return {k: shuffle(v) for k, v in items}
        if isinstance(node, list):
            return [shuffle(v) for v in node]
        return node

    out = {name: shuffle(doc) for name, doc in files.items()}
    for doc in out.values():
        if doc.get("kind") == "Policy":
            rng.shuffle(doc["rules"])
    rng.shuffle(out["policykit.yaml"]["policies"])
    return out


@SETTINGS
@given(projects(compilable=True), st.integers(0, 2**32 - 1))
def test_spec_bytes_do_not_depend_on_the_order_of_files_rules_or_keys(
    files: dict[str, Any], seed: int
) -> None:
    first = _compile(files)
    assume(first.spec is not None)
    second = _compile(_shuffled(files, seed))
    assert second.spec is not None and first.spec is not None
    assert dumps(first.spec) == dumps(second.spec)


def _shuffled_grants(files: dict[str, Any], seed: int) -> dict[str, Any]:
    """Each file's grants, and each behavior's outcomes, in another order (files and
    rules keep theirs: project order is the documented tie-breaker of messages)."""
    out = copy.deepcopy(files)
    rng = random.Random(seed)
    for doc in out.values():
        if doc.get("kind") == "Policy" and doc.get("grants"):
            rng.shuffle(doc["grants"])
        if doc.get("kind") == "Catalog":
            for b in doc["behaviors"]:
                items = list(b["outcomes"].items())
                rng.shuffle(items)
                b["outcomes"] = dict(items)
    return out


@SETTINGS
@given(
    projects(compilable=True, grants=True),
    st.integers(0, 2**32 - 1),
    st.sampled_from(sorted(STRATEGIES)),
)
def test_output_does_not_depend_on_the_order_of_grants_or_outcomes(
    files: dict[str, Any], seed: int, strategy: str
) -> None:
    """Grants, rules, files and keys (a catalog's outcomes among them) shuffled: the
    same diagnostics and the same spec bytes, under every strategy."""
    first = _compile(files, strategy)
    second = _compile(_shuffled_grants(files, seed), strategy)
    assert _findings(first) == _findings(second)
    assert (first.spec is None) == (second.spec is None)
    if first.spec is not None and second.spec is not None:
        assert dumps(first.spec) == dumps(second.spec)


def _findings(result: CompileResult) -> list[tuple[str, str, str, str]]:
    # not the messages (a hint lists bounds in the catalog's outcome order) nor lines (a
    # grant's line moves with it); rules stay put, so where a rule is found is kept
    return sorted(
        (d.code, d.severity.value, Path(d.file).name, "" if "grants" in d.path else d.path)
        for d in result.diagnostics
    )


@SETTINGS
@given(projects(grants=True))
def test_validate_has_an_error_exactly_when_compile_fails(files: dict[str, Any]) -> None:
    files = copy.deepcopy(files)
    with tempfile.TemporaryDirectory() as tmp:
        path = write(files, Path(tmp))
        validated = validate_project(path)
        compiled = compile_project(path)
    assert has_errors(validated.diagnostics) == (compiled.spec is None)


@SETTINGS
@given(projects(compilable=True, grants=True))
def test_a_rule_reported_pk412_does_not_change_the_spec(files: dict[str, Any]) -> None:
    """PK412 says the rule never takes effect: without it every context's intended
    distribution is the same."""
    result = _compile(files)
    assume(result.spec is not None)
    assert result.spec is not None
    shadowed = {d.message.split("'")[1] for d in result.diagnostics if d.code == "PK412"}
    assume(shadowed)
    spec = Spec(result.spec.model_dump(mode="json"))
    for rule_id in sorted(shadowed):
        without = copy.deepcopy(files)
        for doc in without.values():
            if doc.get("kind") == "Policy":
                doc["rules"] = [r for r in doc["rules"] if r["id"] != rule_id]
        other = _compile(without)
        assert other.spec is not None
        again = Spec(other.spec.model_dump(mode="json"))
        behavior = result.graph.rule(rule_id).behavior  # type: ignore[union-attr]
        for context in _contexts():
            assert dict(spec.intended(context, behavior)) == pytest.approx(
                dict(again.intended(context, behavior)), abs=1e-9
            ), (rule_id, context)
