"""``policykit export`` and ``policykit cases``: argument parsing and rendering only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from policykit.export import CaseSet

EXIT_OK = 0


_SPEC = click.argument(
    "spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_MAX = click.option(
    "--max-cases-per-behavior",
    type=click.IntRange(min=1),
    default=None,
    help="Sample each behavior's cells down to about N cases (seeded); cells where "
    "stakeholders conflict are always kept whole.",
)
_SEED = click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the cell sampling."
)


def _load(spec_path: Path, max_cases: int | None, seed: int) -> CaseSet:
    from policykit.export import CaseOptions, build_cases, load_spec
    from policykit.spec.query import SpecFormatError

    try:
        spec = load_spec(spec_path)
    except SpecFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="SPEC") from None
    return build_cases(spec, CaseOptions(max_cases_per_behavior=max_cases, seed=seed))


@click.command("export")
@_SPEC
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
@_MAX
@_SEED
def export_command(
    spec_path: Path, fmt: str, out_dir: Path, max_cases_per_behavior: int | None, seed: int
) -> int:
    """Export a compiled spec's eval cases for an evaluation tool.

    The same spec and options always give the same bytes.
    """
    from policykit.export import ExportError, export, get_exporter

    try:
        get_exporter(fmt)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    case_set = _load(spec_path, max_cases_per_behavior, seed)
    try:
        result = export(case_set, fmt, out_dir)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write into {out_dir}: {exc}") from None
    for path in result.files:
        click.echo(f"wrote {path}", err=True)
    click.echo(f"exported {result.cases} cases as {fmt} to {out_dir}", err=True)
    if result.run_command:
        click.echo(f"run it: {result.run_command}", err=True)
    return EXIT_OK


@click.command("cases")
@_SPEC
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON Lines here (atomically). Default: stdout.",
)
@_MAX
@_SEED
def cases_command(
    spec_path: Path, output: Path | None, max_cases_per_behavior: int | None, seed: int
) -> int:
    """Print a compiled spec's eval cases as JSON Lines (policykit.cases/v1)."""
    from policykit.export import cases_jsonl
    from policykit.output import write_atomic

    case_set = _load(spec_path, max_cases_per_behavior, seed)
    text = cases_jsonl(case_set)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            write_atomic(output, text)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc}") from None
        click.echo(f"wrote {len(case_set.cases)} cases to {output}", err=True)
    return EXIT_OK
