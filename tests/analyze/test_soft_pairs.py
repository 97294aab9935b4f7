"""Pairs of soft rules are compared on arrays (``conflicts.soft_pair_codes``): the
findings are exactly those of the all-pairs reference, over many distinct targets,
locked and not, of stakeholders at equal and different ranks."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from policykit.analyze import find_pairs
from policykit.analyze.context import Context
from tests.analyze.reference import naive_pairs
from tests.analyze.strategies import BEHAVIORS, DIMS, STAKEHOLDERS, catalog_doc, graph_of


def _target(rng: random.Random, outcomes: list[str]) -> dict[str, float]:
    cuts = sorted(round(rng.random(), 2) for _ in outcomes[1:])
    edges = [0.0, *cuts, 1.0]
    values = [round(b - a, 2) for a, b in itertools.pairwise(edges)]
    values[-1] = round(1.0 - sum(values[:-1]), 2)
    return dict(zip(outcomes, values, strict=True))


def _project(seed: int, rules: int) -> dict[str, Any]:
    rng = random.Random(seed)
    ranks = {"society": 3, "developer": 3, "deployer": 2, "user": 1}
    files: dict[str, Any] = {}
    for s in STAKEHOLDERS:
        out = []
        for i in range(rules):
            behavior = rng.choice(sorted(BEHAVIORS))
            when = {d: rng.sample(v, 1) for d, v in DIMS.items() if rng.random() < 0.3}
            rule: dict[str, Any] = {
                "id": f"{s}-{i}",
                "behavior": behavior,
                "target": _target(rng, BEHAVIORS[behavior]),
                **({"when": when} if when else {}),
            }
            if rng.random() < 0.2:
                rule["locked"] = True
            if rng.random() < 0.1:  # a hard rule among them, for the mixed pairs
                del rule["target"]
                rule["forbid"] = BEHAVIORS[behavior][-1]
            out.append(rule)
        files[f"{s}.yaml"] = {
            "apiVersion": "policykit/v1",
            "kind": "Policy",
            "metadata": {"name": f"{s}-policy"},
            "rules": out,
        }
    files["catalog.yaml"] = catalog_doc()
    files["policykit.yaml"] = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "soft"},
        "deployment": {"description": "soft"},
        "catalogs": ["catalog.yaml"],
        "policies": [
            {"path": f"{s}.yaml", "stakeholder": s, "on_violation": "drop"} for s in STAKEHOLDERS
        ],
        "stakeholders": {s: {"rank": r} for s, r in ranks.items()},
        "analysis": {"tension_threshold": rng.choice([0.02, 0.1, 0.3])},
    }
    return files


@pytest.mark.parametrize("seed", range(6))
def test_soft_pairs_on_arrays_match_the_all_pairs_reference(seed: int, tmp_path: Path) -> None:
    graph = graph_of(_project(seed, rules=25), tmp_path)
    fast = sorted(f.key() for f in find_pairs(graph, Context(graph)))
    slow = sorted(f.key() for f in naive_pairs(graph))
    assert {k[0] for k in slow} >= {"PK410", "PK404"}, "the project exercises both codes"
    assert fast == slow
