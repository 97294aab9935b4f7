"""The ``policykit`` command line: argument parsing and rendering only."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console

from policykit import __version__
from policykit.diagnostics import has_errors

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _console(err: bool = False) -> Console:
    return Console(stderr=err, soft_wrap=True, highlight=False, emoji=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policykit")
def cli() -> None:
    """policykit: check stakeholders' policies for a language model and compile what
    they intend."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool) -> int:
    """Check projects: each PATH is a policykit.yaml, or a folder holding one.

    Exit status: 0 clean, 1 findings at error level (or warnings with --strict),
    2 usage error, 3 internal error.
    """
    from policykit.api import validate_project
    from policykit.cli import render
    from policykit.diagnostics import sort_diagnostics

    results = [validate_project(path) for path in paths]
    diagnostics = sort_diagnostics(d for r in results for d in r.diagnostics)
    if fmt == "json":
        click.echo(render.render_json(diagnostics))
    elif fmt == "sarif":
        click.echo(render.render_sarif(diagnostics))
    elif fmt == "github":
        text = render.render_github(diagnostics)
        if text:
            click.echo(text)
    else:
        console = _console()
        render.render_text(console, diagnostics)
        checked = sum(r.files_read for r in results)
        failed = has_errors(diagnostics, strict=strict)
        style = "bold red" if failed else "bold green"
        verdict = "failed" if failed else "ok"
        console.print(f"[{style}]{verdict}[/]: {render.summary_line(diagnostics, checked)}")
    return EXIT_FINDINGS if has_errors(diagnostics, strict=strict) else EXIT_OK


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "mermaid", "json"]),
    default="dot",
    show_default=True,
    help="Graphviz DOT, Mermaid flowchart, or networkx node-link JSON.",
)
@click.option("--behavior", help="Only this behavior, its rules and related behaviors.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
def graph(path: Path, fmt: str, behavior: str | None, output: Path | None) -> int:
    """Write the weighted objective graph of a project."""
    from policykit.api import ValidateOptions, validate_project
    from policykit.cli import render
    from policykit.graph.formats import FORMATS, subgraph_nodes
    from policykit.graph.objective import ObjectiveGraph
    from policykit.output import write_atomic
    from policykit.schema.errors import suggest

    result = validate_project(path, ValidateOptions(analyze=False))
    if result.workspace is None:
        render.render_text(_console(err=True), result.diagnostics)
        _console(err=True).print("[bold red]failed[/]: fix the errors above first")
        return EXIT_FINDINGS
    objective = ObjectiveGraph(result.workspace)
    if behavior is not None and behavior not in result.workspace.behaviors:
        hint = suggest(behavior, result.workspace.behaviors)
        raise click.BadParameter(
            f"unknown behavior {behavior!r}" + (f"; {hint}" if hint else ""),
            param_hint="--behavior",
        )
    text = FORMATS[fmt](objective, subgraph_nodes(objective, behavior))
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    return EXIT_OK


@cli.command()
@click.option(
    "--kind",
    type=click.Choice(["project", "catalog", "policy"]),
    help="Print the schema of one file kind (default: all three, keyed by kind).",
)
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write <kind>.schema.json files into this folder instead of printing.",
)
def schema(kind: str | None, write_dir: Path | None) -> int:
    """Print the JSON Schema of policykit's file kinds."""
    import json

    from policykit.output import write_atomic
    from policykit.schema.jsonschema import SCHEMA_MODELS, dumps, json_schema, schema_file_name

    kinds = [kind] if kind else list(SCHEMA_MODELS)
    if write_dir is not None:
        write_dir.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            target = write_dir / schema_file_name(k)
            write_atomic(target, dumps(json_schema(k)))
            click.echo(f"wrote {target}")
        return EXIT_OK
    if kind:
        click.echo(dumps(json_schema(kind)), nl=False)
    else:
        click.echo(json.dumps({k: json_schema(k) for k in kinds}, indent=2, ensure_ascii=False))
    return EXIT_OK


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, name: str | None, force: bool) -> int:
    """Create a working project in DIRECTORY: a project file and one policy per
    stakeholder, ready for `policykit validate`."""
    from policykit.scaffold import ScaffoldError, scaffold

    try:
        written = scaffold(directory, name=name, force=force)
    except ScaffoldError as exc:
        _console(err=True).print(f"[bold red]error[/]: {exc}")
        return EXIT_FINDINGS
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"next: policykit validate {directory}")
    return EXIT_OK


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the reference page in Markdown.")
@click.argument("code", required=False)
def codes(markdown: bool, code: str | None) -> int:
    """List diagnostic codes, or explain one (policykit codes PK207)."""
    import policykit.analyze  # noqa: F401  (the checks register their codes on import)
    from policykit.codes import CODES
    from policykit.codes import markdown as codes_markdown

    if markdown:
        click.echo(codes_markdown(), nl=False)
        return EXIT_OK
    if code:
        info = CODES.get(code.upper())
        if info is None:
            raise click.BadParameter(f"unknown code {code!r}", param_hint="CODE")
        click.echo(f"{info.code} ({info.severity.value}): {info.title}\n")
        click.echo("Example:\n")
        click.echo("\n".join("    " + line for line in info.example.splitlines()))
        click.echo(f"\nHow to resolve: {info.fix}")
        return EXIT_OK
    for info in sorted(CODES.values(), key=lambda c: c.code):
        click.echo(f"{info.code}  {info.severity.value:<7}  {info.title}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the one error boundary. Returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="policykit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        traceback.print_exc()
        click.echo(
            "policykit hit an internal error (a bug, not a problem in your files); "
            "please report it with the traceback above.",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK
