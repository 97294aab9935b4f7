"""Random small projects with named principals, written as real YAML files.

A project here is plain data (:class:`Proj`); :func:`write` turns it into files, in
any of the orders the order-independence properties shuffle: rules within a file,
policy files in the project, grants, and outcomes in the catalog.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

DIMS: dict[str, list[str]] = {"aud": ["a0", "a1", "a2"], "dom": ["d0", "d1"]}
BEHAVIORS: dict[str, list[str]] = {
    "b0": ["refuse", "partial", "comply"],
    "b1": ["no", "yes"],
    "b2": ["w", "x", "y", "z"],
}
DEFAULTS: dict[str, dict[str, float]] = {
    "b0": {"refuse": 0.2, "partial": 0.5, "comply": 0.3},
    "b1": {"no": 0.4, "yes": 0.6},
    "b2": {"w": 0.1, "x": 0.2, "y": 0.3, "z": 0.4},
}
KIND_TIER = {"society": 3, "developer": 3, "deployer": 2, "user": 1}
POOL: list[tuple[str, str]] = [
    ("developer", "developer"),  # a built-in name: its kind is its name
    ("law", "society"),
    ("district", "deployer"),
    ("school", "deployer"),
    ("parent", "user"),
    ("student", "user"),
]
BUILTIN = {"developer", "deployer", "user", "society"}
BUILTIN_POOL: list[tuple[str, str]] = [(k, k) for k in ("developer", "society", "deployer", "user")]


def first(b: str) -> str:
    return BEHAVIORS[b][0]


def last(b: str) -> str:
    return BEHAVIORS[b][-1]


def withins(b: str) -> list[dict[str, dict[str, float]]]:
    """Nested `within` bounds, widest first: each is inside the ones before it."""
    return [{last(b): {"max": m}} for m in (0.8, 0.5, 0.3)]


def bound_choices(b: str) -> list[dict[str, dict[str, float]]]:
    outs = BEHAVIORS[b]
    return [
        {first(b): {"min": 0.7}},  # on b1 implies yes <= 0.3
        {first(b): {"min": 0.5}},
        {last(b): {"max": 0.3}},
        {last(b): {"max": 0.2}},
        {last(b): {"min": 0.6}},
        {outs[1]: {"min": 0.1, "max": 0.4}},
        {first(b): {"max": 0.4}, last(b): {"max": 0.8}},
    ]


TARGETS = [(0.9, 0.1), (0.1, 0.9), (0.5, 0.5), (0.2, 0.3, 0.5), (0.25, 0.25, 0.25, 0.25)]


@dataclass
class Principal:
    name: str
    kind: str
    rank: int
    weight: float


@dataclass
class Proj:
    principals: dict[str, Principal]
    behaviors: list[str]
    rules: dict[str, list[dict[str, Any]]]
    """Per stakeholder name, its policy's rules in file order."""
    grants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    strategy: str = "weighted_linear"
    on_violation: str = "drop"

    def all_rules(self) -> list[tuple[str, dict[str, Any]]]:
        return [(s, r) for s, rules in self.rules.items() for r in rules]

    def lower(self, name: str) -> list[Principal]:
        rank = self.principals[name].rank
        return [p for p in self.principals.values() if p.rank < rank]

    def members(self, who: str) -> set[str]:
        """The stakeholders a name or kind in `adjustable_by`/`to` means."""
        out = {p.name for p in self.principals.values() if p.kind == who}
        if who in self.principals:
            out.add(who)
        return out

    def without(self, rule_id: str) -> Proj:
        rules = {s: [r for r in rs if r["id"] != rule_id] for s, rs in self.rules.items()}
        return Proj(
            self.principals, self.behaviors, rules, self.grants, self.strategy, self.on_violation
        )


def _names_for(
    draw: st.DrawFn, proj_lower: list[Principal], all_p: dict[str, Principal]
) -> list[str]:
    """Names or kinds that mean only stakeholders in ``proj_lower`` (never the author)."""
    lower_names = {p.name for p in proj_lower}
    options = sorted(lower_names)
    for kind in sorted({p.kind for p in proj_lower}):
        if kind not in all_p or kind in lower_names:
            whole = {p.name for p in all_p.values() if p.kind == kind} | (
                {kind} if kind in all_p else set()
            )
            if whole <= lower_names:
                options.append(kind)
    options = sorted(set(options))
    return draw(st.lists(st.sampled_from(options), min_size=1, max_size=2, unique=True))


@st.composite
def scope(draw: st.DrawFn) -> dict[str, list[str]]:
    when: dict[str, list[str]] = {}
    for dim, values in DIMS.items():
        if draw(st.integers(0, 2)) == 0:
            when[dim] = draw(
                st.lists(st.sampled_from(values), min_size=1, max_size=len(values) - 1, unique=True)
            )
    return when


@st.composite
def rule(
    draw: st.DrawFn, rid: str, b: str, lower: list[Principal], principals: dict[str, Principal]
) -> dict[str, Any]:
    outs = BEHAVIORS[b]
    r: dict[str, Any] = {"id": rid, "behavior": b}
    when = draw(scope())
    if when:
        r["when"] = when
    kind = draw(st.sampled_from(["require", "forbid", "bounds", "bounds", "target", "prefer"]))
    if kind == "require":
        r["require"] = draw(st.sampled_from(outs))
    elif kind == "forbid":
        r["forbid"] = draw(st.sampled_from(outs))
    elif kind == "bounds":
        r["bounds"] = draw(st.sampled_from(bound_choices(b)))
    elif kind == "target":
        probs = draw(st.sampled_from([t for t in TARGETS if len(t) <= len(outs)]))
        probs = tuple(probs) + (0.0,) * (len(outs) - len(probs))
        r["target"] = {o: p for o, p in zip(outs, probs, strict=True) if p}
    else:
        r["prefer"] = draw(st.sampled_from(outs))
    hard = kind in ("require", "forbid", "bounds")
    if not hard and draw(st.booleans()):
        r["weight"] = draw(st.sampled_from([0.4, 1.0]))
    perm = draw(st.integers(0, 3))
    if perm == 1:
        r["locked"] = True
    elif perm >= 2 and hard and lower:
        r["adjustable_by"] = _names_for(draw, lower, principals)
        if draw(st.booleans()):
            r["within"] = draw(st.sampled_from(withins(b)))
    return r


@st.composite
def projects(
    draw: st.DrawFn, strategy: str = "weighted_linear", max_rules: int = 3, builtin: bool = False
) -> Proj:
    """With ``builtin``, only the four built-in names (each its own kind)."""
    pool = BUILTIN_POOL if builtin else POOL
    chosen = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=5, unique=True))
    rnd = draw(st.randoms(use_true_random=False))
    rnd.shuffle(chosen)
    chosen.sort(key=lambda p: -KIND_TIER[p[1]])
    n = len(chosen)
    principals = {
        name: Principal(name, kind, 10 * (n - i), draw(st.sampled_from([0.5, 0.8, 1.0])))
        for i, (name, kind) in enumerate(chosen)
    }
    behaviors = sorted(
        draw(st.lists(st.sampled_from(sorted(BEHAVIORS)), min_size=2, max_size=3, unique=True))
    )
    proj = Proj(principals, behaviors, {})
    counter = 0
    for name in principals:
        rules = []
        for _ in range(draw(st.integers(0, max_rules))):
            counter += 1
            b = draw(st.sampled_from(behaviors))
            rules.append(draw(rule(f"{name}-r{counter}", b, proj.lower(name), principals)))
        proj.rules[name] = rules
    # grants, highest first, so a chain can pass on what was granted above
    for name in sorted(principals, key=lambda s: -principals[s].rank):
        lower = proj.lower(name)
        if not lower:
            continue
        grants = []
        for b in behaviors:
            held = _held_scopes(proj, name, b)
            if not held or not _grantable(proj, name, b) or draw(st.integers(0, 3)) == 0:
                continue
            g: dict[str, Any] = {"behavior": b, "to": _names_for(draw, lower, principals)}
            when = narrower(draw, draw(st.sampled_from(held)))
            if when:
                g["when"] = when
            # the tightest within: inside whatever the grantor holds
            g["within"] = withins(b)[-1]
            grants.append(g)
        if grants:
            proj.grants[name] = grants
    proj.strategy = strategy
    return proj


def _held_scopes(proj: Proj, name: str, b: str) -> list[dict[str, list[str]]]:
    """The scopes of the rules on ``b`` that ``name`` may adjust, and of the grants to it
    on ``b``."""
    out = []
    for _, r in proj.all_rules():
        if r["behavior"] == b and any(name in proj.members(w) for w in r.get("adjustable_by", ())):
            out.append(r.get("when", {}))
    for g_rules in proj.grants.values():
        for g in g_rules:
            if g["behavior"] == b and any(name in proj.members(w) for w in g["to"]):
                out.append(g.get("when", {}))
    return out


def _grantable(proj: Proj, name: str, b: str) -> bool:
    """Whether ``name`` holds the right on every hard rule on ``b`` above it, and has no
    hard rule of its own there: whether a grant over more than it holds is an error or
    applies where it holds is open, so the generator does not make one."""
    granted = any(
        g["behavior"] == b and any(name in proj.members(w) for w in g["to"])
        for grants in proj.grants.values()
        for g in grants
    )
    rank = proj.principals[name].rank
    for s, r in proj.all_rules():
        if r["behavior"] != b or not any(k in r for k in ("require", "forbid", "bounds")):
            continue
        if s == name:
            return False
        named = any(name in proj.members(w) for w in r.get("adjustable_by", ()))
        if proj.principals[s].rank > rank and not named and not granted:
            return False
    return True


def narrower(draw: st.DrawFn, when: dict[str, list[str]]) -> dict[str, list[str]]:
    """``when``, or ``when`` with one dimension cut down to one of its values."""
    if not draw(st.booleans()):
        return dict(when)
    dim = draw(st.sampled_from(sorted(DIMS)))
    values = when.get(dim, DIMS[dim])
    return {**when, dim: [draw(st.sampled_from(values))]}


@dataclass(frozen=True)
class Order:
    """How to lay the files out; the default is the authored order."""

    seed: int = 0
    rules: bool = False
    policies: bool = False
    grants: bool = False
    outcomes: bool = False


def documents(proj: Proj, order: Order = Order()) -> dict[str, Any]:
    rnd = random.Random(order.seed)

    def shuffled(xs: list[Any], flag: bool) -> list[Any]:
        xs = list(xs)
        if flag:
            rnd.shuffle(xs)
        return xs

    behaviors = []
    for b in proj.behaviors:
        outs = shuffled(BEHAVIORS[b], order.outcomes)
        behaviors.append(
            {
                "id": b,
                "description": f"behavior {b}",
                "property": "harmless",
                "outcomes": {
                    o: {"description": f"outcome {o}", "exemplars": [f"ex {o}"]} for o in outs
                },
                "default": {o: DEFAULTS[b][o] for o in outs},
                "probes": [f"probe {b} for {{aud}}"],
            }
        )
    catalog = {
        "apiVersion": "policykit/v1",
        "kind": "Catalog",
        "metadata": {"name": "semcat"},
        "dimensions": [{"id": d, "values": v, "default": v[0]} for d, v in DIMS.items()],
        "behaviors": behaviors,
    }
    docs: dict[str, Any] = {"catalog.yaml": catalog}
    for name in proj.principals:
        policy: dict[str, Any] = {
            "apiVersion": "policykit/v1",
            "kind": "Policy",
            "metadata": {"name": f"{name}-policy"},
            "rules": shuffled(proj.rules.get(name, []), order.rules),
        }
        if proj.grants.get(name):
            policy["grants"] = shuffled(proj.grants[name], order.grants)
        docs[f"{name}.yaml"] = policy
    stakeholders: dict[str, Any] = {}
    for p in proj.principals.values():
        entry: dict[str, Any] = {"rank": p.rank, "weight": p.weight}
        if p.name not in BUILTIN:
            entry = {"kind": p.kind, **entry}
        stakeholders[p.name] = entry
    refs = [
        {"path": f"{name}.yaml", "stakeholder": name, "on_violation": proj.on_violation}
        for name in proj.principals
    ]
    docs["policykit.yaml"] = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "semantics"},
        "deployment": {"description": "a generated deployment"},
        "catalogs": ["catalog.yaml"],
        "policies": shuffled(refs, order.policies),
        "stakeholders": stakeholders,
        "strategy": proj.strategy,
    }
    return docs


def write(proj: Proj, folder: Path, order: Order = Order()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in documents(proj, order).items():
        (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return folder / "policykit.yaml"
