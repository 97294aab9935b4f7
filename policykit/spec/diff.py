"""What changed in intended behavior between two specs.

Two specs may divide a behavior's context space differently, so the comparison runs on
the common refinement: along each dimension either spec divides, the non-empty
intersections of their value classes. In each refined cell both specs are queried and
the change is measured by total variation distance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from policykit.resolve.distributions import tv
from policykit.spec.query import Spec

CHANGE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Change:
    behavior: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    old: dict[str, float] | None
    new: dict[str, float] | None
    distance: float

    def to_json(self) -> dict[str, Any]:
        return {
            "behavior": self.behavior,
            "when": {k: list(v) for k, v in self.when},
            "old": self.old,
            "new": self.new,
            "total_variation": round(self.distance, 12),
        }


def _classes(spec: Spec, behavior: str, dim: str) -> list[tuple[str, ...]]:
    partition = spec.partitions[behavior]
    if dim in partition:
        return list(partition[dim])
    return [spec.values[dim]]


def _dims(spec: Spec, behavior: str) -> list[str]:
    return list(spec.partitions[behavior])


def diff_specs(old: Spec, new: Spec) -> list[Change]:
    """Every refined cell whose intended distribution moved, largest change first."""
    changes: list[Change] = []
    old_b, new_b = set(old.behaviors), set(new.behaviors)
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
            p = old.intended(context, behavior)
            q = new.intended(context, behavior)
            outcomes = sorted(set(p) | set(q))
            distance = tv([p.get(o, 0.0) for o in outcomes], [q.get(o, 0.0) for o in outcomes])
            if distance > CHANGE_TOLERANCE:
                changes.append(
                    Change(
                        behavior, tuple(zip(dims, combo, strict=True)), dict(p), dict(q), distance
                    )
                )
    return sorted(changes, key=lambda c: (-c.distance, c.behavior, c.when))
