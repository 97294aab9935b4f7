"""The Test file kind (``kind: Test``): assertions about a project, run by ``policykit
test``.

A test names a behavior and a scope (``when``, as in rules) and says what must hold in
every context of that scope: ranges on the intended probability of outcomes, ranges
the cell's hard bounds must lie in, and which rules apply, win or are overridden. It
can also expect diagnostics (a code, about a rule). Like every authored kind, these
models are frozen, forbid unknown fields and never coerce.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from policykit.schema.models import Bound, Id, Metadata, Scope, _Model


class Expect(_Model):
    intended: dict[Id, Bound] = Field(default_factory=dict)
    """Per outcome, the range P_intended must lie in, in every context of the scope."""
    bounds: dict[Id, Bound] = Field(default_factory=dict)
    """Per outcome, the range the cell's hard bounds must lie in: `{min: 0.4}` means
    every allowed response distribution gives the outcome at least 0.4."""
    applies: tuple[Id, ...] = ()
    """Rules whose scope covers every context of the test's scope."""
    wins: tuple[Id, ...] = ()
    """Rules that decide (set the bounds, or shape the target) in every context."""
    overridden: tuple[Id, ...] = ()
    """Rules overridden by a higher-ranked one in every context."""


class ExpectedDiagnostic(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^PK[0-9]{3}$")]
    """The diagnostic code the project must report (accepted findings count)."""
    rule: Id | None = None
    """The rule it must be about: the rule it points at, or its other side."""
    when: Scope = Field(default_factory=dict)
    """Only a finding whose witness context lies in this scope counts."""


class TestCase(_Model):
    __test__ = False  # a policykit test, not a pytest one

    name: Annotated[str, StringConstraints(pattern=r"\S", max_length=500)]
    """What the test checks, in a sentence; shown when it fails."""
    behavior: Id | None = None
    """The behavior `expect` is about."""
    when: Scope = Field(default_factory=dict)
    """The contexts `expect` must hold in: per dimension, the values; empty: all."""
    expect: Expect | None = None
    """What must hold for the behavior in every context of the scope."""
    expect_diagnostics: tuple[ExpectedDiagnostic, ...] = ()
    """Diagnostics the project must report."""

    @model_validator(mode="after")
    def _something_to_check(self) -> TestCase:
        if self.expect is None and not self.expect_diagnostics:
            raise PydanticCustomError(
                "inconsistent", "a test has expect, expect_diagnostics or both", {}
            )
        if self.expect is not None and self.behavior is None:
            raise PydanticCustomError("inconsistent", "expect needs the behavior it is about", {})
        return self


class TestFile(_Model):
    __test__ = False  # a policykit test, not a pytest one

    api_version: Literal["policykit/v1"] = Field(alias="apiVersion")
    """Always policykit/v1."""
    kind: Literal["Test"]
    """Test: assertions about a project."""
    metadata: Metadata
    """Name and description of these tests."""
    tests: Annotated[tuple[TestCase, ...], Field(min_length=1, max_length=10_000)]
    """The tests."""
