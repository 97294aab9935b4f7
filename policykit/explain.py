"""``policykit explain``: why one behavior resolves as it does in one context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape

from policykit.graph.objective import ObjectiveGraph, RuleRef
from policykit.resolve.resolver import Resolution
from policykit.schema.errors import suggest


class ExplainError(ValueError):
    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def _directive(ref: RuleRef) -> str:
    rule = ref.rule
    value: Any = getattr(rule, rule.directive)
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if hasattr(v, "min"):
                parts.append(f"{k} in [{v.min:g}, {v.max:g}]")
            else:
                parts.append(f"{k} {v:g}")
        text = ", ".join(parts)
    elif isinstance(value, tuple):
        text = ", ".join(value)
    else:
        text = str(value)
    extra = f" (weight {rule.weight:g})" if not rule.hard else ""
    return f"{rule.directive}: {text}{extra}"


def explain_cell(
    graph: ObjectiveGraph,
    resolution: Resolution,
    behavior: str,
    context: Mapping[str, str],
) -> dict[str, Any]:
    """The explanation as data (what ``--format json`` prints)."""
    found = next((b for b in resolution.behaviors if b.behavior == behavior), None)
    if found is None:
        hint = suggest(behavior, graph.workspace.behaviors)
        raise ExplainError(
            f"unknown behavior {behavior!r}" + (f"; {hint}" if hint else ""), "--behavior"
        )
    dims = {d.id: d for d in graph.space.dimensions}
    for name, value in context.items():
        if name not in dims:
            hint = suggest(name, dims)
            raise ExplainError(
                f"unknown dimension {name!r}" + (f"; {hint}" if hint else ""), "--context"
            )
        if value not in dims[name].values:
            hint = suggest(value, dims[name].values)
            raise ExplainError(
                f"unknown value {value!r} of dimension {name!r}" + (f"; {hint}" if hint else ""),
                "--context",
            )
    full = {d.id: context.get(d.id, d.default) for d in graph.space.dimensions}
    offset = 0
    for name, classes in zip(found.dimensions, found.classes, strict=True):
        c = next(i for i, values in enumerate(classes) if full[name] in values)
        offset = offset * len(classes) + c
    cell = found.cells[offset]
    outcomes = found.outcomes
    overridden = {o.rule: o for o in cell.overridden}
    adjusted = {a.rule: a for a in cell.adjusted}
    applying = {r.id for r in graph.rules_in(behavior, full)}
    rules = []
    for ref in graph.rules_for(behavior):
        line, _col = ref.position()
        if ref.id in cell.dropped:
            status, why = "dropped", "violates a permission (on_violation: drop)"
        elif ref.id not in applying:
            status, why = "out of scope", f"applies to {graph.space.describe(ref.masks)}"
        elif ref.id in overridden:
            o = overridden[ref.id]
            status, why = "overridden", f"{o.reason}"
        elif ref.id in adjusted:
            a = adjusted[ref.id]
            status, why = "adjusted", f"relaxed to its within bounds by {a.by!r}"
        elif ref.id in cell.winners:
            status, why = "applied", ("sets the bounds" if ref.hard else "pooled into the target")
        else:
            status, why = "applied", ""
        rules.append(
            {
                "rule": ref.id,
                "stakeholder": ref.stakeholder,
                "rank": ref.rank,
                "location": f"{ref.file}:{line}",
                "directive": _directive(ref),
                "status": status,
                "why": why,
            }
        )
    costs = dict(cell.costs)
    return {
        "behavior": behavior,
        "context": full,
        "strategy": graph.workspace.project.strategy,
        "rules": rules,
        "bounds": {
            o: [round(lo, 6), round(hi, 6)]
            for o, lo, hi in zip(outcomes, cell.lo, cell.hi, strict=True)
        },
        "targets": {
            name: {
                "target": dict(zip(outcomes, (round(x, 6) for x in target), strict=True)),
                "influence": round(influence, 6),
                "cost": round(costs[name], 6),
            }
            for name, target, influence in cell.targets
        },
        "intended": dict(zip(outcomes, (round(x, 6) for x in cell.intended), strict=True)),
        "default": {o: graph.behavior(behavior).default.get(o, 0.0) for o in outcomes},
    }


_STATUS_STYLE = {
    "applied": "green",
    "overridden": "yellow",
    "adjusted": "cyan",
    "dropped": "red",
    "out of scope": "dim",
}


def render_explanation(console: Console, e: dict[str, Any]) -> None:
    context = ", ".join(f"{k}={v}" for k, v in e["context"].items())
    console.print(f"[bold]{escape(e['behavior'])}[/] in {escape(context)}")
    console.print()
    console.print("[bold]rules considered[/]")
    for r in e["rules"]:
        style = _STATUS_STYLE[r["status"]]
        console.print(
            f"  [{style}]{r['status']:<12}[/] {escape(r['rule'])}  "
            f"({r['stakeholder']}, rank {r['rank']})  {escape(r['directive'])}"
        )
        why = f": {r['why']}" if r["why"] else ""
        console.print(f"  {'':<12} [dim]{escape(r['location'])}{escape(why)}[/]")
    console.print()
    bounds = "  ".join(
        f"{o} in [{lo:g}, {hi:g}]" for o, (lo, hi) in e["bounds"].items() if (lo, hi) != (0, 1)
    )
    console.print(f"bounds: {bounds or 'none'}")
    if e["targets"]:
        console.print(f"soft targets, combined by {e['strategy']}:")
        for name, t in e["targets"].items():
            dist = "  ".join(f"{o} {p:.3f}" for o, p in t["target"].items())
            console.print(
                f"  {name:<10} {dist}   influence {t['influence']:.3f}, "
                f"cost KL {t['cost']:.4f} nats"
            )
    else:
        console.print("no soft target: the catalog default, projected onto the bounds")
    intended = "  ".join(f"{o} {p:.3f}" for o, p in e["intended"].items())
    console.print(f"[bold]intended:[/] {intended}")
