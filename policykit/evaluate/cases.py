"""What the evaluator needs of an eval case, and the adapter from the export's cases.

The evaluator measures :class:`Case` values, a small frozen view of
:class:`policykit.export.cases.EvalCase` (the case model every exporter shares), so that
the backends and metrics do not depend on fields they never read. :func:`from_eval_case`
is the whole integration; :func:`load_cases` builds the cases of a spec with the same
``build_cases`` the exporters use, so ``policykit eval`` and ``policykit export`` measure
the very same prompts.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policykit.export.cases import EvalCase
    from policykit.spec.artifact import TargetBehaviorSpec


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    description: str
    exemplars: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Case:
    """One prompt in one context, and what is intended there."""

    id: str
    behavior: str
    property: str
    """The HHH property the behavior serves: helpful, honest or harmless."""
    cell: int
    context: Mapping[str, str]
    messages: tuple[tuple[str, str], ...]
    """(role, content) pairs: the system message, then the user's prompt."""
    completion_prompt: str
    """The same conversation as one plain-text prompt ending in ``Assistant:``, for
    models without a chat template; it is the prompt of the exported lm-eval task."""
    outcomes: tuple[Outcome, ...]
    """Sorted by id; every distribution below uses this order."""
    intended: Mapping[str, float]
    bounds: Mapping[str, tuple[float, float]]
    weight: float
    """Weight of the behavior in the case's cell."""
    stakeholders: Mapping[str, int] = field(default_factory=dict)
    """Per stakeholder with a rule covering the cell, how many of its rules do."""
    targets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Per stakeholder with a soft target in the cell, that target."""
    conflict: bool = False
    kinds: Mapping[str, str] = field(default_factory=dict)
    """Per named principal involved in the cell (a name other than its kind), its
    kind; the built-in names are their own kind and are not listed."""

    @builtins.property
    def outcome_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.outcomes)


def prompt_text(case: Case, tokenizer: Any, fmt: str) -> str:
    """The case's prompt as the model reads it: in ``chat``, the tokenizer's chat
    template applied to the case's messages, open for the assistant's reply; in
    ``plain``, the case's completion prompt (the exported lm-eval task's)."""
    if fmt == "chat":
        text = tokenizer.apply_chat_template(
            [{"role": role, "content": content} for role, content in case.messages],
            tokenize=False,
            add_generation_prompt=True,
        )
        return str(text)
    return case.completion_prompt


def from_eval_case(case: EvalCase) -> Case:
    """The evaluator's view of one exported case."""
    from policykit.export.lm_eval import prompt_text

    return Case(
        id=case.id,
        behavior=case.behavior,
        property=case.property,
        cell=case.cell,
        context=MappingProxyType(dict(case.context)),
        messages=tuple((m.role, m.content) for m in case.messages),
        completion_prompt=prompt_text(case),
        outcomes=tuple(
            Outcome(id=o, description=v.description, exemplars=tuple(v.exemplars))
            for o, v in sorted(case.outcomes.items())
        ),
        intended=MappingProxyType(dict(case.intended)),
        bounds=MappingProxyType({o: (b.min, b.max) for o, b in case.bounds.items()}),
        weight=case.weight,
        stakeholders=MappingProxyType(
            {name: len(s.rules) for name, s in case.stakeholders.items() if s.rules}
        ),
        targets=MappingProxyType(
            {
                name: MappingProxyType(dict(s.target))
                for name, s in case.stakeholders.items()
                if s.target is not None
            }
        ),
        conflict=case.conflict,
        kinds=MappingProxyType(
            {name: s.kind for name, s in case.stakeholders.items() if s.kind is not None}
        ),
    )


def load_cases(
    spec: TargetBehaviorSpec,
    *,
    max_cases_per_behavior: int | None = None,
    seed: int = 0,
    limit: int | None = None,
    behaviors: Sequence[str] = (),
) -> tuple[Case, ...]:
    """The spec's cases: sampled per behavior with the export's seeded budget (conflict
    cells always kept), restricted to ``behaviors`` when given, then, with ``limit``,
    at most that many taken round-robin across behaviors (conflict cases first within
    a behavior), so that a limit of the number of behaviors measures each one once."""
    from policykit.export.cases import CaseOptions, build_cases

    case_set = build_cases(
        spec, CaseOptions(max_cases_per_behavior=max_cases_per_behavior, seed=seed)
    )
    wanted = set(behaviors)
    cases = [from_eval_case(c) for c in case_set.cases if not wanted or c.behavior in wanted]
    if limit is None or limit >= len(cases):
        return tuple(cases)
    return round_robin(cases, limit)


def round_robin(cases: Sequence[Case], limit: int) -> tuple[Case, ...]:
    """``limit`` cases, one behavior after another in turn; the result keeps the input
    order."""
    from policykit.export.cases import round_robin_order

    return tuple(cases[i] for i in sorted(round_robin_order(cases)[:limit]))
