"""``policykit codes``: the diagnostic codes, listed or explained one at a time."""

from __future__ import annotations

import click

from policykit.cli.common import EXIT_OK


@click.command()
@click.option("--markdown", is_flag=True, help="Print the reference page in Markdown.")
@click.argument("code", required=False)
def codes(markdown: bool, code: str | None) -> int:
    """List diagnostic codes, or explain one (policykit codes PK207)."""
    from policykit.codes import CODES
    from policykit.codes import markdown as codes_markdown

    if markdown:
        click.echo(codes_markdown(), nl=False)
        return EXIT_OK
    if code:
        info = CODES.get(code.upper())
        if info is None:
            raise click.BadParameter(f"unknown code {code!r}", param_hint="CODE")
        click.echo(f"{info.code} ({info.severity.value}): {info.summary}\n")
        click.echo("Example:\n")
        click.echo("\n".join("    " + line for line in info.example.splitlines()))
        click.echo(f"\nHow to resolve: {info.fix}")
        return EXIT_OK
    for info in sorted(CODES.values(), key=lambda c: c.code):
        click.echo(f"{info.code}  {info.severity.value:<7}  {info.summary}")
    return EXIT_OK
