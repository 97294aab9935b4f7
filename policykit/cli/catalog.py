"""``policykit catalog``: the vocabulary a project (or the standard library) offers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from policykit.cli.common import EXIT_OK, FORMAT, console, failed_compile

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.schema.models import Behavior
    from policykit.schema.vocabulary import Vocabulary


@click.command("catalog")
@click.argument("project", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--behavior", help="Show one behavior in full: outcomes, default, probes, rules.")
@FORMAT
def catalog_command(project: Path | None, behavior: str | None, fmt: str) -> int:
    """List dimensions and their values, behaviors with their outcomes, and defaults:
    of PROJECT, or of the standard library without one."""
    import json

    from policykit.errors import UserError
    from policykit.schema.vocabulary import project_vocabulary, std_vocabulary
    from policykit.util.text import suggest_or_list

    if project is None:
        vocabulary, problems = std_vocabulary()
        if problems:
            return failed_compile(problems)
    else:
        from policykit.pipeline import ValidateOptions, validate_project

        result = validate_project(project, ValidateOptions(analyze=False))
        if result.workspace is None:
            return failed_compile(result.diagnostics)
        vocabulary = project_vocabulary(result.workspace)
    chosen = None
    if behavior is not None:
        chosen = vocabulary.behavior(behavior)
        if chosen is None:
            hint = suggest_or_list(behavior, (b.id for b in vocabulary.behaviors))
            raise UserError(f"unknown behavior {behavior!r}; {hint}", subject="behavior")
    if fmt == "json":
        click.echo(json.dumps(_json(vocabulary, chosen), indent=2, ensure_ascii=False))
    elif chosen is not None:
        _render_behavior(console(), vocabulary, chosen)
    else:
        _render(console(), vocabulary, project is None)
    return EXIT_OK


def _dist(d: dict[str, float]) -> str:
    return "  ".join(f"{o} {p:g}" for o, p in d.items())


def _render(out: Console, v: Vocabulary, std: bool) -> None:
    from rich.markup import escape

    if std:
        out.print("[bold]standard library files[/] (name them in a project as shown)")
        for f in v.std_files:
            out.print(f"  {escape(f)}")
        out.print()
    out.print(f"[bold]dimensions[/] ({len(v.dimensions)}; the default marked *)")
    for d in v.dimensions:
        values = " | ".join(f"{x}*" if x == d.default else x for x in d.values)
        out.print(f"  [bold]{escape(d.id)}[/]: {escape(values)}")
        if d.description:
            out.print(f"      [dim]{escape(d.description.strip())}[/]")
    out.print()
    out.print(f"[bold]behaviors[/] ({len(v.behaviors)}; outcomes with their default)")
    for b in v.behaviors:
        rules = v.rules.get(b.id, ())
        extra = f", {len(rules)} rule{'s' * (len(rules) != 1)}" if rules else ""
        out.print(f"  [bold]{escape(b.id)}[/] ({b.property}{extra}): {escape(_dist(_default(b)))}")
    out.print()
    out.print("[dim]policykit catalog [PROJECT] --behavior B shows one behavior in full[/]")


def _default(b: Behavior) -> dict[str, float]:
    return {o: b.default.get(o, 0.0) for o in b.outcomes}


def _render_behavior(out: Console, v: Vocabulary, b: Behavior) -> None:
    from rich.markup import escape

    out.print(f"[bold]{escape(b.id)}[/] ({b.property}): {escape(b.description.strip())}")
    out.print()
    out.print("[bold]outcomes[/] (default probability)")
    for name, outcome in b.outcomes.items():
        p = b.default.get(name, 0.0)
        out.print(f"  [bold]{escape(name)}[/] {p:g}: {escape(outcome.description.strip())}")
    out.print()
    out.print(f"[bold]probes[/] ({len(b.probes)})")
    for probe in b.probes:
        out.print(f"  {escape(probe)}")
    rules = v.rules.get(b.id, ())
    if rules:
        out.print()
        out.print(f"[bold]rules[/] ({len(rules)})")
        for r in rules:
            out.print(
                f"  {escape(r.id)} ({r.stakeholder}, {r.directive})  [dim]{escape(r.location)}[/]"
            )


def _behavior_json(v: Vocabulary, b: Behavior) -> dict[str, Any]:
    return {
        "id": b.id,
        "description": b.description,
        "property": b.property,
        "outcomes": {name: o.description for name, o in b.outcomes.items()},
        "default": _default(b),
        "probes": list(b.probes),
        "rules": [
            {
                "id": r.id,
                "stakeholder": r.stakeholder,
                "directive": r.directive,
                "location": r.location,
            }
            for r in v.rules.get(b.id, ())
        ],
    }


def _json(v: Vocabulary, chosen: Behavior | None) -> dict[str, Any]:
    if chosen is not None:
        return _behavior_json(v, chosen)
    return {
        "files": list(v.files),
        "dimensions": [
            {
                "id": d.id,
                "values": list(d.values),
                "default": d.default,
                "description": d.description,
            }
            for d in v.dimensions
        ],
        "behaviors": [_behavior_json(v, b) for b in v.behaviors],
    }
