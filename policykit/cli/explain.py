"""``policykit explain``: why the spec intends what it does in one cell, and its text
rendering."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from policykit.cli.common import (
    CONTEXT,
    EXIT_FINDINGS,
    EXIT_OK,
    FORMAT,
    console,
    failed_compile,
    parse_context,
)

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.resolve.explain import Explanation

_STATUS_STYLE = {
    "applied": "green",
    "overridden": "yellow",
    "adjusted": "cyan",
    "dropped": "red",
    "excluded": "red",
    "out of scope": "dim",
}


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--behavior", required=True, help="The behavior to explain.")
@CONTEXT
@FORMAT
def explain(path: Path, behavior: str, contexts: tuple[str, ...], fmt: str) -> int:
    """Why the spec intends what it does for one behavior in one context.

    On a project with errors, the cell is resolved without the rules in error, and the
    errors that touch it are shown; the exit status is then 1.
    """
    import json

    from policykit.cli import render
    from policykit.pipeline import CompileOptions, explain_project
    from policykit.util.tuning import FAST

    result = explain_project(path, behavior, parse_context(contexts), CompileOptions(tuning=FAST))
    if result.explanation is None:
        return failed_compile(result.errors)
    status = EXIT_FINDINGS if result.errors else EXIT_OK
    if fmt == "json":
        data = result.explanation.to_json()
        if result.errors:  # only then: a clean project's explanation keeps its shape
            data["errors"] = [d.to_json() for d in result.errors]
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return status
    out = console()
    render_explanation(out, result.explanation)
    if result.errors:
        out.print()
        out.print(
            f"[bold red]{len(result.errors)} error{'s' * (len(result.errors) != 1)}[/] "
            f"{'touch' if len(result.errors) != 1 else 'touches'} this cell; it is resolved "
            "without the rules they point at:"
        )
        out.print()
        render.render_text(out, result.errors)
    return status


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
            kind = f" ({t.kind})" if e.kinds else ""
            out.print(
                f"  {escape(t.stakeholder):<10}{kind} {dist}   influence {t.influence:.3f}, "
                f"cost KL {t.cost:.4f} nats"
            )
        if e.kinds:
            out.print("per kind:")
            for k in e.kinds:
                out.print(
                    f"  {k.kind:<10} {escape(', '.join(k.stakeholders))}   influence "
                    f"{k.influence:.3f}, mean cost KL {k.cost:.4f} nats"
                )
    else:
        out.print("no soft target: the catalog default, projected onto the bounds")
    intended = "  ".join(f"{o} {p:.3f}" for o, p in e.intended)
    out.print(f"[bold]intended:[/] {intended}")
    for note in e.notes:
        out.print(f"note: {note}")
