"""The text rendering of ``policykit explain``."""

from __future__ import annotations

from rich.console import Console

from policykit.cli.terminal import markup_safe as escape
from policykit.resolve.explain import Explanation

_STATUS_STYLE = {
    "applied": "green",
    "overridden": "yellow",
    "adjusted": "cyan",
    "dropped": "red",
    "out of scope": "dim",
}


def render_explanation(console: Console, e: Explanation) -> None:
    context = ", ".join(f"{k}={v}" for k, v in e.context)
    console.print(f"[bold]{escape(e.behavior)}[/] in {escape(context)}")
    console.print()
    console.print("[bold]rules considered[/]")
    for r in e.rules:
        style = _STATUS_STYLE[r.status]
        console.print(
            f"  [{style}]{r.status:<12}[/] {escape(r.rule)}  "
            f"({r.stakeholder}, rank {r.rank})  {escape(r.directive)}"
        )
        why = f": {r.why}" if r.why else ""
        console.print(f"  {'':<12} [dim]{escape(r.location)}{escape(why)}[/]")
    console.print()
    bounds = "  ".join(f"{o} in [{lo:g}, {hi:g}]" for o, lo, hi in e.bounds if (lo, hi) != (0, 1))
    console.print(f"bounds: {bounds or 'none'}")
    if e.targets:
        console.print(f"soft targets, combined by {e.strategy}:")
        for t in e.targets:
            dist = "  ".join(f"{o} {p:.3f}" for o, p in t.target)
            console.print(
                f"  {t.stakeholder:<10} {dist}   influence {t.influence:.3f}, "
                f"cost KL {t.cost:.4f} nats"
            )
    else:
        console.print("no soft target: the catalog default, projected onto the bounds")
    intended = "  ".join(f"{o} {p:.3f}" for o, p in e.intended)
    console.print(f"[bold]intended:[/] {intended}")
