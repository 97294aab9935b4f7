"""``policykit diff``: what changed in intended behavior between two specs."""

from __future__ import annotations

import click

from policykit.cli.common import EXIT_FINDINGS, EXIT_OK, FORMAT, console


@click.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--exit-code", is_flag=True, help="Exit 1 when intended behavior changed.")
@FORMAT
def diff(old: str, new: str, exit_code: bool, fmt: str) -> int:
    """What changed in intended behavior between two specs, largest change first."""
    import json

    from rich.table import Table

    from policykit.cli.terminal import markup_safe as escape
    from policykit.spec.diff import diff_specs
    from policykit.spec.query import Spec

    changes = diff_specs(Spec.load(old), Spec.load(new))
    if fmt == "json":
        click.echo(json.dumps({"changes": [c.to_json() for c in changes]}, indent=2))
    elif not changes:
        console().print("no change in intended behavior")
    else:
        table = Table(title=f"{len(changes)} changed cells", title_justify="left")
        for column in ("TV", "behavior", "where", "old", "new"):
            table.add_column(column)
        for c in changes:
            where = ", ".join(f"{k} in {{{', '.join(v)}}}" for k, v in c.when) or "everywhere"
            table.add_row(
                f"{c.distance:.3f}",
                escape(c.behavior),
                escape(where),
                escape(_dist(c.old)),
                escape(_dist(c.new)),
            )
        console().print(table)
    return EXIT_FINDINGS if exit_code and changes else EXIT_OK


def _dist(d: dict[str, float] | None) -> str:
    return "(absent)" if d is None else "  ".join(f"{o} {p:.3f}" for o, p in d.items())
