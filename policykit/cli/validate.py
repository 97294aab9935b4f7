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
    type=click.Choice(["text", "short", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format (short: one line per finding).",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too (accepted ones excepted).")
@click.option(
    "--severity",
    type=click.Choice(["error", "warning", "info"]),
    default="info",
    show_default=True,
    help="Show only findings at this severity or above; the summary and the exit status "
    "still count every finding.",
)
@click.pass_obj
def validate(
    run: Run | None, paths: tuple[Path, ...], fmt: str, strict: bool, severity: str
) -> int:
    """Check projects: each PATH is a policykit.yaml, or a folder holding one.

    Exit status: 0 clean, 1 findings at error level (or warnings with --strict),
    2 usage error, 3 internal error.
    """
    from policykit.cli import render
    from policykit.diagnostics import Severity, has_errors, sort_diagnostics
    from policykit.pipeline import ValidateOptions, validate_project
    from policykit.util.tuning import FAST, bulk

    # The collector stays paused while the report is written too: nothing here makes
    # cycles, and a collection would walk every object the validation kept.
    with bulk():
        options = ValidateOptions(tuning=FAST, tests=True)
        results = [validate_project(path, options) for path in paths]
        if len(results) == 1:  # already sorted and unique
            diagnostics = results[0].diagnostics
        else:
            diagnostics = sort_diagnostics(d for r in results for d in r.diagnostics)
        floor = Severity(severity)
        accepted = sorted(
            (a for r in results for a in r.accepted), key=lambda a: a.diagnostic.sort_key()
        )
        accepted_shown = [a for a in accepted if a.diagnostic.severity.rank >= floor.rank]
        shown = diagnostics if floor is Severity.INFO else render.at_least(diagnostics, floor)
        checked = sum(r.files_read for r in results)
        failed = has_errors(diagnostics, strict=strict)
        verdict = "failed" if failed else "ok"
        if fmt == "json":
            echo_pieces(
                render.iter_json(
                    shown, checked, accepted_shown, render.summary(diagnostics, checked, accepted)
                )
            )
        elif fmt == "sarif":
            echo_pieces(render.iter_sarif(shown, accepted_shown))
        elif fmt == "github":
            echo_pieces(render.iter_github(shown))
        elif fmt == "short":
            click.echo(render.short_lines(shown, accepted_shown), nl=False)
            click.echo(f"{verdict}: {render.summary_line(diagnostics, checked, accepted)}")
        else:
            out = console()
            render.render_text(out, shown)
            render.render_accepted(out, accepted_shown)
            style = "bold red" if failed else "bold green"
            line = render.summary_line(diagnostics, checked, accepted)
            out.print(f"[{style}]{verdict}[/]: {line}")
    if run is not None:
        run.exit_at_once = True
    return EXIT_FINDINGS if failed else EXIT_OK
