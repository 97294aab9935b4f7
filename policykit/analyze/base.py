"""What every check shares: registering its code from its docstring, and reporting."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TypeVar

from policykit.codes import CODES, Code, register
from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.scope import Masks, intersect
from policykit.schema.models import STAKEHOLDERS

F = TypeVar("F", bound=Callable[..., object])

_SECTION = re.compile(r"^\s*(Conflicting example|How to resolve):\s*$", re.MULTILINE)


def check(code: str, title: str, severity: Severity) -> Callable[[F], F]:
    """Declare a check: its code, title and severity; the docstring's "Conflicting
    example:" and "How to resolve:" sections become the code's documentation."""

    def wrap(fn: F) -> F:
        doc = inspect.getdoc(fn) or ""
        parts = _SECTION.split(doc)
        sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
        example = sections.get("Conflicting example", "")
        fix = " ".join(sections.get("How to resolve", "").split())
        if not example or not fix:
            raise ValueError(f"check {code} needs 'Conflicting example' and 'How to resolve'")
        register(Code(code, title, severity, example, fix))
        return fn

    return wrap


def rule_related(ref: RuleRef, message: str) -> Related:
    line, col = ref.position()
    return Related(message, ref.file, line, col)


def other_side(ref: RuleRef) -> Related:
    """Where the other side of a finding about two rules is."""
    return rule_related(ref, f"the other side: {ref.label()}")


def report(
    graph: ObjectiveGraph,
    code: str,
    ref: RuleRef,
    message: str,
    *,
    other: RuleRef | None = None,
    related: Related | None = None,
    more: int = 0,
    hint: str = "",
    severity: Severity | None = None,
    at: tuple[str | int, ...] = (),
    scope: Masks | None = None,
) -> Diagnostic:
    """A finding about ``ref``, naming the other side (``other``, which is ``related``
    when the caller has it at hand) and a witness context."""
    # Runs for every finding, tens of thousands of them on a large project.
    line, col = ref.position(*at)
    places: tuple[Related, ...] = ()
    stakeholders: tuple[str, ...] = (ref.stakeholder,)
    witness_masks = scope if scope is not None else ref.masks
    text = message
    if other is not None:
        places = (related or other_side(other),)
        mine, theirs = ref.stakeholder, other.stakeholder
        if mine == theirs or _stakeholder_key(mine) <= _stakeholder_key(theirs):
            stakeholders = (mine, theirs)
        else:
            stakeholders = (theirs, mine)
        if scope is None:
            witness_masks = intersect(ref.masks, other.masks)
        text += f"; for example in {graph.space.describe_witness(witness_masks)}"
    if more:
        text += f" (and {more} more rule{'s' * (more != 1)})"
    path = f"rules[{ref.index}]"
    if at:
        path += "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at)
    return Diagnostic(
        code,
        severity or CODES[code].severity,
        text,
        ref.file,
        line,
        col,
        path,
        hint,
        places,
        ref.behavior,
        stakeholders,
        graph.space.witness(witness_masks),
    )


_ORDER: dict[str, int] = {name: i for i, name in enumerate(STAKEHOLDERS)}


def _stakeholder_key(name: str) -> int:
    return _ORDER.get(name, 99)
