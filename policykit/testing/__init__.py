"""``policykit test``: run a project's Test files against its compiled spec.

Each test's assertions are checked in every cell of its behavior that its scope
(``when``) reaches. A cell holds every context that sees the same rules, so checking
cells is exact for every context of the scope, and the work is bounded by the size of
the spec, never by the product of the dimensions. A failure names the test's place in
its file, one concrete context that fails, and the expected and actual values.

Everything is read through the library: :func:`policykit.pipeline.compile_project` for
the spec and the diagnostics (accepted ones included), the spec's cells for intended
distributions, bounds and provenance.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policykit.codes import CODES, PK207, diag
from policykit.diagnostics import Diagnostic, Severity
from policykit.load.project import STD_PREFIX, display_path, load_listed
from policykit.load.reader import Document, Limits, read_file
from policykit.schema.errors import format_path, locate
from policykit.schema.testfile import TestCase, TestFile
from policykit.util.text import suggest_or_list

if TYPE_CHECKING:
    from policykit.schema.workspace import Workspace
    from policykit.spec.artifact import Cell, TargetBehaviorSpec

TOLERANCE = 1e-9
"""Slack for comparing probabilities, which the spec rounds to 12 digits."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One assertion that does not hold."""

    message: str
    """What was expected and what was found."""
    context: tuple[tuple[str, str], ...] = ()
    """A concrete context where it fails (empty: not about a context)."""

    def describe(self) -> str:
        if not self.context:
            return self.message
        where = ", ".join(f"{k}={v}" for k, v in self.context)
        return f"in {where}: {self.message}"


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test and what became of it."""

    __test__ = False  # a policykit test, not a pytest one

    name: str
    file: str
    line: int
    column: int
    failures: tuple[Failure, ...]
    suite: str
    """The test file's metadata name."""

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """What no test touches: a test touches its behavior, every rule it names, and
    every rule that applies in a cell it checks."""

    behaviors: tuple[str, ...]
    untested_behaviors: tuple[str, ...]
    rules: tuple[str, ...]
    untested_rules: tuple[str, ...]
    """Untested rules of the project's own files."""
    untested_std_rules: tuple[str, ...] = ()
    """Untested rules of the standard library's files (baselines the project uses)."""


@dataclass(frozen=True, slots=True)
class TestRun:
    """Every test of a project, and the problems met reading the test files."""

    __test__ = False  # a policykit test, not a pytest one

    results: tuple[TestResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    """Errors in the test files (or in the project, when they stop every test)."""
    coverage: Coverage | None
    files: tuple[str, ...] = field(default=())
    """The test files read, as shown."""

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results) and not any(
            d.severity is Severity.ERROR for d in self.diagnostics
        )


def run_tests(
    project: str | os.PathLike[str],
    test_files: Sequence[str | os.PathLike[str]] = (),
    limits: Limits | None = None,
) -> TestRun:
    """Run the tests of the project at ``project``: ``test_files`` if given, else the
    files its ``tests`` list names."""
    from policykit.analyze.accept import RuleIndex
    from policykit.pipeline import CompileOptions, compile_project

    limits = limits or Limits()
    problems: list[Diagnostic] = []
    documents: list[Document] = []
    if test_files:
        from policykit.diagnostics import PolicykitError

        for f in test_files:
            try:
                documents.append(read_file(f, display_path(Path(f).resolve()), limits))
            except PolicykitError as exc:
                problems.extend(exc.diagnostics)
    else:
        listed, read_problems = load_listed(project, "tests", limits)
        problems.extend(read_problems)
        documents.extend(doc for _, doc in listed)
    suites: list[tuple[TestFile, Document]] = []
    for doc in documents:
        model, found = _validate(doc)
        problems.extend(found)
        if model is not None:
            suites.append((model, doc))

    compiled = compile_project(project, CompileOptions(limits=limits))
    if compiled.graph is None or compiled.spec is None:
        # the project itself is broken: every test fails with the reason
        errors = [d for d in compiled.diagnostics if d.severity is Severity.ERROR]
        why = Failure(f"the project does not compile: {len(errors)} errors (policykit validate)")
        results = [
            _result(case, i, doc, model, (why,))
            for model, doc in suites
            for i, case in enumerate(model.tests)
        ]
        return TestRun(tuple(results), (*problems, *errors), None, _names(documents))

    spec = compiled.spec
    index = RuleIndex(compiled.graph.workspace)
    findings = [*compiled.diagnostics, *(a.diagnostic for a in compiled.accepted)]
    about = [(d, index.rules_of(d)) for d in findings]
    vocabulary = _Vocabulary(spec)
    touched_behaviors: set[str] = set()
    touched_rules: set[str] = set()
    results = []
    for model, doc in suites:
        for i, case in enumerate(model.tests):
            bad = check_references(case, doc, i, vocabulary.names)
            if bad:
                problems.extend(bad)
                continue
            failures = list(_check_expect(case, vocabulary, touched_rules))
            failures += _check_diagnostics(case, about)
            if case.behavior is not None:
                touched_behaviors.add(case.behavior)
            touched_rules.update(d.rule for d in case.expect_diagnostics if d.rule)
            results.append(_result(case, i, doc, model, tuple(failures)))
    behaviors = tuple(sorted(vocabulary.behaviors))
    rules = tuple(sorted(vocabulary.rules))
    std = {r.id for r in compiled.graph.rules if r.file.startswith(STD_PREFIX)}
    untested = [r for r in rules if r not in touched_rules]
    coverage = Coverage(
        behaviors,
        tuple(b for b in behaviors if b not in touched_behaviors),
        rules,
        tuple(r for r in untested if r not in std),
        tuple(r for r in untested if r in std),
    )
    return TestRun(tuple(results), tuple(problems), coverage, _names(documents))


def _names(documents: Iterable[Document]) -> tuple[str, ...]:
    return tuple(d.file for d in documents)


def _validate(doc: Document) -> tuple[TestFile | None, list[Diagnostic]]:
    from policykit.schema.workspace import validate_model

    return validate_model(TestFile, doc, "the test file")


def _result(
    case: TestCase, i: int, doc: Document, model: TestFile, failures: tuple[Failure, ...]
) -> TestResult:
    line, col = locate(doc, ("tests", i))
    return TestResult(case.name, doc.file, line, col, failures, model.metadata.name)


@dataclass(frozen=True, slots=True)
class Names:
    """What a test may name: behaviors with their outcomes, dimensions with their
    values, rules. From a compiled spec, or from a validated workspace."""

    behaviors: Mapping[str, Collection[str]]
    dimensions: Mapping[str, Collection[str]]
    rules: Collection[str]


def check_references(case: TestCase, doc: Document, i: int, names: Names) -> list[Diagnostic]:
    """PK207 for every name test ``i`` of ``doc`` uses that the project does not have."""
    out: list[Diagnostic] = []

    def unknown(what: str, name: str, choices: Iterable[str], *path: str | int) -> None:
        loc = ("tests", i, *path)
        line, col = locate(doc, loc)
        out.append(
            diag(
                PK207,
                f"unknown {what} {name!r}",
                doc.file,
                line,
                col,
                path=format_path(loc),
                hint=suggest_or_list(name, choices),
            )
        )

    outcomes = None
    if case.behavior is not None:
        outcomes = names.behaviors.get(case.behavior)
        if outcomes is None:
            unknown("behavior", case.behavior, names.behaviors, "behavior")
    for dim, values in case.when.items():
        if dim not in names.dimensions:
            unknown("dimension", dim, names.dimensions, "when", dim)
            continue
        for v in values:
            if v not in names.dimensions[dim]:
                unknown(f"value of {dim}", v, names.dimensions[dim], "when", dim)
    expect = case.expect
    if expect is not None and outcomes is not None:
        for key in ("intended", "bounds"):
            for outcome in getattr(expect, key):
                if outcome not in outcomes:
                    unknown("outcome", outcome, outcomes, "expect", key, outcome)
    if expect is not None:
        for key in ("applies", "wins", "overridden"):
            for j, rule in enumerate(getattr(expect, key)):
                if rule not in names.rules:
                    unknown("rule", rule, names.rules, "expect", key, j)
    for j, d in enumerate(case.expect_diagnostics):
        if d.code not in CODES:
            unknown("code", d.code, CODES, "expect_diagnostics", j, "code")
        if d.rule is not None and d.rule not in names.rules:
            unknown("rule", d.rule, names.rules, "expect_diagnostics", j, "rule")
        for dim in d.when:
            if dim not in names.dimensions:
                unknown("dimension", dim, names.dimensions, "expect_diagnostics", j, "when")
    return out


def check_listed(
    project: str | os.PathLike[str], workspace: Workspace, limits: Limits | None = None
) -> tuple[tuple[Diagnostic, ...], int]:
    """The problems of the test files a validated project lists (reading, schema and
    references), and how many files were read: what ``validate`` checks of them."""
    listed, problems = load_listed(project, "tests", limits)
    found = list(problems)
    names = Names(
        {b.id: tuple(b.outcomes) for b in workspace.behaviors.values()},
        {d.id: d.values for d in workspace.dimensions.values()},
        frozenset(rule.id for _, _, rule in workspace.rules()),
    )
    for _, doc in listed:
        model, bad = _validate(doc)
        found.extend(bad)
        if model is not None:
            for i, case in enumerate(model.tests):
                found.extend(check_references(case, doc, i, names))
    return tuple(found), len(listed)


class _Vocabulary:
    """The spec's behaviors, dimensions and rules: the names tests may use, and the
    cells their scopes reach."""

    def __init__(self, spec: TargetBehaviorSpec) -> None:
        self.spec = spec
        self.behaviors = {b.id: b for b in spec.behaviors}
        self.dimensions = {d.id: d for d in spec.dimensions}
        self.rules = {r.id: r for r in spec.rules}
        self.names = Names(
            {b.id: tuple(b.outcomes) for b in spec.behaviors},
            {d.id: d.values for d in spec.dimensions},
            frozenset(self.rules),
        )

    def cells(
        self, behavior: str, when: Mapping[str, Sequence[str]]
    ) -> Iterator[tuple[tuple[tuple[str, str], ...], Cell]]:
        """Each cell of ``behavior`` the scope ``when`` reaches, with one concrete
        context of the scope in it."""
        b = self.behaviors[behavior]
        per_dim = []
        for name in b.dimensions:
            allowed = when.get(name)
            per_dim.append(
                [
                    (c, next(v for v in values if allowed is None or v in allowed))
                    for c, values in enumerate(b.classes[name])
                    if allowed is None or any(v in allowed for v in values)
                ]
            )
        # dimensions the behavior does not divide: the scope's first value stands for all
        rest = tuple(
            (name, values[0])
            for name, values in when.items()
            if name not in b.dimensions and values
        )
        sizes = [len(b.classes[name]) for name in b.dimensions]
        for combo in itertools.product(*per_dim):
            offset = 0
            for (c, _), size in zip(combo, sizes, strict=True):
                offset = offset * size + c
            context = tuple(
                sorted((*((n, v) for n, (_, v) in zip(b.dimensions, combo, strict=True)), *rest))
            )
            yield context, b.cells[offset]


def _range_failure(what: str, value: float, lo: float, hi: float) -> str | None:
    if value < lo - TOLERANCE:
        return f"{what} = {value:g}, expected at least {lo:g}"
    if value > hi + TOLERANCE:
        return f"{what} = {value:g}, expected at most {hi:g}"
    return None


def _check_expect(
    case: TestCase, vocabulary: _Vocabulary, touched_rules: set[str]
) -> Iterator[Failure]:
    """The first failing context of each assertion of ``case.expect``."""
    expect = case.expect
    if expect is None or case.behavior is None:
        return
    failed: set[str] = set()  # one failure per assertion: the first context that fails
    for context, cell in vocabulary.cells(case.behavior, case.when):
        touched_rules.update(cell.applied)
        for outcome, r in expect.intended.items():
            key = f"intended.{outcome}"
            if key not in failed:
                p = cell.intended.get(outcome, 0.0)
                msg = _range_failure(f"intended {outcome}", p, r.min, r.max)
                if msg:
                    failed.add(key)
                    yield Failure(msg, context)
        for outcome, r in expect.bounds.items():
            key = f"bounds.{outcome}"
            if key not in failed:
                b = cell.bounds[outcome]
                msg = _range_failure(f"lower bound of {outcome}", b.min, r.min, r.max)
                msg = msg or _range_failure(f"upper bound of {outcome}", b.max, r.min, r.max)
                if msg:
                    failed.add(key)
                    yield Failure(f"{msg} (bounds [{b.min:g}, {b.max:g}])", context)
        overridden = {o.rule for o in cell.overridden}
        for label, names, present in (
            ("applies", expect.applies, set(cell.applied)),
            ("wins", expect.wins, set(cell.winners)),
            ("overridden", expect.overridden, overridden),
        ):
            for rule in names:
                key = f"{label}.{rule}"
                if key not in failed and rule not in present:
                    failed.add(key)
                    shown = ", ".join(sorted(present)) or "none"
                    yield Failure(
                        f"expected rule {rule!r} {_VERB[label]}; {_VERB_ACTUAL[label]}: {shown}",
                        context,
                    )
    touched_rules.update(expect.applies, expect.wins, expect.overridden)


_VERB = {"applies": "to apply", "wins": "to win", "overridden": "to be overridden"}
_VERB_ACTUAL = {"applies": "applied", "wins": "won", "overridden": "overridden"}


def _check_diagnostics(
    case: TestCase, about: Sequence[tuple[Diagnostic, frozenset[str]]]
) -> list[Failure]:
    from policykit.analyze.accept import matches

    failures = []
    for expected in case.expect_diagnostics:
        found = any(
            (expected.rule is None and d.code == expected.code and _within(d, expected.when))
            or (
                expected.rule is not None
                and matches(d, expected.code, expected.rule, expected.when, rules)
            )
            for d, rules in about
        )
        if not found:
            what = expected.code + (f" about rule {expected.rule!r}" if expected.rule else "")
            same = sorted(
                {
                    ", ".join(sorted(rules)) or "(no rule)"
                    for d, rules in about
                    if d.code == expected.code
                }
            )
            actual = (
                f"{expected.code} is reported about: {'; '.join(same)}"
                if same
                else (f"no {expected.code} is reported")
            )
            failures.append(Failure(f"expected diagnostic {what}; {actual}"))
    return failures


def _within(d: Diagnostic, when: Mapping[str, Sequence[str]]) -> bool:
    witness = dict(d.witness)
    return all(witness.get(dim) in values for dim, values in when.items())
