"""Evaluation cases: the spec turned into prompts a model can be measured on.

For every behavior and every cell of a spec, each probe of the behavior and each
``examples`` prompt of the rules that cover the cell becomes one case: the deployment's
description and the cell's context rendered into a system message, the prompt (with
``{dimension}`` placeholders filled) as the user message, and what is intended there.

A cell covers a set of contexts; its case is rendered in one representative context:
per dividing dimension the dimension's default when the cell covers it, else the first
value of the cell's class; every other dimension at its default.

Policy text is data. Placeholders are filled in one pass with a fixed pattern, so a
filled-in label is never filled again and any brace that does not name a declared
dimension stays literal text; nothing here interprets what a description or probe says.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from policykit.codes import PK510
from policykit.errors import UserError
from policykit.spec.artifact import Behavior, Bound, Cell, Dimension, Rule, TargetBehaviorSpec

CASES_VERSION = "policykit.cases/v1"

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

CONFLICT_COST = 1e-6
"""A stakeholder whose cost (nats) in a cell exceeds this did not get what it asked for
there: the cell is one where stakeholders conflict."""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Message(_Out):
    role: Literal["system", "user"]
    content: str


class CaseOutcome(_Out):
    description: str
    """What a response of this class does."""
    exemplars: list[str]
    """Openings of responses of this class, for likelihood scoring and for graders."""


class Involved(_Out):
    rules: list[str]
    """The stakeholder's rules that cover this cell: applied, overridden or dropped."""
    target: dict[str, float] | None
    """Its merged soft target here; null when it only set hard constraints."""
    influence: float | None
    """Its weight in the pool; null without a soft target."""
    cost: float | None
    """KL(target || intended) in nats; null without a soft target."""
    kind: str | None = Field(default=None, exclude_if=lambda v: v is None)
    """The stakeholder's kind, for a named principal (a name other than its kind);
    absent for the four built-in names."""


class Provenance(_Out):
    applied: list[str]
    """Rules whose scope covers the cell (dropped rules excluded)."""
    winners: list[str]
    """Rules that set the bounds or decided the target."""
    overridden: list[str]
    """Rules overridden by a higher-ranked rule."""
    adjusted: list[str]
    """Higher rules whose bounds a lower rule relaxed within what they allow."""
    dropped: list[str]
    """Rules dropped for a permission violation (on_violation: drop)."""


class EvalCase(_Out):
    """One prompt in one context, with the distribution over outcomes intended there."""

    apiVersion: Literal["policykit.cases/v1"]
    id: str
    """sha256 (first 16 hex digits) of the behavior, context and messages: what the
    model is shown and what is measured. It does not cover the intended distribution,
    so a case keeps its id when the policies change what is intended."""
    project: str
    spec: str
    """The inputs hash of the spec the case came from."""
    behavior: str
    property: Literal["helpful", "honest", "harmless"]
    """The HHH property the behavior serves."""
    cell: int
    """Index of the cell in the behavior's cells."""
    when: dict[str, list[str]]
    """The cell: per dividing dimension, the values it covers."""
    context: dict[str, str]
    """The representative context the case is rendered in, one value per dimension."""
    source: Literal["probe", "example"]
    """A catalog probe of the behavior, or an example prompt of a rule."""
    rule: str | None
    """The rule whose example this is; null for probes."""
    messages: list[Message]
    """The chat to send: the system message, then the user's prompt."""
    outcomes: dict[str, CaseOutcome]
    """The response classes, sorted by id."""
    intended: dict[str, float]
    """P_intended over the outcomes in this cell; sums to 1."""
    bounds: dict[str, Bound]
    """Per-outcome bounds a model's response distribution must respect here."""
    weight: float
    """Weight of the behavior in this cell (summed stakeholder weights)."""
    conflict: bool
    """Stakeholders conflict in this cell: a rule was overridden, adjusted or dropped,
    or some stakeholder's target is not what the cell intends."""
    stakeholders: dict[str, Involved]
    """The stakeholders with a rule covering this cell."""
    rules: Provenance


@dataclass(frozen=True, slots=True)
class CaseOptions:
    max_cases_per_behavior: int | None = None
    """Sample cells when a behavior has more cases than this (None: keep all)."""
    seed: int = 0
    """Seed of the sampling; the same seed picks the same cells."""
    max_cases: int | None = None
    """Refuse (CaseCapError) a spec that makes more cases than this, counted before
    they are built (None: no cap; the CLI's default is 10,000)."""


class CaseCapError(UserError, ValueError):
    """A spec that makes more cases than the cap."""

    code = PK510


@dataclass(frozen=True, slots=True)
class CaseSet:
    """The cases of one spec, in a stable order, with what exporters need of the spec."""

    project: str
    description: str
    spec_hash: str
    cases: tuple[EvalCase, ...]


def fill_placeholders(
    text: str, context: Mapping[str, str], dimensions: Mapping[str, Dimension]
) -> str:
    """Replace ``{dimension}`` by the label of its value in ``context`` (or the value
    itself without a label). One pass: a substituted label is never looked at again."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        dimension = dimensions.get(name)
        if dimension is None or name not in context:
            return match.group(0)
        value = context[name]
        return dimension.labels.get(value, value)

    return _PLACEHOLDER.sub(sub, text)


def render_context(spec: TargetBehaviorSpec, context: Mapping[str, str]) -> str:
    """The context as the model is told it: the deployment's template filled in, or
    one ``dimension: label`` line per dimension when the template is empty."""
    dimensions = {d.id: d for d in spec.dimensions}
    template = spec.deployment.get("context_template", "")
    if template.strip():
        return fill_placeholders(template.strip(), context, dimensions)
    return "\n".join(
        f"{d.id}: {d.labels.get(context[d.id], context[d.id])}" for d in spec.dimensions
    )


def system_message(spec: TargetBehaviorSpec, context: Mapping[str, str]) -> str:
    parts = [spec.deployment.get("description", "").strip(), render_context(spec, context)]
    return "\n\n".join(p for p in parts if p)


def representative_context(spec: TargetBehaviorSpec, cell: Cell) -> dict[str, str]:
    context = {}
    for d in spec.dimensions:
        values = cell.when.get(d.id)
        if not values or d.default in values:
            context[d.id] = d.default
        else:
            context[d.id] = values[0]
    return context


Box = dict[str, frozenset[str]]


def _excluded(context: Mapping[str, str], exclusions: Sequence[Box]) -> bool:
    return any(all(context[k] in v for k, v in e.items()) for e in exclusions)


def _cut(box: Box, exclusion: Box) -> list[Box]:
    """``box`` minus ``exclusion``, as disjoint boxes."""
    if not all(box[k] & v for k, v in exclusion.items()):
        return [box]
    out = []
    rest = dict(box)
    for k, v in exclusion.items():
        outside = rest[k] - v
        if outside:
            out.append({**rest, k: outside})
        rest[k] = rest[k] & v
    return out


def allowed_context(spec: TargetBehaviorSpec, cell: Cell) -> dict[str, str] | None:
    """The context a cell's cases are rendered in, inside the project's shaped space:
    the representative context when it is allowed, else, in the cell's allowed part,
    each dimension's default where it can be and its first value where not; None when
    every context of the cell is excluded (the cell then has no cases)."""
    context = representative_context(spec, cell)
    if spec.context is None or not spec.context.exclude:
        return context
    exclusions = [{k: frozenset(v) for k, v in e.items()} for e in spec.context.exclude]
    if not _excluded(context, exclusions):
        return context
    pieces: list[Box] = [
        {d.id: frozenset(cell.when.get(d.id) or d.values) for d in spec.dimensions}
    ]
    for exclusion in exclusions:
        pieces = [part for piece in pieces for part in _cut(piece, exclusion)]
        if not pieces:
            return None
        if len(pieces) > _MAX_PIECES:
            break  # a spec's many exclusions: judge the pieces' contexts one by one
    for piece in pieces:
        found = {
            d.id: d.default
            if d.default in piece[d.id]
            else next(v for v in d.values if v in piece[d.id])
            for d in spec.dimensions
        }
        if not _excluded(found, exclusions):
            return found
    return None


_MAX_PIECES = 4096
"""How many boxes the allowed part of a cell is cut into, at most, before its contexts
are tried one per box instead (a spec is not trusted: it may list many exclusions)."""


def is_conflict(cell: Cell) -> bool:
    if cell.overridden or cell.adjusted or cell.dropped:
        return True
    return any(s.cost > CONFLICT_COST for s in cell.stakeholders.values())


def case_id(behavior: str, context: Mapping[str, str], messages: Sequence[Message]) -> str:
    content = {
        "behavior": behavior,
        "context": dict(context),
        "messages": [m.model_dump() for m in messages],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _prompts(
    behavior: Behavior, cell: Cell, rules: Mapping[str, Rule]
) -> list[tuple[str, str | None]]:
    prompts: list[tuple[str, str | None]] = [(p, None) for p in behavior.probes]
    covering = sorted({*cell.applied, *cell.dropped})
    for rule_id in covering:
        rule = rules.get(rule_id)
        if rule is not None:
            prompts.extend((example, rule_id) for example in rule.examples)
    return prompts


def _involved(
    cell: Cell, rules: Mapping[str, Rule], kinds: Mapping[str, str]
) -> dict[str, Involved]:
    by_stakeholder: dict[str, set[str]] = {}
    overridden = {o.rule for o in cell.overridden}
    for rule_id in {*cell.applied, *cell.dropped, *overridden}:
        rule = rules.get(rule_id)
        if rule is not None:
            by_stakeholder.setdefault(rule.stakeholder, set()).add(rule_id)
    for name in cell.stakeholders:
        by_stakeholder.setdefault(name, set())
    out = {}
    for name in sorted(by_stakeholder):
        soft = cell.stakeholders.get(name)
        out[name] = Involved(
            rules=sorted(by_stakeholder[name]),
            target=dict(soft.target) if soft else None,
            influence=soft.influence if soft else None,
            cost=soft.cost if soft else None,
            kind=kinds.get(name),
        )
    return out


def _cell_cases(
    spec: TargetBehaviorSpec,
    behavior: Behavior,
    index: int,
    rules: Mapping[str, Rule],
    dimensions: Mapping[str, Dimension],
) -> list[EvalCase]:
    cell = behavior.cells[index]
    found = allowed_context(spec, cell)
    if found is None:
        return []
    context = found
    system = system_message(spec, context)
    outcomes = {
        o: CaseOutcome(description=v.description, exemplars=list(v.exemplars))
        for o, v in sorted(behavior.outcomes.items())
    }
    provenance = Provenance(
        applied=list(cell.applied),
        winners=list(cell.winners),
        overridden=[o.rule for o in cell.overridden],
        adjusted=[a.rule for a in cell.adjusted],
        dropped=list(cell.dropped),
    )
    kinds = {n: st.kind for n, st in spec.stakeholders.items() if st.kind is not None}
    involved = _involved(cell, rules, kinds)
    conflict = is_conflict(cell)
    cases = []
    for prompt, rule_id in _prompts(behavior, cell, rules):
        messages = [
            Message(role="system", content=system),
            Message(role="user", content=fill_placeholders(prompt, context, dimensions)),
        ]
        cases.append(
            EvalCase(
                apiVersion=CASES_VERSION,
                id=case_id(behavior.id, context, messages),
                project=spec.project,
                spec=spec.inputs_hash,
                behavior=behavior.id,
                property=behavior.property,
                cell=index,
                when={k: list(v) for k, v in cell.when.items()},
                context=context,
                source="probe" if rule_id is None else "example",
                rule=rule_id,
                messages=messages,
                outcomes=outcomes,
                intended=dict(cell.intended),
                bounds=dict(cell.bounds),
                weight=cell.weight,
                conflict=conflict,
                stakeholders=involved,
                rules=provenance,
            )
        )
    return cases


def _order_key(seed: int, behavior: str, index: int) -> str:
    # A hash, not random.Random: the order must not depend on the Python version.
    return hashlib.sha256(f"{seed}\0{behavior}\0{index}".encode()).hexdigest()


def _sample(
    behavior: Behavior, per_cell: Sequence[list[EvalCase]], budget: int, seed: int
) -> list[EvalCase]:
    """Keep every conflict cell whole; fill the rest of the budget with other cells in
    a seeded order (the last one possibly in part); return the cases in cell order."""
    if sum(len(c) for c in per_cell) <= budget:
        return [case for cases in per_cell for case in cases]
    kept: dict[int, list[EvalCase]] = {}
    total = 0
    for index, cases in enumerate(per_cell):
        if cases and cases[0].conflict:
            kept[index] = cases
            total += len(cases)
    others = sorted(
        (i for i in range(len(per_cell)) if i not in kept),
        key=lambda i: _order_key(seed, behavior.id, i),
    )
    for index in others:
        if total >= budget:
            break
        take = per_cell[index][: budget - total]
        if take:
            kept[index] = take
            total += len(take)
    return [case for index in sorted(kept) for case in kept[index]]


class _Ordered(Protocol):
    @property
    def behavior(self) -> str: ...
    @property
    def conflict(self) -> bool: ...


def round_robin_order(cases: Sequence[_Ordered]) -> list[int]:
    """Positions of ``cases`` taken one behavior after another in turn (behaviors in
    their first appearance's order, conflict cases first within a behavior), so that the
    first N of them cover min(N, behaviors) behaviors: what ``policykit eval --limit``
    measures and what Inspect's ``--limit`` runs."""
    queues: dict[str, list[int]] = {}
    for index, case in enumerate(cases):
        queues.setdefault(case.behavior, []).append(index)
    for queue in queues.values():
        queue.sort(key=lambda i: not cases[i].conflict)
    order: list[int] = []
    depth = 0
    while len(order) < len(cases):
        order.extend(queue[depth] for queue in queues.values() if depth < len(queue))
        depth += 1
    return order


def build_cases(spec: TargetBehaviorSpec, options: CaseOptions | None = None) -> CaseSet:
    """The evaluation cases of ``spec``: behaviors in spec order, cells in order, and
    in each cell the probes then the rules' examples (rules sorted by id). A prompt that
    appears twice in a cell (a probe also given as an example) is kept once."""
    options = options or CaseOptions()
    rules = {r.id: r for r in spec.rules}
    dimensions = {d.id: d for d in spec.dimensions}
    if options.max_cases is not None:
        _check_cap(spec, rules, options)
    out: list[EvalCase] = []
    for behavior in spec.behaviors:
        per_cell = []
        for index in range(len(behavior.cells)):
            per_cell.append(_dedupe(_cell_cases(spec, behavior, index, rules, dimensions)))
        if options.max_cases_per_behavior is None:
            out.extend(case for cases in per_cell for case in cases)
        else:
            out.extend(_sample(behavior, per_cell, options.max_cases_per_behavior, options.seed))
    return CaseSet(
        project=spec.project,
        description=spec.description,
        spec_hash=spec.inputs_hash,
        cases=tuple(_dedupe(out)),
    )


def _check_cap(spec: TargetBehaviorSpec, rules: Mapping[str, Rule], options: CaseOptions) -> None:
    """CaseCapError when the cases of ``spec`` would be more than ``options.max_cases``,
    counted from the cells, probes and examples (an upper bound: a prompt repeated in a
    cell is one case), in time linear in the spec and before any case is built."""
    cap = options.max_cases
    assert cap is not None
    total = 0
    for behavior in spec.behaviors:
        count = sum(
            len(behavior.probes) + sum(len(rules[r].examples) for r in cell.applied if r in rules)
            for cell in behavior.cells
        )
        total += count
    if total > cap:
        # every case is built before --max-cases-per-behavior samples them, so the cap
        # bounds all of them
        raise CaseCapError(f"the spec makes up to {total} cases, more than the cap of {cap}")


def _dedupe(cases: Iterable[EvalCase]) -> list[EvalCase]:
    seen: set[str] = set()
    out = []
    for case in cases:
        if case.id not in seen:
            seen.add(case.id)
            out.append(case)
    return out


def suite_name(project: str) -> str:
    """``policykit_<project>`` with everything outside ``[a-z0-9_]`` turned into ``_``: the
    task or eval name every exporter gives a project."""
    return "policykit_" + (re.sub(r"[^a-z0-9_]", "_", project.lower()) or "project")


def json_line(data: Any) -> str:
    """One JSON Lines record: sorted keys, no spaces, readable Unicode, and the line
    and paragraph separators escaped so that no line splitter breaks a record."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def cases_jsonl(case_set: CaseSet) -> str:
    return "".join(json_line(c.model_dump(mode="json")) + "\n" for c in case_set.cases)


def cases_json_schema() -> dict[str, Any]:
    from policykit.schema.jsonschema import model_schema

    title = f"policykit evaluation case ({CASES_VERSION}), one per line of cases.jsonl"
    return model_schema(EvalCase, title, "serialization")


CASES_SCHEMA_FILE = "cases.schema.json"


def write_cases_schema(directory: str | os.PathLike[str]) -> Path:
    """Write the committed ``cases.schema.json`` into ``directory`` (atomically);
    ``python -m policykit.export policykit/schemas`` regenerates it."""
    from policykit.schema.jsonschema import dumps
    from policykit.util.output import write_atomic

    target = Path(directory) / CASES_SCHEMA_FILE
    write_atomic(target, dumps(cases_json_schema()))
    return target
