"""Running projects through the public entry points, and comparing what comes out."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from policykit.cli import main
from policykit.diagnostics import Diagnostic, Severity
from policykit.pipeline import compile_project, validate_project
from policykit.spec.artifact import TargetBehaviorSpec, dumps

Key = tuple[str, tuple[tuple[str, str], ...]]


def cli(*argv: str) -> tuple[int, str, str]:
    """``policykit ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "policykit.yaml"


def compiled(path: Path) -> tuple[TargetBehaviorSpec | None, tuple[Diagnostic, ...]]:
    result = compile_project(path)
    return result.spec, result.diagnostics


def errors(diags: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    return [d for d in diags if d.severity is Severity.ERROR]


def validate_errors(path: Path) -> list[Diagnostic]:
    return errors(validate_project(path).diagnostics)


def cell_of(behavior: Any, ctx: Mapping[str, str]) -> Any:
    """The spec cell of ``behavior`` that holds the full context ``ctx``."""
    found = [c for c in behavior.cells if all(ctx[d] in vs for d, vs in c.when.items() if d in ctx)]
    assert len(found) == 1, f"{len(found)} cells hold {dict(ctx)} in {behavior.id}"
    return found[0]


def contexts(spec: TargetBehaviorSpec) -> list[dict[str, str]]:
    out: list[dict[str, str]] = [{}]
    for d in spec.dimensions:
        out = [{**c, d.id: v} for c in out for v in d.values]
    return out


def values(spec: TargetBehaviorSpec) -> dict[Key, dict[str, float]]:
    """P_intended per (behavior, full context)."""
    out = {}
    for b in spec.behaviors:
        for ctx in contexts(spec):
            out[(b.id, tuple(sorted(ctx.items())))] = dict(cell_of(b, ctx).intended)
    return out


def bounds(spec: TargetBehaviorSpec) -> dict[Key, dict[str, tuple[float, float]]]:
    out = {}
    for b in spec.behaviors:
        for ctx in contexts(spec):
            cell = cell_of(b, ctx)
            out[(b.id, tuple(sorted(ctx.items())))] = {
                o: (x.min, x.max) for o, x in cell.bounds.items()
            }
    return out


def dropped(spec: TargetBehaviorSpec) -> set[str]:
    return {r for b in spec.behaviors for c in b.cells for r in c.dropped}


def close(
    a: Mapping[Key, Mapping[str, Any]], b: Mapping[Key, Mapping[str, Any]], tol: float = 1e-6
) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        if a[k].keys() != b[k].keys():
            return False
        for o in a[k]:
            x, y = a[k][o], b[k][o]
            xs = x if isinstance(x, tuple) else (x,)
            ys = y if isinstance(y, tuple) else (y,)
            if any(abs(p - q) > tol for p, q in zip(xs, ys, strict=True)):
                return False
    return True


_INDEX = re.compile(r"^(rules|grants|policies)\[(\d+)\]")


def diag_keys(diags: tuple[Diagnostic, ...], root: Path) -> set[tuple[str, str, str]]:
    """Diagnostics as (code, file name, what they point at), where a rule is named by its
    id, a grant and a policy binding by their content: the same findings in any order."""
    out = set()
    for d in diags:
        anchor = d.path
        m = _INDEX.match(d.path)
        file = Path(d.file).name
        if m:
            doc = yaml.safe_load((root / file).read_text(encoding="utf-8"))
            item = doc[m.group(1)][int(m.group(2))]
            anchor = item["id"] if m.group(1) == "rules" else repr(sorted(item.items()))
        out.add((d.code, file, anchor))
    return out


# Findings about a pair of rules of equal standing (two same-rank rules that contradict,
# two rules alike, two stakeholders' targets that pull apart) are reported once per
# rule, on the later rule of each pair in project order, naming the earliest partner:
# which rule carries the finding and which partner it names follow the order (by
# design, see docs/diagnostics.md), the findings do not. Compared per code and behavior.
SYMMETRIC = frozenset({"PK401", "PK410", "PK413"})


def order_free_keys(diags: tuple[Diagnostic, ...], root: Path) -> set[tuple[str, str, str]]:
    """``diag_keys``, with the symmetric findings reduced to their code and behavior."""
    keys = {k for k in diag_keys(tuple(d for d in diags if d.code not in SYMMETRIC), root)}
    keys |= {(d.code, "behavior", d.behavior) for d in diags if d.code in SYMMETRIC}
    return keys


def spec_bytes(spec: TargetBehaviorSpec) -> str:
    return dumps(spec)


DIMENSIONS = [
    {"id": "aud", "values": ["a0", "a1"], "default": "a0"},
    {"id": "dom", "values": ["d0", "d1"], "default": "d0"},
]


def behavior(
    bid: str, outcomes: list[str], default: dict[str, float] | None = None
) -> dict[str, Any]:
    default = default or {o: 1 / len(outcomes) for o in outcomes}
    return {
        "id": bid,
        "description": f"behavior {bid}",
        "property": "harmless",
        "outcomes": {
            o: {"description": f"outcome {o}", "exemplars": [f"ex {o}"]} for o in outcomes
        },
        "default": default,
        "probes": [f"probe {bid}"],
    }


B = behavior("b", ["refuse", "comply"], {"refuse": 0.5, "comply": 0.5})


def build(
    root: Path,
    stakeholders: dict[str, dict[str, Any]],
    policies: dict[str, dict[str, Any]],
    *,
    behaviors: list[dict[str, Any]] | None = None,
    relations: list[dict[str, Any]] | None = None,
    strategy: str = "weighted_linear",
    on_violation: str = "error",
    policy_order: list[str] | None = None,
) -> Path:
    """A project under ``root``: one catalog (dimensions aud: a0, a1 and dom: d0, d1),
    one policy file per stakeholder (``policies[name]`` holds its rules and grants)."""
    root.mkdir(parents=True, exist_ok=True)
    catalog: dict[str, Any] = {
        "apiVersion": "policykit/v1",
        "kind": "Catalog",
        "metadata": {"name": "cat"},
        "dimensions": DIMENSIONS,
        "behaviors": behaviors or [B],
    }
    if relations:
        catalog["relations"] = relations
    files: dict[str, Any] = {"catalog.yaml": catalog}
    for name, body in policies.items():
        files[f"{name}.yaml"] = {
            "apiVersion": "policykit/v1",
            "kind": "Policy",
            "metadata": {"name": f"{name}-policy"},
            **body,
        }
    order = policy_order or list(policies)
    files["policykit.yaml"] = {
        "apiVersion": "policykit/v1",
        "kind": "Project",
        "metadata": {"name": "audit"},
        "deployment": {"description": "an audit project"},
        "catalogs": ["catalog.yaml"],
        "policies": [
            {"path": f"{n}.yaml", "stakeholder": n, "on_violation": on_violation} for n in order
        ],
        "stakeholders": stakeholders,
        "strategy": strategy,
    }
    for name, doc in files.items():
        (root / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return root / "policykit.yaml"


def cell_values(spec: TargetBehaviorSpec, bid: str, **ctx: str) -> dict[str, float]:
    b = next(x for x in spec.behaviors if x.id == bid)
    full = {d.id: d.default for d in spec.dimensions}
    full.update(ctx)
    return dict(cell_of(b, full).intended)


def validate_project_diagnostics(path: Path) -> tuple[Diagnostic, ...]:
    return validate_project(path).diagnostics
