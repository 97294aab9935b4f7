"""``policykit compile``: a project into its target behavior spec."""

from __future__ import annotations

from pathlib import Path

import click

from policykit.cli.common import EXIT_OK, console, failed_compile, write_output


@click.command("compile")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the spec here (atomically; an old file is never damaged; only a regular "
    "file is replaced). Default, or -: stdout.",
)
@click.option(
    "--warnings",
    "show_warnings",
    is_flag=True,
    help="Show the warnings too (by default only counted: validate shows them).",
)
def compile_command(path: Path, output: Path | None, show_warnings: bool) -> int:
    """Compile a project into its target behavior spec (policykit.spec/v1)."""
    from rich.markup import escape

    from policykit.cli import render
    from policykit.cli.terminal import markup_safe
    from policykit.diagnostics import Severity
    from policykit.pipeline import CompileOptions, compile_project
    from policykit.spec.artifact import dumps
    from policykit.util.tuning import FAST

    result = compile_project(path, CompileOptions(tuning=FAST))
    if result.spec is None:
        return failed_compile(result.diagnostics)
    text = dumps(result.spec)
    err = console(err=True)
    notable = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    if notable and show_warnings:
        render.render_text(err, notable)
    elif notable:
        err.print(
            f"{len(notable)} warning{'s' * (len(notable) != 1)} "
            f"(policykit validate {escape(str(path))} shows them; so does compile --warnings)"
        )
    cells = sum(len(b.cells) for b in result.spec.behaviors)
    where = write_output(output, text) or "stdout"
    err.print(
        f"[bold green]compiled[/]: {len(result.spec.behaviors)} behaviors, {cells} cells, "
        f"{len(result.spec.rules)} rules -> {markup_safe(where)} "
        f"({result.spec.inputs_hash[:19]})"
    )
    return EXIT_OK
