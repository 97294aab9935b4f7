"""What changed between two specs, the way a reviewer needs it.

Two specs may divide a behavior's context space differently, so the comparison of
intended behavior runs on the common refinement: along each dimension either spec
divides, the non-empty intersections of their value classes. In each refined cell both
specs are queried and the change is measured by total variation distance, and the rules
that caused it are named: those that entered or left the cell, changed their part in it
(winner, overridden, dropped), changed their definition or permissions, or whose
stakeholder's target there moved.

Beside intended behavior, a review lists what the query path cannot show: rules added,
removed or given other permissions (locked, ``adjustable_by``, ``within``, grants), and
dimensions, dimension values, behaviors and outcomes added or removed.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policykit.resolve.distributions import tv
from policykit.spec.query import Spec

CHANGE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Change:
    """Intended behavior moved in one refined cell."""

    behavior: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    old: dict[str, float] | None
    new: dict[str, float] | None
    distance: float
    rules: tuple[str, ...] = ()
    """The rules that caused the change (empty: the catalog default moved)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "behavior": self.behavior,
            "when": {k: list(v) for k, v in self.when},
            "old": self.old,
            "new": self.new,
            "total_variation": round(self.distance, 12),
            "rules": list(self.rules),
        }


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule added, removed, or given other permissions."""

    rule: str
    kind: str
    """``added``, ``removed`` or ``permissions``."""
    old: dict[str, Any] | None
    """The rule's permissions before (None: added, or not recorded)."""
    new: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "old": self.old, "new": self.new}

    def describe(self) -> str:
        if self.kind == "added":
            return f"rule {self.rule!r} added ({describe_permissions(self.new)})"
        if self.kind == "removed":
            return f"rule {self.rule!r} removed (was {describe_permissions(self.old)})"
        return (
            f"rule {self.rule!r}: {describe_permissions(self.old)} -> "
            f"{describe_permissions(self.new)}"
        )


@dataclass(frozen=True, slots=True)
class VocabularyChange:
    """A dimension, dimension value, behavior or outcome added or removed."""

    kind: str
    """``dimension``, ``value``, ``exclusion``, ``behavior`` or ``outcome``."""
    name: str
    """The item; a value or outcome as ``owner=item``."""
    change: str
    """``added`` or ``removed``."""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "change": self.change}

    def describe(self) -> str:
        return f"{self.kind} {self.name} {self.change}"


@dataclass(frozen=True, slots=True)
class Review:
    """Everything that changed between two specs."""

    changes: tuple[Change, ...]
    rules: tuple[RuleChange, ...] = ()
    vocabulary: tuple[VocabularyChange, ...] = ()
    unrecorded: tuple[str, ...] = field(default=())
    """Which side's spec records no permissions (written by an older policykit)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "rules": [r.to_json() for r in self.rules],
            "vocabulary": [v.to_json() for v in self.vocabulary],
            "permissions_unrecorded": list(self.unrecorded),
        }

    def fails(self, fail_above: float | None = None) -> bool:
        """Whether the review should fail a check: any rule or vocabulary change, and
        any change of intended behavior (larger than ``fail_above``, when given)."""
        floor = CHANGE_TOLERANCE if fail_above is None else fail_above
        return bool(self.rules or self.vocabulary) or any(c.distance > floor for c in self.changes)


def read_spec_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed JSON of the spec at ``path``, whole (a review reads every cell's
    provenance), after the spec reader validated it; SpecFormatError when it is not a
    spec this version can read."""
    from policykit.spec.artifact import dumps
    from policykit.spec.reader import read_spec

    data: dict[str, Any] = json.loads(dumps(read_spec(path)))
    return data


def _classes(spec: Spec, behavior: str, dim: str) -> list[tuple[str, ...]]:
    partition = spec.partitions[behavior]
    if dim in partition:
        return list(partition[dim])
    return [spec.values[dim]]


def _dims(spec: Spec, behavior: str) -> list[str]:
    return list(spec.partitions[behavior])


def diff_specs(old: Spec, new: Spec) -> list[Change]:
    """Every refined cell whose intended distribution moved, largest change first
    (without the rules that caused it: :func:`review` names those)."""
    return _intended_changes(old, new, None, None)


def review(old: Mapping[str, Any], new: Mapping[str, Any]) -> Review:
    """Everything that changed from spec ``old`` to spec ``new`` (their parsed JSON)."""
    old_spec, new_spec = Spec(dict(old)), Spec(dict(new))
    changes = _intended_changes(old_spec, new_spec, old, new)
    unrecorded = tuple(
        side
        for side, data in (("old", old), ("new", new))
        if any(r.get("permissions") is None for r in data["rules"])
    )
    return Review(tuple(changes), _rule_changes(old, new), _vocabulary(old, new), unrecorded)


def _intended_changes(
    old: Spec, new: Spec, old_data: Mapping[str, Any] | None, new_data: Mapping[str, Any] | None
) -> list[Change]:
    changes: list[Change] = []
    old_b, new_b = set(old.behaviors), set(new.behaviors)
    causes = _Causes(old_data, new_data) if old_data is not None and new_data is not None else None
    for behavior in sorted(old_b - new_b):
        changes.append(Change(behavior, (), dict(old.intended({}, behavior)), None, 1.0))
    for behavior in sorted(new_b - old_b):
        changes.append(Change(behavior, (), None, dict(new.intended({}, behavior)), 1.0))
    for behavior in sorted(old_b & new_b):
        dims = sorted(set(_dims(old, behavior)) | set(_dims(new, behavior)))
        # only dimensions both specs know can be refined; others stay at their default
        dims = [d for d in dims if d in old.dimensions and d in new.dimensions]
        per_dim = []
        for d in dims:
            refined = []
            for a in _classes(old, behavior, d):
                for b in _classes(new, behavior, d):
                    common = tuple(v for v in a if v in b)
                    if common:
                        refined.append(common)
            per_dim.append(refined)
        for combo in itertools.product(*per_dim):
            context = {d: values[0] for d, values in zip(dims, combo, strict=True)}
            # a context one spec's shaped space excludes has nothing intended there
            p = None if old.is_excluded(context) else old.intended(context, behavior)
            q = None if new.is_excluded(context) else new.intended(context, behavior)
            if p is None or q is None:
                if p is not q:
                    when = tuple(zip(dims, combo, strict=True))
                    changes.append(
                        Change(
                            behavior,
                            when,
                            None if p is None else dict(p),
                            None if q is None else dict(q),
                            1.0,
                        )
                    )
                continue
            outcomes = sorted(set(p) | set(q))
            distance = tv([p.get(o, 0.0) for o in outcomes], [q.get(o, 0.0) for o in outcomes])
            if distance > CHANGE_TOLERANCE:
                rules = causes.of(behavior, context) if causes is not None else ()
                changes.append(
                    Change(
                        behavior,
                        tuple(zip(dims, combo, strict=True)),
                        dict(p),
                        dict(q),
                        distance,
                        rules,
                    )
                )
    return sorted(changes, key=lambda c: (-c.distance, c.behavior, c.when))


class _Causes:
    """Finds the rules behind a change of one behavior in one context."""

    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old_behaviors = {b["id"]: b for b in old["behaviors"]}
        self.new_behaviors = {b["id"]: b for b in new["behaviors"]}
        self.old_rules = {r["id"]: r for r in old["rules"]}
        self.new_rules = {r["id"]: r for r in new["rules"]}
        self.old_defaults = {d["id"]: d["default"] for d in old["dimensions"]}
        self.new_defaults = {d["id"]: d["default"] for d in new["dimensions"]}

    def of(self, behavior: str, context: Mapping[str, str]) -> tuple[str, ...]:
        a = _cell(self.old_behaviors[behavior], context, self.old_defaults)
        b = _cell(self.new_behaviors[behavior], context, self.new_defaults)
        found = set(a["applied"]) ^ set(b["applied"])
        found |= set(a["winners"]) ^ set(b["winners"])
        found |= set(a["dropped"]) ^ set(b["dropped"])
        found |= {o["rule"] for o in a["overridden"]} ^ {o["rule"] for o in b["overridden"]}
        moved = {
            s
            for s in set(a["stakeholders"]) | set(b["stakeholders"])
            if a["stakeholders"].get(s, {}).get("target")
            != b["stakeholders"].get(s, {}).get("target")
        }
        bounds_moved = a["bounds"] != b["bounds"]
        for rule in set(a["applied"]) & set(b["applied"]):
            old, new = self.old_rules.get(rule), self.new_rules.get(rule)
            soft = new is not None and new["directive"] in ("target", "prefer")
            if (
                old is None
                or new is None
                or old != new
                or (soft and new["stakeholder"] in moved)
                or (not soft and bounds_moved and rule in b["winners"])
            ):
                found.add(rule)
        return tuple(sorted(found))


def _cell(behavior: Mapping[str, Any], context: Mapping[str, str], defaults: Any) -> Any:
    """The cell of ``behavior`` holding ``context`` (dimensions it leaves out: their
    defaults)."""
    offset = 0
    for name in behavior["dimensions"]:
        classes = behavior["classes"][name]
        value = context.get(name, defaults[name])
        c = next(i for i, values in enumerate(classes) if value in values)
        offset = offset * len(classes) + c
    return behavior["cells"][offset]


def _rule_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[RuleChange, ...]:
    old_rules = {r["id"]: r for r in old["rules"]}
    new_rules = {r["id"]: r for r in new["rules"]}
    found = [
        RuleChange(rule, "removed", old_rules[rule].get("permissions"), None)
        for rule in sorted(old_rules.keys() - new_rules.keys())
    ]
    found += [
        RuleChange(rule, "added", None, new_rules[rule].get("permissions"))
        for rule in sorted(new_rules.keys() - old_rules.keys())
    ]
    for rule in sorted(old_rules.keys() & new_rules.keys()):
        a, b = old_rules[rule].get("permissions"), new_rules[rule].get("permissions")
        if a is not None and b is not None and a != b:
            found.append(RuleChange(rule, "permissions", a, b))
    return tuple(found)


def _vocabulary(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[VocabularyChange, ...]:
    found: list[VocabularyChange] = []

    def compare(kind: str, a: Mapping[str, Any], b: Mapping[str, Any], prefix: str = "") -> None:
        for name in sorted(a.keys() - b.keys()):
            found.append(VocabularyChange(kind, prefix + name, "removed"))
        for name in sorted(b.keys() - a.keys()):
            found.append(VocabularyChange(kind, prefix + name, "added"))

    old_dims = {d["id"]: d for d in old["dimensions"]}
    new_dims = {d["id"]: d for d in new["dimensions"]}
    compare("dimension", old_dims, new_dims)
    for dim in sorted(old_dims.keys() & new_dims.keys()):
        a = dict.fromkeys(old_dims[dim]["values"])
        b = dict.fromkeys(new_dims[dim]["values"])
        compare("value", a, b, f"{dim}=")
    compare("exclusion", _exclusions(old), _exclusions(new))
    old_b = {b["id"]: b for b in old["behaviors"]}
    new_b = {b["id"]: b for b in new["behaviors"]}
    compare("behavior", old_b, new_b)
    for behavior in sorted(old_b.keys() & new_b.keys()):
        compare("outcome", old_b[behavior]["outcomes"], new_b[behavior]["outcomes"], f"{behavior}=")
    return tuple(found)


def _exclusions(spec: Mapping[str, Any]) -> dict[str, None]:
    """A spec's excluded combinations, each named ``dim=a|b, dim=c``."""
    shaped = spec.get("context") or {}
    return {
        ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(e.items())): None
        for e in shaped.get("exclude", ())
    }


def describe_permissions(p: Mapping[str, Any] | None) -> str:
    if p is None:
        return "permissions not recorded"
    parts = ["locked" if p["locked"] else "not locked"]
    if p["adjustable_by"]:
        parts.append("adjustable_by: [" + ", ".join(p["adjustable_by"]) + "]")
    if p["within"]:
        parts.append(
            "within: "
            + ", ".join(f"{o} in [{b['min']:g}, {b['max']:g}]" for o, b in p["within"].items())
        )
    for g in p["grants"]:
        where = ", ".join(f"{k}={'|'.join(v)}" for k, v in g["when"].items())
        parts.append("grants to " + ", ".join(g["to"]) + (f" where {where}" if where else ""))
    return "; ".join(parts)
