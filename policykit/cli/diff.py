"""``policykit diff``: what changed between two specs, for a reviewer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from policykit.cli.common import EXIT_FINDINGS, EXIT_OK, console

if TYPE_CHECKING:
    from policykit.spec.diff import Change, Review


@click.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when anything changed: intended behavior, rules, permissions, vocabulary.",
)
@click.option(
    "--fail-above",
    type=click.FloatRange(min=0.0, max=1.0),
    default=None,
    metavar="TV",
    help="Like --exit-code, but changes of intended behavior fail only when their total "
    "variation exceeds TV (rule, permission and vocabulary changes always fail).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format (markdown: tables for a pull-request comment).",
)
def diff(old: str, new: str, exit_code: bool, fail_above: float | None, fmt: str) -> int:
    """What changed between two specs: intended behavior (largest change first, with the
    rules that caused it), rules and their permissions, and the vocabulary."""
    import json

    from policykit.spec.diff import read_spec_data, review

    found = review(read_spec_data(old), read_spec_data(new))
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), indent=2))
    elif fmt == "markdown":
        click.echo(render_markdown(found), nl=False)
    else:
        _render_text(found)
    failing = exit_code or fail_above is not None
    return EXIT_FINDINGS if failing and found.fails(fail_above) else EXIT_OK


def _where(c: Change) -> str:
    return ", ".join(f"{k} in {{{', '.join(v)}}}" for k, v in c.when) or "everywhere"


def _render_text(found: Review) -> None:
    from rich.table import Table

    from policykit.cli.terminal import markup_safe as escape

    out = console()
    if not (found.changes or found.rules or found.vocabulary):
        out.print("no change in intended behavior, rules, permissions or vocabulary")
    if found.changes:
        table = Table(title=f"{len(found.changes)} changed cells", title_justify="left")
        for column in ("TV", "behavior", "where", "old", "new", "rules"):
            table.add_column(column)
        for c in found.changes:
            table.add_row(
                f"{c.distance:.3f}",
                escape(c.behavior),
                escape(_where(c)),
                escape(_dist(c.old)),
                escape(_dist(c.new)),
                escape(", ".join(c.rules) or "-"),
            )
        out.print(table)
    if found.rules:
        out.print(f"[bold]{len(found.rules)} rule and permission changes[/]")
        for r in found.rules:
            out.print(f"  {escape(r.describe())}")
    if found.vocabulary:
        out.print(f"[bold]{len(found.vocabulary)} vocabulary changes[/]")
        for v in found.vocabulary:
            out.print(f"  {escape(v.describe())}")
    for side in found.unrecorded:
        out.print(f"note: the {side} spec records no permissions; compile it again to compare")


def _md(text: str) -> str:
    """Text for a Markdown table cell: pipes and line breaks would end the cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(found: Review) -> str:
    """The review as Markdown tables, fit for a pull-request comment."""
    lines = ["### policykit diff", ""]
    if not (found.changes or found.rules or found.vocabulary):
        lines += ["No change in intended behavior, rules, permissions or vocabulary.", ""]
    if found.changes:
        lines += [
            f"**{len(found.changes)} changed cells** (total variation, largest first)",
            "",
            "| TV | behavior | where | old | new | rules |",
            "|---:|---|---|---|---|---|",
        ]
        for c in found.changes:
            cells = [
                f"{c.distance:.3f}",
                f"`{c.behavior}`",
                _where(c),
                _dist(c.old),
                _dist(c.new),
                ", ".join(f"`{r}`" for r in c.rules) or "-",
            ]
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
        lines.append("")
    if found.rules:
        lines += [
            f"**{len(found.rules)} rule and permission changes**",
            "",
            "| rule | change | before | after |",
            "|---|---|---|---|",
        ]
        from policykit.spec.diff import describe_permissions

        for r in found.rules:
            before = describe_permissions(r.old) if r.kind != "added" else "-"
            after = describe_permissions(r.new) if r.kind != "removed" else "-"
            lines.append(f"| `{_md(r.rule)}` | {r.kind} | {_md(before)} | {_md(after)} |")
        lines.append("")
    if found.vocabulary:
        lines += [
            f"**{len(found.vocabulary)} vocabulary changes**",
            "",
            "| kind | name | change |",
            "|---|---|---|",
        ]
        for v in found.vocabulary:
            lines.append(f"| {v.kind} | `{_md(v.name)}` | {v.change} |")
        lines.append("")
    for side in found.unrecorded:
        lines += [f"_The {side} spec records no permissions; compile it again to compare._", ""]
    return "\n".join(lines)


def _dist(d: dict[str, float] | None) -> str:
    return "(absent)" if d is None else "  ".join(f"{o} {p:.3f}" for o, p in d.items())
