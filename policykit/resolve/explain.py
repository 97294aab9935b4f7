"""Why one behavior resolves as it does in one context: the data ``policykit explain``
renders (its text rendering lives in :mod:`policykit.cli.explain`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from policykit.errors import UserError
from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.resolve.resolver import BehaviorResolution, Resolution, ResolvedCell
from policykit.schema.context import catalog_values, excluded_by
from policykit.util.text import suggest

Status = Literal["applied", "overridden", "adjusted", "dropped", "excluded", "out of scope"]


class ExplainError(UserError, ValueError):
    """An unknown behavior, dimension or value; ``subject`` says which input named it."""

    def __init__(self, message: str, subject: Literal["behavior", "context"]) -> None:
        super().__init__(message, subject=subject)


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    """One rule on the behavior and what became of it in the context."""

    rule: str
    stakeholder: str
    rank: int
    location: str
    """``file:line`` of the rule."""
    directive: str
    status: Status
    why: str


@dataclass(frozen=True, slots=True)
class TargetExplanation:
    """One stakeholder's merged soft target in the cell."""

    stakeholder: str
    target: tuple[tuple[str, float], ...]
    """Per outcome, rounded to 6 places."""
    influence: float
    cost: float
    """``KL(target || intended)`` in nats."""
    kind: str = ""
    """The stakeholder's kind (its own name for the built-in ones)."""


@dataclass(frozen=True, slots=True)
class KindExplanation:
    """The stakeholders of one kind with a soft target in the cell, together."""

    kind: str
    stakeholders: tuple[str, ...]
    influence: float
    """Their influences, summed."""
    cost: float
    """Their costs, averaged by influence."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """The explanation of one behavior in one context. Numbers of the resolved cell are
    rounded to 6 places; outcomes are in the behavior's order."""

    behavior: str
    context: tuple[tuple[str, str], ...]
    """Every dimension with its value (the default where the query named none)."""
    strategy: str
    rules: tuple[RuleExplanation, ...]
    bounds: tuple[tuple[str, float, float], ...]
    """Per outcome: (outcome, lo, hi)."""
    targets: tuple[TargetExplanation, ...]
    intended: tuple[tuple[str, float], ...]
    default: tuple[tuple[str, float], ...]
    notes: tuple[str, ...] = ()
    """What a reader might expect to matter and does not: `refines` relations of the
    behavior, which are descriptive only."""
    kinds: tuple[KindExplanation, ...] = ()
    """Per kind; empty unless a named principal (a name other than its kind) has a
    target here."""

    def to_json(self) -> dict[str, Any]:
        """What ``--format json`` prints."""
        data = self._json()
        if self.kinds:  # only then: explanations of built-in names keep their shape
            data["kinds"] = {
                k.kind: {
                    "stakeholders": list(k.stakeholders),
                    "influence": k.influence,
                    "cost": k.cost,
                }
                for k in self.kinds
            }
            for t in self.targets:
                data["targets"][t.stakeholder]["kind"] = t.kind
        return data

    def _json(self) -> dict[str, Any]:
        return {
            "behavior": self.behavior,
            "context": dict(self.context),
            "strategy": self.strategy,
            "rules": [
                {
                    "rule": r.rule,
                    "stakeholder": r.stakeholder,
                    "rank": r.rank,
                    "location": r.location,
                    "directive": r.directive,
                    "status": r.status,
                    "why": r.why,
                }
                for r in self.rules
            ],
            "bounds": {o: [lo, hi] for o, lo, hi in self.bounds},
            "targets": {
                t.stakeholder: {
                    "target": dict(t.target),
                    "influence": t.influence,
                    "cost": t.cost,
                }
                for t in self.targets
            },
            "intended": dict(self.intended),
            "default": dict(self.default),
            **({"notes": list(self.notes)} if self.notes else {}),
        }


def _directive(ref: RuleRef) -> str:
    rule = ref.rule
    value: Any = getattr(rule, rule.directive)
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if hasattr(v, "min"):
                parts.append(f"{k} in [{v.min:g}, {v.max:g}]")
            else:
                parts.append(f"{k} {v:g}")
        text = ", ".join(parts)
    elif isinstance(value, tuple):
        text = ", ".join(value)
    else:
        text = str(value)
    extra = f" (weight {rule.weight:g})" if not rule.hard else ""
    return f"{rule.directive}: {text}{extra}"


def _unknown(what: str, name: str, choices: Any) -> str:
    hint = suggest(name, choices)
    return f"unknown {what}" + (f"; {hint}" if hint else "")


def explain_cell(
    graph: ObjectiveGraph,
    resolution: Resolution,
    behavior: str,
    context: Mapping[str, str],
    excluded: Mapping[str, str] | None = None,
) -> Explanation:
    """Why ``behavior`` resolves as it does in ``context`` (missing dimensions take
    their defaults). ``excluded``: rules left out of ``resolution`` for an error, with
    the error. Raises ExplainError for an unknown behavior, dimension or value."""
    found = _resolved(graph, resolution, behavior)
    full = _full_context(graph, context)
    cell = found.cells[_cell_index(found, full)]
    outcomes = found.outcomes
    costs = dict(cell.costs)
    default = graph.behavior(behavior).default
    kind_of = graph.stakeholder_kind
    return Explanation(
        behavior=behavior,
        context=tuple(full.items()),
        strategy=graph.workspace.project.strategy,
        rules=_rule_explanations(graph, behavior, full, cell, excluded or {}),
        bounds=tuple(
            (o, round(lo, 6), round(hi, 6))
            for o, lo, hi in zip(outcomes, cell.lo, cell.hi, strict=True)
        ),
        targets=tuple(
            TargetExplanation(
                name,
                tuple(zip(outcomes, (round(x, 6) for x in target), strict=True)),
                round(influence, 6),
                round(costs[name], 6),
                kind_of(name),
            )
            for name, target, influence in cell.targets
        ),
        intended=tuple(zip(outcomes, (round(x, 6) for x in cell.intended), strict=True)),
        default=tuple((o, default.get(o, 0.0)) for o in outcomes),
        notes=refines_notes(graph, behavior),
        kinds=_kinds(cell.targets, costs, kind_of),
    )


def _resolved(graph: ObjectiveGraph, resolution: Resolution, behavior: str) -> BehaviorResolution:
    """The behavior's resolution; ExplainError for a behavior the project lacks."""
    found = next((b for b in resolution.behaviors if b.behavior == behavior), None)
    if found is None:
        raise ExplainError(
            _unknown(f"behavior {behavior!r}", behavior, graph.workspace.behaviors), "behavior"
        )
    return found


def _full_context(graph: ObjectiveGraph, context: Mapping[str, str]) -> dict[str, str]:
    """Every dimension with its value in ``context``, else its default; ExplainError for
    an unknown dimension or value, a value the project restricted away, or a context the
    project excludes."""
    dims = {d.id: d for d in graph.space.dimensions}
    for name, value in context.items():
        if name not in dims:
            raise ExplainError(_unknown(f"dimension {name!r}", name, dims), "context")
        if value not in dims[name].values:
            if value in catalog_values(graph.workspace, name):
                raise ExplainError(
                    f"value {value!r} of dimension {name!r} is outside the project's context "
                    f"space (restricted away); its values are {', '.join(dims[name].values)}",
                    "context",
                )
            raise ExplainError(
                _unknown(f"value {value!r} of dimension {name!r}", value, dims[name].values),
                "context",
            )
    full = {d.id: context.get(d.id, d.default) for d in graph.space.dimensions}
    if excluded_by(graph.workspace, full) is not None:
        named = ", ".join(f"{k}={v}" for k, v in full.items())
        raise ExplainError(
            f"context {named} is excluded by the project's context space (context: exclude)",
            "context",
        )
    return full


def _cell_index(found: BehaviorResolution, full: Mapping[str, str]) -> int:
    """The place of the cell holding ``full`` among the behavior's cells (row-major over
    the value classes of its dividing dimensions)."""
    offset = 0
    for name, classes in zip(found.dimensions, found.classes, strict=True):
        c = next(i for i, values in enumerate(classes) if full[name] in values)
        offset = offset * len(classes) + c
    return offset


def _rule_explanations(
    graph: ObjectiveGraph,
    behavior: str,
    full: Mapping[str, str],
    cell: ResolvedCell,
    excluded: Mapping[str, str],
) -> tuple[RuleExplanation, ...]:
    """Every rule on the behavior, in project order, with what became of it in the cell
    and why."""
    overridden = {o.rule: o for o in cell.overridden}
    adjusted = {a.rule: a for a in cell.adjusted}
    applying = {r.id for r in graph.rules_in(behavior, full)}
    rules = []
    for ref in graph.rules_for(behavior):
        line, _col = ref.position()
        status: Status
        if ref.id in excluded and ref.id in applying:
            status, why = "excluded", f"left out: {excluded[ref.id]}"
        elif ref.id in cell.dropped:
            status, why = "dropped", "violates a permission (on_violation: drop)"
        elif ref.id not in applying:
            status, why = "out of scope", f"applies to {graph.space.describe(ref.masks)}"
        elif ref.id in overridden:
            status, why = "overridden", overridden[ref.id].reason
        elif ref.id in adjusted:
            status, why = "adjusted", f"relaxed to its within bounds by {adjusted[ref.id].by!r}"
        elif ref.id in cell.winners:
            status, why = "applied", ("sets the bounds" if ref.hard else "pooled into the target")
        else:
            status, why = "applied", ""
        rules.append(
            RuleExplanation(
                ref.id,
                ref.stakeholder,
                ref.rank,
                f"{ref.file}:{line}",
                _directive(ref),
                status,
                why,
            )
        )
    return tuple(rules)


def refines_notes(graph: ObjectiveGraph, behavior: str) -> tuple[str, ...]:
    """A note per `refines` relation of the behavior: the relation is descriptive only
    (documentation, reports); resolution never carries a rule across it."""
    notes = []
    for a, b, _rel in graph.relations("refines"):
        if behavior in (a, b):
            special, general = a, b
            notes.append(
                f"{special!r} refines {general!r}: descriptive only; rules on {general!r} "
                f"do not apply to {special!r} (and not the other way round)"
            )
    return tuple(notes)


def _kinds(
    targets: tuple[tuple[str, tuple[float, ...], float], ...],
    costs: Mapping[str, float],
    kind_of: Callable[[str], str],
) -> tuple[KindExplanation, ...]:
    if all(kind_of(name) == name for name, _, _ in targets):
        return ()
    members: dict[str, list[tuple[str, float]]] = {}
    for name, _target, influence in targets:
        members.setdefault(kind_of(name), []).append((name, influence))
    out = []
    for kind, group in sorted(members.items()):
        total = math.fsum(i for _, i in group)
        cost = math.fsum(i * costs[n] for n, i in group) / total if total > 0 else 0.0
        out.append(
            KindExplanation(
                kind, tuple(sorted(n for n, _ in group)), round(total, 6), round(cost, 6)
            )
        )
    return tuple(out)
