"""``policykit graph``: write a project's weighted objective graph."""

from __future__ import annotations

from pathlib import Path

import click

from policykit.cli.common import EXIT_FINDINGS, EXIT_OK, console, write_output


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "mermaid", "json"]),
    default="dot",
    show_default=True,
    help="Graphviz DOT, Mermaid flowchart, or networkx node-link JSON.",
)
@click.option("--behavior", help="Only this behavior, its rules and related behaviors.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write to a file (- for stdout).",
)
def graph(path: Path, fmt: str, behavior: str | None, output: Path | None) -> int:
    """Write the weighted objective graph of a project."""
    from policykit.cli import render
    from policykit.graph.formats import FORMATS, subgraph_nodes
    from policykit.graph.objective import ObjectiveGraph
    from policykit.pipeline import ValidateOptions, validate_project
    from policykit.util.text import suggest
    from policykit.util.tuning import FAST

    result = validate_project(path, ValidateOptions(analyze=False, tuning=FAST))
    if result.workspace is None:
        render.render_text(console(err=True), result.diagnostics)
        console(err=True).print("[bold red]failed[/]: fix the errors above first")
        return EXIT_FINDINGS
    objective = ObjectiveGraph(result.workspace)
    if behavior is not None and behavior not in result.workspace.behaviors:
        hint = suggest(behavior, result.workspace.behaviors)
        raise click.BadParameter(
            f"unknown behavior {behavior!r}" + (f"; {hint}" if hint else ""),
            param_hint="--behavior",
        )
    text = FORMATS[fmt](objective, subgraph_nodes(objective, behavior))
    where = write_output(output, text)
    if where is not None:
        click.echo(f"wrote {where}", err=True)
    return EXIT_OK
