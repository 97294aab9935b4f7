"""``policykit explain``: why the spec intends what it does in one cell, and its text
rendering."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from policykit.cli.common import CONTEXT, EXIT_OK, FORMAT, console, failed_compile, parse_context

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.resolve.explain import Explanation

_STATUS_STYLE = {
    "applied": "green",
    "overridden": "yellow",
    "adjusted": "cyan",
    "dropped": "red",
    "out of scope": "dim",
}


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--behavior", required=True, help="The behavior to explain.")
@CONTEXT
@FORMAT
def explain(path: Path, behavior: str, contexts: tuple[str, ...], fmt: str) -> int:
    """Why the spec intends what it does for one behavior in one context."""
    import json

    from policykit.pipeline import CompileOptions, compile_project
    from policykit.resolve.explain import explain_cell
    from policykit.util.tuning import FAST

    result = compile_project(path, CompileOptions(tuning=FAST))
    if result.graph is None or result.resolution is None:
        return failed_compile(result.diagnostics)
    explanation = explain_cell(result.graph, result.resolution, behavior, parse_context(contexts))
    if fmt == "json":
        click.echo(json.dumps(explanation.to_json(), indent=2, sort_keys=True))
    else:
        render_explanation(console(), explanation)
    return EXIT_OK


def render_explanation(out: Console, e: Explanation) -> None:
    from policykit.cli.terminal import markup_safe as escape

    context = ", ".join(f"{k}={v}" for k, v in e.context)
    out.print(f"[bold]{escape(e.behavior)}[/] in {escape(context)}")
    out.print()
    out.print("[bold]rules considered[/]")
    for r in e.rules:
        style = _STATUS_STYLE[r.status]
        out.print(
            f"  [{style}]{r.status:<12}[/] {escape(r.rule)}  "
            f"({r.stakeholder}, rank {r.rank})  {escape(r.directive)}"
        )
        why = f": {r.why}" if r.why else ""
        out.print(f"  {'':<12} [dim]{escape(r.location)}{escape(why)}[/]")
    out.print()
    bounds = "  ".join(f"{o} in [{lo:g}, {hi:g}]" for o, lo, hi in e.bounds if (lo, hi) != (0, 1))
    out.print(f"bounds: {bounds or 'none'}")
    if e.targets:
        out.print(f"soft targets, combined by {e.strategy}:")
        for t in e.targets:
            dist = "  ".join(f"{o} {p:.3f}" for o, p in t.target)
            out.print(
                f"  {t.stakeholder:<10} {dist}   influence {t.influence:.3f}, "
                f"cost KL {t.cost:.4f} nats"
            )
    else:
        out.print("no soft target: the catalog default, projected onto the bounds")
    intended = "  ".join(f"{o} {p:.3f}" for o, p in e.intended)
    out.print(f"[bold]intended:[/] {intended}")
