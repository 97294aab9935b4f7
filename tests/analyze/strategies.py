"""Random small projects for property-based tests, written as real YAML files."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml
from hypothesis import assume
from hypothesis import strategies as st

from policykit.graph.objective import ObjectiveGraph
from policykit.pipeline import ValidateOptions, validate_project

STAKEHOLDERS = ["society", "developer", "deployer", "user"]
DIMS = {
    "audience": ["general", "minor", "adult"],
    "domain": ["general", "medical"],
    "surface": ["chat", "voice", "api"],
}
BEHAVIORS = {"b0": ["refuse", "partial", "comply"], "b1": ["yes", "no"]}
TARGETS = [(0.9, 0.1, 0.0), (0.1, 0.9, 0.0), (0.5, 0.5, 0.0), (0.2, 0.3, 0.5), (0.0, 0.0, 1.0)]
BOUNDS = [(0.0, 0.2), (0.1, 0.5), (0.5, 1.0), (0.0, 0.0), (1.0, 1.0), (0.3, 0.3)]


@st.composite
def scopes(draw: st.DrawFn, allow_empty: bool = True) -> dict[str, list[str]]:
    when: dict[str, list[str]] = {}
    for dim, values in DIMS.items():
        if draw(st.integers(0, 2)) == 0:
            picked = draw(st.lists(st.sampled_from(values), max_size=2, unique=True))
            if picked or (allow_empty and draw(st.integers(0, 9)) == 0):  # empty, rarely
                when[dim] = picked
    return when


@st.composite
def bounds(draw: st.DrawFn, outcomes: list[str]) -> dict[str, dict[str, float]]:
    picked = draw(st.lists(st.sampled_from(outcomes), min_size=1, max_size=2, unique=True))
    out = {}
    for o in picked:
        lo, hi = draw(st.sampled_from(BOUNDS))
        out[o] = {"min": lo, "max": hi}
    # Keep every rule satisfiable on its own (the schema stage rejects the others).
    assume(sum(b["min"] for b in out.values()) <= 1)
    assume(len(out) < len(outcomes) or sum(b["max"] for b in out.values()) >= 1)
    return out


@st.composite
def rules(
    draw: st.DrawFn,
    index: int,
    stakeholder: str,
    ranks: dict[str, int],
    compilable: bool = False,
) -> dict[str, Any]:
    behavior = draw(st.sampled_from(sorted(BEHAVIORS)))
    outcomes = BEHAVIORS[behavior]
    rule: dict[str, Any] = {"id": f"{stakeholder}-{index}", "behavior": behavior}
    when = draw(scopes(allow_empty=not compilable))
    if when:
        rule["when"] = when
    kind = draw(st.sampled_from(["require", "forbid", "bounds", "target", "prefer"]))
    if kind == "require":
        rule["require"] = draw(st.sampled_from(outcomes))
    elif kind == "forbid":
        rule["forbid"] = draw(
            st.lists(st.sampled_from(outcomes), min_size=1, max_size=len(outcomes) - 1, unique=True)
        )
    elif kind == "bounds":
        rule["bounds"] = draw(bounds(outcomes))
    elif kind == "target":
        probs = draw(st.sampled_from(TARGETS))[: len(outcomes)]
        total = sum(probs)
        if total == 0:
            probs = (1.0,) + (0.0,) * (len(outcomes) - 1)
            total = 1.0
        target = {o: p / total for o, p in zip(outcomes, probs, strict=False) if p}
        # renormalize exactly: put the rounding remainder on the first outcome
        first = next(iter(target))
        target[first] = 1.0 - sum(v for k, v in target.items() if k != first)
        rule["target"] = target
    else:
        rule["prefer"] = draw(st.sampled_from(outcomes))
    if kind in ("target", "prefer") and draw(st.booleans()):
        rule["weight"] = draw(st.sampled_from([0.3, 0.5, 1.0]))
    hard = kind in ("require", "forbid", "bounds")
    lower = [s for s in STAKEHOLDERS if ranks[s] < ranks[stakeholder]]
    choice = draw(st.integers(0, 3))
    if choice == 0:
        rule["locked"] = True
    elif choice == 1 and hard and lower:
        rule["adjustable_by"] = draw(st.lists(st.sampled_from(lower), min_size=1, unique=True))
        if draw(st.booleans()):
            rule["within"] = draw(bounds(outcomes))
    return rule


@st.composite
def grant_of(draw: st.DrawFn, lower: list[str], compilable: bool) -> dict[str, Any]:
    behavior = draw(st.sampled_from(sorted(BEHAVIORS)))
    to = draw(st.lists(st.sampled_from(lower), min_size=1, unique=True))
    grant: dict[str, Any] = {"behavior": behavior, "to": to}
    when = draw(scopes(allow_empty=not compilable))
    if when:
        grant["when"] = when
    if draw(st.booleans()):
        grant["within"] = draw(bounds(BEHAVIORS[behavior]))
    return grant


@st.composite
def projects(draw: st.DrawFn, compilable: bool = False, grants: bool = False) -> dict[str, Any]:
    """A project as {file name: document}. With ``compilable``, the shapes that are
    errors by design are rarer (distinct ranks, fewer rules, no empty scopes, and no
    grants unless ``grants``), so most projects compile."""
    if compilable:
        ranks = {"society": 4, "developer": 3, "deployer": 2, "user": 1}
    else:
        ranks = {"society": 3, "developer": draw(st.sampled_from([2, 3])), "deployer": 2, "user": 1}
    policies = {}
    for stakeholder in STAKEHOLDERS:
        n = draw(st.integers(0, 4 if compilable else 7))
        policy: dict[str, Any] = {
            "apiVersion": "policykit/v1",
            "kind": "Policy",
            "metadata": {"name": f"{stakeholder}-policy"},
            "rules": [draw(rules(i, stakeholder, ranks, compilable)) for i in range(n)],
        }
        lower = [s for s in STAKEHOLDERS if ranks[s] < ranks[stakeholder]]
        if lower and (grants or not compilable) and draw(st.booleans()):
            # grants to lower stakeholders, several on a behavior at times, narrowed
            # by when at times: chains (society -> deployer -> user) and order matter
            policy["grants"] = [
                draw(grant_of(lower, compilable)) for _ in range(draw(st.integers(1, 2)))
            ]
        policies[f"{stakeholder}.yaml"] = policy
    catalog = catalog_doc()
    project = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "random"},
        "deployment": {"description": "random"},
        "catalogs": ["catalog.yaml"],
        "policies": [
            {
                "path": f"{s}.yaml",
                "stakeholder": s,
                **({"on_violation": "drop"} if s == "user" else {}),
            }
            for s in STAKEHOLDERS
        ],
        "stakeholders": {s: {"rank": r} for s, r in ranks.items()},
        "analysis": {"tension_threshold": draw(st.sampled_from([0.05, 0.2, 0.5]))},
    }
    return {"policykit.yaml": project, "catalog.yaml": catalog, **policies}


def catalog_doc() -> dict[str, Any]:
    """The catalog every generated project uses: DIMS and BEHAVIORS, and one relation."""
    return {
        "apiVersion": "policykit/v1",
        "kind": "Catalog",
        "metadata": {"name": "cat"},
        "dimensions": [{"id": d, "values": v, "default": v[0]} for d, v in DIMS.items()],
        "behaviors": [
            {
                "id": b,
                "description": b,
                "property": "harmless",
                "outcomes": {o: {"description": o, "exemplars": [o]} for o in outcomes},
                "default": {outcomes[0]: 1.0},
                "probes": ["p"],
            }
            for b, outcomes in BEHAVIORS.items()
        ],
        "relations": [
            {
                "type": "conflicts",
                "from": "b0",
                "from_outcome": "comply",
                "to": "b1",
                "to_outcome": "yes",
            }
        ],
    }


def write(files: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in files.items():
        (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return folder / "policykit.yaml"


_COUNTER = itertools.count()


def graph_of(files: dict[str, Any], root: Path) -> ObjectiveGraph:
    """The objective graph of a generated project, written to a new folder under root."""
    path = write(files, root / f"p{next(_COUNTER)}")
    result = validate_project(path, ValidateOptions(analyze=False))
    assert result.workspace is not None, "the generator makes valid projects"
    return ObjectiveGraph(result.workspace)
