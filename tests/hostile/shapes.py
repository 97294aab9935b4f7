"""Adversarial project shapes from issue #14's cost table, as real YAML files.

Each builder writes a complete project (``policykit.yaml``, a catalog, policy files)
under a folder and returns that folder. Every shape passes the YAML and schema checks
of today's policykit: what makes it hostile is the work it asks for, not its form. The
untrusted part always sits in a user file bound with ``on_violation: drop``, as a
user's own preference file is.

    from tests.hostile import shapes
    shapes.cell_split(tmp_path / "p", behaviors=2)

The sizes default to the ones the issue measured; tests and benchmarks pass others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

OUTCOMES = ("refuse", "partial", "comply")


def _dump(data: Any) -> str:
    class NoAlias(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(data, Dumper=NoAlias, sort_keys=False, allow_unicode=True, width=2**20)


def _write(root: Path, name: str, data: Any) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dump(data), encoding="utf-8")


def values(count: int) -> list[str]:
    return [f"v{i}" for i in range(count)]


def dimension(name: str, count: int) -> dict[str, Any]:
    return {"id": name, "values": values(count), "default": "v0"}


def behavior(
    name: str,
    outcomes: Sequence[str] = OUTCOMES,
    probes: Sequence[str] = ("Probe for {d0}.",),
) -> dict[str, Any]:
    share = round(1.0 / len(outcomes), 6)
    default = {o: share for o in outcomes[:-1]}
    default[outcomes[-1]] = round(1.0 - share * (len(outcomes) - 1), 6)
    return {
        "id": name,
        "description": f"synthetic behavior {name}",
        "property": "harmless",
        "outcomes": {o: {"description": f"{o} answer", "exemplars": [f"I {o}."]} for o in outcomes},
        "default": default,
        "probes": list(probes),
    }


def catalog(dimensions: Iterable[dict[str, Any]], behaviors: Iterable[dict[str, Any]]) -> Any:
    return {
        "apiVersion": "policykit/v1",
        "kind": "Catalog",
        "metadata": {"name": "hostile"},
        "dimensions": list(dimensions),
        "behaviors": list(behaviors),
    }


def policy(
    name: str,
    stakeholder: str,
    rules: Iterable[dict[str, Any]],
    grants: Iterable[dict[str, Any]] = (),
) -> Any:
    data: dict[str, Any] = {
        "apiVersion": "policykit/v1",
        "kind": "Policy",
        "metadata": {"name": name, "stakeholder": stakeholder},
        "rules": list(rules),
    }
    grants = list(grants)
    if grants:
        data["grants"] = grants
    return data


def write_project(
    root: Path,
    catalog_data: Any,
    policies: Mapping[str, tuple[str, Any]],
    *,
    strategy: str = "weighted_linear",
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a project with one catalog and ``policies`` (file name -> (stakeholder,
    data)); the user's files are bound with ``on_violation: drop``. Returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    _write(root, "catalog.yaml", catalog_data)
    refs = []
    for name, (stakeholder, data) in policies.items():
        _write(root, name, data)
        ref = {"path": name, "stakeholder": stakeholder}
        if stakeholder == "user":
            ref["on_violation"] = "drop"
        refs.append(ref)
    project: dict[str, Any] = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "hostile"},
        "deployment": {"description": "A deployment that reads untrusted preference files."},
        "catalogs": ["catalog.yaml"],
        "policies": refs,
        "strategy": strategy,
    }
    project.update(extra or {})
    _write(root, "policykit.yaml", project)
    return root


def _target(i: int, n: int) -> dict[str, float]:
    """A distinct soft target for each ``i < n`` (three outcomes, summing to 1)."""
    a = round(0.05 + 0.9 * i / max(n, 1), 4)
    b = round((1.0 - a) / 2, 4)
    return {"refuse": a, "partial": b, "comply": round(1.0 - a - b, 4)}


def cell_split(root: Path, behaviors: int = 1, dims: int = 5, per_dim: int = 9) -> Path:
    """The cell cap is per behavior, with no total: ``dims * per_dim`` user rules
    (45 by default), each narrowing one dimension to one value, divide each behavior
    into ``(per_dim + 1) ** dims`` cells (100,000), from a file of a few KB."""
    names = [f"d{i}" for i in range(dims)]
    cat = catalog(
        [dimension(d, per_dim + 1) for d in names], [behavior(f"b{i}") for i in range(behaviors)]
    )
    rules = []
    for b in range(behaviors):
        for d in names:
            for v in range(1, per_dim + 1):
                rules.append(
                    {
                        "id": f"u{b}-{d}-{v}",
                        "behavior": f"b{b}",
                        "when": {d: [f"v{v}"]},
                        "target": _target(v, per_dim + 1),
                    }
                )
    return write_project(root, cat, {"user.yaml": ("user", policy("prefs", "user", rules))})


def soft_pairs(root: Path, rules: int = 2000) -> Path:
    """Soft-target pairs compared all-pairs: ``rules`` distinct soft targets on one
    behavior, everywhere, half from the deployer and half from the user, so every
    deployer-user pair is a candidate for a tension finding (PK410)."""
    cat = catalog([dimension("d0", 4)], [behavior("b0")])
    half = rules // 2
    dep = [{"id": f"d{i}", "behavior": "b0", "target": _target(i, half)} for i in range(half)]
    usr = [
        {"id": f"u{i}", "behavior": "b0", "target": _target(half - 1 - i, rules - half)}
        for i in range(rules - half)
    ]
    return write_project(
        root,
        cat,
        {
            "deployer.yaml": ("deployer", policy("dep", "deployer", dep)),
            "user.yaml": ("user", policy("prefs", "user", usr)),
        },
    )


def shadow_baseline(root: Path, baseline: int = 1000, user_rules: int = 4, width: int = 5) -> Path:
    """PK412 (a rule shadowed by higher hard rules) checked per user rule against a
    large baseline: the developer requires one outcome in ``baseline`` columns of
    ``width - 1`` unit cells each, leaving a sliver of each column open, so that
    deciding whether they cover a rule's scope cuts it into ever more pieces; a few
    user rules (a few hundred bytes) each ask that question for the whole space."""
    cat = catalog([dimension("d0", baseline), dimension("d1", width)], [behavior("b0")])
    hard = [
        {
            "id": f"dev{i}-{j}",
            "behavior": "b0",
            "when": {"d0": [f"v{i}"], "d1": [f"v{j}"]},
            "require": "refuse",
        }
        for i in range(baseline)
        for j in range(width - 1)
    ]
    users = [
        {
            "id": f"u{i}",
            "behavior": "b0",
            "prefer": OUTCOMES[i % 3],
            "weight": round(1 - i / 100, 2),
        }
        for i in range(user_rules)
    ]
    return write_project(
        root,
        cat,
        {
            "developer.yaml": ("developer", policy("baseline", "developer", hard)),
            "user.yaml": ("user", policy("prefs", "user", users)),
        },
    )


def grant_rules(root: Path, rules: int = 1000, grant: bool = True) -> Path:
    """A behavior with a grant is checked pair by pair: the deployer grants the user
    the right to adjust ``b0`` and holds ``rules // 2`` adjustable hard rules on it;
    the user writes the other half. Every scope holds ``v0``, so every rule meets
    every other, each through a scope of its own. ``grant=False`` writes the same
    project without the grant, as the baseline to compare with."""
    half = rules // 2
    cat = catalog([dimension("d0", max(half, rules - half) + 1)], [behavior("b0")])
    dep = [
        {
            "id": f"dep{i}",
            "behavior": "b0",
            "when": {"d0": ["v0", f"v{i + 1}"]},
            "bounds": {"comply": {"max": 0.5}},
            "adjustable_by": ["user"],
            "within": {"comply": {"max": 0.7}},
        }
        for i in range(half)
    ]
    usr = [
        {
            "id": f"usr{i}",
            "behavior": "b0",
            "when": {"d0": ["v0", f"v{i + 1}"]},
            "bounds": {"comply": {"min": 0.6}},
        }
        for i in range(rules - half)
    ]
    grants = [{"behavior": "b0", "to": ["user"], "within": {"comply": {"max": 0.7}}}]
    return write_project(
        root,
        cat,
        {
            "deployer.yaml": ("deployer", policy("dep", "deployer", dep, grants if grant else ())),
            "user.yaml": ("user", policy("prefs", "user", usr)),
        },
    )


def typos(root: Path, typos: int = 1000, behaviors: int = 1000) -> Path:
    """Did-you-mean over every choice for every typo: a catalog of ``behaviors``
    behaviors and a user file of ``typos`` rules, each naming a behavior that is one
    letter off a real one (PK207 with a suggestion)."""
    cat = catalog([dimension("d0", 2)], [behavior(f"behavior_{i:05d}") for i in range(behaviors)])
    rules = [
        {"id": f"u{i}", "behavior": f"behavoir_{i % behaviors:05d}", "prefer": "comply"}
        for i in range(typos)
    ]
    return write_project(root, cat, {"user.yaml": ("user", policy("prefs", "user", rules))})


def out_of_range(root: Path, findings: int = 5000) -> Path:
    """Out-of-range messages: ``findings`` rules whose weight is above 1 (PK205)."""
    cat = catalog([dimension("d0", 2)], [behavior("b0")])
    rules = [
        {"id": f"u{i}", "behavior": "b0", "prefer": "comply", "weight": 2} for i in range(findings)
    ]
    return write_project(root, cat, {"user.yaml": ("user", policy("prefs", "user", rules))})


def unknown_keys(root: Path, keys: int = 20000) -> Path:
    """Unknown-key messages: one rule mapping with ``keys`` unknown fields (PK201)."""
    cat = catalog([dimension("d0", 2)], [behavior("b0")])
    rule: dict[str, Any] = {"id": "u0", "behavior": "b0", "prefer": "comply"}
    rule.update({f"field_{i}": 1 for i in range(keys)})
    return write_project(root, cat, {"user.yaml": ("user", policy("prefs", "user", [rule]))})


def when_list(root: Path, size: int = 2_400_000, width: int = 1000) -> Path:
    """A huge ``when`` list, looked up value by value: one user rule whose scope names
    the ``width`` values of a dimension over and over, about ``size`` bytes in all,
    in flow style on one line (under the loader's 8 MB file cap)."""
    cat = catalog([dimension("d0", width)], [behavior("b0")])
    items: list[str] = []
    total = 0
    i = 0
    while total < size:
        item = f"v{i % width}"
        items.append(item)
        total += len(item) + 2
        i += 1
    scope = ", ".join(items)
    rule = f"  - id: u0\n    behavior: b0\n    prefer: comply\n    when: {{d0: [{scope}]}}\n"
    text = (
        "apiVersion: policykit/v1\nkind: Policy\n"
        "metadata: {name: prefs, stakeholder: user}\nrules:\n" + rule
    )
    write_project(root, cat, {"user.yaml": ("user", policy("prefs", "user", []))})
    (root / "user.yaml").write_text(text, encoding="utf-8")
    return root


def maxmin_outcomes(
    root: Path, outcomes: int = 100, stakeholders: Sequence[str] | None = None
) -> Path:
    """One maxmin cell with ``outcomes`` outcomes: four stakeholders with different,
    uneven soft targets over all of them, resolved by ``strategy: maxmin`` (about
    18 KB)."""
    names = [f"o{i:03d}" for i in range(outcomes)]
    cat = catalog([dimension("d0", 2)], [behavior("b0", names)])
    who = list(stakeholders or ("developer", "society", "deployer", "user"))
    files = {}
    for k, s in enumerate(who):
        raw = [1 + (i * (k + 3)) % 17 for i in range(outcomes)]
        total = sum(raw)
        target = {o: round(r / total, 6) for o, r in zip(names, raw, strict=True)}
        drift = round(1.0 - sum(target.values()), 6)
        target[names[0]] = round(target[names[0]] + drift, 6)
        rule = {"id": f"{s}-t", "behavior": "b0", "target": target}
        files[f"{s}.yaml"] = (s, policy(s, s, [rule]))
    return write_project(root, cat, files, strategy="maxmin")


def case_explosion(root: Path, dims: int = 3, per_dim: int = 9, probes: int = 100) -> Path:
    """Exports with no default cap on cases: ``dims * per_dim`` user rules (27) divide
    one behavior into ``(per_dim + 1) ** dims`` cells (1,000), and each cell gets one
    case per probe (100): 100,000 cases from a project of about 7 KB."""
    names = [f"d{i}" for i in range(dims)]
    probe_texts = [f"Question {i} for {{d0}}?" for i in range(probes)]
    cat = catalog([dimension(d, per_dim + 1) for d in names], [behavior("b0", probes=probe_texts)])
    rules = [
        {
            "id": f"u-{d}-{v}",
            "behavior": "b0",
            "when": {d: [f"v{v}"]},
            "target": _target(v, per_dim + 1),
        }
        for d in names
        for v in range(1, per_dim + 1)
    ]
    return write_project(root, cat, {"user.yaml": ("user", policy("prefs", "user", rules))})


def project_bytes(root: Path) -> int:
    """The size of every file a shape wrote, in bytes."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


SHAPES = {
    "cell_split": cell_split,
    "soft_pairs": soft_pairs,
    "shadow_baseline": shadow_baseline,
    "grant_rules": grant_rules,
    "typos": typos,
    "out_of_range": out_of_range,
    "unknown_keys": unknown_keys,
    "when_list": when_list,
    "maxmin_outcomes": maxmin_outcomes,
    "case_explosion": case_explosion,
}
"""Every builder by name, for scripts that walk them all."""


def main() -> None:
    """``python -m tests.hostile.shapes NAME OUT_DIR``: write one shape, print its size."""
    import sys

    name, out = sys.argv[1], Path(sys.argv[2])
    root = SHAPES[name](out)
    print(json.dumps({"shape": name, "root": str(root), "bytes": project_bytes(root)}))


if __name__ == "__main__":
    main()
