"""``policykit init``: a small project that validates clean, to start from."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import click

from policykit.cli.common import EXIT_OK
from policykit.errors import UserError


class ScaffoldError(UserError):
    """The project can't be created as asked (files exist, bad name)."""


_PROJECT = Template("""\
# yaml-language-server: $$schema=.policykit/schemas/project.schema.json
apiVersion: policykit/v1
kind: Project
metadata:
  name: $name
  description: A new policykit project.
deployment:
  description: >-
    A general-purpose assistant. Describe your deployment here: who uses it and for
    what; evaluators show this text to the model.
  context_template: "The user is {audience}. Domain: {domain}. Region: {region}."
catalogs:
  - std:core/catalog.yaml
policies:
  # The project decides which stakeholder each file speaks for.
  - path: std:developer/baseline.yaml
    stakeholder: developer
  - path: std:society/baseline.yaml
    stakeholder: society
  - path: policies/deployer.yaml
    stakeholder: deployer
  - path: policies/user.yaml
    stakeholder: customer
    # A user's preferences are untrusted: a rule that oversteps is dropped, not applied.
    on_violation: drop
stakeholders:
  # Who has a say, by name. society, developer, deployer and user always exist (their
  # kind is their name); any other name is a named principal and says its kind
  # (developer, deployer, user or society). A higher rank wins hard conflicts; weight
  # (0, 1] shapes soft compromises. adjustable_by: [user] in a rule means every
  # stakeholder of kind user; adjustable_by: [customer] means only this one.
  society: {rank: 3}
  developer: {rank: 3}
  deployer:
    rank: 2
    weight: 0.9
    description: The operator of this application.
  customer:
    kind: user
    rank: 1
    weight: 0.6
    description: A customer, through the preferences saved in their account.
strategy: weighted_linear
""")

_DEPLOYER = Template("""\
# yaml-language-server: $$schema=../.policykit/schemas/policy.schema.json
apiVersion: policykit/v1
kind: Policy
metadata:
  name: $name-deployer
  stakeholder: deployer
  description: What the operator of this application wants.
rules:
  - id: deployer-concise
    behavior: conciseness
    target: {concise: 0.75, thorough: 0.25}
    weight: 0.6
    rationale: Our users read answers on small screens.
  - id: deployer-follow-format
    behavior: follow_format
    prefer: follow
    weight: 0.8
    rationale: Answers are shown in a fixed layout; asked-for formats must hold.
""")

_USER = Template("""\
# yaml-language-server: $$schema=../.policykit/schemas/policy.schema.json
apiVersion: policykit/v1
kind: Policy
metadata:
  name: $name-user
  stakeholder: customer
  description: One customer's preferences.
rules:
  - id: user-relaxed-tone
    behavior: tone
    target: {formal: 0.1, neutral: 0.7, casual: 0.2}
    weight: 0.4
    rationale: A little less formality suits me.
""")

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def scaffold(directory: Path, *, name: str | None = None, force: bool = False) -> list[Path]:
    """Write a new project into ``directory``; returns the files written."""
    from policykit.schema.jsonschema import SCHEMA_MODELS, dumps, json_schema, schema_file_name
    from policykit.util.output import write_atomic

    project_name = _NAME.sub("-", name or directory.resolve().name).strip("-") or "project"
    if not re.match(r"^[A-Za-z_]", project_name):
        project_name = f"p-{project_name}"
    files = {
        directory / "policykit.yaml": _PROJECT.substitute(name=project_name),
        directory / "policies" / "deployer.yaml": _DEPLOYER.substitute(name=project_name),
        directory / "policies" / "user.yaml": _USER.substitute(name=project_name),
    }
    for kind in SCHEMA_MODELS:
        files[directory / ".policykit" / "schemas" / schema_file_name(kind)] = dumps(
            json_schema(kind)
        )
    existing = [p for p in files if p.exists()]
    if existing and not force:
        listed = ", ".join(str(p) for p in existing)
        raise ScaffoldError(f"{listed} already exist; use --force to overwrite")
    for path, text in files.items():
        write_atomic(path, text)
    return list(files)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, name: str | None, force: bool) -> int:
    """Create a working project in DIRECTORY: a project file and one policy per
    stakeholder, ready for `policykit validate`."""
    for path in scaffold(directory, name=name, force=force):
        click.echo(f"created {path}")
    click.echo(f"next: policykit validate {directory}")
    return EXIT_OK
