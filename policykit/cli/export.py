"""``policykit export``: a compiled spec's eval cases, for an evaluation tool."""

from __future__ import annotations

from pathlib import Path

import click

from policykit.cli.common import CAP, EXIT_OK, MAX_CASES, SEED, SPEC, load_cases


@click.command("export")
@SPEC
@click.option(
    "--to",
    "fmt",
    required=True,
    metavar="FORMAT",
    help="jsonl, inspect, lm-eval, promptfoo, openai-evals (the legacy registry), "
    "openai-evals-api (the hosted Evals API), or a plugin's format "
    "(entry-point group policykit.exporters).",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (created if missing; each file is written atomically).",
)
@MAX_CASES
@SEED
@CAP
def export_command(
    spec_path: Path,
    fmt: str,
    out_dir: Path,
    max_cases_per_behavior: int | None,
    seed: int,
    cap: int,
) -> int:
    """Export a compiled spec's eval cases for an evaluation tool.

    The same spec and options always give the same bytes.
    """
    from policykit.export import ExportError, export, get_exporter

    try:
        get_exporter(fmt)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    case_set = load_cases(spec_path, max_cases_per_behavior, seed, cap)
    try:
        result = export(case_set, fmt, out_dir)
    except OSError as exc:
        raise click.ClickException(f"cannot write into {out_dir}: {exc}") from None
    for path in result.files:
        click.echo(f"wrote {path}", err=True)
    click.echo(f"exported {result.cases} cases as {fmt} to {out_dir}", err=True)
    if result.run_command:
        click.echo(f"run it: {result.run_command}", err=True)
    return EXIT_OK
