"""``policykit query``: what a compiled spec intends in a context.

Reads only the spec: nothing here imports the compiler.
"""

from __future__ import annotations

import click

from policykit.cli.common import CONTEXT, EXIT_OK, FORMAT, console, parse_context


@click.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False))
@CONTEXT
@click.option("--behavior", help="Only this behavior.")
@FORMAT
def query(spec_path: str, contexts: tuple[str, ...], behavior: str | None, fmt: str) -> int:
    """What the spec intends in a context: the distribution over outcomes."""
    import json

    from rich.table import Table

    from policykit.cli.terminal import markup_safe as escape
    from policykit.spec.query import Spec

    spec = Spec.load(spec_path)
    context = parse_context(contexts)
    answer = spec.intended(context, behavior)
    results = {behavior: answer} if behavior else answer
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "context": {**spec.defaults, **context},
                    "intended": {b: dict(d) for b, d in results.items()},
                },
                indent=2,
                sort_keys=True,
            )
        )
        return EXIT_OK
    shown = ", ".join(f"{k}={v}" for k, v in sorted({**spec.defaults, **context}.items()))
    table = Table(title=f"intended behavior in {escape(shown)}", title_justify="left")
    table.add_column("behavior")
    table.add_column("outcomes (P_intended)")
    for name, dist in results.items():
        table.add_row(escape(name), escape("  ".join(f"{o} {p:.3f}" for o, p in dist.items())))
    console().print(table)
    return EXIT_OK
