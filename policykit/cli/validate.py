"""``policykit validate``: check projects and report what was found."""

from __future__ import annotations

from pathlib import Path

import click

from policykit.cli.common import EXIT_FINDINGS, EXIT_OK, Run, console, echo_pieces


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_obj
def validate(run: Run | None, paths: tuple[Path, ...], fmt: str, strict: bool) -> int:
    """Check projects: each PATH is a policykit.yaml, or a folder holding one.

    Exit status: 0 clean, 1 findings at error level (or warnings with --strict),
    2 usage error, 3 internal error.
    """
    from policykit.cli import render
    from policykit.diagnostics import has_errors, sort_diagnostics
    from policykit.pipeline import ValidateOptions, validate_project
    from policykit.util.tuning import FAST, bulk

    # The collector stays paused while the report is written too: nothing here makes
    # cycles, and a collection would walk every object the validation kept.
    with bulk():
        options = ValidateOptions(tuning=FAST)
        results = [validate_project(path, options) for path in paths]
        if len(results) == 1:  # already sorted and unique
            diagnostics = results[0].diagnostics
        else:
            diagnostics = sort_diagnostics(d for r in results for d in r.diagnostics)
        if fmt == "json":
            echo_pieces(render.iter_json(diagnostics))
        elif fmt == "sarif":
            echo_pieces(render.iter_sarif(diagnostics))
        elif fmt == "github":
            echo_pieces(render.iter_github(diagnostics))
        else:
            out = console()
            render.render_text(out, diagnostics)
            checked = sum(r.files_read for r in results)
            failed = has_errors(diagnostics, strict=strict)
            style = "bold red" if failed else "bold green"
            verdict = "failed" if failed else "ok"
            out.print(f"[{style}]{verdict}[/]: {render.summary_line(diagnostics, checked)}")
    if run is not None:
        run.exit_at_once = True
    return EXIT_FINDINGS if has_errors(diagnostics, strict=strict) else EXIT_OK
