"""`direct_init` builds the same values as the dataclass's own ``__init__``, only faster."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field

import pytest

from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.util.frozen import direct_init


def test_same_signature_and_values() -> None:
    @direct_init
    @dataclass(frozen=True, slots=True)
    class Point:
        a: int
        b: str = "b"
        c: tuple[int, ...] = field(default=())

    assert str(inspect.signature(Point)) == "(a, b='b', c=())"
    assert Point(1) == Point(1, "b", ())
    assert Point(1, c=(2,)) == Point(a=1, b="b", c=(2,))
    assert repr(Point(1, "x")).endswith("Point(a=1, b='x', c=())")
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, a=2)  # type: ignore[misc]


def test_still_frozen_and_picklable() -> None:
    d = Diagnostic("PK207", Severity.ERROR, "m", "a.yaml", 3, 2, related=(Related("r", "b", 1, 1),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.line = 4  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(d)) == d
    assert hash(d) == hash(dataclasses.replace(d))


def test_diagnostic_defaults_are_the_declared_ones() -> None:
    d = Diagnostic("PK207", Severity.ERROR, "m", "a.yaml")
    assert d == Diagnostic(
        code="PK207",
        severity=Severity.ERROR,
        message="m",
        file="a.yaml",
        line=0,
        column=0,
        path="",
        hint="",
        related=(),
        behavior="",
        stakeholders=(),
        witness=(),
    )


def test_only_plain_frozen_slotted_dataclasses() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = field(default_factory=list)

    @dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (NoSlots, NotFrozen, Factory, PostInit):
        with pytest.raises(TypeError, match="not a plain frozen slotted dataclass"):
            direct_init(cls)
