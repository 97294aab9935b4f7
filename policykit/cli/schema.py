"""``policykit schema``: the JSON Schemas of policykit's file kinds."""

from __future__ import annotations

from pathlib import Path

import click

from policykit.cli.common import EXIT_OK


@click.command()
@click.option(
    "--kind",
    type=click.Choice(["project", "catalog", "policy", "test"]),
    help="Print the schema of one file kind (default: all of them, keyed by kind).",
)
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write <kind>.schema.json files (and, without --kind, the spec artifact's "
    "spec.schema.json) into this folder instead of printing.",
)
def schema(kind: str | None, write_dir: Path | None) -> int:
    """Print the JSON Schema of policykit's file kinds."""
    import json

    from policykit.schema.jsonschema import SCHEMA_MODELS, dumps, json_schema, schema_file_name
    from policykit.util.output import write_atomic

    kinds = [kind] if kind else list(SCHEMA_MODELS)
    if write_dir is not None:
        from policykit.spec.artifact import spec_json_schema

        write_dir.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            target = write_dir / schema_file_name(k)
            write_atomic(target, dumps(json_schema(k)))
            click.echo(f"wrote {target}")
        if kind is None:
            target = write_dir / "spec.schema.json"
            write_atomic(target, dumps(spec_json_schema()))
            click.echo(f"wrote {target}")
        return EXIT_OK
    if kind:
        click.echo(dumps(json_schema(kind)), nl=False)
    else:
        click.echo(json.dumps({k: json_schema(k) for k in kinds}, indent=2, ensure_ascii=False))
    return EXIT_OK
