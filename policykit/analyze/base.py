"""What every check shares: where its findings are and how they are reported."""

from __future__ import annotations

from policykit.codes import Code
from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.graph.scope import Masks, intersect
from policykit.schema.models import STAKEHOLDERS


def rule_related(ref: RuleRef, message: str) -> Related:
    line, col = ref.position()
    return Related(message, ref.file, line, col)


def other_side(ref: RuleRef) -> Related:
    """Where the other side of a finding about two rules is."""
    return rule_related(ref, f"the other side: {ref.label()}")


def report(
    graph: ObjectiveGraph,
    code: Code,
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
        if mine == theirs or _stakeholder_key(ref) <= _stakeholder_key(other):
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
        str(code),
        severity or code.severity,
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


def _stakeholder_key(ref: RuleRef) -> tuple[int, bool, str]:
    """Kinds in their order; within a kind the built-in name, then names sorted."""
    kind = ref.kind or ref.stakeholder
    return _ORDER.get(kind, 99), ref.stakeholder != kind, ref.stakeholder
