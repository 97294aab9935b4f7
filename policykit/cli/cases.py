"""``policykit cases``: a compiled spec's eval cases as JSON Lines."""

from __future__ import annotations

from pathlib import Path

import click

from policykit.cli.common import CAP, EXIT_OK, MAX_CASES, SEED, SPEC, load_cases, write_output


@click.command("cases")
@SPEC
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the JSON Lines here (atomically; only a regular file is replaced). "
    "Default, or -: stdout.",
)
@MAX_CASES
@SEED
@CAP
def cases_command(
    spec_path: Path, output: Path | None, max_cases_per_behavior: int | None, seed: int, cap: int
) -> int:
    """Print a compiled spec's eval cases as JSON Lines (policykit.cases/v1)."""
    from policykit.export import cases_jsonl

    case_set = load_cases(spec_path, max_cases_per_behavior, seed, cap)
    text = cases_jsonl(case_set)
    where = write_output(output, text)
    if where is not None:
        click.echo(f"wrote {len(case_set.cases)} cases to {where}", err=True)
    return EXIT_OK
