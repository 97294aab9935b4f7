"""Synthetic policy projects for benchmarks.

    python bench/generate.py OUT_DIR --rules 10000 [--behaviors 200] [--dimensions 4]
        [--values 6] [--conflict-rate 0.02] [--hot 5] [--hot-share 0.3] [--seed 0]

The project file raises the caps (``limits:``) to what a project of this shape can
reach. Rules are spread over the four stakeholders (one policy file per stakeholder and
per 5,000 rules, so no file nears the loader's size cap). A few "hot" behaviors carry a
large share of the rules, as real catalogs do (everyone has an opinion about profanity).
Scopes narrow 1–3 dimensions to 1–3 values. Most rules agree with their behavior's
consensus; a fraction ``--conflict-rate`` flips to a contradicting directive, so the
number of findings is controlled independently of the number of rules.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

STAKEHOLDERS = ("society", "developer", "deployer", "user")
OUTCOMES = ("refuse", "partial", "comply")
PER_FILE = 5000


def _scope(rng: random.Random, dims: list[str], values: int) -> dict[str, list[str]]:
    when: dict[str, list[str]] = {}
    for dim in rng.sample(dims, min(len(dims), rng.choice((1, 2, 2, 3)))):
        when[dim] = sorted(rng.sample([f"v{i}" for i in range(values)], rng.randint(1, 3)))
    return when


def _directive(rng: random.Random, stakeholder: str, conflict: bool) -> dict[str, object]:
    """A rule that agrees with the behavior's consensus, or (``conflict``) one that
    contradicts it: a hard `require: comply` for the top ranks, a far-off target for
    the others."""
    high = stakeholder in ("society", "developer")
    if high:
        if conflict:
            return {"require": "comply"}
        return rng.choice(
            (
                {"forbid": "comply"},
                {"bounds": {"comply": {"max": 0.2}}},
                {"bounds": {"comply": {"max": 0.1}, "refuse": {"min": 0.2}}},
            )
        )
    if conflict:
        return {"target": {"refuse": 0.1, "partial": 0.1, "comply": 0.8}}
    return rng.choice(
        (
            {"target": {"refuse": 0.5, "partial": 0.5}, "weight": 0.5},
            {"target": {"refuse": 0.45, "partial": 0.5, "comply": 0.05}},
            {"target": {"refuse": 0.4, "partial": 0.55, "comply": 0.05}, "weight": 0.8},
        )
    )


def generate(
    out: Path,
    rules: int,
    behaviors: int = 200,
    dimensions: int = 4,
    values: int = 6,
    conflict_rate: float = 0.02,
    hot: int = 5,
    hot_share: float = 0.3,
    seed: int = 0,
) -> Path:
    """Write a project with ``rules`` rules into ``out``; returns the project file."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    dims = [f"d{i}" for i in range(dimensions)]
    beh_ids = [f"b{i}" for i in range(behaviors)]
    hot_ids = beh_ids[:hot]
    catalog = {
        "apiVersion": "policykit/v1",
        "kind": "Catalog",
        "metadata": {"name": "synthetic"},
        "dimensions": [
            {"id": d, "values": [f"v{i}" for i in range(values)], "default": "v0"} for d in dims
        ],
        "behaviors": [
            {
                "id": b,
                "description": f"synthetic behavior {b}",
                "property": ("helpful", "honest", "harmless")[i % 3],
                "outcomes": {
                    o: {"description": f"{o} response", "exemplars": [f"I {o}."]} for o in OUTCOMES
                },
                "default": {"refuse": 0.5, "partial": 0.5},
                "probes": [f"probe for {b}"],
            }
            for i, b in enumerate(beh_ids)
        ],
    }
    (out / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    per_stakeholder: dict[str, list[dict[str, object]]] = {s: [] for s in STAKEHOLDERS}
    contrary: dict[str, list[dict[str, object]]] = {s: [] for s in STAKEHOLDERS}
    for i in range(rules):
        stakeholder = STAKEHOLDERS[i % len(STAKEHOLDERS)]
        behavior = rng.choice(hot_ids) if rng.random() < hot_share else rng.choice(beh_ids)
        rule: dict[str, object] = {"id": f"r{i}", "behavior": behavior}
        when = _scope(rng, dims, values)
        if when:
            rule["when"] = when
        # Contrary rules come from the top ranks (hard) and from users (soft), and are
        # written last, as amendments are: each is then reported once, on itself.
        conflict = stakeholder != "deployer" and rng.random() < conflict_rate
        rule.update(_directive(rng, stakeholder, conflict))
        (contrary if conflict else per_stakeholder)[stakeholder].append(rule)
    entries = []
    files = [(f"{s}", per_stakeholder[s], s) for s in STAKEHOLDERS]
    files += [(f"{s}-amendments", contrary[s], s) for s in STAKEHOLDERS if contrary[s]]
    for stem, items, stakeholder in files:
        for part in range(0, max(len(items), 1), PER_FILE):
            name = f"{stem}-{part // PER_FILE}.yaml"
            policy = {
                "apiVersion": "policykit/v1",
                "kind": "Policy",
                "metadata": {"name": name.removesuffix(".yaml")},
                "rules": items[part : part + PER_FILE],
            }
            (out / name).write_text(yaml.safe_dump(policy, sort_keys=False, width=200))
            entries.append({"path": name, "stakeholder": stakeholder})
    project = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "synthetic"},
        "deployment": {"description": "a synthetic benchmark project"},
        "catalogs": ["catalog.yaml"],
        "policies": entries,
    }
    # A benchmark project is large on purpose: its project file raises the caps that a
    # project of this shape can reach (the defaults are sized for untrusted input).
    per_behavior = values**dimensions
    limits = {
        "max_cells": behaviors * per_behavior,
        "max_cells_per_behavior": per_behavior,
        "max_candidate_pairs": 100_000_000,
    }
    if behaviors * per_behavior > 10_000 or rules > 1000:
        project["limits"] = {k: max(v, 10_000) for k, v in limits.items()}
    path = out / "policykit.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False))
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--rules", type=int, default=10_000)
    p.add_argument("--behaviors", type=int, default=200)
    p.add_argument("--dimensions", type=int, default=4)
    p.add_argument("--values", type=int, default=6)
    p.add_argument("--conflict-rate", type=float, default=0.02)
    p.add_argument("--hot", type=int, default=5)
    p.add_argument("--hot-share", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    print(
        generate(
            a.out,
            a.rules,
            a.behaviors,
            a.dimensions,
            a.values,
            a.conflict_rate,
            a.hot,
            a.hot_share,
            a.seed,
        )
    )


if __name__ == "__main__":
    main()
